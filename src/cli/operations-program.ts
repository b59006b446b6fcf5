/**
 * The day-two commands of `slipway` (logs, exec, lock, details, accessory, completion): what
 * an operator runs against the hosts of a stack after the deploy. Registered on the program
 * by buildProgram; each action is a function of src/cli/commands.
 */
import { Argument, Command, InvalidArgumentError, Option } from "commander";
import { completionScript, SHELLS, type Shell } from "./completion";
import type { Run } from "./context";
import type { CommandSet } from "./stack-command";
import { collect, HELP_FOOTER, jsonOption, stackOf, stackOption, wholeNumber } from "./options";

const HOST_HELP = "only this host (repeatable); default: every host it runs on";
const SERVICE_HELP = "the service (default: the stack's only one)";

/** The options every day-two command on the stack's hosts has. */
interface HostOptions {
  stack?: string;
  host?: string[];
}

/** `--stack` and `--host`: the stack, and which of its hosts (`hostHelp` names the default). */
function onHosts(command: Command, hostHelp = HOST_HELP): Command {
  return command.addOption(stackOption()).option("--host <name>", hostHelp, collect);
}

/** The options of a day-two command on one service of the stack. */
interface ServiceOptions extends HostOptions {
  service?: string;
}

/** `--stack`, `--service` and `--host`: a service of the stack, and which of its hosts. */
function onService(command: Command, hostHelp = HOST_HELP): Command {
  return command
    .addOption(stackOption())
    .option("--service <name>", SERVICE_HELP)
    .option("--host <name>", hostHelp, collect);
}

/** What a day-two command acts on: the stack, on the hosts `--host` named (absent: all of them). */
interface Target {
  readonly stack: string;
  readonly hosts?: readonly string[];
  /** `--service`, on the commands that have it; absent: the stack's only one. */
  readonly service?: string;
}

function tailValue(value: string): number | "all" {
  if (value === "all") return "all";
  return wholeNumber(0)(value);
}

function pattern(value: string): RegExp {
  try {
    return new RegExp(value);
  } catch (error) {
    throw new InvalidArgumentError(`not a regular expression: ${(error as Error).message}`);
  }
}

function since(value: string): string {
  if (!/^(\d+[smhd]|\d{4}-\d\d-\d\d(T[0-9:.]+(Z|[+-]\d\d:?\d\d)?)?)$/.test(value)) {
    throw new InvalidArgumentError(
      "expected a duration (10m, 2h, 1d) or a time (2026-12-07T08:00:00Z)",
    );
  }
  // docker takes 10m and 2h, but not days.
  return /^\d+d$/.test(value) ? `${Number(value.slice(0, -1)) * 24}h` : value;
}

interface LogOptions extends HostOptions {
  since?: string;
  tail?: number | "all";
  follow?: boolean;
  timestamps?: boolean;
  grep?: RegExp;
}

function logOptions(command: Command): Command {
  return onHosts(command)
    .option("--since <when>", "only lines since a duration ago (10m, 2h, 1d) or a time", since)
    .option("--tail <n>", "the last N lines, or all (default: 100, all with --since)", tailValue)
    .option("-f, --follow", "keep printing new lines (Ctrl-C stops)")
    .option("--timestamps", "each line with Docker's time stamp")
    .option("--grep <regex>", "only lines that match (after secrets are masked)", pattern);
}

function logRequest(options: LogOptions) {
  const tail = options.tail ?? (options.since === undefined ? 100 : "all");
  return {
    ...(options.since === undefined ? {} : { since: options.since }),
    ...(tail === "all" ? {} : { tail }),
    follow: options.follow === true,
    timestamps: options.timestamps === true,
    ...(options.grep === undefined ? {} : { grep: options.grep }),
  };
}

