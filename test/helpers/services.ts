/**
 * Test helpers for Slipway's local services (scripts/services.sh): the local
 * OCI registry, the SSH deploy target, dockerd, binfmt/qemu and buildkitd.
 *
 * Usage in a mocha suite:
 *
 *   const services = useServices(["docker", "registry", "sshd"], { optional: ["buildkitd"] });
 *   it("...", async () => { await sshExec("docker ps"); });
 *
 * `useServices` registers a `before` hook that runs `scripts/services.sh up
 * --hold` and fails with the script's own report when a service cannot start,
 * and an `after` hook that releases the hold: services started by test runs
 * are stopped when the last test process holding them is done (a
 * developer's already-running services are left alone). Set
 * SLIPWAY_KEEP_SERVICES=1 to leave everything running after the tests.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** Repository root (this file is test/helpers/services.ts). */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const SERVICES_SH = path.join(REPO_ROOT, "scripts", "services.sh");
export const FETCH_BUSYBOX_SH = path.join(REPO_ROOT, "scripts", "fetch-busybox.sh");
/** Build context of the sample service. */
export const APP_DIR = path.join(REPO_ROOT, "examples", "app");

/** Same default as scripts/lib/common.sh. */
export const SLIPWAY_HOME =
  process.env.SLIPWAY_HOME || path.join(os.homedir(), ".cache", "slipway");
export const STATE_DIR = path.join(SLIPWAY_HOME, "state");

/** The local registry (plain http, delete enabled). */
export const REGISTRY = "127.0.0.1:5000";
export const REGISTRY_URL = `http://${REGISTRY}`;

/** The local SSH deploy target. */
export const SSH = {
  host: "127.0.0.1",
  port: 2222,
  user: "root",
  keyPath: path.join(STATE_DIR, "ssh", "id_ed25519"),
  knownHostsPath: path.join(STATE_DIR, "ssh", "known_hosts"),
} as const;

/** Standalone buildkitd and the buildx builder (driver remote) pointing at it. */
export const BUILDKIT_SOCKET = `unix://${path.join(STATE_DIR, "buildkit", "buildkitd.sock")}`;
export const BUILDX_BUILDER = "slipway";

export const ALL_SERVICES = [
  "binfmt",
  "docker",
  "registry",
  "sshd",
  "buildkitd",
  "cluster",
] as const;
export type ServiceName = (typeof ALL_SERVICES)[number];

export type ServiceState = "started" | "already running" | "skipped" | "FAILED";

