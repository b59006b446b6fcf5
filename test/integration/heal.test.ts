/**
 * Hosts that heal themselves (real sshd, Docker engine and registry): the edge, a routed
 * service and PostgreSQL as an accessory are deployed with the scripts the program renders,
 * which start the host's supervisor. Then each is killed for real — `docker kill` of the
 * release container, `kill -9` of its process (Docker's restart policy), `docker kill` of the
 * edge's Caddy and of PostgreSQL — under a keep-alive and a fresh-connection load through the
 * edge. Each must be back within 10 s, by itself; the figures (time back, failed requests) are
 * printed; the event is in the host's records, and status's judgement over the host's probe
 * says what runs and names the restart. A held deploy lock keeps the supervisor away; the
 * removal scripts leave no supervisor behind.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import {
  accessoryNames,
  accessoryRemoveScript,
  accessoryScript,
  deployScript,
  edgeRemoveScript,
  edgeScript,
  hostProbeScript,
  parseHostProbe,
  parseProbe,
  probeScript,
  stopScript,
  supervisorDir,
  SUPERVISOR_TICK_SECONDS,
  type AccessoryDefinition,
  type ServiceDefinition,
} from "../../src/deploy";
import { judgeHost } from "../../src/cli/probe-hosts";
import { REPO_ROOT, run, runOk, sshExec, useServices } from "../helpers/services";
import {
  buildAndPush,
  itEdge,
  loadLoop,
  localDefinition,
  payloadFor,
  request,
  runDelete,
  runScript,
  sharedReleases,
  sleep,
  type LoadResult,
  type Release,
  type ReleaseSet,
  type ScriptRun,
} from "./deploy-fixture";

const STACK = "it-heal";
const ROOT = "/var/lib/slipway-heal";
const NETWORK = "slipway-it-heal";
const EDGE = "it-heal-edge";
const PORT = 29280;
const WEB = "it-heal-web";
const HOST = `${WEB}.localhost`;
const BACK_WITHIN_MS = 10_000;
const PG_PASSWORD = `pg-${Math.random().toString(36).slice(2, 12)}`;

function output(r: ScriptRun): string {
  return `${r.stdout}\n${r.stderr}`;
}

/** What one fault cost: time until it answered again, and the requests that failed meanwhile. */
interface Figures {
  readonly backMs: number;
  readonly keepAlive: LoadResult;
  readonly fresh: LoadResult;
}

function report(label: string, f: Figures): string {
  const one = (name: string, l: LoadResult) =>
    `${name} ${l.failures}/${l.requests} failed${l.errors.length === 0 ? "" : ` (${[...new Set(l.errors)].slice(0, 3).join("; ")})`}`;
  return `${label}: back after ${(f.backMs / 1000).toFixed(1)} s; ${one("keep-alive", f.keepAlive)}, ${one("fresh", f.fresh)}`;
}

/**
 * Runs `fault` under a keep-alive load (4 sockets) and a fresh-connection load (2 loops) on
 * the edge, then polls `back` every 100 ms until it is true (the time back), and lets the
 * loads run one more second.
 */
async function underFault(
  fault: () => Promise<void>,
  back: () => Promise<boolean>,
): Promise<Figures> {
  const keepAlive = loadLoop(PORT, "/cgi-bin/version", 4, { host: HOST, keepAlive: true });
  const fresh = loadLoop(PORT, "/cgi-bin/version", 2, { host: HOST });
  const loads: LoadResult[] = [];
  await sleep(1000);
  const at = performance.now();
  let backMs = Number.POSITIVE_INFINITY;
  try {
    await fault();
    while (performance.now() - at < BACK_WITHIN_MS + 20_000) {
      if (await back().catch(() => false)) {
        backMs = performance.now() - at;
        break;
      }
      await sleep(100);
    }
    await sleep(1000);
  } finally {
    loads.push(await keepAlive.stop(), await fresh.stop());
  }
  return { backMs, keepAlive: loads[0]!, fresh: loads[1]! };
}

/** One request through the edge answers 200. */
async function served(): Promise<boolean> {
  const answer = await request(PORT, "/cgi-bin/version", { host: HOST, timeoutMs: 1000 });
  return answer.status === 200;
}

