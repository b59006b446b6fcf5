/**
 * Release latency: how long from `pulumi up` of a commit that changes one service's context
 * until the first request through the edge is answered by the new digest, side by side with
 * a floor measured directly in the same run. Not a test.
 *
 *   npx ts-node --transpile-only bench/release-latency.ts [ROUNDS]   (default 2)
 *
 * On a twin of the local stack (test/helpers/twin.ts: its own edge on 127.0.0.1:28380, names,
 * namespace and backend), with the real engine, registry, buildkitd and host over SSH. Each
 * round, under a keep-alive load and a fresh-connection load through the edge (every answer's
 * body checked):
 * 1. release: a commit that writes app/www/release.txt (web's context only), then `pulumi up`
 *    (the Automation API: no preview), while a poller asks the edge for /release.txt every
 *    20 ms; latency = from the start of the update to the first answer with the new text.
 *    Phases from the engine's events, as they arrive: program evaluation (until the first
 *    resource step), build and push (web's docker-build Image), supply chain (attestation,
 *    SBOM, scan, repository check), host switch (the web release command), moving tags, and
 *    the rest (engine overhead).
 * 2. floor, three parts measured directly: `docker buildx build --push` of the same kind of
 *    change (both platforms, the stack's builder) plus `docker run` of the new image and its
 *    first healthy answer; the bare-SDK program's no-op `pulumi up` (bench/cli-speed.sh's
 *    floor); and web's supply-chain steps run directly (Slipway's own SBOM, scan and signing
 *    scripts, without the engine).
 * Prints a Markdown table and writes bench/results/release-latency-<time>.json.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { validateConfig } from "../src/config";
import { attestScript } from "../src/images";
import { cosignKeyOf, sbomScript, scanScript } from "../src/supply";
import { load, request, sleep, type LoadCount } from "../test/helpers/load";
import { BUILDX_BUILDER, REPO_ROOT, SLIPWAY_HOME, servicesUp } from "../test/helpers/services";
import { sourceFromStackFile } from "../test/helpers/stack-files";
import { makeTwin, type Twin } from "../test/helpers/twin";
import { retiresSettled } from "../test/integration/deploy-fixture";
import { median } from "./stats";

const HTTP_PORT = 28380;
const HTTPS_PORT = 28743;
const FLOOR_PORT = 28390;
const NAMESPACE = "slipway-latency";
/** The local stack's catch-all route answers any other host name. */
const HOST = "latency.slipway.invalid";
const ROUNDS = Number(process.argv[2] ?? "2");

/** When each phase's resources started and ended (ms since the update's start). */
const PHASES: Record<string, RegExp> = {
  "build and push": /^web-image$/,
  "supply chain": /^web-(attest|supply-sbom|supply-scan|check)$/,
  "host switch": /^latency-web-local-release$/,
  "moving tags": /^web-tags$/,
};

interface Round {
  latency: number;
  total: number;
  phases: Record<string, number>;
  programEvaluation: number;
  engineOverhead: number;
  steps: string[];
  keepAlive: LoadCount;
  fresh: LoadCount;
}

interface Floor {
  build: number;
  run: number;
  noOpUp: number;
  supply: number;
  total: number;
}

function seconds(ms: number): number {
  return Math.round(ms) / 1000;
}

/** The union length of [start, end] spans, in ms. */
function covered(spans: readonly [number, number][]): number {
  const sorted = [...spans].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = -Infinity;
  for (const [s, e] of sorted) {
    if (e <= end) continue;
    total += e - Math.max(s, end);
    end = e;
  }
  return total;
}

