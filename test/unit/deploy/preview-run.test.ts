/**
 * A blue/green deploy (`rollout.strategy: blueGreen`), the whole script run under sh against a
 * fake docker: a release of another digest than `rollout.live` goes only behind the preview
 * route (its upstream file) while the old one serves and stays recorded; the switch reuses the
 * running preview release and renames the service's upstream file; an abort (the live digest
 * again) removes the preview release; the status probe shows it.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { deployScript, parseProbe, probeScript, type ServiceDefinition } from "../../../src/deploy";
import {
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

/** Release containers: named by digest; stopped ones are `exited`, and `start` runs them. */
const ANSWERS = [
  'case "$1 $2" in',
  '  "container inspect")',
  `    if [ "$4" = '{{index .Config.Labels "slipway.digest"}}' ]; then case $5 in web-abababababab-*) echo ${DIGEST_WEB} ;; *) echo ${DIGEST_2} ;; esac; exit 0; fi`,
  `    if [ "$4" = '{{.State.Status}}' ] && [ -f "$FAKE_DOCKER_LOG.removed.$5" ]; then exit 1; fi`,
  `    if [ "$4" = '{{.State.Status}}' ] && [ ! -f "$FAKE_DOCKER_LOG.ran.$5" ] && [ -f "$FAKE_DOCKER_LOG.stopped.$5" ]; then echo exited; exit 0; fi ;;`,
  '  "stop "*) touch "$FAKE_DOCKER_LOG.stopped.$2" ;;',
  '  "start "*) touch "$FAKE_DOCKER_LOG.ran.$2" ;;',
  '  "rm --force") rm -f "$FAKE_DOCKER_LOG.stopped.$3"; touch "$FAKE_DOCKER_LOG.removed.$3" ;;',
  '  "run --detach") rm -f "$FAKE_DOCKER_LOG.removed.$4" ;;',
  "esac",
].join("\n");

const PREVIEW = { host: "preview.example.com" };

