/**
 * What runs on the hosts: services (routed by the edge, or workers without routes) and
 * accessories (stateful containers beside them, e.g. PostgreSQL), as config schemas. The
 * validated, normalised form (`ServiceSpec`, `AccessorySpec`) is what the rest reads.
 */
import { z } from "zod";
import { healthPathProblem } from "./rules";
import { rolloutSchema, type RolloutConfig } from "./rollout";
import {
  DOCKER_NAME_PATTERN,
  expected,
  plain,
  plainScalar,
  port,
  ruled,
  secret,
} from "./primitives";
import type { Secret } from "./secret";

/** A key that moved elsewhere: present, it is an error that says where it went. */
function moved(where: string) {
  return z
    .undefined({ error: `moved: ${where}` })
    .optional()
    .describe(`Moved: ${where}.`);
}

/** Host names a route may match: DNS names, `*.` wildcards, `localhost`, IPv4 addresses. */
const ROUTE_HOST = /^(\*\.)?([a-z0-9]([a-z0-9-]*[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
/** A path prefix: `/api`, `/v1/admin`; no trailing slash, no wildcard, no query. */
const ROUTE_PATH = /^(\/[A-Za-z0-9._~!$&'()+,;=:@%-]+)+$/;

/**
 * Names of services, accessories and volumes: container names, network aliases, state
 * directories and DNS names on the stack's network.
 */
export const WORKLOAD_NAME = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;

/** The rule of WORKLOAD_NAME in words, for the refusal of a `what` name (`service`, …). */
export function workloadNameRule(what: string, example: string): string {
  return `is not a valid ${what} name: use lowercase letters, digits and -, starting with a letter and not ending with - (e.g. ${example}); rename the key`;
}

/** A map key that names a workload (the record's key schema: zod reports it as the key's problem). */
function workloadName(what: string, example: string) {
  return plain.regex(WORKLOAD_NAME, workloadNameRule(what, example));
}

/** How the edge proxy reaches a service: by host name, path prefix, or both. */
export const routeSchema = z.strictObject({
  host: plain
    .regex(ROUTE_HOST, "is not a host name: lowercase DNS labels (a-z, 0-9, -), optionally *.")
    .optional()
    .describe(
      "Host name the route answers (`app.example.com`, `*.example.com`); absent: any host.",
    ),
  path: plain
    .regex(ROUTE_PATH, "is not a path prefix: starts with /, no trailing /, no spaces or *")
    .optional()
    .describe("Path prefix (`/api`): requests for it and below; passed on unchanged."),
  tls: z
    .boolean()
    .default(false)
    .describe(
      "Serve the route over HTTPS too, with a certificate the edge obtains (needs `host`).",
    ),
  redirect: z
    .boolean()
    .optional()
    .describe(
      "Answer plain-HTTP requests with a redirect to HTTPS (only with `tls`); default: `tls`.",
    ),
});

/**
 * What two routes must not share (within a service, and across the services of a host): the
 * host (`-`: any) and the path prefix. The edge sorts and checks route lines by it too.
 */
export function routeMatchKey(route: { readonly host?: string; readonly path?: string }): string {
  return `${route.host ?? "-"}|${route.path ?? ""}`;
}

/** How long the previous release stays running without traffic, for an instant rollback. */
export const ROLLBACK_WINDOW_SECONDS = 600;

/** A command as an argument list (no shell): `["/api", "worker"]`. */
const argv = z.array(plain.min(1, "must not be empty")).min(1, "needs at least one argument");

/** Docker's memory sizes: `512m`, `1g`, `1.5g`. */
const MEMORY_SIZE = /^(\d+(?:\.\d+)?)([bkmg])$/i;

/** The smallest memory limit Docker accepts (`docker run --memory`: "Minimum memory limit allowed is 6MB"). */
export const DOCKER_MIN_MEMORY_BYTES = 6 * 1024 * 1024;

/** Bytes of a Docker memory size (`512m`), or undefined when it is not one. */
export function memoryBytes(size: string): number | undefined {
  const match = MEMORY_SIZE.exec(size);
  if (match === null) {
    return undefined;
  }
  const power = "bkmg".indexOf(match[2]!.toLowerCase());
  return Math.floor(Number(match[1]) * 1024 ** power);
}

const memory = plain
  .regex(MEMORY_SIZE, "is not a memory size: a number and a unit b, k, m or g, e.g. 512m or 1g")
  .refine((value) => (memoryBytes(value) ?? 0) >= DOCKER_MIN_MEMORY_BYTES, {
    error: (issue) =>
      `${JSON.stringify(issue.input)} is below Docker's minimum memory limit of 6m; give at least 6m, e.g. 64m or 512m (or remove memory for no limit)`,
  });
const cpus = z.number({ error: expected("a number of CPUs") }).positive("must be more than 0");

/** The default network of a stack's services and accessories on a host: `slipway-<stack>`. */
export function stackNetwork(stack: string): string {
  return `slipway-${stack.toLowerCase().replace(/[^a-z0-9_.-]/g, "-")}`;
}

/** Fields every workload (service or accessory) has. */
const workloadFields = {
  hosts: z
    .array(plain.min(1, "must not be empty"))
    .min(1, "names no host")
    .optional()
    .describe("Host names it runs on; every host of the stack when absent (and no `role`)."),
  role: plain
    .min(1, "must not be empty")
    .optional()
    .describe(
      "Runs on the hosts whose `roles` list this role (one that matches no host is an error).",
    ),
  command: argv.optional().describe("Replaces the image's CMD (arguments after its ENTRYPOINT)."),
  env: z.record(z.string(), plainScalar).default({}).describe("Plain environment variables."),
  secretEnv: z
    .record(z.string(), secret)
    .default({})
    .describe("Secret environment variables (Pulumi secrets); written to a 0600 file on the host."),
  secretEnvFiles: z
    .record(z.string(), plain.min(1, "must not be empty"))
    .default({})
    .describe(
      "Secret environment variables read from files on the machine that runs `pulumi up` (`~/` expanded; one trailing newline dropped), delivered like `secretEnv`.",
    ),
  memory: memory.optional().describe("Memory limit (`docker run --memory`), e.g. `512m`."),
  cpus: cpus.optional().describe("CPU limit (`docker run --cpus`), e.g. `0.5`."),
  healthCommand: argv
    .optional()
    .describe(
      "A command run inside the container (`docker exec`, an argument list) that exits 0 when healthy: a worker's or an accessory's health. Without it: the image's `HEALTHCHECK`, else running.",
    ),
  healthTimeoutSeconds: z
    .number()
    .int()
    .min(1)
    .max(3600)
    .default(60)
    .describe("How long it may take to become healthy."),
};

/** The longest a release command may run: one hour. */
export const MAX_RELEASE_SECONDS = 3600;

/** `release`: a one-off command of a new digest (a migration), before any host switches to it. */
export const releaseCommandSchema = z.strictObject({
  command: argv.describe(
    "The command (an argument list, run as written: its first word replaces the image's ENTRYPOINT) in a one-off container of the new image, with the service's env, secret env and network, on the service's first host, after the image is there and before any host switches. Exit ≠ 0 stops the release. Required.",
  ),
  timeoutSeconds: z
    .number({ error: expected("a number of seconds") })
    .int("must be a whole number of seconds")
    .min(1, "must be at least 1")
    .max(MAX_RELEASE_SECONDS, `must be at most ${MAX_RELEASE_SECONDS} (one hour)`)
    .default(300)
    .describe("How long it may run; past it the container is removed and the release stops."),
});

export type ReleaseCommandConfig = z.output<typeof releaseCommandSchema>;

const serviceFields = {
  ...workloadFields,
  containerPort: port
    .default(8080)
    .describe("Port the application listens on inside the container."),
  healthPath: ruled(healthPathProblem)
    .default("/healthz")
    .describe(
      "Path that answers 2xx when a routed release is healthy: the health gate of a new release, checked directly, then through the edge.",
    ),
  drainSeconds: z
    .number()
    .int()
    .min(0)
    .max(600)
    .default(1)
    .describe(
      "Seconds the previous release keeps serving the requests it already had after the switch, then stops (in the background: the update does not wait).",
    ),
  batchSize: z
    .number()
    .int()
    .min(1)
    .default(1)
    .describe("How many hosts are deployed at once; a failed batch stops the rollout."),
  keepReleases: z
    .number()
    .int()
    .min(1)
    .max(50)
    .default(3)
    .describe("How many previous releases each host keeps for instant rollback."),
  rollbackWindowSeconds: z
    .number()
    .int("must be a whole number")
    .min(0, "must be 0 (off) or more")
    .max(86400, "must be at most 86400 (a day)")
    .default(ROLLBACK_WINDOW_SECONDS)
    .describe(
      "Seconds the previous release stays running without traffic after a release (SSH hosts), so that `slipway rollback` switches the edge back to it in under a second; `0`: it stops after the drain. A host whose available memory is below the service's `memory` limit does not keep it.",
    ),
  replicas: z
    .number({ error: expected("a number of replicas") })
    .int("must be a whole number")
    .min(1, "must be at least 1: a service runs at least one container per host")
    .max(20, "must be at most 20 per host")
    .default(1)
    .describe("Containers per host, each health-gated; the edge balances requests over them."),
  release: releaseCommandSchema
    .optional()
    .describe(
      "A release command (e.g. a database migration), run once per new digest on this stack; not on a rollback nor for a digest a release of the stack already ran. See docs/release-safety.md.",
    ),
  rollout: rolloutSchema
    .optional()
    .describe(
      "How a new release takes over (SSH hosts): canary (a share of requests per step, judged from the edge's counters) or blueGreen (a preview route, then a switch); unset: all at once after the health check. See docs/deploys.md#progressive-delivery.",
    ),
};

/** `slipway:service`: the one service of a stack (the older form of `slipway:services`). */
export const serviceSchema = z.strictObject({
  ...serviceFields,
  name: plain
    .regex(DOCKER_NAME_PATTERN, "is not a container name: lowercase letters, digits, _ . -")
    .optional()
    .describe("Container name prefix on the hosts; defaults to the image name."),
  image: plain
    .optional()
    .describe(
      "Which of `slipway:images` runs; may be omitted when there is only one besides the edge.",
    ),
  routes: z
    .array(routeSchema)
    .default([{ tls: false }])
    .describe("How the host's edge proxy routes requests to the service; default: every request."),
  publishedPort: moved(
    "the host's edge proxy owns the ports; set slipway:edge.httpPort in the stack that manages the edge, and route the service with slipway:service.routes",
  ),
  proxyImage: moved("the edge proxy's image is slipway:edge.image"),
});

/** One entry of `slipway:services`. */
export const serviceEntrySchema = z.strictObject({
  ...serviceFields,
  image: plain
    .min(1, "must not be empty")
    .optional()
    .describe("Which of `slipway:images` runs; defaults to the image of the service's own name."),
  routes: z
    .array(routeSchema)
    .default([])
    .describe(
      "How the edge routes requests to it; none: a worker (no route, health by command). A route another service of the stack claims is an error.",
    ),
  worker: z.boolean().optional().describe("Says this service is a worker: it must have no routes."),
});

export const servicesSchema = z.record(
  workloadName("service", "web or api-worker"),
  serviceEntrySchema,
);

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** A port an accessory publishes on the host: loopback unless `public` says otherwise. */
export const accessoryPortSchema = z.strictObject({
  containerPort: port.describe("Port the accessory listens on inside the container."),
  hostPort: port.optional().describe("Host port; the container port when absent."),
  bind: plain
    .regex(IPV4, "is not an IPv4 address, e.g. 127.0.0.1")
    .default("127.0.0.1")
    .describe("Address on the host; loopback by default."),
  public: z
    .boolean()
    .default(false)
    .describe(
      "Says that binding a non-loopback address is intended (reachable from other machines).",
    ),
});

/** One entry of `slipway:accessories`: a stateful container beside the services. */
export const accessorySchema = z.strictObject({
  ...workloadFields,
  image: plain
    .min(1, "must not be empty")
    .describe(
      "An image of `slipway:images` (built or promoted like the others), or a pinned `repository@sha256:…` (e.g. the official `docker.io/library/postgres:17@sha256:…`; `docker buildx imagetools inspect postgres:17` prints the digest). A tag is an error. Required.",
    ),
  volumes: z
    .record(
      workloadName("volume", "pgdata"),
      plain.regex(/^\/[^\s:]*$/, "is not an absolute path in the container (no spaces or :)"),
    )
    .default({})
    .describe(
      "Named volumes (`<network>-<name>-<volume>`) by volume name: the absolute path they mount at. They survive every release, rollback, restart and `pulumi destroy`.",
    ),
  ports: z
    .array(accessoryPortSchema)
    .default([])
    .describe(
      "Ports published on the host, on loopback unless `public` (services need none: they reach it by name).",
    ),
  deleteVolumesOnDestroy: z
    .boolean()
    .default(false)
    .describe("`pulumi destroy` deletes its volumes too (off: the data stays on the hosts)."),
});

export const accessoriesSchema = z.record(
  workloadName("accessory", "postgres or redis-cache"),
  accessorySchema,
);

export type RouteConfig = z.output<typeof routeSchema>;
export type ServiceConfig = Omit<z.output<typeof serviceSchema>, "publishedPort" | "proxyImage">;
export type ServiceEntry = z.output<typeof serviceEntrySchema>;
export type AccessoryEntry = z.output<typeof accessorySchema>;
export type AccessoryPort = z.output<typeof accessoryPortSchema>;

/** Fields a service and an accessory share, validated and placed on hosts. */
export interface WorkloadSpec {
  readonly name: string;
  /** A name of `slipway:images`, or (accessories) a pinned `repository@sha256:…`. */
  readonly image: string;
  /** Host names it runs on, in the order of `slipway:hosts`. */
  readonly hosts: readonly string[];
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly secretEnv: Readonly<Record<string, Secret>>;
  /** Secret env vars whose values are in files on the deploying machine, by name. */
  readonly secretEnvFiles: Readonly<Record<string, string>>;
  readonly memory?: string;
  readonly cpus?: number;
  readonly healthCommand?: readonly string[];
  readonly healthTimeoutSeconds: number;
}

/** A service as the program deploys it; `routes` empty: a worker. */
export interface ServiceSpec extends WorkloadSpec {
  /** Where it is configured, for messages: `slipway:services.<name>`, or `slipway:service`. */
  readonly configPath: string;
  readonly containerPort: number;
  readonly routes: readonly RouteConfig[];
  readonly healthPath: string;
  readonly drainSeconds: number;
  readonly batchSize: number;
  readonly keepReleases: number;
  /** Seconds the previous release stays running (warm) for an instant rollback; 0: off. */
  readonly rollbackWindowSeconds: number;
  readonly replicas: number;
  /** The release command run once per new digest before any host switches, when set. */
  readonly release?: ReleaseCommandConfig;
  /** How a new release takes over (canary, blue/green); unset: all at once. */
  readonly rollout?: RolloutConfig;
}

export interface AccessorySpec extends WorkloadSpec {
  readonly volumes: Readonly<Record<string, string>>;
  readonly ports: readonly (AccessoryPort & { readonly hostPort: number })[];
  readonly deleteVolumesOnDestroy: boolean;
}

/** Host names a workload runs on: its `hosts`, the hosts with its `role`, or every host. */
export function placement(
  entry: { readonly hosts?: readonly string[]; readonly role?: string },
  hosts: readonly { readonly name: string; readonly roles: readonly string[] }[],
): string[] {
  if (entry.hosts !== undefined) {
    return hosts.filter((host) => entry.hosts!.includes(host.name)).map((host) => host.name);
  }
  if (entry.role !== undefined) {
    return hosts.filter((host) => host.roles.includes(entry.role!)).map((host) => host.name);
  }
  return hosts.map((host) => host.name);
}

/** The normalised fields every workload shares. */
function workload(
  name: string,
  image: string,
  entry: z.output<z.ZodObject<typeof workloadFields>>,
  hosts: readonly { readonly name: string; readonly roles: readonly string[] }[],
): WorkloadSpec {
  return {
    name,
    image,
    hosts: placement(entry, hosts),
    command: entry.command ?? [],
    env: entry.env,
    secretEnv: entry.secretEnv,
    secretEnvFiles: entry.secretEnvFiles,
    ...(entry.memory === undefined ? {} : { memory: entry.memory }),
    ...(entry.cpus === undefined ? {} : { cpus: entry.cpus }),
    ...(entry.healthCommand === undefined ? {} : { healthCommand: entry.healthCommand }),
    healthTimeoutSeconds: entry.healthTimeoutSeconds,
  };
}

export function serviceSpec(
  name: string,
  image: string,
  entry: ServiceEntry | ServiceConfig,
  hosts: readonly { readonly name: string; readonly roles: readonly string[] }[],
  configPath = `slipway:services.${name}`,
): ServiceSpec {
  return {
    ...workload(name, image, entry, hosts),
    configPath,
    containerPort: entry.containerPort,
    routes: entry.routes,
    healthPath: entry.healthPath,
    drainSeconds: entry.drainSeconds,
    batchSize: entry.batchSize,
    keepReleases: entry.keepReleases,
    rollbackWindowSeconds: entry.rollbackWindowSeconds,
    replicas: entry.replicas,
    ...(entry.release === undefined ? {} : { release: entry.release }),
    ...(entry.rollout === undefined ? {} : { rollout: entry.rollout }),
  };
}

export function accessorySpec(
  name: string,
  entry: AccessoryEntry,
  hosts: readonly { readonly name: string; readonly roles: readonly string[] }[],
): AccessorySpec {
  return {
    ...workload(name, entry.image, entry, hosts),
    volumes: entry.volumes,
    ports: entry.ports.map((p) => ({ ...p, hostPort: p.hostPort ?? p.containerPort })),
    deleteVolumesOnDestroy: entry.deleteVolumesOnDestroy,
  };
}
