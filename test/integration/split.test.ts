/**
 * Slipway's own Caddy module (`slipway_split`, scripts/engine/caddy/split) in the real edge
 * image, on the local Docker engine: the edge image built from examples/edge/ with a Caddy
 * that carries the module, two busybox httpd releases on a network, and the config the
 * edge renders for a service with a rollout (src/edge: configParts, routeLines with a split).
 * A split file with weight 10 sends 10% ± 5 of 2,000 requests (keep-alive and fresh
 * connections) to the new release; a rename to weight 50 under load fails no request and
 * closes no keep-alive connection; the counters file agrees with what the clients saw.
 *
 * The Caddy binary: $SLIPWAY_SPLIT_CADDY, or the one scripts/bootstrap-engine.sh built
 * ($SLIPWAY_HOME/bin/caddy-linux-<arch>), which must list the module.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as http from "node:http";
import type * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import {
  canarySplit,
  configParts,
  parseSplitStats,
  routeFileText,
  routeLines,
  splitStatsPath,
  type SplitStats,
} from "../../src/edge";
import { command, splitJudge } from "../../src/deploy";
import { request, sleep } from "../helpers/load";
import { renderOnHost } from "../unit/edge/render";
import {
  FETCH_BUSYBOX_SH,
  REPO_ROOT,
  run,
  runOk,
  SLIPWAY_HOME,
  useServices,
} from "../helpers/services";

const ARCH = process.arch === "arm64" ? "arm64" : "amd64";
const NAME = "it-split";
const IMAGE = "slipway-it/split-edge:local";
const PORT = 29180;
const NEW = `${NAME}-new:8080`;
const OLD = `${NAME}-old:8080`;

function caddyBinary(): string {
  return process.env.SLIPWAY_SPLIT_CADDY ?? path.join(SLIPWAY_HOME, "bin", `caddy-linux-${ARCH}`);
}

/** Renames `text` into `file`, as the host changes a split: one rename. */
function renameInto(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  fs.writeFileSync(tmp, text, { mode: 0o644 });
  fs.renameSync(tmp, file);
}

interface Tally {
  readonly bodies: Record<string, number>;
  failures: number;
  readonly errors: string[];
  readonly sockets: Set<net.Socket>;
}

function tally(): Tally {
  return { bodies: {}, failures: 0, errors: [], sockets: new Set() };
}

