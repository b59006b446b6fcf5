/**
 * The canary walked by the real deploy script on the real edge under load (issue 24, done-when
 * (a) and (b)): the local sshd, Docker engine and registry; the edge image of examples/edge with
 * the Caddy that carries Slipway's split module and its judge ($SLIPWAY_SPLIT_CADDY, or the one
 * scripts/bootstrap-engine.sh built); releases of examples/app. Every deploy runs under a
 * keep-alive load and a fresh-connection loop at once, through the edge by Host header.
 *
 * (a) B's canary walks 10% and 50% (5 s each) to 100%: 0 failed requests, the share each
 *     step's weight gave B measured by the clients within ±5 points.
 * (b) A with APP_FAIL_PERCENT=20 (a fifth of its answers are 500s) is aborted at 10%: the
 *     deploy fails naming the figures, the clients saw errors only while that step was in
 *     force and only from A, B answered throughout and serves alone after.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { deployScript, edgeScript, type ServiceDefinition } from "../../src/deploy";
import type { Sample } from "../helpers/load";
import {
  deleteManifest,
  FETCH_BUSYBOX_SH,
  getManifest,
  REGISTRY,
  REPO_ROOT,
  run,
  runOk,
  SLIPWAY_HOME,
  uniqueTag,
  useServices,
} from "../helpers/services";
import {
  buildAndPush,
  cause,
  itEdge,
  lineOf,
  loadReport,
  localDefinition,
  payloadFor,
  removeEdge,
  removeImages,
  removeService,
  request,
  runScript,
  underLoad,
  type Release,
  type ScriptRun,
} from "./deploy-fixture";

const ARCH = process.arch === "arm64" ? "arm64" : "amd64";
const SERVICE = "it-canary";
const HOST = "it-canary.localhost";
// Ports of its own: heal.test.ts uses 29280/29643 (a Caddy revived late must not collide).
const PORT = 29380;
const EDGE = itEdge("", { name: "it-canary-edge", httpPort: PORT, httpsPort: 29743 });
const CANARY = {
  strategy: "canary" as const,
  steps: [
    { weight: 10, pause: 5 },
    { weight: 50, pause: 5 },
  ],
};

function caddyBinary(): string {
  return process.env.SLIPWAY_SPLIT_CADDY ?? path.join(SLIPWAY_HOME, "bin", `caddy-linux-${ARCH}`);
}

/** The edge image of examples/edge with `caddy`, pushed: its reference by digest. */
async function pushEdge(namespace: string, caddy: string): Promise<Release> {
  const context = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-canary-edge-"));
  try {
    fs.copyFileSync(
      path.join(REPO_ROOT, "examples", "edge", "Dockerfile"),
      path.join(context, "Dockerfile"),
    );
    fs.mkdirSync(path.join(context, "bin", ARCH), { recursive: true });
    for (const [from, name] of [
      [path.join(REPO_ROOT, "examples", "edge", "bin", ARCH, "busybox"), "busybox"],
      [caddy, "caddy"],
    ] as const) {
      fs.copyFileSync(from, path.join(context, "bin", ARCH, name));
      fs.chmodSync(path.join(context, "bin", ARCH, name), 0o755);
    }
    const reference = `${REGISTRY}/${namespace}/edge:1`;
    await runOk("docker", ["build", "--quiet", "--tag", reference, context], {
      timeoutMs: 300_000,
    });
    await runOk("docker", ["push", "--quiet", reference], { timeoutMs: 300_000 });
    const digest = (await getManifest(`${namespace}/edge`, "1")).digest;
    return { ref: `${REGISTRY}/${namespace}/edge@${digest}`, digest, version: "" };
  } finally {
    fs.rmSync(context, { recursive: true, force: true });
  }
}

function output(run: ScriptRun): string {
  return `${run.stdout}\n${run.stderr}`;
}

/** Answers of `samples` that started in [from, to] (performance.now(), ms). */
function within(samples: readonly Sample[], from: number, to: number): Sample[] {
  return samples.filter((sample) => sample.start >= from && sample.start <= to);
}

function count(samples: readonly Sample[], version: string): number {
  return samples.filter((sample) => sample.ok && sample.version === version).length;
}

/** Figures of this suite, printed at the end (docs/figures.md). */
const figures: string[] = [];

