/**
 * The edge's config is rendered in one place: `edge_render` of src/deploy/sh/edge.sh, on the
 * host, from the skeleton parts the managing stack writes and every service's route file.
 * `renderOnHost` runs that very function here; `expectedConfig` says what its result must be,
 * built as an object (the skeleton with the routes put in its two lists), not by splicing text.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { shellLines } from "../../../src/deploy/script-files";
import { HTTPS_SUFFIX_TOKEN, type ConfigParts } from "../../../src/edge";

/** `caddy.json.next` as `edge_render` writes it from `parts`, route files and the suffix. */
export function renderOnHost(
  parts: ConfigParts,
  routeFiles: Readonly<Record<string, string>>,
  httpsSuffix: string,
): string {
  const edge = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-render-"));
  try {
    fs.writeFileSync(path.join(edge, "config.head"), parts.head);
    fs.writeFileSync(path.join(edge, "config.mid"), parts.mid);
    fs.writeFileSync(path.join(edge, "config.tail"), parts.tail);
    fs.writeFileSync(path.join(edge, "https_suffix"), httpsSuffix);
    fs.mkdirSync(path.join(edge, "routes"));
    for (const [service, text] of Object.entries(routeFiles)) {
      fs.writeFileSync(path.join(edge, "routes", service), text);
    }
    execFileSync("sh", ["-euc", [...shellLines("edge"), "edge_render"].join("\n")], {
      env: { ...process.env, edge },
    });
    return fs.readFileSync(path.join(edge, "caddy.json.next"), "utf8");
  } finally {
    fs.rmSync(edge, { recursive: true, force: true });
  }
}

interface Servers {
  apps: { http: { servers: Record<"http" | "https", { routes: unknown[] }> } };
}

/** The config with `http` and `https` route JSON (in order) before each server's last route. */
export function expectedConfig(
  parts: ConfigParts,
  http: readonly string[],
  https: readonly string[],
  httpsSuffix: string,
): unknown {
  const config = JSON.parse(`${parts.head}${parts.mid}${parts.tail}`) as Servers;
  const routes = (list: readonly string[]) =>
    list.map((route) => JSON.parse(route.replaceAll(HTTPS_SUFFIX_TOKEN, httpsSuffix)) as unknown);
  config.apps.http.servers.http.routes.unshift(...routes(http));
  config.apps.http.servers.https.routes.unshift(...routes(https));
  return config;
}
