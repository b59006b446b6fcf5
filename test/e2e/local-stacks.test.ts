/**
 * The whole delivery path with the real Pulumi engine, offline, on this machine: the local
 * stack builds the sample app and the proxy for amd64 and arm64 into the local registry and
 * deploys them over SSH; a second `up` changes nothing; `slipway promote` pins the local
 * stack's digests into the promote-role stack local-prod and updates it; a second release
 * goes out; `slipway rollback` returns local-prod to the first digest. The host serves each
 * expected release in turn.
 *
 * Runs in a copy of the project (its own git repository, backend and ports), so a
 * developer's own local stacks and the working tree are never touched.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  LocalWorkspace,
  PulumiCommand,
  type Stack,
  type UpResult,
} from "@pulumi/pulumi/automation";
import { parseDocument } from "yaml";
import {
  REGISTRY_URL,
  SLIPWAY_HOME,
  ensureBusybox,
  getManifest,
  run,
  useServices,
} from "../helpers/services";

const ROOT = path.resolve(__dirname, "..", "..");
const BUILD_PORT = 28080;
const PROMOTE_PORT = 28081;
const NAMESPACE = "slipway-e2e";

/** The engine environment of scripts/pulumi-env.sh, with this run's own backend. */
function engineEnv(backend: string): Record<string, string> {
  const out = execFileSync(
    "bash",
    [
      "-c",
      `export PULUMI_BACKEND_URL='file://${backend}' PULUMI_CONFIG_PASSPHRASE=''; . scripts/pulumi-env.sh; env -0`,
    ],
    { cwd: ROOT, encoding: "utf8" },
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

/** Edits a stack file of the copy with the yaml Document API (comments stay). */
function editStack(
  work: string,
  stack: string,
  edit: (doc: ReturnType<typeof parseDocument>) => void,
): void {
  const file = path.join(work, `Pulumi.${stack}.yaml`);
  const doc = parseDocument(fs.readFileSync(file, "utf8"));
  edit(doc);
  fs.writeFileSync(file, doc.toString());
}

function git(work: string, ...args: string[]): string {
  return execFileSync(
    "git",
    ["-c", "user.name=e2e", "-c", "user.email=e2e@slipway.invalid", ...args],
    {
      cwd: work,
      encoding: "utf8",
    },
  ).trim();
}

/** A copy of the tracked project (and the busybox binaries) in its own git repository. */
function copyProject(): string {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-e2e-"));
  const files = execFileSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8" })
    .split("\0")
    .filter(Boolean);
  for (const file of [
    ...files,
    "app/bin/amd64/busybox",
    "app/bin/arm64/busybox",
    "proxy/bin/amd64/busybox",
    "proxy/bin/arm64/busybox",
  ]) {
    const from = path.join(ROOT, file);
    if (!fs.existsSync(from)) {
      continue;
    }
    fs.mkdirSync(path.dirname(path.join(work, file)), { recursive: true });
    fs.copyFileSync(from, path.join(work, file));
    fs.chmodSync(path.join(work, file), fs.statSync(from).mode);
  }
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(work, "node_modules"));
  editStack(work, "local", (doc) => {
    doc.setIn(["config", "slipway:registry", "namespace"], NAMESPACE);
    doc.setIn(["config", "slipway:service", "name"], "e2e-web");
    doc.setIn(["config", "slipway:service", "publishedPort"], BUILD_PORT);
    doc.setIn(["config", "slipway:images", "web", "build", "args"], { APP_RELEASE: "r1" });
  });
  editStack(work, "local-prod", (doc) => {
    doc.setIn(["config", "slipway:registry", "namespace"], NAMESPACE);
    doc.setIn(["config", "slipway:service", "name"], "e2e-web-prod");
    doc.setIn(["config", "slipway:service", "publishedPort"], PROMOTE_PORT);
  });
  git(work, "init", "-q", "-b", "main");
  git(work, "add", "-A");
  git(work, "commit", "-q", "-m", "e2e: release r1");
  return work;
}

async function served(port: number, pathname: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}${pathname}`, {
    signal: AbortSignal.timeout(5000),
  });
  assert.equal(res.status, 200, `GET :${port}${pathname}`);
  return (await res.text()).trim();
}

function changes(result: UpResult): Record<string, number> {
  return Object.fromEntries(
    Object.entries(result.summary.resourceChanges ?? {}).filter(([, count]) => (count ?? 0) > 0),
  );
}

const timings: [string, number][] = [];
async function timed<T>(label: string, work: () => T | Promise<T>): Promise<T> {
  const start = Date.now();
  try {
    return await work();
  } finally {
    timings.push([label, (Date.now() - start) / 1000]);
  }
}

describe("the local stacks end to end with the real Pulumi engine", function () {
  this.timeout(1_800_000);
  useServices(["docker", "registry", "sshd", "binfmt", "buildkitd"]);

  let work: string;
  let backend: string;
  let env: Record<string, string>;
  let local: Stack;
  let release1: string;

  function slipway(...args: string[]): { code: number; stdout: string; stderr: string } {
    try {
      const stdout = execFileSync("node", [path.join(work, "bin", "slipway.js"), ...args], {
        cwd: work,
        env: { ...process.env, ...env },
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
      return { code: 0, stdout, stderr: "" };
    } catch (error) {
      const failed = error as { status: number; stdout: string; stderr: string };
      return { code: failed.status, stdout: failed.stdout, stderr: failed.stderr };
    }
  }

  before(async () => {
    await ensureBusybox();
    assert.ok(
      fs.existsSync(path.join(SLIPWAY_HOME, "bin", "pulumi")),
      "the engine is missing: run scripts/bootstrap-engine.sh",
    );
    work = copyProject();
    backend = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-e2e-backend-"));
    env = engineEnv(backend);
    const pulumiCommand = await PulumiCommand.get({ root: SLIPWAY_HOME, skipVersionCheck: true });
    local = await LocalWorkspace.createOrSelectStack(
      { stackName: "local", workDir: work },
      { envVars: env, pulumiCommand },
    );
    // The promote-role stack exists before its first promotion, as prod does on a real backend.
    await LocalWorkspace.createOrSelectStack(
      { stackName: "local-prod", workDir: work },
      { envVars: env, pulumiCommand },
    );
  });

  /** `pulumi destroy` of a stack of the copy, as a person would run it. */
  function destroy(stack: string) {
    return run(
      "bash",
      ["-c", `. scripts/pulumi-env.sh && pulumi destroy --stack ${stack} --yes --non-interactive`],
      {
        cwd: work,
        env: { ...process.env, ...env },
        timeoutMs: 600_000,
      },
    );
  }

  async function containers(prefix: string): Promise<string[]> {
    const listed = await run("docker", [
      "ps",
      "-a",
      "--format",
      "{{.Names}}",
      "--filter",
      `name=^${prefix}`,
    ]);
    return listed.stdout.split("\n").filter(Boolean).sort();
  }

  after(async () => {
    if (work !== undefined) {
      // Best effort when a test failed half-way; the last test checks destroy itself.
      for (const stack of ["local-prod", "local"]) {
        await destroy(stack);
      }
      fs.rmSync(work, { recursive: true, force: true });
      fs.rmSync(backend, { recursive: true, force: true });
    }
    console.log("\n    timings (s):");
    for (const [label, seconds] of timings) {
      console.log(`      ${label.padEnd(46)} ${seconds.toFixed(1)}`);
    }
  });

  it("first pulumi up builds both platforms, pushes, deploys and exports digests and refs", async () => {
    const result = await timed("pulumi up --stack local (first)", () =>
      local.up({ onOutput: () => undefined }),
    );
    assert.equal(result.summary.result, "succeeded");
    assert.deepEqual(Object.keys(changes(result)), ["create"]);
    const images = result.outputs.images!.value as Record<
      string,
      { ref: string; digest: string; platforms: string[] }
    >;
    assert.match(
      images.web!.ref,
      new RegExp(`^127\\.0\\.0\\.1:5000/${NAMESPACE}/web@sha256:[0-9a-f]{64}$`),
    );
    assert.deepEqual(images.web!.platforms, ["linux/amd64", "linux/arm64"]);
    const index = await getManifest(`${NAMESPACE}/web`, images.web!.digest);
    assert.deepEqual(
      (index.body.manifests ?? [])
        .filter((m) => m.platform?.os === "linux")
        .map((m) => `${m.platform!.os}/${m.platform!.architecture}`)
        .sort(),
      ["linux/amd64", "linux/arm64"],
    );
    assert.deepEqual(result.outputs.deployed!.value, { local: images.web!.ref });
    release1 = images.web!.digest;
    assert.equal(await served(BUILD_PORT, "/cgi-bin/version"), "r1");
    assert.equal(await served(BUILD_PORT, "/healthz"), "ok");
  });

  it("a second pulumi up reports no changes and runs no build or remote command", async () => {
    const result = await timed("pulumi up --stack local (no change)", () =>
      local.up({ onOutput: () => undefined }),
    );
    assert.equal(result.summary.result, "succeeded");
    assert.deepEqual(Object.keys(changes(result)), ["same"]);
    assert.ok(
      !result.stdout.includes("building") && !/\bupdated\b|\bcreated\b/.test(result.stdout),
      result.stdout,
    );
  });

  it("slipway promote pins the local digests into local-prod and the host serves them", async () => {
    const promoted = await timed("slipway promote --from local --to local-prod", () =>
      slipway("promote", "--from", "local", "--to", "local-prod", "--json"),
    );
    assert.equal(promoted.code, 0, promoted.stderr);
    const file = fs.readFileSync(path.join(work, "Pulumi.local-prod.yaml"), "utf8");
    assert.ok(file.includes(`digest: ${release1}`), file);
    assert.ok(file.startsWith("# local-prod: the promote-role twin"), "comments are kept");
    assert.equal(await served(PROMOTE_PORT, "/cgi-bin/version"), "r1");
  });

  it("a second release goes out through local and is promoted", async () => {
    editStack(work, "local", (doc) =>
      doc.setIn(["config", "slipway:images", "web", "build", "args", "APP_RELEASE"], "r2"),
    );
    git(work, "commit", "-q", "-am", "e2e: release r2");
    const result = await timed("pulumi up --stack local (release r2)", () =>
      local.up({ onOutput: () => undefined }),
    );
    assert.equal(result.summary.result, "succeeded");
    const images = result.outputs.images!.value as Record<string, { digest: string }>;
    assert.notEqual(images.web!.digest, release1);
    assert.equal(await served(BUILD_PORT, "/cgi-bin/version"), "r2");
    const promoted = await timed("slipway promote (release r2)", () =>
      slipway("promote", "--from", "local", "--to", "local-prod"),
    );
    assert.equal(promoted.code, 0, promoted.stderr);
    assert.equal(await served(PROMOTE_PORT, "/cgi-bin/version"), "r2");
  });

  it("slipway rollback returns local-prod to the first digest", async () => {
    const rolledBack = await timed("slipway rollback --stack local-prod", () =>
      slipway("rollback", "--stack", "local-prod"),
    );
    assert.equal(rolledBack.code, 0, rolledBack.stderr);
    const file = fs.readFileSync(path.join(work, "Pulumi.local-prod.yaml"), "utf8");
    assert.ok(file.includes(`digest: ${release1}`), file);
    assert.equal(await served(PROMOTE_PORT, "/cgi-bin/version"), "r1");
    assert.equal(
      await served(BUILD_PORT, "/cgi-bin/version"),
      "r2",
      "the build stack is untouched",
    );
  });

  it("history lists the three releases and status shows no drift", async () => {
    const history = slipway("history", "--stack", "local-prod", "--json");
    assert.equal(history.code, 0, history.stderr);
    const ledger = JSON.parse(history.stdout) as {
      releases: { images: Record<string, { digest: string }> }[];
    };
    assert.deepEqual(
      ledger.releases.map((release) => release.images.web?.digest === release1),
      [true, false, true],
    );
    const status = slipway("status", "--stack", "local-prod");
    assert.equal(status.code, 0, `${status.stdout}\n${status.stderr}`);
    const registry = await fetch(`${REGISTRY_URL}/v2/${NAMESPACE}/web/tags/list`);
    assert.equal(registry.status, 200);
  });

  it("an unreachable host or a wrong key fails the update, naming the host, and the release keeps serving", async () => {
    const hostPath = ["config", "slipway:hosts", 0];
    const original = fs.readFileSync(path.join(work, "Pulumi.local.yaml"), "utf8");

    editStack(work, "local", (doc) => doc.setIn([...hostPath, "port"], 2299));
    const unreachable = await timed("pulumi up, host unreachable (fails)", () =>
      local.up({ onOutput: () => undefined }).then(
        () => assert.fail("the update succeeded against a closed port"),
        (error: Error) => error.message,
      ),
    );
    // What the stand-in and upstream pulumi-command v1.2.1 both print: the host's resource
    // (`<service>-<host>-…`) and the cause; upstream names the address only inside the cause.
    assert.match(unreachable, /command:remote:Command \(e2e-web-local-(service|release)\)/);
    assert.match(unreachable, /dial tcp 127\.0\.0\.1:2299: connect: connection refused/);
    assert.equal(await served(BUILD_PORT, "/cgi-bin/version"), "r2");

    const stranger = path.join(work, "stranger_ed25519");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", stranger]);
    fs.writeFileSync(path.join(work, "Pulumi.local.yaml"), original);
    editStack(work, "local", (doc) => doc.setIn([...hostPath, "privateKeyFile"], stranger));
    const refused = await timed("pulumi up, wrong key (fails)", () =>
      local.up({ onOutput: () => undefined }).then(
        () => assert.fail("the update succeeded with a key the host does not know"),
        (error: Error) => error.message,
      ),
    );
    assert.match(refused, /command:remote:Command \(e2e-web-local-(service|release)\)/);
    assert.match(refused, /ssh: handshake failed: ssh: unable to authenticate/);
    assert.equal(await served(BUILD_PORT, "/cgi-bin/version"), "r2");

    fs.writeFileSync(path.join(work, "Pulumi.local.yaml"), original);
    const recovered = await timed("pulumi up, host fixed", () =>
      local.up({ onOutput: () => undefined }),
    );
    assert.equal(recovered.summary.result, "succeeded");
    assert.equal(await served(BUILD_PORT, "/cgi-bin/version"), "r2");
  });

  it("pulumi destroy stops each service cleanly and leaves no container behind", async () => {
    for (const stack of ["local-prod", "local"]) {
      const destroyed = await timed(`pulumi destroy --stack ${stack}`, () => destroy(stack));
      assert.equal(destroyed.code, 0, `${destroyed.stdout}\n${destroyed.stderr}`);
    }
    assert.deepEqual(await containers("e2e-web"), []);
  });
});