async function inspect(container: string, format: string): Promise<string> {
  return (
    await run("docker", ["container", "inspect", "--format", format, container])
  ).stdout.trim();
}

function readOnHost(file: string): string {
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
}

/** Whether a supervisor process holds the root's supervisor lock. */
async function supervisorRuns(): Promise<boolean> {
  const lock = path.posix.join(supervisorDir(ROOT), "lock");
  const free = await sshExec(`[ -e ${lock} ] && flock -n ${lock} true`);
  return fs.existsSync(lock) && free.code !== 0;
}

describe("hosts heal themselves: the supervisor brings back what the records name (real sshd, Docker engine and registry)", function () {
  this.timeout(900_000);
  useServices(["docker", "registry", "sshd"]);

  let releases: ReleaseSet;
  let postgres: Release;
  const figures: string[] = [];
  const edge = () =>
    itEdge(releases.edge.ref, {
      name: EDGE,
      stack: STACK,
      stateRoot: ROOT,
      httpPort: PORT,
      httpsPort: 29643,
    });
  const web = (): ServiceDefinition =>
    localDefinition(WEB, releases.a, {
      stack: STACK,
      edge: EDGE,
      stateRoot: ROOT,
      network: NETWORK,
      healthTimeoutSeconds: 30,
    });
  const pg = (): AccessoryDefinition => ({
    host: "local",
    stack: STACK,
    name: "postgres",
    stateRoot: ROOT,
    network: NETWORK,
    image: "postgres",
    ref: postgres.ref,
    command: [],
    env: { POSTGRES_USER: "heal", POSTGRES_DB: "heal" },
    secretEnvNames: ["POSTGRES_PASSWORD"],
    volumes: { data: "/var/lib/postgresql/data" },
    ports: [],
    healthCommand: ["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"],
    healthTimeoutSeconds: 120,
  });
  const pgContainer = () => accessoryNames(pg()).container;
  const current = () => readOnHost(`${ROOT}/${WEB}/current`).trim();
  const caddy = () => readOnHost(`${ROOT}/_edge/${EDGE}/caddy`).trim();

  async function removeAll(): Promise<void> {
    await runDelete(stopScript({ ...web(), network: NETWORK }));
    await runDelete(accessoryRemoveScript({ ...pg(), volumes: ["data"], deleteVolumes: true }));
    await runDelete(edgeRemoveScript(edge()));
  }

  /** The status judgement of the web service over the host's probe, as `slipway status` makes it. */
  async function judged() {
    const probe = parseProbe((await sshExec(probeScript(web()))).stdout);
    const now = current();
    return {
      probe,
      host: judgeHost("local", probe, releases.a.digest, STACK, `${now}:${web().containerPort}`),
    };
  }

  before(async function () {
    releases = await sharedReleases();
    await runOk(path.join(REPO_ROOT, "scripts", "fetch-accessories.sh"), ["postgres"], {
      timeoutMs: 900_000,
    });
    postgres = await buildAndPush(
      `${releases.namespace}/postgres`,
      "17",
      "examples/accessories/postgres",
      {},
    );
    // A run that failed half-way may have left the root, its containers and its supervisor.
    await removeAll();
    await sshExec(
      `if [ -s ${ROOT}/_supervisor/pid ]; then kill "$(cat ${ROOT}/_supervisor/pid)" 2>/dev/null || true; fi; rm -rf ${ROOT}`,
    );
    const made = await runScript(edgeScript(edge()));
    assert.equal(made.code, 0, output(made));
    // The first script on the root starts its supervisor; the next ones find it running.
    assert.match(made.stdout, new RegExp(`started the supervisor of ${ROOT}:`));
    const db = await runScript(
      accessoryScript(pg()),
      payloadFor({ POSTGRES_PASSWORD: PG_PASSWORD }),
    );
    assert.equal(db.code, 0, output(db));
    const up = await runScript(deployScript(web()), payloadFor({}));
    assert.equal(up.code, 0, output(up));
    assert.doesNotMatch(`${db.stdout}${up.stdout}`, /started the supervisor/);
  });

  after(async function () {
    if (figures.length > 0) console.log(`\n    ${figures.join("\n    ")}`);
    if (releases === undefined) return;
    try {
      await removeAll();
      await run("docker", ["volume", "rm", `${EDGE}-data`]);
    } finally {
      await sshExec(`rm -rf ${ROOT}`);
    }
  });

  it("the deploy, edge and accessory scripts leave one supervisor running, in its own session", async () => {
    assert.ok(await supervisorRuns(), "a supervisor holds the lock");
    const pid = readOnHost(`${supervisorDir(ROOT)}/pid`).trim();
    const again = await runScript(deployScript(web()), payloadFor({}));
    assert.equal(again.code, 0, output(again));
    assert.doesNotMatch(again.stdout, /started the supervisor/);
    assert.equal(readOnHost(`${supervisorDir(ROOT)}/pid`).trim(), pid, "the same supervisor");
    // Its own session: the SSH connection that started it is long gone.
    const sid = (await runOk("ps", ["-o", "sid=", "-p", pid])).stdout.trim();
    assert.equal(sid, pid);
  });

  it("docker kill of the web release container: back by itself within 10 s, recorded, status true", async () => {
    const name = current();
    const f = await underFault(
      async () => void (await runOk("docker", ["kill", name])),
      async () => (await inspect(name, "{{.State.Status}}")) === "running" && (await served()),
    );
    figures.push(report("docker kill web", f));
    assert.ok(f.backMs <= BACK_WITHIN_MS, report("docker kill web", f));
    const events = readOnHost(`${ROOT}/${WEB}/events`);
    assert.match(
      events,
      new RegExp(
        `^\\S+Z ${name} exited with code 137 at \\S+; the supervisor started it again$`,
        "m",
      ),
    );
    const { probe, host } = await judged();
    assert.equal(probe.container.kind === "found" && probe.container.status, "running");
    assert.equal(host.state, "in-sync", host.error);
    assert.match(host.note ?? "", new RegExp(`last restart: \\S+Z ${name} exited with code 137`));
  });

  it("kill -9 of the web's process: Docker's restart policy brings it back, the supervisor records it", async () => {
    const name = current();
    const pid = await inspect(name, "{{.State.Pid}}");
    const f = await underFault(
      async () => void (await runOk("kill", ["-9", pid])),
      async () =>
        (await inspect(name, "{{.State.Pid}}")) !== pid &&
        (await inspect(name, "{{.State.Status}}")) === "running" &&
        (await served()),
    );
    figures.push(report("kill -9 web process", f));
    assert.ok(f.backMs <= BACK_WITHIN_MS, report("kill -9 web process", f));
    await sleep(SUPERVISOR_TICK_SECONDS * 1000 + 1000);
    assert.match(
      readOnHost(`${ROOT}/${WEB}/events`),
      new RegExp(`${name} exited at \\S+; the restart policy of Docker started it again$`, "m"),
    );
    const { host } = await judged();
    assert.equal(host.state, "in-sync", host.error);
  });

  it("docker kill of the edge's Caddy: every route back within 10 s, the edge's event recorded", async () => {
    const name = caddy();
    const f = await underFault(async () => void (await runOk("docker", ["kill", name])), served);
    figures.push(report("docker kill edge (Caddy)", f));
    assert.ok(f.backMs <= BACK_WITHIN_MS, report("docker kill edge (Caddy)", f));
    assert.match(
      readOnHost(`${ROOT}/_edge/${EDGE}/events`),
      new RegExp(`${name} exited with code 137 at \\S+; the supervisor started it again$`, "m"),
    );
    const { probe, host } = await judged();
    assert.equal(probe.edge, "running");
    assert.match(probe.edgeEvent ?? "", new RegExp(`${name} exited with code 137`));
    assert.equal(host.state, "in-sync", host.error);
  });

  it("docker kill of PostgreSQL: accepting connections again within 10 s, status names the restart", async () => {
    const container = pgContainer();
    const ready = async () =>
      (await run("docker", ["exec", container, "pg_isready", "-q", "-h", "127.0.0.1"])).code === 0;
    assert.ok(await ready(), "PostgreSQL is ready before the fault");
    const f = await underFault(
      async () => void (await runOk("docker", ["kill", container])),
      ready,
    );
    figures.push(report("docker kill postgres", f));
    assert.ok(f.backMs <= BACK_WITHIN_MS, report("docker kill postgres", f));
    // The web service does not use the database: its requests do not fail meanwhile.
    assert.equal(f.keepAlive.failures + f.fresh.failures, 0, report("docker kill postgres", f));
    const probed = await sshExec(
      hostProbeScript(
        [],
        [{ name: "postgres", container, stateDir: accessoryNames(pg()).stateDir }],
      ),
    );
    const seen = parseHostProbe(probed.stdout).accessories.postgres;
    assert.equal(seen?.kind === "found" && seen.status, "running");
    assert.match(
      seen?.event ?? "",
      new RegExp(
        `^\\S+Z ${container} exited with code 137 at \\S+; the supervisor started it again$`,
      ),
    );
  });

  it("leaves a container alone while its deploy lock is held, and starts it once the lock is free", async () => {
    const name = current();
    const holder = sshExec(`flock ${ROOT}/${WEB}/lock sleep 8`);
    await sleep(500);
    await runOk("docker", ["kill", name]);
    await sleep(SUPERVISOR_TICK_SECONDS * 1000 * 2 + 1000);
    assert.equal(await inspect(name, "{{.State.Status}}"), "exited", "left to the lock's holder");
    await holder;
    const freed = performance.now();
    while ((await inspect(name, "{{.State.Status}}")) !== "running") {
      assert.ok(performance.now() - freed < BACK_WITHIN_MS, "started once the lock was free");
      await sleep(100);
    }
  });

  it("a killed supervisor: status says DRIFT and names it, and a killed Caddy then as the edge; repair's edge script starts both again", async () => {
    const pid = readOnHost(`${supervisorDir(ROOT)}/pid`).trim();
    await runOk("kill", ["-9", pid]);
    const killed = performance.now();
    // Its last child (a sleep, a docker call) holds the lock until it ends.
    while (await supervisorRuns()) {
      assert.ok(performance.now() - killed < 10_000, "the supervisor's lock is free");
      await sleep(200);
    }
    const drift = (await judged()).host;
    assert.equal(drift.state, "drift");
    assert.equal(
      drift.error,
      "the host's supervisor is not running: a container that stops stays down",
    );
    // With nothing to bring it back, a killed Caddy is named as the edge (its holder runs on);
    // the edge script, which `slipway repair` runs for a down edge, starts a Caddy again.
    const proxy = caddy();
    await runOk("docker", ["kill", proxy]);
    const down = await judged();
    assert.equal(down.probe.edge, `exited (its Caddy container ${proxy})`);
    assert.equal(
      down.host.error,
      `the edge is exited (its Caddy container ${proxy}): no request reaches the service; ` +
        "the host's supervisor is not running: a container that stops stays down",
    );
    const edgeAgain = await runScript(edgeScript(edge()));
    assert.equal(edgeAgain.code, 0, output(edgeAgain));
    assert.notEqual(caddy(), proxy);
    assert.ok(await served(), "the routes answer through the new Caddy");
    // Like every script on the root, it started the supervisor again; the deploy finds it.
    assert.match(edgeAgain.stdout, new RegExp(`started the supervisor of ${ROOT}:`));
    assert.ok(await supervisorRuns());
    const again = await runScript(deployScript(web()), payloadFor({}));
    assert.equal(again.code, 0, output(again));
    assert.doesNotMatch(again.stdout, /started the supervisor/);
    assert.equal((await judged()).host.state, "in-sync");
  });

  it("the removal scripts stop the supervisor with the root's last service, accessory and edge", async () => {
    await runDelete(stopScript({ ...web(), network: NETWORK }));
    assert.ok(await supervisorRuns(), "the accessory and the edge remain: it keeps running");
    await runDelete(accessoryRemoveScript({ ...pg(), volumes: ["data"], deleteVolumes: true }));
    const removed = await runDelete(edgeRemoveScript(edge()));
    assert.equal(removed.code, 0, output(removed));
    assert.match(removed.stdout, /stopped the supervisor of \/var\/lib\/slipway-heal/);
    assert.equal(await supervisorRuns(), false);
    assert.equal(fs.existsSync(supervisorDir(ROOT)), false);
    const left = await run("pgrep", ["-f", `${supervisorDir(ROOT)}/supervisor.sh`]);
    assert.equal(left.stdout.trim(), "", "no supervisor process is left");
  });
});
