import { strict as assert } from "node:assert";
import type { SlipwayConfig } from "../../../src/config";
import {
  blockingSeverities,
  ignoreFile,
  missingTools,
  policyKey,
  sbomScript,
  scanScript,
  verifyScript,
} from "../../../src/supply";

const INDEX = `sha256:${"ab".repeat(32)}`;
const REF = `127.0.0.1:5000/acme/web@${INDEX}`;
const SCAN = {
  failOn: "HIGH" as const,
  allow: [{ id: "CVE-2099-0001", expires: "2027-01-31", reason: "not reachable: no TLS here" }],
  cacheDir: "/var/cache/trivy",
  offline: true,
};

function lines(script: string): string[] {
  return script.split("\n");
}

describe("supply-chain scripts as data", () => {
  it("failOn blocks its own severity and every one above it", () => {
    assert.deepEqual(blockingSeverities("CRITICAL"), ["CRITICAL"]);
    assert.deepEqual(blockingSeverities("MEDIUM"), ["MEDIUM", "HIGH", "CRITICAL"]);
  });

  it("the allow-list is trivy's ignore file, with expiry and reason", () => {
    assert.equal(
      ignoreFile(SCAN.allow),
      '{"vulnerabilities":[{"id":"CVE-2099-0001","expired_at":"2027-01-31T00:00:00Z","statement":"not reachable: no TLS here"}]}\n',
    );
    assert.equal(
      policyKey(SCAN),
      '{"failOn":"HIGH","allow":[["CVE-2099-0001","2027-01-31","not reachable: no TLS here"]]}',
    );
  });

  it("SBOM: one syft run per platform, at once, attested on that platform's manifest digest", () => {
    const signed = lines(
      sbomScript({
        ref: REF,
        platforms: ["linux/amd64", "linux/arm64"],
        sign: true,
        insecure: true,
      }),
    );
    assert.ok(signed.includes(`ref=${REF}`));
    assert.ok(signed.includes("export SYFT_REGISTRY_INSECURE_USE_HTTP=true"));
    assert.deepEqual(
      signed.filter((line) => line.startsWith("  syft ")),
      [
        '  syft scan -q -o spdx-json=sbom-linux-amd64.spdx.json "registry:$repository@$digest"',
        '  syft scan -q -o spdx-json=sbom-linux-arm64.spdx.json "registry:$repository@$digest"',
      ],
    );
    // Each platform in its own background subshell, then waited for in platform order.
    assert.deepEqual(
      signed.filter((line) => /^(\(|\) |job_|wait |failed=|\[ "\$failed")/.test(line)),
      [
        "(",
        ') >"$work"/sbom-linux-amd64.out 2>"$work"/sbom-linux-amd64.err &',
        "job_0=$!",
        "(",
        ') >"$work"/sbom-linux-arm64.out 2>"$work"/sbom-linux-arm64.err &',
        "job_1=$!",
        "failed=0",
        'wait "$job_0" || failed=1',
        'wait "$job_1" || failed=1',
        '[ "$failed" -eq 0 ] || exit 1',
      ],
    );
    assert.equal(
      signed.find((line) => line.startsWith("  cosign attest"))?.trim(),
      'cosign attest --yes --key env://COSIGN_PRIVATE_KEY --tlog-upload=false --allow-http-registry --allow-insecure-registry --type spdxjson --predicate "$work"/sbom-linux-amd64.spdx.json "$repository@$digest"',
    );
    const unsigned = lines(
      sbomScript({ ref: REF, platforms: ["linux/amd64"], sign: false, insecure: false }),
    );
    assert.equal(
      unsigned.find((line) => line.startsWith("  oras attach"))?.trim(),
      `oras attach --registry-config "$work"/docker/config.json --artifact-type application/spdx+json "$repository@$digest" sbom-linux-amd64.spdx.json:application/spdx+json >/dev/null`,
    );
    assert.ok(!unsigned.some((line) => line.includes("SYFT_REGISTRY_INSECURE_USE_HTTP")));
  });

  it("scan: trivy per platform with the policy, the result attested, failing names findings", () => {
    const script = lines(
      scanScript({
        image: "web",
        ref: REF,
        platforms: ["linux/amd64"],
        scan: SCAN,
        sign: true,
        insecure: true,
      }),
    );
    assert.equal(
      script.find((line) => line.startsWith("trivy image")),
      'trivy image --quiet --scanners vuln --format json --severity HIGH,CRITICAL --ignorefile "$work"/ignore.yaml --cache-backend memory --cache-dir /var/cache/trivy --skip-db-update --skip-java-db-update --offline-scan --insecure --output "$work"/scan-linux-amd64.json "$repository@$digest"',
    );
    assert.equal(
      script.find((line) => line.startsWith("cosign attest")),
      'cosign attest --yes --key env://COSIGN_PRIVATE_KEY --tlog-upload=false --allow-http-registry --allow-insecure-registry --type vuln --predicate "$work"/scan.json "$ref"',
    );
    assert.ok(
      script.includes(ignoreFile(SCAN.allow).trimEnd()),
      "the ignore file is in the script",
    );
    assert.ok(
      script.includes(
        `  echo 'slipway: image web '"$ref"': '"$blocked"' finding(s) at or above HIGH; no host was touched. Fix them, or accept each one in slipway:scan.allow with id, expires and reason' >&2`,
      ),
    );
  });

  it("verify: signature, then each required attestation by the same key", () => {
    const script = lines(
      verifyScript({
        image: "web",
        ref: REF,
        insecure: false,
        publicKey: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        verify: { publicKeyFile: "cosign.pub", require: ["provenance", "scan"], maxScanAgeDays: 3 },
      }),
    );
    assert.ok(
      script.includes(
        'if ! cosign verify --key "$work"/cosign.pub --insecure-ignore-tlog=true --output json "$ref" >"$work/signature.json" 2>"$work/signature.err"; then',
      ),
    );
    assert.deepEqual(
      script.filter((line) => line.startsWith("attested ")),
      ['attested slsaprovenance1 "$ref" provenance', 'attested vuln "$ref" scan'],
    );
    assert.ok(script.includes(`if [ "$age" -gt ${3 * 86400} ]; then`));
    const keyless = verifyScript({
      image: "web",
      ref: REF,
      insecure: false,
      verify: {
        identity: "https://ci.example/wf.yml@refs/heads/main",
        issuer: "https://token.actions.githubusercontent.com",
        require: [],
        maxScanAgeDays: 7,
      },
    });
    assert.ok(
      keyless.includes(
        "cosign verify --certificate-identity https://ci.example/wf.yml@refs/heads/main --certificate-oidc-issuer https://token.actions.githubusercontent.com --output json",
      ),
    );
    assert.ok(!keyless.includes("insecure-ignore-tlog"), "keyless checks the transparency log");
  });

  it("a missing syft or trivy is named with the bootstrap command, before any resource", () => {
    const config = {
      images: [{ kind: "build", name: "web" }],
      attestations: { provenance: "max", sbom: true, sign: true },
      scan: SCAN,
    } as unknown as SlipwayConfig;
    assert.deepEqual(
      missingTools(config, (tool) => tool === "jq"),
      [
        "slipway:attestations.sbom needs syft, which is not on PATH; install it with: scripts/bootstrap-engine.sh --only syft (then . scripts/pulumi-env.sh), or install syft",
        "slipway:attestations.sign needs cosign, which is not on PATH; install it with: scripts/install-system.sh, or install cosign",
        "slipway:scan needs trivy, which is not on PATH; install it with: scripts/bootstrap-engine.sh --only trivy (then . scripts/pulumi-env.sh), or install trivy",
      ],
    );
  });
});
