/**
 * The repository check's dynamic provider, serialized as the engine loads it, against the
 * in-process registry: it answers, holds the digest, and carries the source label.
 */
import { strict as assert } from "node:assert";
import type * as pulumi from "@pulumi/pulumi";
import { repositoryCheckProvider, type RepositoryCheckState } from "../../../infra/registry";
import { serializedProvider } from "../../helpers/dynamic";
import { FakeRegistry } from "./fake-registry";

const SOURCE = "https://github.com/acme/web";

describe("repository check: the dynamic provider against a registry", () => {
  let registry: FakeRegistry;
  let provider: Required<pulumi.dynamic.ResourceProvider>;
  let digest: string;
  let state: RepositoryCheckState;

  before(async function () {
    this.timeout(30_000);
    provider = await serializedProvider(repositoryCheckProvider);
    registry = await new FakeRegistry({ auth: "bearer" }).start();
    digest = registry.pushIndex("acme/web", ["linux/amd64", "linux/arm64"], {
      tags: ["sha-1234567"],
      labels: { "org.opencontainers.image.source": `${SOURCE}.git` },
    });
  });
  after(() => registry.stop());

  beforeEach(() => {
    state = {
      server: registry.server,
      path: "acme/web",
      insecure: true,
      digest,
      source: SOURCE,
      username: "bot",
      password: "s3cret",
    };
  });

  it("passes for the pushed digest whose source label names the repository, counting tags", async () => {
    const result = await provider.create(state);
    assert.deepEqual(result, { id: `${registry.server}/acme/web`, outs: { ...state, tags: 1 } });
  });

  it("fails for a digest the repository does not have, saying what to do", async () => {
    const missing = `sha256:${"0".repeat(64)}`;
    await assert.rejects(provider.create({ ...state, digest: missing }), {
      message: `${registry.server}/acme/web has no manifest ${missing}; push the image (pulumi up on the build stack) before this check`,
    });
  });

  it("fails when the source label links the package to another repository", async () => {
    await assert.rejects(
      provider.update("x", state, { ...state, source: "https://github.com/acme/api" }),
      {
        message:
          `${registry.server}/acme/web@${digest} has org.opencontainers.image.source "${SOURCE}.git", but the stack's ` +
          "source is https://github.com/acme/api; GHCR links the package to the repository this label names: set " +
          "slipway:source, or remove a LABEL that overrides it in the Dockerfile",
      },
    );
  });

  it("reports refused credentials as such", async () => {
    await assert.rejects(provider.create({ ...state, password: "wrong" }), (error: Error) => {
      assert.match(error.message, /refused the credentials of bot: 401/);
      assert.ok(!error.message.includes("wrong"));
      return true;
    });
  });

  it("re-checks only when what it checks changes; deletes nothing", async () => {
    assert.deepEqual(await provider.diff("x", state, { ...state, password: "rotated" }), {
      changes: false,
      replaces: [],
    });
    assert.deepEqual(await provider.diff("x", state, { ...state, digest: "sha256:other" }), {
      changes: true,
      replaces: [],
    });
    const before = registry.requests.length;
    await provider.delete("x", state);
    assert.equal(registry.requests.length, before);
  });
});
