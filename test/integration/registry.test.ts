/**
 * The registry client, retention and promotion against the real local registry
 * (127.0.0.1:5000, deletes enabled) with images built and pushed by the real Docker engine,
 * and referrers attached by Slipway's own attestation script (oras provenance, cosign
 * signature and attestation: `sha256-<hex>`, `.sig`, `.att` tags on this registry).
 * Each run uses its own namespace, so runs never see each other's tags.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { main } from "../../src/cli";
import { attestScript } from "../../src/images";
import { appendRelease } from "../../src/ledger";
import { RegistryClient } from "../../src/registry";
import {
  pushScratchRelease,
  REGISTRY,
  REPO_ROOT,
  run,
  runOk,
  uniqueTag,
  useServices,
} from "../helpers/services";
import { FakeDriver, FakeHosts } from "../unit/cli/harness";

const BIN = path.join(REPO_ROOT, "bin", "slipway.js");
const BOTH = "linux/amd64,linux/arm64";

describe("registry, retention and promotion against the local registry", function () {
  this.timeout(600_000);
  useServices(["docker", "registry", "buildkitd"]);

  const namespace = uniqueTag("rt");
  const repository = `${REGISTRY}/${namespace}/web`;
  const client = new RegistryClient({ server: REGISTRY, insecure: true });
  const repoPath = `${namespace}/web`;
  let work: string;
  let root: string;
  /** Digest of each release, by release name. */
  const digests: Record<string, string> = {};

  /** Builds `FROM scratch` + a file that differs per release, pushes it with these tags. */
  async function release(name: string, tags: readonly string[], platforms = BOTH): Promise<string> {
    const digest = await pushScratchRelease({
      work,
      repository,
      name,
      tags,
      platforms,
      content: `${namespace} ${name}\n`,
    });
    digests[name] = digest;
    return digest;
  }

  /** The referrer tags the attestation script leaves on this registry for a digest. */
  const referrerTags = (digest: string) =>
    ["", ".att", ".sig"].map((suffix) => `${digest.replace(":", "-")}${suffix}`);
  /** Manifests behind the referrer tags of each attested release, by release name. */
  const referrerManifests: Record<string, string[]> = {};
  let cosignKey = "";
  const cosignPassword = `pw-${uniqueTag("k")}`;

  /** Provenance, signature and signed provenance on a release, as the stacks attach them. */
  async function attest(name: string): Promise<void> {
    const ref = `${repository}@${digests[name]!}`;
    const script = attestScript({
      ref,
      provenance: {
        plan: {
          repository,
          context: `${root}/app`,
          dockerfile: `${root}/app/Dockerfile`,
          platforms: ["linux/amd64", "linux/arm64"],
          buildArgs: {},
          secretIds: [],
        },
        source: { sha: "0".repeat(40) },
        mode: "max",
        root,
      },
      attestations: { sign: true },
      insecure: true,
    })!;
    await runOk("/bin/sh", ["-c", script], {
      env: { ...process.env, COSIGN_PRIVATE_KEY: cosignKey, COSIGN_PASSWORD: cosignPassword },
      timeoutMs: 180_000,
    });
    const manifests: string[] = [];
    for (const tag of referrerTags(digests[name]!)) {
      const digest = await client.resolve(repoPath, tag);
      assert.ok(digest !== undefined, `${tag} is there`);
      manifests.push(digest, ...((await client.describe(repoPath, digest))?.children ?? []));
    }
    referrerManifests[name] = manifests;
  }

  async function remainingTags(): Promise<string[]> {
    return (await client.tags(repoPath)).sort();
  }

  function slipwayBin(args: readonly string[]) {
    return run(process.execPath, [BIN, "--root", root, ...args], { timeoutMs: 120_000 });
  }

  before(async function () {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-registry-"));
    root = path.join(work, "project");
    fs.mkdirSync(path.join(root, "app"), { recursive: true });
    fs.copyFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
    fs.writeFileSync(path.join(root, "app", "Dockerfile"), "FROM scratch\n");
    const started = Date.now();
    for (let n = 1; n <= 6; n += 1) {
      await release(`r${n}`, [
        `dev-${n}-g000000${n}`,
        `sha-000000${n}`,
        ...(n === 2 ? ["v1.0.0", "1.0"] : []),
        ...(n === 6 ? ["dev", "latest"] : []),
      ]);
    }
    await release("pr11", ["pr-11"]);
    await release("pr12", ["pr-12"], "linux/amd64");
    await release("pr13", ["pr-13"]);
    await release("cache", ["buildcache"]);
    await release("feature", ["feature-x"]);
    console.log(
      `      (built and pushed 11 images in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
    const keys = path.join(work, "cosign");
    fs.mkdirSync(keys);
    await runOk("cosign", ["generate-key-pair"], {
      cwd: keys,
      env: { ...process.env, COSIGN_PASSWORD: cosignPassword },
      timeoutMs: 60_000,
    });
    cosignKey = fs.readFileSync(path.join(keys, "cosign.key"), "utf8");
    // r1 is pinned by prod, r4 goes, r6 is the newest build.
    for (const name of ["r1", "r4", "r6"]) {
      await attest(name);
    }

    const registry = `  slipway:registry:\n    server: ${REGISTRY}\n    namespace: ${namespace}\n    insecure: true\n`;
    fs.writeFileSync(
      path.join(root, "Pulumi.dev.yaml"),
      `config:\n  slipway:role: build\n${registry}  slipway:images:\n    web:\n      build:\n        context: app\n`,
    );
    fs.writeFileSync(
      path.join(root, "Pulumi.prod.yaml"),
      "# prod runs what dev built.\nconfig:\n  slipway:role: promote\n" +
        registry +
        "  slipway:images:\n    web:\n      pin:\n        # Pinned by `slipway promote`; do not edit by hand.\n" +
        `        digest: ${digests.r1!}\n        tag: sha-0000001\n`,
    );
    fs.mkdirSync(path.join(root, "stacks", "releases"), { recursive: true });
    fs.writeFileSync(
      path.join(root, "stacks", "releases", "prod.yaml"),
      appendRelease(undefined, "prod", {
        at: "2025-01-03T00:00:00Z",
        kind: "promote",
        by: "slipway promote --from dev --to prod",
        source: "dev",
        images: { web: { ref: `${repository}@${digests.r3!}`, digest: digests.r3! } },
        update: { result: "succeeded" },
      }).text,
    );
  });

  after(async function () {
    // Leave the registry as we found it: delete whatever this run pushed.
    for (const digest of new Set([
      ...Object.values(referrerManifests).flat(),
      ...Object.values(digests),
    ])) {
      await client.delete(repoPath, digest).catch(() => undefined);
    }
    fs.rmSync(work, { recursive: true, force: true });
  });

  it("resolves tags to the digests buildx pushed and reads their platforms", async function () {
    assert.equal(await client.resolve(repoPath, "sha-0000001"), digests.r1);
    assert.equal(await client.resolve(repoPath, "v1.0.0"), digests.r2);
    assert.equal(await client.resolve(repoPath, "nope"), undefined);
    const multi = await client.describe(repoPath, digests.r6!, { created: true });
    assert.deepEqual(
      { index: multi?.index, platforms: multi?.platforms, children: multi?.children.length },
      // Two images and BuildKit's two attestation manifests (unknown/unknown), which are no platform.
      { index: true, platforms: ["linux/amd64", "linux/arm64"], children: 4 },
    );
    assert.match(multi?.created ?? "", /^\d{4}-\d\d-\d\dT/);
    const single = await client.describe(repoPath, digests.pr12!);
    assert.deepEqual(
      { index: single?.index, platforms: single?.platforms },
      { index: false, platforms: ["linux/amd64"] },
    );
    assert.deepEqual(
      await remainingTags(),
      [
        "1.0",
        "buildcache",
        "dev",
        "dev-1-g0000001",
        "dev-2-g0000002",
        "dev-3-g0000003",
        "dev-4-g0000004",
        "dev-5-g0000005",
        "dev-6-g0000006",
        "feature-x",
        "latest",
        "pr-11",
        "pr-12",
        "pr-13",
        "sha-0000001",
        "sha-0000002",
        "sha-0000003",
        "sha-0000004",
        "sha-0000005",
        "sha-0000006",
        ...["r1", "r4", "r6"].flatMap((name) => referrerTags(digests[name]!)),
        "v1.0.0",
      ].sort(),
    );
  });

  it("retention --dry-run prints exactly what it would delete and deletes nothing", async function () {
    const before = await remainingTags();
    const result = await slipwayBin(["retention", "--stack", "dev", "--keep", "1", "--dry-run"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "");
    const lines = result.stdout.trimEnd().split("\n");
    assert.deepEqual(
      lines.filter((line) => line.startsWith("  would delete")),
      [
        `  would delete  ${digests.r4!}  dev-4-g0000004, sha-0000004; referrers ${referrerTags(digests.r4!).join(", ")}; ` +
          // Two images, BuildKit's two attestations, and the referrers: oras's index and the
          // provenance it lists, cosign's signature and its attestation.
          "with 8 manifests it lists or that refer to it",
        `  would delete  ${digests.r5!}  dev-5-g0000005, sha-0000005; with 4 manifests it lists or that refer to it`,
        `  would delete  ${digests.pr11!}  pr-11; with 4 manifests it lists or that refer to it`,
        `  would delete  ${digests.pr12!}  pr-12`,
      ],
    );
    assert.equal(lines[0], `${repository} (keep 1 of each per-build tag kind):`);
    assert.equal(
      lines[lines.length - 1],
      "would delete 4 manifests (9 tags; and 16 manifests they list or that refer to them) in 1 repository; " +
        "nothing was deleted (--dry-run)",
    );
    assert.ok(
      lines.includes(
        `  keep    sha-0000001  ${digests.r1!.slice(0, 19)}  protected: pinned in Pulumi.prod.yaml (web)`,
      ),
      result.stdout,
    );
    assert.ok(
      lines.includes(
        `  keep    dev-3-g0000003  ${digests.r3!.slice(0, 19)}  protected: ledger of prod #1 (web)`,
      ),
      result.stdout,
    );
    for (const name of ["r1", "r6"]) {
      const [tag] = referrerTags(digests[name]!);
      assert.ok(
        lines.includes(
          `  keep    ${tag!}  ${(await client.resolve(repoPath, tag!))!.slice(0, 19)}  referrer of ${digests[name]!.slice(0, 19)}, which is kept`,
        ),
        result.stdout,
      );
    }
    assert.deepEqual(await remainingTags(), before);
  });

  it("retention deletes exactly those manifests; pinned and ledger digests survive", async function () {
    const result = await slipwayBin(["retention", "--stack", "dev", "--keep", "1", "--json"]);
    assert.equal(result.code, 0, result.stderr);
    const json = JSON.parse(result.stdout) as { repositories: { deleted: { digest: string }[] }[] };
    assert.deepEqual(
      json.repositories[0]!.deleted.map((entry) => entry.digest),
      [digests.r4, digests.r5, digests.pr11, digests.pr12],
    );
    assert.deepEqual(
      await remainingTags(),
      [
        "1.0",
        "buildcache",
        "dev",
        "dev-1-g0000001",
        "dev-2-g0000002",
        "dev-3-g0000003",
        "dev-6-g0000006",
        "feature-x",
        "latest",
        "pr-13",
        "sha-0000001",
        "sha-0000002",
        "sha-0000003",
        "sha-0000006",
        ...["r1", "r6"].flatMap((name) => referrerTags(digests[name]!)),
        "v1.0.0",
      ].sort(),
    );
    assert.equal(
      await client.exists(repoPath, digests.r1!),
      true,
      "the digest pinned in Pulumi.prod.yaml",
    );
    assert.equal(await client.exists(repoPath, digests.r3!), true, "the digest in the ledger");
    for (const gone of [digests.r4!, digests.r5!, digests.pr11!, digests.pr12!]) {
      assert.equal(await client.exists(repoPath, gone), false, gone);
    }
    for (const gone of referrerManifests.r4!) {
      assert.equal(await client.exists(repoPath, gone), false, `r4's referrer ${gone}`);
    }
    for (const kept of [...referrerManifests.r1!, ...referrerManifests.r6!]) {
      assert.equal(await client.exists(repoPath, kept), true, `referrer ${kept} of a kept digest`);
    }
    const again = await slipwayBin(["retention", "--stack", "dev", "--keep", "1"]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /\ndeleted 0 manifests \(0 tags\) in 1 repository\n$/);
  });

  describe("promotion", function () {
    let driver: FakeDriver;
    let stdout: string;
    let stderr: string;
    const promote = () => {
      stdout = "";
      stderr = "";
      return main(["promote", "--from", "dev", "--to", "prod"], {
        root,
        driver,
        hosts: new FakeHosts(),
        now: () => new Date("2025-03-01T10:00:00Z"),
        user: "ci",
        stdout: (text) => (stdout += text),
        stderr: (text) => (stderr += text),
      });
    };
    const outputs = (digest: string, tag: string) => ({
      images: {
        web: {
          repository,
          digest,
          ref: `${repository}@${digest}`,
          tags: [`${repository}:${tag}`],
          platforms: ["linux/amd64", "linux/arm64"],
          revision: "0000006aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        },
      },
    });

    beforeEach(() => {
      driver = new FakeDriver(root);
      driver.lastUpdates.dev = { result: "succeeded", version: 3 };
    });

    it("refuses a single-platform digest and changes nothing", async function () {
      await release("single", ["sha-5555555"], "linux/amd64");
      driver.stackOutputs.dev = outputs(digests.single!, "sha-5555555");
      const before = fs.readFileSync(path.join(root, "Pulumi.prod.yaml"), "utf8");
      assert.equal(await promote(), 3);
      assert.equal(stdout, "");
      assert.equal(
        stderr,
        `checked web: ${digests.single!} is in ${repository} (linux/amd64)\n` +
          "slipway: refused; nothing was changed:\n" +
          `  web: ${repository}@${digests.single!} is a single-platform image (linux/amd64); it lacks linux/arm64 ` +
          "(required: linux/amd64, linux/arm64)\n" +
          "next:\n" +
          "  pulumi up --stack dev  # rebuild and push every configured platform\n" +
          "  slipway promote --from dev --to prod\n",
      );
      assert.equal(fs.readFileSync(path.join(root, "Pulumi.prod.yaml"), "utf8"), before);
      assert.equal(driver.ups.length, 0);
    });

    it("pins a multi-platform digest, keeping the stack file's comments, and records the release", async function () {
      driver.stackOutputs.dev = outputs(digests.r6!, "sha-0000006");
      assert.equal(await promote(), 0, stderr);
      assert.equal(
        fs.readFileSync(path.join(root, "Pulumi.prod.yaml"), "utf8"),
        "# prod runs what dev built.\nconfig:\n  slipway:role: promote\n" +
          `  slipway:registry:\n    server: ${REGISTRY}\n    namespace: ${namespace}\n    insecure: true\n` +
          "  slipway:images:\n    web:\n      pin:\n        # Pinned by `slipway promote`; do not edit by hand.\n" +
          `        digest: ${digests.r6!}\n        tag: sha-0000006\n        revision: 0000006aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n` +
          "        source: dev\n",
      );
      assert.equal(
        stdout,
        `promoted dev -> prod, release #2:\n  web: ${digests.r1!} -> ${digests.r6!} sha-0000006 rev 0000006aaaaa\n`,
      );
      const ledger = fs.readFileSync(path.join(root, "stacks", "releases", "prod.yaml"), "utf8");
      assert.match(
        ledger,
        new RegExp(`- id: 2\n {4}at: 2025-03-01T10:00:00Z\n {4}kind: promote\n`),
      );
    });
  });
});
