/**
 * Images for real: the build settings the ImageBuild component produces, run through the
 * local Docker engine and pushed to the local registry; then the registry is read back.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import { attestScript, buildxArgs, planBuild, type SourceInfo } from "../../src/images";
import {
  APP_DIR,
  BUILDX_BUILDER,
  REGISTRY,
  REGISTRY_URL,
  REPO_ROOT,
  ensureBusybox,
  getManifest,
  run,
  runOk,
  uniqueTag,
  useServices,
} from "../helpers/services";

const SHA = "4c2a9e1f0b7d3c5a8e6f4d2b0a9c8e7f6d5c4b3a";
const SECRET_VALUE = `s3cret-${Math.random().toString(36).slice(2, 12).padEnd(10, "0")}`;

function source(): SourceInfo {
  return {
    sha: SHA,
    branch: "feature/it",
    defaultBranch: "main",
    commitCount: 7,
    commitTime: "2026-11-20T09:30:00Z",
    dirty: false,
    url: "https://github.com/acme/web",
  };
}

async function blob(repository: string, digest: string): Promise<Buffer> {
  const res = await fetch(`${REGISTRY_URL}/v2/${repository}/blobs/${digest}`);
  assert.equal(res.status, 200, `GET blob ${digest}`);
  return Buffer.from(await res.arrayBuffer());
}

async function builderArgs(): Promise<string[]> {
  const inspect = await run("docker", ["buildx", "inspect", BUILDX_BUILDER]);
  return inspect.code === 0 ? ["--builder", BUILDX_BUILDER] : [];
}

describe("images built with the component's settings", function () {
  this.timeout(900_000);
  useServices(["docker", "registry", "binfmt"], { optional: ["buildkitd"] });
  const namespace = `it-${uniqueTag("img")}`;

  before(async () => ensureBusybox());

  /** The `sha-` tag a plan pushes (with its build variant, when it has one). */
  const shaTagOf = (tags: readonly string[]): string =>
    tags.map((tag) => tag.slice(tag.lastIndexOf(":") + 1)).find((tag) => tag.startsWith("sha-"))!;
  /** The web image's sha tag, set by the test that pushes it. */
  let webShaTag = "sha-4c2a9e1";

  /** The attestation script for the web image pushed by the first test, as the stack makes it. */
  async function attestationOf(sign: boolean) {
    const index = await getManifest(`${namespace}/web`, webShaTag);
    const ref = `${REGISTRY}/${namespace}/web@${index.digest}`;
    const script = attestScript({
      ref,
      provenance: {
        plan: {
          repository: `${REGISTRY}/${namespace}/web`,
          context: "/repo/app",
          dockerfile: "/repo/app/Dockerfile",
          platforms: ["linux/amd64", "linux/arm64"],
          buildArgs: {},
          secretIds: [],
        },
        source: source(),
        mode: "max",
        root: "/repo",
      },
      attestations: { sign },
      insecure: true,
    })!;
    return { index, ref, script };
  }

  it("push an index with both platforms and the labels on each image config", async () => {
    const plan = planBuild(
      "web",
      {
        context: "examples/app",
        target: "prod",
        platforms: ["linux/amd64", "linux/arm64"],
        args: { APP_RELEASE: "it" },
        secrets: {},
        cache: { mode: "registry" },
        buildOnPreview: false,
        tags: [],
        stamp: "commit",
      },
      { server: REGISTRY, namespace },
      source(),
      REPO_ROOT,
    );
    const args = buildxArgs(plan);
    const builder = await builderArgs();
    await runOk("docker", [...args.slice(0, 2), ...builder, ...args.slice(2)], {
      timeoutMs: 600_000,
    });

    const repository = `${namespace}/web`;
    webShaTag = shaTagOf(plan.tags);
    const index = await getManifest(repository, webShaTag);
    const platforms = (index.body.manifests ?? [])
      .map((m) => m.platform)
      .filter((p) => p !== undefined && p.os !== "unknown")
      .map((p) => `${p!.os}/${p!.architecture}`)
      .sort();
    assert.deepEqual(platforms, ["linux/amd64", "linux/arm64"]);
    const branchTag = await getManifest(repository, "feature-it");
    assert.equal(branchTag.digest, index.digest, "every tag points at the same index");

    for (const entry of (index.body.manifests ?? []).filter((m) => m.platform?.os === "linux")) {
      const manifest = await getManifest(repository, entry.digest);
      const configDigest = (manifest.body as unknown as { config: { digest: string } }).config
        .digest;
      const config = JSON.parse((await blob(repository, configDigest)).toString("utf8"));
      assert.deepEqual(config.config.Labels, {
        "org.opencontainers.image.created": "2026-11-20T09:30:00Z",
        "org.opencontainers.image.revision": SHA,
        "org.opencontainers.image.title": "web",
        "org.opencontainers.image.version": "dev-7-g4c2a9e1",
        "org.opencontainers.image.source": "https://github.com/acme/web",
        "org.opencontainers.image.url": "https://github.com/acme/web",
      });
      assert.equal(config.config.User, "65534:65534");
    }
    const cache = await fetch(`${REGISTRY_URL}/v2/${repository}/manifests/buildcache`, {
      method: "HEAD",
      headers: { Accept: "application/vnd.oci.image.manifest.v1+json" },
    });
    assert.equal(cache.status, 200, "the registry cache is exported beside the image");
  });

  it("a BuildKit secret is used by the build and its value is in no layer", async () => {
    const context = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-secret-"));
    fs.mkdirSync(path.join(context, "bin"));
    fs.copyFileSync(
      path.join(APP_DIR, "bin", "amd64", "busybox"),
      path.join(context, "bin", "busybox"),
    );
    fs.writeFileSync(
      path.join(context, "Dockerfile"),
      [
        "FROM scratch",
        "COPY bin/busybox /bin/busybox",
        // A new value each run: the RUN step is never taken from the cache.
        "ARG NONCE",
        `RUN --mount=type=secret,id=NPM_TOKEN ["/bin/busybox", "sh", "-c", "echo $NONCE > /nonce && test -s /run/secrets/NPM_TOKEN && /bin/busybox wc -c < /run/secrets/NPM_TOKEN > /token-length"]`,
        "",
      ].join("\n"),
    );
    const plan = planBuild(
      "secret",
      {
        context: path.basename(context),
        platforms: ["linux/amd64"],
        args: { NONCE: uniqueTag("n") },
        secrets: {},
        cache: { mode: "none" },
        buildOnPreview: false,
        tags: [],
        stamp: "commit",
      },
      { server: REGISTRY, namespace },
      source(),
      path.dirname(context),
    );
    const args = buildxArgs({ ...plan, secretIds: ["NPM_TOKEN"] });
    const builder = await builderArgs();
    assert.ok(!args.join(" ").includes(SECRET_VALUE));
    await runOk("docker", [...args.slice(0, 2), ...builder, ...args.slice(2)], {
      timeoutMs: 600_000,
      env: { ...process.env, NPM_TOKEN: SECRET_VALUE },
    });
    const manifest = await getManifest(`${namespace}/secret`, shaTagOf(plan.tags));
    const layers = (manifest.body as unknown as { layers: { digest: string }[] }).layers;
    let sawLength = false;
    for (const layer of layers) {
      const raw = await blob(`${namespace}/secret`, layer.digest);
      const tar = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
      assert.ok(!tar.includes(Buffer.from(SECRET_VALUE)), `layer ${layer.digest} holds the secret`);
      sawLength ||= tar.includes(Buffer.from(`${SECRET_VALUE.length}\n`));
    }
    assert.ok(sawLength, "the build read the secret (its length is in /token-length)");
    fs.rmSync(context, { recursive: true, force: true });
  });

  it("provenance is attached to the digest as an OCI referrer", async function () {
    if ((await run("oras", ["version"])).code !== 0) {
      assert.fail("oras is not installed: scripts/install-system.sh installs it");
    }
    const { index, script } = await attestationOf(false);
    await runOk("/bin/sh", ["-c", script], { timeoutMs: 120_000 });
    const referrers = await fetch(`${REGISTRY_URL}/v2/${namespace}/web/referrers/${index.digest}`);
    const tagFallback = await fetch(
      `${REGISTRY_URL}/v2/${namespace}/web/manifests/${index.digest.replace(":", "-")}`,
      { headers: { Accept: "application/vnd.oci.image.index.v1+json" } },
    );
    const listing = referrers.status === 200 ? await referrers.json() : await tagFallback.json();
    const types = ((listing as { manifests?: { artifactType?: string }[] }).manifests ?? []).map(
      (m) => m.artifactType,
    );
    assert.deepEqual(types, ["application/vnd.in-toto+json"]);
  });

  it("signing: cosign signs the digest and attests the provenance with a key from the environment", async () => {
    const keys = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-cosign-"));
    const password = `pw-${uniqueTag("k")}`;
    await runOk("cosign", ["generate-key-pair"], {
      cwd: keys,
      env: { ...process.env, COSIGN_PASSWORD: password },
      timeoutMs: 60_000,
    });
    const { ref, script } = await attestationOf(true);
    const privateKey = fs.readFileSync(path.join(keys, "cosign.key"), "utf8");
    assert.ok(!script.includes(privateKey.split("\n")[1]!) && !script.includes(password));
    const signed = await runOk("/bin/sh", ["-c", script], {
      env: { ...process.env, COSIGN_PRIVATE_KEY: privateKey, COSIGN_PASSWORD: password },
      timeoutMs: 180_000,
    });
    assert.match(signed.stdout, new RegExp(`slipway: signed ${ref.replace(/[.]/g, "\\.")}`));
    const verify = [
      "--key",
      path.join(keys, "cosign.pub"),
      "--insecure-ignore-tlog",
      "--allow-http-registry",
      "--allow-insecure-registry",
    ];
    const signature = await run("cosign", ["verify", ...verify, ref], { timeoutMs: 60_000 });
    assert.equal(signature.code, 0, signature.stderr);
    const attestation = await run(
      "cosign",
      ["verify-attestation", "--type", "slsaprovenance1", ...verify, ref],
      {
        timeoutMs: 60_000,
      },
    );
    assert.equal(attestation.code, 0, attestation.stderr);
    const stranger = await run("cosign", ["generate-key-pair", "--output-key-prefix", "stranger"], {
      cwd: keys,
      env: { ...process.env, COSIGN_PASSWORD: "x" },
    });
    assert.equal(stranger.code, 0);
    const wrongKey = await run(
      "cosign",
      ["verify", "--key", path.join(keys, "stranger.pub"), ...verify.slice(2), ref],
      { timeoutMs: 60_000 },
    );
    assert.notEqual(wrongKey.code, 0, "a signature verifies only with its own key");
    fs.rmSync(keys, { recursive: true, force: true });
  });
});