async function releaseRound(twin: Twin, round: number): Promise<Round> {
  const stack = await twin.stack("local");
  const marker = `release ${round} ${Date.now()}`;
  fs.writeFileSync(path.join(twin.dir, "app", "www", "release.txt"), `${marker}\n`);
  twin.git("add", "-A");
  twin.git("commit", "-q", "-m", `latency: ${marker}`);

  const keepAlive = load(HTTP_PORT, HOST, "/cgi-bin/version", true, 8);
  const fresh = load(HTTP_PORT, HOST, "/cgi-bin/version", false, 2);
  await sleep(1000);
  const started = performance.now();
  let first: number | undefined;
  let polling = true;
  const poller = (async () => {
    while (polling && first === undefined) {
      try {
        const answer = await request(HTTP_PORT, "/release.txt", { host: HOST, timeoutMs: 2000 });
        if (answer.status === 200 && answer.body.trim() === marker) {
          first = performance.now() - started;
        }
      } catch {
        // not there yet
      }
      await sleep(20);
    }
  })();
  const spans: Record<string, [number, number]> = {};
  const steps: string[] = [];
  let firstStep: number | undefined;
  const result = await stack.up({
    onOutput: () => undefined,
    onEvent: (event: EngineEvent) => {
      const now = performance.now() - started;
      const pre = event.resourcePreEvent?.metadata;
      const done = event.resOutputsEvent?.metadata;
      if (pre !== undefined) {
        const name = pre.urn.split("::").pop()!;
        firstStep ??= now;
        // A replacement takes several steps (create-replacement, replace, delete-replaced):
        // the span runs from the first one's start to the last one's end.
        spans[name] ??= [now, now];
        if (pre.op !== "same") steps.push(`${pre.op} ${name}`);
      }
      if (done !== undefined) {
        const name = done.urn.split("::").pop()!;
        const span = spans[name];
        if (span !== undefined) span[1] = Math.max(span[1], now);
      }
    },
  });
  const total = performance.now() - started;
  if (result.summary.result !== "succeeded") {
    throw new Error(`pulumi up: ${result.summary.result}`);
  }
  await sleep(500);
  polling = false;
  await poller;
  await retiresSettled();
  await sleep(1000);
  const phases: Record<string, number> = {};
  const timed: [number, number][] = [];
  for (const [phase, pattern] of Object.entries(PHASES)) {
    const matched = Object.entries(spans)
      .filter(([name]) => pattern.test(name))
      .map(([, span]) => span);
    phases[phase] = seconds(covered(matched));
    timed.push(...matched);
  }
  const programEvaluation = firstStep ?? total;
  return {
    latency: seconds(first ?? NaN),
    total: seconds(total),
    phases,
    programEvaluation: seconds(programEvaluation),
    engineOverhead: seconds(total - programEvaluation - covered(timed)),
    steps: steps.sort(),
    keepAlive: await keepAlive.stop(),
    fresh: await fresh.stop(),
  };
}

function docker(...args: string[]): string {
  return execFileSync("docker", args, { encoding: "utf8" }).trim();
}

function timedMs(action: () => void): number {
  const started = performance.now();
  action();
  return performance.now() - started;
}

/** The floor of one release, measured directly (see the file comment). */
async function floor(twin: Twin, round: number): Promise<Floor> {
  const marker = `floor ${round} ${Date.now()}`;
  const context = path.join(twin.dir, "app");
  fs.writeFileSync(path.join(context, "www", "release.txt"), `${marker}\n`);
  const repository = `127.0.0.1:5000/${NAMESPACE}-floor/web`;
  // A tag of its own: `docker run` of a tag an earlier run pulled would start that image.
  const tag = `${repository}:floor-${round}-${Date.now()}`;
  const build = timedMs(() =>
    execFileSync(
      "docker",
      [
        "buildx",
        "build",
        "--builder",
        BUILDX_BUILDER,
        "--platform",
        "linux/amd64,linux/arm64",
        "--target",
        "prod",
        "--build-arg",
        "APP_RELEASE=r1",
        "--output",
        `type=image,name=${tag},push=true,registry.insecure=true`,
        context,
      ],
      { stdio: "ignore" },
    ),
  );
  const name = "latency-floor-web";
  spawnSync("docker", ["rm", "-f", name], { stdio: "ignore" });
  const runStarted = performance.now();
  docker("run", "-d", "--init", "--name", name, "-p", `127.0.0.1:${FLOOR_PORT}:8080`, tag);
  for (;;) {
    try {
      const answer = await request(FLOOR_PORT, "/release.txt", { timeoutMs: 1000 });
      if (answer.status === 200 && answer.body.trim() === marker) break;
    } catch {
      // starting
    }
    await sleep(10);
  }
  const run = performance.now() - runStarted;
  docker("rm", "-f", name);
  const manifest = JSON.parse(
    execFileSync(
      "docker",
      ["buildx", "imagetools", "inspect", tag, "--format", "{{json .Manifest}}"],
      {
        encoding: "utf8",
      },
    ),
  ) as { digest: string };
  const ref = `${repository}@${manifest.digest}`;

  // The bare-SDK program of bench/cli-speed.sh: a no-op `pulumi up` of a program that
  // declares nothing.
  const floorDir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-latency-floor-"));
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(floorDir, "node_modules"));
  fs.writeFileSync(
    path.join(floorDir, "Pulumi.yaml"),
    "name: floor\nruntime: nodejs\nmain: index.js\n",
  );
  fs.writeFileSync(
    path.join(floorDir, "package.json"),
    '{ "name": "floor", "version": "0.0.0", "private": true }\n',
  );
  fs.writeFileSync(
    path.join(floorDir, "index.js"),
    'require("@pulumi/pulumi");\nmodule.exports = { empty: true };\n',
  );
  const pulumi = (args: string) => twin.shell(`cd ${floorDir} && pulumi ${args}`);
  pulumi("stack init latency-floor --non-interactive");
  pulumi("up --yes --stack latency-floor");
  const noOpUp = timedMs(() => pulumi("up --yes --stack latency-floor"));
  pulumi("stack rm --yes --force --stack latency-floor");
  fs.rmSync(floorDir, { recursive: true, force: true });

  // Web's supply chain run directly: Slipway's SBOM, scan and signing scripts for the new
  // digest, as the stack configures them, without the engine.
  const config = validateConfig("local", sourceFromStackFile("local").values, {
    root: REPO_ROOT,
  });
  const platforms = ["linux/amd64", "linux/arm64"];
  const key = cosignKeyOf(config.attestations) ?? "";
  // The engine's environment (scripts/pulumi-env.sh: syft, trivy and cosign on PATH).
  const env = { ...process.env, ...twin.env, COSIGN_PRIVATE_KEY: key, COSIGN_PASSWORD: "" };
  const scripts = [
    attestScript({ ref, attestations: { sign: true }, insecure: true })!,
    sbomScript({ ref, platforms, sign: true, insecure: true }),
    scanScript({ image: "web", ref, platforms, scan: config.scan!, sign: true, insecure: true }),
  ];
  const supply = timedMs(() => {
    for (const script of scripts) {
      execFileSync("/bin/sh", ["-s"], { input: script, env, stdio: ["pipe", "ignore", "inherit"] });
    }
  });
  return {
    build: seconds(build),
    run: seconds(run),
    noOpUp: seconds(noOpUp),
    supply: seconds(supply),
    total: seconds(build + run + noOpUp + supply),
  };
}

