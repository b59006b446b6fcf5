/**
 * What the CLI loads at start: the command table and every command module, never the Pulumi
 * SDK (its runtime is most of a second to load). Only a command that reaches the engine loads
 * the Automation API, when it does. A folder's index that re-exports src/config/load.ts (which
 * reads pulumi.Config) pulls the SDK in through any import of it.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as path from "node:path";

const ROOT = path.join(__dirname, "..", "..", "..");

describe("the CLI's module graph", () => {
  it("loads every command without @pulumi/pulumi", function () {
    this.timeout(60000);
    const loaded = execFileSync(
      process.execPath,
      [
        "--require",
        "ts-node/register/transpile-only",
        "--eval",
        'require("./src/cli/main"); console.log(JSON.stringify(Object.keys(require.cache)))',
      ],
      { cwd: ROOT, encoding: "utf8" },
    );
    const modules = JSON.parse(loaded) as string[];
    assert.ok(
      modules.some((file) => file.endsWith(path.join("src", "cli", "commands", "promote.ts"))),
    );
    assert.deepEqual(
      modules.filter((file) => file.includes(`${path.sep}@pulumi${path.sep}`)),
      [],
    );
  });
});
