/** RegistryRepository under Pulumi mocks: which resources each kind of registry gets, and how. */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { execFileSync } from "node:child_process";
import { repositoryCheckScript } from "../../../src/registry";
import { checkedOnHostsScript } from "../../../src/registry/check-script";
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

  it("on GHCR: a local command checking the pushed digest and its source label, the login only in its secret environment", async () => {
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
      "command:local:Command web-check",
      "slipway:registry:RegistryRepository web",
    ]);
    const check = recorded.find((r) => r.name === "web-check")!;
    const { environment, ...rest } = check.inputs;
    const script = repositoryCheckScript({
      server: "ghcr.io",
      path: "acme/web",
      insecure: false,
      digest: DIGEST,
      source: "https://github.com/acme/web",
      username: "bot",
    });
    assert.deepEqual(rest, {
      create: "exec /bin/sh -s",
      update: "exec /bin/sh -s",
      stdin: script,
      interpreter: ["/bin/sh", "-c"],
      triggers: ["ghcr.io", "acme/web", false, DIGEST, "https://github.com/acme/web"],
      addPreviousOutputInEnv: false,
      logging: "stdoutAndStderr",
    });
    assert.deepEqual(secrecy(environment), {
      secret: { SLIPWAY_REGISTRY_AUTH: Buffer.from("bot:ghp_x").toString("base64") },
    });
    // The token is only in the secret environment: no plain input holds it, in any form.
    const plain = JSON.stringify(rest);
    assert.ok(
      !plain.includes("ghp_x") && !plain.includes(Buffer.from("bot:ghp_x").toString("base64")),
    );
    assert.equal(options["web-check"]?.retainOnDelete, true);
    assert.equal(check.options.parent, "web");
  });

  it("on a plain registry: a check of the digest without a source label or credentials", async () => {
    const { RegistryRepository } = await import("../../../infra/registry");
    const repository = new RegistryRepository("web", {
      server: "127.0.0.1:5000",
      path: "slipway/web",
      keepDevVersions: 10,
      insecure: true,
      digest: DIGEST,
      source: "https://github.com/acme/web",
    });
    assert.deepEqual(
      {
        kind: await valueOf(repository.kind),
        visibility: await valueOf(repository.visibility),
        keepDevVersions: await valueOf(repository.keepDevVersions),
        managed: await valueOf(repository.managed),
        unmanaged: await valueOf(repository.unmanaged),
      },
      {
        kind: "oci",
        visibility: "unmanaged",
        keepDevVersions: 10,
        managed: ["answers (checked)"],
        unmanaged:
          "a plain registry has no visibility, description or access settings per repository",
      },
    );
    await settle();
    const check = recorded.find((r) => r.name === "web-check")!;
    const script = repositoryCheckScript({
      server: "127.0.0.1:5000",
      path: "slipway/web",
      insecure: true,
      digest: DIGEST,
    });
    assert.equal(check.type, "command:local:Command");
    assert.equal(check.inputs.stdin, script);
    assert.equal(check.inputs.create, "exec /bin/sh -s");
    assert.equal(check.inputs.update, "exec /bin/sh -s");
    assert.equal(check.inputs.delete, undefined);
    assert.deepEqual(check.inputs.triggers, ["127.0.0.1:5000", "slipway/web", true, DIGEST, ""]);
    assert.deepEqual(check.inputs.environment, {});
  });

  it("a pin checked on the hosts (registry unreachable at rollback): the check only says so, and runs again once the pin changes", async () => {
    const { RegistryRepository } = await import("../../../infra/registry");
    new RegistryRepository("web", {
      server: "127.0.0.1:5000",
      path: "slipway/web",
      keepDevVersions: 10,
      insecure: true,
      digest: DIGEST,
      checkedOn: "hosts",
    });
    await settle();
    const check = recorded.find((r) => r.name === "web-check")!;
    assert.equal(
      check.inputs.stdin,
      checkedOnHostsScript("repository check", `127.0.0.1:5000/slipway/web@${DIGEST}`),
    );
    assert.ok(!String(check.inputs.stdin).includes("curl"));
    assert.deepEqual(check.inputs.triggers, [
      "127.0.0.1:5000",
      "slipway/web",
      true,
      DIGEST,
      "",
      "checked on hosts",
    ]);
    const ran = execFileSync("/bin/sh", ["-c", String(check.inputs.stdin)], { encoding: "utf8" });
    assert.equal(
      ran,
      `slipway: repository check of 127.0.0.1:5000/slipway/web@${DIGEST} skipped: the registry was unreachable when slipway rollback pinned it, and every host still had it (pin.checkedOn: hosts); the next promote or rollback checks the registry again\n`,
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
