/**
 * Retention and then garbage collection on a private registry: Debian's docker-registry on a
 * free loopback port with its own storage, started and stopped by this test (the shared one
 * on 127.0.0.1:5000 is never restarted). Retention deletes manifests and frees nothing on
 * disk; scripts/registry-gc.sh restarts the registry read-only, collects, restarts it
 * writable, and reports the bytes freed.
 */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { attestScript } from "../../src/images";
import { RegistryClient } from "../../src/registry";
import {
  pushScratchRelease,
  REPO_ROOT,
  run,
  runOk,
  uniqueTag,
  useServices,
} from "../helpers/services";

const BIN = path.join(REPO_ROOT, "bin", "slipway.js");
const GC = path.join(REPO_ROOT, "scripts", "registry-gc.sh");

/** A loopback port nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

async function answers(address: string): Promise<boolean> {
  try {
    const response = await fetch(`http://${address}/v2/`, { signal: AbortSignal.timeout(1000) });
    return response.status === 200;
  } catch {
    return false;
  }
}

/** The numbers registry-gc.sh prints, by label. */
function figures(stdout: string): Record<string, number> {
  return Object.fromEntries(
    [...stdout.matchAll(/^(blobs before|blobs after|would free|freed): (\d+) bytes/gm)].map(
      (match) => [match[1]!, Number(match[2])],
    ),
  );
}

