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
 *    the rest (engine overhead). A phase counts the steps that make the release (create,
 *    update, create-replacement, replace), not the deletions of replaced resources, which the
 *    engine runs at the end of the update, after the switch. The critical path lists when
 *    each of web's steps started and ended, and when the first answer came.
 * 2. floor, three parts measured directly: `docker buildx build --push` of the same kind of
 *    change (both platforms, the stack's builder) plus `docker run` of the new image and its
 *    first healthy answer; the bare-SDK program's no-op `pulumi up` (bench/cli-speed.sh's
 *    floor); and web's supply-chain steps run directly (Slipway's own SBOM, scan and signing
 *    scripts, without the engine).
 * Each round does both quiet (no load) and under load (a keep-alive and a fresh-connection
 * load through the edge, which run in this process and compete for the same cores): the
 * release, then its floor measured in the same condition, so each ratio compares like with like.
 * Prints a Markdown table and writes bench/results/release-latency-<time>.json.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { validateConfig } from "../src/config";
import { attestScript } from "../src/images";
import { cosignKeyOf, sbomScript, scanScript } from "../src/supply";
import { load, request, sleep, type LoadCount } from "../test/helpers/load";
import {
  BUILDX_BUILDER,
  REPO_ROOT,
  runOk,
  SLIPWAY_HOME,
  servicesUp,
} from "../test/helpers/services";
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

/** One step of the engine: a resource and an operation, from its pre-event to its outputs. */
interface Step {
  name: string;
  op: string;
  start: number;
  end?: number;
}

/** A line one of web's commands printed, when the engine passed it on (ms since the update's start). */
interface Message {
  time: number;
  name: string;
  text: string;
}

/** Deletions of replaced resources: the engine runs them at the end of an update. */
const CLEANUP_OPS = new Set(["delete-replaced", "discard-replaced", "delete"]);

interface Round {
  loaded: boolean;
  latency: number;
  total: number;
  phases: Record<string, number>;
  programEvaluation: number;
  engineOverhead: number;
  /** Seconds from the switch (first answer) to the end of the update: cleanup, tags, ledger. */
  afterSwitch: number;
  steps: string[];
  /** Web's steps and the first answer, in order (seconds since the update's start). */
  criticalPath: string[];
  timeline: Step[];
  messages: Message[];
  keepAlive?: LoadCount;
  fresh?: LoadCount;
}

