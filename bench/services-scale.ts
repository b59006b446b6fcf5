/**
 * How the program and `pulumi preview` scale with services: 10 services × 20 hosts against
 * 1 service × 20 hosts, measured side by side in one run.
 *
 *   npx ts-node --transpile-only bench/services-scale.ts [--rounds N] [--profile] [--without-stack-hook]
 *
 * Two throw-away promote stacks in a twin of the project (test/helpers/twin.ts: a copy with its
 * own file backend, the engine of scripts/pulumi-env.sh through the Automation API, plus this
 * tree's dist/ so the engine runs the precompiled program as after `npm run build`): registry
 * 127.0.0.1:5000 (insecure), `web` pinned to the digest of a small image pushed first, 20 hosts
 * h01…h20 (ssh, 127.0.0.1:2222), no edge image; services s01 (or s01…s10), each `image: web`, a
 * route on its own host name, `replicas: 1`. A preview never connects to the hosts.
 *
 * Each round (the order of the two stacks alternates), with `uptime` before it:
 *   (a) program evaluation under Pulumi mocks (test/helpers/mocks.ts), in a fresh node process
 *       per stack: the program's modules are loaded first, then the clock runs from importing
 *       dist/stacks/index.js until every stack output resolved and every registration reached
 *       the mocks;
 *   (b) `pulumi preview` of the stack with the real engine (Automation API, wall time), with
 *       the steps it reports, by operation and type.
 * `--profile` then profiles one mock evaluation of each stack (V8's CPU profiler over the
 * timed window, the same profiler `node --cpu-prof` starts) and one preview of each with
 * `pulumi preview --logflow -v=9 --logtostderr`, and prints what they show.
 * `--without-stack-hook` then measures as many rounds again without source-map-support's
 * Error.prepareStackTrace (mocks: removed; engine: the twin's stacks/main.js removes it), an
 * experiment on the twin only.
 * Prints a Markdown table and writes bench/results/services-scale-<time>.json (profiles beside).
 */
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { stringify } from "yaml";
import { makeTwin, type Twin } from "../test/helpers/twin";
import {
  deleteManifest,
  pushScratchRelease,
  REGISTRY,
  REPO_ROOT,
  servicesRelease,
  servicesUp,
} from "../test/helpers/services";
import { median } from "./stats";
import type { Evaluation } from "./services-scale-mocks";
import { summarizeCpuProfile, summarizeEngineLog } from "./services-scale-profile";

const NAMESPACE = "slipway-bench-scale";
const HOSTS = 20;
const SIZES = [1, 10] as const;
type Size = (typeof SIZES)[number];
const stackName = (services: Size) => `scale-${services}x${HOSTS}`;
const two = (n: number) => String(n).padStart(2, "0");

/** The stack config of `services` services on HOSTS hosts, as a stack file holds it. */
export function scaleConfig(services: number, digest: string): Record<string, unknown> {
  const names = Array.from({ length: services }, (_, i) => `s${two(i + 1)}`);
  return {
    "slipway:role": "promote",
    "slipway:registry": { server: REGISTRY, namespace: NAMESPACE, insecure: true },
    "slipway:images": { web: { pin: { digest } } },
    "slipway:hosts": Array.from({ length: HOSTS }, (_, i) => ({
      name: `h${two(i + 1)}`,
      transport: "ssh",
      address: "127.0.0.1",
      port: 2222,
      user: "root",
      privateKeyFile: "~/.cache/slipway/state/ssh/id_ed25519",
    })),
    "slipway:services": Object.fromEntries(
      names.map((name) => [
        name,
        { image: "web", routes: [{ host: `${name}.scale.localhost` }], replicas: 1 },
      ]),
    ),
  };
}

interface Preview {
  readonly seconds: number;
  /** Steps the engine reported, by `<op> <type>` (the stack and providers included). */
  readonly steps: Record<string, number>;
  readonly resources: number;
}

