import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  caddyName,
  caddyRun,
  command,
  edgeFunctions,
  edgeGet,
  edgeLocalUrl,
  edgePortsLabel,
  edgeReload,
  edgeValidate,
  holderCreate,
  listenerCount,
  ShellExpr,
  v,
  type EdgeSpec,
} from "../../../src/deploy";
import {
  configParts,
  edgeNames,
  httpsSuffix,
  routeFileText,
  routeLines,
  type RouteLine,
} from "../../../src/edge";
import { CADDY, fakeDocker, REF_EDGE, reloadCall, sh, tempDir } from "./fixtures";
import { expectedConfig } from "../edge/render";

const NAMES = edgeNames("slipway-edge", "/var/lib/slipway");
const SPEC: EdgeSpec = { image: REF_EDGE, bind: "127.0.0.1", httpPort: 18080, httpsPort: 18443 };

describe("deploy/edge-commands: docker commands of the edge, as argument lists", () => {
  it("labels the holder with its published ports", () => {
    assert.equal(edgePortsLabel(SPEC), "127.0.0.1:18080 127.0.0.1:18443");
  });

  it("creates the holder: the edge's namespace, network alias and ports, doing nothing else", () => {
    assert.deepEqual(holderCreate(NAMES, SPEC, v("holder")), [
      "docker",
      "create",
      "--name",
      v("holder"),
      "--init",
      "--restart",
      "unless-stopped",
      "--network",
      "slipway-edge",
      "--network-alias",
      "slipway-edge",
      "--publish",
      "127.0.0.1:18080:80",
      "--publish",
      "127.0.0.1:18443:443",
      "--volume",
      "slipway-edge-data:/data:ro",
      "--read-only",
      "--cap-drop",
      "ALL",
      "--label",
      "slipway.role=edge-net",
      "--label",
      "slipway.edge.of=slipway-edge",
      "--label",
      "slipway.edge.ports=127.0.0.1:18080 127.0.0.1:18443",
      "--entrypoint",
      "/bin/busybox",
      REF_EDGE,
      "sleep",
      "2147483647",
    ]);
  });

  it("runs Caddy in the holder's namespace: read-only, NET_BIND_SERVICE only, admin on a tmpfs", () => {
    const args = caddyRun(NAMES, REF_EDGE, v("holder"), v("new_caddy"), "local");
    assert.deepEqual(args, [
      "docker",
      "run",
      "--detach",
      "--name",
      v("new_caddy"),
      "--restart",
      "unless-stopped",
      "--network",
      ShellExpr.join(["container:", v("holder")]),
      "--volume",
      "slipway-edge-data:/data",
      "--volume",
      "/var/lib/slipway/_edge/slipway-edge:/etc/slipway:ro",
      "--tmpfs",
      "/run/caddy",
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
      "slipway.edge.of=slipway-edge",
      "--label",
      `slipway.edge.image=${REF_EDGE}`,
      "--label",
      "slipway.stack=local",
      REF_EDGE,
      "caddy",
      "run",
      "--config",
      "/etc/slipway/caddy.json",
    ]);
    assert.ok(command(args).includes(' --network container:"$holder" '));
    assert.equal(caddyName(NAMES, REF_EDGE), "slipway-edge-caddy-cdcdcdcdcdcd");
    assert.deepEqual(listenerCount(NAMES), [
      "docker",
      "exec",
      "slipway-edge",
      "/bin/busybox",
      "netstat",
      "-ltn",
    ]);
  });

  it("validates a rendered config with the edge image, offline, before anything changes", () => {
    assert.deepEqual(edgeValidate(NAMES, REF_EDGE, "caddy.json.next"), [
      "docker",
      "run",
      "--rm",
      "--network",
      "none",
      "--volume",
      "/var/lib/slipway/_edge/slipway-edge:/etc/slipway:ro",
      REF_EDGE,
      "caddy",
      "validate",
      "--config",
      "/etc/slipway/caddy.json.next",
    ]);
  });

  it("reloads through the admin socket inside the current Caddy", () => {
    assert.deepEqual(edgeReload(v("caddy"), "caddy.json.next"), [
      "docker",
      "exec",
      v("caddy"),
      "caddy",
      "reload",
      "--config",
      "/etc/slipway/caddy.json.next",
      "--address",
      "unix//run/caddy/admin.sock",
    ]);
  });

  it("GETs from inside the edge, bounded by busybox timeout, with a Host header when asked", () => {
    assert.deepEqual(edgeGet(NAMES, edgeLocalUrl("/healthz")), [
      "docker",
      "exec",
      "slipway-edge",
      "/bin/busybox",
      "timeout",
      3,
      "/bin/busybox",
      "wget",
      "-q",
      "-O",
      "-",
      "http://127.0.0.1:80/healthz",
    ]);
    assert.equal(
      command(edgeGet(NAMES, edgeLocalUrl("/a b"), "web.example.com")),
      "docker exec slipway-edge /bin/busybox timeout 3 /bin/busybox wget -q -O - --header 'Host: 'web.example.com 'http://127.0.0.1:80/a b'",
    );
  });
});

