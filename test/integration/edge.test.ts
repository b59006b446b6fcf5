/**
 * The edge proxy itself, against the local sshd, Docker engine and registry, with the
 * scripts run as the resources run them: several services routed by host name on one port,
 * TLS from Caddy's internal CA checked with curl, route and port clashes, and a full disk
 * (a tmpfs state root) before a release.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import type { RouteConfig } from "../../src/config";
import { edgeNames } from "../../src/edge";
import {
  deployScript,
  edgeScript,
  parseReleaseRecord,
  stopScript,
  type EdgeDefinition,
  type ServiceDefinition,
} from "../../src/deploy";
import { run, runOk, useServices } from "../helpers/services";
import {
  cause,
  escape,
  itEdge,
  loadReport,
  localDefinition,
  payloadFor,
  removeEdge,
  removeService,
  request,
  runDelete,
  runScript,
  sharedReleases,
  underLoad,
  waitFor,
  type ReleaseSet,
  type ScriptRun,
} from "./deploy-fixture";

const PORT = 29080;
const FULL_ROOT = "/var/lib/slipway-it-full";
const FULL_PORT = 29082;
const ROUTES: Record<string, RouteConfig[]> = {
  "it-a": [{ host: "it-a.localhost", tls: true, redirect: false }],
  "it-b": [
    { host: "it-b.localhost", tls: false },
    { host: "it-b-tls.localhost", tls: true },
  ],
  // Claims it-a's host from another stack: refused (a service of the same stack may take a
  // route over, as a renamed service does).
  "it-c": [{ host: "it-a.localhost", tls: false }],
};

function output(script: ScriptRun): string {
  return `${script.stdout}\n${script.stderr}`;
}

/** What `host` answers on /cgi-bin/version through the edge on `port`. */
async function served(host: string, port = PORT): Promise<string> {
  const answer = await request(port, "/cgi-bin/version", { host });
  return answer.status === 200 ? answer.body.trim() : `HTTP ${answer.status}`;
}

/** Every container of the edge `name` (by name), with its id and when it started. */
async function edgeState(name: string): Promise<string[]> {
  const ids = await runOk("docker", [
    "ps",
    "--all",
    "--quiet",
    "--filter",
    `name=^${name}($|-replaced$|-caddy-)`,
  ]);
  const list = ids.stdout.split("\n").filter(Boolean);
  const inspect = await runOk("docker", [
    "container",
    "inspect",
    "--format",
    "{{.Name}} {{.Id}} {{.State.Running}} {{.State.StartedAt}}",
    ...list,
  ]);
  return inspect.stdout.split("\n").filter(Boolean).sort();
}

function curl(args: readonly string[]) {
  return run("curl", ["--silent", "--show-error", "--fail", "--max-time", "5", ...args]);
}

