/**
 * What the deploy and edge integration tests and the deploy benchmark share: releases built
 * from examples/app/ and the edge image from examples/edge/, pushed to the local registry; the generated scripts
 * run exactly as the resources run them (over SSH: `BOOTSTRAP_COMMAND` as the remote command,
 * `bootstrapStdin(script, payload)` on stdin, like `remote.Command`; locally the same through
 * `/bin/sh -c`, like `local.Command`; a delete runs its script text as the command); and
 * request loads against the edge's published port, by Host header, fresh or keep-alive.
 */
import { spawn } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import type { RouteConfig } from "../../src/config";
import {
  BOOTSTRAP_COMMAND,
  bootstrapStdin,
  edgeRemoveScript,
  renderPayload,
  stopScript,
  type EdgeDefinition,
  type ServiceDefinition,
} from "../../src/deploy";
import { loadLoop, request, type LoadResult } from "../helpers/load";

// The request loop and the one request live in test/helpers/load.ts (benches use them too).
export {
  loadLoop,
  request,
  type Answer,
  type LoadOptions,
  type LoadResult,
  type RequestOptions,
  type Sample,
} from "../helpers/load";
import {
  deleteManifest,
  getManifest,
  REGISTRY,
  REPO_ROOT,
  run,
  runOk,
  sshArgs,
  uniqueTag,
} from "../helpers/services";

export interface Release {
  /** `repository@sha256:…`. */
  readonly ref: string;
  readonly digest: string;
  /** What GET /cgi-bin/version answers. */
  readonly version: string;
}

export interface ReleaseSet {
  readonly a: Release;
  readonly b: Release;
  /** Starts, but /healthz answers 404. */
  readonly broken: Release;
  /** The edge image (Caddy), built from examples/edge/. */
  readonly edge: Release;
  /** Repository path prefix in the registry, e.g. `slipway-it/deploy-<tag>`. */
  readonly namespace: string;
}

/** Builds `context` (examples/app or examples/edge) for this machine's platform, pushes it, drops it locally. */
export async function buildAndPush(
  repository: string,
  tag: string,
  context: string,
  buildArgs: Record<string, string>,
  target?: string,
): Promise<Release> {
  const reference = `${REGISTRY}/${repository}:${tag}`;
  await runOk(
    "docker",
    [
      "build",
      "--quiet",
      "--tag",
      reference,
      ...(target === undefined ? [] : ["--target", target]),
      ...Object.entries(buildArgs).flatMap(([key, value]) => ["--build-arg", `${key}=${value}`]),
      path.join(REPO_ROOT, context),
    ],
    { timeoutMs: 300_000 },
  );
  await runOk("docker", ["push", "--quiet", reference], { timeoutMs: 300_000 });
  // Off the engine again: the first deploy must pull by digest like a fresh host.
  await runOk("docker", ["image", "rm", reference]);
  const digest = (await getManifest(repository, tag)).digest;
  return {
    ref: `${REGISTRY}/${repository}@${digest}`,
    digest,
    version: buildArgs.APP_RELEASE ?? "",
  };
}

/** Builds releases A and B (distinct content), a broken one and the edge; pushes all four. */
export async function buildReleases(prefix: string): Promise<ReleaseSet> {
  await runOk(path.join(REPO_ROOT, "scripts", "fetch-busybox.sh"), [], { timeoutMs: 300_000 });
  await runOk(path.join(REPO_ROOT, "scripts", "fetch-edge.sh"), [], { timeoutMs: 300_000 });
  const tag = uniqueTag(prefix);
  const namespace = `slipway-it/${tag}`;
  const web = `${namespace}/web`;
  const a = await buildAndPush(web, "a", "examples/app", { APP_RELEASE: `${tag}-a` }, "prod");
  const b = await buildAndPush(web, "b", "examples/app", { APP_RELEASE: `${tag}-b` }, "prod");
  const broken = await buildAndPush(
    web,
    "broken",
    "examples/app",
    { APP_RELEASE: `${tag}-broken`, HEALTH: "broken" },
    "prod",
  );
  const edge = await buildAndPush(`${namespace}/edge`, "1", "examples/edge", {});
  return { a, b, broken, edge, namespace };
}

