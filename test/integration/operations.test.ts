/**
 * The day-two commands as users run them (bin/slipway.js; the stack's config read through the
 * real Pulumi engine on a file backend, its secret decrypted there) against a service the
 * deploy script released over the local sshd on the local Docker engine, behind the tests'
 * edge, beside an accessory the accessory script started: logs and exec with the secret masked,
 * accessory exec|logs|restart, details, lock status|release, maintenance on|off under
 * keep-alive and fresh-connection load (and in status), and prune.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { parse } from "yaml";
import {
  accessoryRemoveScript,
  accessoryScript,
  deployScript,
  edgeScript,
  maintenancePage,
  type AccessoryDefinition,
  type EdgeDefinition,
} from "../../src/deploy";
import {
  REPO_ROOT,
  SSH,
  pulumiEnv,
  run,
  runOk,
  sshExec,
  uniqueTag,
  useServices,
  type RunResult,
} from "../helpers/services";
import {
  itEdge,
  loadLoop,
  loadReport,
  localDefinition,
  payloadFor,
  removeEdge,
  removeService,
  request,
  retiresSettled,
  runScript,
  sharedReleases,
  sleep,
  waitFor,
  type LoadResult,
  type ReleaseSet,
} from "./deploy-fixture";

const BIN = path.join(REPO_ROOT, "bin", "slipway.js");
const PORT = 29080;
const SECRET = `s3cret-${Math.random().toString(36).slice(2, 10)}`;

describe("day-two commands over the real sshd and Docker engine", function () {
  this.timeout(600_000);
  useServices(["docker", "registry", "sshd"]);

  const service = uniqueTag("ops");
  const host = `${service}.localhost`;
  const accessory = `${service}-kv`;
  const kv = `slipway-it-${accessory}`;
  let releases: ReleaseSet;
  let edge: EdgeDefinition;
  let work: string;
  let project: string;
  let env: NodeJS.ProcessEnv;

  const slipway = (args: readonly string[]) =>
    run(process.execPath, [BIN, ...args], { cwd: project, env, timeoutMs: 300_000 });
  const stackConfig = () =>
    (
      parse(fs.readFileSync(path.join(project, "Pulumi.it.yaml"), "utf8")) as {
        config: Record<string, unknown>;
      }
    ).config;
  const current = async () =>
    (await runOk("cat", [`/var/lib/slipway/${service}/current`])).stdout.trim();
  const inspectKv = async (format: string) =>
    (await runOk("docker", ["inspect", "--format", format, kv])).stdout.trim();
  /**
   * The accessory as the stack below declares it: the release image (its HEALTHCHECK probes
   * /healthz every 5 s, 3 failures make it unhealthy; httpd -vv logs each URL), a volume.
   */
  const kvDefinition = (): AccessoryDefinition => ({
    host: "local",
    stack: "it",
    name: accessory,
    stateRoot: "/var/lib/slipway",
    network: "slipway-it",
    image: "web",
    ref: releases.a.ref,
    command: ["-vv"],
    env: { MODE: "kv" },
    secretEnvNames: ["TOKEN"],
    volumes: { data: "/data" },
    ports: [],
    healthTimeoutSeconds: 20,
  });
  const removeKv = () =>
    runScript(accessoryRemoveScript({ ...kvDefinition(), volumes: ["data"], deleteVolumes: true }));

  function assertOk(result: RunResult, what: string): void {
    assert.equal(
      result.code,
      0,
      `${what} exited ${result.code}\n${result.stdout}\n${result.stderr}`,
    );
  }

  before(async function () {
    releases = await sharedReleases();
    edge = itEdge(releases.edge.ref);
    await removeService(service);
    await removeEdge(edge);
    const started = await runScript(edgeScript(edge));
    assert.equal(started.code, 0, started.stderr);
    const deployed = await runScript(
      deployScript(
        // httpd -vv: the app logs every request's URL (the image's entrypoint is httpd).
        localDefinition(service, releases.a, {
          env: { MODE: "it" },
          secretEnvNames: ["TOKEN"],
          command: ["-vv"],
        }),
      ),
      payloadFor({ TOKEN: SECRET }),
    );
    assert.equal(deployed.code, 0, deployed.stderr);
    await removeKv();
    const kvUp = await runScript(accessoryScript(kvDefinition()), payloadFor({ TOKEN: SECRET }));
    assert.equal(kvUp.code, 0, `${kvUp.stdout}\n${kvUp.stderr}`);

    work = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-ops-"));
    project = path.join(work, "project");
    fs.mkdirSync(project);
    fs.mkdirSync(path.join(work, "state"));
    env = await pulumiEnv(path.join(work, "state"));
    fs.writeFileSync(
      path.join(project, "Pulumi.yaml"),
      "name: slipway\nruntime:\n  name: nodejs\n  options:\n    typescript: false\nmain: index.js\n",
    );
    const hostKey = fs
      .readFileSync(SSH.knownHostsPath, "utf8")
      .split("\n")[0]!
      .split(" ")
      .slice(1, 3)
      .join(" ");
    // The stack the deploy above ran as: stack it, network slipway-it, the edge it-edge.
    fs.writeFileSync(
      path.join(project, "Pulumi.it.yaml"),
      "# the day-two test stack\nconfig:\n  slipway:role: promote\n" +
        `  slipway:registry:\n    server: 127.0.0.1:5000\n    namespace: ${releases.namespace}\n    insecure: true\n` +
        `  slipway:images:\n    web:\n      pin:\n        digest: ${releases.a.digest}\n` +
        "  slipway:network: slipway-it\n" +
        "  slipway:edge:\n    name: it-edge\n" +
        `  slipway:hosts:\n    - name: local\n      address: ${SSH.host}\n      port: ${SSH.port}\n` +
        `      user: ${SSH.user}\n      privateKeyFile: ${SSH.keyPath}\n      hostKey: ${hostKey}\n` +
        `  slipway:services:\n    ${service}:\n      image: web\n      routes:\n        - host: ${host}\n          tls: false\n` +
        "      keepReleases: 1\n      env:\n        MODE: it\n" +
        `  slipway:accessories:\n    ${accessory}:\n      image: web\n      command: ["-vv"]\n` +
        "      env:\n        MODE: kv\n      volumes:\n        data: /data\n      healthTimeoutSeconds: 20\n",
    );
    assertOk(
      await run("pulumi", ["stack", "init", "it"], { cwd: project, env }),
      "pulumi stack init",
    );
    // The secret of the service and of the accessory, as a Pulumi secret of the stack.
    for (const key of [`services.${service}`, `accessories.${accessory}`]) {
      assertOk(
        await run(
          "pulumi",
          [
            "config",
            "set",
            "--secret",
            "--path",
            `slipway:${key}.secretEnv.TOKEN`,
            SECRET,
            "--stack",
            "it",
          ],
          { cwd: project, env },
        ),
        `pulumi config set --secret ${key}`,
      );
    }
  });

  after(async function () {
    await sshExec(`pkill -f 'sleep 4242' || true`);
    if (releases !== undefined) {
      await removeService(service);
      await removeKv();
      await removeEdge(edge);
    }
    if (work !== undefined) fs.rmSync(work, { recursive: true, force: true });
  });

  it("logs: what the release printed, a secret value in it masked; --grep", async () => {
    // A client sends the secret value in a URL; the app logs it.
    await request(PORT, `/token/${SECRET}`, { host });
    const logs = await slipway([
      "logs",
      "--stack",
      "it",
      "--service",
      service,
      "--grep",
      "url:/token/",
    ]);
    assert.equal(logs.code, 0, logs.stderr);
    assert.equal(logs.stderr, "");
    assert.match(logs.stdout, /^[^\n]*url:\/token\/\[secret\]\n$/);
  });

  it("exec: a one-off container of the pinned digest with env and secret env, removed after", async () => {
    const exec = (...args: string[]) =>
      slipway(["exec", "--stack", "it", "--service", service, ...args]);
    const shell = (script: string) =>
      exec("--entrypoint", "/bin/busybox", "--", "sh", "-c", script);
    const before = await runOk("docker", ["ps", "--all", "--quiet"]);
    const echoed = await shell('echo "$MODE $TOKEN $APP_RELEASE"');
    assert.deepEqual(
      { code: echoed.code, stdout: echoed.stdout },
      { code: 0, stdout: `it [secret] ${releases.a.version}\n` },
      echoed.stderr,
    );
    assert.ok(!echoed.stderr.includes(SECRET));
    const failed = await shell("exit 3");
    assert.equal(failed.code, 7, failed.stderr);
    assert.match(failed.stderr, /\nslipway: the command exited 3 on host local\n$/);
    assert.equal((await runOk("docker", ["ps", "--all", "--quiet"])).stdout, before.stdout);
    const inside = await exec("--in-running", "--", "/bin/busybox", "hostname");
    const hostname = await runOk("docker", [
      "inspect",
      "--format",
      "{{.Config.Hostname}}",
      await current(),
    ]);
    assert.deepEqual(
      { code: inside.code, stdout: inside.stdout },
      { code: 0, stdout: hostname.stdout },
      inside.stderr,
    );
  });

  it("accessory exec and logs: in its running container with its env and secret env, the secret masked; --grep", async () => {
    const exec = (...args: string[]) =>
      slipway(["accessory", "exec", accessory, "--stack", "it", "--", ...args]);
    // The command prints the secret and sends it in a URL to the accessory itself, which logs it.
    const echoed = await exec(
      "/bin/busybox",
      "sh",
      "-c",
      'echo "$MODE $TOKEN"; wget -q -O /dev/null "http://127.0.0.1:8080/token/$TOKEN" 2>/dev/null || true',
    );
    assert.deepEqual(echoed, { code: 0, stdout: "kv [secret]\n", stderr: "" });
    const failed = await exec("/bin/busybox", "sh", "-c", "exit 3");
    assert.deepEqual(failed, {
      code: 7,
      stdout: "",
      stderr: "slipway: the command exited 3 on host local\n",
    });
    // What the container logged holds the secret; what slipway prints of it does not.
    const raw = await runOk("docker", ["logs", kv]);
    assert.ok(`${raw.stdout}${raw.stderr}`.includes(`/token/${SECRET}`));
    const logs = await slipway([
      "accessory",
      "logs",
      accessory,
      "--stack",
      "it",
      "--grep",
      "url:/token/",
    ]);
    assert.equal(logs.code, 0, logs.stderr);
    assert.equal(logs.stderr, "");
    assert.match(logs.stdout, /^[^\n]*url:\/token\/\[secret\]\n$/);
    assert.deepEqual(await slipway(["accessory", "logs", "kv", "--stack", "it"]), {
      code: 2,
      stdout: "",
      stderr: `slipway: it has no accessory "kv"; its accessories: ${accessory}\n`,
    });
  });

  it("accessory restart: the same container and volume, healthy when it returns; a failing health check fails it", async () => {
    const id = await inspectKv("{{.Id}}");
    const startedAt = await inspectKv("{{.State.StartedAt}}");
    // A file in its volume, put there from outside (the image runs as 65534; the volume is root's).
    fs.writeFileSync(path.join(work, "marker"), "kept\n");
    await runOk("docker", ["cp", path.join(work, "marker"), `${kv}:/data/marker`]);
    const restarted = await slipway(["accessory", "restart", accessory, "--stack", "it"]);
    assert.equal(restarted.code, 0, restarted.stderr);
    const seconds = new RegExp(`^restarted ${accessory} on local: healthy after (\\d+) s\n$`).exec(
      restarted.stdout,
    );
    assert.ok(seconds !== null, restarted.stdout);
    // Docker runs the first health check 5 s after the start: the command waited for it.
    assert.ok(Number(seconds[1]) >= 4, restarted.stdout);
    assert.deepEqual(
      { id: await inspectKv("{{.Id}}"), health: await inspectKv("{{.State.Health.Status}}") },
      { id, health: "healthy" },
    );
    assert.notEqual(await inspectKv("{{.State.StartedAt}}"), startedAt);
    const marker = await slipway([
      "accessory",
      "exec",
      accessory,
      "--stack",
      "it",
      "--",
      "/bin/busybox",
      "cat",
      "/data/marker",
    ]);
    assert.deepEqual(marker, { code: 0, stdout: "kept\n", stderr: "" });
    // Its health page gone (a restart that comes back broken): refused after the timeout.
    const move = (from: string, to: string) =>
      runOk("docker", ["exec", "--user", "0", kv, "/bin/busybox", "mv", from, to]);
    await move("/www/healthz", "/www/healthz.off");
    try {
      const refused = await slipway(["accessory", "restart", accessory, "--stack", "it"]);
      assert.deepEqual(refused, {
        code: 3,
        stdout: "",
        stderr: `restarting ${accessory} on local\nslipway: host local: ${kv} did not become healthy within 20 s after the restart: unhealthy\n`,
      });
    } finally {
      await move("/www/healthz.off", "/www/healthz");
    }
    await waitFor(async () => (await inspectKv("{{.State.Health.Status}}")) === "healthy", 30_000);
  });

  it("details --json: the release container, its digest and health, the edge's route", async () => {
    const result = await slipway(["details", "--stack", "it", "--json"]);
    assertOk(result, "details");
    const json = JSON.parse(result.stdout) as {
      hosts: {
        host: string;
        containers: {
          name: string;
          role: string;
          of: string;
          digest: string;
          state: string;
          health: string;
          restarts: number;
        }[];
        routes: { service: string; server: string; match: string }[];
        upstreams: { instance: string; upstream: string }[];
      }[];
    };
    const local = json.hosts[0]!;
    assert.deepEqual(
      json.hosts.map((entry) => entry.host),
      ["local"],
    );
    const name = await current();
    const mine = local.containers.filter((c) => c.of === service);
    assert.deepEqual(
      mine.map(({ name, role, digest, state, health, restarts }) => ({
        name,
        role,
        digest,
        state,
        health,
        restarts,
      })),
      [
        {
          name,
          role: "app",
          digest: releases.a.digest,
          state: "running",
          health: "healthy",
          restarts: 0,
        },
      ],
    );
    assert.deepEqual(
      local.routes.filter((r) => r.service === service).map((r) => r.match),
      [`${host}|`],
    );
    assert.deepEqual(
      local.upstreams.filter((u) => u.instance === service),
      [{ instance: service, upstream: `${name}:8080` }],
    );
    const table = await slipway(["details", "--stack", "it"]);
    assert.match(table.stdout, new RegExp(`^host local:\\n`));
  });

  it("lock status and release: free locks, another stack's live lock needs --force and says whose", async () => {
    const status = await slipway(["lock", "status", "--stack", "it", "--json"]);
    assertOk(status, "lock status");
    const mine = (
      JSON.parse(status.stdout) as {
        locks: { kind: string; name: string; state: string; stack?: string }[];
      }
    ).locks;
    assert.deepEqual(
      mine.map(({ kind, name, state, stack }) => ({ kind, name, state, stack })),
      [
        { kind: "service", name: service, state: "free", stack: "it" },
        { kind: "accessory", name: accessory, state: "free", stack: "it" },
        { kind: "edge", name: "it-edge", state: "free", stack: "it" },
      ],
    );
    // Another stack's deploy holds the service's lock (a process holding flock, its owner line).
    const dir = `/var/lib/slipway/${service}`;
    await sshExec(
      `cd ${dir} && nohup flock ${dir}/lock sh -c 'printf "stack other, alice from 10.0.0.9 (pid %s) since 2026-12-07T07:00:00Z\\n" $$ > lock.owner; exec sleep 4242' </dev/null >/dev/null 2>&1 &`,
      // The session stays open while the holder runs; the client may go.
      { timeoutMs: 3000 },
    );
    await sleep(500);
    const held = await slipway(["lock", "status", "--stack", "it"]);
    assert.equal(held.code, 0, held.stderr);
    assert.match(
      held.stdout,
      new RegExp(
        `\\nlocal +service ${service} +held +stack other, alice, from 10\\.0\\.0\\.9, pid \\d+ +2026-12-07T07:00:00Z\\n`,
      ),
    );
    const refused = await slipway(["lock", "release", "--stack", "it"]);
    assert.equal(refused.code, 3, refused.stderr);
    assert.match(
      refused.stderr,
      new RegExp(
        `the service lock of ${service} is held by another stack: stack other, alice from 10\\.0\\.0\\.9 \\(pid \\d+\\) since 2026-12-07T07:00:00Z; pass --force to end its holder`,
      ),
    );
    const released = await slipway(["lock", "release", "--stack", "it", "--force"]);
    assert.equal(released.code, 0, released.stderr);
    assert.match(
      released.stdout,
      new RegExp(
        `^released the service lock of ${service} on local: it was held by stack other, alice from 10\\.0\\.0\\.9 since 2026-12-07T07:00:00Z; ended pid \\d+`,
      ),
    );
    const after = await slipway(["lock", "status", "--stack", "it", "--json"]);
    assert.equal(
      (JSON.parse(after.stdout) as { locks: { state: string }[] }).locks[0]!.state,
      "free",
    );
  });

  it("maintenance on under load: 503 with the page and Retry-After; off: 0 failed requests, keep-alive kept", async () => {
    const page = maintenancePage("Back at 10:00");
    const keepAlive = loadLoop(PORT, "/cgi-bin/version", 2, { host, keepAlive: true });
    const fresh = loadLoop(PORT, "/cgi-bin/version", 1, { host });
    const stop = () => Promise.all([keepAlive.stop(), fresh.stop()]);
    let onAt = 0;
    let offStarted = 0;
    let offAt = 0;
    let loads: LoadResult[] = [];
    try {
      await sleep(500);
      const on = await slipway([
        "maintenance",
        "on",
        "--stack",
        "it",
        "--service",
        service,
        "--message",
        "Back at 10:00",
        "--retry-after",
        "120",
      ]);
      assert.deepEqual(on, {
        code: 0,
        stdout: `maintenance on for ${service} on local: its routes answer 503 (Retry-After 120) while the release keeps running; recorded in Pulumi.it.yaml (slipway:maintenance), which the next pulumi up keeps\n`,
        stderr: "",
      });
      onAt = performance.now();
      assert.deepEqual(stackConfig()["slipway:maintenance"], {
        [service]: { message: "Back at 10:00", retryAfter: 120 },
      });
      // status shows it; the release runs on, in sync, and so does the accessory.
      const status = await slipway(["status", "--stack", "it", "--json"]);
      assertOk(status, "status");
      const seen = JSON.parse(status.stdout) as {
        services: {
          service: string;
          hosts: { host: string; state: string; running?: string; note?: string }[];
        }[];
        accessories: { accessory: string; host: string; state: string; running?: string }[];
      };
      assert.deepEqual(
        seen.services.map((entry) => ({
          service: entry.service,
          hosts: entry.hosts.map(({ host, state, running, note }) => ({
            host,
            state,
            running,
            note,
          })),
        })),
        [
          {
            service,
            hosts: [
              {
                host: "local",
                state: "in-sync",
                running: releases.a.digest,
                note: "maintenance on: its routes answer 503 (Retry-After 120)",
              },
            ],
          },
        ],
      );
      assert.deepEqual(
        seen.accessories.map(({ accessory, host, state, running }) => ({
          accessory,
          host,
          state,
          running,
        })),
        [{ accessory, host: "local", state: "healthy", running: releases.a.digest }],
      );
      await sleep(1000);
      const answer = await request(PORT, "/cgi-bin/version", { host });
      assert.deepEqual(
        { status: answer.status, body: answer.body, retryAfter: answer.headers["retry-after"] },
        // Caddy's {file.…} placeholder drops the file's last line break.
        { status: 503, body: page.replace(/\n$/, ""), retryAfter: "120" },
      );
      offStarted = performance.now();
      const off = await slipway(["maintenance", "off", "--stack", "it", "--service", service]);
      assert.equal(off.code, 0, off.stderr);
      offAt = performance.now();
      await sleep(2000);
    } finally {
      // Never leave the load running, also when an assertion above failed.
      loads = await stop();
    }
    const samples = loads.flatMap((load) => load.samples);
    const during = samples.filter((s) => s.start > onAt && s.end < offStarted);
    const afterOff = samples.filter((s) => s.start > offAt);
    assert.ok(during.length > 0 && during.every((s) => !s.ok), loadReport(loads));
    assert.ok(afterOff.length > 0, loadReport(loads));
    assert.deepEqual(
      afterOff.filter((s) => !s.ok).length,
      0,
      `failed after off: ${loadReport(loads)}`,
    );
    assert.ok(afterOff.every((s) => s.version === releases.a.version));
    assert.ok(
      loads[0]!.errors.every((e) => e === "HTTP 503"),
      loadReport(loads),
    );
    assert.equal(loads[0]!.sockets, 2, "no keep-alive connection was closed");
    assert.equal(stackConfig()["slipway:maintenance"], undefined);
  });

  it("prune: the oldest stopped release beyond keepReleases 1 and an unused image; --dry-run first", async () => {
    const oldest = await current();
    // Release b, then a again with other env (a new container): a deploy keeping 2 leaves
    // two stopped releases; the stack keeps 1. The broken release's image is pulled, unused.
    for (const [release, mode] of [
      [releases.b, "it"],
      [releases.a, "it2"],
    ] as const) {
      const deployed = await runScript(
        deployScript(
          localDefinition(service, release, {
            env: { MODE: mode },
            secretEnvNames: ["TOKEN"],
            command: ["-vv"],
            keepReleases: 2,
          }),
        ),
        payloadFor({ TOKEN: SECRET }),
      );
      assert.equal(deployed.code, 0, deployed.stderr);
    }
    await retiresSettled();
    // The repository is shared by the integration tests: images of it that other tests pulled
    // and no container uses go first, so that the one unused image is the broken release's.
    const repository = `127.0.0.1:5000/${releases.namespace}/web@`;
    const pulled = await runOk("docker", [
      "image",
      "ls",
      "--digests",
      "--no-trunc",
      "--format",
      "{{.Repository}}@{{.Digest}}",
    ]);
    for (const ref of pulled.stdout.split("\n")) {
      const inUse = [releases.a.digest, releases.b.digest].some((digest) => ref.endsWith(digest));
      if (ref.startsWith(repository) && ref.includes("@sha256:") && !inUse) {
        await runOk("docker", ["image", "rm", ref]);
      }
    }
    await runOk("docker", ["pull", "--quiet", releases.broken.ref]);
    const image = releases.broken.ref;
    const w = image.length;
    const table = (action: string) =>
      `HOST   KIND       ${"NAME".padEnd(w)}  ACTION\n` +
      `local  container  ${oldest.padEnd(w)}  ${action}\n` +
      `local  image      ${image}  ${action}\n`;
    const dry = await slipway(["prune", "--stack", "it", "--dry-run"]);
    assert.deepEqual(
      { code: dry.code, stdout: dry.stdout },
      {
        code: 0,
        stdout: `${table("would remove")}2 would be removed; run without --dry-run to remove them\n`,
      },
      dry.stderr,
    );
    const containers = () =>
      runOk("docker", [
        "ps",
        "--all",
        "--filter",
        `label=slipway.service=${service}`,
        "--format",
        "{{.Names}}",
      ]).then((r) => r.stdout.trim().split("\n"));
    assert.equal((await containers()).length, 3);
    const pruned = await slipway(["prune", "--stack", "it"]);
    assert.deepEqual(
      { code: pruned.code, stdout: pruned.stdout },
      { code: 0, stdout: `${table("removed")}2 removed\n` },
      pruned.stderr,
    );
    assert.equal((await containers()).length, 2);
    assert.ok(!(await containers()).includes(oldest));
    const images = await runOk("docker", [
      "image",
      "ls",
      "--digests",
      "--no-trunc",
      "--format",
      "{{.Repository}}@{{.Digest}}",
    ]);
    assert.deepEqual(
      images.stdout
        .split("\n")
        .filter((ref) => ref.startsWith(repository))
        .map((ref) => ref.slice(repository.length))
        .sort(),
      [releases.a.digest, releases.b.digest].sort(),
    );
    const again = await slipway(["prune", "--stack", "it", "--json"]);
    assert.deepEqual(JSON.parse(again.stdout), { stack: "it", dryRun: false, pruned: [] });
  });
});