describe("deploy/preview: a blue/green deploy run against a fake docker", function () {
  this.timeout(60_000);
  let temp: ReturnType<typeof tempDir>;
  let root: string;
  let edge: string;
  let state: string;

  beforeEach(() => {
    temp = tempDir();
    ({ root, edge, state } = edgeRoot(temp.dir));
  });
  afterEach(() => temp.remove());

  const read = (file: string) => fs.readFileSync(file, "utf8");
  const exists = (file: string) => fs.existsSync(file);
  const docker = () => fakeDocker(path.join(temp.dir, "fake"), `${ANSWERS}\n${DEPLOY_ANSWERS}`);

  function definition(digest: string, live?: string): ServiceDefinition {
    return typicalDefinition({
      stateRoot: root,
      ref: `ghcr.io/acme/web@${digest}`,
      rollout: { strategy: "blueGreen", preview: PREVIEW, ...(live === undefined ? {} : { live }) },
    });
  }

  async function deploy(def: ServiceDefinition) {
    const fake = docker();
    const before = fake.calls().length;
    const result = await sh(deployScript(def), { stdin: PAYLOAD, env: fake.env });
    const retireLock = path.join(state, "retire.lock");
    if (fs.existsSync(retireLock)) await sh(`flock ${retireLock} true`);
    return { ...result, calls: fake.calls().slice(before) };
  }
  const said = (stdout: string) =>
    stdout
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => line.replace("slipway: host web-1: ", ""));

  /** Release 1 serves (the first release: at once), then release 2 goes to the preview. */
  async function servedThenPreviewed() {
    const first = await deploy(definition(DIGEST_WEB));
    assert.equal(first.code, 0, first.stderr);
    const old = read(path.join(state, "current")).trim();
    assert.equal(read(path.join(edge, "upstreams", "web")), `${old}:8080\n`);
    assert.equal(read(path.join(edge, "upstreams", "web.preview")), `${old}:8080\n`);
    const second = await deploy(definition(DIGEST_2, DIGEST_WEB));
    assert.equal(second.code, 0, second.stderr);
    const next = second.calls.find((call) => call[0] === "run")![3]!;
    return { old, next, second };
  }

  it("the first release serves at once; one of another digest than live answers only on the preview route", async () => {
    const { old, next, second } = await servedThenPreviewed();
    assert.equal(read(path.join(edge, "upstreams", "web")), `${old}:8080\n`, "users: the old one");
    assert.equal(read(path.join(edge, "upstreams", "web.preview")), `${next}:8080\n`);
    assert.equal(read(path.join(state, "preview")), `${next} ${DIGEST_2}\n`);
    assert.equal(read(path.join(state, "current")).trim(), old, "the record names what serves");
    // Nothing stopped; the one removal is of a stale container under the new name, before it starts.
    assert.ok(!second.calls.some((call) => call[0] === "stop"));
    assert.deepEqual(
      second.calls.filter((call) => call[0] === "rm"),
      [["rm", "--force", next]],
    );
    assert.equal(
      said(second.stdout).at(-1),
      `release ${DIGEST_2} answers only on the preview route (host preview.example.com) as ${next}; every user stays on release ${DIGEST_WEB}; to switch them: slipway switch --stack dev --service web`,
    );
    // The route lines the edge loaded: the preview host dials the preview upstream file.
    const routes = read(path.join(edge, "routes", "web"));
    assert.match(routes, /"host":\["preview\.example\.com"\]/);
    assert.match(routes, /web\.preview/);
    // The status probe shows it.
    const probe = parseProbe(
      (await sh(probeScript(definition(DIGEST_2)), { env: docker().env })).stdout,
    );
    assert.deepEqual(probe.preview, { container: next, digest: DIGEST_2, status: "running" });
  });

  it("the switch (live = the preview's digest) reuses the running preview release and renames the upstream", async () => {
    const { old, next } = await servedThenPreviewed();
    const switched = await deploy(definition(DIGEST_2, DIGEST_2));
    assert.equal(switched.code, 0, switched.stderr);
    assert.ok(!switched.calls.some((call) => call[0] === "run"), "no new container");
    assert.ok(
      said(switched.stdout).includes(`reusing ${next}, started by an earlier run of this deploy`),
    );
    assert.ok(said(switched.stdout).includes(`switched slipway-edge to ${next} for web`));
    assert.equal(read(path.join(edge, "upstreams", "web")), `${next}:8080\n`);
    assert.equal(read(path.join(edge, "upstreams", "web.preview")), `${next}:8080\n`);
    assert.equal(read(path.join(state, "current")).trim(), next);
    assert.ok(!exists(path.join(state, "preview")));
    assert.ok(switched.calls.some((call) => call[0] === "stop" && call.at(-1) === old));
    assert.ok(!switched.calls.some((call) => call.join(" ") === `rm --force ${next}`));
  });

  it("passes shellcheck as POSIX sh, the preview before the switch and its end after the retire", () => {
    const script = deployScript(definition(DIGEST_2, DIGEST_WEB));
    const file = path.join(temp.dir, "blue-green.sh");
    fs.writeFileSync(file, script);
    execFileSync("shellcheck", ["-s", "sh", file]);
    const order = [
      `live_digest=${DIGEST_WEB}`,
      'mv -f "$tmp"/preview-upstream "$edge"/upstreams/"$preview_instance"',
      'mv -f "$tmp"/upstream "$edge"/upstreams/"$service"',
      'retire "$current" "$drain_seconds" "$warm_for"',
      'rm -f "$state"/preview',
    ].map((line) => script.split("\n").findIndex((candidate) => candidate.trim() === line));
    assert.ok(
      order.every((index) => index >= 0),
      JSON.stringify(order),
    );
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
    );
    assert.ok(!deployScript(typicalDefinition()).includes("preview"));
  });

  it("an abort (the live digest pinned again) removes the preview release; users never moved", async () => {
    const { old, next } = await servedThenPreviewed();
    const aborted = await deploy(definition(DIGEST_WEB, DIGEST_WEB));
    assert.equal(aborted.code, 0, aborted.stderr);
    assert.ok(
      said(aborted.stdout).includes(
        `release ${DIGEST_WEB} is already serving as ${old}; checking it`,
      ),
    );
    assert.ok(
      said(aborted.stdout).includes(
        `removed the preview release ${next}: every user is on release ${DIGEST_WEB}`,
      ),
    );
    assert.ok(aborted.calls.some((call) => call.join(" ") === `rm --force ${next}`));
    assert.equal(read(path.join(edge, "upstreams", "web")), `${old}:8080\n`);
    assert.equal(read(path.join(edge, "upstreams", "web.preview")), `${old}:8080\n`);
    assert.ok(!exists(path.join(state, "preview")));
  });
});