interface Round {
  readonly round: number;
  readonly order: Size[];
  readonly uptime: string;
  readonly load1: number;
  readonly evaluation: Partial<Record<Size, Evaluation>>;
  readonly preview: Partial<Record<Size, Preview>>;
}

function uptime(): { text: string; load1: number } {
  const text = execFileSync("uptime", { encoding: "utf8" }).trim();
  return { text, load1: Number(/load average:\s*([\d.]+)/.exec(text)?.[1] ?? NaN) };
}

/** Runs the mock evaluation in a fresh node process (this file's `--evaluate` mode). */
function evaluateInChild(
  twin: Twin,
  services: Size,
  digest: string,
  options: { profile?: string; plainStackTraces?: boolean } = {},
): Promise<Evaluation> {
  const args = [
    "-r",
    "ts-node/register/transpile-only",
    path.join(__dirname, "services-scale-mocks.ts"),
    JSON.stringify({
      dir: twin.dir,
      stack: stackName(services),
      config: scaleConfig(services, digest),
      ...options,
    }),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.on("close", (code) => {
      const line = stdout.trim().split("\n").pop() ?? "";
      if (code !== 0 || !line.startsWith("{")) {
        reject(new Error(`mock evaluation of ${stackName(services)} exited ${code}: ${stdout}`));
        return;
      }
      resolve(JSON.parse(line) as Evaluation);
    });
  });
}

async function preview(twin: Twin, services: Size): Promise<Preview> {
  const stack = await twin.stack(stackName(services));
  const steps: Record<string, number> = {};
  const onEvent = (event: EngineEvent) => {
    const meta = event.resourcePreEvent?.metadata;
    if (meta !== undefined) {
      const key = `${meta.op} ${meta.type}`;
      steps[key] = (steps[key] ?? 0) + 1;
    }
  };
  const started = process.hrtime.bigint();
  await stack.preview({ onEvent, onOutput: () => undefined });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const resources = Object.entries(steps)
    .filter(([key]) => !key.includes(" pulumi:providers:"))
    .reduce((sum, [, n]) => sum + n, 0);
  return { seconds, steps, resources };
}

/**
 * `pulumi preview --logflow -v=9 --logtostderr` of the stack, the log into `file` (the
 * Automation API keeps the whole stderr in memory, over 100 MB at -v=9: so the CLI directly).
 */
