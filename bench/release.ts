/**
 * Release benchmark through the path a user runs, on a twin of the local stacks (its own
 * edge, ports, names and backend; see test/helpers/twin.ts), with the real engine:
 *
 *   npx ts-node --transpile-only bench/release.ts
 *
 * 1. `pulumi up` of the twin's local stack (first deploy, no load).
 * 2. Throughput side by side, in one run: wrk -c8 keep-alive through the edge vs the same
 *    release image published directly, alternating rounds; mean latency of each.
 * 3. Under two loads at once — keep-alive (8 sockets kept open, node http.Agent) and fresh
 *    connections (a new TCP connection per request) — each checking every answer's body:
 *    a new commit + `pulumi up` (a release); `slipway promote` twice (first and second
 *    release on local-prod); `slipway rollback`; and a proxy upgrade (a new edge image:
 *    an edge context change, then `pulumi up`).
 * Prints a Markdown table and writes bench/results/release-<time>.json.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { load, sleep, type LoadCount } from "../test/helpers/load";
import { makeTwin } from "../test/helpers/twin";
import { retiresSettled } from "../test/integration/deploy-fixture";
import { servicesUp } from "../test/helpers/services";
import { median } from "./stats";

const HTTP_PORT = 28180;
const HTTPS_PORT = 28543;
const DIRECT_PORT = 28190;
const ROUNDS = 3;
const ROUND_SECONDS = 5;

interface Scenario {
  name: string;
  seconds: number;
  ok: boolean;
  keepAlive: LoadCount;
  fresh: LoadCount;
  note?: string;
}

async function underLoad(
  name: string,
  host: string,
  work: () => Promise<{ ok: boolean; note?: string }>,
): Promise<Scenario> {
  const keepAlive = load(HTTP_PORT, host, "/cgi-bin/version", true, 8);
  const fresh = load(HTTP_PORT, host, "/cgi-bin/version", false, 2);
  await sleep(1000);
  const started = Date.now();
  const result = await work();
  const seconds = (Date.now() - started) / 1000;
  // The replaced release drains and stops in the background: keep the load on through it.
  await retiresSettled();
  await sleep(1500);
  const scenario = {
    name,
    seconds,
    ok: result.ok,
    keepAlive: await keepAlive.stop(),
    fresh: await fresh.stop(),
    ...(result.note === undefined ? {} : { note: result.note }),
  };
  console.log(
    `${name}: ${seconds.toFixed(1)} s, ok=${result.ok}; keep-alive ${scenario.keepAlive.failures}/${scenario.keepAlive.requests} failed, fresh ${scenario.fresh.failures}/${scenario.fresh.requests} failed`,
    scenario.keepAlive.errors.slice(0, 3),
    scenario.fresh.errors.slice(0, 3),
    scenario.keepAlive.bodies,
  );
  return scenario;
}

interface WrkResult {
  requestsPerSecond: number;
  meanLatencyMs: number;
  errors: string;
}

function wrk(port: number, host: string, seconds: number): WrkResult {
  const out = execFileSync(
    "wrk",
    ["-t2", "-c8", `-d${seconds}s`, "-H", `Host: ${host}`, `http://127.0.0.1:${port}/healthz`],
    { encoding: "utf8" },
  );
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const latency = /Latency\s+([\d.]+)(us|ms|s)/.exec(out);
  const scale = latency?.[2] === "us" ? 0.001 : latency?.[2] === "s" ? 1000 : 1;
  const errors = [/Socket errors:.*/.exec(out)?.[0], /Non-2xx.*/.exec(out)?.[0]]
    .filter(Boolean)
    .join("; ");
  return {
    requestsPerSecond: rps,
    meanLatencyMs: Number(latency?.[1] ?? NaN) * scale,
    errors: errors || "none",
  };
}

function docker(...args: string[]): string {
  return execFileSync("docker", args, { encoding: "utf8" }).trim();
}

async function throughput(ref: string, host: string) {
  try {
    docker("rm", "-f", "bench-direct");
  } catch {
    // not there: fine
  }
  docker(
    "run",
    "-d",
    "--name",
    "bench-direct",
    "--init",
    "-p",
    `127.0.0.1:${DIRECT_PORT}:8080`,
    ref,
  );
  await sleep(1500);
  const direct: WrkResult[] = [];
  const edge: WrkResult[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    direct.push(wrk(DIRECT_PORT, host, ROUND_SECONDS));
    edge.push(wrk(HTTP_PORT, host, ROUND_SECONDS));
  }
  docker("rm", "-f", "bench-direct");

  const d = median(direct.map((r) => r.requestsPerSecond));
  const e = median(edge.map((r) => r.requestsPerSecond));
  const dl = median(direct.map((r) => r.meanLatencyMs));
  const el = median(edge.map((r) => r.meanLatencyMs));
  return { direct, edge, ratio: e / d, directRps: d, edgeRps: e, addedLatencyMs: el - dl };
}

