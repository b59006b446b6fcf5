/**
 * Accessories on a host: stateful containers beside the services (PostgreSQL, Redis), as
 * POSIX sh text run like the deploy script (script and secrets on stdin, see ./bootstrap).
 *
 * An accessory is one container, `<stack network>-<name>`, on the stack's network under its
 * own name (services reach `postgres:5432`), with named volumes that outlive it. Its
 * container carries the hash of its definition (mixed with a host salt and the secret env):
 * an unchanged definition leaves it running — an app release never touches it — and a
 * changed one replaces it: the old container is stopped and set aside, the new one starts
 * on the same volumes and must become healthy, else it is removed and the old one starts
 * again. Destroying it removes the container; the volumes stay unless the stack opted in.
 */
import { createHash } from "node:crypto";
import { DOCKER_NAME_PATTERN, ENV_NAME_PATTERN } from "../config/primitives";
import type { ContainerLimits, ContainerProcess } from "../config/workload";
import { parseDigestReference } from "../reference";
import { envArgs, limits, networkEnsureLines, releaseLabels } from "./commands";
import {
  containerHealthProbe,
  imageLines,
  cpuLimitLines,
  loginLines,
  showLogsFunction,
  statusOfFunction,
  waitHealthyFunction,
} from "./container-lines";
import { payloadReader, redactFunction } from "./payload";
import { lock, scriptHeader, toolsCheck } from "./prelude";
import { shellLines } from "./script-files";
import { assign, command, ShellExpr, v, type ShellArg } from "./shell";
import { superviseLines, unsuperviseLines } from "./supervisor";

/** Seconds an accessory gets to shut down cleanly (a database flushes). */
export const ACCESSORY_STOP_SECONDS = 30;

export interface AccessoryPortDefinition {
  readonly containerPort: number;
  readonly hostPort: number;
  readonly bind: string;
}

/** One accessory on one host, as plain data; no secret values, only their names. */
export interface AccessoryDefinition extends ContainerProcess, ContainerLimits {
  readonly host: string;
  readonly stack: string;
  /** The accessory's name: its alias on the stack network. */
  readonly name: string;
  readonly stateRoot: string;
  /** The stack's network (`slipway-<stack>`). */
  readonly network: string;
  /** Name in `slipway:images`, or the pinned reference itself; recorded as a label. */
  readonly image: string;
  /** `repository@sha256:…` it runs. */
  readonly ref: string;
  /** Volume name (without the prefix) → mount path. */
  readonly volumes: Readonly<Record<string, string>>;
  readonly ports: readonly AccessoryPortDefinition[];
  readonly healthTimeoutSeconds: number;
  readonly registryLogin?: { readonly server: string; readonly username: string };
}

/** What the remove script needs: where it is, and whether its volumes go too. */
export interface AccessoryRemoval {
  readonly host: string;
  readonly stack: string;
  readonly name: string;
  readonly stateRoot: string;
  readonly network: string;
  readonly volumes: readonly string[];
  readonly deleteVolumes: boolean;
}

export interface AccessoryNames {
  readonly container: string;
  readonly previous: string;
  readonly stateDir: string;
  /** Docker volume name by volume name. */
  readonly volumes: Readonly<Record<string, string>>;
}

export function accessoryNames(
  def: Pick<AccessoryDefinition, "network" | "name" | "stateRoot"> & {
    readonly volumes: Readonly<Record<string, string>> | readonly string[];
  },
): AccessoryNames {
  const container = `${def.network}-${def.name}`;
  const volumes: readonly string[] = Array.isArray(def.volumes)
    ? (def.volumes as readonly string[])
    : Object.keys(def.volumes);
  return {
    container,
    previous: `${container}-previous`,
    stateDir: `${def.stateRoot}/_accessories/${container}`,
    volumes: Object.fromEntries(volumes.map((volume) => [volume, `${container}-${volume}`])),
  };
}

/** Every reason the scripts cannot be generated for `def`; empty when fine. */
export function accessoryProblems(def: AccessoryDefinition): string[] {
  const problems: string[] = [];
  if (!DOCKER_NAME_PATTERN.test(def.name)) {
    problems.push(`name ${JSON.stringify(def.name)}: lowercase letters, digits, _ . -`);
  }
  if (!DOCKER_NAME_PATTERN.test(def.network)) {
    problems.push(`network ${JSON.stringify(def.network)}: lowercase letters, digits, _ . -`);
  }
  try {
    parseDigestReference(def.ref);
  } catch (error) {
    problems.push(`ref: ${(error as Error).message}`);
  }
  for (const [volume, path] of Object.entries(def.volumes)) {
    if (!DOCKER_NAME_PATTERN.test(volume) || !/^\/[^\s:\0]*$/.test(path)) {
      problems.push(`volume ${volume}: a name and an absolute path without spaces or :`);
    }
  }
  for (const name of [...Object.keys(def.env), ...def.secretEnvNames]) {
    if (!ENV_NAME_PATTERN.test(name)) {
      problems.push(`env ${JSON.stringify(name)}: not an environment variable name`);
    }
  }
  if (!Number.isInteger(def.healthTimeoutSeconds) || def.healthTimeoutSeconds < 1) {
    problems.push(`healthTimeoutSeconds: ${def.healthTimeoutSeconds} is not a whole number >= 1`);
  }
  return problems;
}

