import { strict as assert } from "node:assert";
import * as net from "node:net";
import { RegistryClient, RegistryError } from "../../../src/registry";
import { FakeRegistry, type FakeRegistryOptions } from "./fake-registry";

const secret = (value: string) => ({ reveal: () => value });

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("registry client", () => {
  let registry: FakeRegistry;

  async function start(options: FakeRegistryOptions = {}): Promise<RegistryClient> {
    registry = await new FakeRegistry(options).start();
    return new RegistryClient({
      server: registry.server,
      insecure: true,
      ...(options.auth === undefined || options.auth === "none"
        ? {}
        : { username: "bot", password: secret("s3cret") }),
    });
  }

  afterEach(async () => registry.stop());

  it("resolves a tag to the digest of the index and lists the platforms without attestations", async () => {
    const client = await start();
    const digest = registry.pushIndex("acme/web", ["linux/amd64", "linux/arm64"], {
      tags: ["sha-4c2a9e1", "dev"],
    });
    assert.equal(await client.resolve("acme/web", "sha-4c2a9e1"), digest);
    assert.equal(await client.resolve("acme/web", "nope"), undefined);
    const described = await client.describe("acme/web", digest, { created: true });
    assert.deepEqual(
      { ...described, children: described?.children.length },
      {
        digest,
        mediaType: "application/vnd.oci.image.index.v1+json",
        index: true,
        platforms: ["linux/amd64", "linux/arm64"],
        children: 4,
        created: "2025-01-01T00:00:00Z",
      },
    );
  });

  it("describes a single-platform image by its config", async () => {
    const client = await start();
    const digest = registry.pushSingle("acme/web", "linux/arm64/v8", {
      created: "2025-02-03T04:05:06Z",
    });
    assert.deepEqual(await client.describe("acme/web", digest, { created: true }), {
      digest,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      index: false,
      platforms: ["linux/arm64"],
      children: [],
      created: "2025-02-03T04:05:06Z",
    });
    assert.equal(await client.describe("acme/web", `sha256:${"0".repeat(64)}`), undefined);
    assert.equal(await client.exists("acme/web", digest), true);
    assert.equal(await client.exists("acme/web", `sha256:${"0".repeat(64)}`), false);
  });

  it("lists tags across pages and returns none for an unknown repository", async () => {
    const client = await start({ pageSize: 2 });
    const digest = registry.pushIndex("acme/web", ["linux/amd64"]);
    for (const tag of ["a", "b", "c", "d", "e"]) {
      registry.tag("acme/web", tag, digest);
    }
    assert.deepEqual(await client.tags("acme/web"), ["a", "b", "c", "d", "e"]);
    assert.deepEqual(await client.tags("acme/none"), []);
  });

  it("gets a bearer token with basic credentials for the challenged scope", async () => {
    const client = await start({ auth: "bearer" });
    const digest = registry.pushIndex("acme/web", ["linux/amd64"], { tags: ["v1"] });
    assert.equal(await client.resolve("acme/web", "v1"), digest);
    assert.equal(await client.resolve("acme/web", "v1"), digest);
    assert.deepEqual(
      registry.requests.map(
        (request) => `${request.method} ${request.url} ${request.authorization ?? "-"}`,
      ),
      [
        "HEAD /v2/acme/web/manifests/v1 -",
        "GET /token?service=fake-registry&scope=repository%3Aacme%2Fweb%3Apull Basic Ym90OnMzY3JldA==",
        "HEAD /v2/acme/web/manifests/v1 Bearer token-for:repository:acme/web:pull",
        "HEAD /v2/acme/web/manifests/v1 Bearer token-for:repository:acme/web:pull",
      ],
    );
  });

  it("uses basic auth when the registry asks for it", async () => {
    const client = await start({ auth: "basic" });
    registry.pushIndex("acme/web", ["linux/amd64"], { tags: ["v1"] });
    assert.deepEqual(await client.tags("acme/web"), ["v1"]);
  });

  it("reports refused credentials, missing credentials and an unreachable registry", async () => {
    await start({ auth: "bearer" });
    registry.pushIndex("acme/web", ["linux/amd64"], { tags: ["v1"] });
    const wrong = new RegistryClient({
      server: registry.server,
      insecure: true,
      username: "bot",
      password: secret("wrong"),
    });
    await assert.rejects(wrong.tags("acme/web"), {
      name: "RegistryError",
      kind: "unauthorized",
      message: `the token service of ${registry.server} (http://${registry.server}) refused the credentials of bot: 401`,
    });
    const basicRegistry = await new FakeRegistry({ auth: "basic" }).start();
    try {
      const anonymous = new RegistryClient({ server: basicRegistry.server, insecure: true });
      await assert.rejects(anonymous.tags("acme/web"), {
        kind: "unauthorized",
        message: `${basicRegistry.server} requires credentials for acme/web; set slipway:registry.username and password`,
      });
    } finally {
      await basicRegistry.stop();
    }
    const port = await closedPort();
    const closed = new RegistryClient({ server: `127.0.0.1:${port}`, insecure: true });
    await assert.rejects(closed.tags("acme/web"), (error: unknown) => {
      assert.ok(error instanceof RegistryError);
      assert.equal(error.kind, "unreachable");
      assert.equal(error.message, `cannot reach registry 127.0.0.1:${port} (http): ECONNREFUSED`);
      return true;
    });
  });

  it("deletes a manifest by digest, which removes every tag on it", async () => {
    const client = await start();
    const old = registry.pushIndex("acme/web", ["linux/amd64"], {
      tags: ["sha-1", "dev-1-g1"],
      content: "1",
    });
    const kept = registry.pushIndex("acme/web", ["linux/amd64"], { tags: ["sha-2"], content: "2" });
    await client.delete("acme/web", old);
    await client.delete("acme/web", old);
    assert.deepEqual(registry.tagsOf("acme/web"), { "sha-2": kept });
  });

  it("says how to enable deletes when the registry refuses them", async () => {
    const client = await start({ deleteEnabled: false });
    const digest = registry.pushIndex("acme/web", ["linux/amd64"], { tags: ["sha-1"] });
    await assert.rejects(client.delete("acme/web", digest), {
      kind: "unsupported",
      message:
        `${registry.server} does not allow deletes (a distribution registry needs storage.delete.enabled: true, ` +
        "REGISTRY_STORAGE_DELETE_ENABLED=true)",
    });
  });
});
