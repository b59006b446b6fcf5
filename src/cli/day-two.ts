/**
 * What the day-two commands (logs, exec, lock, details, accessory, prune, maintenance) share:
 * resolving what they work on from their flags (serviceTarget, accessoryTarget, stackTarget:
 * the validated config, the service or accessory and the hosts, refusing unknown ones by
 * naming those that exist), masking secret values in what hosts print, and running one script
 * per host at once with each line marked by its host.
 */
import type { HostConfig } from "../config/hosts";
import type { AccessorySpec } from "../config/accessories";
import type { SlipwayConfig } from "../config/schema";
import type { ServiceSpec } from "../config/services";
import { readSecretEnv } from "../config/secret-env";
import { accessoryNames } from "../deploy";
import type { Run } from "./context";
import { CliError } from "./errors";
import { EXIT } from "./exit-codes";
import { SystemHostShell, type HostShell, type StreamEnd, type StreamOptions } from "./host-shell";
import { validatedConfig } from "./pinning";

/** What a secret value is replaced with in output. */
const MASK = "[secret]";

/** The host shell of a run: the deps' one, else the system `ssh`. */
export function shellOf(run: Run): HostShell {
  return run.deps.shell ?? new SystemHostShell();
}

function known(names: readonly string[]): string {
  return names.length === 0 ? "none" : names.join(", ");
}

/** Refuses a Kubernetes stack: the day-two commands talk to hosts. */
function hostsOnly(config: SlipwayConfig, command: string): void {
  if (config.target === "kubernetes") {
    throw new CliError(
      EXIT.refused,
      `slipway ${command} works on the hosts of an ssh stack; ${config.stack} runs on Kubernetes (namespace ${config.kubernetes?.namespace ?? "?"})`,
      [`kubectl --namespace ${config.kubernetes?.namespace ?? "<namespace>"} ${command} …`],
    );
  }
}

/** `--service`: the named service, or the stack's only one; unknown names are refused. */
function pickService(config: SlipwayConfig, name: string | undefined): ServiceSpec {
  const names = config.services.map((service) => service.name);
  if (name === undefined) {
    if (config.services.length === 1) {
      return config.services[0]!;
    }
    throw new CliError(
      EXIT.usage,
      config.services.length === 0
        ? `${config.stack} declares no services`
        : `${config.stack} has ${config.services.length} services; name one with --service (${known(names)})`,
    );
  }
  const service = config.services.find((candidate) => candidate.name === name);
  if (service === undefined) {
    throw new CliError(
      EXIT.usage,
      `${config.stack} has no service ${JSON.stringify(name)}; its services: ${known(names)}`,
    );
  }
  return service;
}

/** `--accessory` / the accessory argument: unknown names are refused, naming those that exist. */
function pickAccessory(config: SlipwayConfig, name: string): AccessorySpec {
  const accessory = config.accessories.find((candidate) => candidate.name === name);
  if (accessory === undefined) {
    throw new CliError(
      EXIT.usage,
      `${config.stack} has no accessory ${JSON.stringify(name)}; its accessories: ${known(config.accessories.map((entry) => entry.name))}`,
    );
  }
  return accessory;
}

/**
 * `--host` (repeatable): those hosts of `runsOn`, in config order; none given: every host of
 * `runsOn`. A host the stack does not have, or where `what` does not run, is refused.
 */
function pickHosts(
  config: SlipwayConfig,
  runsOn: readonly string[],
  given: readonly string[] | undefined,
  what: string,
): HostConfig[] {
  for (const name of given ?? []) {
    if (!config.hosts.some((host) => host.name === name)) {
      throw new CliError(
        EXIT.usage,
        `${config.stack} has no host ${JSON.stringify(name)}; its hosts: ${known(config.hosts.map((host) => host.name))}`,
      );
    }
    if (!runsOn.includes(name)) {
      throw new CliError(
        EXIT.usage,
        `${what} does not run on host ${name}; it runs on: ${known(runsOn)}`,
      );
    }
  }
  const wanted = given === undefined || given.length === 0 ? runsOn : given;
  return config.hosts.filter((host) => wanted.includes(host.name));
}

