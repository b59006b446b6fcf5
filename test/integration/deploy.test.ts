/**
 * SSH deployment end to end, against the local sshd, Docker engine and registry: the scripts
 * HostDeployment generates are run exactly as remote.Command runs them (script as the SSH
 * command, payload on stdin). Releases A and B differ in content; "broken" fails /healthz.
 */
import { strict as assert } from "node:assert";
import * as net from "node:net";
import {
  deployScript,
  parseReleaseRecord,
  stopScript,
  type ServiceDefinition,
} from "../../src/deploy";
import { ensureBusybox, runOk, sshExec, uniqueTag, useServices } from "../helpers/services";
import {
  buildReleases,
  freePort,
  get,
  loadLoop,
  localDefinition,
  payloadFor,
  removeImages,
  runScript,
  startScript,
  type ReleaseSet,
} from "./deploy-fixture";

/** Secret values a shell would misread; they must arrive in the container byte for byte. */
const SECRET_ENV = {
  API_KEY: `k'ey "with" $(id) \`id\` and spaces  # not a comment`,
  DB_PASSWORD: "p@ss=word;|&",
};
const PLAIN_ENV = { GREETING: "hello 'world' $(id)\nsecond line", MODE: "test" };
const REGISTRY_PASSWORD = "open-registry-accepts-any-password";

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

