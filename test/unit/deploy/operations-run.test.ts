/**
 * The day-two scripts (src/deploy/operations) run by /bin/sh against a fake docker: what they
 * ask Docker, the marker lines they write for the CLI, the exit status they end with.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  accessoryExecScript,
  accessoryRestartScript,
  inRunningScript,
  serviceLogsScript,
} from "../../../src/deploy";
import { fakeDocker, sh, tempDir } from "./fixtures";

/** A docker that knows `web-2` (running, of stack prod) and answers `ps` with two releases. */
const ANSWERS = [
  'case "$1 $2" in',
  '  "container inspect") for a in "$@"; do last=$a; done',
  "    case $last in web-2|web-1|slipway-prod-postgres) ;; *) exit 1 ;; esac",
  '    case "$4" in *slipway.stack*) echo prod ;; *ExitCode*) echo "running 0 0" ;; *) echo running ;; esac ;;',
  '  "ps --all") printf "web-2\\nweb-1\\n" ;;',
  '  "exec web-2") exit 7 ;;',
  "esac",
].join("\n");

describe("day-two scripts run (src/deploy/operations)", () => {
  let temp: ReturnType<typeof tempDir>;
  let docker: ReturnType<typeof fakeDocker>;
  let def: { host: string; stack: string; service: string; stateRoot: string; edge: string };
  beforeEach(() => {
    temp = tempDir();
    docker = fakeDocker(temp.dir, ANSWERS);
    def = { host: "h", stack: "prod", service: "web", stateRoot: temp.dir, edge: "slipway-edge" };
    fs.mkdirSync(path.join(temp.dir, "web"));
    fs.writeFileSync(path.join(temp.dir, "web", "current"), "web-2\n");
  });
  afterEach(() => temp.remove());

  it("logs: the current release, or with --previous the newest other one", async () => {
    let result = await sh(serviceLogsScript(def, { tail: 5 }), { env: docker.env });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(docker.calls().at(-1), ["logs", "--tail", "5", "web-2"]);
    result = await sh(serviceLogsScript(def, { previous: true }), { env: docker.env });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(docker.calls().at(-1), ["logs", "web-1"]);
  });

  it("refuses with the marker line: no release recorded, a container that is gone", async () => {
    fs.rmSync(path.join(temp.dir, "web", "current"));
    let result = await sh(serviceLogsScript(def, {}), { env: docker.env });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      `slipway-fail no release of web on this host (${temp.dir}/web/current is missing)\n`,
    );
    result = await sh(accessoryExecScript("h", "prod", "slipway-prod-redis", ["ls"], false), {
      env: docker.env,
    });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      "slipway-fail accessory container slipway-prod-redis is not on this host\n",
    );
  });

  it("exec: the command's exit status as the marker line and as the script's own", async () => {
    const result = await sh(inRunningScript(def, ["env"], false), { env: docker.env });
    assert.equal(result.code, 7);
    assert.equal(result.stderr, "slipway-exit 7\n");
    assert.deepEqual(docker.calls().at(-1), ["exec", "web-2", "env"]);
  });

  it("accessory restart: stop and start under its lock, then healthy", async () => {
    const state = path.join(temp.dir, "_accessories", "slipway-prod-postgres");
    fs.mkdirSync(state, { recursive: true });
    const result = await sh(
      accessoryRestartScript({
        host: "h",
        stack: "prod",
        name: "postgres",
        container: "slipway-prod-postgres",
        stateDir: state,
        healthTimeoutSeconds: 5,
        stopSeconds: 9,
      }),
      { env: docker.env },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^restarted \d+\n$/);
    const calls = docker.calls().map((call) => call.slice(0, 2).join(" "));
    assert.ok(calls.includes("stop --time"));
    assert.deepEqual(
      docker.calls().find((call) => call[0] === "stop"),
      ["stop", "--time", "9", "slipway-prod-postgres"],
    );
    assert.ok(calls.indexOf("start slipway-prod-postgres") > calls.indexOf("stop --time"));
    assert.match(
      fs.readFileSync(path.join(state, "lock.owner"), "utf8"),
      /^stack prod, .* \(restart, pid \d+\) since /,
    );
  });
});