export interface ServiceResult {
  state: ServiceState;
  /** The whole line services.sh printed for this service, without the name. */
  detail: string;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** Run a command without a shell; never rejects on a non-zero exit. */
export function run(
  file: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      [...args],
      {
        cwd: opts.cwd ?? REPO_ROOT,
        timeout: opts.timeoutMs ?? 300_000,
        env: opts.env ?? process.env,
        maxBuffer: 64 * 1024 * 1024,
        encoding: "utf8",
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") {
          // Spawn failure or timeout (code is a string or null then).
          const why = error.killed
            ? `timed out after ${opts.timeoutMs ?? 300_000} ms`
            : error.message;
          reject(new Error(`${file} ${args.join(" ")}: ${why}\n${stderr}`));
          return;
        }
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}

/** Run a command and reject (with its output) unless it exits 0. */
export async function runOk(
  file: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  const r = await run(file, args, opts);
  if (r.code !== 0) {
    throw new Error(
      `${file} ${args.join(" ")} exited ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`,
    );
  }
  return r;
}

/** Parse services.sh output lines "<service>: <state>[ (...)]". */
export function parseServiceReport(stdout: string): Partial<Record<ServiceName, ServiceResult>> {
  const out: Partial<Record<ServiceName, ServiceResult>> = {};
  for (const line of stdout.split("\n")) {
    const m = /^([a-z]+): (.*)$/.exec(line.trim());
    if (!m) continue;
    const name = m[1] as ServiceName;
    const detail = m[2] ?? "";
    if (!(ALL_SERVICES as readonly string[]).includes(name)) continue;
    let state: ServiceState;
    if (detail.startsWith("started")) state = "started";
    else if (detail.startsWith("already running")) state = "already running";
    else if (detail.startsWith("skipped")) state = "skipped";
    else state = "FAILED";
    out[name] = { state, detail };
  }
  return out;
}

let holdCounter = 0;

export interface ServicesHandle {
  /** Per-service result of `services.sh up` (filled in by the before hook). */
  results: Partial<Record<ServiceName, ServiceResult>>;
  /** True when the service is up (started now or already running). */
  isUp(name: ServiceName): boolean;
}

/**
 * Start services (idempotent) and return the parsed report. Throws with the
 * full report when services.sh fails or a required service did not come up.
 * Optional services may be skipped or fail without throwing. With `holdId`,
 * the services are held for this process (`services.sh up --hold`): see
 * servicesRelease.
 */
export async function servicesUp(
  required: readonly ServiceName[],
  optional: readonly ServiceName[] = [],
  holdId?: string,
): Promise<Partial<Record<ServiceName, ServiceResult>>> {
  const results: Partial<Record<ServiceName, ServiceResult>> = {};
  const report: string[] = [];
  const hold = holdId ? ["--hold", holdId, "--pid", String(process.pid)] : [];
  const invoke = async (names: readonly ServiceName[], mustWork: boolean) => {
    if (names.length === 0) return;
    const r = await run(SERVICES_SH, ["up", ...hold, ...names], { timeoutMs: 400_000 });
    Object.assign(results, parseServiceReport(r.stdout));
    report.push(r.stdout.trim(), r.stderr.trim());
    const bad = names.filter((n) => {
      const state = results[n]?.state;
      return state !== "started" && state !== "already running";
    });
    if (mustWork && (r.code !== 0 || bad.length > 0)) {
      throw new Error(
        `scripts/services.sh up ${names.join(" ")} failed (exit ${r.code}; not up: ${bad.join(", ") || "-"}).\n` +
          `${report.filter(Boolean).join("\n")}\n` +
          `Logs are in ${path.join(STATE_DIR, "logs")}. ` +
          `Is the system set up (scripts/install-system.sh) and are we root?`,
      );
    }
  };
  await invoke(required, true);
  await invoke(optional, false);
  return results;
}

/**
 * Drop a hold taken by servicesUp. When no other live process holds
 * services, services.sh stops those it started on behalf of holders (never
 * services that were already running before).
 */
export async function servicesRelease(holdId: string): Promise<RunResult> {
  return run(SERVICES_SH, ["release", holdId], { timeoutMs: 180_000 });
}

/** Stop the given services (services.sh down stops only what it started). */
export async function servicesDown(names: readonly ServiceName[]): Promise<RunResult> {
  return run(SERVICES_SH, ["down", ...names], { timeoutMs: 180_000 });
}

/**
 * Register mocha before/after hooks for a suite: start `required` services
 * (failing the suite clearly if one cannot start) and `optional` ones (e.g.
 * buildkitd, skipped when its binary is missing), holding them for this
 * process. `after` releases the hold: services that this or another test run
 * started are stopped once no live test process holds them any more, so
 * parallel test runs do not stop dockerd under each other, and a developer's
 * already-running services are never stopped. SLIPWAY_KEEP_SERVICES=1 takes
 * no hold, so whatever the tests start keeps running.
 */
export function useServices(
  required: readonly ServiceName[],
  opts: { optional?: readonly ServiceName[] } = {},
): ServicesHandle {
  const handle: ServicesHandle = {
    results: {},
    isUp(name) {
      const s = handle.results[name]?.state;
      return s === "started" || s === "already running";
    },
  };
  const keep = process.env.SLIPWAY_KEEP_SERVICES === "1";
  const holdId = `mocha-${process.pid}-${++holdCounter}`;

  before(async function () {
    this.timeout(600_000);
    handle.results = await servicesUp(required, opts.optional ?? [], keep ? undefined : holdId);
  });

  after(async function () {
    this.timeout(180_000);
    if (keep) return;
    const r = await servicesRelease(holdId);
    if (r.code !== 0) {
      throw new Error(`scripts/services.sh release ${holdId} failed:\n${r.stdout}\n${r.stderr}`);
    }
  });

  return handle;
}

/** ssh options for the local deploy target (key only, pinned host key). */
export function sshArgs(): string[] {
  return [
    "-i",
    SSH.keyPath,
    "-p",
    String(SSH.port),
    "-o",
    "BatchMode=yes",
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    `UserKnownHostsFile=${SSH.knownHostsPath}`,
    "-o",
    "GlobalKnownHostsFile=/dev/null",
    "-o",
    "ConnectTimeout=10",
    "-o",
    "LogLevel=ERROR",
    `${SSH.user}@${SSH.host}`,
  ];
}

/** Run a shell command on the local deploy target over ssh. */
export function sshExec(command: string, opts: RunOptions = {}): Promise<RunResult> {
  return run("ssh", [...sshArgs(), command], opts);
}

/** A tag that no other run uses: <prefix>-<time>-<random>. */
export function uniqueTag(prefix = "t"): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** `pulumi destroy --stack STACK` in `cwd` with the engine environment `env` (never throws). */
export function pulumiDestroy(
  stack: string,
  cwd: string,
  env: Record<string, string>,
): Promise<RunResult> {
  return run("bash", ["-c", `pulumi destroy --stack ${stack} --yes --non-interactive`], {
    cwd,
    env: { ...process.env, ...env },
    timeoutMs: 600_000,
  });
}

/** Names of the containers, running or not, whose name starts with `prefix`; sorted. */
export async function containerNames(prefix: string): Promise<string[]> {
  const listed = await runOk("docker", [
    "ps",
    "-a",
    "--format",
    "{{.Names}}",
    "--filter",
    `name=^${prefix}`,
  ]);
  return listed.stdout.split("\n").filter(Boolean).sort();
}

/** Put the busybox binaries into examples/app/bin (scripts/fetch-busybox.sh, idempotent). */
export async function ensureBusybox(): Promise<void> {
  await runOk(FETCH_BUSYBOX_SH, [], { timeoutMs: 300_000 });
}

export const MANIFEST_ACCEPT = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

export interface ManifestResponse {
  digest: string;
  mediaType: string;
  body: {
    mediaType?: string;
    manifests?: {
      digest: string;
      mediaType: string;
      platform?: { os: string; architecture: string; variant?: string };
      annotations?: Record<string, string>;
    }[];
  };
}

/** GET a manifest (tag or digest) from the local registry. */
export async function getManifest(
  repository: string,
  reference: string,
): Promise<ManifestResponse> {
  const res = await fetch(`${REGISTRY_URL}/v2/${repository}/manifests/${reference}`, {
    headers: { Accept: MANIFEST_ACCEPT },
  });
  if (!res.ok) {
    throw new Error(
      `GET manifest ${repository}:${reference}: HTTP ${res.status} ${await res.text()}`,
    );
  }
  return {
    digest: res.headers.get("docker-content-digest") ?? "",
    mediaType: res.headers.get("content-type") ?? "",
    body: (await res.json()) as ManifestResponse["body"],
  };
}

/** DELETE a manifest by digest from the local registry (delete is enabled). */
export async function deleteManifest(repository: string, digest: string): Promise<number> {
  const res = await fetch(`${REGISTRY_URL}/v2/${repository}/manifests/${digest}`, {
    method: "DELETE",
  });
  await res.text();
  return res.status;
}

/**
 * Builds a tiny release image (`FROM scratch` + a file that differs per release) with the
 * `slipway` builder (the standalone buildkitd the stacks build with; start it with the
 * `buildkitd` service), pushes it to `repository` with `tags`, and returns its digest. A
 * single-platform image is pushed without provenance, so it is a plain manifest.
 */
export async function pushScratchRelease(options: {
  readonly work: string;
  readonly repository: string;
  readonly name: string;
  readonly tags: readonly string[];
  readonly platforms: string;
  readonly content: string;
}): Promise<string> {
  const { work, repository, name, tags, platforms } = options;
  const context = path.join(work, `context-${name}`);
  fs.mkdirSync(context, { recursive: true });
  fs.writeFileSync(path.join(context, "Dockerfile"), "FROM scratch\nCOPY release /release\n");
  fs.writeFileSync(path.join(context, "release"), options.content);
  const metadata = path.join(work, `metadata-${name}.json`);
  await runOk(
    "docker",
    [
      "buildx",
      "build",
      // Not the default (docker driver) builder: with the containerd image store it pushes a
      // second time through the daemon even with an image output, and two pushes of one tag
      // can leave the registry's tag link torn (a HEAD of the tag then answers 500).
      "--builder",
      "slipway",
      "--platform",
      platforms,
      ...(platforms.includes(",") ? [] : ["--provenance=false"]),
      ...tags.flatMap((tag) => ["--tag", `${repository}:${tag}`]),
      "--metadata-file",
      metadata,
      "--output",
      "type=image,push=true,registry.insecure=true",
      context,
    ],
    { timeoutMs: 300_000 },
  );
  return (JSON.parse(fs.readFileSync(metadata, "utf8")) as Record<string, string>)[
    "containerimage.digest"
  ]!;
}

/**
 * The environment the `pulumi` CLI and `slipway` need for a throwaway project: this machine's
 * engine (scripts/pulumi-env.sh) on a file backend under `stateDir`, with a fixed passphrase.
 */
export async function pulumiEnv(stateDir: string): Promise<NodeJS.ProcessEnv> {
  const engine = path.join(SLIPWAY_HOME, "bin", "pulumi");
  if (!fs.existsSync(engine)) {
    throw new Error(`no Pulumi engine at ${engine}; run scripts/bootstrap-engine.sh`);
  }
  const sourced = await runOk(
    "bash",
    ["-c", `. ${path.join(REPO_ROOT, "scripts", "pulumi-env.sh")} && env -0`],
    {
      env: {
        ...process.env,
        PULUMI_BACKEND_URL: `file://${stateDir}`,
        PULUMI_CONFIG_PASSPHRASE: "slipway-test",
      },
    },
  );
  return Object.fromEntries(
    sourced.stdout
      .split("\0")
      .filter((line) => line.includes("="))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
}