interface Floor {
  loaded: boolean;
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

/** Runs `action` under the bench's load when `loaded`, with the load's counts. */
async function maybeLoaded<T>(
  loaded: boolean,
  action: () => Promise<T>,
): Promise<{ result: T; keepAlive?: LoadCount; fresh?: LoadCount }> {
  if (!loaded) {
    return { result: await action() };
  }
  const keepAlive = load(HTTP_PORT, HOST, "/cgi-bin/version", true, 8);
  const fresh = load(HTTP_PORT, HOST, "/cgi-bin/version", false, 2);
  await sleep(1000);
  try {
    return { result: await action(), keepAlive: await keepAlive.stop(), fresh: await fresh.stop() };
  } catch (error) {
    await keepAlive.stop();
    await fresh.stop();
    throw error;
  }
}

async function releaseRound(twin: Twin, round: number, loaded: boolean): Promise<Round> {
  const { result, keepAlive, fresh } = await maybeLoaded(loaded, () =>
    release(twin, `${loaded ? "loaded" : "quiet"} ${round}`),
  );
  return {
    ...result,
    loaded,
    ...(keepAlive === undefined ? {} : { keepAlive }),
    ...(fresh === undefined ? {} : { fresh }),
  };
}

async function release(
  twin: Twin,
  label: string,
): Promise<Omit<Round, "loaded" | "keepAlive" | "fresh">> {
  const stack = await twin.stack("local");
  const marker = `release ${label} ${Date.now()}`;
  fs.writeFileSync(path.join(twin.dir, "examples", "app", "www", "release.txt"), `${marker}\n`);
  twin.git("add", "-A");
  twin.git("commit", "-q", "-m", `latency: ${marker}`);

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
  const timeline: Step[] = [];
  const messages: Message[] = [];
  const steps: string[] = [];
  let firstStep: number | undefined;
  const result = await stack.up({
    onOutput: () => undefined,
    onEvent: (event: EngineEvent) => {
      const now = performance.now() - started;
      const said = event.diagnosticEvent;
      if (said?.urn !== undefined) {
        const name = said.urn.split("::").pop()!;
        if (Object.values(PHASES).some((pattern) => pattern.test(name))) {
          for (const line of said.message.split("\n").filter((text) => text.trim() !== "")) {
            messages.push({ time: now, name, text: line.trim().slice(0, 160) });
          }
        }
      }
      const pre = event.resourcePreEvent?.metadata;
      const done = event.resOutputsEvent?.metadata;
      if (pre !== undefined) {
        const name = pre.urn.split("::").pop()!;
        if (pre.op !== "same") {
          firstStep ??= now;
          steps.push(`${pre.op} ${name}`);
          timeline.push({ name, op: pre.op, start: now });
        }
      }
      if (done !== undefined) {
        const name = done.urn.split("::").pop()!;
        const step = timeline.find(
          (s) => s.name === name && s.op === done.op && s.end === undefined,
        );
        if (step !== undefined) step.end = now;
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
  // What makes the release: every step but the deletions of what it replaced (after the switch).
  const making = timeline.filter((step) => !CLEANUP_OPS.has(step.op));
  const span = (step: Step): [number, number] => [step.start, step.end ?? step.start];
  const phases: Record<string, number> = {};
  const timed: [number, number][] = [];
  for (const [phase, pattern] of Object.entries(PHASES)) {
    const matched = making.filter((step) => pattern.test(step.name)).map(span);
    phases[phase] = seconds(covered(matched));
    timed.push(...matched);
  }
  const programEvaluation = firstStep ?? total;
  const at = (ms: number | undefined) => (ms === undefined ? "?" : (ms / 1000).toFixed(2));
  const criticalPath = [
    ...making
      .filter((step) => Object.values(PHASES).some((pattern) => pattern.test(step.name)))
      .map((step) => ({
        time: step.start,
        text: `${step.op} ${step.name} ${at(step.start)}–${at(step.end)}`,
      })),
    ...(first === undefined ? [] : [{ time: first, text: `first answer ${at(first)}` }]),
    // The host switch's own progress lines: where its seconds go.
    ...messages
      .filter((message) => PHASES["host switch"]!.test(message.name))
      .map((message) => ({
        time: message.time,
        text: `(${at(message.time)} "${message.text.replace(/^slipway: host \S+: /, "").slice(0, 60)}")`,
      })),
  ]
    .sort((a, b) => a.time - b.time)
    .map((entry) => entry.text);
  return {
    latency: seconds(first ?? NaN),
    total: seconds(total),
    phases,
    programEvaluation: seconds(programEvaluation),
    engineOverhead: seconds(total - programEvaluation - covered(timed)),
    afterSwitch: seconds(first === undefined ? NaN : total - first),
    steps: steps.sort(),
    criticalPath,
    timeline,
    messages,
  };
}

async function timedMs(action: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await action();
  return performance.now() - started;
}

async function floorRound(twin: Twin, round: number, loaded: boolean): Promise<Floor> {
  const { result } = await maybeLoaded(loaded, () =>
    floor(twin, `${loaded ? "loaded" : "quiet"}-${round}`),
  );
  return { ...result, loaded };
}

/** The floor of one release, measured directly (see the file comment). */
async function floor(twin: Twin, label: string): Promise<Omit<Floor, "loaded">> {
  const marker = `floor ${label} ${Date.now()}`;
  const context = path.join(twin.dir, "examples", "app");
  fs.writeFileSync(path.join(context, "www", "release.txt"), `${marker}\n`);
  const repository = `127.0.0.1:5000/${NAMESPACE}-floor/web`;
  // A tag of its own: `docker run` of a tag an earlier run pulled would start that image.
  const tag = `${repository}:floor-${label}-${Date.now()}`;
  // runOk (asynchronous): the load runs in this process.
  const build = await timedMs(() =>
    runOk("docker", [
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
    ]),
  );
  const name = "latency-floor-web";
  spawnSync("docker", ["rm", "-f", name], { stdio: "ignore" });
  const runStarted = performance.now();
  await runOk("docker", [
    "run",
    "-d",
    "--init",
    "--name",
    name,
    "-p",
    `127.0.0.1:${FLOOR_PORT}:8080`,
    tag,
  ]);
  for (;;) {
    try {
      const answer = await request(FLOOR_PORT, "/release.txt", { timeoutMs: 1000 });
      if (answer.status === 200 && answer.body.trim() === marker) break;
    } catch {
      // starting
    }
    await sleep(10);
  }
  const ran = performance.now() - runStarted;
  await runOk("docker", ["rm", "-f", name]);
  const manifest = JSON.parse(
    (
      await runOk("docker", [
        "buildx",
        "imagetools",
        "inspect",
        tag,
        "--format",
        "{{json .Manifest}}",
      ])
    ).stdout,
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
  // The engine's environment (scripts/pulumi-env.sh: pulumi, syft, trivy and cosign on PATH).
  const env = { ...process.env, ...twin.env };
  const pulumi = (args: string) =>
    runOk("bash", ["-c", `. ${REPO_ROOT}/scripts/pulumi-env.sh && pulumi ${args}`], {
      env,
      cwd: floorDir,
    });
  await pulumi("stack init latency-floor --non-interactive");
  await pulumi("up --yes --stack latency-floor");
  const noOpUp = await timedMs(() => pulumi("up --yes --stack latency-floor"));
  await pulumi("stack rm --yes --force --stack latency-floor");
  fs.rmSync(floorDir, { recursive: true, force: true });

  // Web's supply chain run directly: Slipway's SBOM, scan and signing scripts for the new
  // digest, as the stack configures them, without the engine, one after the other.
  const config = validateConfig("local", sourceFromStackFile("local").values, {
    root: REPO_ROOT,
  });
  const platforms = ["linux/amd64", "linux/arm64"];
  const key = cosignKeyOf(config.attestations) ?? "";
  const scripts = [
    attestScript({ ref, attestations: { sign: true }, insecure: true })!,
    sbomScript({ ref, platforms, sign: true, insecure: true }),
    scanScript({ image: "web", ref, platforms, scan: config.scan!, sign: true, insecure: true }),
  ];
  const supply = await timedMs(async () => {
    for (const script of scripts) {
      await runOk("/bin/sh", ["-c", script], {
        env: { ...env, COSIGN_PRIVATE_KEY: key, COSIGN_PASSWORD: "" },
      });
    }
  });
  return {
    build: seconds(build),
    run: seconds(ran),
    noOpUp: seconds(noOpUp),
    supply: seconds(supply),
    total: seconds(build + ran + noOpUp + supply),
  };
}

/** The table rows of one condition (quiet or loaded): medians over its rounds. */
function rows(rounds: readonly Round[], floors: readonly Floor[]): string[][] {
  const m = (values: number[]) => median(values).toFixed(2);
  const latency = median(rounds.map((r) => r.latency));
  const floorTotal = median(floors.map((f) => f.total));
  return [
    [
      "**latency: update start → first answer from the new digest**",
      `**${m(rounds.map((r) => r.latency))}** (${rounds.map((r) => r.latency.toFixed(2)).join(", ")})`,
    ],
    ["whole `pulumi up`", m(rounds.map((r) => r.total))],
    [
      "· program evaluation (until the first resource step)",
      m(rounds.map((r) => r.programEvaluation)),
    ],
    ...Object.keys(PHASES).map((phase) => [
      `· ${phase}`,
      m(rounds.map((r) => r.phases[phase] ?? 0)),
    ]),
    ["· engine overhead (the rest)", m(rounds.map((r) => r.engineOverhead))],
    ["· after the first answer (cleanup, tags, ledger)", m(rounds.map((r) => r.afterSwitch))],
    ["**floor**", `**${floorTotal.toFixed(2)}**`],
    ["· `docker buildx build --push` (both platforms)", m(floors.map((f) => f.build))],
    ["· `docker run` → first healthy answer", m(floors.map((f) => f.run))],
    ["· bare-SDK no-op `pulumi up`", m(floors.map((f) => f.noOpUp))],
    ["· supply chain run directly (signature, SBOM, scan)", m(floors.map((f) => f.supply))],
    ["**ratio latency / floor**", `**${(latency / floorTotal).toFixed(2)}×**`],
  ];
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
      for (const loaded of [false, true]) {
        const measured = await releaseRound(twin, round, loaded);
        rounds.push(measured);
        console.log(
          `round ${round} ${loaded ? "loaded" : "quiet"}:`,
          JSON.stringify({ ...measured, timeline: undefined, messages: undefined }),
        );
        const floored = await floorRound(twin, round, loaded);
        floors.push(floored);
        console.log(`floor ${round} ${loaded ? "loaded" : "quiet"}:`, JSON.stringify(floored));
      }
    }
  } finally {
    twin.shell("pulumi destroy --stack local --yes --non-interactive");
    twin.remove();
  }
  const quiet = rows(
    rounds.filter((r) => !r.loaded),
    floors.filter((f) => !f.loaded),
  );
  const loaded = rows(
    rounds.filter((r) => r.loaded),
    floors.filter((f) => f.loaded),
  );
  const failed = (pick: (r: Round) => LoadCount | undefined) =>
    rounds
      .flatMap((r) => {
        const count = pick(r);
        return count === undefined ? [] : [`${count.failures} of ${count.requests}`];
      })
      .join(", ");
  const table = [
    `Release latency (median of ${ROUNDS} rounds each, ${os.cpus().length} cores, load average ${load1.toFixed(1)} at the start, ${os.loadavg()[0]!.toFixed(1)} at the end):`,
    "",
    "| what (seconds) | quiet | under load |",
    "|---|---|---|",
    ...quiet.map(([what, value], index) => `| ${what} | ${value} | ${loaded[index]![1]} |`),
    "",
    `Failed requests through the edge during the loaded releases: keep-alive ${failed((r) => r.keepAlive)}; fresh connections ${failed((r) => r.fresh)}.`,
    `Resource steps of each release: ${rounds.map((r) => r.steps.join(", ")).join(" | ")}.`,
    "",
    "Critical path of each release (seconds since the update's start):",
    ...rounds.map(
      (r, index) =>
        `- ${r.loaded ? "loaded" : "quiet"} ${Math.floor(index / 2) + 1}: ${r.criticalPath.join("; ")}`,
    ),
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
