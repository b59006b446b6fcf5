/**
 * Docker commands as data (after Kamal's command builders): each function returns the
 * argument list of one command; `command()` in ./shell quotes it. Nothing here runs anything.
 */
import { parseDigestReference } from "../reference";
import { aliasOf, type ServiceDefinition, type ServiceNames } from "./definition";
import { command, ShellExpr, v, type ShellArg } from "./shell";

/** The docker CLI, with the deploy's private config dir when `privateConfig` is set. */
function docker(privateConfig: boolean): ShellArg[] {
  return privateConfig ? ["docker", "--config", v("docker_config")] : ["docker"];
}

/** Whether `ref` lives on the registry the deploy logs in to. */
export function usesLogin(def: Pick<ServiceDefinition, "registryLogin">, ref: string): boolean {
  return (
    def.registryLogin !== undefined &&
    parseDigestReference(ref).registry === def.registryLogin.server
  );
}

export function imageInspect(ref: string): ShellArg[] {
  return ["docker", "image", "inspect", ref];
}

export function pull(def: Pick<ServiceDefinition, "registryLogin">, ref: string): ShellArg[] {
  return [...docker(usesLogin(def, ref)), "pull", "--quiet", ref];
}

export function networkInspect(network: string): ShellArg[] {
  return ["docker", "network", "inspect", network];
}

export function containerInspect(format: string, container: ShellArg): ShellArg[] {
  return ["docker", "container", "inspect", "--format", format, container];
}

/**
 * A release container, named by the script (`$name`), on the edge's network (the edge
 * reaches it by name there); it publishes no port.
 */
export function releaseRun(def: ServiceDefinition, names: ServiceNames): ShellArg[] {
  return [
    "docker",
    "run",
    "--detach",
    "--name",
    v("name"),
    "--init",
    "--restart",
    "unless-stopped",
    // Routed: on the edge's network, where the edge reaches it by name. Every service: on
    // the stack's network, where the others and the accessories reach it by its name.
    ...(def.routes.length === 0 ? [] : ["--network", names.edge.network]),
    "--network",
    `name=${def.network},alias=${aliasOf(def)}`,
    ...limits(def),
    ...releaseLabels(`slipway.service=${def.service}`, "app", def),
    ...(def.revision === undefined ? [] : ["--label", `slipway.revision=${def.revision}`]),
    ...envArgs(def),
    def.ref,
    ...def.command,
  ];
}

/**
 * The `--label`s of a container that runs a release reference: whose it is (`owner`:
 * `slipway.service=web`, `slipway.accessory=postgres`), its stack and role, and the image it
 * runs (its name in `slipway:images`, the reference, the digest).
 */
export function releaseLabels(
  owner: string,
  role: string,
  def: { readonly stack: string; readonly image: string; readonly ref: string },
): ShellArg[] {
  return [
    owner,
    `slipway.stack=${def.stack}`,
    `slipway.role=${role}`,
    `slipway.image=${def.image}`,
    `slipway.ref=${def.ref}`,
    `slipway.digest=${parseDigestReference(def.ref).digest}`,
  ].flatMap((label) => ["--label", label]);
}

/**
 * The one-off container of a release command (`$run`): the new image with the service's env,
 * secret env (`--env-file`), limits and the stack's network (it reaches the accessories by
 * name), labelled `slipway.role=release-command`; it publishes nothing and never restarts.
 * The command runs as it is written: its first word replaces the image's ENTRYPOINT.
 */
export function releaseCommandRun(def: ServiceDefinition, args: readonly string[]): ShellArg[] {
  const { digest } = parseDigestReference(def.ref);
  const [program, ...rest] = args;
  if (program === undefined) {
    throw new Error(`service ${def.service}: a release command needs at least one argument`);
  }
  const labels = [
    `slipway.service=${def.service}`,
    `slipway.stack=${def.stack}`,
    "slipway.role=release-command",
    `slipway.image=${def.image}`,
    `slipway.digest=${digest}`,
  ];
  return [
    "docker",
    "run",
    "--detach",
    "--name",
    v("run"),
    "--init",
    // Exactly the command: not an argument of the image's ENTRYPOINT.
    "--entrypoint",
    program,
    "--network",
    def.network,
    ...limits(def),
    ...labels.flatMap((label) => ["--label", label]),
    ...envArgs(def),
    def.ref,
    ...rest,
  ];
}

/**
 * A container's environment: `--env KEY=value` per plain variable, sorted by name, then the
 * secret ones from the payload's 0600 file (`--env-file "$tmp"/secret.env`) when it has any.
 */
export function envArgs(def: {
  readonly env: Readonly<Record<string, string>>;
  readonly secretEnvNames: readonly string[];
}): ShellArg[] {
  return [
    ...Object.entries(def.env)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .flatMap(([key, value]) => ["--env", `${key}=${value}`]),
    ...(def.secretEnvNames.length === 0
      ? []
      : ["--env-file", ShellExpr.join([v("tmp"), "/secret.env"])]),
  ];
}

/** `--memory`, `--cpus` when the definition sets them. */
export function limits(def: { readonly memory?: string; readonly cpus?: number }): ShellArg[] {
  return [
    ...(def.memory === undefined ? [] : ["--memory", def.memory]),
    ...(def.cpus === undefined ? [] : ["--cpus", String(def.cpus)]),
  ];
}

/** The stack's network exists, created when missing (a concurrent create is fine). */
export function networkEnsureLines(network: string, stack: string): string[] {
  const inspect = `${command(networkInspect(network))} >/dev/null 2>&1`;
  const create = command([
    "docker",
    "network",
    "create",
    "--label",
    `slipway.stack=${stack}`,
    "--label",
    "slipway.role=stack",
    network,
  ]);
  return [
    `if ! ${inspect}; then`,
    `  if ! out=$(${create} 2>&1) && ! ${inspect}; then`,
    `    fail "cannot create the stack's network ${network}: $(last_line "$out")"`,
    "  fi",
    "fi",
  ];
}

/** `docker exec <container> <command…>`: a health command inside the container. */
export function execIn(container: ShellArg, args: readonly string[]): ShellArg[] {
  return ["docker", "exec", container, ...args];
}

/** `<status> <exit code> <restart count>` of a container. */
export function stateInspect(container: ShellArg): ShellArg[] {
  return containerInspect("{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}", container);
}

/**
 * The release's health URL on the edge network, by container name (Docker's DNS there
 * resolves it, also after a restart gave the container another address):
 * `http://"$name":<port><path>`.
 */
export function healthUrl(def: Pick<ServiceDefinition, "containerPort" | "healthPath">): ShellExpr {
  return ShellExpr.join(["http://", v("name"), `:${def.containerPort}${def.healthPath}`]);
}

/** `docker rm --force <container>`. */
export function containerRemove(container: ShellArg): ShellArg[] {
  return ["docker", "rm", "--force", container];
}

/** A command whose output and failure do not matter (cleanup): `<cmd> >/dev/null 2>&1 || true`. */
export function quietly(args: readonly ShellArg[]): string {
  return `${command(args)} >/dev/null 2>&1 || true`;
}
