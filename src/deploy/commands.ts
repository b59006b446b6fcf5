/**
 * Docker commands as data (after Kamal's command builders): each function returns the
 * argument list of one command; `command()` in ./shell quotes it. Nothing here runs anything.
 */
import { parseDigestReference } from "../reference";
import { PROXY_CONTAINER_PORT, type ServiceDefinition, type ServiceNames } from "./definition";
import { ShellExpr, v, type ShellArg } from "./shell";

/** The docker CLI, with the deploy's private config dir when `privateConfig` is set. */
function docker(privateConfig: boolean): ShellArg[] {
  return privateConfig ? ["docker", "--config", v("docker_config")] : ["docker"];
}

/** Whether `ref` lives on the registry the deploy logs in to. */
export function usesLogin(def: ServiceDefinition, ref: string): boolean {
  return (
    def.registryLogin !== undefined &&
    parseDigestReference(ref).registry === def.registryLogin.server
  );
}

export function imageInspect(ref: string): ShellArg[] {
  return ["docker", "image", "inspect", ref];
}

export function pull(def: ServiceDefinition, ref: string): ShellArg[] {
  return [...docker(usesLogin(def, ref)), "pull", "--quiet", ref];
}

export function networkInspect(names: ServiceNames): ShellArg[] {
  return ["docker", "network", "inspect", names.network];
}

export function networkCreate(def: ServiceDefinition, names: ServiceNames): ShellArg[] {
  return [
    "docker",
    "network",
    "create",
    "--label",
    `slipway.service=${def.service}`,
    names.network,
  ];
}

/** What the proxy container is started from; a different spec means a new proxy container. */
export function proxySpec(def: ServiceDefinition): string {
  return `${def.publishedPort} ${def.proxyRef}`;
}

export function containerInspect(format: string, container: ShellArg): ShellArg[] {
  return ["docker", "container", "inspect", "--format", format, container];
}

/** `running <slipway.proxy label>` of the proxy container. */
export function proxyInspect(names: ServiceNames): ShellArg[] {
  return containerInspect(
    '{{.State.Running}} {{index .Config.Labels "slipway.proxy"}}',
    names.proxy,
  );
}

/**
 * The proxy: owns the published port and forwards each connection to the address in
 * `<state>/proxy/upstream`, read afresh per connection (mounted read-only at /slipway).
 */
export function proxyRun(def: ServiceDefinition, names: ServiceNames): ShellArg[] {
  return [
    "docker",
    "run",
    "--detach",
    "--name",
    names.proxy,
    "--init",
    "--restart",
    "unless-stopped",
    "--read-only",
    "--cap-drop",
    "ALL",
    "--network",
    names.network,
    "--publish",
    `${def.publishedPort}:${PROXY_CONTAINER_PORT}`,
    "--volume",
    `${names.stateDir}/proxy:/slipway:ro`,
    "--label",
    `slipway.service=${def.service}`,
    "--label",
    "slipway.role=proxy",
    "--label",
    `slipway.proxy=${proxySpec(def)}`,
    def.proxyRef,
  ];
}

/** A release container, named by the script (`$name`), reachable only through the proxy. */
export function releaseRun(def: ServiceDefinition, names: ServiceNames): ShellArg[] {
  const { digest } = parseDigestReference(def.ref);
  const labels = [
    `slipway.service=${def.service}`,
    "slipway.role=app",
    `slipway.image=${def.image}`,
    `slipway.ref=${def.ref}`,
    `slipway.digest=${digest}`,
    ...(def.revision === undefined ? [] : [`slipway.revision=${def.revision}`]),
  ];
  const env = Object.entries(def.env)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .flatMap(([key, value]) => ["--env", `${key}=${value}`]);
  return [
    "docker",
    "run",
    "--detach",
    "--name",
    v("name"),
    "--init",
    "--restart",
    "unless-stopped",
    "--network",
    names.network,
    ...labels.flatMap((label) => ["--label", label]),
    ...env,
    ...(def.secretEnvNames.length === 0
      ? []
      : ["--env-file", ShellExpr.join([v("tmp"), "/secret.env"])]),
    def.ref,
  ];
}

/** `<status> <exit code> <restart count>` of a container. */
export function stateInspect(container: ShellArg): ShellArg[] {
  return containerInspect("{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}", container);
}

/** Seconds one health request may take. */
export const PROBE_TIMEOUT_SECONDS = 3;

/**
 * One HTTP request from inside the proxy's network namespace (its busybox wget): exits 0 on a
 * 2xx answer, prints the body or wget's error (`server returned error: HTTP/1.1 503 …`).
 * Bounded by busybox `timeout`, not `wget -T`: the static busybox 1.35 wget crashes (SIGSEGV)
 * whenever -T is given.
 */
export function httpGet(names: ServiceNames, url: ShellArg): ShellArg[] {
  return [
    "docker",
    "exec",
    names.proxy,
    "/bin/busybox",
    "timeout",
    PROBE_TIMEOUT_SECONDS,
    "/bin/busybox",
    "wget",
    "-q",
    "-O",
    "-",
    url,
  ];
}

/**
 * The release's health URL on the service network, by container name (Docker's DNS on the
 * network resolves it, also after a restart gave the container another address):
 * `http://"$name":<port><path>`.
 */
export function healthUrl(def: ServiceDefinition): ShellExpr {
  return ShellExpr.join(["http://", v("name"), `:${def.containerPort}${def.healthPath}`]);
}

/** The health URL through the proxy itself: what clients on the published port get. */
export function proxiedHealthUrl(def: ServiceDefinition): string {
  return `http://127.0.0.1:${PROXY_CONTAINER_PORT}${def.healthPath}`;
}

/** All release containers of the service, newest first. */
export function releaseList(def: ServiceDefinition): ShellArg[] {
  return [
    "docker",
    "ps",
    "--all",
    "--filter",
    `label=slipway.service=${def.service}`,
    "--filter",
    "label=slipway.role=app",
    "--format",
    "{{.Names}}",
  ];
}

/** Every container of the service: releases and proxy. */
export function serviceContainers(service: string): ShellArg[] {
  return ["docker", "ps", "--all", "--quiet", "--filter", `label=slipway.service=${service}`];
}
