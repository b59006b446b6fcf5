/**
 * What one host runs for one service, as plain data, and the names derived from it. The
 * definition holds no secret value: only the names of the secret env vars.
 */
import { createHash } from "node:crypto";
import type { RolloutConfig, RouteConfig } from "../config";
import { DOCKER_NAME_PATTERN, ENV_NAME_PATTERN } from "../config/primitives";
import type { ContainerLimits, ContainerProcess } from "../config/workload";
import { edgeNames, type EdgeNames } from "../edge";
import { parseDigestReference } from "../reference";

/** Where each service keeps its lock, release record and proxy upstream on a host. */
export const DEFAULT_STATE_ROOT = "/var/lib/slipway";

/** Seconds one health request may take. */
export const PROBE_TIMEOUT_SECONDS = 3;

/** How many earlier releases `release.json` lists under `previous`. */
export const RECORD_HISTORY = 10;

/** A service on a host: enough to find, lock and stop it. */
export interface HostService {
  /** Host name from config; used in messages. */
  readonly host: string;
  /** Pulumi stack deploying; recorded as the lock owner. */
  readonly stack: string;
  /** Service name: prefix of container names, state directory, proxy and network names. */
  readonly service: string;
  /** State root on the host; `/var/lib/slipway` unless the deploy user cannot write there. */
  readonly stateRoot: string;
  /** Name of the host's edge proxy the service is routed through. */
  readonly edge: string;
}

/** One release of a service on a host. */
export interface ServiceDefinition extends HostService, ContainerProcess, ContainerLimits {
  /** Name of the image in `slipway:images`. */
  readonly image: string;
  /** `repository@sha256:…` of the release. */
  readonly ref: string;
  /** Source revision of the release; recorded on the host. */
  readonly revision?: string;
  /** Port the service listens on inside its container. */
  readonly containerPort: number;
  /** How the edge routes to the service; none: a worker, not routed. */
  readonly routes: readonly RouteConfig[];
  /** Seconds the previous release keeps serving the requests it has after the switch. */
  readonly drainSeconds: number;
  /** Path answering 2xx when the release is healthy. */
  readonly healthPath: string;
  /** Seconds a new release may take to become healthy. */
  readonly healthTimeoutSeconds: number;
  /** How many previous releases stay on the host (stopped) for instant rollback. */
  readonly keepReleases: number;
  /**
   * Seconds the replaced release stays running without traffic after the drain, so that
   * `slipway rollback` switches the edge back to it at once (warm); 0: stopped after the drain.
   */
  readonly rollbackWindowSeconds: number;
  /** Registry to log in to before a pull, when credentials are configured. */
  readonly registryLogin?: { readonly server: string; readonly username: string };
  /** The stack's own network on the host, where services and accessories reach each other by name. */
  readonly network: string;
  /**
   * Replicas: the service's name on the stack network (every replica answers to it) when
   * this definition is one replica (`service` is then `<name>.<n>`); absent: `service`.
   */
  readonly alias?: string;
  /**
   * Where the service is configured (`slipway:services.<name>` or `slipway:service`), for the
   * fixes refusals name; absent: `slipway:service`. Not part of the definition hash.
   */
  readonly configPath?: string;
  /**
   * The instances whose upstream files the service's routes list (the first replica's
   * definition carries them all); empty for the other replicas, which install no routes.
   * Absent: `[service]`.
   */
  readonly routeInstances?: readonly string[];
  /**
   * How a new release takes over (`slipway:services.<name>.rollout`); absent: every request at
   * once after the health check. A canary walks its steps in the deploy (./canary-script).
   */
  readonly rollout?: RolloutConfig;
}

/** The instance name of replica `n` (1-based) of `service`: `service` itself, then `service.n`. */
export function replicaName(service: string, n: number): string {
  return n === 1 ? service : `${service}.${n}`;
}

/** Where the service of `def` is configured: `slipway:service` unless it says. */
export function configPathOf(def: Pick<ServiceDefinition, "configPath">): string {
  return def.configPath ?? "slipway:service";
}

/** The network alias of a definition: the service's name, for every replica. */
export function aliasOf(def: Pick<ServiceDefinition, "service" | "alias">): string {
  return def.alias ?? def.service;
}