async function main(): Promise<void> {
  await servicesUp(["docker", "registry", "sshd", "binfmt", "buildkitd"]);
  const load1 = os.loadavg()[0]!;
  const twin = makeTwin({
    namespace: NAMESPACE,
    prefix: "latency",
    edge: "latency-edge",
    httpPort: HTTP_PORT,
    httpsPort: HTTPS_PORT,
  });
  const rounds: Round[] = [];
  const floors: Floor[] = [];
  try {
    const stack = await twin.stack("local");
    const first = await stack.up({ onOutput: () => undefined });
    console.log("first up:", first.summary.result);
    for (let round = 1; round <= ROUNDS; round++) {
      const measured = await releaseRound(twin, round);
      rounds.push(measured);
      console.log(`round ${round}:`, JSON.stringify(measured));
      const floored = await floor(twin, round);
      floors.push(floored);
      console.log(`floor ${round}:`, JSON.stringify(floored));
    }
  } finally {
    twin.shell("pulumi destroy --stack local --yes --non-interactive");
    twin.remove();
  }
  const m = (values: number[]) => median(values).toFixed(2);
  const latency = median(rounds.map((r) => r.latency));
  const floorTotal = median(floors.map((f) => f.total));
  const failed = (pick: (r: Round) => LoadCount) =>
    rounds.map((r) => `${pick(r).failures} of ${pick(r).requests}`).join(", ");
  const table = [
    `Release latency (median of ${rounds.length} rounds, ${os.cpus().length} cores, load average ${load1.toFixed(1)} at the start, ${os.loadavg()[0]!.toFixed(1)} at the end):`,
    "",
    "| what | seconds |",
    "|---|---|",
    `| **latency: update start → first answer from the new digest** | **${m(rounds.map((r) => r.latency))}** (${rounds.map((r) => r.latency.toFixed(2)).join(", ")}) |`,
    `| whole \`pulumi up\` | ${m(rounds.map((r) => r.total))} |`,
    `| · program evaluation (until the first resource step) | ${m(rounds.map((r) => r.programEvaluation))} |`,
    ...Object.keys(PHASES).map(
      (phase) => `| · ${phase} | ${m(rounds.map((r) => r.phases[phase] ?? 0))} |`,
    ),
    `| · engine overhead (the rest) | ${m(rounds.map((r) => r.engineOverhead))} |`,
    `| **floor** | **${floorTotal.toFixed(2)}** |`,
    `| · \`docker buildx build --push\` (both platforms) | ${m(floors.map((f) => f.build))} |`,
    `| · \`docker run\` → first healthy answer | ${m(floors.map((f) => f.run))} |`,
    `| · bare-SDK no-op \`pulumi up\` | ${m(floors.map((f) => f.noOpUp))} |`,
    `| · supply chain run directly (signature, SBOM, scan) | ${m(floors.map((f) => f.supply))} |`,
    `| **ratio latency / floor** | **${(latency / floorTotal).toFixed(2)}×** |`,
    "",
    `Failed requests through the edge during the releases: keep-alive ${failed((r) => r.keepAlive)}; fresh connections ${failed((r) => r.fresh)}.`,
    `Resource steps of each release: ${rounds.map((r) => r.steps.join(", ")).join(" | ")}.`,
  ].join("\n");
  console.log(`\n${table}\n`);
  const results = path.join(__dirname, "results");
  fs.mkdirSync(results, { recursive: true });
  fs.writeFileSync(
    path.join(results, `release-latency-${new Date().toISOString().replace(/[:.]/g, "-")}.json`),
    JSON.stringify({ rounds, floors, home: SLIPWAY_HOME }, null, 2),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
