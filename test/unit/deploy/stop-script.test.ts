import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { stopScript, type HostService } from "../../../src/deploy";
import { configParts, routeFileText, routeLines } from "../../../src/edge";
import { CADDY, fakeDocker, lines, reloadCall, sh, tempDir, typicalDefinition } from "./fixtures";
import { expectedConfig } from "../edge/render";

describe("deploy/stop-script: the text", () => {
  const script = stopScript(typicalDefinition());

  it("takes the lock, waits for a background stop, takes the routes out of the edge, then removes containers and state", () => {
    const all = lines(script);
    const at = (line: string) => {
      const found = all.flatMap((candidate, index) => (candidate === line ? [index] : []));
      assert.equal(found.length, 1, `expected exactly one line ${JSON.stringify(line)}`);
      return found[0]!;
    };
    const order = [
      at("if ! flock -n 9; then"),
      at("if ! flock -w 660 7; then"),
      at('if [ -n "$owner" ] && [ "$owner" != "$stack" ]; then'),
      at('if [ -f "$edge"/routes/"$service" ] || [ -f "$edge"/upstreams/"$service" ]; then'),
      at("edge_lock"),
      at('rm -f "$edge"/routes/"$service"'),
      at('if [ -f "$edge"/config.head ] && edge_render && ! edge_apply; then'),
      at(
        'rm -f "$edge"/upstreams/"$service" "$edge"/upstreams/"$service".preview "$edge"/split/"$service"',
      ),
      at('containers=$(docker ps --all --quiet --filter label=slipway.service="$service")'),
      at('docker stop "$id" >/dev/null 2>&1 || true'),
      at('docker rm --force "$id" >/dev/null'),
      at('rm -rf "$state"'),
    ];
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
    );
    at(
      'if [ ! -d "$state" ] && [ -z "$(docker ps --all --quiet --filter label=slipway.service="$service")" ]; then',
    );
    // The stack's network, once nothing is attached to it; never the edge's.
    assert.equal(
      all.filter((line) => line.includes("docker network rm")).join("\n"),
      'if [ -n "$network" ] && docker network rm "$network" >/dev/null 2>&1; then',
    );
  });

  it("needs only the service on the host, not a release", () => {
    const service: HostService = {
      host: "web-1",
      stack: "dev",
      service: "web",
      stateRoot: "/var/lib/slipway",
      edge: "slipway-edge",
    };
    assert.equal(stopScript({ ...service, network: "slipway-dev" }), script);
  });
});

describe("deploy/stop-script: run against a fake docker", () => {
  let temp: ReturnType<typeof tempDir>;
  let root: string;
  let edge: string;
  const web = routeLines("web", [{ host: "web.example.com", tls: true }]);
  const api = routeLines("api", [{ path: "/api", tls: false }]);
  const parts = configParts({ tls: "internal" });

  beforeEach(() => {
    temp = tempDir();
    root = path.join(temp.dir, "root");
    edge = path.join(root, "_edge", "slipway-edge");
    fs.mkdirSync(path.join(edge, "routes"), { recursive: true });
    fs.mkdirSync(path.join(edge, "upstreams"));
    fs.writeFileSync(path.join(edge, "config.head"), parts.head);
    fs.writeFileSync(path.join(edge, "config.mid"), parts.mid);
    fs.writeFileSync(path.join(edge, "config.tail"), parts.tail);
    fs.writeFileSync(path.join(edge, "https_suffix"), "");
    fs.writeFileSync(path.join(edge, "caddy"), `${CADDY}\n`);
    fs.writeFileSync(path.join(edge, "routes", "web"), routeFileText(web));
    fs.writeFileSync(path.join(edge, "routes", "api"), routeFileText(api));
    fs.writeFileSync(path.join(edge, "upstreams", "web"), "web-abc-1:8080\n");
    fs.writeFileSync(path.join(edge, "upstreams", "api"), "api-def-2:9000\n");
    fs.writeFileSync(path.join(edge, "caddy.json"), "the config with web's routes");
    fs.mkdirSync(path.join(root, "web"));
    for (const file of ["release.json", "releases", "current", "salt"]) {
      fs.writeFileSync(path.join(root, "web", file), "x\n");
    }
  });
  afterEach(() => temp.remove());

  function run(owner: string, networkRm = "exit 0") {
    fs.writeFileSync(path.join(root, "web", "owner"), `${owner}\n`);
    const docker = fakeDocker(
      path.join(temp.dir, "fake"),
      `case "$1" in ps) printf '%s\\n' c1 c2 ;; network) ${networkRm} ;; esac`,
    );
    const script = stopScript(typicalDefinition({ stateRoot: root }));
    return { docker, result: sh(script, { env: docker.env }) };
  }

  it("drops the service's routes from the edge, reloads it, and removes its releases", async () => {
    const { docker, result } = run("dev");
    const { code, stdout, stderr } = await result;
    assert.equal(code, 0, stderr);
    assert.equal(
      stdout,
      "slipway: host web-1: loaded the new routes into slipway-edge\n" +
        "slipway: host web-1: stopped web: removed its route and 2 release containers; images stay on the host\n" +
        "slipway: host web-1: removed the stack's network slipway-dev (no container is left on it)\n",
    );
    assert.deepEqual(docker.calls(), [
      ["version", "--format", "{{.Server.Version}}"],
      reloadCall(CADDY),
      ["ps", "--all", "--quiet", "--filter", "label=slipway.service=web"],
      ["stop", "c1"],
      ["rm", "--force", "c1"],
      ["stop", "c2"],
      ["rm", "--force", "c2"],
      ["network", "rm", "slipway-dev"],
    ]);
    assert.deepEqual(
      JSON.parse(fs.readFileSync(path.join(edge, "caddy.json"), "utf8")),
      expectedConfig(parts, [api[0]!.json], [], ""),
    );
    assert.deepEqual(fs.readdirSync(path.join(edge, "routes")), ["api"]);
    assert.deepEqual(fs.readdirSync(path.join(edge, "upstreams")), ["api"]);
    assert.ok(!fs.existsSync(path.join(root, "web")), "its state directory is gone");
  });

  it("leaves the stack's network while a container is still attached (docker refuses)", async () => {
    const { docker, result } = run("dev", "exit 1");
    const { code, stdout, stderr } = await result;
    assert.equal(code, 0, stderr);
    assert.equal(
      stdout,
      "slipway: host web-1: loaded the new routes into slipway-edge\n" +
        "slipway: host web-1: stopped web: removed its route and 2 release containers; images stay on the host\n",
    );
    assert.deepEqual(docker.calls().at(-1), ["network", "rm", "slipway-dev"]);
  });

  it("leaves a service another stack owns alone", async () => {
    const { docker, result } = run("prod");
    const { code, stdout, stderr } = await result;
    assert.equal(code, 0, stderr);
    assert.equal(
      stdout,
      "slipway: host web-1: web on this host belongs to stack prod; left as it is\n",
    );
    assert.deepEqual(docker.calls(), [["version", "--format", "{{.Server.Version}}"]]);
    assert.deepEqual(fs.readdirSync(path.join(edge, "routes")).sort(), ["api", "web"]);
    assert.equal(
      fs.readFileSync(path.join(edge, "caddy.json"), "utf8"),
      "the config with web's routes",
    );
  });
});
