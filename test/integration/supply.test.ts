/**
 * The supply-chain gate for real: the `scannable` sample image built for both platforms and
 * pushed to the local registry; syft's SBOMs, trivy's scan against a database written here
 * from test/fixtures/supply/advisories.json, cosign signatures and attestations; then the
 * verification `slipway promote` and the promote stack's Verification resource run.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { RegistryConfig, ScanConfig, VerifyConfig } from "../../src/config";
import { attestScript } from "../../src/images";
import { sbomScript, scanScript, verifyDigests } from "../../src/supply";
import {
  APP_DIR,
  BUILDX_BUILDER,
  REGISTRY,
  REPO_ROOT,
  SLIPWAY_HOME,
  ensureBusybox,
  getManifest,
  run,
  runOk,
  uniqueTag,
  useServices,
} from "../helpers/services";

const BIN = path.join(SLIPWAY_HOME, "bin");
const ENV = { ...process.env, PATH: `${BIN}${path.delimiter}${process.env.PATH ?? ""}` };
const REGISTRY_CONFIG = { server: REGISTRY, insecure: true } as RegistryConfig;

/** Runs a generated script as the SupplyChain/Attestation commands do: /bin/sh -c, key in env. */
function sh(script: string, key?: string) {
  return run("/bin/sh", ["-c", script], {
    timeoutMs: 600_000,
    env: { ...ENV, ...(key === undefined ? {} : { COSIGN_PRIVATE_KEY: key, COSIGN_PASSWORD: "" }) },
  });
}

function keyPair(dir: string): { key: string; pub: string } {
  fs.mkdirSync(dir, { recursive: true });
  return { key: path.join(dir, "cosign.key"), pub: path.join(dir, "cosign.pub") };
}