/** An edge state directory as the edge script leaves it: the skeleton parts and suffix. */
function edgeDir(root: string, httpsPort: number): string {
  const dir = path.join(root, "_edge", "slipway-edge");
  fs.mkdirSync(path.join(dir, "routes"), { recursive: true });
  fs.mkdirSync(path.join(dir, "upstreams"), { recursive: true });
  const parts = configParts({ tls: "internal" });
  fs.writeFileSync(path.join(dir, "config.head"), parts.head);
  fs.writeFileSync(path.join(dir, "config.mid"), parts.mid);
  fs.writeFileSync(path.join(dir, "config.tail"), parts.tail);
  fs.writeFileSync(path.join(dir, "https_suffix"), httpsSuffix(httpsPort));
  return dir;
}

/** Shell text defining the edge functions over `dir`, then running `body`. */
function withFunctions(dir: string, body: string): string {
  return [
    "set -eu",
    `edge='${dir}'`,
    "stack=local",
    `say() { printf '%s\\n' "$*"; }`,
    `fail() { printf '%s\\n' "$*" >&2; exit 1; }`,
    `last_line() { printf '%s\\n' "$1" | grep -v '^[[:space:]]*$' | tail -n 1; }`,
    ...edgeFunctions(NAMES),
    body,
  ].join("\n");
}

