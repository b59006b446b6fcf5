/**
 * Docker commands for the host's edge proxy, as data (argument lists; `command()` quotes
 * them), and the shell functions both the edge script and the deploy script use to render
 * the edge's config and load it through the admin API.
 */
import {
  EDGE_ADMIN_ADDRESS,
  EDGE_ADMIN_DIR,
  EDGE_HTTP_PORT,
  EDGE_HTTPS_PORT,
  EDGE_MOUNT,
  type EdgeNames,
} from "../edge";
import { PROBE_TIMEOUT_SECONDS } from "./definition";
import { command, quote, ShellExpr, v, type ShellArg } from "./shell";

/** What the edge container is started from; another spec means another container. */
export interface EdgeSpec {
  readonly image: string;
  readonly bind: string;
  readonly httpPort: number;
  readonly httpsPort: number;
}

/** The `slipway.edge` label: image and published ports. */
export function edgeSpecLabel(spec: EdgeSpec): string {
  return `${spec.image} ${spec.bind}:${spec.httpPort} ${spec.bind}:${spec.httpsPort}`;
}

/** `<running> <slipway.edge label>` of the edge container. */
export function edgeInspect(container: ShellArg): ShellArg[] {
  return [
    "docker",
    "container",
    "inspect",
    "--format",
    '{{.State.Running}} {{index .Config.Labels "slipway.edge"}}',
    container,
  ];
}

/**
 * The edge container (created, then started by the script): Caddy with the config rendered in its state directory (mounted
 * read-only), certificates in a named volume, the admin socket on a tmpfs, root file system
 * read-only, every capability dropped but binding ports 80 and 443 inside its namespace.
 */
export function edgeCreate(names: EdgeNames, spec: EdgeSpec, stack: string): ShellArg[] {
  return [
    "docker",
    "create",
    "--name",
    names.container,
    "--restart",
    "unless-stopped",
    "--network",
    names.network,
    "--publish",
    `${spec.bind}:${spec.httpPort}:${EDGE_HTTP_PORT}`,
    "--publish",
    `${spec.bind}:${spec.httpsPort}:${EDGE_HTTPS_PORT}`,
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
    `slipway.edge=${edgeSpecLabel(spec)}`,
    "--label",
    `slipway.stack=${stack}`,
    spec.image,
    "caddy",
    "run",
    "--config",
    `${EDGE_MOUNT}/caddy.json`,
  ];
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

/** Loads a rendered config into the running edge through its admin socket (no restart). */
export function edgeReload(names: EdgeNames, file: string): ShellArg[] {
  return [
    "docker",
    "exec",
    names.container,
    "caddy",
    "reload",
    "--config",
    `${EDGE_MOUNT}/${file}`,
    "--address",
    EDGE_ADMIN_ADDRESS,
  ];
}

/**
 * One HTTP GET from inside the edge's network namespace (busybox wget: in Slipway's edge
 * image and in the official Alpine-based one): exits 0 on 2xx, prints the body or wget's
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

/** `http://127.0.0.1:80<path>`: the edge's own HTTP listener, as seen from inside it. */
export function edgeLocalUrl(path: string): string {
  return `http://127.0.0.1:${EDGE_HTTP_PORT}${path}`;
}

/**
 * Shell functions over `$edge` (the edge's state directory):
 * - `edge_lock`: the edge lock (fd 8), waited for; config changes of several stacks queue.
 * - `edge_routes SERVER`: every service's route lines for SERVER, most specific first.
 * - `edge_render`: `caddy.json.next` from the skeleton parts and all route files.
 * - `edge_apply`: loads `caddy.json.next` through the admin API when it differs from
 *   `caddy.json`, then makes it `caddy.json` (what a restarted edge starts with); on a
 *   refusal `caddy.json` and the running config stay as they were.
 */
export function edgeFunctions(names: EdgeNames): string[] {
  return [
    "edge_lock() {",
    '  exec 8>>"$edge"/lock',
    "  if ! flock -w 120 8; then",
    `    fail "the edge ${names.container} stayed locked for 120 s by: $(cat "$edge"/lock.owner 2>/dev/null || echo 'holder unknown')"`,
    "  fi",
    `  printf 'stack %s (pid %s) since %s\\n' "$stack" "$$" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$edge"/lock.owner`,
    "}",
    "edge_routes() {",
    '  for f in "$edge"/routes/*; do if [ -f "$f" ]; then cat "$f"; fi; done |',
    "    awk -v server=\"$1\" '$3 == server' | sort | cut -d' ' -f4- | sed 's/$/,/'",
    "}",
    "edge_render() {",
    '  suffix=$(cat "$edge"/https_suffix 2>/dev/null || true)',
    "  {",
    '    cat "$edge"/config.head',
    "    edge_routes http",
    '    cat "$edge"/config.mid',
    "    edge_routes https",
    '    cat "$edge"/config.tail',
    '  } | sed "s/__SLIPWAY_HTTPS_SUFFIX__/$suffix/g" > "$edge"/caddy.json.next',
    "}",
    "edge_apply() {",
    '  if cmp -s "$edge"/caddy.json.next "$edge"/caddy.json; then',
    '    rm -f "$edge"/caddy.json.next',
    "    return 0",
    "  fi",
    `  if ! out=$(${command(edgeReload(names, "caddy.json.next"))} 2>&1); then`,
    '    rm -f "$edge"/caddy.json.next',
    `    edge_error="$(last_line "$out")"`,
    "    return 1",
    "  fi",
    '  mv -f "$edge"/caddy.json.next "$edge"/caddy.json',
    `  say ${quote(`loaded the new routes into ${names.container}`)}`,
    "}",
  ];
}

/** `"$edge"/<file>`. */
export function edgeFile(file: string): ShellExpr {
  return ShellExpr.join([v("edge"), `/${file}`]);
}
