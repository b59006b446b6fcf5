/**
 * Docker commands for the host's edge proxy, as data (argument lists; `command()` quotes
 * them), and the shell functions both the edge script and the deploy script use to render
 * the edge's config and load it through the admin API.
 */
import type { CanaryAnalysis } from "../config";
import {
  EDGE_ADMIN_ADDRESS,
  EDGE_ADMIN_DIR,
  EDGE_HTTP_PORT,
  EDGE_HTTPS_PORT,
  EDGE_MOUNT,
  splitStatsPath,
  type EdgeNames,
} from "../edge";
import { PROBE_TIMEOUT_SECONDS } from "./definition";
import { shellLines } from "./script-files";
import { assign, command, ShellExpr, type ShellArg } from "./shell";

/** What the edge is made of: the Caddy image, and the ports its network holder publishes. */
export interface EdgeSpec {
  readonly image: string;
  readonly bind: string;
  readonly httpPort: number;
  readonly httpsPort: number;
}

/** The `slipway.edge.ports` label of the holder: `<bind>:<http> <bind>:<https>`. */
export function edgePortsLabel(spec: EdgeSpec): string {
  return `${spec.bind}:${spec.httpPort} ${spec.bind}:${spec.httpsPort}`;
}

/**
 * The edge's network holder, named after the edge: it owns the edge's network namespace,
 * its place on the edge network and the published ports, and does nothing else (busybox
 * `sleep`), so it never needs an upgrade. Caddy runs in its namespace; a new Caddy binds
 * the same ports beside the old one (Caddy sets SO_REUSEPORT) before the old one stops.
 */
export function holderCreate(names: EdgeNames, spec: EdgeSpec, name: ShellArg): ShellArg[] {
  return [
    "docker",
    "create",
    "--name",
    name,
    "--init",
    "--restart",
    "unless-stopped",
    "--network",
    names.network,
    "--network-alias",
    names.container,
    "--publish",
    `${spec.bind}:${spec.httpPort}:${EDGE_HTTP_PORT}`,
    "--publish",
    `${spec.bind}:${spec.httpsPort}:${EDGE_HTTPS_PORT}`,
    // Read-only, so `docker cp <edge>:/data/caddy/pki/authorities/local/root.crt .` works.
    "--volume",
    `${names.dataVolume}:/data:ro`,
    "--read-only",
    "--cap-drop",
    "ALL",
    "--label",
    "slipway.role=edge-net",
    "--label",
    `slipway.edge.of=${names.container}`,
    "--label",
    `slipway.edge.ports=${edgePortsLabel(spec)}`,
    "--entrypoint",
    "/bin/busybox",
    spec.image,
    "sleep",
    "2147483647",
  ];
}

/** Name prefix of the Caddy containers of `image`: `<edge>-caddy-<first 12 hex of its digest>`. */
export function caddyName(names: EdgeNames, image: string): string {
  const digest = image.slice(image.lastIndexOf("@sha256:") + "@sha256:".length);
  return `${names.container}-caddy-${digest.slice(0, 12)}`;
}

/**
 * A Caddy container in the holder's namespace `holder`: the config rendered in the edge's
 * state directory (mounted read-only), certificates in a named volume shared by old and new
 * Caddy, the admin socket on its own tmpfs, root file system read-only, every capability
 * dropped but binding ports 80 and 443.
 */
export function caddyRun(
  names: EdgeNames,
  image: string,
  holder: ShellExpr,
  name: ShellExpr,
  stack: string,
): ShellArg[] {
  return [
    "docker",
    "run",
    "--detach",
    "--name",
    name,
    "--restart",
    "unless-stopped",
    "--network",
    ShellExpr.join(["container:", holder]),
    "--volume",
    `${names.dataVolume}:/data`,
    "--volume",
    `${names.stateDir}:${EDGE_MOUNT}:ro`,
    "--tmpfs",
    EDGE_ADMIN_DIR,
    "--tmpfs",
    "/config",
    "--env",
    "XDG_DATA_HOME=/data",
    "--env",
    "XDG_CONFIG_HOME=/config",
    "--read-only",
    "--cap-drop",
    "ALL",
    "--cap-add",
    "NET_BIND_SERVICE",
    "--label",
    "slipway.role=edge",
    "--label",
    `slipway.edge.of=${names.container}`,
    "--label",
    `slipway.edge.image=${image}`,
    "--label",
    `slipway.stack=${stack}`,
    image,
    "caddy",
    "run",
    "--config",
    `${EDGE_MOUNT}/caddy.json`,
  ];
}

