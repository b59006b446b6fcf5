/**
 * Blue/green run by the real deploy script on the real edge under load (issue 24, done-when
 * (c)): the local sshd, Docker engine and registry; the edge image of examples/edge; releases
 * A and B of examples/app. Every deploy runs under a keep-alive load and a fresh-connection
 * loop on the service's own host name at once; the preview host is asked beside them.
 *
 * - B with `live` = A: B answers on the preview host while every user request gets A;
 * - the switch (`live` = B, what `slipway switch` writes): the running preview release takes
 *   every request at once, 0 failed, no keep-alive connection cut, no new container;
 * - an abort (A previewed again, then the live B pinned again): the preview release goes,
 *   users stay on B throughout.
 */
import { strict as assert } from "node:assert";
import { deployScript, edgeScript, type ServiceDefinition } from "../../src/deploy";
import { useServices } from "../helpers/services";
import {
  itEdge,
  lineOf,
  loadReport,
  localDefinition,
  payloadFor,
  removeEdge,
  removeService,
  request,
  runScript,
  sharedReleases,
  underLoad,
  type Release,
  type ReleaseSet,
  type ScriptRun,
} from "./deploy-fixture";

const SERVICE = "it-bluegreen";
const HOST = "it-bluegreen.localhost";
const PREVIEW_HOST = "preview.it-bluegreen.localhost";
// Ports of its own (heal 29280, canary 29380).
const PORT = 29480;
const EDGE_NAME = "it-bluegreen-edge";

function output(run: ScriptRun): string {
  return `${run.stdout}\n${run.stderr}`;
}

/** Figures of this suite, printed at the end (docs/figures.md). */
const figures: string[] = [];

describe("blue/green: the preview route and the switch on the real edge under load", function () {
  this.timeout(900_000);
  useServices(["docker", "registry", "sshd"]);

  let releases: ReleaseSet;
  const edge = () =>
    itEdge(releases.edge.ref, { name: EDGE_NAME, httpPort: PORT, httpsPort: 29843 });
  const definition = (release: Release, live: Release | undefined): ServiceDefinition =>
    localDefinition(SERVICE, release, {
      edge: EDGE_NAME,
      rollout: {
        strategy: "blueGreen",
        preview: { host: PREVIEW_HOST },
        ...(live === undefined ? {} : { live: live.digest }),
      },
    });
  const deploy = (release: Release, live: Release | undefined) =>
    runScript(deployScript(definition(release, live)), payloadFor({}));
  const loaded = (action: () => Promise<ScriptRun>) => underLoad(PORT, HOST, action, 4);
  const answer = async (host: string) =>
    (await request(PORT, "/cgi-bin/version", { host })).body.trim();

  before(async function () {
    releases = await sharedReleases();
    await removeService(SERVICE, "/var/lib/slipway", EDGE_NAME);
    await removeEdge(edge());
    const started = await runScript(edgeScript(edge()));
    assert.equal(started.code, 0, output(started));
  });

  after(async function () {
    if (process.env.SLIPWAY_KEEP_SERVICES === "1") return;
    await removeService(SERVICE, "/var/lib/slipway", EDGE_NAME);
    await removeEdge(edge());
    console.log(`\n      figures:\n${figures.map((line) => `        ${line}`).join("\n")}`);
  });

  it("the first release serves at once (nothing served before); the preview host answers it too", async () => {
    const first = await deploy(releases.a, undefined);
    assert.equal(first.code, 0, output(first));
    assert.equal(await answer(HOST), releases.a.version);
    assert.equal(await answer(PREVIEW_HOST), releases.a.version);
  });

  it("B of another digest than live answers on the preview host while every user gets A, under load", async () => {
    const { result, loads, keepAlive } = await loaded(async () => {
      const run = await deploy(releases.b, releases.a);
      // While B is previewed: the preview host gets B, the users' host A.
      assert.equal(await answer(PREVIEW_HOST), releases.b.version);
      assert.equal(await answer(HOST), releases.a.version);
      return run;
    });
    assert.equal(result.code, 0, output(result));
    assert.ok(
      lineOf(result, /answers only on the preview route \(host preview\.it-bluegreen\.localhost\)/),
      result.stdout,
    );
    const failed = loads.reduce((sum, load) => sum + load.failures, 0);
    assert.equal(failed, 0, loadReport(loads));
    for (const load of loads) {
      assert.deepEqual(Object.keys(load.versions), [releases.a.version], loadReport(loads));
    }
    assert.equal(keepAlive.sockets, 4, "keep-alive sockets were reconnected");
    figures.push(
      `(c) preview deploy ${result.seconds.toFixed(1)} s: users ${loads.map((l) => `${l.requests}`).join(" keep-alive + ")} fresh requests, all answered by A, ${failed} failed; preview host: B`,
    );
  });

  it("the switch (live = B) moves every request to the running preview release at once: 0 failed, no connection cut", async () => {
    const { result, loads, keepAlive, fresh } = await loaded(() => deploy(releases.b, releases.b));
    assert.equal(result.code, 0, output(result));
    assert.ok(
      lineOf(result, /: reusing \S+, started by an earlier run of this deploy/),
      result.stdout,
    );
    assert.equal(lineOf(result, /: starting /), undefined, result.stdout);
    const switched = lineOf(result, /: switched \S+ to \S+ for /);
    assert.ok(switched !== undefined, result.stdout);
    const failed = loads.reduce((sum, load) => sum + load.failures, 0);
    assert.equal(failed, 0, loadReport(loads));
    assert.equal(keepAlive.sockets, 4, "keep-alive sockets were reconnected");
    // A before the switch, B after it; nothing else.
    for (const load of loads) {
      const after = load.samples.filter((s) => s.start > switched.at + 200);
      assert.ok(after.length > 0 && after.every((s) => s.ok && s.version === releases.b.version));
      const before = load.samples.filter((s) => s.end < switched.at - 200);
      assert.ok(before.every((s) => s.ok && s.version === releases.a.version));
    }
    assert.equal(await answer(HOST), releases.b.version);
    assert.equal(await answer(PREVIEW_HOST), releases.b.version);
    figures.push(
      `(c) switch ${result.seconds.toFixed(1)} s: ${keepAlive.requests} keep-alive (4 sockets, none cut) + ${fresh.requests} fresh requests, ${failed} failed; A ${keepAlive.versions[releases.a.version] ?? 0}+${fresh.versions[releases.a.version] ?? 0}, B ${keepAlive.versions[releases.b.version] ?? 0}+${fresh.versions[releases.b.version] ?? 0}`,
    );
  });

  it("an abort (A previewed, then the live B pinned again) removes the preview release; users stay on B", async () => {
    const previewed = await deploy(releases.a, releases.b);
    assert.equal(previewed.code, 0, output(previewed));
    assert.equal(await answer(PREVIEW_HOST), releases.a.version);
    const { result, loads } = await loaded(() => deploy(releases.b, releases.b));
    assert.equal(result.code, 0, output(result));
    assert.ok(
      lineOf(result, /: removed the preview release \S+: every user is on release /),
      result.stdout,
    );
    const failed = loads.reduce((sum, load) => sum + load.failures, 0);
    assert.equal(failed, 0, loadReport(loads));
    for (const load of loads) {
      assert.deepEqual(Object.keys(load.versions), [releases.b.version], loadReport(loads));
    }
    assert.equal(await answer(PREVIEW_HOST), releases.b.version);
  });
});