/** The instances the routes of `def` list; empty: it installs no routes (a later replica). */
export function routeInstancesOf(
  def: Pick<ServiceDefinition, "service" | "routeInstances">,
): readonly string[] {
  return def.routeInstances ?? [def.service];
}

export { stackNetwork } from "../config/services";

export class DefinitionError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid service definition:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "DefinitionError";
  }
}

function isPort(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= 65535;
}

function hostServiceProblems(def: HostService): string[] {
  const problems: string[] = [];
  if (!DOCKER_NAME_PATTERN.test(def.service)) {
    problems.push(`service ${JSON.stringify(def.service)}: lowercase letters, digits, _ . -`);
  }
  if (!def.stateRoot.startsWith("/") || /[\s\0]/.test(def.stateRoot)) {
    problems.push(`stateRoot ${JSON.stringify(def.stateRoot)}: an absolute path, no spaces`);
  }
  if (!DOCKER_NAME_PATTERN.test(def.edge)) {
    problems.push(`edge ${JSON.stringify(def.edge)}: lowercase letters, digits, _ . -`);
  }
  return problems;
}

/** Checks what the stop script relies on; throws DefinitionError listing every problem. */
export function checkHostService(def: HostService): void {
  const problems = hostServiceProblems(def);
  if (problems.length > 0) {
    throw new DefinitionError(problems);
  }
}

/** Checks what the deploy script relies on; throws DefinitionError listing every problem. */
export function checkDefinition(def: ServiceDefinition): void {
  const problems = hostServiceProblems(def);
  try {
    parseDigestReference(def.ref);
  } catch (error) {
    problems.push(`ref: ${(error as Error).message}`);
  }
  if (!isPort(def.containerPort)) {
    problems.push(`containerPort: ${def.containerPort} is not a port between 1 and 65535`);
  }
  if (!Number.isInteger(def.drainSeconds) || def.drainSeconds < 0) {
    problems.push(`drainSeconds: ${def.drainSeconds} is not a whole number >= 0`);
  }
  if (!def.healthPath.startsWith("/") || /[\s\0]/.test(def.healthPath)) {
    problems.push(
      `healthPath ${JSON.stringify(def.healthPath)}: a path starting with /, no spaces`,
    );
  }
  if (!Number.isInteger(def.healthTimeoutSeconds) || def.healthTimeoutSeconds < 1) {
    problems.push(`healthTimeoutSeconds: ${def.healthTimeoutSeconds} is not a whole number >= 1`);
  }
  if (!Number.isInteger(def.rollbackWindowSeconds) || def.rollbackWindowSeconds < 0) {
    problems.push(`rollbackWindowSeconds: ${def.rollbackWindowSeconds} is not a whole number >= 0`);
  }
  if (!Number.isInteger(def.keepReleases) || def.keepReleases < 0) {
    problems.push(`keepReleases: ${def.keepReleases} is not a whole number >= 0`);
  }
  for (const name of [...Object.keys(def.env), ...def.secretEnvNames]) {
    if (!ENV_NAME_PATTERN.test(name)) {
      problems.push(`env ${JSON.stringify(name)}: not an environment variable name`);
    }
  }
  if (!DOCKER_NAME_PATTERN.test(def.network)) {
    problems.push(`network ${JSON.stringify(def.network)}: lowercase letters, digits, _ . -`);
  }
  for (const [field, list] of [
    ["command", def.command],
    ["healthCommand", def.healthCommand ?? []],
  ] as const) {
    if (list.some((arg) => arg.includes("\0"))) {
      problems.push(`${field}: an argument contains a NUL character`);
    }
  }
  if (def.memory !== undefined && !/^\d+(\.\d+)?[bkmg]$/i.test(def.memory)) {
    problems.push(`memory ${JSON.stringify(def.memory)}: a size such as 512m or 1g`);
  }
  if (def.rollout?.strategy === "canary") {
    if (def.routes.length === 0) {
      problems.push("rollout: a canary needs routes (a worker gets no requests to split)");
    }
    if (routeInstancesOf(def).length !== 1) {
      problems.push("rollout: a canary walks one release container per host, not replicas");
    }
    if ((def.rollout.steps ?? []).length === 0) {
      problems.push("rollout: a canary needs steps");
    }
  } else if (def.rollout?.strategy === "blueGreen") {
    if (def.routes.length === 0) {
      problems.push("rollout: a blueGreen needs routes (a worker gets no requests to preview)");
    }
    if (routeInstancesOf(def).length !== 1) {
      problems.push("rollout: a blueGreen previews one release container per host, not replicas");
    }
    if (def.rollout.preview?.host === undefined && def.rollout.preview?.header === undefined) {
      problems.push("rollout: a blueGreen needs a preview host or header");
    }
  }
  if (def.cpus !== undefined && !(def.cpus > 0)) {
    problems.push(`cpus: ${def.cpus} is not more than 0`);
  }
  for (const [name, value] of Object.entries(def.env)) {
    if (value.includes("\0")) {
      problems.push(`env ${name}: contains a NUL character`);
    }
  }
  if (problems.length > 0) {
    throw new DefinitionError(problems);
  }
}

