import { strict as assert } from "node:assert";
import { generateKeyPairSync } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConfigError, validateConfig, type ConfigIssue } from "../../../src/config";

const DIGEST = `sha256:${"ab".repeat(32)}`;

function base(): Record<string, any> {
  return {
    role: "promote",
    registry: { server: "127.0.0.1:5000", namespace: "acme", insecure: true },
    images: { web: { pin: { digest: DIGEST } } },
  };
}

function issuesOf(raw: Record<string, unknown>, root?: string): ConfigIssue[] {
  try {
    validateConfig("prod", raw, root === undefined ? {} : { root });
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return [...error.issues];
  }
  return [];
}

/** A cosign-shaped public key: a P-256 key in SPKI PEM, as cosign.pub is. */
function publicKeyPem(): string {
  const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return pair.publicKey.export({ type: "spki", format: "pem" }).toString();
}

describe("supply-chain config: slipway:scan, slipway:verify, attestations.cosignKeyFile", () => {
  it("defaults: failOn CRITICAL, no allow-list; verify requires everything within 7 days", () => {
    const raw = base();
    raw.scan = {};
    raw.verify = { publicKey: publicKeyPem() };
    const config = validateConfig("prod", raw);
    assert.deepEqual(config.scan, { failOn: "CRITICAL", allow: [], offline: false });
    assert.deepEqual(config.verify?.require, ["provenance", "sbom", "scan"]);
    assert.equal(config.verify?.maxScanAgeDays, 7);
    assert.equal(validateConfig("prod", base()).scan, undefined, "absent: no scan");
  });

  it("refuses failOn that is not a trivy severity, with its path", () => {
    const raw = base();
    raw.scan = { failOn: "SEVERE" };
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:scan.failOn",
        message:
          '"SEVERE" is not a trivy severity; use one of UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL',
      },
    ]);
  });

  it("refuses an allow-list entry without expiry or reason, each with its path and fix", () => {
    const raw = base();
    raw.scan = {
      allow: [
        { id: "CVE-2099-0001", reason: "not reachable" },
        { id: "CVE-2099-0002", expires: "2027-01-31" },
        { id: "CVE-2099-0003", expires: "2027-02-30", reason: "x" },
        { id: "not a cve", expires: "2027-01-31", reason: "x" },
      ],
    };
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:scan.allow[0].expires",
        message:
          "is required: every allowed vulnerability needs an expiry date; set it with: pulumi config set --path 'slipway:scan.allow[0].expires' 2027-01-31",
      },
      {
        path: "slipway:scan.allow[1].reason",
        message:
          "is required: say why this vulnerability is accepted; set it with: pulumi config set --path 'slipway:scan.allow[1].reason' '<reason>'",
      },
      {
        path: "slipway:scan.allow[2].expires",
        message: '"2027-02-30" is not a date YYYY-MM-DD, e.g. 2027-01-31',
      },
      {
        path: "slipway:scan.allow[3].id",
        message: "is not a vulnerability id such as CVE-2024-1234 or GHSA-…",
      },
    ]);
  });

  it("refuses a malformed public key and a keyless identity without issuer", () => {
    const raw = base();
    raw.verify = {
      publicKey: "-----BEGIN PUBLIC KEY-----\nnot base64 at all\n-----END PUBLIC KEY-----",
    };
    const [malformed] = issuesOf(raw);
    assert.equal(malformed?.path, "slipway:verify.publicKey");
    assert.match(
      malformed.message,
      /^is not a valid public key \(.+\); use cosign.pub from cosign generate-key-pair$/,
    );

    raw.verify = { publicKey: "ssh-ed25519 AAAA" };
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:verify.publicKey",
        message:
          "is not a PEM public key (-----BEGIN PUBLIC KEY----- … -----END PUBLIC KEY-----, e.g. cosign.pub from cosign generate-key-pair)",
      },
    ]);

    raw.verify = { identity: "https://ci.example/workflows/main.yml@refs/heads/main" };
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:verify.issuer",
        message:
          "is required with identity (keyless): the OIDC issuer of the signer, e.g. pulumi config set --path 'slipway:verify.issuer' https://token.actions.githubusercontent.com",
      },
    ]);

    raw.verify = { require: ["sbom"] };
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:verify",
        message:
          "names no signer: set publicKeyFile (pulumi config set --path 'slipway:verify.publicKeyFile' cosign.pub), publicKey, or identity and issuer for keyless signing",
      },
    ]);
  });

  it("reads key files when the project root is given: missing, or not a key", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-supply-keys-"));
    fs.writeFileSync(path.join(dir, "not.pub"), "hello\n");
    const raw = base();
    raw.verify = { publicKeyFile: path.join(dir, "not.pub") };
    raw.attestations = { sign: true, cosignKeyFile: path.join(dir, "missing.key") };
    const root = path.resolve(__dirname, "..", "..", "..");
    assert.deepEqual(issuesOf(raw, root), [
      {
        path: "slipway:verify.publicKeyFile",
        message: `${dir}/not.pub is not a PEM public key (-----BEGIN PUBLIC KEY----- … -----END PUBLIC KEY-----, e.g. cosign.pub from cosign generate-key-pair)`,
      },
      {
        path: "slipway:attestations.cosignKeyFile",
        message: `cannot read ${dir}/missing.key (ENOENT); scripts/supply-setup.sh makes the local stacks' key pair`,
      },
    ]);
  });
});
