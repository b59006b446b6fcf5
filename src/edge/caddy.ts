/**
 * The edge proxy's Caddy JSON config, as data. The config has two parts with two owners:
 *
 * - the skeleton (admin socket, storage, servers, TLS issuer), owned by the stack that
 *   manages the edge and written to the host as `config.head`, `config.mid`, `config.tail`;
 * - the routes, one file per service (`routes/<service>`), owned by the service's deploy.
 *
 * The host renders `head + http routes + mid + https routes + tail` (`edge_render` in
 * src/deploy/sh/edge.sh, the one renderer; the unit tests run it) and loads it through the
 * admin API only when a route or the skeleton changed. A release never
 * changes either: every route dials `{file.<upstreams>/<service>}`, a placeholder Caddy
 * reads per request, so switching a release is an atomic rename of that one file — no
 * config reload, so no client connection (keep-alive included) is ever closed by a release.
 */
import { routeMatchKey, type RouteConfig } from "../config/services";
import type { RolloutConfig } from "../config/rollout";
import type { TlsIssuer } from "../config/edge";
import {
  EDGE_ADMIN_ADDRESS,
  EDGE_HTTP_PORT,
  EDGE_HTTPS_PORT,
  maintenanceMountDir,
  splitMountPath,
  splitStatsPath,
  upstreamMountPath,
} from "./names";

const HTTP_ROUTES = "__SLIPWAY_HTTP_ROUTES__";
const HTTPS_ROUTES = "__SLIPWAY_HTTPS_ROUTES__";
/** Replaced on the host by `:<httpsPort>` (empty for 443) in redirect locations. */
export const HTTPS_SUFFIX_TOKEN = "__SLIPWAY_HTTPS_SUFFIX__";

/** What the managing stack decides about the edge's config (not its ports or image). */
export interface EdgeSkeleton {
  readonly tls: TlsIssuer;
  readonly email?: string;
}

/** The last route of each server: a request no service claims gets a 404, not Caddy's empty 200. */
export const NO_ROUTE = {
  handle: [
    {
      handler: "static_response",
      status_code: 404,
      body: "no service is routed here on this host\n",
    },
  ],
};

/** Seconds Caddy lets requests of an old config finish when the config changes. */
export const GRACE_PERIOD = "30s";

/** The whole config object, with marker strings where the route lists go. */
function skeletonObject(skeleton: EdgeSkeleton): Record<string, unknown> {
  const issuer =
    skeleton.tls === "internal"
      ? { module: "internal" }
      : { module: "acme", ...(skeleton.email === undefined ? {} : { email: skeleton.email }) };
  return {
    admin: { listen: EDGE_ADMIN_ADDRESS, config: { persist: false } },
    logging: { logs: { default: { level: "WARN" } } },
    storage: { module: "file_system", root: "/data/caddy" },
    apps: {
      http: {
        http_port: EDGE_HTTP_PORT,
        https_port: EDGE_HTTPS_PORT,
        grace_period: GRACE_PERIOD,
        servers: {
          http: { listen: [`:${EDGE_HTTP_PORT}`], routes: [HTTP_ROUTES, NO_ROUTE] },
          https: {
            listen: [`:${EDGE_HTTPS_PORT}`],
            routes: [HTTPS_ROUTES, NO_ROUTE],
            // Slipway writes the HTTP→HTTPS redirects itself, per route (see routeLines).
            automatic_https: { disable_redirects: true },
          },
        },
      },
      tls: { automation: { policies: [{ issuers: [issuer] }] } },
      pki: { certificate_authorities: { local: { install_trust: false } } },
    },
  };
}

export interface ConfigParts {
  readonly head: string;
  readonly mid: string;
  readonly tail: string;
}

/** The skeleton as the three texts around the two route lists. */
export function configParts(skeleton: EdgeSkeleton): ConfigParts {
  // Each route line goes in followed by a comma, before the closing NO_ROUTE entry.
  const text = JSON.stringify(skeletonObject(skeleton));
  const [head, rest] = text.split(`${JSON.stringify(HTTP_ROUTES)},`) as [string, string];
  const [mid, tail] = rest.split(`${JSON.stringify(HTTPS_ROUTES)},`) as [string, string];
  return { head, mid, tail };
}

/** `:<port>` for a non-standard HTTPS port, as redirect locations need it. */
export function httpsSuffix(httpsPort: number): string {
  return httpsPort === 443 ? "" : `:${httpsPort}`;
}

