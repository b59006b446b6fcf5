/**
 * The accessory images (examples/accessories/postgres, examples/accessories/redis) and the demo API (examples/api/)
 * for real: built for linux/amd64 and linux/arm64 by the `slipway` builder, pushed to the
 * local registry, then run on one user-defined Docker network the way the local stack
 * runs them: PostgreSQL and Redis with named volumes and passwords from 0600 env files,
 * the API and its worker reaching them by name. Data must survive restarts and a
 * recreated container; every HEALTHCHECK must turn healthy; no password may show in a
 * container's command line, its logs, or an image's config and history.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  BUILDX_BUILDER,
  REGISTRY,
  REGISTRY_URL,
  REPO_ROOT,
  getManifest,
  run,
  runOk,
  uniqueTag,
  useServices,
} from "../helpers/services";

const PLATFORMS = "linux/amd64,linux/arm64";
const secret = (label: string): string =>
  `${label}-${Math.random().toString(36).slice(2, 12)}${Math.random().toString(36).slice(2, 8)}`;

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `docker inspect` until the container's health is `healthy` (fails on timeout). */
async function waitHealthy(container: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    const r = await run("docker", [
      "inspect",
      "-f",
      "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}",
      container,
    ]);
    last = r.stdout.trim();
    if (last === "running healthy") return;
    if (last.startsWith("exited")) break;
    await sleep(500);
  }
  const logs = await run("docker", ["logs", "--tail", "40", container]);
  throw new Error(`${container} is not healthy: ${last}\n${logs.stdout}${logs.stderr}`);
}

/** The effective uid of the container's PID 1, read from the host's /proc (no tool in the image). */
async function uidOfPid1(container: string): Promise<string> {
  const pid = (await runOk("docker", ["inspect", "-f", "{{.State.Pid}}", container])).stdout.trim();
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const line = status.split("\n").find((l) => l.startsWith("Uid:"));
  return (line ?? "").split(/\s+/)[2] ?? "";
}

