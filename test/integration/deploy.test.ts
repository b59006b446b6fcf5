/**
 * Releases through the test's own edge (it-edge, 127.0.0.1:29080), against the local sshd,
 * Docker engine and registry: the scripts run exactly as the resources run them
 * (BOOTSTRAP_COMMAND over SSH, script and payload on stdin). Releases A and B differ in
 * content; "broken" fails /healthz. Every release runs under a keep-alive load and a
 * fresh-connection loop at once, through the edge by Host header.
 */
import { strict as assert } from "node:assert";
import {
  deployScript,
  edgeRemoveScript,
  edgeScript,
  parseReleaseRecord,
  stopScript,
  type ServiceDefinition,
} from "../../src/deploy";
import { runOk, sshExec, useServices } from "../helpers/services";
import {
  cause,
  escape,
  freePort,
  itEdge,
  loadReport,
  localDefinition,
  payloadFor,
  removeEdge,
  removeImages,
  removeService,
  request,
  runDelete,
  runScript,
  sharedReleases,
  startScript,
  switchProblems,
  underLoad as loadDuring,
  waitFor,
  type ReleaseSet,
  type ScriptRun,
} from "./deploy-fixture";

/** Secret values a shell would misread; they must arrive in the container byte for byte. */
const SECRET_ENV = {
  API_KEY: `k'ey "with" $(id) \`id\` and spaces  # not a comment`,
  DB_PASSWORD: "p@ss=word;|&",
};
const PLAIN_ENV = { GREETING: "hello 'world' $(id)\nsecond line", MODE: "test" };
const REGISTRY_PASSWORD = "open-registry-accepts-any-password";
const SERVICE = "it-a";
const HOST = "it-a.localhost";
const PORT = 29080;
const KEEP_ALIVE_SOCKETS = 4;

async function containersOf(service: string): Promise<string[]> {
  const result = await runOk("docker", [
    "ps",
    "--all",
    "--filter",
    `label=slipway.service=${service}`,
    "--format",
    "{{.Names}} {{.State}}",
  ]);
  return result.stdout.split("\n").filter(Boolean).sort();
}

async function releaseRecord(service: string) {
  const result = await sshExec(`cat /var/lib/slipway/${service}/release.json`);
  assert.equal(result.code, 0, result.stderr);
  return parseReleaseRecord(result.stdout);
}

/** What it-a.localhost answers through the edge. */
async function served(host = HOST): Promise<string> {
  const answer = await request(PORT, "/cgi-bin/version", { host });
  return answer.status === 200 ? answer.body.trim() : `HTTP ${answer.status}`;
}

/** Runs `deploy` under a keep-alive load and a fresh-connection loop on it-a.localhost. */
async function underLoad(deploy: () => Promise<ScriptRun>) {
  const { result: run, ...rest } = await loadDuring(PORT, HOST, deploy, KEEP_ALIVE_SOCKETS);
  return { run, ...rest };
}

function output(run: ScriptRun): string {
  return `${run.stdout}\n${run.stderr}`;
}