function check(def: AccessoryDefinition): void {
  const problems = accessoryProblems(def);
  if (problems.length > 0) {
    throw new Error(`invalid accessory definition:\n${problems.map((p) => `  ${p}`).join("\n")}`);
  }
}

function sorted(record: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** What makes the container what it is; its hash (with salt and secrets) labels it. */
export function accessorySpecHash(def: AccessoryDefinition): string {
  return createHash("sha256")
    .update(
      JSON.stringify({
        name: def.name,
        network: def.network,
        ref: def.ref,
        command: def.command,
        env: sorted(def.env),
        secretEnvNames: [...def.secretEnvNames].sort(),
        volumes: sorted(def.volumes),
        ports: def.ports,
        memory: def.memory ?? null,
        cpus: def.cpus ?? null,
      }),
    )
    .digest("hex");
}

/** The whole definition's hash: what the deploy command's `triggers` hold. */
export function accessoryDefinitionHash(def: AccessoryDefinition): string {
  return createHash("sha256")
    .update(
      JSON.stringify({
        ...def,
        env: sorted(def.env),
        secretEnvNames: [...def.secretEnvNames].sort(),
        volumes: sorted(def.volumes),
      }),
    )
    .digest("hex");
}

/** `docker run` of the accessory container (`$spec` is the label the script computed). */
export function accessoryRun(def: AccessoryDefinition, names: AccessoryNames): ShellArg[] {
  return [
    "docker",
    "run",
    "--detach",
    "--name",
    names.container,
    "--restart",
    "unless-stopped",
    "--network",
    `name=${def.network},alias=${def.name}`,
    ...releaseLabels(`slipway.accessory=${def.name}`, "accessory", def),
    "--label",
    ShellExpr.join(["slipway.spec=", v("spec")]),
    ...sorted(def.volumes).flatMap(([volume, path]) => [
      "--volume",
      `${names.volumes[volume]!}:${path}`,
    ]),
    ...def.ports.flatMap((p) => ["--publish", `${p.bind}:${p.hostPort}:${p.containerPort}`]),
    ...limits(def),
    ...envArgs(def),
    def.ref,
    ...def.command,
  ];
}

/** The header both accessory scripts start with. */
function accessoryHeader(
  title: string,
  def: Pick<AccessoryRemoval, "host" | "stack" | "name">,
  names: AccessoryNames,
): string[] {
  return scriptHeader(title, def.host, [
    ["stack", def.stack],
    ["service", def.name],
    ["container", names.container],
    ["previous", names.previous],
    ["state", names.stateDir],
  ]);
}

/** The deploy script of one accessory on one host. Pure: the same definition, the same text. */
export function accessoryScript(def: AccessoryDefinition): string {
  check(def);
  const names = accessoryNames(def);
  const sections: (readonly string[])[] = [
    accessoryHeader(
      `Slipway accessory ${def.name} on host ${def.host} (stack ${def.stack}): ${def.ref}`,
      def,
      names,
    ),
    [
      "docker_config=",
      assign("state_root", def.stateRoot),
      assign("spec_hash", accessorySpecHash(def)),
      assign("health_timeout", def.healthTimeoutSeconds),
      assign("stop_seconds", ACCESSORY_STOP_SECONDS),
      assign("volumes", Object.values(names.volumes).sort().join(" ")),
      `accessory_run() { ${command(accessoryRun(def, names))}; }`,
    ],
    redactFunction(),
    toolsCheck(),
    shellLines("accessory-dir"),
    superviseLines(def.stateRoot),
    payloadReader(),
    ['docker_config="$tmp"/docker'],
    lock(),
    shellLines("accessory-owner"),
    cpuLimitLines(def.cpus, `slipway:accessories.${def.name}.cpus`),
    networkEnsureLines(def.network, def.stack),
    loginLines(def),
    imageLines(def, def.ref, `accessory ${def.name}`),
    shellLines("accessory-spec"),
    [
      ...containerHealthProbe("container", def.healthCommand),
      ...waitHealthyFunction("container", def.healthTimeoutSeconds, 1),
    ],
    [statusOfFunction(), ...showLogsFunction(), ...shellLines("accessory-current")],
    shellLines("accessory-volumes"),
    shellLines("accessory-start"),
  ];
  return `${sections.map((section) => section.join("\n")).join("\n\n")}\n`;
}

/** The script that removes an accessory from a host (on delete): container, and volumes if asked. */
export function accessoryRemoveScript(def: AccessoryRemoval): string {
  if (!DOCKER_NAME_PATTERN.test(def.name) || !DOCKER_NAME_PATTERN.test(def.network)) {
    throw new Error(`invalid accessory ${JSON.stringify(def.name)} on ${def.network}`);
  }
  const names = accessoryNames(def);
  const volumes = Object.values(names.volumes).sort();
  return `${[
    accessoryHeader(`Slipway removal of accessory ${def.name} on host ${def.host}`, def, names),
    [
      assign("stop_seconds", ACCESSORY_STOP_SECONDS),
      assign("network", def.network),
      assign("volumes", volumes.join(" ")),
      assign("volume_list", volumes.join(", ")),
      assign("delete_volumes", def.deleteVolumes ? 1 : 0),
    ],
    toolsCheck(),
    shellLines("accessory-remove-dir"),
    lock(),
    shellLines("accessory-remove"),
    unsuperviseLines(def.stateRoot),
  ]
    .map((section) => section.join("\n"))
    .join("\n\n")}\n`;
}
