import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigError, validateConfig } from "../../../src/config";
import { slipwayVersion } from "../../../src/version";
import { base } from "./fixtures";

const refused = (raw: Record<string, unknown>, installed: string) => {
  try {
    validateConfig("dev", raw, { installedVersion: installed });
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return [...error.issues];
  }
  return [];
};

describe("slipway:version (the Slipway a project names in Pulumi.yaml)", () => {
  it("accepts an installed version the range admits", () => {
    assert.equal(
      validateConfig("dev", { ...base(), version: "^0.1.0" }, { installedVersion: "0.1.7" })
        .version,
      "^0.1.0",
    );
  });

  it("refuses another installed version, naming both and both fixes", () => {
    assert.deepEqual(refused({ ...base(), version: "^0.1.0" }, "0.2.0"), [
      {
        path: "slipway:version",
        message:
          "this project names Slipway ^0.1.0 but the installed package is 0.2.0; install the named version (npm install slipway@^0.1.0), or upgrade the project: set slipway:version: ^0.2.0 in Pulumi.yaml and apply the upgrade notes",
      },
    ]);
  });

  it("refuses a value that is no version range", () => {
    assert.deepEqual(refused({ ...base(), version: "latest please" }, "0.1.0"), [
      { path: "slipway:version", message: "is not a version range, e.g. ^0.1.0" },
    ]);
  });

  it("reads the installed version from the package's own manifest", () => {
    const manifest = JSON.parse(
      fs.readFileSync(path.join(__dirname, "..", "..", "..", "package.json"), "utf8"),
    ) as { version: string };
    assert.equal(slipwayVersion(), manifest.version);
  });
});