let shared: Promise<ReleaseSet> | undefined;

/** One release set for every suite of this test process, built at first use. */
export function sharedReleases(): Promise<ReleaseSet> {
  shared ??= buildReleases("it");
  return shared;
}

// A root hook (mocha loads this module while it reads the spec files): the shared set goes
// from the engine and the registry once every suite is done.
if (typeof after === "function") {
  after(async function () {
    this.timeout(120_000);
    const set = await shared?.catch(() => undefined);
    if (set !== undefined) await removeReleaseSet(set);
  });
}

/** Removes the releases' images from the engine (the registry keeps them). */
export async function removeImages(releases: readonly Release[]): Promise<void> {
  for (const release of releases) {
    await run("docker", ["image", "rm", "--force", release.ref]);
  }
}

/** Removes the set's images from the engine and its manifests (tags) from the registry. */
export async function removeReleaseSet(set: ReleaseSet): Promise<void> {
  const all = [set.a, set.b, set.broken, set.edge];
  await removeImages(all);
  for (const release of all) {
    const [name] = release.ref.split("@") as [string];
    await deleteManifest(name.slice(`${REGISTRY}/`.length), release.digest).catch(() => 0);
  }
}

export interface ScriptRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
  /** Each stdout line with when it arrived here (performance.now(), ms). */
  readonly lines: readonly { readonly at: number; readonly text: string }[];
}

export type Via = "ssh" | "local";

function spawnOn(command: string, via: Via) {
  return via === "ssh"
    ? spawn("ssh", [...sshArgs(), command], { stdio: ["pipe", "pipe", "pipe"] })
    : spawn("/bin/sh", ["-c", command], { stdio: ["pipe", "pipe", "pipe"] });
}

/**
 * Starts a command on the target as the resources do, `stdin` written and closed. `kill`
 * ends the client (the SSH connection), not the host side.
 */
function startCommand(
  command: string,
  stdin: string,
  via: Via,
): { done: Promise<ScriptRun>; kill: () => void; stdout: () => string } {
  const started = process.hrtime.bigint();
  const child = spawnOn(command, via);
  let stdout = "";
  let stderr = "";
  let partial = "";
  const lines: { at: number; text: string }[] = [];
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    const at = performance.now();
    stdout += chunk;
    const parts = (partial + chunk).split("\n");
    partial = parts.pop()!;
    lines.push(...parts.map((text) => ({ at, text })));
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  child.stdin.on("error", () => undefined);
  child.stdin.end(stdin);
  const done = new Promise<ScriptRun>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) =>
      resolve({
        code: code ?? (signal === null ? -1 : 128),
        stdout,
        stderr,
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
        lines,
      }),
    );
  });
  return { done, kill: () => child.kill("SIGKILL"), stdout: () => stdout };
}

/**
 * A create/update script as the resources run it: the command is BOOTSTRAP_COMMAND, the
 * script and then `input` (the payload) come on stdin.
 */
export function startScript(
  script: string,
  input = "",
  via: Via = "ssh",
): { done: Promise<ScriptRun>; kill: () => void; stdout: () => string } {
  return startCommand(BOOTSTRAP_COMMAND, bootstrapStdin(script, input), via);
}

export function runScript(script: string, input = "", via: Via = "ssh"): Promise<ScriptRun> {
  return startScript(script, input, via).done;
}

/** A delete script (stop, edge removal) as the resources run it: its text is the command. */
export function runDelete(script: string, via: Via = "ssh"): Promise<ScriptRun> {
  return startCommand(script, "", via).done;
}

/** The last line a failed script printed on stderr: its one-line cause. */
export function cause(run: ScriptRun): string | undefined {
  return run.stderr.trim().split("\n").pop();
}

/** The payload HostDeployment would send for these secrets. */
export function payloadFor(secretEnv: Record<string, string>, registryPassword?: string): string {
  return renderPayload({
    ...(registryPassword === undefined ? {} : { registryPassword }),
    secretEnv,
  });
}

