/** RegistryRepository under Pulumi mocks: which resources each kind of registry gets, and how. */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { recordResources, secrecy, settle, valueOf, type Recorded } from "../../helpers/mocks";

const DIGEST = `sha256:${"c3".repeat(32)}`;

describe("RegistryRepository", () => {
  let recorded: Recorded[];
  let options: Record<string, pulumi.CustomResourceOptions>;
  const capture = {
    transformations: [
      (args: pulumi.ResourceTransformationArgs) => {
        options[args.name] = args.opts;
        return undefined;
      },
    ],
  };

  beforeEach(async () => {
    recorded = await recordResources("dev");
    options = {};
  });

  const names = () => recorded.map((r) => `${r.type} ${r.name}`).sort();

  it("on Docker Hub: a DockerHubRepository, retained on delete, with the token secret", async () => {
    const { RegistryRepository } = await import("../../../infra/registry");
    const repository = new RegistryRepository(
      "web",
      {
        server: "docker.io",
        path: "acme/web",
        visibility: "private",
        description: "The web app",
        keepDevVersions: 5,
        username: "acme-bot",
        password: pulumi.secret("dckr_pat_x"),
        hubApiUrl: "http://127.0.0.1:1",
      },
      capture,
    );
    assert.equal(await valueOf(repository.visibility), "private");
    await settle();
    assert.deepEqual(names(), [
      "pulumi-nodejs:dynamic/slipway:DockerHubRepository web-hub",
      "slipway:registry:RegistryRepository web",
    ]);
    const hub = recorded.find((r) => r.name === "web-hub")!;
    const { __provider, token, ...rest } = hub.inputs;
    assert.match(String(__provider), /exports\.handler = /);
    assert.deepEqual(rest, {
      namespace: "acme",
      name: "web",
      description: "The web app",
      isPrivate: true,
      apiUrl: "http://127.0.0.1:1",
      username: "acme-bot",
    });
    assert.deepEqual(secrecy(token), { secret: "dckr_pat_x" });
    assert.equal(options["web-hub"]?.retainOnDelete, true);
    assert.deepEqual(options["web-hub"]?.additionalSecretOutputs, ["token"]);
    assert.deepEqual(await valueOf(repository.managed), ["existence", "description", "visibility"]);
  });

  it("on GHCR: a check of the pushed digest and its source label, retained, visibility unmanaged", async () => {
    const { RegistryRepository } = await import("../../../infra/registry");
    const repository = new RegistryRepository(
      "web",
      {
        server: "ghcr.io",
        path: "acme/web",
        keepDevVersions: 10,
        username: "bot",
        password: pulumi.secret("ghp_x"),
        digest: DIGEST,
        source: "https://github.com/acme/web",
      },
      capture,
    );
    assert.equal(await valueOf(repository.visibility), "unmanaged");
    assert.match(
      await valueOf(repository.unmanaged),
      /^visibility, access and the description are package settings on GitHub/,
    );
    await settle();
    assert.deepEqual(names(), [
      "pulumi-nodejs:dynamic/slipway:RepositoryCheck web-check",
      "slipway:registry:RegistryRepository web",
    ]);
    const { __provider, password, ...rest } = recorded.find((r) => r.name === "web-check")!.inputs;
    assert.equal(typeof __provider, "string");
    assert.deepEqual(rest, {
      server: "ghcr.io",
      path: "acme/web",
      insecure: false,
      digest: DIGEST,
      source: "https://github.com/acme/web",
      username: "bot",
    });
    assert.deepEqual(secrecy(password), { secret: "ghp_x" });
    assert.equal(options["web-check"]?.retainOnDelete, true);
  });

  it("on a plain registry: a check without a source label", async () => {
    const { RegistryRepository } = await import("../../../infra/registry");
    new RegistryRepository("web", {
      server: "127.0.0.1:5000",
      path: "slipway/web",
      keepDevVersions: 10,
      insecure: true,
      digest: DIGEST,
      source: "https://github.com/acme/web",
    });
    await settle();
    const { digest, source, insecure, username } = recorded.find(
      (r) => r.name === "web-check",
    )!.inputs;
    assert.deepEqual(
      { digest, source, insecure, username },
      {
        digest: DIGEST,
        source: "",
        insecure: true,
        username: "",
      },
    );
  });

  it("refuses Docker Hub without credentials before declaring the repository itself", async () => {
    const { RegistryRepository } = await import("../../../infra/registry");
    assert.throws(
      () =>
        new RegistryRepository("web", {
          server: "docker.io",
          path: "acme/web",
          keepDevVersions: 1,
        }),
      { message: "repository web on Docker Hub needs a username and an access token to manage it" },
    );
    await settle();
    assert.deepEqual(names(), ["slipway:registry:RegistryRepository web"]);
  });
});
