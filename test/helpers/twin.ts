/**
 * A twin of the project for the e2e group and the release benchmark: a copy of the tracked
 * files (plus the binaries the images copy) in its own git repository, with its own Pulumi
 * backend, its own edge (name and ports) and service names, so a developer's own local
 * stacks and working tree are never touched. Everything runs the path a user runs: the real
 * engine through the Automation API, and `node bin/slipway.js` for the CLI.
 */
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import { parseDocument } from "yaml";
import { REPO_ROOT, SLIPWAY_HOME } from "./services";

/** Build products the images copy; not tracked by git. */
const BINARIES = [
  ...["app", "edge"].flatMap((dir) =>
    ["amd64", "arm64"].flatMap((arch) =>
      ["busybox", "caddy"].map((bin) => path.join("examples", dir, "bin", arch, bin)),
    ),
  ),
  ...["amd64", "arm64"].flatMap((arch) => [
    path.join("examples", "api", "bin", `${arch}.tar`),
    path.join("examples", "accessories", "postgres", "rootfs", `${arch}.tar`),
    path.join("examples", "accessories", "redis", "rootfs", `${arch}.tar`),
  ]),
];

/** The YAML map at `path` with each key renamed by `rename` (order and values kept). */
function renameKeys(
  doc: ReturnType<typeof parseDocument>,
  at: readonly string[],
  rename: (key: string) => string,
): void {
  const map = doc.getIn(at) as { items: { key: { value: string } | string }[] } | undefined;
  for (const item of map?.items ?? []) {
    if (typeof item.key === "string") {
      item.key = rename(item.key);
    } else {
      item.key.value = rename(item.key.value);
    }
  }
}

export interface TwinOptions {
  /** Registry namespace of the twin's images. */
  readonly namespace: string;
  /** Prefix of the twin's service names (`<prefix>-web`, `<prefix>-web-prod`). */
  readonly prefix: string;
  /** The twin's edge: name and HTTP/HTTPS ports on 127.0.0.1. */
  readonly edge: string;
  readonly httpPort: number;
  readonly httpsPort: number;
}