/** A port in [from, from + 200) nothing listens on. */
export async function freePort(from: number): Promise<number> {
  for (let port = from; port < from + 200; port++) {
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once("error", () => resolve(false));
      server.listen(port, "0.0.0.0", () => server.close(() => resolve(true)));
    });
    if (free) {
      return port;
    }
  }
  throw new Error(`no free port in ${from}..${from + 199}`);
}

/** One GET on a fresh connection (no keep-alive), like most health checkers and curl. */
export async function get(
  port: number,
  urlPath: string,
  timeoutMs = 5000,
): Promise<{ status: number; body: string }> {
  const { status, body } = await request(port, urlPath, { timeoutMs });
  return { status, body };
}

/**
 * Waits until no replaced release is still draining or stopping in the background under
 * `stateRoot` on this machine (each deploy's `retire` holds `<service>/retire.lock`).
 */
export async function retiresSettled(stateRoot = "/var/lib/slipway"): Promise<void> {
  await runOk("sh", [
    "-c",
    'for lock in "$1"/*/retire.lock; do [ -f "$lock" ] && flock "$lock" true; done; exit 0',
    "sh",
    stateRoot,
  ]);
}

/**
 * Runs `action` under a keep-alive load (`sockets` sockets) and a fresh-connection loop at
 * once, both requesting `urlPath` with Host `host`.
 */
export async function underLoad<T>(
  port: number,
  host: string,
  action: () => Promise<T>,
  sockets = 4,
  urlPath = "/cgi-bin/version",
): Promise<{
  result: T;
  loads: [LoadResult, LoadResult];
  keepAlive: LoadResult;
  fresh: LoadResult;
}> {
  const keepAlive = loadLoop(port, urlPath, sockets, { host, keepAlive: true });
  const fresh = loadLoop(port, urlPath, 2, { host });
  await sleep(500);
  let result: T;
  try {
    result = await action();
    // Replaced releases stop in the background after their drain: the load runs through it.
    await retiresSettled();
  } finally {
    await sleep(500);
  }
  const loads: [LoadResult, LoadResult] = [await keepAlive.stop(), await fresh.stop()];
  return { result, loads, keepAlive: loads[0], fresh: loads[1] };
}

/** The loads in one line, for assertion messages. */
export function loadReport(loads: readonly LoadResult[]): string {
  return loads
    .map((l) => `${l.requests} requests, ${l.failures} failed ${l.errors.slice(0, 5).join("; ")}`)
    .join(" | ");
}

/** The first stdout line of `run` that matches `pattern`. */
export function lineOf(run: ScriptRun, pattern: RegExp): { at: number; text: string } | undefined {
  return run.lines.find((line) => pattern.test(line.text));
}

/**
 * What contradicts "the served version changed once, from `from` to `to`, exactly when the
 * script said it switched" in `loads` run during `run`. `from` undefined: nothing was routed
 * before (answers before the switch are not counted). `to` equal to `from`: never switched.
 * The switch happened after the script's `started` line (a release container starting, well
 * before the switch) and before its `switched` line arrived here.
 */