async function main(): Promise<void> {
  await servicesUp(["docker", "registry", "sshd", "binfmt", "buildkitd"]);
  const twin = makeTwin({
    namespace: "slipway-bench",
    prefix: "bench",
    edge: "bench-edge",
    httpPort: HTTP_PORT,
    httpsPort: HTTPS_PORT,
  });
  const localHost = "bench-web.slipway.invalid"; // the catch-all route of the local stack
  const scenarios: Scenario[] = [];
  try {
    const local = await twin.stack("local");
    await twin.stack("local-prod");
    const first = await local.up({ onOutput: () => undefined });
    const images = first.outputs.images!.value as Record<string, { ref: string }>;
    console.log("first up:", first.summary.result, images.web!.ref);

    const tp = await throughput(images.web!.ref, localHost);
    console.log("throughput", tp.ratio.toFixed(2), tp.directRps, tp.edgeRps, tp.addedLatencyMs);

    // The Caddy container of the edge (the holder `bench-edge` only owns the ports).
    const caddyOf = () =>
      docker(
        "ps",
        "--quiet",
        "--filter",
        "label=slipway.role=edge",
        "--filter",
        "label=slipway.edge.of=bench-edge",
      );
    const edgeBefore = caddyOf();
    scenarios.push(
      await underLoad("release (new commit, pulumi up)", localHost, async () => {
        twin.edit("local", (doc) =>
          doc.setIn(["config", "slipway:images", "web", "build", "args", "APP_RELEASE"], "r2"),
        );
        twin.git("commit", "-q", "-am", "bench: release r2");
        const result = await local.up({ onOutput: () => undefined });
        const edgeAfter = caddyOf();
        return {
          ok: result.summary.result === "succeeded",
          note: edgeAfter === edgeBefore ? "edge container unchanged" : "EDGE RESTARTED",
        };
      }),
    );
    // local-prod: r1 first (promote the first commit's digest by rolling local back? no:
    // promote r2 first, then a third release r3, promote it, then roll back to r2).
    scenarios.push(
      await underLoad("promote (first release on local-prod)", localHost, async () => {
        const promoted = await twin.slipway("promote", "--from", "local", "--to", "local-prod");
        return {
          ok: promoted.code === 0,
          ...(promoted.code === 0 ? {} : { note: promoted.stderr.slice(0, 300) }),
        };
      }),
    );
    twin.edit("local", (doc) =>
      doc.setIn(["config", "slipway:images", "web", "build", "args", "APP_RELEASE"], "r3"),
    );
    twin.git("commit", "-q", "-am", "bench: release r3");
    await local.up({ onOutput: () => undefined });
    scenarios.push(
      await underLoad("promote (second release)", twin.promoteHost, async () => {
        const promoted = await twin.slipway("promote", "--from", "local", "--to", "local-prod");
        return {
          ok: promoted.code === 0,
          ...(promoted.code === 0 ? {} : { note: promoted.stderr.slice(0, 300) }),
        };
      }),
    );
    scenarios.push(
      await underLoad("rollback (slipway rollback)", twin.promoteHost, async () => {
        const rolled = await twin.slipway("rollback", "--stack", "local-prod");
        return {
          ok: rolled.code === 0,
          ...(rolled.code === 0 ? {} : { note: rolled.stderr.slice(0, 300) }),
        };
      }),
    );
    scenarios.push(
      await underLoad("proxy upgrade (new edge image, pulumi up)", localHost, async () => {
        fs.appendFileSync(
          path.join(twin.dir, "examples", "edge", "Dockerfile"),
          'LABEL org.slipway.bench="upgrade"\n',
        );
        twin.git("commit", "-q", "-am", "bench: a new edge image");
        const result = await local.up({ onOutput: () => undefined });
        const edgeAfter = caddyOf();
        return {
          ok: result.summary.result === "succeeded",
          note:
            edgeAfter === edgeBefore
              ? "Caddy NOT replaced"
              : "new Caddy beside the old, then the old stopped",
        };
      }),
    );

    const window = (c: LoadCount) =>
      c.firstFailure === undefined
        ? ""
        : ` over ${((c.lastFailure! - c.firstFailure) / 1000).toFixed(2)} s`;
    const rows = scenarios.map(
      (s) =>
        `| ${s.name} | ${s.ok ? "ok" : "FAILED"} | ${s.seconds.toFixed(1)} | ${s.keepAlive.failures} of ${s.keepAlive.requests}${window(s.keepAlive)} | ${s.fresh.failures} of ${s.fresh.requests}${window(s.fresh)} | ${s.note ?? ""} |`,
    );
    const table = [
      "| step | result | seconds | keep-alive failed | fresh-connection failed | note |",
      "|---|---|---|---|---|---|",
      ...rows,
      "",
      `Keep-alive throughput (wrk -t2 -c8, ${ROUNDS} alternating rounds of ${ROUND_SECONDS} s, medians): edge ${tp.edgeRps.toFixed(0)} req/s vs published directly ${tp.directRps.toFixed(0)} req/s = **${tp.ratio.toFixed(2)}×**; added mean latency ${tp.addedLatencyMs.toFixed(2)} ms (edge ${median(tp.edge.map((r) => r.meanLatencyMs)).toFixed(2)} ms, direct ${median(tp.direct.map((r) => r.meanLatencyMs)).toFixed(2)} ms); wrk errors: edge ${tp.edge.map((r) => r.errors).join(" / ")}, direct ${tp.direct.map((r) => r.errors).join(" / ")}.`,
    ].join("\n");
    console.log(`\n${table}\n`);
    const results = path.join(__dirname, "results");
    fs.mkdirSync(results, { recursive: true });
    fs.writeFileSync(
      path.join(results, `release-${new Date().toISOString().replace(/[:.]/g, "-")}.json`),
      JSON.stringify({ scenarios, throughput: tp }, null, 2),
    );
  } finally {
    for (const stack of ["local-prod", "local"]) {
      twin.shell(`pulumi destroy --stack ${stack} --yes --non-interactive`);
    }
    twin.remove();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
