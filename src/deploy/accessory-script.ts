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
import { parseDigestReference } from "../reference";
import {
  envArgs,
  containerInspect,
  containerRemove,
  containerRename,
  containerStop,
  limits,
  networkEnsureLines,
  quietly,
} from "./commands";
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
import { command, quote, ShellExpr, v, type ShellArg } from "./shell";
import { superviseLines, unsuperviseLines } from "./supervisor";

/** Seconds an accessory gets to shut down cleanly (a database flushes). */
export const ACCESSORY_STOP_SECONDS = 30;

export interface AccessoryPortDefinition {
  readonly containerPort: number;
  readonly hostPort: number;
  readonly bind: string;
}

/** One accessory on one host, as plain data; no secret values, only their names. */
export interface AccessoryDefinition {
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
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly secretEnvNames: readonly string[];
  /** Volume name (without the prefix) → mount path. */
  readonly volumes: Readonly<Record<string, string>>;
  readonly ports: readonly AccessoryPortDefinition[];
  readonly memory?: string;
  readonly cpus?: number;
  readonly healthCommand?: readonly string[];
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
  const { digest } = parseDigestReference(def.ref);
  const labels = [
    `slipway.accessory=${def.name}`,
    `slipway.stack=${def.stack}`,
    "slipway.role=accessory",
    `slipway.image=${def.image}`,
    `slipway.ref=${def.ref}`,
    `slipway.digest=${digest}`,
  ];
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
    ...labels.flatMap((label) => ["--label", label]),
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

function volumeLines(def: AccessoryDefinition, names: AccessoryNames): string[] {
  return Object.keys(def.volumes)
    .sort()
    .flatMap((volume) => {
      const name = names.volumes[volume]!;
      return [
        `if ! docker volume inspect ${name} >/dev/null 2>&1; then`,
        `  if ! out=$(${command([
          "docker",
          "volume",
          "create",
          "--label",
          `slipway.stack=${def.stack}`,
          "--label",
          `slipway.accessory=${def.name}`,
          name,
        ])} 2>&1); then`,
        `    fail "cannot create volume ${name}: $(last_line "$out")"`,
        "  fi",
        `  say "created volume ${name}"`,
        "fi",
      ];
    });
}

function healthLines(def: AccessoryDefinition): string[] {
  return [
    ...containerHealthProbe("container", def.healthCommand),
    ...waitHealthyFunction("container", def.healthTimeoutSeconds, 1),
  ];
}

/** The deploy script of one accessory on one host. Pure: the same definition, the same text. */
export function accessoryScript(def: AccessoryDefinition): string {
  check(def);
  const names = accessoryNames(def);
  // docker prints an empty line for a missing container: only its exit status tells.
  const status = (container: ShellArg) => `$(status_of ${command([container])})`;
  const sections: string[][] = [
    scriptHeader(
      `Slipway accessory ${def.name} on host ${def.host} (stack ${def.stack}): ${def.ref}`,
      def.host,
      [
        ["stack", def.stack],
        ["service", def.name],
        ["container", names.container],
        ["previous", names.previous],
        ["state", names.stateDir],
      ],
    ),
    ["docker_config="],
    redactFunction(),
    toolsCheck(),
    [
      'if ! (umask 022 && mkdir -p "$state") 2>/dev/null; then',
      `  fail "cannot create $state: the deploy user $(id -un) needs write access to ${def.stateRoot}"`,
      "fi",
      'tmp=$(mktemp -d "$state"/tmp.XXXXXX)',
    ],
    superviseLines(def.stateRoot),
    payloadReader(),
    ['docker_config="$tmp"/docker'],
    lock(),
    [
      `owner=$(${command(containerInspect('{{index .Config.Labels "slipway.stack"}}', v("container")))} 2>/dev/null || true)`,
      'if [ -n "$owner" ] && [ "$owner" != "$stack" ]; then',
      `  fail "container $container on this host belongs to stack $owner; rename this accessory or remove it there first"`,
      "fi",
    ],
    cpuLimitLines(def.cpus, `slipway:accessories.${def.name}.cpus`),
    networkEnsureLines(def.network, def.stack),
    loginLines(def),
    imageLines(def, def.ref, `accessory ${def.name}`),
    [
      'if [ ! -s "$state"/salt ]; then',
      "  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n' > \"$state\"/salt.tmp",
      '  mv -f "$state"/salt.tmp "$state"/salt',
      "fi",
      `spec=$({ printf '%s\\n' ${accessorySpecHash(def)}; cat "$state"/salt "$tmp"/secret.env; } | sha256sum | cut -c1-16)`,
      'if [ -z "$spec" ]; then fail "cannot compute the accessory spec label (sha256sum failed)"; fi',
      `running_spec=$(${command(containerInspect('{{index .Config.Labels "slipway.spec"}}', v("container")))} 2>/dev/null || true)`,
    ],
    healthLines(def),
    [
      statusOfFunction(),
      ...showLogsFunction(),
      'if [ "$running_spec" = "$spec" ]; then',
      `  if [ "${status(v("container"))}" = running ]; then`,
      '    say "accessory $service is up to date as $container; left running"',
      "    exit 0",
      "  fi",
      '  say "starting accessory $service ($container) again"',
      '  docker start "$container" >/dev/null',
      "  if ! wait_healthy; then",
      '    show_logs "$container"',
      `    fail "accessory $service did not become healthy within ${def.healthTimeoutSeconds} s after a start: $(printf '%s' "$answer" | redact | tr '\\n' ' ' | cut -c1-300)"`,
      "  fi",
      '  say "accessory $service is healthy"',
      "  exit 0",
      "fi",
    ],
    volumeLines(def, names),
    [
      // A changed definition: the old container steps aside (stopped, same volumes free).
      quietly(containerRemove(v("previous"))),
      `if [ "${status(v("container"))}" != missing ]; then`,
      '  say "stopping $container for its new definition"',
      `  ${quietly(containerStop(v("container"), ACCESSORY_STOP_SECONDS))}`,
      `  if ! out=$(${command(containerRename(v("container"), v("previous")))} 2>&1); then`,
      '    fail "cannot set $container aside as $previous: $(last_line "$out")"',
      "  fi",
      "fi",
      'say "starting accessory $service as $container"',
      `if ! out=$(${command(accessoryRun(def, names))} 2>&1) || ! wait_healthy; then`,
      '  if [ -z "${answer:-}" ]; then answer=$(last_line "$out" | redact); fi',
      `  if [ "${status(v("container"))}" != missing ]; then show_logs "$container"; fi`,
      `  ${quietly(containerRemove(v("container")))}`,
      `  if [ "${status(v("previous"))}" != missing ]; then`,
      `    ${command(containerRename(v("previous"), v("container")))}`,
      '    docker start "$container" >/dev/null 2>&1 || true',
      '    kept="its previous definition runs again"',
      "  else",
      '    kept="nothing ran before"',
      "  fi",
      `  fail "accessory $service did not start healthy within ${def.healthTimeoutSeconds} s, removed it, $kept: $(printf '%s' "$answer" | redact | tr '\\n' ' ' | cut -c1-300)"`,
      "fi",
      `${quietly(containerRemove(v("previous")))}`,
      'rm -f "$tmp"/secret.env',
      'say "accessory $service is healthy as $container"',
    ],
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
    scriptHeader(`Slipway removal of accessory ${def.name} on host ${def.host}`, def.host, [
      ["stack", def.stack],
      ["service", def.name],
      ["container", names.container],
      ["previous", names.previous],
      ["state", names.stateDir],
    ]),
    toolsCheck(),
    ['mkdir -p "$state"'],
    lock(),
    [
      `owner=$(${command(containerInspect('{{index .Config.Labels "slipway.stack"}}', v("container")))} 2>/dev/null || true)`,
      'if [ -n "$owner" ] && [ "$owner" != "$stack" ]; then',
      '  say "$container on this host belongs to stack $owner; left as it is"',
      "  exit 0",
      "fi",
      `${quietly(containerStop(v("container"), ACCESSORY_STOP_SECONDS))}`,
      `${quietly(containerRemove(v("container")))}`,
      `${quietly(containerRemove(v("previous")))}`,
      ...(def.deleteVolumes && volumes.length > 0
        ? [
            `docker volume rm ${volumes.join(" ")} >/dev/null 2>&1 || true`,
            `say ${quote(`removed accessory ${def.name} and its volumes ${volumes.join(", ")}`)}`,
          ]
        : [
            `say ${quote(
              volumes.length === 0
                ? `removed accessory ${def.name}`
                : `removed accessory ${def.name}; its volumes stay: ${volumes.join(", ")}`,
            )}`,
          ]),
      // The stack's network goes with its last container (refused while one is attached).
      `docker network rm ${def.network} >/dev/null 2>&1 || true`,
      'rm -rf "$state"',
      // The accessories' directory goes with the last accessory of the host.
      'rmdir "$(dirname "$state")" 2>/dev/null || true',
    ],
    unsuperviseLines(def.stateRoot),
  ]
    .map((section) => section.join("\n"))
    .join("\n\n")}\n`;
}