function loggedPreview(twin: Twin, services: Size, file: string): number {
  const started = process.hrtime.bigint();
  const result = twin.shell(
    `pulumi preview --stack ${stackName(services)} --non-interactive --logflow -v=9 --logtostderr >/dev/null 2>'${file}'`,
  );
  if (result.code !== 0) {
    throw new Error(`logged preview of ${stackName(services)} failed: ${result.output}`);
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** `median (min–max)` of seconds. */
function spread(values: number[]): string {
  return `${median(values).toFixed(2)} (${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})`;
}

function table(rounds: Round[]): string {
  const of = <T>(pick: (round: Round) => T | undefined) =>
    rounds.map(pick).filter((v): v is T => v !== undefined);
  const evalS = (s: Size) => of((r) => r.evaluation[s]?.evaluateSeconds);
  const loadS = (s: Size) => of((r) => r.evaluation[s]?.moduleSeconds);
  const prevS = (s: Size) => of((r) => r.preview[s]?.seconds);
  const paired = (pick: (r: Round, s: Size) => number | undefined) =>
    of((r) => {
      const big = pick(r, 10);
      const small = pick(r, 1);
      return big === undefined || small === undefined ? undefined : big / small;
    });
  const evalRatio = paired((r, s) => r.evaluation[s]?.evaluateSeconds);
  const prevRatio = paired((r, s) => r.preview[s]?.seconds);
  const last = rounds[rounds.length - 1]!;
  const mockCount = (s: Size) => last.evaluation[s]?.resources ?? NaN;
  const engineCount = (s: Size) => last.preview[s]?.resources ?? NaN;
  const ratio = (pick: (s: Size) => number[]) => (median(pick(10)) / median(pick(1))).toFixed(2);
  const fmtRatio = (values: number[]) =>
    `${median(values).toFixed(2)}× (${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})`;
  return [
    `| what | 1 × ${HOSTS} | 10 × ${HOSTS} | 10×${HOSTS} / 1×${HOSTS}: ratio of medians | per-round ratio: median (min–max) |`,
    "|---|---|---|---|---|",
    `| program evaluation under mocks, s | ${spread(evalS(1))} | ${spread(evalS(10))} | ${ratio(evalS)}× | ${fmtRatio(evalRatio)} |`,
    `| resources the program registers (mocks; components included) | ${mockCount(1)} | ${mockCount(10)} | ${(mockCount(10) / mockCount(1)).toFixed(2)}× | |`,
    `| \`pulumi preview\` wall time (Automation API), s | ${spread(prevS(1))} | ${spread(prevS(10))} | ${ratio(prevS)}× | ${fmtRatio(prevRatio)} |`,
    `| resources in the preview (stack included, providers not) | ${engineCount(1)} | ${engineCount(10)} | ${(engineCount(10) / engineCount(1)).toFixed(2)}× | |`,
    `| module loading before the evaluation (mocks), s | ${spread(loadS(1))} | ${spread(loadS(10))} | | |`,
    "",
    `Load (1-minute, \`uptime\` before each round): ${rounds.map((r) => r.load1.toFixed(2)).join(", ")}; median ${median(rounds.map((r) => r.load1)).toFixed(2)}.`,
  ].join("\n");
}

async function profileAll(twin: Twin, digest: string, dir: string): Promise<string[]> {
  const notes: string[] = [];
  for (const services of SIZES) {
    const file = path.join(dir, `${stackName(services)}.cpuprofile`);
    const evaluation = await evaluateInChild(twin, services, digest, { profile: file });
    notes.push(
      `### CPU profile, mock evaluation of ${stackName(services)} (${evaluation.evaluateSeconds.toFixed(2)} s): ${file}`,
      summarizeCpuProfile(file),
    );
  }
  for (const services of SIZES) {
    const file = path.join(dir, `${stackName(services)}-engine.log`);
    const seconds = loggedPreview(twin, services, file);
    notes.push(
      `### Engine log, \`pulumi preview --logflow -v=9 --logtostderr\` of ${stackName(services)} (${seconds.toFixed(2)} s with the logging): ${file}`,
      summarizeEngineLog(file),
    );
  }
  return notes;
}

/**
 * The same measurements without source-map-support's stack-trace hook (Error.prepareStackTrace,
 * which maps every stack the SDK captures to the .ts sources): the mocks with the hook
 * removed, the engine with the twin's stacks/main.js removing it before it loads dist/ (Pulumi's
 * Node runner installs the hook itself, with or without `typescript: true`). An experiment on
 * the twin only; main.js is restored after.
 */
async function withoutStackHook(
  twin: Twin,
  digest: string,
  rounds: number,
): Promise<{ rounds: Round[]; report: string }> {
  const main = path.join(twin.dir, "stacks", "main.js");
  const original = fs.readFileSync(main, "utf8");
  fs.writeFileSync(
    main,
    original.replace('"use strict";\n', '"use strict";\ndelete Error.prepareStackTrace;\n'),
  );
  const done: Round[] = [];
  try {
    for (const services of SIZES) {
      await preview(twin, services);
    }
    for (let round = 0; round < rounds; round++) {
      done.push(await measureRound(twin, digest, round, { plainStackTraces: true }));
    }
  } finally {
    fs.writeFileSync(main, original);
  }
  return { rounds: done, report: table(done) };
}

async function measureRound(
  twin: Twin,
  digest: string,
  round: number,
  options: { plainStackTraces?: boolean } = {},
): Promise<Round> {
  const order: Size[] = round % 2 === 0 ? [1, 10] : [10, 1];
  const load = uptime();
  const entry: Round = {
    round: round + 1,
    order,
    uptime: load.text,
    load1: load.load1,
    evaluation: {},
    preview: {},
  };
  for (const services of order) {
    entry.evaluation[services] = await evaluateInChild(twin, services, digest, options);
  }
  for (const services of order) {
    entry.preview[services] = await preview(twin, services);
  }
  console.log(
    `round ${round + 1}${options.plainStackTraces ? " (no stack hook)" : ""} (${load.text}):`,
    SIZES.map(
      (s) =>
        `${stackName(s)} eval ${entry.evaluation[s]!.evaluateSeconds.toFixed(2)} s, preview ${entry.preview[s]!.seconds.toFixed(2)} s (${entry.preview[s]!.resources} resources)`,
    ).join("; "),
  );
  return entry;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const roundsAt = argv.indexOf("--rounds");
  const rounds = roundsAt >= 0 ? Number(argv[roundsAt + 1]) : 5;
  const hold = `bench-services-scale-${process.pid}`;
  await servicesUp(["docker", "registry", "sshd", "buildkitd"], [], hold);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-scale-"));
  const repository = `${REGISTRY}/${NAMESPACE}/web`;
  const digest = await pushScratchRelease({
    work,
    repository,
    name: "web",
    tags: ["scale"],
    platforms: "linux/amd64",
    content: "services-scale\n",
  });
  console.log(`web: ${repository}@${digest}`);
  const twin = makeTwin({
    namespace: NAMESPACE,
    prefix: "scale",
    edge: "scale-edge",
    httpPort: 28280,
    httpsPort: 28643,
  });
  // The twin has the program as `npm run build` compiled it (dist/).
  const done: Round[] = [];
  try {
    for (const services of SIZES) {
      fs.writeFileSync(
        path.join(twin.dir, `Pulumi.${stackName(services)}.yaml`),
        `# bench/services-scale.ts: ${services} service(s) × ${HOSTS} hosts, previewed only.\n` +
          stringify({ config: scaleConfig(services, digest) }),
      );
    }
    // Once each, unmeasured: creates the stacks, starts every plugin once (page cache, JIT).
    for (const services of SIZES) {
      await evaluateInChild(twin, services, digest);
      await preview(twin, services);
    }
    for (let round = 0; round < rounds; round++) {
      done.push(await measureRound(twin, digest, round));
    }
    const report = table(done);
    console.log(`\n${report}\n`);
    console.log("steps:", JSON.stringify(done[done.length - 1]!.preview, null, 1));
    const results = path.join(__dirname, "results");
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    fs.mkdirSync(results, { recursive: true });
    let profiles: string[] = [];
    let experiment: { rounds: Round[]; report: string } | undefined;
    if (argv.includes("--profile")) {
      const dir = path.join(results, `services-scale-${stamp}`);
      fs.mkdirSync(dir, { recursive: true });
      profiles = await profileAll(twin, digest, dir);
      console.log(profiles.join("\n\n"));
    }
    if (argv.includes("--without-stack-hook")) {
      experiment = await withoutStackHook(twin, digest, rounds);
      console.log(`\nWithout the stack-trace hook:\n\n${experiment.report}\n`);
    }
    fs.writeFileSync(
      path.join(results, `services-scale-${stamp}.json`),
      JSON.stringify({ digest, rounds: done, report, profiles, experiment }, null, 2),
    );
  } finally {
    for (const services of SIZES) {
      twin.shell(`pulumi stack rm --stack ${stackName(services)} --yes --force`);
    }
    twin.remove();
    fs.rmSync(work, { recursive: true, force: true });
    await deleteManifest(`${NAMESPACE}/web`, digest);
    await servicesRelease(hold);
  }
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
