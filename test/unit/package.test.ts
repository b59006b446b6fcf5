/**
 * What a team installs: the manifest's entry points, and the components `import * as slipway
 * from "slipway"` gives (infra/index.ts, compiled to dist/infra/index.js).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";

const ROOT = path.resolve(__dirname, "..", "..");
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as Record<
  string,
  unknown
>;

describe("the slipway package", () => {
  it("is published with its compiled code, the program entry, the CLI and the schema", () => {
    assert.equal(manifest.private, undefined);
    assert.equal(manifest.main, "dist/infra/index.js");
    assert.equal(manifest.types, "dist/infra/index.d.ts");
    assert.deepEqual(manifest.exports, {
      ".": { types: "./dist/infra/index.d.ts", default: "./dist/infra/index.js" },
      "./program": "./stacks/main.js",
      "./schema/slipway.schema.json": "./schema/slipway.schema.json",
      "./package.json": "./package.json",
    });
    assert.deepEqual(manifest.bin, { slipway: "bin/slipway.js" });
    assert.deepEqual(manifest.files, [
      "bin/",
      "stacks/main.js",
      "dist/src/",
      "dist/infra/",
      "dist/stacks/",
      "schema/",
      "!dist/**/*.map",
    ]);
    assert.equal((manifest.scripts as Record<string, string>).prepare, "npm run build");
    // ts-node is the dev checkout's fallback only: never a runtime dependency.
    assert.equal((manifest.dependencies as Record<string, string>)["ts-node"], undefined);
  });

  it("exports the components, each a Pulumi resource class", async () => {
    const slipway = (await import("../../infra")) as Record<string, unknown>;
    const components = Object.keys(slipway).filter(
      (name) =>
        typeof slipway[name] === "function" && /^[A-Z]/.test(name) && name !== "ConfigError",
    );
    assert.deepEqual(components.sort(), [
      "Attestation",
      "DeploymentEnvironment",
      "DockerHubRepository",
      "EdgeProxy",
      "HostAccessory",
      "HostDeployment",
      "ImageBuild",
      "MovingTags",
      "RegistryRepository",
      "RolloutGuard",
      "ServiceDeployment",
      "SupplyChain",
      "Verification",
    ]);
    for (const name of components) {
      const component = slipway[name] as { prototype: unknown };
      assert.ok(component.prototype instanceof pulumi.Resource, `${name} is a Pulumi resource`);
    }
    assert.equal(typeof slipway.loadConfig, "function");
  });
});
