/**
 * What the deploy integration tests and the deploy benchmark share: releases built from app/
 * and proxy/ and pushed to the local registry, the generated script run over SSH exactly as
 * `remote.Command` runs it (the script as the command, the payload on stdin) or locally as
 * `local.Command` does (`/bin/sh -c`), and a request loop against the published port.
 */
import { spawn } from "node:child_process";
import * as http from "node:http";
import * as net from "node:net";
import * as path from "node:path";
import { renderPayload, type ServiceDefinition } from "../../src/deploy";
import {
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
  readonly proxy: Release;
  /** Repository path prefix in the registry, e.g. `slipway-it/deploy-<tag>`. */
  readonly namespace: string;
}

/** Builds `context` (app/ or proxy/) for this machine's platform, pushes it, drops it locally. */
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

/** Builds releases A and B (distinct content), a broken one and the proxy; pushes all four. */
export async function buildReleases(prefix: string): Promise<ReleaseSet> {
  const tag = uniqueTag(prefix);
  const namespace = `slipway-it/${tag}`;
  const web = `${namespace}/web`;
  const a = await buildAndPush(web, "a", "app", { APP_RELEASE: `${tag}-a` }, "prod");
  const b = await buildAndPush(web, "b", "app", { APP_RELEASE: `${tag}-b` }, "prod");
  const broken = await buildAndPush(
    web,
    "broken",
    "app",
    { APP_RELEASE: `${tag}-broken`, HEALTH: "broken" },
    "prod",
  );
  const proxy = await buildAndPush(`${namespace}/proxy`, "1", "proxy", {});
  return { a, b, broken, proxy, namespace };
}

/** Removes the releases' images from the engine (the registry keeps them). */
export async function removeImages(releases: readonly Release[]): Promise<void> {
  for (const release of releases) {
    await run("docker", ["image", "rm", "--force", release.ref]);
  }
}

export interface ScriptRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

export type Via = "ssh" | "local";

/**
 * Starts a generated script as the deploy target runs it: over SSH the script text is the
 * remote command and the payload goes to stdin (remote.Command); locally `/bin/sh -c` with the
 * payload on stdin (local.Command). `kill` ends the client (the SSH connection), not the host side.
 */
export function startScript(
  script: string,
  stdin: string,
  via: Via = "ssh",
): { done: Promise<ScriptRun>; kill: () => void; stdout: () => string } {
  const started = process.hrtime.bigint();
  const child =
    via === "ssh"
      ? spawn("ssh", [...sshArgs(), script], { stdio: ["pipe", "pipe", "pipe"] })
      : spawn("/bin/sh", ["-c", script], { stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
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
      }),
    );
  });
  return { done, kill: () => child.kill("SIGKILL"), stdout: () => stdout };
}

export function runScript(script: string, stdin: string, via: Via = "ssh"): Promise<ScriptRun> {
  return startScript(script, stdin, via).done;
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
export function get(
  port: number,
  urlPath: string,
  timeoutMs = 5000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      { host: "127.0.0.1", port, path: urlPath, agent: false, timeout: timeoutMs },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (body += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
        response.on("error", reject);
      },
    );
    request.on("timeout", () => request.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    request.on("error", reject);
  });
}

export interface LoadResult {
  readonly requests: number;
  readonly failures: number;
  /** Failure reasons, at most 20. */
  readonly errors: string[];
  /** How many answers each body (the release version) got. */
  readonly versions: Record<string, number>;
}

/**
 * Hits `port` with `workers` parallel request loops until stopped. A request fails when it
 * errors, times out or does not answer 200.
 */
export function loadLoop(
  port: number,
  urlPath = "/cgi-bin/version",
  workers = 4,
): { stop: () => Promise<LoadResult> } {
  let running = true;
  let requests = 0;
  let failures = 0;
  const errors: string[] = [];
  const versions: Record<string, number> = {};
  const worker = async () => {
    while (running) {
      requests++;
      try {
        const { status, body } = await get(port, urlPath);
        if (status === 200) {
          const version = body.trim();
          versions[version] = (versions[version] ?? 0) + 1;
        } else {
          failures++;
          if (errors.length < 20) errors.push(`HTTP ${status}`);
        }
      } catch (error) {
        failures++;
        if (errors.length < 20) errors.push((error as Error).message);
      }
    }
  };
  const all = Promise.all(Array.from({ length: workers }, worker));
  return {
    stop: async () => {
      running = false;
      await all;
      return { requests, failures, errors, versions };
    },
  };
}

/** A definition for the local sshd/engine, service `service` on `port`. */
export function localDefinition(
  service: string,
  port: number,
  release: Release,
  proxy: Release,
  overrides: Partial<ServiceDefinition> = {},
): ServiceDefinition {
  return {
    host: "local",
    stack: "it",
    service,
    image: "web",
    ref: release.ref,
    revision: release.version,
    proxyRef: proxy.ref,
    containerPort: 8080,
    publishedPort: port,
    healthPath: "/healthz",
    healthTimeoutSeconds: 5,
    keepReleases: 2,
    env: {},
    secretEnvNames: [],
    stateRoot: "/var/lib/slipway",
    ...overrides,
  };
}