export interface Twin {
  readonly dir: string;
  readonly backend: string;
  readonly env: Record<string, string>;
  /** Host name local-prod's service answers on the twin's edge. */
  readonly promoteHost: string;
  stack(name: string): Promise<Stack>;
  /** Edits a stack file with the yaml Document API (comments stay). */
  edit(stack: string, change: (doc: ReturnType<typeof parseDocument>) => void): void;
  git(...args: string[]): string;
  /** `node bin/slipway.js ARGS` in the twin, as a person runs it (never blocks the event loop). */
  slipway(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** `bash -c SCRIPT` in the twin with the engine environment (scripts/pulumi-env.sh). */
  shell(script: string): { code: number; output: string };
  remove(): void;
}

/** The engine environment of scripts/pulumi-env.sh, with `backend` (a folder) as its backend. */
export function engineEnv(backend: string): Record<string, string> {
  const out = execFileSync(
    "bash",
    [
      "-c",
      `export PULUMI_BACKEND_URL='file://${backend}' PULUMI_CONFIG_PASSPHRASE=''; . scripts/pulumi-env.sh; env -0`,
    ],
    { cwd: REPO_ROOT, encoding: "utf8" },
  );
  const env: Record<string, string> = {};
  for (const entry of out.split("\0")) {
    const eq = entry.indexOf("=");
    if (eq > 0) {
      env[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
  }
  return env;
}

function editStack(
  dir: string,
  stack: string,
  change: (doc: ReturnType<typeof parseDocument>) => void,
): void {
  const file = path.join(dir, `Pulumi.${stack}.yaml`);
  const doc = parseDocument(fs.readFileSync(file, "utf8"));
  change(doc);
  fs.writeFileSync(file, doc.toString());
}

/** Makes the twin: copies, rewires names and ports, commits `message`. */
export function makeTwin(options: TwinOptions, message = "twin: release r1"): Twin {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `slipway-${options.prefix}-`));
  const files = execFileSync("git", ["ls-files", "-z"], { cwd: REPO_ROOT, encoding: "utf8" })
    .split("\0")
    .filter(Boolean);
  for (const file of [...files, ...BINARIES]) {
    const from = path.join(REPO_ROOT, file);
    if (!fs.existsSync(from)) {
      continue;
    }
    const to = path.join(dir, file);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(from, to);
    fs.chmodSync(to, fs.statSync(from).mode);
    // Same content, same digest: keep the time the fetch scripts gave the binaries.
    const stat = fs.statSync(from);
    fs.utimesSync(to, stat.atime, stat.mtime);
  }
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"));
  // The program and the CLI as `npm run build` compiled them (stacks/main.js and bin/slipway.js
  // run dist/ when it is current), as a user's checkout has them after `npm ci`.
  if (fs.existsSync(path.join(REPO_ROOT, "dist"))) {
    fs.cpSync(path.join(REPO_ROOT, "dist"), path.join(dir, "dist"), {
      recursive: true,
      preserveTimestamps: true,
    });
  }
  const promoteHost = `${options.prefix}-web-prod.localhost`;
  editStack(dir, "local", (doc) => {
    doc.setIn(["config", "slipway:registry", "namespace"], options.namespace);
    renameKeys(doc, ["config", "slipway:services"], (key) => `${options.prefix}-${key}`);
    doc.setIn(
      ["config", "slipway:services", `${options.prefix}-api`, "routes", 0, "host"],
      `${options.prefix}-api.localhost`,
    );
    doc.setIn(["config", "slipway:network"], `${options.prefix}-local`);
    doc.setIn(["config", "slipway:edge", "name"], options.edge);
    doc.setIn(["config", "slipway:edge", "httpPort"], options.httpPort);
    doc.setIn(["config", "slipway:edge", "httpsPort"], options.httpsPort);
    doc.setIn(["config", "slipway:images", "web", "build", "args"], { APP_RELEASE: "r1" });
  });
  editStack(dir, "local-prod", (doc) => {
    doc.setIn(["config", "slipway:registry", "namespace"], options.namespace);
    renameKeys(doc, ["config", "slipway:services"], (key) => `${options.prefix}-${key}`);
    doc.setIn(
      ["config", "slipway:services", `${options.prefix}-web-prod`, "routes", 0, "host"],
      promoteHost,
    );
    doc.setIn(
      ["config", "slipway:services", `${options.prefix}-api-prod`, "routes", 0, "host"],
      `${options.prefix}-api-prod.localhost`,
    );
    doc.setIn(["config", "slipway:network"], `${options.prefix}-local-prod`);
    doc.setIn(["config", "slipway:edge"], doc.createNode({ name: options.edge }));
  });
  const backend = fs.mkdtempSync(path.join(os.tmpdir(), `slipway-${options.prefix}-backend-`));
  const env = engineEnv(backend);
  const git = (...args: string[]) =>
    execFileSync(
      "git",
      ["-c", "user.name=twin", "-c", "user.email=twin@slipway.invalid", ...args],
      { cwd: dir, encoding: "utf8" },
    ).trim();
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-q", "-m", message);
  let command: PulumiCommand | undefined;
  return {
    dir,
    backend,
    env,
    promoteHost,
    async stack(name) {
      command ??= await PulumiCommand.get({ root: SLIPWAY_HOME, skipVersionCheck: true });
      return LocalWorkspace.createOrSelectStack(
        { stackName: name, workDir: dir },
        { envVars: env, pulumiCommand: command },
      );
    },
    edit: (stack, change) => editStack(dir, stack, change),
    git,
    slipway(...args) {
      return new Promise((resolve) => {
        const child = spawn("node", [path.join(dir, "bin", "slipway.js"), ...args], {
          cwd: dir,
          env: { ...process.env, ...env },
          stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
        child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
      });
    },
    shell(script) {
      try {
        const output = execFileSync("bash", ["-c", `. scripts/pulumi-env.sh && ${script}`], {
          cwd: dir,
          env: { ...process.env, ...env },
          encoding: "utf8",
          stdio: ["ignore", "pipe", "pipe"],
        });
        return { code: 0, output };
      } catch (error) {
        const failed = error as { status: number; stdout: string; stderr: string };
        return { code: failed.status, output: `${failed.stdout}\n${failed.stderr}` };
      }
    },
    remove() {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(backend, { recursive: true, force: true });
    },
  };
}

/**
 * Turns a twin's `local-k8s` or `local-k8s-prod` file (the local service set on the cluster)
 * into one web service behind a NodePort, two pods: the shape the single-service Kubernetes
 * e2e file and the release benchmark measure. `name` is the promote twin's service name.
 */
export function webOnly(doc: ReturnType<typeof parseDocument>, name?: string): void {
  for (const image of ["api", "postgres", "redis"]) {
    doc.deleteIn(["config", "slipway:images", image]);
  }
  // Labels from the commit, as before the service set: every release commit is a new digest.
  if (doc.hasIn(["config", "slipway:images", "web", "build"])) {
    doc.deleteIn(["config", "slipway:images", "web", "build", "stamp"]);
  }
  doc.deleteIn(["config", "slipway:services"]);
  doc.deleteIn(["config", "slipway:accessories"]);
  doc.deleteIn(["config", "slipway:kubernetes", "ingressClassName"]);
  doc.deleteIn(["config", "slipway:kubernetes", "volumeSize"]);
  doc.setIn(["config", "slipway:kubernetes", "replicas"], 2);
  doc.setIn(
    ["config", "slipway:services"],
    doc.createNode({
      [name ?? "web"]: {
        image: "web",
        containerPort: 8080,
        healthPath: "/healthz",
        healthTimeoutSeconds: 30,
        drainSeconds: 2,
        routes: [{}],
      },
    }),
  );
}
