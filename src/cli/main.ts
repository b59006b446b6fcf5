import * as os from "node:os";
import { CommanderError } from "commander";
import { config as zodConfig } from "zod";
import { ConfigError } from "../config/errors";
import { LedgerError } from "../ledger";
import { GITHUB_API_URL, RegistryError } from "../registry";
import { defaultRegistry, updating, type CliDeps } from "./context";
import { DriverError } from "./driver";
import { projectRoot } from "./argv";
import { closeEarlySessions } from "./early-sessions";
import { CliError } from "./errors";
import { EXIT } from "./exit-codes";
import { RELEASE_ROOT, SystemHostReader } from "./host-release";
import { LocalStackDriver } from "./local-driver";
import { buildProgram } from "./program";
import { commandLine } from "./quote";

/** The real dependencies: Automation API, fetch, ssh, the clock. */
function defaultDeps(root: string): CliDeps {
  return {
    root,
    driver: new LocalStackDriver(root),
    registry: defaultRegistry,
    githubApi: {
      url: GITHUB_API_URL,
      ...(process.env.GITHUB_TOKEN === undefined ? {} : { token: process.env.GITHUB_TOKEN }),
    },
    hosts: new SystemHostReader(),
    releaseRoot: RELEASE_ROOT,
    now: () => new Date(),
    user: process.env.SLIPWAY_USER ?? process.env.GITHUB_ACTOR ?? os.userInfo().username,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    ...(process.stdin.isTTY && process.stdout.isTTY ? { ask: askAtTerminal } : {}),
  };
}

/** One question at the terminal (slipway init asks for what its flags did not give). */
async function askAtTerminal(question: string): Promise<string> {
  const readline = await import("node:readline/promises");
  const terminal = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await terminal.question(question);
  } finally {
    terminal.close();
  }
}

/** An error as the CLI reports it: exit code, message and next commands. */
function describeError(error: unknown): CliError {
  if (error instanceof CliError) {
    return error;
  }
  if (error instanceof LedgerError) {
    return new CliError(EXIT.refused, error.message, error.next);
  }
  if (error instanceof ConfigError) {
    return new CliError(EXIT.refused, error.message);
  }
  if (error instanceof RegistryError) {
    return new CliError(
      error.kind === "unreachable" || error.kind === "unauthorized"
        ? EXIT.unreachable
        : EXIT.refused,
      error.message,
    );
  }
  if (error instanceof DriverError) {
    return new CliError(EXIT.unreachable, error.message);
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return new CliError(
    EXIT.internal,
    `unexpected error (a bug in slipway; please report it):\n${detail}`,
  );
}

/**
 * Runs `slipway` with `argv` (without the program name) and returns the exit code. Output
 * goes to `deps.stdout`/`deps.stderr`; nothing here calls process.exit.
 */
export async function main(
  argv: readonly string[],
  overrides: Partial<CliDeps> = {},
): Promise<number> {
  const root = overrides.root ?? projectRoot(argv, process.cwd());
  const base = { ...defaultDeps(root), ...overrides, root };
  let printed = false;
  const deps: CliDeps = {
    ...base,
    stdout: (text) => {
      printed = true;
      base.stdout(text);
    },
  };
  const json = argv.includes("--json");
  const outcome = { code: EXIT.ok as number };
  const program = buildProgram(deps, commandLine(["slipway", ...argv]), outcome);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return outcome.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const failure = describeError(error);
    const next =
      failure.next.length === 0
        ? ""
        : `\nnext:\n${failure.next.map((line) => `  ${line}`).join("\n")}`;
    deps.stderr(`slipway: ${failure.message}${next}\n`);
    if (json && !printed) {
      deps.stdout(
        `${JSON.stringify({ error: { code: failure.code, message: failure.message, next: failure.next } }, null, 2)}\n`,
      );
    }
    return failure.code;
  }
}

/** The `slipway` executable: real dependencies, Ctrl-C cancels a running update. */
export function run(): void {
  // A command parses each schema once or twice: zod's compiled fast path (a `new Function`
  // per object schema, built at its first parse) costs more than it saves there (48 ms of a
  // 56 ms config validation in a CPU profile of `slipway rollback`).
  zodConfig({ jitless: true });
  const controller = new AbortController();
  const onInterrupt = () => {
    if (controller.signal.aborted || !updating()) {
      process.exit(130);
    }
    controller.abort();
    process.stderr.write("\nslipway: interrupted; stopping (Ctrl-C again to quit at once)\n");
  };
  process.on("SIGINT", onInterrupt);
  main(process.argv.slice(2), { signal: controller.signal }).then(
    (code) => {
      closeEarlySessions();
      process.off("SIGINT", onInterrupt);
      process.exitCode = code;
    },
    (error: unknown) => {
      closeEarlySessions();
      process.stderr.write(`slipway: ${String(error)}\n`);
      process.exitCode = EXIT.internal;
    },
  );
}

if (require.main === module) {
  run();
}
