/**
 * The Docker Hub dynamic provider, serialized as the engine's dynamic-provider host loads it,
 * against a Docker-Hub-shaped HTTP fake.
 */
import { strict as assert } from "node:assert";
import type * as pulumi from "@pulumi/pulumi";
import { dockerHubProvider, type DockerHubRepositoryState } from "../../../infra/registry";
import { serializedProvider } from "../../helpers/dynamic";
import { FakeDockerHub } from "./fake-docker-hub";

describe("Docker Hub repositories: the dynamic provider against a Docker Hub fake", () => {
  let hub: FakeDockerHub;
  let provider: Required<pulumi.dynamic.ResourceProvider>;
  let inputs: DockerHubRepositoryState;

  before(async function () {
    this.timeout(30_000);
    provider = await serializedProvider(dockerHubProvider);
  });

  beforeEach(async () => {
    hub = await new FakeDockerHub().start();
    inputs = {
      namespace: "acme",
      name: "web",
      description: "The web app",
      isPrivate: true,
      apiUrl: hub.url,
      username: "acme-bot",
      token: "dckr_pat_good",
    };
  });
  afterEach(() => hub.stop());

  const calls = () => hub.requests.map((request) => `${request.method} ${request.path}`);

  it("creates a missing repository with its description and privacy", async () => {
    const result = await provider.create(inputs);
    assert.equal(result.id, "acme/web");
    assert.deepEqual(result.outs, inputs);
    assert.deepEqual(calls(), [
      "POST /v2/users/login/",
      "GET /v2/repositories/acme/web/",
      "POST /v2/namespaces/acme/repositories",
    ]);
    assert.deepEqual(hub.requests[0]!.body, { username: "acme-bot", password: "[redacted]" });
    assert.deepEqual(hub.requests[2]!.body, {
      namespace: "acme",
      name: "web",
      description: "The web app",
      is_private: true,
    });
    assert.deepEqual(hub.repositories.get("acme/web"), {
      namespace: "acme",
      name: "web",
      description: "The web app",
      full_description: "",
      is_private: true,
    });
  });

  it("adopts a repository a first push (or another stack) created, setting what differs", async () => {
    hub.repositories.set("acme/web", {
      namespace: "acme",
      name: "web",
      description: "",
      full_description: "readme",
      is_private: false,
    });
    const result = await provider.create(inputs);
    assert.deepEqual(result.outs, inputs);
    assert.deepEqual(calls(), [
      "POST /v2/users/login/",
      "GET /v2/repositories/acme/web/",
      "PATCH /v2/repositories/acme/web/",
      "POST /v2/repositories/acme/web/privacy",
    ]);
    assert.deepEqual(hub.repositories.get("acme/web")?.is_private, true);
    assert.equal(hub.repositories.get("acme/web")?.full_description, "readme", "left alone");
  });

  it("diffs to no change for the same inputs, and for a rotated token alone", async () => {
    const { outs } = await provider.create(inputs);
    hub.requests.length = 0;
    assert.deepEqual(await provider.diff("acme/web", outs, inputs), {
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
    assert.deepEqual(await provider.diff("acme/web", outs, { ...inputs, token: "dckr_pat_new" }), {
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
    assert.deepEqual(hub.requests, [], "a diff calls nothing");
  });

  it("updates description and visibility in place; a new name replaces", async () => {
    const { outs } = await provider.create(inputs);
    const news = { ...inputs, description: "Web, public now", isPrivate: false };
    assert.deepEqual(await provider.diff("acme/web", outs, news), {
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    hub.requests.length = 0;
    const updated = await provider.update("acme/web", outs, news);
    assert.deepEqual(updated.outs, news);
    assert.deepEqual(
      hub.requests.map((request) => [request.method, request.path, request.body]),
      [
        ["POST", "/v2/users/login/", { username: "acme-bot", password: "[redacted]" }],
        ["GET", "/v2/repositories/acme/web/", undefined],
        ["PATCH", "/v2/repositories/acme/web/", { description: "Web, public now" }],
        ["POST", "/v2/repositories/acme/web/privacy", { is_private: false }],
      ],
    );
    assert.deepEqual(hub.repositories.get("acme/web")?.description, "Web, public now");
    assert.deepEqual(hub.repositories.get("acme/web")?.is_private, false);
    assert.deepEqual(
      (await provider.diff("acme/web", outs, { ...inputs, name: "site" })).replaces,
      ["name"],
    );
  });

  it("reads what Docker Hub has (drift shows in the next diff), and nothing once it is gone", async () => {
    const { outs } = await provider.create(inputs);
    hub.repositories.get("acme/web")!.description = "edited on the web page";
    const read = await provider.read("acme/web", outs);
    assert.deepEqual(read, {
      id: "acme/web",
      props: { ...inputs, description: "edited on the web page" },
    });
    assert.equal((await provider.diff("acme/web", read.props, inputs)).changes, true);
    hub.repositories.delete("acme/web");
    assert.deepEqual(await provider.read("acme/web", outs), {});
  });

  it("deletes for real when asked; the component's retainOnDelete is what keeps the engine from asking", async () => {
    const { outs } = await provider.create(inputs);
    await provider.delete("acme/web", outs);
    assert.equal(hub.repositories.has("acme/web"), false);
    assert.deepEqual(calls().slice(-2), [
      "POST /v2/users/login/",
      "DELETE /v2/repositories/acme/web/",
    ]);
  });

  it("reports a 401 as a token problem, naming the user and the fix, never the token", async () => {
    const { outs } = await provider.create(inputs);
    hub.rotate("dckr_pat_rotated");
    const error = await provider.update("acme/web", outs, { ...inputs, description: "x" }).then(
      () => assert.fail("expected the update to fail"),
      (caught: unknown) => caught as Error,
    );
    assert.equal(
      error.message,
      "Docker Hub refused the token of acme-bot: 401 (Incorrect authentication credentials.); check the Docker Hub " +
        "access token in slipway:registry.password (read, write and delete scope for slipway:registry.username) and " +
        "set a new one with: pulumi config set --secret --path 'slipway:registry.password' <token>",
    );
    assert.ok(!error.message.includes("dckr_pat"), "the token is not in the message");
  });
});
