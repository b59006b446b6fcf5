import { strict as assert } from "node:assert";
import {
  ConfigError,
  Secret,
  validateConfig,
  type ConfigIssue,
  type ValidateOptions,
} from "../../../src/config";

export const DIGEST = `sha256:${"ab".repeat(32)}`;

/** A valid build-stack config; each test breaks one thing. */
export function base(): Record<string, any> {
  return {
    role: "build",
    registry: {
      server: "ghcr.io",
      namespace: "acme",
      username: "bot",
      password: new Secret("hunter2"),
    },
    images: {
      web: {
        build: {
          context: "app",
          target: "prod",
          platforms: ["linux/amd64", "linux/arm64"],
          args: { APP_MODE: "production" },
          secrets: { NPM_TOKEN: new Secret("npm-token") },
        },
      },
      edge: { build: { context: "app", stamp: "none" } },
    },
    hosts: [
      { name: "web-1", address: "203.0.113.10", user: "deploy", privateKey: new Secret("KEY") },
    ],
    services: { web: { routes: [{ host: "web.example.com", tls: true }] } },
    edge: { image: "edge", email: "ops@example.com" },
    github: {
      owner: "acme",
      repository: "web",
      environment: "production",
      reviewers: { users: ["alice"], teams: ["platform"] },
      waitTimer: 10,
    },
  };
}

export function promote(): Record<string, any> {
  const raw = base();
  raw.role = "promote";
  raw.images = { web: { pin: { digest: DIGEST } }, edge: { pin: { digest: DIGEST } } };
  return raw;
}

export function issuesOf(raw: Record<string, unknown>, root?: string): ConfigIssue[] {
  return issuesWith(raw, root === undefined ? {} : { root });
}

/** The issues validation finds with `options`; fails when it accepts the config. */
export function issuesWith(raw: Record<string, unknown>, options: ValidateOptions): ConfigIssue[] {
  try {
    validateConfig("prod", raw, options);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return [...error.issues];
  }
  return assert.fail("expected the config to be rejected");
}
