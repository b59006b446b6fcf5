/**
 * A canary deploy (`rollout.strategy: canary`), the whole script run under sh against a fake
 * docker: the split file the edge reads at each step, the edge Caddy's judge called with the
 * step's start on stdin, and what a passed walk, a failed step and an edge without the judge
 * leave behind (upstream, split file, containers, record, the failure's message).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  deployScript,
  parseProbe,
  probeScript,
  warmSwitchScript,
  type ServiceDefinition,
} from "../../../src/deploy";
import { canarySplit } from "../../../src/edge";
import {
  CADDY,
  DEPLOY_ANSWERS,
  edgeRoot,
  DIGEST_WEB,
  DIGEST_2,
  fakeDocker,
  PAYLOAD,
  sh,
  tempDir,
  typicalDefinition,
} from "./fixtures";

const START = '{"since":"t0","sides":{}}';

/**
 * The edge's Caddy as the canary meets it: it has the judge (without arguments it exits 2,
 * unless `$FAKE_NO_JUDGE`), its counters are START, and its judge keeps the split file in force
 * and the start it got on stdin, then fails the step named `$FAKE_FAIL_STEP`, passing the others.
 * Stopped containers are `exited` (kept), and `start` runs them again.
 */
const CANARY_ANSWERS = [
  'case "$1 $2 $3 $4" in',
  `  "exec ${CADDY} caddy slipway-split-judge")`,
  '    if [ -n "${FAKE_NO_JUDGE:-}" ]; then echo "Error: unknown command" >&2; exit 1; fi',
  "    exit 2 ;;",
  `  "exec ${CADDY} /bin/busybox cat") printf '%s\\n' '${START}'; exit 0 ;;`,
  `  "exec --interactive ${CADDY} caddy")`,
  "    label=; prev=",
  '    for arg in "$@"; do if [ "$prev" = --label ]; then label=$arg; fi; prev=$arg; done',
  '    { cat "$FAKE_EDGE"/split/web; cat; echo; } >> "$FAKE_DOCKER_LOG".judged',
  '    if [ "$label" = "${FAKE_FAIL_STEP:-}" ]; then echo "$label: 23 of 112 requests failed (20.5% > 1%)"; exit 1; fi',
  '    echo "$label: 0 of 100 requests failed (0% ≤ 1%), p95 5 ms"; exit 0 ;;',
  "esac",
  'case "$1 $2" in',
  '  "container inspect")',
  `    if [ "$4" = '{{index .Config.Labels "slipway.digest"}}' ]; then case $5 in web-abababababab-*) echo ${DIGEST_WEB} ;; *) echo ${DIGEST_2} ;; esac; exit 0; fi`,
  `    if [ "$4" = '{{.State.Status}}' ] && [ ! -f "$FAKE_DOCKER_LOG.ran.$5" ] && [ -f "$FAKE_DOCKER_LOG.stopped.$5" ]; then echo exited; exit 0; fi ;;`,
  '  "stop "*) touch "$FAKE_DOCKER_LOG.stopped.$2" ;;',
  '  "start "*) touch "$FAKE_DOCKER_LOG.ran.$2" ;;',
  '  "rm --force") rm -f "$FAKE_DOCKER_LOG.stopped.$3" ;;',
  "esac",
].join("\n");

const CANARY = {
  strategy: "canary" as const,
  steps: [
    { weight: 10, pause: 1 },
    { weight: 50, pause: 1 },
  ],
};