describe("deploy over SSH (real sshd, Docker engine and registry)", function () {
  this.timeout(600_000);
  useServices(["docker", "registry", "sshd"]);

  let releases: ReleaseSet;
  let service: string;
  let port: number;
  const stops: ServiceDefinition[] = [];

  const definition = (release: keyof Omit<ReleaseSet, "namespace" | "proxy">, extra = {}) =>
    localDefinition(service, port, releases[release], releases.proxy, {
      env: PLAIN_ENV,
      secretEnvNames: Object.keys(SECRET_ENV),
      registryLogin: { server: "127.0.0.1:5000", username: "slipway-it" },
      ...extra,
    });
  const deploy = (release: keyof Omit<ReleaseSet, "namespace" | "proxy">, extra = {}) =>
    runScript(deployScript(definition(release, extra)), payloadFor(SECRET_ENV, REGISTRY_PASSWORD));

  before(async function () {
    await ensureBusybox();
    releases = await buildReleases("deploy");
    service = uniqueTag("it").replace(/[^a-z0-9-]/g, "");
    port = await freePort(18180);
    stops.push(definition("a"));
  });

  after(async function () {
    for (const def of stops) {
      await runScript(stopScript(def), "");
    }
    if (releases !== undefined) {
      await removeImages([releases.a, releases.b, releases.broken, releases.proxy]);
    }
  });

  it("deploys A: pulls by digest, starts proxy and release, records it", async () => {
    const run = await deploy("a");
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, new RegExp(`pulling release ${escape(releases.a.ref)}\n`));
    assert.match(run.stdout, /starting the proxy .* on port \d+\n/);
    assert.equal((await get(port, "/cgi-bin/version")).body.trim(), releases.a.version);
    const record = await releaseRecord(service);
    assert.equal(record.service, service);
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
    const [name] = (await containersOf(service)).filter((c) => !c.includes("-proxy"));
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
    const files = await sshExec(`find /var/lib/slipway/${service} -name '*.env' -o -name 'tmp.*'`);
    assert.equal(files.stdout, "");
  });

  it("deploys B while a request loop runs: zero failed requests, A stopped and kept", async () => {
    const load = loadLoop(port);
    await sleep(500);
    const run = await deploy("b");
    await sleep(1000);
    const result = await load.stop();
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.equal(result.failures, 0, result.errors.join("\n"));
    assert.ok(result.requests > 50, `only ${result.requests} requests`);
    assert.ok((result.versions[releases.a.version] ?? 0) > 0, "A served before the switch");
    assert.ok((result.versions[releases.b.version] ?? 0) > 0, "B served after the switch");
    assert.equal((await get(port, "/cgi-bin/version")).body.trim(), releases.b.version);
    const states = await containersOf(service);
    assert.equal(states.filter((s) => s.endsWith(" running")).length, 2, states.join("\n"));
    assert.equal(states.filter((s) => s.endsWith(" exited")).length, 1, states.join("\n"));
    const record = await releaseRecord(service);
    assert.equal(record.current.digest, releases.b.digest);
    assert.deepEqual(
      record.previous.map((entry) => entry.digest),
      [releases.a.digest],
    );
  });

  it("refuses the broken release: B keeps serving, exit 1 names host, digest and last answer", async () => {
    const load = loadLoop(port);
    const run = await deploy("broken");
    const result = await load.stop();
    assert.equal(run.code, 1);
    const last = run.stderr.trim().split("\n").pop();
    assert.equal(
      last,
      `slipway: host local: release ${releases.broken.digest} did not become healthy within 5 s, ` +
        `removed it, release ${releases.b.digest} keeps serving; ` +
        "last health response: wget: server returned error: HTTP/1.1 404 Not Found",
    );
    assert.equal(result.failures, 0, result.errors.join("\n"));
    assert.deepEqual(Object.keys(result.versions), [releases.b.version]);
    assert.ok(
      !(await containersOf(service)).some((c) => c.includes(releases.broken.digest.slice(7, 19))),
    );
    assert.equal((await releaseRecord(service)).current.digest, releases.b.digest);
  });

  it("deploys B again: nothing pulled, nothing restarted, in seconds", async () => {
    const run = await deploy("b");
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.ok(!run.stdout.includes("pulling"), run.stdout);
    assert.match(run.stdout, /is already serving as /);
    assert.ok(run.seconds < 5, `took ${run.seconds.toFixed(1)} s`);
  });

  it("rolls back to A without a pull: the kept container starts again", async () => {
    const run = await deploy("a");
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.ok(!run.stdout.includes("pulling"), run.stdout);
    assert.match(run.stdout, /starting the kept release container /);
    assert.ok(run.seconds < 10, `took ${run.seconds.toFixed(1)} s`);
    assert.equal((await get(port, "/cgi-bin/version")).body.trim(), releases.a.version);
    const record = await releaseRecord(service);
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
        `^slipway: host local: another deploy of ${service} holds the lock on this host: ` +
          "stack it, root from 127\\.0\\.0\\.1 \\(pid \\d+\\) since \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ; try again when it ends\n$",
      ),
    );
    assert.equal((await get(port, "/cgi-bin/version")).body.trim(), releases.a.version);
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
      const lock = await sshExec(`flock -n /var/lib/slipway/${service}/lock true`);
      return lock.code === 0;
    }, 30_000);
    assert.equal((await releaseRecord(service)).current.digest, releases.b.digest);
    const rerun = await deploy("b");
    assert.equal(rerun.code, 0, `${rerun.stdout}\n${rerun.stderr}`);
    assert.match(rerun.stdout, /is already serving as /);
    assert.equal((await get(port, "/cgi-bin/version")).body.trim(), releases.b.version);
  });

  it("keeps the old release serving when a digest is not in the registry or login fails", async () => {
    const missing = await deploy("b", {
      ref: `${releases.b.ref.split("@")[0]}@sha256:${"0".repeat(64)}`,
    });
    assert.equal(missing.code, 1);
    assert.match(
      missing.stderr.trim().split("\n").pop()!,
      /^slipway: host local: cannot pull release 127\.0\.0\.1:5000\/.*@sha256:0{64}: .*not found/,
    );
    const closed = await freePort(18400);
    const login = await deploy("b", {
      ref: `127.0.0.1:${closed}/acme/web@${releases.b.digest}`,
      registryLogin: { server: `127.0.0.1:${closed}`, username: "slipway-it" },
    });
    assert.equal(login.code, 1);
    assert.match(
      login.stderr.trim().split("\n").pop()!,
      new RegExp(
        `^slipway: host local: docker login as slipway-it@127\\.0\\.0\\.1:${closed} failed: .*connection refused`,
      ),
    );
    assert.ok(
      !login.stderr.includes(REGISTRY_PASSWORD) && !login.stdout.includes(REGISTRY_PASSWORD),
    );
    assert.equal((await get(port, "/cgi-bin/version")).body.trim(), releases.b.version);
  });

  it("names the port when the published port is taken", async () => {
    const busy = await freePort(18500);
    const blocker = net.createServer().listen(busy, "0.0.0.0");
    const other = localDefinition(`${service}-busy`, busy, releases.a, releases.proxy);
    stops.push(other);
    try {
      const run = await runScript(deployScript(other), payloadFor({}));
      assert.equal(run.code, 1);
      assert.equal(
        run.stderr.trim().split("\n").pop(),
        `slipway: host local: port ${busy} is already in use on this host by another container or process; free it or choose another service.publishedPort`,
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it("runs the same script locally for the local target (no SSH)", async () => {
    const localPort = await freePort(18600);
    const local = localDefinition(`${service}-local`, localPort, releases.b, releases.proxy);
    stops.push(local);
    const run = await runScript(deployScript(local), payloadFor({}), "local");
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.equal((await get(localPort, "/cgi-bin/version")).body.trim(), releases.b.version);
    assert.match(run.stdout, /^slipway: host local: /m);
  });

  it("stops the service cleanly: no container, network or state left, images kept", async () => {
    const run = await runScript(stopScript(definition("a")), "");
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`stopped ${service}: removed 3 containers`));
    assert.deepEqual(await containersOf(service), []);
    const network = await runOk("docker", [
      "network",
      "ls",
      "--quiet",
      "--filter",
      `name=slipway-${service}$`,
    ]);
    assert.equal(network.stdout, "");
    assert.equal((await sshExec(`test -e /var/lib/slipway/${service}`)).code, 1);
    await runOk("docker", ["image", "inspect", releases.a.ref]);
    const again = await runScript(stopScript(definition("a")), "");
    assert.equal(again.code, 0);
    assert.match(again.stdout, /is not on this host; nothing to stop/);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${timeoutMs} ms`);
    }
    await sleep(100);
  }
}
