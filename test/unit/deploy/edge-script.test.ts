import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  edgeRemoveScript,
  edgeScript,
  holderCreate,
  type EdgeDefinition,
} from "../../../src/deploy";
import { configParts, edgeNames, routeFileText, routeLines } from "../../../src/edge";
import { DIGEST_EDGE, fakeDocker, REF_EDGE, reloadCall, sh, tempDir } from "./fixtures";
import { expectedConfig } from "../edge/render";

const PORTS = "127.0.0.1:18080 127.0.0.1:18443";
const HOLDER_FORMAT = '{{.State.Running}} {{index .Config.Labels "slipway.edge.ports"}}';
const CADDY_FORMAT = '{{.State.Running}} {{index .Config.Labels "slipway.edge.image"}}';
const OLD_REF = `docker.io/library/caddy@sha256:${"aa".repeat(32)}`;
const OLD_CADDY = "slipway-edge-caddy-aaaaaaaaaaaa-0001";
const LISTENER = "tcp        0      0 :::80                   :::*                    LISTEN";

/**
 * docker as the edge script meets it: the holder runs with `$FAKE_HOLDER` (absent: none), the
 * current Caddy with `$FAKE_CADDY` (and listens), the network exists with `$FAKE_NETWORK`,
 * `docker ps --all` lists `$FAKE_PS`; a Caddy started by `docker run --detach` listens too.
 */
const ANSWERS = [
  'case "$1 $2" in',
  '  "container inspect")',
  '    case "$4" in',
  `      '${HOLDER_FORMAT}') if [ -n "\${FAKE_HOLDER:-}" ]; then printf '%s\\n' "$FAKE_HOLDER"; else exit 1; fi ;;`,
  `      '${CADDY_FORMAT}') if [ -n "\${FAKE_CADDY:-}" ]; then printf '%s\\n' "$FAKE_CADDY"; else exit 1; fi ;;`,
  "      *) exit 1 ;;",
  "    esac ;;",
  '  "network inspect") if [ -z "${FAKE_NETWORK:-}" ]; then exit 1; fi ;;',
  '  "run --detach") touch "$FAKE_DOCKER_LOG.listening" ;;',
  '  "ps --all") for id in ${FAKE_PS:-}; do echo "$id"; done ;;',
  '  "ps --quiet") case "$*" in *publish=18080*) if [ -n "${FAKE_V01_PROXY:-}" ]; then echo "$FAKE_V01_PROXY"; fi ;; esac ;;',
  '  "exec slipway-edge")',
  '    case "$*" in',
  "      *netstat*)",
  `        if [ -n "\${FAKE_CADDY:-}" ]; then echo '${LISTENER}'; fi`,
  `        if [ -f "$FAKE_DOCKER_LOG.listening" ]; then echo '${LISTENER}'; fi ;;`,
  "    esac ;;",
  "esac",
].join("\n");

