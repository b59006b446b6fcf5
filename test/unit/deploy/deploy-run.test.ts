/**
 * The whole deploy script, run under sh against a fake docker on a state root in a temp dir:
 * what it really writes (routes, upstream, record, caddy.json) and which docker commands it
 * really runs, for a first release, an upgrade, and a release the edge cannot reach.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  deployScript,
  parseWarmSwitch,
  warmSwitchScript,
  parseProbe,
  parseReleaseRecord,
  probeScript,
  type ServiceDefinition,
} from "../../../src/deploy";
import { configParts, routeFileText, routeLines } from "../../../src/edge";
import {
  CADDY,
  DEPLOY_ANSWERS as ANSWERS,
  DIGEST_WEB,
  DIGEST_2,
  fakeDocker,
  PAYLOAD,
  reloadCall,
  sh,
  tempDir,
  typicalDefinition,
} from "./fixtures";
import { expectedConfig } from "../edge/render";

describe("deploy/deploy-script: run against a fake docker", function () {
  this.timeout(20_000);
  let temp: ReturnType<typeof tempDir>;
  let root: string;
  let edge: string;
  let state: string;
  const parts = configParts({ tls: "internal" });

  beforeEach(() => {
    temp = tempDir();
    root = path.join(temp.dir, "root");
    edge = path.join(root, "_edge", "slipway-edge");
    state = path.join(root, "web");
    // What the edge script leaves on the host.
    fs.mkdirSync(path.join(edge, "routes"), { recursive: true });
    fs.mkdirSync(path.join(edge, "upstreams"));
    fs.writeFileSync(path.join(edge, "config.head"), parts.head);
    fs.writeFileSync(path.join(edge, "config.mid"), parts.mid);
    fs.writeFileSync(path.join(edge, "config.tail"), parts.tail);
    fs.writeFileSync(path.join(edge, "https_suffix"), ":18443");
    fs.writeFileSync(path.join(edge, "caddy"), `${CADDY}\n`);
  });
  afterEach(() => temp.remove());

  function definition(overrides: Partial<ServiceDefinition> = {}): ServiceDefinition {
    return typicalDefinition({ stateRoot: root, ...overrides });
  }

  async function deploy(
    def: ServiceDefinition,
    env: Record<string, string> = {},
    { awaitRetire = true } = {},
  ) {
    const docker = fakeDocker(path.join(temp.dir, "fake"), ANSWERS);
    const before = docker.calls().length;
    const result = await sh(deployScript(def), {
      stdin: PAYLOAD,
      env: { ...docker.env, ...env },
    });
    const calls = docker.calls().slice(before);
    // The previous release stops in the background; wait for it as the next deploy would.
    const retireLock = path.join(state, "retire.lock");
    if (awaitRetire && fs.existsSync(retireLock)) await sh(`flock ${retireLock} true`);
    return { ...result, calls, retired: docker.calls().slice(before + calls.length) };
  }

  const read = (file: string) => fs.readFileSync(file, "utf8");

  it("first release: runs it on the edge network, installs its routes, switches, records", async () => {
    const def = definition();
    const { code, stdout, stderr, calls } = await deploy(def);
    assert.equal(code, 0, stderr);
    const name = read(path.join(state, "current")).trim();
    assert.match(name, /^web-abababababab-[0-9a-f]{8}$/);

    const run = calls.find((call) => call[0] === "run")!;
    assert.deepEqual(run.slice(0, 9), [
      "run",
      "--detach",
      "--name",
      name,
      "--init",
      "--restart",
      "unless-stopped",
      "--network",
      "slipway-edge",
    ]);
    assert.ok(!run.includes("--publish"));
    assert.ok(
      calls.some((call) => call.join(" ").endsWith(`wget -q -O - http://${name}:8080/healthz`)),
      "health by name from inside the edge",
    );
    assert.deepEqual(
      calls.filter((call) => call.includes("reload")),
      [reloadCall(CADDY)],
    );
    assert.ok(
      calls.some((call) => call.join(" ").includes("--header Host: web.example.com")),
      "verified through the edge with the route's host",
    );

    const lines = routeLines("web", def.routes);
    assert.equal(read(path.join(edge, "routes", "web")), routeFileText(lines));
    assert.equal(read(path.join(edge, "upstreams", "web")), `${name}:8080\n`);
    assert.deepEqual(
      JSON.parse(read(path.join(edge, "caddy.json"))),
      expectedConfig(parts, [lines[0]!.json, lines[1]!.json], [lines[2]!.json], ":18443"),
    );
    const record = parseReleaseRecord(read(path.join(state, "release.json")));
    assert.equal(record.stack, "dev");
    assert.equal(record.current.digest, `sha256:${"ab".repeat(32)}`);
    assert.deepEqual(record.previous, []);
    assert.equal(read(path.join(state, "owner")), "dev\n");
    assert.ok(stdout.includes(`slipway: host web-1: switched slipway-edge to ${name} for web\n`));
    assert.ok(
      stdout.endsWith(
        `slipway: host web-1: release sha256:${"ab".repeat(32)} is serving as ${name}\n`,
      ),
    );
    assert.ok(!stdout.includes("api-key") && !stderr.includes("api-key"));
  });

  it("is what the status probe then sees: the record, the running release, the edge's route", async () => {
    const def = definition();
    assert.equal((await deploy(def)).code, 0);
    const name = read(path.join(state, "current")).trim();
    // The edge's holder runs too, and the Caddy in it.
    fs.writeFileSync(path.join(temp.dir, "fake", "docker.log.ran.slipway-edge"), "");
    fs.writeFileSync(path.join(temp.dir, "fake", `docker.log.ran.${CADDY}`), "");
    const docker = fakeDocker(path.join(temp.dir, "fake"), ANSWERS);
    const result = await sh(probeScript(def), {
      env: { ...docker.env, FAKE_DIGEST: `sha256:${"ab".repeat(32)}` },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(parseProbe(result.stdout), {
      record: parseReleaseRecord(read(path.join(state, "release.json"))),
      owner: "dev",
      current: name,
      container: {
        kind: "found",
        status: "running",
        digest: `sha256:${"ab".repeat(32)}`,
        stack: "dev",
        health: "none",
      },
      others: [],
      upstream: `${name}:8080`,
      edge: "running",
      health: { kind: "ok", answer: "ok" },
      // The fake docker's deploys start no supervisor (SLIPWAY_SUPERVISOR=off).
      supervisor: "stopped",
    });
  });

  it("names the edge's Caddy when the holder runs and Caddy does not", async () => {
    const def = definition();
    assert.equal((await deploy(def)).code, 0);
    fs.writeFileSync(path.join(temp.dir, "fake", "docker.log.ran.slipway-edge"), "");
    const docker = fakeDocker(path.join(temp.dir, "fake"), ANSWERS);
    const gone = await sh(probeScript(def), { env: docker.env });
    assert.equal(parseProbe(gone.stdout).edge, `missing (its Caddy container ${CADDY})`);
    fs.writeFileSync(path.join(temp.dir, "fake", `docker.log.ran.${CADDY}`), "");
    const back = await sh(probeScript(def), { env: docker.env });
    assert.equal(parseProbe(back.stdout).edge, "running");
  });

  it("shows the probe a previous release still draining, and nothing once it stopped", async () => {
    assert.equal((await deploy(definition())).code, 0);
    const first = read(path.join(state, "current")).trim();
    const def = definition({ ref: `ghcr.io/acme/web@${DIGEST_2}`, drainSeconds: 2 });
    assert.equal((await deploy(def, {}, { awaitRetire: false })).code, 0);
    const docker = fakeDocker(path.join(temp.dir, "fake"), ANSWERS);
    const draining = await sh(probeScript(def), { env: docker.env });
    assert.deepEqual(parseProbe(draining.stdout).others, [first]);
    await sh(`flock ${path.join(state, "retire.lock")} true`);
    const stopped = await sh(probeScript(def), { env: docker.env });
    assert.deepEqual(parseProbe(stopped.stdout).others, []);
  });

  it("the same release again: checked, nothing switched, nothing added to the record", async () => {
    const def = definition();
    assert.equal((await deploy(def)).code, 0);
    const record = read(path.join(state, "release.json"));
    const releases = read(path.join(state, "releases"));
    const again = await deploy(def);
    assert.equal(again.code, 0, again.stderr);
    const name = read(path.join(state, "current")).trim();
    assert.ok(
      again.stdout.includes(
        `slipway: host web-1: release sha256:${"ab".repeat(32)} is already serving as ${name}; checking it\n`,
      ),
    );
    assert.ok(
      again.stdout.endsWith(`release sha256:${"ab".repeat(32)} is serving; nothing to change\n`),
    );
    assert.equal(read(path.join(state, "release.json")), record);
    assert.equal(read(path.join(state, "releases")), releases);
    assert.ok(!again.calls.some((call) => call[0] === "run" || call[0] === "stop"));
  });

  it("upgrade: the routes stay, one rename switches, the previous release is stopped and kept", async () => {
    assert.equal((await deploy(definition())).code, 0);
    const first = read(path.join(state, "current")).trim();
    const caddy = read(path.join(edge, "caddy.json"));

    const second = await deploy(
      definition({ ref: `ghcr.io/acme/web@${DIGEST_2}`, revision: "rev-2" }),
    );
    assert.equal(second.code, 0, second.stderr);
    const name = read(path.join(state, "current")).trim();
    assert.match(name, /^web-121212121212-[0-9a-f]{8}$/);
    assert.equal(read(path.join(edge, "upstreams", "web")), `${name}:8080\n`);
    assert.equal(read(path.join(edge, "caddy.json")), caddy, "the edge config is untouched");
    assert.deepEqual(
      second.calls.filter((call) => call.includes("reload")),
      [],
      "no reload: the routes did not change",
    );
    // Stopped after the script returned, by its background retire (after the drain).
    assert.deepEqual(
      second.calls.filter((call) => call[0] === "stop"),
      [],
    );
    assert.deepEqual(second.retired, [["stop", first]]);
    assert.ok(
      second.stdout.includes(
        `slipway: host web-1: the previous release ${first} stops after a 1 s drain, in the background (kept for rollback)\n`,
      ),
      second.stdout,
    );
    assert.match(read(path.join(state, "retire.log")), new RegExp(`^\\S+Z stopped ${first}\\n$`));
    const record = parseReleaseRecord(read(path.join(state, "release.json")));
    assert.deepEqual(
      [record.current.digest, record.current.revision, record.previous.map((e) => e.digest)],
      [DIGEST_2, "rev-2", [`sha256:${"ab".repeat(32)}`]],
    );
  });

  it("the next deploy waits for the previous release's background stop before it touches containers", async () => {
    assert.equal((await deploy(definition())).code, 0);
    const first = read(path.join(state, "current")).trim();
    const started = Date.now();
    const second = await deploy(
      definition({ ref: `ghcr.io/acme/web@${DIGEST_2}`, drainSeconds: 2 }),
      {},
      { awaitRetire: false },
    );
    assert.equal(second.code, 0, second.stderr);
    assert.ok(Date.now() - started < 1900, "the deploy returned before the drain ended");
    assert.match(
      read(path.join(state, "retire.owner")),
      new RegExp(`^stopping ${first} after a 2 s drain and a 0 s rollback window, since `),
    );
    const third = await deploy(definition({ ref: `ghcr.io/acme/web@${DIGEST_2}` }));
    assert.equal(third.code, 0, third.stderr);
    assert.ok(Date.now() - started >= 2000, "the third deploy waited for the drain");
    // The retire's stop came before anything but the tools check of the third deploy.
    assert.deepEqual(third.calls.filter((call) => call[0] !== "version")[0], ["stop", first]);
  });

  it("refuses a CPU limit above the host's CPUs before touching any container, with the figure", async () => {
    const cpus = os.availableParallelism();
    const failed = await deploy(
      definition({ cpus: cpus + 62, configPath: "slipway:services.web" }),
    );
    assert.equal(failed.code, 1);
    assert.equal(
      failed.stderr,
      `slipway: host web-1: slipway:services.web.cpus is ${cpus + 62}, but this host has ${cpus} CPUs (nproc) and Docker allows at most that; set slipway:services.web.cpus to ${cpus} or less; nothing was changed\n`,
    );
    assert.deepEqual(
      failed.calls.filter((call) => ["run", "rm", "stop", "start"].includes(call[0]!)),
      [],
    );
    assert.equal((await deploy(definition({ cpus }))).code, 0);
  });

  it("says so when a failed request through the edge answered nothing (never an empty reason)", async () => {
    assert.equal((await deploy(definition())).code, 0);
    const failed = await deploy(definition({ ref: `ghcr.io/acme/web@${DIGEST_2}` }), {
      FAKE_VERIFY_FAILS: "silent",
    });
    assert.equal(failed.code, 1);
    assert.equal(
      failed.stderr,
      `slipway: host web-1: release ${DIGEST_2} is healthy but requests through slipway-edge fail; switched back; last response: no answer (empty response)\n`,
    );
  });

  it("a release the edge cannot reach is switched back; the record keeps naming what serves", async () => {
    assert.equal((await deploy(definition())).code, 0);
    const first = read(path.join(state, "current")).trim();
    const record = read(path.join(state, "release.json"));

    const failed = await deploy(definition({ ref: `ghcr.io/acme/web@${DIGEST_2}` }), {
      FAKE_VERIFY_FAILS: "1",
    });
    assert.equal(failed.code, 1);
    assert.equal(
      failed.stderr,
      `slipway: host web-1: release ${DIGEST_2} is healthy but requests through slipway-edge fail; switched back; last response: wget: server returned error: HTTP/1.1 502 Bad Gateway\n`,
    );
    assert.equal(read(path.join(edge, "upstreams", "web")), `${first}:8080\n`);
    assert.equal(read(path.join(state, "release.json")), record);
    assert.equal(read(path.join(state, "current")), `${first}\n`);
    const removed = failed.calls.filter((call) => call[0] === "rm").map((call) => call[2]);
    assert.ok(
      removed.some((name) => name!.startsWith("web-121212121212-")),
      "the new release is removed",
    );
    assert.ok(!failed.calls.some((call) => call[0] === "stop"), "the previous one keeps running");
  });

  // Routes go in before the switch; switching back must take them back too, or the previous
  // release serves under the failed release's routes while the record says nothing changed.
  it("a release that fails verification leaves the edge's routes as they were", async () => {
    assert.equal((await deploy(definition())).code, 0);
    const routes = read(path.join(edge, "routes", "web"));
    const failed = await deploy(
      definition({
        ref: `ghcr.io/acme/web@${DIGEST_2}`,
        routes: [
          { host: "web.example.com", tls: true },
          { host: "new.example.com", tls: false },
        ],
      }),
      { FAKE_VERIFY_FAILS: "1" },
    );
    assert.equal(failed.code, 1);
    assert.equal(read(path.join(edge, "routes", "web")), routes);
  });

  it("refuses a route another stack's service serves on this host, before starting anything", async () => {
    fs.writeFileSync(
      path.join(edge, "routes", "shop"),
      routeFileText(routeLines("shop", [{ host: "web.example.com", tls: false }])),
    );
    fs.mkdirSync(path.join(root, "shop"));
    fs.writeFileSync(path.join(root, "shop", "owner"), "shop-prod\n");
    const { code, stderr, calls } = await deploy(definition());
    assert.equal(code, 1);
    assert.equal(
      stderr,
      "slipway: host web-1: the route for host web.example.com, any path is already served by service shop of stack shop-prod on this host; give this service another host or path in slipway:service.routes\n",
    );
    assert.ok(!calls.some((call) => call[0] === "run"), "no release was started");
  });

  describe("the rollback window: the previous release stays warm, and an instant rollback switches to it", () => {
    const warmDef = (ref: string) =>
      definition({ ref, drainSeconds: 0, rollbackWindowSeconds: 600 });
    const second = `ghcr.io/acme/web@${DIGEST_2}`;
    // The window's sleep (600 s) lasts until the test ends; every other sleep is real.
    beforeEach(() => {
      fs.mkdirSync(path.join(temp.dir, "fake", "bin"), { recursive: true });
      fs.writeFileSync(
        path.join(temp.dir, "fake", "bin", "sleep"),
        [
          "#!/bin/sh",
          'if [ "$1" = 600 ]; then',
          // Until the test ends, or its folder is gone (removed right after): never beyond.
          '  while [ ! -f "$FAKE_DOCKER_LOG.window-ends" ] && [ -d "${FAKE_DOCKER_LOG%/*}" ]; do /usr/bin/sleep 0.05; done',
          "  exit 0",
          "fi",
          'exec /usr/bin/sleep "$@"',
          "",
        ].join("\n"),
        { mode: 0o755 },
      );
    });
    afterEach(() => fs.writeFileSync(path.join(temp.dir, "fake", "docker.log.window-ends"), ""));

    async function twoReleases(): Promise<{ first: string; latest: string }> {
      assert.equal((await deploy(warmDef(typicalDefinition().ref))).code, 0);
      const first = read(path.join(state, "current")).trim();
      const upgrade = await deploy(warmDef(second));
      assert.equal(upgrade.code, 0, upgrade.stderr);
      assert.ok(
        upgrade.stdout.includes(
          `slipway: host web-1: the previous release ${first} stays running without traffic for 600 s after a 0 s drain (rollback window: slipway rollback switches back to it at once), then stops in the background\n`,
        ),
        upgrade.stdout,
      );
      // The drain ended (retire.lock is free) and the previous release still runs.
      assert.deepEqual(
        upgrade.retired.filter((call) => call[0] === "stop"),
        [],
      );
      assert.match(read(path.join(state, "warm")), new RegExp(`^${first} [0-9]+\n$`));
      return { first, latest: read(path.join(state, "current")).trim() };
    }

    async function rollback(env: Record<string, string> = {}) {
      const docker = fakeDocker(path.join(temp.dir, "fake"), ANSWERS);
      const script = warmSwitchScript({ ...warmDef(typicalDefinition().ref), digest: DIGEST_WEB });
      const result = await sh(script, { env: { ...docker.env, ...env } });
      assert.equal(result.code, 0, result.stderr);
      return parseWarmSwitch(result.stdout);
    }

    it("switches the edge to the warm release and records it; the update then finds it serving and changes nothing", async () => {
      const { first, latest } = await twoReleases();
      assert.deepEqual(await rollback({ FAKE_WARM_DIGEST: DIGEST_WEB }), {
        kind: "switched",
        container: first,
      });
      assert.equal(read(path.join(edge, "upstreams", "web")), `${first}:8080\n`);
      assert.equal(read(path.join(state, "current")), `${first}\n`);
      const record = parseReleaseRecord(read(path.join(state, "release.json")));
      assert.deepEqual(
        [record.current.digest, ...record.previous.map((entry) => entry.digest)],
        [DIGEST_WEB, DIGEST_2, DIGEST_WEB],
      );
      // The release it replaced is warm in turn.
      assert.match(read(path.join(state, "warm")), new RegExp(`^${latest} [0-9]+\n$`));

      // The update that follows the pin: the same release, already serving.
      const update = await deploy(warmDef(typicalDefinition().ref));
      assert.equal(update.code, 0, update.stderr);
      assert.ok(
        update.stdout.includes(
          `slipway: host web-1: release ${DIGEST_WEB} is already serving as ${first}; checking it\n`,
        ),
        update.stdout,
      );
      assert.deepEqual(
        update.calls.filter((call) => ["run", "stop", "rm", "start"].includes(call[0]!)),
        [],
      );
      assert.equal(read(path.join(edge, "upstreams", "web")), `${first}:8080\n`);

      // A roll forward inside the window is as quick: the release rolled back from is warm.
      const docker = fakeDocker(path.join(temp.dir, "fake"), ANSWERS);
      const forward = await sh(warmSwitchScript({ ...warmDef(second), digest: DIGEST_2 }), {
        env: { ...docker.env, FAKE_WARM_DIGEST: DIGEST_2 },
      });
      assert.deepEqual(parseWarmSwitch(forward.stdout), { kind: "switched", container: latest });
      assert.equal(read(path.join(edge, "upstreams", "web")), `${latest}:8080\n`);
    });

    it("falls back, changing nothing, when the warm container is gone, unhealthy or runs another digest", async () => {
      const { first, latest } = await twoReleases();
      const snapshot = () =>
        [
          path.join(edge, "upstreams", "web"),
          path.join(state, "current"),
          path.join(state, "release.json"),
        ].map(read);
      const before = snapshot();
      assert.deepEqual(await rollback({ FAKE_WARM_DIGEST: DIGEST_WEB, FAKE_HEALTH_FAILS: "1" }), {
        kind: "fallback",
        reason: `the warm container ${first} is unhealthy: wget: can't connect to remote host: Connection refused`,
      });
      assert.deepEqual(await rollback({ FAKE_WARM_DIGEST: DIGEST_2 }), {
        kind: "fallback",
        reason: `the warm release ${first} runs ${DIGEST_2}, not ${DIGEST_WEB}`,
      });
      fs.rmSync(path.join(temp.dir, "fake", `docker.log.ran.${first}`));
      assert.deepEqual(await rollback({ FAKE_WARM_DIGEST: DIGEST_WEB }), {
        kind: "fallback",
        reason: `the warm container ${first} is gone`,
      });
      assert.equal(read(path.join(edge, "upstreams", "web")), `${latest}:8080\n`);
      assert.deepEqual(snapshot(), before);
      fs.rmSync(path.join(state, "warm"));
      assert.deepEqual(await rollback(), {
        kind: "fallback",
        reason: "no warm release (its rollback window ended, or is 0)",
      });
    });
  });
});
