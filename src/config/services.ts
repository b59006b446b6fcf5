/**
 * `slipway:services`: what runs on the hosts and is rolled out in order (routed by the edge,
 * or workers without routes), as config schemas, and their validated form (`ServiceSpec`).
 */
import { z } from "zod";
import { healthPathProblem } from "./rules";
import { expected, plain, port, ruled } from "./primitives";
import { rolloutSchema, type RolloutConfig } from "./rollout";
import { argv, workload, workloadFields, workloadName, type WorkloadSpec } from "./workload";

/** Host names a route may match: DNS names, `*.` wildcards, `localhost`, IPv4 addresses. */
const ROUTE_HOST = /^(\*\.)?([a-z0-9]([a-z0-9-]*[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
/** A path prefix: `/api`, `/v1/admin`; no trailing slash, no wildcard, no query. */
const ROUTE_PATH = /^(\/[A-Za-z0-9._~!$&'()+,;=:@%-]+)+$/;
/** How the edge proxy reaches a service: by host name, path prefix, or both. */
const routeSchema = z.strictObject({
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
const ROLLBACK_WINDOW_SECONDS = 600;
/** The default network of a stack's services and accessories on a host: `slipway-<stack>`. */
export function stackNetwork(stack: string): string {
  return `slipway-${stack.toLowerCase().replace(/[^a-z0-9_.-]/g, "-")}`;
}
/** The longest a release command may run: one hour. */
const MAX_RELEASE_SECONDS = 3600;

/** `release`: a one-off command of a new digest (a migration), before any host switches to it. */
const releaseCommandSchema = z.strictObject({
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
      "How a new release takes over (SSH hosts): canary (a share of requests per step, judged from the edge's counters; the deploy walks the steps) or blueGreen (a release of another digest than rollout.live answers only on a preview route until `slipway switch`; with replicas: refused before any resource, as a canary is); unset: all at once after the health check (docs/deploys.md#progressive-delivery).",
    ),
};

/** One entry of `slipway:services`. */
const serviceEntrySchema = z.strictObject({
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
export type RouteConfig = z.output<typeof routeSchema>;
type ServiceEntry = z.output<typeof serviceEntrySchema>;
/** A service as the program deploys it; `routes` empty: a worker. */
export interface ServiceSpec extends WorkloadSpec {
  /** Where it is configured, for messages: `slipway:services.<name>`. */
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

export function serviceSpec(
  name: string,
  image: string,
  entry: ServiceEntry,
  hosts: readonly { readonly name: string; readonly roles: readonly string[] }[],
): ServiceSpec {
  return {
    ...workload(name, image, entry, hosts),
    configPath: `slipway:services.${name}`,
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