describe("deploy/edge-script: run against a fake docker", () => {
  let temp: ReturnType<typeof tempDir>;
  let def: EdgeDefinition;
  let dir: string;
  beforeEach(() => {
    temp = tempDir();
    const stateRoot = path.join(temp.dir, "root");
    fs.mkdirSync(stateRoot);
    def = {
      host: "local",
      stack: "local",
      name: "slipway-edge",
      image: REF_EDGE,
      bind: "127.0.0.1",
      httpPort: 18080,
      httpsPort: 18443,
      tls: "internal",
      stateRoot,
    };
    dir = edgeNames("slipway-edge", stateRoot).stateDir;
  });
  afterEach(() => temp.remove());

  function run(script: string, env: Record<string, string> = {}) {
    const docker = fakeDocker(path.join(temp.dir, "fake"), ANSWERS);
    return { docker, result: sh(script, { env: { ...docker.env, ...env } }) };
  }

  const read = (file: string) => fs.readFileSync(path.join(dir, file), "utf8");

  /** An edge as an earlier run left it: the holder on PORTS, Caddy OLD_CADDY of `image`. */
  function running(image: string, owner = "local"): Record<string, string> {
    fs.mkdirSync(path.join(dir, "routes"), { recursive: true });
    fs.writeFileSync(path.join(dir, "owner"), `${owner}\n`);
    fs.writeFileSync(path.join(dir, "caddy"), `${OLD_CADDY}\n`);
    fs.writeFileSync(path.join(dir, "caddy.json"), "the config of the earlier run");
    return {
      FAKE_HOLDER: `true ${PORTS}`,
      FAKE_CADDY: `true ${image}`,
      FAKE_NETWORK: "1",
      FAKE_PS: OLD_CADDY,
    };
  }

  it("first start: skeleton, network, validation, the holder, then Caddy in its namespace", async () => {
    const { docker, result } = run(edgeScript(def));
    const { code, stdout, stderr } = await result;
    assert.equal(code, 0, stderr);
    assert.equal(
      stdout,
      `slipway: host local: started the edge slipway-edge: ${REF_EDGE} on ${PORTS}\n`,
    );
    const caddy = read("caddy").trim();
    assert.match(caddy, /^slipway-edge-caddy-cdcdcdcdcdcd-[0-9a-f]{4}$/);
    const names = edgeNames("slipway-edge", def.stateRoot);
    const netstat = ["exec", "slipway-edge", "/bin/busybox", "netstat", "-ltn"];
    assert.deepEqual(docker.calls(), [
      ["version", "--format", "{{.Server.Version}}"],
      ["container", "inspect", "--format", HOLDER_FORMAT, "slipway-edge"],
      ["network", "inspect", "slipway-edge"],
      ["network", "create", "--label", "slipway.role=edge", "slipway-edge"],
      ["image", "inspect", REF_EDGE],
      [
        "run",
        "--rm",
        "--network",
        "none",
        "--volume",
        `${dir}:/etc/slipway:ro`,
        REF_EDGE,
        "caddy",
        "validate",
        "--config",
        "/etc/slipway/caddy.json.next",
      ],
      ["ps", "--quiet", "--filter", "label=slipway.role=proxy", "--filter", "publish=18080"],
      ["ps", "--quiet", "--filter", "label=slipway.role=proxy", "--filter", "publish=18443"],
      holderCreate(names, def, "slipway-edge").slice(1),
      ["start", "slipway-edge"],
      netstat,
      [
        "run",
        "--detach",
        "--name",
        caddy,
        "--restart",
        "unless-stopped",
        "--network",
        "container:slipway-edge",
        "--volume",
        "slipway-edge-data:/data",
        "--volume",
        `${dir}:/etc/slipway:ro`,
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
      ],
      netstat,
      [
        "exec",
        "slipway-edge",
        "/bin/busybox",
        "timeout",
        "3",
        "/bin/busybox",
        "wget",
        "-q",
        "-O",
        "-",
        "http://127.0.0.1:80/",
      ],
      [
        "ps",
        "--all",
        "--format",
        "{{.Names}}",
        "--filter",
        "label=slipway.role=edge",
        "--filter",
        "label=slipway.edge.of=slipway-edge",
      ],
    ]);
    const parts = configParts({ tls: "internal" });
    assert.deepEqual(
      { head: read("config.head"), mid: read("config.mid"), tail: read("config.tail") },
      parts,
    );
    assert.equal(read("https_suffix"), ":18443");
    assert.deepEqual(JSON.parse(read("caddy.json")), expectedConfig(parts, [], [], ""));
    assert.equal(read("owner"), "local\n");
    assert.deepEqual(fs.readdirSync(dir).sort(), [
      "caddy",
      "caddy.json",
      "config.head",
      "config.mid",
      "config.tail",
      "https_suffix",
      "lock",
      "lock.owner",
      "owner",
      "routes",
      "upstreams",
    ]);
    assert.equal(fs.statSync(path.join(dir, "config.head")).mode & 0o777, 0o644);
  });

  it("a new image: the new Caddy listens beside the old one before the old one stops", async () => {
    const { docker, result } = run(edgeScript(def), running(OLD_REF));
    const { code, stdout, stderr } = await result;
    assert.equal(code, 0, stderr);
    assert.equal(
      stdout,
      `slipway: host local: started the edge slipway-edge: ${REF_EDGE} on ${PORTS}\n`,
    );
    const calls = docker.calls().map((call) => call.slice(0, 2).join(" "));
    assert.ok(!calls.includes("create --name"), "the holder and its ports stay");
    const at = (call: string) => {
      const index = calls.indexOf(call);
      assert.ok(index >= 0, `no call ${call}`);
      return index;
    };
    assert.ok(at("run --detach") < at("stop --time"), "no moment without a listener");
    assert.deepEqual(
      docker.calls().filter((call) => call[0] === "stop" || call[0] === "rm"),
      [
        ["stop", "--time", "30", OLD_CADDY],
        ["rm", "--force", OLD_CADDY],
      ],
    );
    assert.match(read("caddy"), /^slipway-edge-caddy-cdcdcdcdcdcd-[0-9a-f]{4}\n$/);
  });

  it("a config-only change is loaded into the current Caddy through its admin API", async () => {
    const env = running(REF_EDGE);
    const web = routeLines("web", [{ host: "web.localhost", tls: true, redirect: false }]);
    fs.writeFileSync(path.join(dir, "routes", "web"), routeFileText(web));
    const { docker, result } = run(edgeScript(def), env);
    const { code, stdout, stderr } = await result;
    assert.equal(code, 0, stderr);
    assert.equal(
      stdout,
      "slipway: host local: loaded the new routes into slipway-edge\n" +
        `slipway: host local: the edge slipway-edge runs ${REF_EDGE} on ${PORTS}\n`,
    );
    assert.deepEqual(docker.calls().slice(1, 3), [
      ["container", "inspect", "--format", HOLDER_FORMAT, "slipway-edge"],
      ["container", "inspect", "--format", CADDY_FORMAT, OLD_CADDY],
    ]);
    assert.deepEqual(docker.calls().slice(-1), [reloadCall(OLD_CADDY)]);
    assert.deepEqual(
      JSON.parse(read("caddy.json")),
      expectedConfig(configParts(def), [web[0]!.json], [web[1]!.json], ":18443"),
    );
    assert.equal(read("caddy"), `${OLD_CADDY}\n`);
  });

  it("takes the port over from a Slipway 0.1 service proxy before the holder publishes it", async () => {
    const { docker, result } = run(edgeScript({ ...def, httpPort: 18080 }), {
      FAKE_V01_PROXY: "0123456789ab",
    });
    const { code, stdout, stderr } = await result;
    assert.equal(code, 0, stderr);
    assert.ok(
      stdout.startsWith(
        "slipway: host local: removing the Slipway 0.1 service proxy 0123456789ab that held the port\n",
      ),
    );
    const calls = docker.calls().map((call) => call.join(" "));
    const removed = calls.indexOf("rm --force 0123456789ab");
    assert.ok(removed >= 0, "the old proxy is removed");
    assert.ok(removed < calls.findIndex((call) => call.startsWith("create --name slipway-edge ")));
  });

  it("refuses an edge another stack manages with another image or ports, changing nothing", async () => {
    const env = running(OLD_REF, "prod");
    const { docker, result } = run(edgeScript(def), {
      ...env,
      FAKE_HOLDER: "true 0.0.0.0:80 0.0.0.0:443",
    });
    const { code, stdout, stderr } = await result;
    assert.deepEqual(
      { code, stdout, stderr },
      {
        code: 1,
        stdout: "",
        stderr:
          `slipway: host local: the edge slipway-edge on this host is managed by stack prod (${OLD_REF} on 0.0.0.0:80 0.0.0.0:443); ` +
          `this stack wants ${REF_EDGE} on ${PORTS}: manage a host's edge from one stack (drop slipway:edge.image from the other) or make both declare the same\n`,
      },
    );
    assert.equal(docker.calls().length, 3);
    assert.ok(!fs.existsSync(path.join(dir, "config.head")));
    assert.equal(read("owner"), "prod\n");
    assert.equal(read("caddy.json"), "the config of the earlier run");
  });

  it("refuses an image that is not pinned by digest, before any script exists", () => {
    assert.throws(
      () => edgeScript({ ...def, image: "docker.io/library/caddy:2.11" }),
      /it has no @sha256:<digest>; pin images by digest, a tag can move/,
    );
    assert.ok(edgeScript({ ...def, image: `docker.io/library/caddy:2.11@${DIGEST_EDGE}` }));
  });

  it("removal keeps an edge other services still route through", async () => {
    fs.mkdirSync(path.join(dir, "routes"), { recursive: true });
    fs.writeFileSync(path.join(dir, "routes", "web-prod"), "x\n");
    fs.writeFileSync(path.join(dir, "routes", "api"), "x\n");
    const { docker, result } = run(edgeRemoveScript(def));
    const { code, stdout, stderr } = await result;
    assert.equal(code, 0, stderr);
    assert.equal(
      stdout,
      "slipway: host local: the edge slipway-edge stays: services api web-prod still route through it\n",
    );
    assert.deepEqual(docker.calls(), [["version", "--format", "{{.Server.Version}}"]]);
    assert.ok(fs.existsSync(path.join(dir, "routes", "api")));
  });

  it("removal stops and removes an unused edge's containers, keeping its certificates' volume", async () => {
    fs.mkdirSync(path.join(dir, "routes"), { recursive: true });
    const { docker, result } = run(edgeRemoveScript(def), { FAKE_PS: `slipway-edge ${OLD_CADDY}` });
    const { code, stdout, stderr } = await result;
    assert.equal(code, 0, stderr);
    assert.equal(
      stdout,
      "slipway: host local: removed the edge slipway-edge; its certificates stay in volume slipway-edge-data\n",
    );
    assert.deepEqual(docker.calls(), [
      ["version", "--format", "{{.Server.Version}}"],
      ["ps", "--all", "--quiet", "--filter", "label=slipway.edge.of=slipway-edge"],
      ["stop", "--time", "30", "slipway-edge"],
      ["rm", "--force", "slipway-edge"],
      ["stop", "--time", "30", OLD_CADDY],
      ["rm", "--force", OLD_CADDY],
      ["network", "rm", "slipway-edge"],
    ]);
    assert.ok(!fs.existsSync(dir));
    assert.ok(!fs.existsSync(path.dirname(dir)), "the edges' directory goes with the last edge");
  });
});