describe("canary: the deploy walks the steps on the real edge under load", function () {
  this.timeout(900_000);
  useServices(["docker", "registry", "sshd"]);

  let a: Release;
  let b: Release;
  let edge: Release;
  let namespace: string;

  const definition = (release: Release, extra: Partial<ServiceDefinition> = {}) =>
    localDefinition(SERVICE, release, { edge: EDGE.name, rollout: CANARY, ...extra });
  const deploy = (release: Release, extra: Partial<ServiceDefinition> = {}) =>
    runScript(deployScript(definition(release, extra)), payloadFor({}));
  const loaded = (action: () => Promise<ScriptRun>) => underLoad(PORT, HOST, action, 4);

  before(async function () {
    const caddy = caddyBinary();
    const probe = await run(caddy, ["slipway-split-judge"]);
    assert.equal(
      probe.code,
      2,
      `${caddy} has no slipway-split-judge: rebuild it (scripts/bootstrap-engine.sh --only caddy) or set SLIPWAY_SPLIT_CADDY\n${probe.stderr}`,
    );
    await runOk(FETCH_BUSYBOX_SH, [], { timeoutMs: 300_000 });
    const tag = uniqueTag("canary");
    namespace = `slipway-it/${tag}`;
    a = await buildAndPush(
      `${namespace}/web`,
      "a",
      "examples/app",
      { APP_RELEASE: `${tag}-a` },
      "prod",
    );
    b = await buildAndPush(
      `${namespace}/web`,
      "b",
      "examples/app",
      { APP_RELEASE: `${tag}-b` },
      "prod",
    );
    edge = await pushEdge(namespace, caddy);
    await removeService(SERVICE, "/var/lib/slipway", EDGE.name);
    await removeEdge({ ...EDGE, image: edge.ref });
    const started = await runScript(edgeScript({ ...EDGE, image: edge.ref }));
    assert.equal(started.code, 0, output(started));
  });

  after(async function () {
    if (process.env.SLIPWAY_KEEP_SERVICES === "1") return;
    await removeService(SERVICE, "/var/lib/slipway", EDGE.name);
    if (edge !== undefined) await removeEdge({ ...EDGE, image: edge.ref });
    for (const release of [a, b, edge].filter((r) => r !== undefined)) {
      await removeImages([release]);
      const [name] = release.ref.split("@") as [string];
      await deleteManifest(name.slice(`${REGISTRY}/`.length), release.digest).catch(() => 0);
    }
    console.log(`\n      figures:\n${figures.map((line) => `        ${line}`).join("\n")}`);
  });

  it("the first release of the service switches at once: nothing served before", async () => {
    const first = await deploy(a);
    assert.equal(first.code, 0, output(first));
    assert.ok(!/: canary \d+%/.test(first.stdout), first.stdout);
    const answer = await request(PORT, "/cgi-bin/version", { host: HOST });
    assert.equal(answer.body.trim(), a.version);
  });

  it("(a) a healthy canary walks 10% and 50% to 100% under load: 0 failed, each step's share ±5 points", async () => {
    const { result, loads, keepAlive, fresh } = await loaded(() => deploy(b));
    assert.equal(result.code, 0, output(result));
    const failed = loads.reduce((sum, load) => sum + load.failures, 0);
    assert.equal(failed, 0, loadReport(loads));
    assert.equal(keepAlive.sockets, 4, "keep-alive sockets were reconnected");
    const marks = [
      lineOf(result, /: canary 10%: 10% of the requests go to /),
      lineOf(result, /: canary 50%: 50% of the requests go to /),
      lineOf(result, /: canary: every step passed; switching every request to /),
    ];
    assert.ok(
      marks.every((mark) => mark !== undefined),
      result.stdout,
    );
    for (const [index, weight] of [10, 50].entries()) {
      const verdict = lineOf(result, new RegExp(`: canary ${weight}%: 0 of \\d+ requests failed`));
      assert.ok(verdict !== undefined, result.stdout);
      // The answers while the step's split was in force (0.2 s margins for the clock).
      const from = marks[index]!.at + 200;
      const to = marks[index + 1]!.at - 200;
      const parts = [keepAlive, fresh].map((load) => {
        const seen = within(load.samples, from, to);
        return { seen: seen.length, b: count(seen, b.version) };
      });
      const all = parts.reduce((sum, part) => sum + part.seen, 0);
      const toB = parts.reduce((sum, part) => sum + part.b, 0);
      const share = (100 * toB) / all;
      figures.push(
        `(a) canary ${weight}%: ${toB} of ${all} answers from the new release (${share.toFixed(1)}%; keep-alive ${parts[0]!.b}/${parts[0]!.seen}, fresh ${parts[1]!.b}/${parts[1]!.seen}); edge: ${verdict.text.replace(/^.*?: canary/, "canary")}`,
      );
      assert.ok(Math.abs(share - weight) <= 5, `${share}% to the new release at ${weight}%`);
      // Each load on its own too, within 5 points or 4 standard deviations of its sample (a
      // fresh load of ~700 answers at 50% spreads ±1.9 points: 55% was seen once in CI).
      for (const part of parts) {
        assert.ok(part.seen > 50, `only ${part.seen} answers of a load in the step`);
        const own = (100 * part.b) / part.seen;
        const spread = 400 * Math.sqrt(((weight / 100) * (1 - weight / 100)) / part.seen);
        assert.ok(
          Math.abs(own - weight) <= Math.max(5, spread),
          `${own}% of one load (${part.seen} answers) to the new release at ${weight}%`,
        );
      }
    }
    // After the walk: B alone.
    const after = within(
      [...keepAlive.samples, ...fresh.samples],
      lineOf(result, /: switched \S+ to \S+ for /)!.at + 200,
      Infinity,
    );
    assert.ok(after.length > 0 && after.every((s) => s.ok && s.version === b.version));
    figures.push(
      `(a) whole deploy ${result.seconds.toFixed(1)} s: ${keepAlive.requests} keep-alive + ${fresh.requests} fresh requests, ${failed} failed`,
    );
  });

  it("(b) a release failing 20% is aborted at 10%: the figures in the failure, errors only from it during that step", async () => {
    const bad = { env: { APP_FAIL_PERCENT: "20" } };
    let ended = 0;
    const { result, keepAlive, fresh } = await loaded(async () => {
      const done = await deploy(a, bad);
      ended = performance.now();
      return done;
    });
    assert.equal(result.code, 1, output(result));
    const line = cause(result) ?? "";
    const match =
      /^slipway: host local: release sha256:[0-9a-f]{64} failed its canary: canary 10%: (\d+) of (\d+) requests failed \(([\d.]+)% > 1%\); every request went back to release (sha256:[0-9a-f]{64}) \((it-canary-\S+:8080)\) at once, removed (it-canary-\S+)$/.exec(
        line,
      );
    assert.ok(match !== null, line);
    assert.equal(match[4], b.digest);
    assert.ok(!result.stdout.includes("canary 50%"), "aborted at the first step");
    const start = lineOf(result, /: canary 10%: 10% of the requests go to /)!;
    const samples = [...keepAlive.samples, ...fresh.samples];
    const failures = samples.filter((s) => !s.ok);
    // Errors only while the step was in force: after its split file, before the abort ended.
    assert.ok(failures.length > 0, "the clients saw the failing release");
    for (const failure of failures) {
      assert.ok(
        failure.start >= start.at - 200 && failure.end <= ended + 200,
        JSON.stringify(failure),
      );
    }
    const step = within(samples, start.at, ended);
    const fromA = count(step, a.version);
    const fromB = count(step, b.version);
    // The old release never stopped serving: B answered before, during and after the step.
    assert.ok(count(within(samples, -Infinity, start.at), b.version) > 0);
    assert.ok(fromB > 0);
    const afterAbort = within(samples, ended + 200, Infinity);
    assert.ok(afterAbort.length > 0 && afterAbort.every((s) => s.ok && s.version === b.version));
    const answer = await request(PORT, "/cgi-bin/version", { host: HOST });
    assert.equal(answer.body.trim(), b.version);
    const newSide = fromA + failures.length;
    figures.push(
      `(b) canary 10% of a release failing 20%: the edge judged ${match[1]} of ${match[2]} failed (${match[3]}%); the clients, while the step was in force (${((ended - start.at) / 1000).toFixed(1)} s, to the end of the abort): ${step.length} requests, ${newSide} to the new release (${((100 * newSide) / step.length).toFixed(1)}%), ${failures.length} failed (${((100 * failures.length) / newSide).toFixed(1)}% of the new release's, ${((100 * failures.length) / samples.length).toFixed(2)}% of all ${samples.length}); 0 failed before or after; the old release answered ${fromB} in the step`,
    );
    const containers = await runOk("docker", [
      "ps",
      "--all",
      "--filter",
      `label=slipway.service=${SERVICE}`,
      "--format",
      "{{.Names}}",
    ]);
    assert.ok(!containers.stdout.includes(match[6]!), "the failed release was removed");
  });
});