/** The names a service uses on a host. */
export interface ServiceNames {
  /** `<stateRoot>/<service>`: lock, owner, release record. */
  readonly stateDir: string;
  /** The host's edge proxy: its network is the one the releases join. */
  readonly edge: EdgeNames;
}

export function serviceNames(def: HostService): ServiceNames {
  return {
    stateDir: `${def.stateRoot}/${def.service}`,
    edge: edgeNames(def.edge, def.stateRoot),
  };
}

/** `<service>-<first 12 hex of the digest>-`: a release container's name up to its hash. */
export function releasePrefix(def: ServiceDefinition): string {
  const hex = parseDigestReference(def.ref).digest.slice("sha256:".length);
  return `${def.service}-${hex.slice(0, 12)}-`;
}

function sortedRecord(record: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * What makes a release container what it is: image, env, secret names, port. Its hash, mixed
 * on the host with a host-local salt and the secret values, names the container, so a changed
 * secret gives a new container while the name reveals nothing about the secret.
 */
export function containerSpecHash(def: ServiceDefinition): string {
  return sha256(
    JSON.stringify({
      service: def.service,
      ref: def.ref,
      // The network it joins: another edge needs another container.
      edge: def.routes.length === 0 ? null : def.edge,
      containerPort: def.containerPort,
      env: sortedRecord(def.env),
      secretEnvNames: [...def.secretEnvNames].sort(),
      network: def.network,
      alias: aliasOf(def),
      command: def.command,
      ...(def.memory === undefined ? {} : { memory: def.memory }),
      ...(def.cpus === undefined ? {} : { cpus: def.cpus }),
    }),
  );
}

/** The whole definition as canonical JSON: what `triggers` hashes. */
export function renderDefinition(def: ServiceDefinition): string {
  return JSON.stringify({
    host: def.host,
    stack: def.stack,
    service: def.service,
    image: def.image,
    ref: def.ref,
    revision: def.revision ?? null,
    edge: def.edge,
    containerPort: def.containerPort,
    routes: def.routes,
    drainSeconds: def.drainSeconds,
    healthPath: def.healthPath,
    healthTimeoutSeconds: def.healthTimeoutSeconds,
    keepReleases: def.keepReleases,
    rollbackWindowSeconds: def.rollbackWindowSeconds,
    env: sortedRecord(def.env),
    secretEnvNames: [...def.secretEnvNames].sort(),
    registryLogin: def.registryLogin ?? null,
    stateRoot: def.stateRoot,
    network: def.network,
    command: def.command,
    memory: def.memory ?? null,
    cpus: def.cpus ?? null,
    healthCommand: def.healthCommand ?? null,
    alias: aliasOf(def),
    routeInstances: routeInstancesOf(def),
    // Only when set: the hash of a service without a rollout stays what it was.
    ...(def.rollout === undefined ? {} : { rollout: def.rollout }),
  });
}

/** sha256 of the rendered definition, hex. */
export function definitionHash(def: ServiceDefinition): string {
  return sha256(renderDefinition(def));
}

function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}