describe("deploy through the edge over SSH (real sshd, Docker engine and registry)", function () {
  this.timeout(600_000);
  useServices(["docker", "registry", "sshd"]);

  let releases: ReleaseSet;
  const services = [SERVICE, "it-local"];

  const definition = (release: "a" | "b" | "broken", extra: Partial<ServiceDefinition> = {}) =>
    localDefinition(SERVICE, releases[release], {
      env: PLAIN_ENV,
      secretEnvNames: Object.keys(SECRET_ENV),
      registryLogin: { server: "127.0.0.1:5000", username: "slipway-it" },
      ...extra,
    });
  const deploy = (release: "a" | "b" | "broken", extra: Partial<ServiceDefinition> = {}) =>
    runScript(deployScript(definition(release, extra)), payloadFor(SECRET_ENV, REGISTRY_PASSWORD));

  before(async function () {
    releases = await sharedReleases();
    for (const service of services) await removeService(service);
    await removeEdge(itEdge(releases.edge.ref));
    // Off the engine (another suite may have run them): the first deploy pulls like a fresh host.
    await removeImages([releases.a, releases.b, releases.broken]);
    const edge = await runScript(edgeScript(itEdge(releases.edge.ref)));
    assert.equal(edge.code, 0, output(edge));
    assert.match(
      edge.stdout,
      new RegExp(
        `: started the edge it-edge: ${escape(releases.edge.ref)} on 127\\.0\\.0\\.1:29080( and)? 127\\.0\\.0\\.1:29443\n`,
      ),
    );
  });

  after(async function () {
    for (const service of services) await removeService(service);
    if (releases !== undefined) {
      await removeEdge(itEdge(releases.edge.ref));
    }
  });

  it("releases A under load: pulls by digest, loads its route, switches, records it", async () => {
    assert.notEqual(await served(), releases.a.version);
    const { run, loads } = await underLoad(() => deploy("a"));
    assert.equal(run.code, 0, output(run));
    assert.match(run.stdout, new RegExp(`pulling release ${escape(releases.a.ref)}\n`));
    assert.match(run.stdout, /: loaded the new routes into it-edge\n/);
    assert.match(
      run.stdout,
      new RegExp(`: switched it-edge to ${SERVICE}-[0-9a-f]{12}-[0-9a-f]{8} for ${SERVICE}\n`),
    );
    assert.deepEqual(
      switchProblems(run, loads, undefined, releases.a.version),
      [],
      loadReport(loads),
    );
    assert.equal(await served(), releases.a.version);
    const record = await releaseRecord(SERVICE);
    assert.equal(record.service, SERVICE);
    assert.equal(record.stack, "it");
    assert.deepEqual(
      { ...record.current, deployedAt: "" },
      {
        image: "web",
        ref: releases.a.ref,
        digest: releases.a.digest,
        revision: releases.a.version,
        deployedAt: "",
      },
    );
    assert.deepEqual(record.previous, []);
  });

  it("delivers plain and secret env byte for byte, and leaves no secret file behind", async () => {
    const [name] = await containersOf(SERVICE);
    const container = name!.split(" ")[0]!;
    const env = await runOk("docker", ["exec", container, "/bin/busybox", "env", "-0"]);
    const vars = new Map(
      env.stdout
        .split("\0")
        .filter(Boolean)
        .map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]),
    );
    for (const [key, value] of Object.entries({ ...SECRET_ENV, ...PLAIN_ENV })) {
      assert.equal(vars.get(key), value, key);
    }
    const files = await sshExec(`find /var/lib/slipway/${SERVICE} -name '*.env' -o -name 'tmp.*'`);
    assert.equal(files.stdout, "");
  });

  it("releases B under load: 0 failed, one switch when it says so, keep-alive never cut", async () => {
    const { run, loads, keepAlive } = await underLoad(() => deploy("b"));
    assert.equal(run.code, 0, output(run));
    assert.ok(!run.stdout.includes("loaded the new routes"), run.stdout);
    assert.deepEqual(
      switchProblems(run, loads, releases.a.version, releases.b.version),
      [],
      loadReport(loads),
    );
    assert.ok(
      loads.every((l) => l.requests > 50),
      loadReport(loads),
    );
    assert.equal(keepAlive.sockets, KEEP_ALIVE_SOCKETS, "keep-alive sockets were reconnected");
    assert.match(
      run.stdout,
      /: the previous release it-a-\S+ stops after a 1 s drain, in the background \(kept for rollback\)\n/,
    );
    const states = await containersOf(SERVICE);
    assert.deepEqual(
      states.map((s) => s.split(" ")[1]),
      states.map((s) => (s.includes(releases.b.digest.slice(7, 19)) ? "running" : "exited")),
    );
    assert.equal(states.length, 2, states.join("\n"));
    const record = await releaseRecord(SERVICE);
    assert.equal(record.current.digest, releases.b.digest);
    assert.deepEqual(
      record.previous.map((entry) => entry.digest),
      [releases.a.digest],
    );
  });

  it("refuses the broken release under load: never switched, B keeps serving, the cause named", async () => {
    const { run, loads, keepAlive } = await underLoad(() => deploy("broken"));
    assert.equal(run.code, 1);
    assert.equal(
      cause(run),
      `slipway: host local: release ${releases.broken.digest} did not become healthy within 5 s, ` +
        `removed it, release ${releases.b.digest} keeps serving; ` +
        "last health response: wget: server returned error: HTTP/1.1 404 Not Found",
    );
    assert.deepEqual(
      switchProblems(run, loads, releases.b.version, releases.b.version),
      [],
      loadReport(loads),
    );
    assert.equal(keepAlive.sockets, KEEP_ALIVE_SOCKETS, "keep-alive sockets were reconnected");
    assert.ok(
      !(await containersOf(SERVICE)).some((c) => c.includes(releases.broken.digest.slice(7, 19))),
    );
    assert.equal((await releaseRecord(SERVICE)).current.digest, releases.b.digest);
  });

  it("deploys B again: nothing pulled, nothing switched, in seconds", async () => {
    const run = await deploy("b");
    assert.equal(run.code, 0, output(run));
    assert.ok(!run.stdout.includes("pulling") && !run.stdout.includes("switched"), run.stdout);
    assert.match(run.stdout, /is already serving as /);
    assert.match(run.stdout, /: release \S+ is serving; nothing to change\n/);
    assert.ok(run.seconds < 5, `took ${run.seconds.toFixed(1)} s`);
  });

  it("rolls back to A under load: the kept container, no pull, 0 failed", async () => {
    const { run, loads, keepAlive } = await underLoad(() => deploy("a"));
    assert.equal(run.code, 0, output(run));
    assert.ok(!run.stdout.includes("pulling"), run.stdout);
    assert.match(
      run.stdout,
      new RegExp(`release ${escape(releases.a.ref)} is on the host, no pull\n`),
    );
    assert.match(run.stdout, /: starting the kept release container it-a-/);
    assert.deepEqual(
      switchProblems(run, loads, releases.b.version, releases.a.version, /: starting the kept /),
      [],
      loadReport(loads),
    );
    assert.equal(keepAlive.sockets, KEEP_ALIVE_SOCKETS, "keep-alive sockets were reconnected");
    assert.ok(run.seconds < 10, `took ${run.seconds.toFixed(1)} s`);
    const record = await releaseRecord(SERVICE);
    // The no-op re-run of B is not a release: it adds no entry.
    assert.deepEqual(
      [record.current.digest, ...record.previous.map((entry) => entry.digest)],
      [releases.a.digest, releases.b.digest, releases.a.digest],
    );
  });

  it("refuses a second deploy while one holds the lock, naming the holder and since when", async () => {
    const first = startScript(
      deployScript(definition("broken")),
      payloadFor(SECRET_ENV, REGISTRY_PASSWORD),
    );
    await waitFor(() => first.stdout().includes("starting "), 20_000);
    const second = await deploy("b");
    const firstRun = await first.done;
    assert.equal(firstRun.code, 1);
    assert.equal(second.code, 1);
    assert.match(
      second.stderr,
      new RegExp(
        `^slipway: host local: another deploy of ${SERVICE} holds the lock on this host: ` +
          "stack it, root from 127\\.0\\.0\\.1 \\(pid \\d+\\) since \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ; try again when it ends\n$",
      ),
    );
    assert.equal(await served(), releases.a.version);
  });

  it("finishes on the host when the SSH connection drops mid-deploy; a re-run converges", async () => {
    const dropped = startScript(
      deployScript(definition("b")),
      payloadFor(SECRET_ENV, REGISTRY_PASSWORD),
    );
    await waitFor(() => dropped.stdout().includes("is healthy after"), 20_000);
    dropped.kill();
    await dropped.done;
    await waitFor(async () => {
      const lock = await sshExec(`flock -n /var/lib/slipway/${SERVICE}/lock true`);
      return lock.code === 0;
    }, 30_000);
    assert.equal((await releaseRecord(SERVICE)).current.digest, releases.b.digest);
    assert.equal(await served(), releases.b.version);
    const rerun = await deploy("b");
    assert.equal(rerun.code, 0, output(rerun));
    assert.match(rerun.stdout, /is already serving as /);
    assert.equal(await served(), releases.b.version);
  });

  it("keeps the old release serving when a digest is not in the registry or login fails", async () => {
    const missing = await deploy("b", {
      ref: `${releases.b.ref.split("@")[0]}@sha256:${"0".repeat(64)}`,
    });
    assert.equal(missing.code, 1);
    assert.match(
      cause(missing)!,
      /^slipway: host local: cannot pull release 127\.0\.0\.1:5000\/.*@sha256:0{64}: .*not found/,
    );
    const closed = await freePort(29300);
    const login = await deploy("b", {
      ref: `127.0.0.1:${closed}/acme/web@${releases.b.digest}`,
      registryLogin: { server: `127.0.0.1:${closed}`, username: "slipway-it" },
    });
    assert.equal(login.code, 1);
    assert.match(
      cause(login)!,
      new RegExp(
        `^slipway: host local: docker login as slipway-it@127\\.0\\.0\\.1:${closed} failed: .*connection refused`,
      ),
    );
    assert.ok(!output(login).includes(REGISTRY_PASSWORD));
    assert.equal(await served(), releases.b.version);
  });

  it("refuses a deploy of it-a from another stack naming the owner; its stop leaves it-a running", async () => {
    const other = definition("a", { stack: "it-other" });
    const run = await runScript(deployScript(other), payloadFor(SECRET_ENV, REGISTRY_PASSWORD));
    assert.equal(run.code, 1);
    assert.equal(
      cause(run),
      `slipway: host local: service ${SERVICE} on this host belongs to stack it; deploy it from that stack, ` +
        "destroy it there first, or give this stack's service another name (slipway:service.name)",
    );
    const before = await containersOf(SERVICE);
    const stop = await runDelete(stopScript(other));
    assert.equal(stop.code, 0, output(stop));
    assert.equal(
      stop.stdout,
      `slipway: host local: ${SERVICE} on this host belongs to stack it; left as it is\n`,
    );
    assert.deepEqual(await containersOf(SERVICE), before);
    assert.equal(await served(), releases.b.version);
    const record = await releaseRecord(SERVICE);
    assert.equal(record.stack, "it");
    assert.equal(record.current.digest, releases.b.digest);
  });

  it("runs the same scripts locally for the local transport (no SSH), stop included", async () => {
    const local = localDefinition("it-local", releases.b);
    const run = await runScript(deployScript(local), payloadFor({}), "local");
    assert.equal(run.code, 0, output(run));
    assert.match(run.stdout, /^slipway: host local: /m);
    assert.equal(await served("it-local.localhost"), releases.b.version);
    assert.equal(await served(), releases.b.version);
    const stop = await runDelete(stopScript(local), "local");
    assert.equal(stop.code, 0, output(stop));
    assert.match(stop.stdout, /stopped it-local: removed its route and 1 release containers/);
    assert.notEqual(await served("it-local.localhost"), releases.b.version);
    assert.equal(await served(), releases.b.version);
  });

  it("stops the service: route, containers and state gone, images kept; the edge then goes", async () => {
    const run = await runDelete(stopScript(definition("a")));
    assert.equal(run.code, 0, output(run));
    assert.match(
      run.stdout,
      new RegExp(
        `stopped ${SERVICE}: removed its route and 2 release containers; images stay on the host\n`,
      ),
    );
    assert.deepEqual(await containersOf(SERVICE), []);
    assert.notEqual(await served(), releases.b.version);
    assert.equal((await sshExec(`test -e /var/lib/slipway/${SERVICE}`)).code, 1, "state gone");
    assert.equal((await sshExec("test -e /var/lib/slipway/_edge/it-edge/upstreams/it-a")).code, 1);
    await runOk("docker", ["image", "inspect", releases.a.ref]);
    const again = await runDelete(stopScript(definition("a")));
    const edge = await runDelete(edgeRemoveScript(itEdge(releases.edge.ref)));
    assert.equal(edge.code, 0, output(edge));
    // The root's supervisor goes with its last edge, service or accessory (other tests' state
    // may keep it): the line is there exactly when its directory is gone.
    const supervised = (await sshExec("test -e /var/lib/slipway/_supervisor")).code === 0;
    assert.equal(
      edge.stdout,
      "slipway: host local: removed the edge it-edge; its certificates stay in volume it-edge-data\n" +
        (supervised
          ? ""
          : "slipway: host local: stopped the supervisor of /var/lib/slipway: nothing is left to supervise\n"),
    );
    assert.equal(
      (
        await runOk("docker", [
          "ps",
          "--all",
          "--quiet",
          "--filter",
          "name=^it-edge($|-replaced$|-caddy-)",
        ])
      ).stdout,
      "",
    );
    // Last: stopping again finds nothing (the state directory keeps only its lock file).
    assert.equal(again.code, 0, output(again));
    assert.equal(again.stdout, "slipway: host local: it-a is not on this host; nothing to stop\n");
  });
});