/** The edge server a route line belongs to. */
export type EdgeServer = "http" | "https";

/**
 * One line of `routes/<service>`: `<sort key> <match key> <server> <route JSON>`. The host
 * sorts all services' lines together (most specific first), checks match keys for clashes
 * with other services, and joins each server's JSON into its route list.
 */
export interface RouteLine {
  readonly sortKey: string;
  readonly matchKey: string;
  readonly server: EdgeServer;
  readonly json: string;
}

/** How long the edge retries a failed dial before it answers 502 (Caddy's `try_duration`). */
export const UPSTREAM_TRY = "250ms";

/** Loopback clients: the deploy's own checks, run inside the edge container. */
const LOOPBACK = ["127.0.0.0/8", "::1/128"];

/**
 * The handler every route of `service` ends in: its upstream, read from a file per request;
 * with replicas, one upstream per replica's file (`instances`, the first being `service`).
 */
export function proxyHandler(
  service: string,
  instances: readonly string[] = [service],
): Record<string, unknown> {
  return {
    handler: "reverse_proxy",
    upstreams: instances.map((instance) => ({ dial: `{file.${upstreamMountPath(instance)}}` })),
    // A dial that fails is retried briefly (another replica, the file re-read), then answered
    // with a 502 at once: a route whose containers are all down never holds its clients.
    load_balancing: { try_duration: UPSTREAM_TRY, try_interval: "50ms" },
  };
}

/** How a service with a `rollout` is split at the edge (see ./split). */
export interface SplitOptions {
  /** A client stays on one side (a cookie with its bucket). */
  readonly sticky: boolean;
}

/**
 * The handlers every route of a service with a `rollout` ends in: Slipway's `slipway_split`
 * (scripts/engine/caddy/split), which per request reads the service's split file, chooses
 * a side by weight and counts its answer, then `reverse_proxy` dialling that side — or,
 * with no split file, exactly the upstreams of `proxyHandler`, read per request as there.
 */
export function splitProxyHandlers(
  service: string,
  instances: readonly string[],
  split: SplitOptions,
): Record<string, unknown>[] {
  const { upstreams, ...rest } = proxyHandler(service, instances) as {
    upstreams: { dial: string }[];
  } & Record<string, unknown>;
  return [
    {
      handler: "slipway_split",
      service,
      split_file: splitMountPath(service),
      stats_file: splitStatsPath(service),
      ...(split.sticky ? { sticky: true } : {}),
    },
    {
      ...rest,
      dynamic_upstreams: { source: "slipway_split", fallback: upstreams.map((u) => u.dial) },
    },
  ];
}

/**
 * The check every client route of `service` starts with: while the file
 * `maintenance/<service>/retry-after` exists in the edge's state directory, the route answers
 * 503 with the page beside it and `Retry-After`, both read per request like the upstream; the
 * release keeps running. No config changes, so no connection is closed. Loopback requests
 * (the deploy's verification, status's health check from inside the edge) still pass.
 */
export function maintenanceHandler(service: string): Record<string, unknown> {
  const dir = maintenanceMountDir(service);
  return {
    handler: "subroute",
    routes: [
      {
        match: [
          {
            file: { root: dir, try_files: ["/retry-after"] },
            not: [{ remote_ip: { ranges: LOOPBACK } }],
          },
        ],
        handle: [
          {
            handler: "static_response",
            status_code: 503,
            headers: {
              "Retry-After": [`{file.${dir}/retry-after}`],
              "Content-Type": ["text/html; charset=utf-8"],
              "Cache-Control": ["no-store"],
            },
            body: `{file.${dir}/page.html}`,
          },
        ],
      },
    ],
  };
}

function matcher(route: RouteConfig): Record<string, unknown> {
  return {
    ...(route.host === undefined ? {} : { host: [route.host] }),
    ...(route.path === undefined ? {} : { path: [route.path, `${route.path}/*`] }),
  };
}

const SPECIFICITY = {
  path: { exact: 0, wild: 1, any: 4 },
  any: { exact: 2, wild: 3, any: 5 },
} as const;

/**
 * Specific before general: exact host with path, wildcard host with path, exact host,
 * wildcard host, path only, any request; longer paths first; `sub` orders lines of a route.
 */
