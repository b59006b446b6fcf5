/**
 * Instant rollback: how long from the start of `slipway rollback` until the edge answers
 * with the earlier release, when the host kept it warm (the rollback window), and how long
 * the whole command takes (its pin and update included). Not a test.
 *
 *   npx ts-node --transpile-only bench/rollback-latency.ts
 *
 * On a twin of the local stacks (test/helpers/twin.ts: its own edge on 127.0.0.1:28480),
 * with the real engine, registry and host over SSH, local-prod (a promote stack, default
 * rollback window): `pulumi up` of local at r1 and `slipway promote` to local-prod, then r2
 * the same way (r1 is now warm on the host). Then:
 * ROUNDS rounds (default 2) of:
 * 1. under a keep-alive load (8 sockets) and a fresh-connection load (2 loops) at once,
 *    every answer checked: `slipway rollback --stack local-prod` (back to r1; later rounds
 *    `--to` r1's digest);
 * 2. quiet (no load): `slipway rollback --stack local-prod --to <r2's digest>` (r2 was kept
 *    warm by the rollback before).
 * With BASELINE=<checkout>/bin/slipway.js each round runs the same pair with that CLI first.
 * The CLI runs with bench/spawn-probe.js preloaded, which says when node ran, the CLI's main
 * module loaded, its first `ssh` started (the early session) and the switch script was sent.
 * A poller asks the edge for /cgi-bin/version (the release id) every 10 ms on a fresh
 * connection; switch = from spawning the command to its first answer from the earlier release.
 * Prints a Markdown table and writes bench/results/rollback-latency-<time>.json.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { load, request, sleep, type LoadCount } from "../test/helpers/load";
import { servicesUp } from "../test/helpers/services";
import { makeTwin, type Twin } from "../test/helpers/twin";
import { retiresSettled } from "../test/integration/deploy-fixture";

const HTTP_PORT = 28480;
const HTTPS_PORT = 28843;
/** Rounds of (a rollback under load, a roll forward quiet): ROUNDS in the environment, else 2. */
const ROUNDS = Number(process.env.ROUNDS ?? 2);
/**
 * BASELINE: another checkout's `bin/slipway.js` (built: its dist/ current), run in the same
 * twin before this tree's CLI in each round, side by side (e.g. the commit this branch left).
 */
const BASELINE = process.env.BASELINE;

interface Rollback {
  readonly name: string;
  /** Seconds from spawning the command to the first answer from the earlier release. */
  readonly switched: number;
  /** Seconds the whole command took. */
  readonly command: number;
  /**
   * Seconds from spawning the command to: node running (the probe preloaded), the CLI's main
   * module loaded, its first `ssh` started (the early session), the switch script sent.
   */
  readonly phases: Partial<Record<Phase, number>>;
  readonly code: number;
  /** The command's progress lines about the instant switch. */
  readonly warm: string[];
  readonly keepAlive?: LoadCount;
  readonly fresh?: LoadCount;
}

const PHASES = {
  node: "preload",
  loaded: "main loaded",
  ssh: "spawn ssh",
  script: "script to ssh",
} as const;
type Phase = keyof typeof PHASES;

/** When each phase began (the probe's first line of it), from `startedAt` (ms, wall clock). */
function phasesOf(stderr: string, startedAt: number): Partial<Record<Phase, number>> {
  return Object.fromEntries(
    Object.entries(PHASES).flatMap(([phase, line]) => {
      const at = new RegExp(`^slipway-bench: ${line} at (\\d+)$`, "m").exec(stderr);
      return at === null ? [] : [[phase, seconds(Number(at[1]) - startedAt)]];
    }),
  );
}

function seconds(ms: number): number {
  return Math.round(ms) / 1000;
}

