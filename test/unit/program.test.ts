/**
 * The composed program under Pulumi mocks, for the checked-in local stack: which resources
 * it declares and how the images reach the deploys. (Each component has its own tests; this
 * one catches wiring mistakes between them.)
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import {
  DIGEST_A,
  recordResources,
  secrecy,
  settle,
  valueOf,
  type Recorded,
} from "../helpers/mocks";

const ROOT = path.resolve(__dirname, "..", "..");

/** The local stack's config as the engine hands it to the program (no secrets in it). */
function localConfig(): Record<string, string> {
  const file = parse(fs.readFileSync(path.join(ROOT, "Pulumi.local.yaml"), "utf8")) as {
    config: Record<string, unknown>;
  };
  return Object.fromEntries(
    Object.entries(file.config).map(([key, value]) => [
      key,
      typeof value === "string" ? value : JSON.stringify(value),
    ]),
  );
}

describe("the program for the local stack", () => {
  let recorded: Recorded[];
  let program: Record<string, unknown>;

  const home = process.env.HOME;
  before(async function () {
    this.timeout(20_000);
    // The stack reads its SSH key from ~/.cache/slipway/state/ssh; unit tests use a stand-in
    // home so they need no generated key (scripts/services.sh makes the real one).
    const fakeHome = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-home-"));
    const keyDir = path.join(fakeHome, ".cache", "slipway", "state", "ssh");
    fs.mkdirSync(keyDir, { recursive: true });
    fs.writeFileSync(
      path.join(keyDir, "id_ed25519"),
      "-----BEGIN OPENSSH PRIVATE KEY-----\nunit-test-key\n-----END OPENSSH PRIVATE KEY-----\n",
      { mode: 0o600 },
    );
    // The stack signs with the local stacks' cosign key (scripts/supply-setup.sh makes the real
    // one) and needs syft, trivy, cosign and jq on PATH: stand-ins, never run under mocks.
    const cosignDir = path.join(fakeHome, ".cache", "slipway", "state", "cosign");
    fs.mkdirSync(cosignDir, { recursive: true });
    fs.writeFileSync(
      path.join(cosignDir, "cosign.key"),
      "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nunit-test-key\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n",
      { mode: 0o600 },
    );
    const tools = path.join(fakeHome, "bin");
    fs.mkdirSync(tools);
    for (const tool of ["syft", "trivy", "cosign", "oras", "jq"]) {
      fs.writeFileSync(path.join(tools, tool), "#!/bin/sh\nexit 99\n", { mode: 0o755 });
    }
    process.env.PATH = `${tools}${path.delimiter}${process.env.PATH ?? ""}`;
    process.env.HOME = fakeHome;
    recorded = await recordResources("local");
    pulumi.runtime.setAllConfig(localConfig(), []);
    program = await import("../../stacks/index");
    await valueOf(program.images as pulumi.Output<unknown>);
    await valueOf((program.deployed as Record<string, pulumi.Output<string>>).local!);
    await settle();
  });
  after(() => {
    process.env.HOME = home;
  });

  it("declares the two images with their attestations and one deployment per host", () => {
    assert.deepEqual(recorded.map((r) => `${r.type} ${r.name}`).sort(), [
      "command:local:Command edge-attest",
      "command:local:Command edge-supply-sbom",
      "command:local:Command edge-supply-scan",
      "command:local:Command web-attest",
      "command:local:Command web-supply-sbom",
      "command:local:Command web-supply-scan",
      "command:remote:Command slipway-edge-local-edge",
      "command:remote:Command web-local-release",
      "command:remote:Command web-local-service",
      "docker-build:index:Image edge-image",
      "docker-build:index:Image web-image",
      "slipway:deploy:HostDeployment web-local",
      "slipway:edge:EdgeProxy slipway-edge-local",
      "slipway:image:Attestation edge",
      "slipway:image:Attestation web",
      "slipway:image:ImageBuild edge",
      "slipway:image:ImageBuild web",
      "slipway:supply:SupplyChain edge-supply",
      "slipway:supply:SupplyChain web-supply",
    ]);
  });

  it("scans each built digest with the local stack's offline trivy database", () => {
    const urn = (name: string) => recorded.find((r) => r.name === name)!;
    const scan = urn("web-supply-scan");
    assert.deepEqual(scan.inputs.interpreter, ["/bin/sh", "-c"]);
    assert.match(
      String(scan.inputs.stdin),
      /^trivy image .* --cache-dir \S+\/\.cache\/slipway\/trivy --skip-db-update --skip-java-db-update --offline-scan --insecure /m,
    );
  });

  it("builds through the slipway builder and deploys the web digest behind the proxy digest", () => {
    const web = recorded.find((r) => r.name === "web-image")!;
    const proxy = recorded.find((r) => r.name === "proxy-image")!;
    assert.deepEqual(web.inputs.builder, { name: "slipway" });
    assert.deepEqual(proxy.inputs.context, { location: path.join(ROOT, "proxy") });
    const release = recorded.find((r) => r.name === "web-local-release")!;
    const webRef = `127.0.0.1:5000/slipway/web@${DIGEST_A}`;
    const proxyRef = `127.0.0.1:5000/slipway/proxy@${DIGEST_A}`;
    assert.equal((release.inputs.triggers as unknown[])[0], webRef);
    const script = String(release.inputs.create);
    assert.ok(script.includes(webRef), "the release script pulls the web digest");
    assert.ok(script.includes(proxyRef), "the release script runs the proxy digest");
    const connection = secrecy(release.inputs.connection);
    assert.ok("secret" in connection, "the connection carries the key, so it is secret");
    const { host, port, user, privateKey } = connection.secret as Record<string, unknown>;
    assert.deepEqual({ host, port, user }, { host: "127.0.0.1", port: 2222, user: "root" });
    assert.match(String(privateKey), /^-----BEGIN OPENSSH PRIVATE KEY-----/);
  });

  it("exports role, hosts, service, what each host runs, and the ledger", async () => {
    assert.equal(program.role, "build");
    assert.deepEqual(program.hosts, {
      local: { address: "127.0.0.1", port: 2222, user: "root", transport: "ssh" },
    });
    assert.deepEqual(program.service, {
      name: "web",
      image: "web",
      publishedPort: 18080,
      healthPath: "/healthz",
    });
    assert.deepEqual(
      await valueOf((program.deployed as Record<string, pulumi.Output<string>>).local!),
      `127.0.0.1:5000/slipway/web@${DIGEST_A}`,
    );
    assert.deepEqual(program.ledger, { stack: "local", releases: [] });
    assert.equal(program.githubEnvironment, null);
  });
});
