/**
 * Deploy benchmark: Slipway's generated script (over SSH, as remote.Command runs it) side by
 * side with the common `docker compose pull; docker compose down; docker compose up -d` style,
 * both against the local sshd, Docker engine and registry, under a steady request loop.
 *
 *   npx ts-node --transpile-only bench/deploy.ts [--reps N]
 *
 * Prints a Markdown table and writes bench/results/deploy-<time>.json. Measures per run:
 * - seconds from the start of the deploy until the new release answers (Slipway: the script's
 *   "switched" line; compose: the first request answering the new version);
 * - seconds until the deploy command returned;
 * - failed requests in the loop (4 workers, a fresh connection per request);
 * - for a release whose health check fails: seconds until Slipway gave up (its revert) and
 *   failed health requests; compose has no health gate, so the broken release goes live.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { deployScript, stopScript } from "../src/deploy";
import {
  ensureBusybox,
  REPO_ROOT,
  servicesRelease,
  servicesUp,
  uniqueTag,
} from "../test/helpers/services";
import {
  buildAndPush,
  freePort,
  get,
  loadLoop,
  localDefinition,
  payloadFor,
  removeImages,
  runScript,
  startScript,
  type LoadResult,
  type Release,
} from "../test/integration/deploy-fixture";
import { median } from "./stats";

const HEALTH_TIMEOUT_SECONDS = 5;

interface Sample {
  readonly style: "slipway" | "compose";
  readonly scenario: "new release" | "rollback" | "broken release";
  /** Seconds from start until the new release took traffic (undefined: it never did). */
  readonly toServing?: number;
  /** Seconds until the deploy command returned. */
  readonly total: number;
  readonly exitCode: number;
  readonly requests: number;
  readonly failures: number;
  readonly errors: readonly string[];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function withLoad<T>(
  port: number,
  urlPath: string,
  body: () => Promise<T>,
  settleMs = 1500,
): Promise<{ value: T; load: LoadResult }> {
  const load = loadLoop(port, urlPath);
  await sleep(500);
  const value = await body();
  await sleep(settleMs);
  return { value, load: await load.stop() };
}

/** Polls the port until it answers `version`; seconds since `started`, or undefined. */
async function firstAnswer(
  port: number,
  version: string,
  started: bigint,
  timeoutMs: number,
): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const { status, body } = await get(port, "/cgi-bin/version", 1000);
      if (status === 200 && body.trim() === version) {
        return Number(process.hrtime.bigint() - started) / 1e9;
      }
    } catch {
      // not up yet
    }
    await sleep(50);
  }
  return undefined;
}

async function slipwayRun(
  scenario: Sample["scenario"],
  service: string,
  port: number,
  release: Release,
  proxy: Release,
): Promise<Sample> {
  const def = localDefinition(service, port, release, proxy, {
    healthTimeoutSeconds: HEALTH_TIMEOUT_SECONDS,
  });
  const urlPath = scenario === "broken release" ? "/healthz" : "/cgi-bin/version";
  const { value, load } = await withLoad(port, urlPath, async () => {
    const started = process.hrtime.bigint();
    const run = startScript(deployScript(def), payloadFor({}));
    let switchedAt: number | undefined;
    while (switchedAt === undefined) {
      if (run.stdout().includes(" switched ")) {
        switchedAt = Number(process.hrtime.bigint() - started) / 1e9;
        break;
      }
      const raced = await Promise.race([run.done.then(() => true), sleep(20).then(() => false)]);
      if (raced && !run.stdout().includes(" switched ")) {
        break;
      }
    }
    return { run: await run.done, switchedAt };
  });
  return {
    style: "slipway",
    scenario,
    ...(value.switchedAt === undefined ? {} : { toServing: value.switchedAt }),
    total: value.run.seconds,
    exitCode: value.run.code,
    requests: load.requests,
    failures: load.failures,
    errors: load.errors,
  };
}

function composeFile(project: string, port: number, ref: string): string {
  return [
    `name: ${project}`,
    "services:",
    "  web:",
    `    image: ${ref}`,
    "    init: true",
    "    restart: unless-stopped",
    "    ports:",
    `      - "${port}:8080"`,
    "",
  ].join("\n");
}

async function composeRun(
  scenario: Sample["scenario"],
  dir: string,
  project: string,
  port: number,
  release: Release,
): Promise<Sample> {
  fs.writeFileSync(path.join(dir, "compose.yaml"), composeFile(project, port, release.ref));
  const script = `set -e; cd '${dir}'; docker compose pull --quiet; docker compose down; docker compose up -d`;
  const urlPath = scenario === "broken release" ? "/healthz" : "/cgi-bin/version";
  const { value, load } = await withLoad(
    port,
    urlPath,
    async () => {
      const started = process.hrtime.bigint();
      const run = startScript(script, "");
      const serving = firstAnswer(port, release.version, started, 60_000);
      return { run: await run.done, serving: await serving };
    },
    scenario === "broken release" ? 5000 : 1500,
  );
  return {
    style: "compose",
    scenario,
    ...(value.serving === undefined ? {} : { toServing: value.serving }),
    total: value.run.seconds,
    exitCode: value.run.code,
    requests: load.requests,
    failures: load.failures,
    errors: load.errors,
  };
}