describe("garbage collection after retention (a private registry)", function () {
  this.timeout(600_000);
  useServices(["docker", "buildkitd"]);

  const namespace = uniqueTag("gc-test");
  let work: string;
  let root: string;
  let address: string;
  let config: string;
  let pidfile: string;
  let logfile: string;
  let client: RegistryClient;
  const digests: Record<string, string> = {};

  const pid = () => Number(fs.readFileSync(pidfile, "utf8").trim());

  async function startRegistry(): Promise<void> {
    const log = fs.openSync(logfile, "a");
    const child = spawn("docker-registry", ["serve", config], {
      detached: true,
      stdio: ["ignore", log, log],
    });
    child.unref();
    fs.closeSync(log);
    fs.writeFileSync(pidfile, `${child.pid}\n`);
    for (let i = 0; i < 100 && !(await answers(address)); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(await answers(address), `the private registry answers on ${address}`);
  }

  async function release(name: string, tags: readonly string[]): Promise<string> {
    const digest = await pushScratchRelease({
      work,
      repository: `${address}/${namespace}/web`,
      name,
      tags,
      platforms: "linux/amd64",
      // About 1.3 MB that does not compress: the layers are what GC frees.
      content: randomBytes(1_000_000).toString("base64"),
    });
    digests[name] = digest;
    return digest;
  }

  /** The digests of the layer blobs of a single-platform image. */
  async function layersOf(digest: string): Promise<string[]> {
    const manifest = await client.manifest(`${namespace}/web`, digest);
    return ((manifest?.body as { layers?: { digest: string }[] }).layers ?? []).map(
      (layer) => layer.digest,
    );
  }

  async function blobStatus(digest: string): Promise<number> {
    const response = await fetch(`http://${address}/v2/${namespace}/web/blobs/${digest}`, {
      method: "HEAD",
    });
    return response.status;
  }

  before(async function () {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-gc-"));
    address = `127.0.0.1:${await freePort()}`;
    config = path.join(work, "registry.yml");
    pidfile = path.join(work, "registry.pid");
    logfile = path.join(work, "registry.log");
    fs.mkdirSync(path.join(work, "data"));
    fs.writeFileSync(
      config,
      [
        "version: 0.1",
        "log:",
        "  level: info",
        "  accesslog:",
        "    disabled: true",
        "storage:",
        "  filesystem:",
        `    rootdirectory: ${path.join(work, "data")}`,
        "  delete:",
        "    enabled: true",
        "http:",
        `  addr: ${address}`,
        "",
      ].join("\n"),
    );
    await startRegistry();
    client = new RegistryClient({ server: address, insecure: true });

    const started = Date.now();
    for (let n = 1; n <= 4; n += 1) {
      await release(`r${n}`, [`dev-${n}-g000000${n}`, `sha-000000${n}`]);
    }
    // A referrer on r1 (oras, the referrers tag schema): its blobs go with r1.
    const script = attestScript({
      ref: `${address}/${namespace}/web@${digests.r1!}`,
      provenance: {
        plan: {
          repository: `${address}/${namespace}/web`,
          context: "/repo/app",
          dockerfile: "/repo/app/Dockerfile",
          platforms: ["linux/amd64"],
          buildArgs: {},
          secretIds: [],
        },
        source: { sha: "1".repeat(40) },
        mode: "max",
        root: "/repo",
      },
      attestations: { sign: false },
      insecure: true,
    })!;
    await runOk("/bin/sh", ["-c", script], { timeoutMs: 120_000 });
    console.log(
      `      (pushed 4 images and a referrer in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );

    root = path.join(work, "project");
    fs.mkdirSync(path.join(root, "app"), { recursive: true });
    fs.copyFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
    fs.writeFileSync(path.join(root, "app", "Dockerfile"), "FROM scratch\n");
    fs.writeFileSync(
      path.join(root, "Pulumi.gc.yaml"),
      "config:\n  slipway:role: build\n  slipway:registry:\n" +
        `    server: ${address}\n    namespace: ${namespace}\n    insecure: true\n` +
        "    repositories:\n      web:\n        keepDevVersions: 1\n" +
        "  slipway:images:\n    web:\n      build:\n        context: app\n",
    );
  });

  after(function () {
    if (pidfile !== undefined && fs.existsSync(pidfile)) {
      try {
        process.kill(pid(), "SIGTERM");
      } catch {
        // already gone
      }
    }
    fs.rmSync(work, { recursive: true, force: true });
  });

  it("retention deletes manifests but frees no byte on disk", async function () {
    const dry = await runOk(GC, ["--config", config, "--pidfile", pidfile, "--dry-run"]);
    const before = figures(dry.stdout);
    assert.equal(before["would free"], 0, "nothing is garbage yet");
    const result = await run(process.execPath, [BIN, "--root", root, "retention", "--stack", "gc"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /\ndeleted 3 manifests \(7 tags; and 2 manifests they list or that refer to them\) in 1 repository\n$/,
    );
    const after = figures(
      (await runOk(GC, ["--config", config, "--pidfile", pidfile, "--dry-run"])).stdout,
    );
    assert.equal(after["blobs before"], before["blobs before"], "tag deletion freed nothing");
    assert.ok(after["would free"]! > 3_000_000, `would free ${after["would free"]} bytes`);
  });

  it("registry-gc.sh collects read-only, restarts the registry writable and reports the bytes freed", async function () {
    const gone = ["r1", "r2", "r3"].map((name) => digests[name]!);
    const keptLayers = await layersOf(digests.r4!);
    const dry = figures(
      (await runOk(GC, ["--config", config, "--pidfile", pidfile, "--dry-run"])).stdout,
    );
    const previousPid = pid();
    const started = Date.now();
    const result = await runOk(GC, ["--config", config, "--pidfile", pidfile, "--log", logfile]);
    const seconds = (Date.now() - started) / 1000;
    const numbers = figures(result.stdout);
    console.log(
      `      (freed ${numbers.freed} of ${numbers["blobs before"]} bytes in ${seconds.toFixed(1)} s)`,
    );
    assert.equal(numbers.freed, dry["would free"], "frees what the dry run said");
    assert.equal(numbers["blobs after"], numbers["blobs before"]! - numbers.freed!);
    assert.ok(numbers.freed! > 3_000_000);
    assert.match(result.stderr, /restarting the registry on .* read-only for the collection/);

    // Restarted twice: read-only for the collection, then with its own config.
    const serves = fs
      .readFileSync(logfile, "utf8")
      .split("\n")
      .filter((line) => line.startsWith("=== "))
      .map((line) => line.replace(/^=== [^ ]+: /, ""));
    assert.deepEqual(
      serves.map((line) =>
        line.replace(/registry\.readonly\.[A-Za-z0-9]+\.yml$/, "registry.readonly.X.yml"),
      ),
      [
        `docker-registry serve ${config.replace(/\.yml$/, ".readonly.X.yml")}`,
        `docker-registry serve ${config}`,
      ],
    );
    assert.notEqual(pid(), previousPid);
    assert.equal(fs.readdirSync(work).filter((name) => name.includes("readonly")).length, 0);

    // The kept image is whole; the deleted ones are gone for good; pushes work again.
    assert.equal(await client.exists(`${namespace}/web`, digests.r4!), true);
    for (const layer of keptLayers) {
      assert.equal(await blobStatus(layer), 200, `kept layer ${layer}`);
    }
    for (const digest of gone) {
      assert.equal(await client.exists(`${namespace}/web`, digest), false, digest);
    }
    await release("r5", ["dev-5-g0000005"]);
    assert.equal(await client.resolve(`${namespace}/web`, "dev-5-g0000005"), digests.r5);
    const again = figures(
      (await runOk(GC, ["--config", config, "--pidfile", pidfile, "--dry-run"])).stdout,
    );
    assert.equal(again["would free"], 0);
  });

  it("refuses a registry it did not start, and touches nothing", async function () {
    const elsewhere = path.join(work, "nobody.pid");
    const result = await run(GC, ["--config", config, "--pidfile", elsewhere]);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /a registry answers on 127\.0\.0\.1:\d+ but .*nobody\.pid names no live process: it was not started by scripts\/services\.sh; stop it \(or make it read-only\) yourself and run with --offline/,
    );
    assert.ok(await answers(address));
  });
});
