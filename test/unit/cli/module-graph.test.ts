/**
 * What the CLI loads at start: the command table, not the command modules (each loads when its
 * command runs), and never the Pulumi SDK (its runtime is most of a second to load). No command
 * module loads the SDK either: only a command that reaches the engine loads the Automation
 * API, when it does. A folder's index that re-exports src/config/load.ts (which reads
 * pulumi.Config) pulls the SDK in through any import of it.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.join(__dirname, "..", "..", "..");

/** The files `require`d after loading `modules` (paths from the project root), in a fresh node. */
function loadedBy(modules: readonly string[]): string[] {
  const loaded = execFileSync(
    process.execPath,
    [
      "--require",
      "ts-node/register/transpile-only",
      "--eval",
      `for (const m of ${JSON.stringify(modules)}) require(m); console.log(JSON.stringify(Object.keys(require.cache)))`,
    ],
    { cwd: ROOT, encoding: "utf8" },
  );
  return JSON.parse(loaded) as string[];
}

const sdk = (modules: readonly string[]) =>
  modules.filter((file) => file.includes(`${path.sep}@pulumi${path.sep}`));

describe("the CLI's module graph", () => {
  it("loads the command table without the command modules or @pulumi/pulumi", function () {
    this.timeout(60000);
    const modules = loadedBy(["./src/cli/main"]);
    assert.ok(modules.some((file) => file.endsWith(path.join("src", "cli", "program.ts"))));
    assert.deepEqual(
      modules.filter((file) => file.includes(path.join("src", "cli", "commands", ""))),
      [],
    );
    assert.deepEqual(sdk(modules), []);
  });

  it("loads every command module without @pulumi/pulumi", function () {
    this.timeout(60000);
    const commands = fs
      .readdirSync(path.join(ROOT, "src", "cli", "commands"))
      .filter((file) => file.endsWith(".ts"))
      .map((file) => `./src/cli/commands/${file.replace(/\.ts$/, "")}`);
    assert.ok(commands.includes("./src/cli/commands/rollback"));
    const modules = loadedBy(["./src/cli/main", ...commands]);
    assert.ok(
      modules.some((file) => file.endsWith(path.join("src", "cli", "commands", "promote.ts"))),
    );
    assert.deepEqual(sdk(modules), []);
  });
});
