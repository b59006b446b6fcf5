/**
 * Where a host's edge proxy lives: its container, network, data volume and state directory.
 * One edge per host and name; every routed service of every stack on the host joins its
 * network, and the edge reaches a release by container name through Docker's DNS there.
 */
import * as path from "node:path";

/** Where the edge's state directory is mounted inside the edge container (read-only). */
export const EDGE_MOUNT = "/etc/slipway";

/** The admin API: a unix socket on a tmpfs inside the container, never a port. */
export const EDGE_ADMIN_DIR = "/run/caddy";
export const EDGE_ADMIN_ADDRESS = `unix/${EDGE_ADMIN_DIR}/admin.sock`;

/** Ports the edge listens on inside its container; the host ports are published onto them. */
export const EDGE_HTTP_PORT = 80;
export const EDGE_HTTPS_PORT = 443;

export interface EdgeNames {
  /** Container name, also the Docker network every routed release joins. */
  readonly container: string;
  readonly network: string;
  /** Named volume for Caddy's data: certificates, the internal CA, ACME accounts. */
  readonly dataVolume: string;
  /** `<stateRoot>/_edge/<name>` on the host: config parts, routes/, upstreams/, lock, owner. */
  readonly stateDir: string;
}

/** Names of the edge `name` under the host's state root. `_edge` cannot be a service name. */
export function edgeNames(name: string, stateRoot: string): EdgeNames {
  return {
    container: name,
    network: name,
    dataVolume: `${name}-data`,
    stateDir: path.posix.join(stateRoot, "_edge", name),
  };
}

/** The file holding a service's upstream (`<container>:<port>`) inside the edge container. */
export function upstreamMountPath(service: string): string {
  return path.posix.join(EDGE_MOUNT, "upstreams", service);
}

/**
 * A service's maintenance directory inside the edge container: `retry-after` (its presence
 * switches the service's routes to the page) and `page.html`.
 */
export function maintenanceMountDir(service: string): string {
  return path.posix.join(EDGE_MOUNT, "maintenance", service);
}

/**
 * A service's split file inside the edge container (`split/<service>` in the edge's state
 * directory): one `<upstream> <weight>` line per side, read per request by the
 * `slipway_split` handler (scripts/engine/caddy/split). Absent: no split.
 */
export function splitMountPath(service: string): string {
  return path.posix.join(EDGE_MOUNT, "split", service);
}

/** Where the edge's Caddy writes the split counters: a tmpfs inside its container. */
export const EDGE_SPLIT_STATS_DIR = `${EDGE_ADMIN_DIR}/split`;

/**
 * How often the module writes changed counters (its `WriteInterval`): a snapshot read this
 * long (and a margin) after a moment counts every request answered before it.
 */
export const SPLIT_STATS_INTERVAL_SECONDS = 1;

/** A service's split counters inside the edge's Caddy container (`docker exec … cat`). */
export function splitStatsPath(service: string): string {
  return path.posix.join(EDGE_SPLIT_STATS_DIR, `${service}.json`);
}

/**
 * The upstream file of a blue/green service's preview release (`upstreams/<service>.preview`;
 * a replica's: `<service>.preview.<n>`), read per request by its preview routes.
 */
export function previewInstance(service: string): string {
  return `${service}.preview`;
}