/** `node bin/slipway.js ARGS` in the twin, timed from its spawn, with the switch polled. */
async function timedRollback(
  twin: Twin,
  name: string,
  args: string[],
  want: string,
  loaded: boolean,
  cli: string = path.join(twin.dir, "bin", "slipway.js"),
): Promise<Rollback> {
  const keepAlive = loaded
    ? load(HTTP_PORT, twin.promoteHost, "/cgi-bin/version", true, 8)
    : undefined;
  const fresh = loaded
    ? load(HTTP_PORT, twin.promoteHost, "/cgi-bin/version", false, 2)
    : undefined;
  await sleep(1000);
  const started = performance.now();
  let switched: number | undefined;
  let polling = true;
  const poller = (async () => {
    while (polling && switched === undefined) {
      try {
        const answer = await request(HTTP_PORT, "/cgi-bin/version", {
          host: twin.promoteHost,
          timeoutMs: 2000,
        });
        if (answer.status === 200 && answer.body.trim() === want) {
          switched = performance.now() - started;
        }
      } catch {
        // keep polling
      }
      await sleep(10);
    }
  })();
  const startedAt = Date.now();
  const result = await new Promise<{ code: number; stderr: string }>((resolve) => {
    const child = spawn("node", [cli, ...args], {
      cwd: twin.dir,
      env: {
        ...process.env,
        ...twin.env,
        NODE_OPTIONS: `--require ${path.join(__dirname, "spawn-probe.js")}`,
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("close", (code) => resolve({ code: code ?? 1, stderr }));
  });
  const command = performance.now() - started;
  await sleep(500);
  polling = false;
  await poller;
  await retiresSettled();
  await sleep(500);
  if (result.code !== 0) {
    console.error(result.stderr);
  }
  return {
    name,
    switched: seconds(switched ?? NaN),
    command: seconds(command),
    phases: phasesOf(result.stderr, startedAt),
    code: result.code,
    warm: result.stderr
      .split("\n")
      .filter((line) => / on .*: (the edge serves|no instant)/.test(line)),
    ...(keepAlive === undefined ? {} : { keepAlive: await keepAlive.stop() }),
    ...(fresh === undefined ? {} : { fresh: await fresh.stop() }),
  };
}

async function main(): Promise<void> {
  await servicesUp(["docker", "registry", "sshd", "binfmt", "buildkitd"]);
  const load1 = os.loadavg()[0]!;
  const twin = makeTwin({
    namespace: "slipway-rollback",
    prefix: "rb",
    edge: "rb-edge",
    httpPort: HTTP_PORT,
    httpsPort: HTTPS_PORT,
  });
  const rollbacks: Rollback[] = [];
  try {
    const local = await twin.stack("local");
    await twin.stack("local-prod");
    const release = async (id: string) => {
      twin.edit("local", (doc) =>
        doc.setIn(["config", "slipway:images", "web", "build", "args", "APP_RELEASE"], id),
      );
      twin.git("commit", "-q", "--allow-empty", "-am", `rollback bench: ${id}`);
      // One retry: two builds pushing the same new blob into a fresh namespace at once can
      // meet the registry's "provided digest did not match uploaded content".
      const up = await local
        .up({ onOutput: () => undefined })
        .catch(() => local.up({ onOutput: () => undefined }));
      const promoted = await twin.slipway("promote", "--from", "local", "--to", "local-prod");
      if (up.summary.result !== "succeeded" || promoted.code !== 0) {
        throw new Error(`release ${id}: ${up.summary.result}; promote: ${promoted.stderr}`);
      }
      const images = up.outputs.images!.value as Record<string, { digest: string }>;
      return images.web!.digest;
    };
    const r1 = await release("r1");
    const r2 = await release("r2");
    await retiresSettled();
    console.log("released r1 and r2 on local-prod");
    // Each round: back to r1 under load, then forward to r2 quiet (each kept the other warm);
    // with BASELINE, the same pair with that CLI first.
    const clis = [
      ...(BASELINE === undefined ? [] : [{ label: "baseline: ", cli: BASELINE }]),
      { label: "", cli: path.join(twin.dir, "bin", "slipway.js") },
    ];
    for (let round = 1; round <= ROUNDS; round += 1) {
      for (const { label, cli } of clis) {
        const first = round === 1 && cli === clis[0]!.cli;
        rollbacks.push(
          await timedRollback(
            twin,
            `${label}round ${round}: rollback to r1${first ? "" : " (--to its digest)"}, under keep-alive and fresh-connection load`,
            ["rollback", "--stack", "local-prod", ...(first ? [] : ["--to", r1])],
            "r1",
            true,
            cli,
          ),
        );
        console.log(JSON.stringify(rollbacks[rollbacks.length - 1]));
        rollbacks.push(
          await timedRollback(
            twin,
            `${label}round ${round}: rollback to r2 (--to its digest), quiet`,
            ["rollback", "--stack", "local-prod", "--to", r2],
            "r2",
            false,
            cli,
          ),
        );
        console.log(JSON.stringify(rollbacks[rollbacks.length - 1]));
      }
    }
  } finally {
    twin.shell("pulumi destroy --stack local-prod --yes --non-interactive");
    twin.shell("pulumi destroy --stack local --yes --non-interactive");
    twin.remove();
  }
  const failed = (count: LoadCount | undefined) =>
    count === undefined ? "(no load)" : `${count.failures} of ${count.requests}`;
  const table = [
    `Instant rollback (${os.cpus().length} cores, load average ${load1.toFixed(1)} at the start, ${os.loadavg()[0]!.toFixed(1)} at the end):`,
    "",
    "| rollback | command start → first answer from the earlier release (s) | → node runs / main loaded / first `ssh` / switch script sent (s) | whole command (s) | failed keep-alive | failed fresh |",
    "|---|---|---|---|---|---|",
    ...rollbacks.map(
      (r) =>
        `| ${r.name}${r.code === 0 ? "" : " (FAILED)"} | **${r.switched.toFixed(2)}** | ${(Object.keys(PHASES) as Phase[]).map((phase) => r.phases[phase]?.toFixed(2) ?? "–").join(" / ")} | ${r.command.toFixed(1)} | ${failed(r.keepAlive)} | ${failed(r.fresh)} |`,
    ),
    "",
    ...rollbacks.map((r) => `${r.name}: ${r.warm.join(" / ") || "no instant switch line"}`),
  ].join("\n");
  console.log(`\n${table}\n`);
  const results = path.join(__dirname, "results");
  fs.mkdirSync(results, { recursive: true });
  fs.writeFileSync(
    path.join(results, `rollback-latency-${new Date().toISOString().replace(/[:.]/g, "-")}.json`),
    JSON.stringify({ rollbacks }, null, 2),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
