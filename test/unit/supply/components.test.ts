import { strict as assert } from "node:assert";
import { generateKeyPairSync } from "node:crypto";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { Secret, validateConfig } from "../../../src/config";
import { DIGEST_A, recordResources, secrecy, settle, type Recorded } from "../../helpers/mocks";

const PUBLIC_KEY = generateKeyPairSync("ec", { namedCurve: "P-256" })
  .publicKey.export({ type: "spki", format: "pem" })
  .toString();
const REF = `127.0.0.1:5000/acme/web@${DIGEST_A}`;

describe("supply-chain components under mocks", () => {
  let recorded: Recorded[];

  before(async () => {
    recorded = await recordResources("supply");
    const { declareSupplyChain } = await import("../../../infra/supply");
    const build = validateConfig("dev", {
      registry: { server: "127.0.0.1:5000", namespace: "acme", insecure: true },
      images: { web: { build: { context: "app", platforms: ["linux/amd64"] } } },
      attestations: { sbom: true, sign: true, cosignKey: new Secret("PRIVATE KEY") },
      scan: { failOn: "HIGH" },
    });
    // One platform: SBOM, scan and attestation all write the one manifest's attestations.
    const attest = new command.local.Command("web-attest", { create: "true" });
    // Marked secret here: the scripts waiting for it must stay plain (as in the state).
    declareSupplyChain(build, { web: REF }, { web: pulumi.secret(attest.stdout) });
    const promote = validateConfig("prod", {
      role: "promote",
      registry: {
        server: "127.0.0.1:5000",
        namespace: "acme",
        insecure: true,
        username: "bot",
        password: new Secret("pw"),
      },
      images: { web: { pin: { digest: DIGEST_A } } },
      verify: { publicKey: PUBLIC_KEY, require: ["sbom", "scan"] },
    });
    declareSupplyChain(promote, { web: pulumi.output(REF) });
    await settle();
  });

  it("a built image gets SBOM and scan commands keyed by digest (and policy)", () => {
    assert.deepEqual(
      recorded
        .filter((r) => r.name.startsWith("web-supply"))
        .map((r) => `${r.type} ${r.name}`)
        .sort(),
      [
        "command:local:Command web-supply-sbom",
        "command:local:Command web-supply-scan",
        "slipway:supply:SupplyChain web-supply",
      ],
    );
    const sbom = recorded.find((r) => r.name === "web-supply-sbom")!;
    const scan = recorded.find((r) => r.name === "web-supply-scan")!;
    assert.deepEqual(sbom.inputs.triggers, [REF]);
    assert.deepEqual(scan.inputs.triggers, [REF, '{"failOn":"HIGH","allow":[]}']);
    assert.deepEqual(secrecy(sbom.inputs.environment), {
      secret: { COSIGN_PRIVATE_KEY: "PRIVATE KEY", COSIGN_PASSWORD: "" },
    });
    assert.equal(scan.inputs.create, "exec /bin/sh -s", "the script comes on stdin");
    assert.ok(!String(scan.inputs.stdin).includes("PRIVATE KEY"), "no secret in the script");
    assert.match(String(scan.inputs.stdin), /--severity HIGH,CRITICAL/);
  });

  it("one platform: the SBOM waits for the attestation and the scan for both (one manifest)", () => {
    const deps = (name: string) => recorded.find((r) => r.name === name)!.options.dependsOn;
    assert.deepEqual(deps("web-supply-sbom"), ["web-attest"]);
    assert.deepEqual(deps("web-supply-scan"), ["web-attest", "web-supply-sbom"]);
    for (const name of ["web-supply-sbom", "web-supply-scan"]) {
      const stdin = recorded.find((r) => r.name === name)!.inputs.stdin as unknown;
      assert.ok("plain" in secrecy(stdin), `${name}'s script is plain`);
      assert.match(String(stdin), /^set -eu$/m);
    }
  });

  it("a pinned image of a stack with slipway:verify gets a Verification with the key", () => {
    const verify = recorded.find((r) => r.name === "web-verify-verify")!;
    assert.equal(verify.type, "command:local:Command");
    assert.equal(verify.inputs.triggers[0], REF);
    assert.deepEqual(JSON.parse(verify.inputs.triggers[1]), {
      key: PUBLIC_KEY.trim(),
      identity: null,
      issuer: null,
      require: ["sbom", "scan"],
      maxScanAgeDays: 7,
    });
    assert.equal(verify.inputs.create, "exec /bin/sh -s");
    const script = String(verify.inputs.stdin);
    assert.ok(script.includes(PUBLIC_KEY.trim()), "the public key is written to the work dir");
    assert.match(script, /^if ! cosign verify --key "\$work"\/cosign.pub /m);
    assert.deepEqual(secrecy(verify.inputs.environment), {
      secret: { SLIPWAY_REGISTRY_AUTH: Buffer.from("bot:pw").toString("base64") },
    });
  });
});