/** `count` requests, `concurrency` at a time, counted into `into`. */
async function send(
  count: number,
  concurrency: number,
  into: Tally,
  agent?: http.Agent,
): Promise<void> {
  let left = count;
  const worker = async () => {
    while (left > 0) {
      left--;
      try {
        const answer = await request(PORT, "/", {
          host: "web.localhost",
          ...(agent === undefined ? {} : { agent }),
        });
        if (answer.status !== 200) {
          into.failures++;
          into.errors.push(`${answer.status} ${answer.body.slice(0, 100)}`);
          continue;
        }
        const body = answer.body.trim();
        into.bodies[body] = (into.bodies[body] ?? 0) + 1;
        if (answer.socket !== undefined) {
          into.sockets.add(answer.socket);
        }
      } catch (error) {
        into.failures++;
        into.errors.push(String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

function share(t: Tally, body: string): number {
  const total = Object.values(t.bodies).reduce((sum, n) => sum + n, 0);
  return (100 * (t.bodies[body] ?? 0)) / total;
}

async function readStats(): Promise<SplitStats> {
  const out = await runOk("docker", [
    "exec",
    `${NAME}-edge`,
    "/bin/busybox",
    "cat",
    splitStatsPath("web"),
  ]);
  return parseSplitStats(out.stdout);
}

async function cleanup(): Promise<void> {
  for (const container of [`${NAME}-edge`, `${NAME}-new`, `${NAME}-old`]) {
    await run("docker", ["rm", "-f", container]);
  }
  await run("docker", ["network", "rm", NAME]);
}

describe("the edge's split module, in the real edge image under load", function () {
  this.timeout(900_000);
  useServices(["docker"]);
  let state: string;
  let splitFile: string;

  before(async function () {
    const caddy = caddyBinary();
    const modules = await run(caddy, ["list-modules"]);
    assert.match(
      modules.stdout,
      /^http\.handlers\.slipway_split$/m,
      `${caddy} has no slipway_split module: rebuild it (scripts/bootstrap-engine.sh --only caddy)`,
    );
    await runOk(FETCH_BUSYBOX_SH, [], { timeoutMs: 300_000 });
    // The edge image as examples/edge/ builds it, with this Caddy.
    const context = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-split-edge-"));
    fs.copyFileSync(
      path.join(REPO_ROOT, "examples", "edge", "Dockerfile"),
      path.join(context, "Dockerfile"),
    );
    fs.mkdirSync(path.join(context, "bin", ARCH), { recursive: true });
    fs.copyFileSync(
      path.join(REPO_ROOT, "examples", "edge", "bin", ARCH, "busybox"),
      path.join(context, "bin", ARCH, "busybox"),
    );
    fs.copyFileSync(caddy, path.join(context, "bin", ARCH, "caddy"));
    fs.chmodSync(path.join(context, "bin", ARCH, "caddy"), 0o755);
    fs.chmodSync(path.join(context, "bin", ARCH, "busybox"), 0o755);
    await runOk("docker", ["build", "--quiet", "--tag", IMAGE, context], { timeoutMs: 300_000 });
    fs.rmSync(context, { recursive: true, force: true });

    await cleanup();
    await runOk("docker", ["network", "create", NAME]);
    // Two releases: busybox httpd answering its name.
    for (const release of ["new", "old"]) {
      await runOk("docker", [
        "run",
        "--detach",
        "--name",
        `${NAME}-${release}`,
        "--network",
        NAME,
        "--entrypoint",
        "/bin/busybox",
        IMAGE,
        "sh",
        "-c",
        `mkdir -p /tmp/www && echo ${release} > /tmp/www/index.html && exec /bin/busybox httpd -f -p 8080 -h /tmp/www`,
      ]);
    }
    // The edge's state directory, as the host's scripts lay it out, and its config.
    state = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-split-state-"));
    fs.chmodSync(state, 0o755);
    splitFile = path.join(state, "split", "web");
    renameInto(path.join(state, "upstreams", "web"), `${OLD}\n`);
    const lines = routeLines("web", [{ host: "web.localhost", tls: false }], ["web"], {
      sticky: false,
    });
    renameInto(path.join(state, "routes", "web"), routeFileText(lines));
    // Rendered by the host's own renderer (edge_render), as a deploy renders it.
    const config = renderOnHost(
      configParts({ tls: "internal" }),
      { web: routeFileText(lines) },
      "",
    );
    renameInto(path.join(state, "caddy.json"), config);
    await runOk("docker", [
      "run",
      "--detach",
      "--name",
      `${NAME}-edge`,
      "--network",
      NAME,
      "--publish",
      `127.0.0.1:${PORT}:80`,
      "--volume",
      `${state}:/etc/slipway:ro`,
      "--tmpfs",
      "/run/caddy",
      "--tmpfs",
      "/config",
      "--tmpfs",
      "/data",
      "--read-only",
      IMAGE,
      "caddy",
      "run",
      "--config",
      "/etc/slipway/caddy.json",
    ]);
    for (let i = 0; ; i++) {
      const probe = await request(PORT, "/", { host: "web.localhost" }).catch(() => undefined);
      if (probe?.status === 200) {
        break;
      }
      assert.ok(i < 100, "the edge did not answer within 10 s");
      await sleep(100);
    }
  });

  after(async function () {
    if (process.env.SLIPWAY_KEEP_SERVICES !== "1") {
      await cleanup();
      fs.rmSync(state, { recursive: true, force: true });
    }
  });

  it("without a split file, routes every request to the service's upstream file", async () => {
    const t = tally();
    await send(100, 4, t);
    assert.deepEqual(t.bodies, { old: 100 });
    assert.equal(t.failures, 0);
  });

  let atStart: SplitStats;
  const sent: Record<string, number> = {};
  const count = (t: Tally) => {
    for (const [body, n] of Object.entries(t.bodies)) {
      sent[body] = (sent[body] ?? 0) + n;
    }
  };

  it("weight 10: 10% ± 5 of 2,000 requests, keep-alive and fresh connections", async () => {
    renameInto(splitFile, canarySplit([NEW], [OLD], 10));
    await sleep(1500); // a stats file with the split in it
    atStart = await readStats();
    assert.deepEqual(atStart.split, [
      { upstream: NEW, weight: 10 },
      { upstream: OLD, weight: 90 },
    ]);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const kept = tally();
    const fresh = tally();
    await Promise.all([send(1000, 4, kept, agent), send(1000, 8, fresh)]);
    agent.destroy();
    for (const [what, t] of [
      ["keep-alive", kept],
      ["fresh", fresh],
    ] as const) {
      assert.equal(t.failures, 0, `${what}: ${t.errors.slice(0, 5).join("; ")}`);
      const got = share(t, "new");
      console.log(`      ${what}: ${t.bodies.new ?? 0} of 1000 to new (${got.toFixed(1)}%)`);
      assert.ok(Math.abs(got - 10) <= 5, `${what}: ${got}% to new, want 10 ± 5`);
    }
    assert.ok(kept.sockets.size <= 4, `keep-alive used ${kept.sockets.size} connections`);
    count(kept);
    count(fresh);
  });

  it("a rename to weight 50 under load: 0 failed, no keep-alive connection closed, 50% ± 5 after", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    const beforeSwitch = tally();
    const afterSwitch = tally();
    const fresh = tally();
    let switched = false;
    const closed: string[] = [];
    const kept = (async () => {
      while (!switched || Object.values(afterSwitch.bodies).reduce((s, n) => s + n, 0) < 1000) {
        await send(50, 2, switched ? afterSwitch : beforeSwitch, agent);
      }
    })();
    const freshLoad = (async () => {
      while (!switched || Object.values(fresh.bodies).reduce((s, n) => s + n, 0) < 1000) {
        await send(50, 4, fresh);
      }
    })();
    await sleep(1000);
    for (const socket of beforeSwitch.sockets) {
      socket.on("close", () => closed.push("closed"));
    }
    renameInto(splitFile, canarySplit([NEW], [OLD], 50));
    await sleep(50);
    switched = true;
    await Promise.all([kept, freshLoad]);
    const sockets = new Set([...beforeSwitch.sockets, ...afterSwitch.sockets]);
    for (const [what, t] of [
      ["keep-alive before", beforeSwitch],
      ["keep-alive after", afterSwitch],
      ["fresh", fresh],
    ] as const) {
      assert.equal(t.failures, 0, `${what}: ${t.errors.slice(0, 5).join("; ")}`);
    }
    assert.deepEqual(closed, [], "a keep-alive connection was closed by the edge");
    assert.ok(sockets.size <= 2, `keep-alive used ${sockets.size} connections, not at most 2`);
    const got = share(afterSwitch, "new");
    console.log(
      `      keep-alive after the rename: ${afterSwitch.bodies.new ?? 0} of ${
        (afterSwitch.bodies.new ?? 0) + (afterSwitch.bodies.old ?? 0)
      } to new (${got.toFixed(1)}%) on ${sockets.size} connections; fresh: ${JSON.stringify(fresh.bodies)}`,
    );
    assert.ok(Math.abs(got - 50) <= 5, `${got}% to new after the rename, want 50 ± 5`);
    agent.destroy();
    count(beforeSwitch);
    count(afterSwitch);
    count(fresh);
  });

  it("counts each side as the clients saw it, in the stats file", async () => {
    await sleep(1500); // the next write
    const stats = await readStats();
    assert.equal(stats.since, atStart.since);
    assert.equal(stats.splitError, "");
    assert.deepEqual(stats.split, [
      { upstream: NEW, weight: 50 },
      { upstream: OLD, weight: 50 },
    ]);
    const requests = (side: string) =>
      stats.sides[side]!.requests - (atStart.sides[side]?.requests ?? 0);
    const errors = (side: string) => stats.sides[side]!.errors - (atStart.sides[side]?.errors ?? 0);
    console.log(
      `      stats: new ${requests(NEW)} requests, ${errors(NEW)} 5xx; old ${requests(OLD)}, ${errors(OLD)} 5xx`,
    );
    assert.equal(requests(NEW), sent.new);
    assert.equal(requests(OLD), sent.old);
    assert.equal(errors(NEW) + errors(OLD), 0);
    // The edge's own judge (caddy slipway-split-judge), as the deploy runs it: the start on stdin.
    const start = path.join(state, "judge-start.json");
    fs.writeFileSync(start, JSON.stringify(atStart));
    const judge = command(
      splitJudge(
        `${NAME}-edge`,
        "web",
        { maxErrorRate: 1, minRequests: 20, maxP95Ms: 1000 },
        NEW,
        "canary 50%",
      ),
    );
    const verdict = await run("sh", ["-c", `${judge} < ${start}`]);
    console.log(`      judge: ${verdict.stdout.trim()}`);
    assert.equal(verdict.code, 0, verdict.stdout + verdict.stderr);
    assert.match(
      verdict.stdout,
      new RegExp(
        `^canary 50%: 0 of ${sent.new} requests failed \\(0% ≤ 1%\\), p95 \\d+ ms ≤ 1000 ms\n$`,
      ),
    );
  });
});