describe("deploy/canary: a canary deploy run against a fake docker", function () {
  this.timeout(60_000);
  let temp: ReturnType<typeof tempDir>;
  let root: string;
  let edge: string;
  let state: string;

  beforeEach(() => {
    temp = tempDir();
    ({ root, edge, state } = edgeRoot(temp.dir));
    fs.writeFileSync(path.join(edge, "caddy"), `${CADDY}\n`);
  });
  afterEach(() => temp.remove());

  const read = (file: string) => fs.readFileSync(file, "utf8");
  const docker = () =>
    fakeDocker(path.join(temp.dir, "fake"), `${CANARY_ANSWERS}\n${DEPLOY_ANSWERS}`);

  function definition(overrides: Partial<ServiceDefinition> = {}): ServiceDefinition {
    return typicalDefinition({ stateRoot: root, rollout: CANARY, ...overrides });
  }

  async function deploy(def: ServiceDefinition, env: Record<string, string> = {}) {
    const fake = docker();
    const before = fake.calls().length;
    const result = await sh(deployScript(def), {
      stdin: PAYLOAD,
      env: { ...fake.env, FAKE_EDGE: edge, ...env },
    });
    const retireLock = path.join(state, "retire.lock");
    if (fs.existsSync(retireLock)) await sh(`flock ${retireLock} true`);
    const judged = path.join(temp.dir, "fake", "docker.log.judged");
    return {
      ...result,
      calls: fake.calls().slice(before),
      judged: fs.existsSync(judged) ? read(judged) : "",
    };
  }

  /** The first release (nothing served before: no canary), then release 2's canary. */
  async function firstThenSecond(env: Record<string, string> = {}) {
    const first = await deploy(definition());
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.judged, "", "the first release is not a canary: nothing served before");
    const old = read(path.join(state, "current")).trim();
    const second = await deploy(definition({ ref: `ghcr.io/acme/web@${DIGEST_2}` }), env);
    const next = second.calls.find((call) => call[0] === "run")![3]!;
    return { old, next, second };
  }

  it("walks 10% and 50%, judged by the edge's Caddy, then switches and retires the old release", async () => {
    const { old, next, second } = await firstThenSecond();
    assert.equal(second.code, 0, second.stderr);
    // The split file in force when each step was judged, and the start the judge got.
    assert.equal(
      second.judged,
      `${canarySplit([`${next}:8080`], [`${old}:8080`], 10)}${START}\n\n` +
        `${canarySplit([`${next}:8080`], [`${old}:8080`], 50)}${START}\n\n`,
    );
    const judge = (label: string) => [
      "exec",
      "--interactive",
      CADDY,
      "caddy",
      "slipway-split-judge",
      "--start",
      "-",
      "--end",
      "/run/caddy/split/web.json",
      "--side",
      `${next}:8080`,
      "--label",
      label,
      "--max-error-rate",
      "1",
      "--min-requests",
      "20",
    ];
    const edgeCalls = second.calls.filter((call) => call[1] === CADDY || call[2] === CADDY);
    const read_ = ["exec", CADDY, "/bin/busybox", "cat", "/run/caddy/split/web.json"];
    assert.deepEqual(edgeCalls, [
      ["exec", CADDY, "caddy", "slipway-split-judge"],
      read_,
      judge("canary 10%"),
      read_,
      judge("canary 50%"),
    ]);
    const said = second.stdout
      .split("\n")
      .filter((line) => /canary|switched/.test(line))
      .map((line) => line.replace("slipway: host web-1: ", ""));
    assert.deepEqual(said, [
      `canary 10%: 10% of the requests go to ${next} for 1 s`,
      "canary 10%: 0 of 100 requests failed (0% ≤ 1%), p95 5 ms",
      `canary 50%: 50% of the requests go to ${next} for 1 s`,
      "canary 50%: 0 of 100 requests failed (0% ≤ 1%), p95 5 ms",
      `canary: every step passed; switching every request to ${next}`,
      `switched slipway-edge to ${next} for web`,
    ]);
    assert.equal(read(path.join(edge, "upstreams", "web")), `${next}:8080\n`);
    assert.ok(!fs.existsSync(path.join(edge, "split", "web")), "the split file is gone");
    assert.equal(read(path.join(state, "current")).trim(), next);
    assert.ok(second.calls.some((call) => call[0] === "stop" && call.at(-1) === old));
  });

  it("a failed step: every request back to the old release at once, the new one removed, the figures in the failure", async () => {
    const { old, next, second } = await firstThenSecond({ FAKE_FAIL_STEP: "canary 10%" });
    assert.equal(second.code, 1);
    assert.equal(
      second.stderr.trim().split("\n").pop(),
      `slipway: host web-1: release ${DIGEST_2} failed its canary: canary 10%: 23 of 112 requests failed (20.5% > 1%); every request went back to release ${DIGEST_WEB} (${old}:8080) at once, removed ${next}`,
    );
    assert.equal(second.judged.split("\n\n").length - 1, 1, "judged once: the first step");
    assert.equal(read(path.join(edge, "upstreams", "web")), `${old}:8080\n`);
    assert.ok(!fs.existsSync(path.join(edge, "split", "web")), "the split file is gone");
    assert.equal(read(path.join(state, "current")).trim(), old, "the record names what serves");
    assert.ok(second.calls.some((call) => call.join(" ") === `rm --force ${next}`));
    assert.ok(!second.calls.some((call) => call[0] === "stop" && call.at(-1) === old));
    assert.ok(!second.stdout.includes("switched"));
  });

  it("refuses before starting anything when the edge's Caddy has no judge", async () => {
    const first = await deploy(definition());
    assert.equal(first.code, 0, first.stderr);
    const second = await deploy(definition({ ref: `ghcr.io/acme/web@${DIGEST_2}` }), {
      FAKE_NO_JUDGE: "1",
    });
    assert.equal(second.code, 1);
    assert.equal(
      second.stderr.trim().split("\n").pop(),
      `slipway: host web-1: the canary of web needs the edge's Caddy to judge its steps, but ${CADDY} has no slipway-split-judge (it is not Slipway's edge image): build the edge image from examples/edge (Caddy with Slipway's split module) and set slipway:edge.image to it, or remove slipway:service.rollout; nothing was changed`,
    );
    assert.ok(!second.calls.some((call) => call[0] === "run" || call[0] === "pull"));
  });

  it("a slipway rollback during the walk stops it within a second: every request back, the new release removed", async () => {
    const first = await deploy(definition());
    assert.equal(first.code, 0, first.stderr);
    const old = read(path.join(state, "current")).trim();
    const slow = { strategy: "canary" as const, steps: [{ weight: 10, pause: 30 }] };
    const walking = deploy(definition({ ref: `ghcr.io/acme/web@${DIGEST_2}`, rollout: slow }));
    const split = path.join(edge, "split", "web");
    const deadline = Date.now() + 20_000;
    while (!fs.existsSync(split) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(fs.existsSync(split), "the walk never started");
    const started = Date.now();
    const rollback = await sh(warmSwitchScript({ ...definition(), digest: DIGEST_WEB }), {
      env: { ...docker().env, FAKE_EDGE: edge },
    });
    const seconds = (Date.now() - started) / 1000;
    const second = await walking;
    assert.equal(second.code, 1);
    const next = second.calls.find((call) => call[0] === "run")![3]!;
    assert.match(
      second.stderr.trim().split("\n").pop()!,
      new RegExp(
        `^slipway: host web-1: canary 10%: stopped by slipway rollback to ${DIGEST_WEB} \\(\\S+\\); every request went back to release ${DIGEST_WEB} \\(${old}:8080\\) at once, removed ${next}$`,
      ),
    );
    // The old release served throughout: the rollback finds it serving.
    assert.equal(rollback.stdout.trim(), `canary-stopped\nswitched ${old}`);
    assert.ok(seconds < 10, `the rollback waited ${seconds} s for a 30 s step`);
    assert.equal(read(path.join(edge, "upstreams", "web")), `${old}:8080\n`);
    assert.ok(!fs.existsSync(split) && !fs.existsSync(path.join(state, "canary-abort")));
    assert.ok(second.calls.some((call) => call.join(" ") === `rm --force ${next}`));
  });

  it("shows the status probe the split in force while a canary walks", async () => {
    const def = definition();
    const fake = docker();
    const probe = async () => parseProbe((await sh(probeScript(def), { env: fake.env })).stdout);
    assert.equal((await probe()).split, undefined);
    fs.mkdirSync(path.join(edge, "split"));
    fs.writeFileSync(
      path.join(edge, "split", "web"),
      "web-new:8080 10\nweb-1:8080,web-2:8080 90\n",
    );
    assert.equal((await probe()).split, "web-new:8080 10, web-1:8080,web-2:8080 90");
  });

  it("a release that served here before (a rollback to a kept release) switches without a canary", async () => {
    const { old, second } = await firstThenSecond();
    assert.equal(second.code, 0, second.stderr);
    const back = await deploy(definition());
    assert.equal(back.code, 0, back.stderr);
    assert.equal(back.judged.split("\n\n").length - 1, 2, "no step judged after the canary of 2");
    assert.ok(
      back.stdout.includes(
        `release ${DIGEST_WEB} served on this host before (${old}, kept for rollback): switching without a canary`,
      ),
    );
    assert.equal(read(path.join(edge, "upstreams", "web")), `${old}:8080\n`);
  });
});
