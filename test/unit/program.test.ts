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
import { isMovingTag } from "../../src/images";
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
      "command:local:Command proxy-attest",
      "command:local:Command proxy-tags",
      "command:local:Command web-attest",
      "command:local:Command web-tags",
      "command:remote:Command web-local-release",
      "command:remote:Command web-local-service",
      "docker-build:index:Image proxy-image",
      "docker-build:index:Image web-image",
      "pulumi-nodejs:dynamic/slipway:RepositoryCheck proxy-check",
      "pulumi-nodejs:dynamic/slipway:RepositoryCheck web-check",
      "slipway:deploy:HostDeployment web-local",
      "slipway:image:Attestation proxy",
      "slipway:image:Attestation web",
      "slipway:image:ImageBuild proxy",
      "slipway:image:ImageBuild web",
      "slipway:registry:RegistryRepository proxy",
      "slipway:registry:RegistryRepository web",
      "slipway:image:MovingTags proxy",
      "slipway:image:MovingTags web",
    ]);
  });

  it("pushes only per-build tags, and moves dev once the host's deploy reports the new digest", () => {
    const web = recorded.find((r) => r.name === "web-image")!;
    const tags = web.inputs.tags as string[];
    assert.ok(
      tags.length > 0 && tags.every((tag) => /:(sha-|dev-[0-9])/.test(tag)),
      tags.join(" "),
    );
    const move = recorded.find((r) => r.name === "web-tags")!;
    const webRef = `127.0.0.1:5000/slipway/web@${DIGEST_A}`;
    // Its inputs include what the host deployment reports after its health gate, so the
    // engine runs it only after that deploy succeeded.
    const [ref, moving, healthy] = move.inputs.triggers as [string, string[], string[]];
    assert.equal(ref, webRef);
    assert.deepEqual(healthy, [webRef]);
    // dev on main, the branch name elsewhere: whatever moves, and only that.
    assert.ok(moving.length === 1 && isMovingTag(moving[0]!), moving.join(" "));
    assert.ok(String(move.inputs.create).includes(`'${webRef}' '${moving[0]!}'`));
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
    const managed = {
      kind: "oci",
      visibility: "unmanaged",
      keepDevVersions: 10,
      managed: ["answers (checked)"],
      unmanaged:
        "a plain registry has no visibility, description or access settings per repository",
    };
    assert.deepEqual(await valueOf(program.repositories as pulumi.Output<unknown>), {
      web: { repository: "127.0.0.1:5000/slipway/web", ...managed },
      proxy: { repository: "127.0.0.1:5000/slipway/proxy", ...managed },
    });
    // No release is recorded for the local stack in the repository: this update makes #1.
    const release = (await valueOf(program.release as pulumi.Output<unknown>)) as {
      kind: string;
      images: Record<string, { digest: string; ref: string }>;
    };
    assert.equal(release.kind, "up");
    assert.deepEqual(
      Object.fromEntries(Object.entries(release.images).map(([name, image]) => [name, image.ref])),
      {
        web: `127.0.0.1:5000/slipway/web@${DIGEST_A}`,
        proxy: `127.0.0.1:5000/slipway/proxy@${DIGEST_A}`,
      },
    );
    const ledger = (await valueOf(program.ledger as pulumi.Output<unknown>)) as {
      file: string;
      releases: { id: number; kind: string; images: unknown }[];
    };
    assert.equal(ledger.file, "stacks/releases/local.yaml");
    assert.deepEqual(ledger.releases, [{ id: 1, ...release }]);
    assert.equal(program.githubEnvironment, null);
  });
});