describe("supply chain: SBOM, scan gate and verified promotion", function () {
  this.timeout(1_200_000);
  useServices(["docker", "registry", "binfmt"], { optional: ["buildkitd"] });
  const namespace = `slipway-supply-${uniqueTag("it")}`;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-supply-it-"));
  const good = keyPair(path.join(work, "good"));
  const other = keyPair(path.join(work, "other"));
  const cacheDir = path.join(work, "trivy");
  let ref = "";
  let unsignedRef = "";
  const platformDigests: Record<string, string> = {};

  async function build(target: string, tag: string, extra: string[] = []): Promise<string> {
    const inspect = await run("docker", ["buildx", "inspect", BUILDX_BUILDER]);
    const builder = inspect.code === 0 ? ["--builder", BUILDX_BUILDER] : [];
    await runOk(
      "docker",
      [
        "buildx",
        "build",
        ...builder,
        "--platform",
        "linux/amd64,linux/arm64",
        "--target",
        target,
        "--provenance=false",
        ...extra,
        "--output",
        `type=image,name=${REGISTRY}/${namespace}/web:${tag},push=true,registry.insecure=true`,
        APP_DIR,
      ],
      { timeoutMs: 600_000 },
    );
    const index = await getManifest(`${namespace}/web`, tag);
    return `${REGISTRY}/${namespace}/web@${index.digest}`;
  }

  before(async function () {
    for (const tool of ["syft", "trivy", "slipway-trivy-db"]) {
      if (!fs.existsSync(path.join(BIN, tool))) {
        throw new Error(
          `${BIN}/${tool} is missing: run scripts/bootstrap-engine.sh --only syft,trivy`,
        );
      }
    }
    await ensureBusybox();
    for (const pair of [good, other]) {
      await runOk("cosign", ["generate-key-pair"], {
        cwd: path.dirname(pair.key),
        env: { ...ENV, COSIGN_PASSWORD: "" },
      });
    }
    await runOk(path.join(BIN, "slipway-trivy-db"), [
      "-in",
      path.join(REPO_ROOT, "test", "fixtures", "supply", "advisories.json"),
      "-out",
      path.join(cacheDir, "db"),
    ]);
    ref = await build("scannable", "scannable");
    unsignedRef = await build("prod", "prod");
    const index = await getManifest(`${namespace}/web`, "scannable");
    for (const entry of index.body.manifests ?? []) {
      if (entry.platform?.os === "linux") {
        platformDigests[`linux/${entry.platform.architecture}`] = entry.digest;
      }
    }
    assert.deepEqual(Object.keys(platformDigests).sort(), ["linux/amd64", "linux/arm64"]);
    // Signed, with signed provenance, as the local stack does it (the Attestation's script).
    const sign = attestScript({
      ref,
      attestations: { sign: true },
      insecure: true,
      provenance: {
        plan: {
          repository: `${REGISTRY}/${namespace}/web`,
          dockerfile: path.join(APP_DIR, "Dockerfile"),
          context: APP_DIR,
          target: "scannable",
          platforms: ["linux/amd64", "linux/arm64"],
          buildArgs: {},
          secretIds: [],
        },
        source: { sha: "4c2a9e1f0b7d3c5a8e6f4d2b0a9c8e7f6d5c4b3a" },
        mode: "max",
        root: REPO_ROOT,
      },
    })!;
    const signed = await sh(sign, fs.readFileSync(good.key, "utf8"));
    assert.equal(signed.code, 0, signed.stderr);
  });

  it("attaches an SPDX SBOM to each platform that lists the image's packages", async () => {
    const script = sbomScript({
      ref,
      platforms: ["linux/amd64", "linux/arm64"],
      sign: true,
      insecure: true,
    });
    const result = await sh(script, fs.readFileSync(good.key, "utf8"));
    assert.equal(result.code, 0, result.stderr);
    for (const [platform, digest] of Object.entries(platformDigests)) {
      const repository = `${REGISTRY}/${namespace}/web`;
      assert.match(
        result.stdout,
        new RegExp(
          `slipway: SBOM \\(SPDX\\) of ${platform}, \\d+ packages, attached to ${repository}@${digest}`,
        ),
      );
      const attested = await runOk(
        "cosign",
        [
          "verify-attestation",
          "--key",
          good.pub,
          "--insecure-ignore-tlog=true",
          "--allow-http-registry",
          "--type",
          "spdxjson",
          `${repository}@${digest}`,
        ],
        { env: ENV },
      );
      const statement = JSON.parse(
        Buffer.from(
          JSON.parse(attested.stdout.trim().split("\n")[0]!).payload,
          "base64",
        ).toString(),
      );
      const packages = (statement.predicate.packages as { name: string; versionInfo?: string }[])
        .map((p) => `${p.name} ${p.versionInfo ?? ""}`.trim())
        .sort();
      assert.ok(packages.includes("libslipway-demo1 1.0.0-1"), packages.join(", "));
      assert.ok(packages.includes("busybox-static 1:1.35.0-4+b3"), packages.join(", "));
      assert.equal(statement.subject[0].digest.sha256, digest.slice("sha256:".length));
    }
  });

  const verify: VerifyConfig = {
    publicKeyFile: good.pub,
    require: ["provenance", "sbom", "scan"],
    maxScanAgeDays: 7,
  };
  const scanWith = (allow: ScanConfig["allow"]): ScanConfig => ({
    failOn: "CRITICAL",
    allow,
    cacheDir,
    offline: true,
  });

  it("fails on the seeded CVE naming image, digest, package, versions and CVE; promote refuses it", async () => {
    const script = scanScript({
      image: "web",
      ref,
      platforms: ["linux/amd64", "linux/arm64"],
      scan: scanWith([]),
      sign: true,
      insecure: true,
    });
    const result = await sh(script, fs.readFileSync(good.key, "utf8"));
    assert.equal(result.code, 1, result.stdout + result.stderr);
    for (const platform of ["linux/amd64", "linux/arm64"]) {
      assert.ok(
        result.stderr.includes(
          `slipway: scan failed: image web ${ref} (${platform}): CVE-2099-0001 CRITICAL in package libslipway-demo1 1.0.0-1, fixed in 1.0.0-2`,
        ),
        result.stderr,
      );
    }
    assert.ok(!result.stderr.includes("CVE-2099-0002"), "LOW is below failOn CRITICAL");
    assert.ok(
      result.stderr.includes(
        `slipway: image web ${ref}: 2 finding(s) at or above CRITICAL; no host was touched.`,
      ),
      result.stderr,
    );
    const [refused] = verifyDigests([{ image: "web", ref }], verify, REGISTRY_CONFIG);
    assert.equal(refused!.ok, false);
    assert.equal(
      refused!.message,
      `slipway: refused ${ref}: its scan failed (CVE-2099-0001 CRITICAL in libslipway-demo1 1.0.0-1 on linux/amd64, CVE-2099-0001 CRITICAL in libslipway-demo1 1.0.0-1 on linux/arm64, failOn CRITICAL)`,
    );
  });

  it("passes after an allow-list entry with expiry and reason; the digest then verifies", async () => {
    const script = scanScript({
      image: "web",
      ref,
      platforms: ["linux/amd64", "linux/arm64"],
      scan: scanWith([
        {
          id: "CVE-2099-0001",
          expires: "2099-01-01",
          reason: "seeded by the tests; no such code runs",
        },
      ]),
      sign: true,
      insecure: true,
    });
    const result = await sh(script, fs.readFileSync(good.key, "utf8"));
    assert.equal(result.code, 0, result.stderr);
    assert.ok(
      result.stdout.includes(`slipway: scan passed: image web ${ref} (failOn CRITICAL, 1 allowed)`),
    );
    const [verified] = verifyDigests([{ image: "web", ref }], verify, REGISTRY_CONFIG);
    assert.deepEqual(verified, {
      image: "web",
      ref,
      ok: true,
      message: `slipway: verified image web ${ref}: signed by the key of slipway:verify; provenance, sbom, scan attested`,
    });
  });

  it("an expired allow-list entry blocks again", async () => {
    const script = scanScript({
      image: "web",
      ref,
      platforms: ["linux/amd64"],
      scan: scanWith([{ id: "CVE-2099-0001", expires: "2020-01-01", reason: "expired" }]),
      sign: false,
      insecure: true,
    });
    const result = await sh(script);
    assert.equal(result.code, 1, result.stdout);
    assert.ok(result.stderr.includes("CVE-2099-0001 CRITICAL in package libslipway-demo1"));
  });

  it("refuses a digest whose newest scan is older than maxScanAgeDays", async () => {
    const old = await build("prod", "old", ["--build-arg", "APP_RELEASE=old-scan"]);
    const key = fs.readFileSync(good.key, "utf8");
    const signed = await sh(
      attestScript({ ref: old, attestations: { sign: true }, insecure: true })!,
      key,
    );
    assert.equal(signed.code, 0, signed.stderr);
    const predicate = path.join(work, "old-scan.json");
    fs.writeFileSync(
      predicate,
      JSON.stringify({
        invocation: { parameters: {}, uri: "", event_id: "", "builder.id": "slipway" },
        scanner: {
          uri: "",
          version: "",
          db: { uri: "", version: "" },
          result: { passed: true, failOn: "CRITICAL", findings: [] },
        },
        metadata: { scanStartedOn: "2026-01-01T00:00:00Z", scanFinishedOn: "2026-01-01T00:00:00Z" },
      }),
    );
    await runOk(
      "cosign",
      [
        "attest",
        "--yes",
        "--key",
        "env://COSIGN_PRIVATE_KEY",
        "--tlog-upload=false",
        "--allow-http-registry",
        "--type",
        "vuln",
        "--predicate",
        predicate,
        old,
      ],
      { env: { ...ENV, COSIGN_PRIVATE_KEY: key, COSIGN_PASSWORD: "" } },
    );
    const days = Math.floor(
      (Date.now() / 1000 - Date.parse("2026-01-01T00:00:00Z") / 1000) / 86400,
    );
    const [refused] = verifyDigests(
      [{ image: "web", ref: old }],
      { ...verify, require: ["scan"] },
      REGISTRY_CONFIG,
    );
    assert.equal(
      refused!.message,
      `slipway: refused ${old}: its last scan (2026-01-01T00:00:00Z) is ${days} days old; slipway:verify.maxScanAgeDays is 7: scan it again on the build stack`,
    );
  });

  it("refuses an unsigned digest and one signed with another key", () => {
    const [unsigned] = verifyDigests([{ image: "web", ref: unsignedRef }], verify, REGISTRY_CONFIG);
    assert.equal(
      unsigned!.message,
      `slipway: refused ${unsignedRef}: unsigned: it has no cosign signature (image web)`,
    );
    const [wrongKey] = verifyDigests(
      [{ image: "web", ref }],
      { ...verify, publicKeyFile: other.pub },
      REGISTRY_CONFIG,
    );
    assert.equal(wrongKey!.ok, false);
    assert.match(
      wrongKey!.message,
      new RegExp(
        `^slipway: refused ${ref.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: not signed by the key of slipway:verify: no matching signatures`,
      ),
    );
  });
});