export function switchProblems(
  run: ScriptRun,
  loads: readonly LoadResult[],
  from: string | undefined,
  to: string,
  started: RegExp = /: (starting|reusing) /,
): string[] {
  const samples = loads.flatMap((load) => load.samples);
  const problems: string[] = [];
  const switched = lineOf(run, /: switched \S+ to \S+ for \S+$/);
  const versions = new Set(samples.filter((s) => s.ok).map((s) => s.version));
  for (const version of versions) {
    if (version !== from && version !== to) problems.push(`answered ${JSON.stringify(version)}`);
  }
  if (from === to) {
    if (switched !== undefined) problems.push(`said ${JSON.stringify(switched.text)}`);
    const failed = samples.filter((s) => !s.ok).length;
    if (failed > 0) problems.push(`${failed} failed requests`);
    return problems;
  }
  if (switched === undefined) {
    return [...problems, "no 'switched' line"];
  }
  const newEnds = samples.filter((s) => s.ok && s.version === to).map((s) => s.end);
  const firstNew = Math.min(...newEnds);
  const old = samples.filter((s) => s.ok && s.version === from);
  const lastOldStart = Math.max(...old.map((s) => s.start), -Infinity);
  const counted = samples.filter((s) => from !== undefined || s.start > switched.at);
  const failed = counted.filter((s) => !s.ok).length;
  if (failed > 0) problems.push(`${failed} failed requests`);
  if (newEnds.length === 0) problems.push(`${to} never answered`);
  if (from !== undefined && old.length === 0) problems.push(`${from} never answered`);
  if (lastOldStart >= firstNew) problems.push("old and new answers interleave: not one switch");
  if (lastOldStart >= switched.at) problems.push("the old release answered after 'switched'");
  const startedLine = lineOf(run, started);
  if (startedLine === undefined) problems.push(`no line matching ${started}`);
  else if (firstNew <= startedLine.at) problems.push("the new release answered before it started");
  return problems;
}

/** The test's own edge on the local engine: ports 29080/29443 on loopback, internal CA. */
export function itEdge(image: string, overrides: Partial<EdgeDefinition> = {}): EdgeDefinition {
  return {
    name: "it-edge",
    bind: "127.0.0.1",
    httpPort: 29080,
    httpsPort: 29443,
    tls: "internal",
    image,
    stateRoot: "/var/lib/slipway",
    host: "local",
    stack: "it",
    ...overrides,
  };
}

/** Removes an edge of the tests: the removal script, then any container, network, volume left. */
export async function removeEdge(def: EdgeDefinition): Promise<void> {
  await runDelete(edgeRemoveScript(def));
  // Its records first, so the root's supervisor has nothing left to start again.
  await run("rm", ["-rf", path.posix.join(def.stateRoot, "_edge", def.name)]);
  // The edge's containers: its own name, a replaced one, and Caddy containers beside it.
  const ids = await run("docker", [
    "ps",
    "--all",
    "--quiet",
    "--filter",
    `name=^${def.name}($|-replaced$|-caddy-)`,
  ]);
  const list = ids.stdout.split("\n").filter(Boolean);
  if (list.length > 0) await run("docker", ["rm", "--force", ...list]);
  await run("docker", ["network", "rm", def.name]);
  await run("docker", ["volume", "rm", "--force", `${def.name}-data`]);
}

/** Removes a test's service: its stop script, then any container left with its label, its state. */
export async function removeService(
  service: string,
  stateRoot = "/var/lib/slipway",
  edge = "it-edge",
): Promise<void> {
  await runDelete(stopScript({ host: "local", stack: "it", service, stateRoot, edge }));
  const ids = await run("docker", [
    "ps",
    "--all",
    "--quiet",
    "--filter",
    `label=slipway.service=${service}`,
  ]);
  const list = ids.stdout.split("\n").filter(Boolean);
  if (list.length > 0) await run("docker", ["rm", "--force", ...list]);
  await run("rm", ["-rf", path.posix.join(stateRoot, service)]);
}

/** A definition for the local engine: `service` behind the edge `it-edge` at `<service>.localhost`. */
export function localDefinition(
  service: string,
  release: Release,
  overrides: Partial<ServiceDefinition> = {},
): ServiceDefinition {
  const routes: RouteConfig[] = [{ host: `${service}.localhost`, tls: false }];
  return {
    host: "local",
    stack: "it",
    service,
    image: "web",
    ref: release.ref,
    revision: release.version,
    edge: "it-edge",
    containerPort: 8080,
    routes,
    drainSeconds: 1,
    healthPath: "/healthz",
    healthTimeoutSeconds: 5,
    keepReleases: 2,
    rollbackWindowSeconds: 0,
    env: {},
    secretEnvNames: [],
    stateRoot: "/var/lib/slipway",
    network: "slipway-it",
    command: [],
    ...overrides,
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${timeoutMs} ms`);
    }
    await sleep(100);
  }
}

export function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