describe("deploy/edge-commands: the edge functions under sh", () => {
  let temp: ReturnType<typeof tempDir>;
  let dir: string;
  beforeEach(() => {
    temp = tempDir();
    dir = edgeDir(temp.dir, 18443);
  });
  afterEach(() => temp.remove());

  // Two services of two stacks on one edge: web (host with TLS and redirect, plus a catch-all)
  // and api (its path under the same host, TLS without redirect, plus the path on any host).
  const web = routeLines("web", [{ host: "web.example.com", tls: true }, { tls: false }]);
  const api = routeLines("api", [
    { host: "web.example.com", path: "/api", tls: true, redirect: false },
    { path: "/api", tls: false },
  ]);
  const [webLoopback, webRedirect, webHttps, webAny] = web as [
    RouteLine,
    RouteLine,
    RouteLine,
    RouteLine,
  ];
  const [apiHostHttp, apiHostHttps, apiPath] = api as [RouteLine, RouteLine, RouteLine];

  /** What edge_routes prints for these lines: each route's JSON and a comma, one a line. */
  const listed = (routes: readonly RouteLine[]) => routes.map((l) => `${l.json},\n`).join("");

  it("lists every service's routes of one server, most specific first", async () => {
    fs.writeFileSync(path.join(dir, "routes", "web"), routeFileText(web));
    fs.writeFileSync(path.join(dir, "routes", "api"), routeFileText(api));
    const http = await sh(withFunctions(dir, "edge_routes http"));
    assert.equal(http.code, 0, http.stderr);
    assert.equal(http.stdout, listed([apiHostHttp, webLoopback, webRedirect, apiPath, webAny]));
    const https = await sh(withFunctions(dir, "edge_routes https"));
    assert.equal(https.stdout, listed([apiHostHttps, webHttps]));
    const none = await sh(withFunctions(path.join(temp.dir, "nowhere"), "edge_routes http"));
    assert.deepEqual(none, { code: 0, stdout: "", stderr: "" });
  });

  it("renders caddy.json.next: valid JSON, every service's routes in place, most specific first", async () => {
    fs.writeFileSync(path.join(dir, "routes", "web"), routeFileText(web));
    fs.writeFileSync(path.join(dir, "routes", "api"), routeFileText(api));
    const result = await sh(withFunctions(dir, "edge_render"));
    assert.equal(result.code, 0, result.stderr);
    const rendered = fs.readFileSync(path.join(dir, "caddy.json.next"), "utf8");
    const expected = expectedConfig(
      configParts({ tls: "internal" }),
      [apiHostHttp, webLoopback, webRedirect, apiPath, webAny].map((l) => l.json),
      [apiHostHttps, webHttps].map((l) => l.json),
      ":18443",
    );
    assert.deepEqual(JSON.parse(rendered), expected);
    assert.ok(
      rendered.includes('"Location":["https://{http.request.host}:18443{http.request.uri}"]'),
    );
    assert.ok(!rendered.includes("__SLIPWAY_"), "every marker and token is replaced");
  });

  it("renders a config without routes when no service routes through the edge", async () => {
    fs.writeFileSync(path.join(dir, "https_suffix"), "");
    const result = await sh(withFunctions(dir, "edge_render"));
    assert.equal(result.code, 0, result.stderr);
    const rendered = fs.readFileSync(path.join(dir, "caddy.json.next"), "utf8");
    assert.deepEqual(
      JSON.parse(rendered),
      expectedConfig(configParts({ tls: "internal" }), [], [], ""),
    );
  });

  it("applies a changed config through the current Caddy's admin socket, keeps it as caddy.json", async () => {
    const docker = fakeDocker(temp.dir);
    fs.writeFileSync(path.join(dir, "caddy"), `${CADDY}\n`);
    fs.writeFileSync(path.join(dir, "routes", "web"), routeFileText(web));
    const result = await sh(
      withFunctions(dir, "edge_render\nedge_apply\nedge_render\nedge_apply"),
      {
        env: docker.env,
      },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "loaded the new routes into slipway-edge\n");
    assert.deepEqual(docker.calls(), [reloadCall(CADDY)]);
    assert.deepEqual(fs.readdirSync(dir).sort(), [
      "caddy",
      "caddy.json",
      "config.head",
      "config.mid",
      "config.tail",
      "https_suffix",
      "routes",
      "upstreams",
    ]);
  });

  it("keeps caddy.json and says why when the edge refuses a config", async () => {
    const bin = path.join(temp.dir, "refusing");
    fs.mkdirSync(bin);
    fs.writeFileSync(
      path.join(bin, "docker"),
      "#!/bin/sh\necho 'Error: loading new config: bad route' >&2\nexit 1\n",
      { mode: 0o755 },
    );
    fs.writeFileSync(path.join(dir, "caddy.json"), "the running config");
    fs.writeFileSync(path.join(dir, "routes", "web"), routeFileText(web));
    const result = await sh(
      withFunctions(dir, 'if edge_render && ! edge_apply; then echo "refused: $edge_error"; fi'),
      { env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}` } },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "refused: Error: loading new config: bad route\n");
    assert.equal(fs.readFileSync(path.join(dir, "caddy.json"), "utf8"), "the running config");
    assert.ok(!fs.existsSync(path.join(dir, "caddy.json.next")));
  });

  it("takes the edge lock and records the stack holding it", async () => {
    const result = await sh(withFunctions(dir, "edge_lock"));
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      fs.readFileSync(path.join(dir, "lock.owner"), "utf8"),
      /^stack local \(pid \d+\) since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/,
    );
  });
});