/** Adds the day-two commands to `program`. */
export function addOperationCommands({ program, deps, outcome, run }: CommandSet): void {
  /**
   * What every day-two command acts on: the stack (--stack), on its hosts or the --host ones,
   * and the service --service names (on the commands that have it).
   */
  const target = async (options: ServiceOptions): Promise<Target> => ({
    stack: await stackOf(deps, options.stack),
    ...(options.host === undefined ? {} : { hosts: options.host }),
    ...(options.service === undefined ? {} : { service: options.service }),
  });
  /**
   * The rest of a day-two command that reports what it found or did, after `--stack` and
   * `--host` (onHosts, onService): its own `flags`, `--json`; the help ends with `example` and
   * the exit codes. `act` gets the command's Run, its target, its options and its arguments,
   * and returns the exit code.
   */
  const reporting = <O extends object>(
    command: Command,
    act: (run: Run, target: Target, options: O, operands: readonly string[]) => Promise<number>,
    flags: readonly Option[] = [],
    example = "",
  ): void => {
    for (const flag of flags) {
      command.addOption(flag);
    }
    command
      .addOption(jsonOption())
      .addHelpText("after", `${example}${HELP_FOOTER}`)
      .action(async () => {
        const options = command.opts<O & HostOptions & { json?: boolean }>();
        outcome.code = await act(
          run(options),
          await target(options),
          options,
          command.processedArgs as string[],
        );
      });
  };
  logOptions(
    program
      .command("logs")
      .summary("the logs of a service's running release on its hosts")
      .description(
        `Prints the logs of the release container that serves the service on each of its
hosts (--previous: the release before it, kept for rollback), read with docker
logs over ssh. Secret values of the stack are masked as [secret]. With more
than one host or replica each line starts with [host] or [host instance].`,
      ),
  )
    .option("--service <name>", SERVICE_HELP)
    .option("--previous", "the previous release container instead of the current one")
    .addHelpText(
      "after",
      `\nExamples:\n  slipway logs --stack prod --service api --since 10m --grep ERROR\n  slipway logs --stack prod -f\n${HELP_FOOTER}`,
    )
    .action(async (options: LogOptions & ServiceOptions & { previous?: boolean }) => {
      outcome.code = await (
        await import("./commands/logs")
      ).logs(run({}), {
        ...(await target(options)),
        previous: options.previous === true,
        ...logRequest(options),
      });
    });

  const exec = program
    .command("exec")
    .summary("run a command in a one-off container of a service's release")
    .description(
      `Runs the command in a one-off container of the release the stack pins, with the
service's env, secret env (sent over stdin, never in a command line) and network,
on the service's first host (or --host); the container is removed afterwards.
--in-running runs it in the current release container instead. Output is masked
unless --interactive (a terminal). Exit 7 when the command exits non-zero.`,
    )
    .argument("[command...]", "the command and its arguments, after --");
  onService(exec, "run on this host (repeatable); default: the service's first host")
    .option("-i, --interactive", "a terminal (TTY) for a console, on one host")
    .option("--in-running", "inside the running release container instead of a one-off one")
    .option(
      "--entrypoint <path>",
      "the one-off container's entrypoint instead of the image's (the command is its arguments)",
    )
    .addHelpText(
      "after",
      `\nExamples:\n  slipway exec --stack prod --service api -- bin/migrate\n  slipway exec --stack prod -i -- sh\n  slipway exec --stack prod --entrypoint /bin/sh -- -c 'echo $DATABASE_HOST'\n${HELP_FOOTER}`,
    )
    .action(
      async (
        command: string[],
        options: ServiceOptions & {
          interactive?: boolean;
          inRunning?: boolean;
          entrypoint?: string;
        },
      ) => {
        outcome.code = await (
          await import("./commands/exec")
        ).exec(run({}), {
          ...(await target(options)),
          command,
          interactive: options.interactive === true,
          inRunning: options.inRunning === true,
          ...(options.entrypoint === undefined ? {} : { entrypoint: options.entrypoint }),
        });
      },
    );

  const lock = program
    .command("lock")
    .summary("who holds the deploy locks of a stack's hosts; release them")
    .addHelpText("after", HELP_FOOTER);
  reporting(
    onHosts(
      lock
        .command("status")
        .summary("each deploy lock of the stack on its hosts: held or free, by whom")
        .description(
          `Asks each host's kernel whether the deploy locks of the stack's services,
accessories and edge are held (flock), and shows what their holder wrote:
stack, host user, SSH client, pid, since, and the script it runs.`,
        ),
    ),
    async (run, target) => (await import("./commands/lock")).lockStatus(run, target),
  );
  reporting(
    onHosts(
      lock
        .command("release")
        .summary("end the processes that hold the stack's deploy locks")
        .description(
          `A lock is free when its holder's processes end; release ends them (TERM, then
KILL after 10 s) and says whose lock it was. A lock held by a deploy of another
stack is refused without --force, naming its holder, before anything is ended.`,
        ),
    ),
    async (run, target, options: { force?: boolean }) =>
      (await import("./commands/lock")).lockRelease(run, {
        ...target,
        force: options.force === true,
      }),
    [new Option("--force", "also release locks held for another stack")],
  );

  reporting(
    onHosts(
      program
        .command("prune")
        .summary("remove old release containers and unused images from the hosts")
        .description(
          `On each host of the stack: the services' stopped release containers beyond
keepReleases (what a deploy keeps for rollback), then the images of the services'
repositories that no container on the host uses and the stack does not pin. The
current release, a running container and what the stack pins are never removed.
Each service's containers change under its deploy lock.`,
        ),
    ),
    async (run, target, options: { dryRun?: boolean }) =>
      (await import("./commands/prune")).prune(run, {
        ...target,
        dryRun: options.dryRun === true,
      }),
    [new Option("--dry-run", "only list what would be removed")],
    "\nExample:\n  slipway prune --stack prod --dry-run\n",
  );

  reporting(
    onHosts(
      program
        .command("details")
        .summary("every Slipway container, edge route and accessory volume on the hosts")
        .description(
          `Per host of the stack: every Slipway container there (service or accessory,
stack, digest, state, health, uptime, restarts), the edge's routes and the
container each one dials now, and the accessories' volumes with their sizes.`,
        ),
    ),
    async (run, target) => (await import("./commands/details")).details(run, target),
  );

  const accessory = program
    .command("accessory")
    .summary("logs, exec and restart of an accessory (a database, a cache)")
    .addHelpText("after", HELP_FOOTER);
  logOptions(
    accessory
      .command("logs")
      .summary("the logs of an accessory's container")
      .argument("<name>", "the accessory"),
  )
    .addHelpText("after", HELP_FOOTER)
    .action(async (name: string, options: LogOptions) => {
      outcome.code = await (
        await import("./commands/accessory")
      ).accessoryLogs(run({}), {
        ...(await target(options)),
        accessory: name,
        ...logRequest(options),
      });
    });
  onHosts(
    accessory
      .command("exec")
      .summary("run a command in an accessory's running container")
      .argument("<name>", "the accessory")
      .argument("[command...]", "the command and its arguments, after --"),
    "run on this host (repeatable); default: its first host",
  )
    .option("-i, --interactive", "a terminal (TTY), on one host")
    .addHelpText(
      "after",
      `\nExample:\n  slipway accessory exec postgres -i -- psql -U app\n${HELP_FOOTER}`,
    )
    .action(
      async (name: string, command: string[], options: HostOptions & { interactive?: boolean }) => {
        outcome.code = await (
          await import("./commands/accessory")
        ).accessoryExec(run({}), {
          ...(await target(options)),
          accessory: name,
          command,
          interactive: options.interactive === true,
        });
      },
    );
  reporting(
    onHosts(
      accessory
        .command("restart")
        .summary("stop and start an accessory's container, host by host, health-gated")
        .argument("<name>", "the accessory"),
    ),
    async (run, target, _options, [name]) =>
      (await import("./commands/accessory")).accessoryRestart(run, {
        ...target,
        accessory: name as string,
      }),
  );

  reporting(
    onService(
      program
        .command("maintenance")
        .summary("a service's routes answer 503 with a page (on) or serve again (off)")
        .description(
          `on: the service's routes answer 503 with a maintenance page and Retry-After
through the edge of each of its hosts, while the release keeps running (and
the deploy's own checks, from inside the edge, still reach it); off: they
serve the release again. Switched by files the routes read per request: no
reload, no connection closed. slipway status shows it.`,
        )
        .addArgument(new Argument("<state>", "on or off").choices(["on", "off"])),
    ),
    async (run, target, options: { message?: string; retryAfter?: number }, [state]) =>
      (await import("./commands/maintenance")).maintenance(run, {
        ...target,
        on: state === "on",
        ...(options.message === undefined ? {} : { message: options.message }),
        ...(options.retryAfter === undefined ? {} : { retryAfter: options.retryAfter }),
      }),
    [
      new Option("--message <text>", "the page's message"),
      new Option("--retry-after <seconds>", "Retry-After in seconds (default 60)").argParser(
        wholeNumber(1),
      ),
    ],
    `\nExample:\n  slipway maintenance on --stack prod --service web --message "Back at 10:00 UTC"\n`,
  );

  program
    .command("completion")
    .summary("a shell completion script: source <(slipway completion bash)")
    .addArgument(new Argument("<shell>", "bash or zsh").choices(SHELLS))
    .addHelpText(
      "after",
      `\nExample:\n  source <(slipway completion bash)  # in ~/.bashrc\n${HELP_FOOTER}`,
    )
    .action((shell: Shell) => {
      deps.stdout(completionScript(program, shell));
      outcome.code = 0;
    });
}