describe("the edge: host routing, TLS, clashes, a full disk (real sshd, Docker engine and registry)", function () {
  this.timeout(600_000);
  useServices(["docker", "registry", "sshd"]);

  let releases: ReleaseSet;
  let edge: EdgeDefinition;
  let fullEdge: EdgeDefinition;
  let work: string;
  const blockers: net.Server[] = [];
  const services = ["it-a", "it-b", "it-c"];

  const definition = (
    service: string,
    release: "a" | "b" | "broken",
    extra: Partial<ServiceDefinition> = {},
  ) => localDefinition(service, releases[release], { routes: ROUTES[service]!, ...extra });
  const deploy = (def: ServiceDefinition) => runScript(deployScript(def), payloadFor({}));

  async function cleanUp(): Promise<void> {
    for (const service of services) await removeService(service);
    await removeService("it-full", FULL_ROOT, "it-full-edge");
    await removeEdge(edge);
    await removeEdge(fullEdge);
    await run("umount", [FULL_ROOT]);
    await run("rmdir", [FULL_ROOT]);
  }

  before(async function () {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-it-edge-"));
    releases = await sharedReleases();
    edge = itEdge(releases.edge.ref);
    fullEdge = itEdge(releases.edge.ref, {
      name: "it-full-edge",
      httpPort: FULL_PORT,
      httpsPort: 29445,
      stateRoot: FULL_ROOT,
    });
    await cleanUp();
    const started = await runScript(edgeScript(edge));
    assert.equal(started.code, 0, output(started));
  });

  after(async function () {
    for (const blocker of blockers) blocker.close();
    if (releases !== undefined) {
      await cleanUp();
    }
    fs.rmSync(work, { recursive: true, force: true });
  });

  it("routes two services by host name on one port; a release of one cuts no request of the other", async () => {
    const a = await deploy(definition("it-a", "a"));
    assert.equal(a.code, 0, output(a));
    const b = await deploy(definition("it-b", "b"));
    assert.equal(b.code, 0, output(b));
    assert.match(b.stdout, /: loaded the new routes into it-edge\n/);
    assert.equal(await served("it-a.localhost"), releases.a.version);
    assert.equal(await served("it-b.localhost"), releases.b.version);
    const unrouted = await request(PORT, "/cgi-bin/version", { host: "it-none.localhost" });
    assert.deepEqual(
      [unrouted.status, unrouted.body],
      [404, "no service is routed here on this host\n"],
    );
    const redirect = await request(PORT, "/cgi-bin/version?x=1", { host: "it-b-tls.localhost" });
    assert.deepEqual(
      [redirect.status, redirect.headers.location],
      [308, "https://it-b-tls.localhost:29443/cgi-bin/version?x=1"],
    );
    // A release of it-b changes no route: no config reload, so it-a's clients see nothing.
    // (A route change does reload Caddy, which closes idle keep-alive connections: the
    // README says so.)
    const {
      result: b2,
      loads,
      keepAlive,
    } = await underLoad(PORT, "it-a.localhost", () => deploy(definition("it-b", "a")));
    assert.equal(b2.code, 0, output(b2));
    assert.doesNotMatch(b2.stdout, /loaded the new routes/);
    assert.equal(await served("it-b.localhost"), releases.a.version);
    assert.deepEqual(
      loads.map((load) => [load.failures, Object.keys(load.versions)]),
      [
        [0, [releases.a.version]],
        [0, [releases.a.version]],
      ],
      loadReport(loads),
    );
    assert.equal(keepAlive.sockets, 4, "a release closed keep-alive connections");
    const back = await deploy(definition("it-b", "b"));
    assert.equal(back.code, 0, output(back));
  });

  it("serves TLS with the internal CA: curl --cacert the edge's root certificate", async () => {
    // The internal CA's root, from the edge's data volume (the edge's /data).
    const root = path.join(work, "root.crt");
    const volume = edgeNames("it-edge", "/var/lib/slipway").dataVolume;
    await waitFor(async () => {
      const cat = await run("docker", [
        ...["run", "--rm", "--network", "none", "--volume", `${volume}:/data:ro`],
        ...["--entrypoint", "/bin/busybox", releases.edge.ref],
        ...["cat", "/data/caddy/pki/authorities/local/root.crt"],
      ]);
      if (cat.code === 0) fs.writeFileSync(root, cat.stdout);
      return cat.code === 0;
    }, 10_000);
    const resolve = (host: string) => ["--resolve", `${host}:29443:127.0.0.1`];
    const health = await curl([
      "--cacert",
      root,
      ...resolve("it-a.localhost"),
      "https://it-a.localhost:29443/healthz",
    ]);
    assert.equal(health.code, 0, health.stderr);
    const version = await curl([
      "--cacert",
      root,
      ...resolve("it-b-tls.localhost"),
      "https://it-b-tls.localhost:29443/cgi-bin/version",
    ]);
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout.trim(), releases.b.version);
    const untrusted = await curl([
      ...resolve("it-a.localhost"),
      "https://it-a.localhost:29443/healthz",
    ]);
    assert.equal(untrusted.code, 60, untrusted.stderr);
  });

  it("refuses a service of another stack claiming it-a.localhost, naming it-a", async () => {
    const clash = await deploy(definition("it-c", "b", { stack: "it-other" }));
    assert.equal(clash.code, 1, output(clash));
    assert.deepEqual(
      (await runOk("docker", ["ps", "--all", "--quiet", "--filter", "label=slipway.service=it-c"]))
        .stdout,
      "",
    );
    assert.equal(await served("it-a.localhost"), releases.a.version);
    assert.equal(
      cause(clash),
      "slipway: host local: the route for host it-a.localhost, any path is already served by service it-a " +
        "of stack it on this host; give this service another host or path in slipway:service.routes",
    );
  });

  it("a taken port fails the new edge, the old one keeps serving; the same edge again is a no-op", async () => {
    const blocker = net.createServer();
    blockers.push(blocker);
    await new Promise<void>((resolve) => blocker.listen(29180, "127.0.0.1", resolve));
    const before = await edgeState("it-edge");
    const moved = itEdge(releases.edge.ref, { httpPort: 29180, httpsPort: 29543 });
    const { result: clash, loads } = await underLoad(PORT, "it-a.localhost", () =>
      runScript(edgeScript(moved)),
    );
    assert.equal(clash.code, 1, output(clash));
    assert.equal(
      cause(clash),
      "slipway: host local: port 29180 or 29543 on 127.0.0.1 is already in use on this host by " +
        "another container or process; the previous edge keeps serving; free the port or change " +
        "slipway:edge.httpPort/httpsPort",
    );
    assert.deepEqual(
      loads.map((load) => load.failures),
      [0, 0],
      loadReport(loads),
    );
    assert.deepEqual(await edgeState("it-edge"), before);
    // A route change after the failed move renders the old edge's config, ports included.
    const other = await deploy(
      definition("it-c", "b", { routes: [{ host: "it-c.localhost", tls: false }] }),
    );
    assert.equal(other.code, 0, output(other));
    assert.equal(await served("it-c.localhost"), releases.b.version);
    const redirect = await request(PORT, "/", { host: "it-b-tls.localhost" });
    const again = await runScript(edgeScript(edge));
    assert.equal(again.code, 0, output(again));
    assert.match(
      again.stdout,
      new RegExp(
        `: the edge it-edge runs ${escape(releases.edge.ref)} on 127\\.0\\.0\\.1:29080( and)? 127\\.0\\.0\\.1:29443\n$`,
      ),
    );
    assert.deepEqual(await edgeState("it-edge"), before);
    assert.equal(await served("it-a.localhost"), releases.a.version);
    // Checked last (the re-run above rewrote it): the failed move left its HTTPS port behind.
    assert.equal(redirect.headers.location, "https://it-b-tls.localhost:29443/");
  });

  it("a full disk before a release: nothing switched, A keeps serving, release.json names A", async () => {
    await runOk("mkdir", ["-p", FULL_ROOT]);
    await runOk("mount", ["-t", "tmpfs", "-o", "size=4m,mode=0755", "tmpfs", FULL_ROOT]);
    const started = await runScript(edgeScript(fullEdge));
    assert.equal(started.code, 0, output(started));
    const full = (release: "a" | "b") =>
      localDefinition("it-full", releases[release], { stateRoot: FULL_ROOT, edge: "it-full-edge" });
    const first = await deploy(full("a"));
    assert.equal(first.code, 0, output(first));
    assert.equal(await served("it-full.localhost", FULL_PORT), releases.a.version);
    await run("dd", ["if=/dev/zero", `of=${FULL_ROOT}/fill`, "bs=64k"]);
    const df = await runOk("df", ["--output=avail", FULL_ROOT]);
    assert.equal(df.stdout.trim().split("\n").pop()!.trim(), "0");
    const { result: second, loads } = await underLoad(FULL_PORT, "it-full.localhost", () =>
      deploy(full("b")),
    );
    assert.equal(second.code, 1, output(second));
    assert.deepEqual(
      loads.map((load) => [load.failures, Object.keys(load.versions)]),
      [
        [0, [releases.a.version]],
        [0, [releases.a.version]],
      ],
      loadReport(loads),
    );
    const record = parseReleaseRecord(fs.readFileSync(`${FULL_ROOT}/it-full/release.json`, "utf8"));
    assert.equal(record.current.digest, releases.a.digest);
    const states = await runOk("docker", [
      "ps",
      "--all",
      "--filter",
      "label=slipway.service=it-full",
      "--format",
      '{{.Label "slipway.digest"}}',
    ]);
    assert.deepEqual(states.stdout.split("\n").filter(Boolean), [releases.a.digest]);
    fs.rmSync(`${FULL_ROOT}/fill`);
    const retry = await deploy(full("b"));
    assert.equal(retry.code, 0, output(retry));
    assert.equal(await served("it-full.localhost", FULL_PORT), releases.b.version);
    const stop = await runDelete(stopScript(full("b")));
    assert.equal(stop.code, 0, output(stop));
    // Last, so that the checks above run whatever it says: the cause names the full disk.
    assert.equal(
      cause(second),
      `slipway: host local: cannot write under ${FULL_ROOT}/it-full (disk full?); nothing was changed`,
    );
  });
});
