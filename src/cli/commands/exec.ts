import { readSecretEnv } from "../../config/secret-env";
import {
  accessoryExecScript,
  inRunningScript,
  oneOffAttachScript,
  oneOffScript,
  renderPayload,
  type OneOffDefinition,
} from "../../deploy";
import type { Run } from "../context";
import {
  accessoryTarget,
  failureOf,
  runOnHosts,
  serviceTarget,
  shellOf,
  type HostJob,
  type HostOutcome,
  type Masker,
} from "../day-two";
import { CliError } from "../errors";
import { EXIT } from "../exit-codes";
import { pinnedLookup } from "../pinned";
import { readStackFiles } from "../pinning";

interface ExecRequest {
  readonly stack: string;
  readonly service?: string;
  /** Hosts to run on; none: the service's first host. */
  readonly hosts?: readonly string[];
  readonly command: readonly string[];
  /** A TTY and this terminal's stdin (one host only). */
  readonly interactive: boolean;
  /** In the current release container instead of a one-off one. */
  readonly inRunning: boolean;
  /** The one-off container's entrypoint instead of the image's. */
  readonly entrypoint?: string;
}

/** Refuses a missing command before anything is read. */
function needsCommand(command: readonly string[], example: string): void {
  if (command.length === 0) {
    throw new CliError(EXIT.usage, `no command to run: give it after --, e.g. ${example}`);
  }
}

function usage(command: readonly string[], interactive: boolean, hosts: number): void {
  needsCommand(command, "slipway exec -- ls /");
  if (interactive && hosts > 1) {
    throw new CliError(EXIT.usage, "--interactive runs on one host; name it with --host");
  }
}

/**
 * Runs `jobs` on their hosts (output masked): the first SSH or script failure is thrown, else
 * the exit code of the command (commandResult).
 */
async function runCommand(run: Run, jobs: readonly HostJob[], masker: Masker): Promise<number> {
  const outcomes = await runOnHosts(run, jobs, masker);
  const failure = failureOf(outcomes, masker);
  if (failure !== undefined) throw failure;
  return commandResult(run, outcomes);
}

/** The exit code of a command that ran on every host: 0, or 7 naming each non-zero status. */
function commandResult(run: Run, outcomes: readonly HostOutcome[]): number {
  const bad = outcomes.filter(
    ({ end }) => end.kind === "ran" && end.exit !== undefined && end.exit !== 0,
  );
  for (const { job, end } of bad) {
    run.deps.stderr(
      `slipway: the command exited ${end.kind === "ran" ? String(end.exit) : "?"} on host ${job.host.name}\n`,
    );
  }
  return bad.length === 0 ? EXIT.ok : EXIT.commandFailed;
}

/**
 * `slipway exec -- <command…>`: a one-off container of the stack's pinned release with the
 * service's env, secret env (over stdin, never in a command line) and network, removed when
 * the command ends; `--in-running` runs in the current release container instead. Output is
 * masked (not with `--interactive`: that is a terminal). Exit 7 when the command fails.
 */