function summarize(samples: Sample[]): string {
  const rows = [
    "| style | scenario | runs | to serving, s (median; min–max) | command, s (median) | exit | failed requests / requests |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const style of ["slipway", "compose"] as const) {
    for (const scenario of ["new release", "rollback", "broken release"] as const) {
      const group = samples.filter((s) => s.style === style && s.scenario === scenario);
      if (group.length === 0) {
        continue;
      }
      const serving = group.flatMap((s) => (s.toServing === undefined ? [] : [s.toServing]));
      const servingText =
        serving.length === 0
          ? "never (kept the old release)"
          : `${median(serving).toFixed(2)}; ${Math.min(...serving).toFixed(2)}–${Math.max(...serving).toFixed(2)}`;
      rows.push(
        `| ${style} | ${scenario} | ${group.length} | ${servingText} | ${median(group.map((s) => s.total)).toFixed(2)} | ${[...new Set(group.map((s) => s.exitCode))].join(",")} | ${group.reduce((n, s) => n + s.failures, 0)} / ${group.reduce((n, s) => n + s.requests, 0)} |`,
      );
    }
  }
  return rows.join("\n");
}

async function main(): Promise<void> {
  const repsFlag = process.argv.indexOf("--reps");
  const reps = repsFlag < 0 ? 3 : Number(process.argv[repsFlag + 1]);
  const hold = `bench-deploy-${process.pid}`;
  await servicesUp(["docker", "registry", "sshd"], [], hold);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-bench-"));
  const samples: Sample[] = [];
  const built: Release[] = [];
  const service = uniqueTag("bench").replace(/[^a-z0-9-]/g, "");
  const project = `${service}-compose`;
  try {
    await ensureBusybox();
    const tag = uniqueTag("bench");
    const namespace = `slipway-bench/${tag}`;
    const build = async (name: string, extra: Record<string, string> = {}) => {
      const release = await buildAndPush(
        `${namespace}/web`,
        name,
        "app",
        { APP_RELEASE: `${tag}-${name}`, ...extra },
        "prod",
      );
      built.push(release);
      return release;
    };
    const proxy = await buildAndPush(`${namespace}/proxy`, "1", "proxy", {});
    built.push(proxy);
    const broken = await build("broken", { HEALTH: "broken" });
    const port = await freePort(18700);
    const composePort = await freePort(port + 1);

    for (let rep = 0; rep < reps; rep++) {
      process.stderr.write(`rep ${rep + 1}/${reps}\n`);
      // Slipway: first release, then a new one (pulled), a rollback (kept), a broken one.
      const first = await build(`s${rep}-1`);
      const second = await build(`s${rep}-2`);
      const initial = await runScript(
        deployScript(localDefinition(service, port, first, proxy)),
        payloadFor({}),
      );
      if (initial.code !== 0) {
        throw new Error(`initial Slipway deploy failed:\n${initial.stdout}\n${initial.stderr}`);
      }
      samples.push(await slipwayRun("new release", service, port, second, proxy));
      samples.push(await slipwayRun("rollback", service, port, first, proxy));
      samples.push(await slipwayRun("broken release", service, port, broken, proxy));
      await runScript(stopScript(localDefinition(service, port, first, proxy)), "");

      // compose: the same steps.
      const cFirst = await build(`c${rep}-1`);
      const cSecond = await build(`c${rep}-2`);
      fs.writeFileSync(
        path.join(work, "compose.yaml"),
        composeFile(project, composePort, cFirst.ref),
      );
      const up = await runScript(
        `cd '${work}' && docker compose pull --quiet && docker compose up -d`,
        "",
      );
      if (up.code !== 0) {
        throw new Error(`initial compose up failed:\n${up.stderr}`);
      }
      await firstAnswer(composePort, cFirst.version, process.hrtime.bigint(), 30_000);
      samples.push(await composeRun("new release", work, project, composePort, cSecond));
      samples.push(await composeRun("rollback", work, project, composePort, cFirst));
      samples.push(await composeRun("broken release", work, project, composePort, broken));
      await runScript(`cd '${work}' && docker compose down`, "");
    }
  } finally {
    await runScript(
      stopScript({ host: "local", stack: "it", service, stateRoot: "/var/lib/slipway" }),
      "",
    );
    if (fs.existsSync(path.join(work, "compose.yaml"))) {
      await runScript(`cd '${work}' && docker compose down`, "");
    }
    fs.rmSync(work, { recursive: true, force: true });
    await removeImages(built);
    await servicesRelease(hold);
  }

  const table = summarize(samples);
  const resultsDir = path.join(REPO_ROOT, "bench", "results");
  fs.mkdirSync(resultsDir, { recursive: true });
  const file = path.join(
    resultsDir,
    `deploy-${new Date().toISOString().replace(/[:.]/g, "-")}.json`,
  );
  fs.writeFileSync(
    file,
    `${JSON.stringify({ healthTimeoutSeconds: HEALTH_TIMEOUT_SECONDS, samples }, null, 2)}\n`,
  );
  process.stdout.write(`${table}\n\nraw samples: ${path.relative(REPO_ROOT, file)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