function sortKey(route: RouteConfig, sub: number): string {
  const host = route.host === undefined ? "any" : route.host.startsWith("*.") ? "wild" : "exact";
  const cls = SPECIFICITY[route.path === undefined ? "any" : "path"][host];
  const length = route.path?.length ?? 0;
  return `${cls}${String(9999 - length).padStart(4, "0")}${sub}`;
}

/** What two routes must not share across services: the host (or `-`: any) and path. */
export function matchKey(route: Pick<RouteConfig, "host" | "path">): string {
  return routeMatchKey(route);
}

function line(route: RouteConfig, sub: number, server: EdgeServer, value: unknown): RouteLine {
  return {
    sortKey: sortKey(route, sub),
    matchKey: matchKey(route),
    server,
    json: JSON.stringify(value),
  };
}

/**
 * The route lines of a service: HTTP (or a redirect to HTTPS), and HTTPS for TLS routes;
 * with `split` (a service with a `rollout`), through the split handler.
 */
export function routeLines(
  service: string,
  routes: readonly RouteConfig[],
  instances: readonly string[] = [service],
  split?: SplitOptions,
): RouteLine[] {
  const proxy =
    split === undefined
      ? [proxyHandler(service, instances)]
      : splitProxyHandlers(service, instances, split);
  const maintenance = maintenanceHandler(service);
  const lines: RouteLine[] = [];
  for (const route of routes) {
    const match = matcher(route);
    const matchList = Object.keys(match).length === 0 ? {} : { match: [match] };
    const redirect = route.tls && (route.redirect ?? true);
    if (redirect) {
      // Loopback (the deploy's verification inside the edge) still reaches the service.
      lines.push(
        line(route, 0, "http", {
          match: [{ ...match, remote_ip: { ranges: LOOPBACK } }],
          handle: proxy,
          terminal: true,
        }),
      );
      lines.push(
        line(route, 1, "http", {
          ...matchList,
          handle: [
            {
              handler: "static_response",
              status_code: 308,
              headers: {
                Location: [`https://{http.request.host}${HTTPS_SUFFIX_TOKEN}{http.request.uri}`],
              },
            },
          ],
          terminal: true,
        }),
      );
    } else {
      lines.push(
        line(route, 1, "http", { ...matchList, handle: [maintenance, ...proxy], terminal: true }),
      );
    }
    if (route.tls) {
      lines.push(
        line(route, 1, "https", { ...matchList, handle: [maintenance, ...proxy], terminal: true }),
      );
    }
  }
  return lines;
}

/** Where a blue/green service's preview release answers: a host of its own, or a header. */
export type PreviewRoute = NonNullable<RolloutConfig["preview"]>;

/**
 * The route lines of a blue/green service's preview release, beside its own lines: with
 * `preview.host`, that host (HTTP, and HTTPS when a route of the service has TLS); with
 * `preview.header`, each of the service's routes when the request carries the header, sorted
 * before the route's own lines. They dial the preview's upstream files (`instances`, the
 * first being `previewInstance(service)`), read per request: the switch is a rename.
 */
export function previewRouteLines(
  service: string,
  routes: readonly RouteConfig[],
  preview: PreviewRoute,
  instances: readonly string[],
): RouteLine[] {
  // No maintenance check: whoever previews a release reaches it during maintenance too.
  const handle = [proxyHandler(service, instances)];
  if (preview.host !== undefined) {
    const route: RouteConfig = { host: preview.host, tls: routes.some((r) => r.tls) };
    const value = { match: [matcher(route)], handle, terminal: true };
    return [line(route, 1, "http", value), ...(route.tls ? [line(route, 1, "https", value)] : [])];
  }
  if (preview.header === undefined) {
    return [];
  }
  const header = { [preview.header.name]: [preview.header.value] };
  const lines: RouteLine[] = [];
  for (const route of routes) {
    const value = { match: [{ ...matcher(route), header }], handle, terminal: true };
    // Over HTTP only where the route serves HTTP (no redirect to HTTPS).
    if (!(route.tls && (route.redirect ?? true))) {
      lines.push(line(route, 0, "http", value));
    }
    if (route.tls) {
      lines.push(line(route, 0, "https", value));
    }
  }
  return lines;
}

/** The text of `routes/<service>`: one line per RouteLine, in order. */
export function routeFileText(lines: readonly RouteLine[]): string {
  return lines.map((l) => `${l.sortKey} ${l.matchKey} ${l.server} ${l.json}\n`).join("");
}