export async function exec(run: Run, request: ExecRequest): Promise<number> {
  needsCommand(request.command, "slipway exec -- ls /");
  const files = readStackFiles(run, request.stack);
  const { config, service, hosts, masker } = await serviceTarget(run, "exec", request, "first");
  usage(request.command, request.interactive, hosts.length);
  const where = {
    stack: request.stack,
    service: service.name,
    stateRoot: run.deps.releaseRoot,
    edge: config.edge.name,
  };
  if (request.inRunning && request.entrypoint !== undefined) {
    throw new CliError(
      EXIT.usage,
      "--entrypoint is for a one-off container; --in-running runs in the current one as it is",
    );
  }
  if (request.inRunning) {
    const script = (host: string) =>
      inRunningScript({ ...where, host }, request.command, request.interactive);
    return inRunning(run, hosts, script, request.interactive, masker);
  }
  const pinned = await pinnedLookup(run, request.stack, config, files.display)(service.image);
  if (pinned.ref === undefined) {
    throw new CliError(
      EXIT.refused,
      `${request.stack} pins no release of image ${service.image} yet; deploy it first`,
      [`slipway up --stack ${request.stack}`],
    );
  }
  let secretEnv: Record<string, string>;
  try {
    secretEnv = readSecretEnv(
      service.secretEnv,
      service.secretEnvFiles,
      `slipway:services.${service.name}`,
    );
  } catch (error) {
    throw new CliError(EXIT.refused, (error as Error).message);
  }
  const definition = (host: string): OneOffDefinition => ({
    ...where,
    host,
    ref: pinned.ref!,
    env: service.env,
    secretEnvNames: Object.keys(secretEnv).sort(),
    ...(config.registry.username === undefined || config.registry.password === undefined
      ? {}
      : { registryLogin: { server: config.registry.server, username: config.registry.username } }),
    network: config.network,
    command: request.command,
    interactive: request.interactive,
    ...(request.entrypoint === undefined ? {} : { entrypoint: request.entrypoint }),
  });
  const input = renderPayload({
    ...(config.registry.password === undefined
      ? {}
      : { registryPassword: config.registry.password.reveal() }),
    secretEnv,
  });
  const jobs: HostJob[] = hosts.map((host) => ({
    host,
    label: host.name,
    script: oneOffScript(definition(host.name)),
    input,
  }));
  if (request.interactive) {
    const [created] = await runOnHosts(run, jobs, masker, { collect: true });
    const failure = failureOf([created!], masker);
    if (failure !== undefined) throw failure;
    const name = created!.lines
      .map((line) => /^slipway-created (\S+)$/.exec(line)?.[1])
      .find((value) => value !== undefined);
    if (name === undefined) {
      throw new CliError(
        EXIT.unreachable,
        `host ${hosts[0]!.name}: no one-off container was created`,
      );
    }
    return onTerminal(
      run,
      hosts[0]!,
      oneOffAttachScript({ host: hosts[0]!.name, service: service.name }, name),
    );
  }
  return runCommand(run, jobs, masker);
}

/**
 * Runs a command in running containers: `script` of each host, on this terminal on the first
 * host when interactive, else on every host with its output labelled.
 */
function inRunning(
  run: Run,
  hosts: readonly HostJob["host"][],
  script: (host: string) => string,
  interactive: boolean,
  masker: Masker,
): Promise<number> {
  if (interactive) {
    return onTerminal(run, hosts[0]!, script(hosts[0]!.name));
  }
  return runCommand(
    run,
    hosts.map((host) => ({ host, label: host.name, script: script(host.name) })),
    masker,
  );
}

/** Runs a script with this terminal (a console); its status is the command's. */
async function onTerminal(run: Run, host: HostJob["host"], script: string): Promise<number> {
  const end = await shellOf(run).stream(host, script, {
    tty: true,
    ...(run.deps.signal === undefined ? {} : { signal: run.deps.signal }),
  });
  if (end.kind === "unreachable") {
    throw new CliError(EXIT.unreachable, `host ${host.name}: ${end.message}`);
  }
  if (end.kind === "failed") {
    throw new CliError(EXIT.refused, `host ${host.name}: ${end.message}`);
  }
  return end.status === 0 ? EXIT.ok : EXIT.commandFailed;
}

interface AccessoryExecRequest {
  readonly stack: string;
  readonly accessory: string;
  readonly hosts?: readonly string[];
  readonly command: readonly string[];
  readonly interactive: boolean;
}

/** `slipway accessory exec <name> -- <command…>`: in the accessory's running container. */
export async function accessoryExec(run: Run, request: AccessoryExecRequest): Promise<number> {
  needsCommand(request.command, `slipway accessory exec ${request.accessory} -- ls /`);
  const { hosts, container, masker } = await accessoryTarget(run, "exec", request, "first");
  usage(request.command, request.interactive, hosts.length);
  const script = (host: string) =>
    accessoryExecScript(host, request.stack, container, request.command, request.interactive);
  return inRunning(run, hosts, script, request.interactive, masker);
}