/** How many sockets listen on the edge's HTTP port in its namespace (old and new Caddy: 2). */
export function listenerCount(names: EdgeNames): ShellArg[] {
  return ["docker", "exec", names.container, "/bin/busybox", "netstat", "-ltn"];
}

/** Checks a rendered config with the edge image's own Caddy before anything changes. */
export function edgeValidate(names: EdgeNames, image: string, file: string): ShellArg[] {
  return [
    "docker",
    "run",
    "--rm",
    "--network",
    "none",
    "--volume",
    `${names.stateDir}:${EDGE_MOUNT}:ro`,
    image,
    "caddy",
    "validate",
    "--config",
    `${EDGE_MOUNT}/${file}`,
  ];
}

/** Loads a rendered config into Caddy container `caddy` through its admin socket (no restart). */
export function edgeReload(caddy: ShellArg, file: string): ShellArg[] {
  return [
    "docker",
    "exec",
    caddy,
    "caddy",
    "reload",
    "--config",
    `${EDGE_MOUNT}/${file}`,
    "--address",
    EDGE_ADMIN_ADDRESS,
  ];
}

/**
 * One HTTP GET from inside the edge's network namespace, run in the holder (busybox wget:
 * in Slipway's edge image and in the official Alpine-based one): exits 0 on 2xx, prints the body or wget's
 * error. Bounded by busybox `timeout`: busybox 1.35's `wget -T` crashes.
 */
export function edgeGet(names: EdgeNames, url: ShellArg, host?: string): ShellArg[] {
  return [
    "docker",
    "exec",
    names.container,
    "/bin/busybox",
    "timeout",
    PROBE_TIMEOUT_SECONDS,
    "/bin/busybox",
    "wget",
    "-q",
    "-O",
    "-",
    ...(host === undefined ? [] : ["--header", ShellExpr.join(["Host: ", host])]),
    url,
  ];
}

/**
 * The split counters of `service` (the stats file the `slipway_split` module writes in the
 * edge's Caddy container `caddy`) on stdout: a step's start, kept on the host.
 */
export function splitStatsRead(caddy: ShellArg, service: string): ShellArg[] {
  return ["docker", "exec", caddy, "/bin/busybox", "cat", splitStatsPath(service)];
}

/** The judge's subcommand of the edge's Caddy (scripts/engine/caddy/canary). */
export const SPLIT_JUDGE = "slipway-split-judge";

/**
 * The judgement of a canary step, run by the edge's own Caddy (`caddy slipway-split-judge`,
 * scripts/engine/caddy/canary, the one implementation of the rule): side `side` of the
 * service's counters now against the step's start on stdin (`splitStatsRead`'s output),
 * against `analysis`. Exit 0 passed, 1 failed (the verdict on stdout either way), 2 cannot
 * judge (why on stderr).
 */
export function splitJudge(
  caddy: ShellArg,
  service: string,
  analysis: CanaryAnalysis,
  side: ShellArg,
  label: ShellArg,
): ShellArg[] {
  return [
    "docker",
    "exec",
    "--interactive",
    caddy,
    "caddy",
    SPLIT_JUDGE,
    "--start",
    "-",
    "--end",
    splitStatsPath(service),
    "--side",
    side,
    "--label",
    label,
    "--max-error-rate",
    analysis.maxErrorRate,
    "--min-requests",
    analysis.minRequests,
    ...(analysis.maxP95Ms === undefined ? [] : ["--max-p95-ms", analysis.maxP95Ms]),
  ];
}

/**
 * The judge without arguments: it exits 2 (cannot judge) when the edge's Caddy has the
 * subcommand; a Caddy without it exits 1 (`unknown command`).
 */
export function splitJudgeProbe(caddy: ShellArg): ShellArg[] {
  return ["docker", "exec", caddy, "caddy", SPLIT_JUDGE];
}

/** `http://127.0.0.1:80<path>`: the edge's own HTTP listener, as seen from inside it. */
export function edgeLocalUrl(path: string): string {
  return `http://127.0.0.1:${EDGE_HTTP_PORT}${path}`;
}

/**
 * The shell functions over `$edge` that the edge, deploy and stop scripts share (`edge_lock`,
 * `edge_routes`, `edge_render`, `edge_apply`: sh/edge.sh), after the edge's name and its
 * `edge_reload` (the admin-API load of `caddy.json.next`).
 */
export function edgeFunctions(names: EdgeNames): string[] {
  return [
    assign("edge_container", names.container),
    `edge_reload() { ${command(edgeReload(ShellExpr.positional(1), "caddy.json.next"))}; }`,
    ...shellLines("edge"),
  ];
}