/** `--host` among the hosts where the stack runs a service or an accessory; none: all of them. */
function stackHosts(config: SlipwayConfig, given: readonly string[] | undefined): HostConfig[] {
  const used = config.hosts
    .filter((host) =>
      [...config.services, ...config.accessories].some((entry) => entry.hosts.includes(host.name)),
    )
    .map((host) => host.name);
  return pickHosts(config, used, given, `stack ${config.stack}`);
}

/** The flags every day-two command takes: `--stack` and `--host` (repeatable). */
interface TargetFlags {
  readonly stack: string;
  readonly hosts?: readonly string[];
}

/**
 * Without `--host`: every host the service or accessory runs on, or only the first (`exec`
 * runs one command, not one per host).
 */
type WithoutHost = "every" | "first";

/** What a day-two command works on, resolved from its flags before any host is touched. */
export interface Target {
  readonly config: SlipwayConfig;
  readonly hosts: HostConfig[];
  /** Masks the stack's secret values in what the hosts print. */
  readonly masker: Masker;
}

interface ServiceTarget extends Target {
  readonly service: ServiceSpec;
}

interface AccessoryTarget extends Target {
  readonly accessory: AccessorySpec;
  /** Its container on every host (`<network>-<name>`). */
  readonly container: string;
  /** Its state directory on every host (its deploy lock). */
  readonly stateDir: string;
}

/** The validated config of an ssh stack, `command` naming what a Kubernetes stack refuses. */
async function hostConfig(run: Run, flags: TargetFlags, command: string): Promise<SlipwayConfig> {
  const config = await validatedConfig(run, flags.stack);
  hostsOnly(config, command);
  return config;
}

function target(config: SlipwayConfig, hosts: HostConfig[]): Target {
  return { config, hosts, masker: new Masker(secretValues(config)) };
}

function chosen(hosts: HostConfig[], flags: TargetFlags, withoutHost: WithoutHost): HostConfig[] {
  const given = flags.hosts !== undefined && flags.hosts.length > 0;
  return given || withoutHost === "every" ? hosts : hosts.slice(0, 1);
}

/** `slipway <command> [--service] [--host]…`: the service and the hosts it runs on. */
export async function serviceTarget(
  run: Run,
  command: string,
  flags: TargetFlags & { readonly service?: string },
  withoutHost: WithoutHost = "every",
): Promise<ServiceTarget> {
  const config = await hostConfig(run, flags, command);
  const service = pickService(config, flags.service);
  const hosts = pickHosts(config, service.hosts, flags.hosts, `service ${service.name}`);
  return { ...target(config, chosen(hosts, flags, withoutHost)), service };
}

/** `slipway accessory <command> <name> [--host]…`: the accessory, its container and hosts. */
export async function accessoryTarget(
  run: Run,
  command: string,
  flags: TargetFlags & { readonly accessory: string },
  withoutHost: WithoutHost = "every",
): Promise<AccessoryTarget> {
  const config = await hostConfig(run, flags, `accessory ${command}`);
  const accessory = pickAccessory(config, flags.accessory);
  const hosts = pickHosts(config, accessory.hosts, flags.hosts, `accessory ${accessory.name}`);
  const names = accessoryNames({
    network: config.network,
    name: accessory.name,
    stateRoot: run.deps.releaseRoot,
    volumes: [],
  });
  return {
    ...target(config, chosen(hosts, flags, withoutHost)),
    accessory,
    container: names.container,
    stateDir: names.stateDir,
  };
}

/** `slipway <command> [--host]…` over the whole stack: the hosts it runs anything on. */
export async function stackTarget(run: Run, command: string, flags: TargetFlags): Promise<Target> {
  const config = await hostConfig(run, flags, command);
  return target(config, stackHosts(config, flags.hosts));
}

/**
 * Every secret value of the stack: services' and accessories' secret env (files read now),
 * the registry password, the hosts' private keys. What hosts print is masked with these.
 */
