import { strict as assert } from "node:assert";
import { ConfigError, Secret, validateConfig, type ConfigIssue } from "../../../src/config";

/** A valid Docker Hub build stack; each test breaks one thing. */
function hub(): Record<string, any> {
  return {
    registry: {
      server: "docker.io",
      namespace: "acme",
      username: "acme-bot",
      password: new Secret("dckr_pat_x"),
      repositories: {
        web: { visibility: "private", description: "The web app", keepDevVersions: 5 },
      },
    },
    images: { web: { build: { context: "app" } }, proxy: { build: { context: "proxy" } } },
  };
}

function issuesOf(raw: Record<string, unknown>): ConfigIssue[] {
  try {
    validateConfig("dev", raw);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return [...error.issues];
  }
  return assert.fail("expected the config to be rejected");
}

describe("config: slipway:registry.repositories", () => {
  it("takes visibility, description and keepDevVersions, with keepDevVersions 10 by default", () => {
    const raw = hub();
    raw.registry.repositories.proxy = {};
    const config = validateConfig("dev", raw);
    assert.deepEqual(config.registry.repositories, {
      web: { visibility: "private", description: "The web app", keepDevVersions: 5 },
      proxy: { keepDevVersions: 10 },
    });
  });

  it("refuses an unknown visibility, keepDevVersions below 1 and a repository the stack has no image for, all at once", () => {
    const raw = hub();
    raw.registry.repositories.web.visibility = "internal";
    raw.registry.repositories.web.keepDevVersions = 0;
    raw.registry.repositories.api = { keepDevVersions: 2.5 };
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:registry.repositories.web.visibility",
        message: `"internal" is not a visibility; use one of public, private`,
      },
      {
        path: "slipway:registry.repositories.web.keepDevVersions",
        message: "must be at least 1: retention always keeps the newest build",
      },
      {
        path: "slipway:registry.repositories.api.keepDevVersions",
        message: "must be a whole number of versions",
      },
      {
        path: "slipway:registry.repositories.api",
        message: `the stack has no image "api" (it has web, proxy); remove this repository or declare slipway:images.api`,
      },
    ]);
  });

  it("refuses Docker Hub repositories without credentials or namespace, naming how to set them", () => {
    const raw = hub();
    delete raw.registry.username;
    delete raw.registry.password;
    delete raw.registry.namespace;
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:registry.namespace",
        message:
          "is required on Docker Hub: the Docker Hub user or organisation that owns the repositories",
      },
      {
        path: "slipway:registry.username",
        message:
          "is required on Docker Hub: Slipway creates and updates the repositories through Docker Hub's API with a " +
          "user and an access token; set it with: pulumi config set --path 'slipway:registry.username' <user>",
      },
      {
        path: "slipway:registry.password",
        message:
          "is required on Docker Hub: Slipway creates and updates the repositories through Docker Hub's API with a " +
          "user and an access token; set it with: pulumi config set --secret --path 'slipway:registry.password' " +
          "<access token>",
      },
    ]);
  });

  it("refuses visibility and description where the registry has no API for them", () => {
    const ghcr = hub();
    ghcr.registry.server = "ghcr.io";
    assert.deepEqual(issuesOf(ghcr), [
      {
        path: "slipway:registry.repositories.web.visibility",
        message:
          "cannot be set through an API on GHCR; set the package's visibility in its GitHub package settings and remove it here",
      },
      {
        path: "slipway:registry.repositories.web.description",
        message:
          "cannot be set through an API on GHCR; set the package's description in its GitHub package settings and remove it here",
      },
    ]);
    const plain = hub();
    plain.registry = {
      server: "127.0.0.1:5000",
      insecure: true,
      repositories: { web: { visibility: "public" } },
    };
    assert.deepEqual(issuesOf(plain), [
      {
        path: "slipway:registry.repositories.web.visibility",
        message: "a plain registry (127.0.0.1:5000) has no repository visibility; remove it",
      },
    ]);
  });

  it("refuses a description longer than Docker Hub's 100 characters, or stored as a secret", () => {
    const raw = hub();
    raw.registry.repositories.web.description = "x".repeat(101);
    raw.registry.repositories.proxy = { description: new Secret("hidden") };
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:registry.repositories.web.description",
        message: "must be at most 100 characters (Docker Hub's limit for a short description)",
      },
      {
        path: "slipway:registry.repositories.proxy.description",
        message: "is stored as a secret, but a description is public; store it as plain config",
      },
    ]);
  });
});
