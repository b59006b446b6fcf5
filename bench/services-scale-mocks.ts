/**
 * One mock evaluation of the program for bench/services-scale.ts, in a process of its own:
 *
 *   node -r ts-node/register/transpile-only bench/services-scale-mocks.ts '{"dir":…,"stack":…,"config":{…}}'
 *
 * Installs the unit tests' recording mocks (test/helpers/mocks.ts), loads the modules the
 * program imports (timed apart: what every start pays), sets the stack config, then times from
 * importing `<dir>/dist/stacks/index.js` until every stack output resolved and every
 * registration reached the mocks. With `profile`, V8's CPU profiler (the one `node --cpu-prof`
 * starts) records that window only and writes it there; with `plainStackTraces`, ts-node's
 * stack-trace hook is removed first. Prints one JSON line.
 */
import * as fs from "node:fs";
import { Session } from "node:inspector/promises";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { recordResources, valueOf, waitForRPCs } from "../test/helpers/mocks";

export interface Evaluation {
  /** Loading the program's modules (before the clock of the evaluation starts). */
  readonly moduleSeconds: number;
  /** From importing the program until every output resolved and every registration arrived. */
  readonly evaluateSeconds: number;
  /** `newResource` calls (component resources included). */
  readonly resources: number;
  readonly byType: Record<string, number>;
}

interface Input {
  readonly dir: string;
  readonly stack: string;
  readonly config: Record<string, unknown>;
  readonly profile?: string;
  /**
   * Removes ts-node's stack-trace hook (source-map-support's Error.prepareStackTrace) before the
   * evaluation: the stacks the SDK captures are then V8's own, as without ts-node.
   */
  readonly plainStackTraces?: boolean;
}

const seconds = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e9;

async function evaluate(input: Input): Promise<Evaluation> {
  const dist = path.join(input.dir, "dist");
  const recorded = await recordResources(input.stack);
  const loading = process.hrtime.bigint();
  // What stacks/index imports; importing them declares nothing.
  for (const module of [
    "stacks/program",
    "stacks/outputs",
    "infra/deploy",
    "infra/edge",
    "infra/github",
    "infra/supply",
    "src/config",
    "src/images",
    "src/ledger",
    "src/supply",
  ]) {
    await import(path.join(dist, module));
  }
  const moduleSeconds = seconds(loading);
  if (input.plainStackTraces === true) {
    delete (Error as { prepareStackTrace?: unknown }).prepareStackTrace;
  }
  pulumi.runtime.setAllConfig(
    Object.fromEntries(
      Object.entries(input.config).map(([key, value]) => [
        key,
        typeof value === "string" ? value : JSON.stringify(value),
      ]),
    ),
    [],
  );
  const session = input.profile === undefined ? undefined : new Session();
  if (session !== undefined) {
    session.connect();
    await session.post("Profiler.enable");
    await session.post("Profiler.start");
  }
  const started = process.hrtime.bigint();
  const program = (await import(path.join(dist, "stacks", "index.js"))) as Record<string, unknown>;
  await valueOf(pulumi.output(program));
  await waitForRPCs();
  const evaluateSeconds = seconds(started);
  if (session !== undefined) {
    const { profile } = await session.post("Profiler.stop");
    fs.writeFileSync(input.profile!, JSON.stringify(profile));
    session.disconnect();
  }
  const byType: Record<string, number> = {};
  for (const resource of recorded) {
    byType[resource.type] = (byType[resource.type] ?? 0) + 1;
  }
  return { moduleSeconds, evaluateSeconds, resources: recorded.length, byType };
}

if (require.main === module) {
  evaluate(JSON.parse(process.argv[2] ?? "{}") as Input).then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