function secretValues(config: SlipwayConfig): string[] {
  const values = new Set<string>();
  for (const workload of [...config.services, ...config.accessories]) {
    let env: Record<string, string>;
    try {
      env = readSecretEnv(workload.secretEnv, workload.secretEnvFiles, workload.name);
    } catch {
      // A file that cannot be read here cannot be masked either; exec names it when it needs it.
      env = Object.fromEntries(
        Object.entries(workload.secretEnv).map(([name, value]) => [name, value.reveal()]),
      );
    }
    Object.values(env).forEach((value) => values.add(value));
  }
  if (config.registry.password !== undefined) {
    values.add(config.registry.password.reveal());
  }
  for (const host of config.hosts) {
    if (host.privateKey !== undefined) values.add(host.privateKey.reveal());
  }
  values.delete("");
  return [...values];
}

/** Replaces every secret value in a line with MASK, longest value first. */
export class Masker {
  readonly #values: readonly string[];

  constructor(values: readonly string[]) {
    this.#values = [...values].filter((value) => value !== "").sort((a, b) => b.length - a.length);
  }

  mask(line: string): string {
    let text = line;
    for (const value of this.#values) {
      if (text.includes(value)) {
        text = text.split(value).join(MASK);
      }
    }
    return text;
  }
}

/** One script to run on one host. */
export interface HostJob {
  readonly host: HostConfig;
  /** Marks each line when output comes from more than one job (`[host]`, `[host web.2]`). */
  readonly label: string;
  readonly script: string;
  readonly input?: string;
}

/** How one host's job ended. */
export interface HostOutcome {
  readonly job: HostJob;
  readonly end: StreamEnd;
  /** The stdout lines, masked, when `collect` was asked for. */
  readonly lines: readonly string[];
}

/**
 * Runs the jobs at once. Each stdout line goes (masked, and marked `[label] ` when there is
 * more than one job) to stdout as it comes, unless `collect` keeps it for the caller; stderr
 * lines go to stderr the same way.
 */
export async function runOnHosts(
  run: Run,
  jobs: readonly HostJob[],
  masker: Masker,
  options: {
    readonly collect?: boolean;
    /** Only the stdout lines (masked) this keeps: `logs --grep`. */
    readonly keep?: (line: string) => boolean;
  } & Pick<StreamOptions, "signal"> = {},
): Promise<HostOutcome[]> {
  const shell = shellOf(run);
  const many = jobs.length > 1;
  return Promise.all(
    jobs.map(async (job) => {
      const lines: string[] = [];
      const mark = (line: string) => (many ? `[${job.label}] ${line}` : line);
      const end = await shell.stream(job.host, job.script, {
        ...(job.input === undefined ? {} : { input: job.input }),
        onStdout: (line) => {
          const masked = masker.mask(line);
          if (options.keep !== undefined && !options.keep(masked)) {
            return;
          }
          if (options.collect === true) {
            lines.push(masked);
          } else {
            run.deps.stdout(`${mark(masked)}\n`);
          }
        },
        onStderr: (line) => run.deps.stderr(`${mark(masker.mask(line))}\n`),
        ...(options.signal === undefined
          ? run.deps.signal === undefined
            ? {}
            : { signal: run.deps.signal }
          : { signal: options.signal }),
      });
      return { job, end, lines };
    }),
  );
}

/**
 * The exit code and message of jobs that did not end well: an unreachable host (6) before a
 * refusal (3); a script that ended without saying how (a connection lost) counts as unreachable;
 * each host on its own line: `<label>: <cause>`. Undefined when every job ran to its end.
 */
export function failureOf(outcomes: readonly HostOutcome[], masker: Masker): CliError | undefined {
  const unreachable = outcomes.filter((outcome) => outcome.end.kind === "unreachable");
  const failed = outcomes.filter((outcome) => outcome.end.kind === "failed");
  const broken = outcomes.filter(
    (outcome) =>
      outcome.end.kind === "ran" && outcome.end.exit === undefined && outcome.end.status !== 0,
  );
  const text = (list: readonly HostOutcome[]) =>
    list
      .map(({ job, end }) =>
        end.kind === "ran"
          ? `host ${job.host.name}: the script ended with status ${end.status} (connection lost?)`
          : `host ${job.host.name}: ${masker.mask(end.message)}`,
      )
      .join("\n");
  if (unreachable.length > 0 || broken.length > 0) {
    return new CliError(EXIT.unreachable, text([...unreachable, ...broken, ...failed]));
  }
  if (failed.length > 0) {
    return new CliError(EXIT.refused, text(failed));
  }
  return undefined;
}