describe("accessory images and the demo API on one network", function () {
  this.timeout(1_200_000);
  useServices(["docker", "registry", "binfmt", "buildkitd"]);

  const tag = uniqueTag("acc");
  const namespace = `it-${tag}`;
  const network = `slipway-it-${tag}`;
  const names = {
    postgres: `${network}-postgres`,
    redis: `${network}-redis`,
    api: `${network}-api`,
    worker: `${network}-worker`,
  };
  const volumes = { postgres: `${network}-pgdata`, redis: `${network}-redisdata` };
  const pgPassword = secret("pg");
  const redisPassword = secret("redis");
  const refs: Record<"postgres" | "redis" | "api", string> = { postgres: "", redis: "", api: "" };
  let work = "";
  let apiUrl = "";

  const envFile = (name: string, lines: readonly string[]): string => {
    const file = path.join(work, name);
    fs.writeFileSync(file, lines.join("\n") + "\n", { mode: 0o600 });
    return file;
  };
  const pgEnv = (): string =>
    envFile("postgres.env", [
      `POSTGRES_PASSWORD=${pgPassword}`,
      "POSTGRES_USER=app",
      "POSTGRES_DB=appdb",
    ]);
  const apiEnv = (): string =>
    envFile("api.env", [
      `DATABASE_URL=postgres://app:${encodeURIComponent(pgPassword)}@postgres:5432/appdb?sslmode=disable`,
      `REDIS_URL=redis://:${encodeURIComponent(redisPassword)}@redis:6379/0`,
    ]);

  async function startPostgres(): Promise<void> {
    await runOk("docker", [
      "run", "-d", "--name", names.postgres, "--network", network, "--network-alias", "postgres",
      "--env-file", pgEnv(), "-v", `${volumes.postgres}:/var/lib/postgresql/data`, refs.postgres,
    ]); // prettier-ignore
  }
  async function startRedis(): Promise<void> {
    await runOk("docker", [
      "run", "-d", "--name", names.redis, "--network", network, "--network-alias", "redis",
      "--env-file", envFile("redis.env", [`REDIS_PASSWORD=${redisPassword}`]),
      "-v", `${volumes.redis}:/data`, refs.redis,
    ]); // prettier-ignore
  }
  async function startApi(): Promise<void> {
    await runOk("docker", [
      "run", "-d", "--name", names.api, "--network", network, "--env-file", apiEnv(),
      "-p", "127.0.0.1::8080", refs.api,
    ]); // prettier-ignore
    const port = (await runOk("docker", ["port", names.api, "8080/tcp"])).stdout.trim();
    apiUrl = `http://${port.split("\n")[0]!}`;
  }
  async function getJson(pathname: string): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`${apiUrl}${pathname}`);
    return { status: res.status, body: await res.json() };
  }

  async function build(image: "postgres" | "redis" | "api", context: string, args: string[] = []) {
    const repository = `${REGISTRY}/${namespace}/${image}`;
    const metadata = path.join(work, `${image}.json`);
    const started = Date.now();
    await runOk(
      "docker",
      [
        "buildx", "build", "--builder", BUILDX_BUILDER, "--platform", PLATFORMS,
        ...args, "--tag", `${repository}:it`, "--metadata-file", metadata,
        "--output", "type=image,push=true,registry.insecure=true", context,
      ], // prettier-ignore
      { timeoutMs: 900_000 },
    );
    const digest = (JSON.parse(fs.readFileSync(metadata, "utf8")) as Record<string, string>)[
      "containerimage.digest"
    ]!;
    refs[image] = `${repository}@${digest}`;
    console.log(
      `      built ${image} in ${((Date.now() - started) / 1000).toFixed(1)} s: ${digest}`,
    );
  }

  before(async function () {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-acc-"));
    await runOk("bash", [path.join(REPO_ROOT, "scripts", "fetch-accessories.sh")], {
      timeoutMs: 1_200_000,
    });
    await runOk("bash", [path.join(REPO_ROOT, "scripts", "build-api.sh")], {
      timeoutMs: 1_200_000,
    });
    await build("postgres", path.join(REPO_ROOT, "examples", "accessories", "postgres"));
    await build("redis", path.join(REPO_ROOT, "examples", "accessories", "redis"));
    await build("api", path.join(REPO_ROOT, "examples", "api"), [
      "--build-arg",
      "APP_RELEASE=it-1",
    ]);
    await runOk("docker", ["network", "create", network]);
  });

  after(async function () {
    if (process.env.SLIPWAY_KEEP_SERVICES === "1") return;
    await run("docker", ["rm", "-f", ...Object.values(names)]);
    await run("docker", ["network", "rm", network]);
    await run("docker", ["volume", "rm", ...Object.values(volumes)]);
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it("pushes each image as an index with linux/amd64 and linux/arm64", async function () {
    for (const image of ["postgres", "redis", "api"] as const) {
      const index = await getManifest(`${namespace}/${image}`, "it");
      const platforms = (index.body.manifests ?? [])
        .map((m) => m.platform)
        .filter((p): p is { os: string; architecture: string } => p?.os === "linux")
        .map((p) => `${p.os}/${p.architecture}`)
        .sort();
      assert.deepEqual(platforms, ["linux/amd64", "linux/arm64"], image);
    }
  });

  it("a fresh named volume: PostgreSQL initializes, runs as uid 999 and turns healthy", async function () {
    await startPostgres();
    await waitHealthy(names.postgres);
    assert.equal(await uidOfPid1(names.postgres), "999");
    // The initdb password file is gone.
    const tmp = await runOk("docker", ["exec", names.postgres, "ls", "-A", "/tmp"]);
    assert.equal(tmp.stdout.trim(), "");
    const logs = await runOk("docker", ["logs", names.postgres]);
    assert.match(logs.stdout + logs.stderr, /PostgreSQL init process complete/);
  });

  it("refuses a network client with a wrong password (scram-sha-256)", async function () {
    const r = await run("docker", [
      "run", "--rm", "--network", network, "--entrypoint", "psql", refs.postgres,
      "postgresql://app:wrong@postgres:5432/appdb", "-c", "select 1",
    ]); // prettier-ignore
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /password authentication failed for user "app"/);
  });

  it("Redis with a password and a volume turns healthy as uid 999", async function () {
    await startRedis();
    await waitHealthy(names.redis);
    assert.equal(await uidOfPid1(names.redis), "999");
    const conf = await runOk("docker", ["exec", names.redis, "stat", "-c", "%a %u", "/etc/redis/redis.conf"]); // prettier-ignore
    assert.equal(conf.stdout.trim(), "600 999");
  });

  it("the API reaches PostgreSQL and Redis by name: POST then GET an item", async function () {
    await startApi();
    await waitHealthy(names.api);
    assert.equal(await uidOfPid1(names.api), "65534");
    assert.deepEqual(await getJson("/version"), { status: 200, body: { release: "it-1" } });
    assert.deepEqual(await getJson("/readyz"), { status: 200, body: { status: "ready" } });
    const res = await fetch(`${apiUrl}/items`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: `row-${tag}` }),
    });
    assert.equal(res.status, 201);
    const created = (await res.json()) as { id: number; name: string };
    assert.equal(created.name, `row-${tag}`);
    const list = await getJson("/items");
    assert.equal(list.status, 200);
    assert.deepEqual(
      (list.body as { id: number; name: string }[]).map(({ id, name }) => ({ id, name })),
      [{ id: created.id, name: `row-${tag}` }],
    );
    assert.deepEqual(await getJson("/counter"), { status: 200, body: { counter: 1 } });
    assert.deepEqual(await getJson("/counter"), { status: 200, body: { counter: 2 } });
  });

  it("the row and the counter survive restarts and recreated containers", async function () {
    const stopStarted = Date.now();
    await runOk("docker", ["restart", names.postgres, names.redis]);
    // STOPSIGNAL SIGINT: a fast shutdown, not the 10 s grace period.
    assert.ok(Date.now() - stopStarted < 9_000, `restart took ${Date.now() - stopStarted} ms`);
    const pgLogs = await runOk("docker", ["logs", names.postgres]);
    assert.match(pgLogs.stdout + pgLogs.stderr, /received fast shutdown request/);
    await waitHealthy(names.postgres);
    await waitHealthy(names.redis);
    await runOk("docker", ["restart", names.api]);
    await waitHealthy(names.api);
    await runOk("docker", ["rm", "-f", names.api, names.postgres]);
    await startPostgres();
    await waitHealthy(names.postgres);
    const logs = await runOk("docker", ["logs", names.postgres]);
    assert.doesNotMatch(logs.stdout + logs.stderr, /init process complete/, "initialized twice");
    await startApi();
    await waitHealthy(names.api);
    const list = await getJson("/items");
    assert.deepEqual(
      (list.body as { name: string }[]).map((item) => item.name),
      [`row-${tag}`],
    );
    assert.deepEqual(await getJson("/counter"), { status: 200, body: { counter: 3 } });
  });

  it("the worker writes its heartbeat and its HEALTHCHECK turns healthy", async function () {
    await runOk("docker", [
      "run", "-d", "--name", names.worker, "--network", network, "--env-file", apiEnv(),
      refs.api, "worker",
    ]); // prettier-ignore
    await waitHealthy(names.worker);
    const hostname = (
      await runOk("docker", ["inspect", "-f", "{{.Config.Hostname}}", names.worker])
    ).stdout.trim();
    const beats = await runOk("docker", [
      "exec", names.postgres, "psql", "-U", "app", "-d", "appdb", "-tAc",
      `SELECT beats FROM worker_beats WHERE hostname = '${hostname}'`,
    ]); // prettier-ignore
    assert.ok(Number(beats.stdout.trim()) >= 1, `beats: ${beats.stdout}`);
  });

  it("the arm64 images start under qemu", async function () {
    const pg = await runOk("docker", ["run", "--rm", "--platform", "linux/arm64", refs.postgres, "postgres", "--version"]); // prettier-ignore
    assert.match(pg.stdout, /^postgres \(PostgreSQL\) 17\.\d+/);
    const redis = await runOk("docker", ["run", "--rm", "--platform", "linux/arm64", refs.redis, "redis-server", "--version"]); // prettier-ignore
    assert.match(redis.stdout, /^Redis server v=8\./);
    const api = await run("docker", ["run", "--rm", "--platform", "linux/arm64", refs.api, "healthcheck"]); // prettier-ignore
    assert.equal(api.code, 1);
    assert.match(api.stderr, /^unhealthy: GET \/healthz/m);
    const arch = await runOk("docker", ["run", "--rm", "--platform", "linux/arm64", "--entrypoint", "uname", refs.postgres, "-m"]); // prettier-ignore
    assert.equal(arch.stdout.trim(), "aarch64");
  });

  it("no password in a command line, a log, or an image's config and history", async function () {
    const secrets = [pgPassword, redisPassword, encodeURIComponent(pgPassword)];
    for (const container of Object.values(names)) {
      const inspect = JSON.parse(
        (await runOk("docker", ["inspect", container])).stdout,
      ) as { Path: string; Args: string[]; Config: { Cmd: string[] | null; Entrypoint: string[] | null } }[]; // prettier-ignore
      const argv = JSON.stringify([inspect[0]!.Path, inspect[0]!.Args, inspect[0]!.Config.Cmd, inspect[0]!.Config.Entrypoint]); // prettier-ignore
      const top = (await runOk("docker", ["top", container, "-eo", "pid,args"])).stdout;
      const logs = await runOk("docker", ["logs", container]);
      for (const s of secrets) {
        assert.ok(!argv.includes(s), `${container}: a password in Path/Args/Cmd/Entrypoint`);
        assert.ok(!top.includes(s), `${container}: a password in a process's arguments`);
        assert.ok(!(logs.stdout + logs.stderr).includes(s), `${container}: a password in the logs`);
      }
    }
    for (const image of ["postgres", "redis", "api"] as const) {
      const index = await getManifest(`${namespace}/${image}`, "it");
      for (const m of index.body.manifests ?? []) {
        if (m.platform?.os !== "linux") continue;
        const manifest = await getManifest(`${namespace}/${image}`, m.digest);
        const config = (manifest.body as { config?: { digest: string } }).config!;
        const blob = await (
          await fetch(`${REGISTRY_URL}/v2/${namespace}/${image}/blobs/${config.digest}`)
        ).text();
        assert.match(blob, /"history"/);
        for (const s of secrets) assert.ok(!blob.includes(s), `${image}: a password in the config`);
      }
    }
  });
});
