import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { DEV, PROD, project, slipway, type Project } from "./harness";

const VERSION = (
  JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "..", "package.json"), "utf8")) as {
    version: string;
  }
).version;

describe("slipway CLI conventions", () => {
  let p: Project;
  beforeEach(async () => {
    p = await project({ "Pulumi.dev.yaml": DEV, "Pulumi.prod.yaml": PROD });
  });
  afterEach(async () => p.close());

  it("prints its version with --version", async () => {
    assert.deepEqual(await slipway(p, ["--version"]), {
      code: 0,
      stdout: `${VERSION}\n`,
      stderr: "",
    });
  });

  it("lists the exit codes once, in the top-level help, not in each command's", async () => {
    const top = await slipway(p, ["--help"]);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /\nExit codes:\n {2}0 {2}done/);
    for (const command of [
      "promote",
      "rollback",
      "up",
      "record",
      "history",
      "status",
      "retention",
      "preview-summary",
    ]) {
      const help = await slipway(p, [command, "--help"]);
      assert.equal(help.code, 0, command);
      assert.doesNotMatch(help.stdout, /\n {2}0 {2}done/, command);
      assert.match(help.stdout, /\nExit codes: slipway --help\n$/, command);
    }
  });

  it("exits 2 for invalid arguments, before doing anything", async () => {
    for (const argv of [
      ["rollback", "--stack", "prod", "--to", "not-a-digest"],
      ["rollback", "--stack", "prod", "--release", "0"],
      ["rollback", "--stack", "prod", "--release", "2", "--steps", "1"],
      ["rollback", "--stack", "Prod Stack"],
      ["promote", "--from", "dev"],
      ["promote", "--from", "dev", "--to", "dev"],
      ["history", "--stack", "prod", "--colour"],
      ["no-such-command"],
      ["preview-summary"],
    ]) {
      const result = await slipway(p, argv);
      assert.equal(result.code, 2, `${argv.join(" ")}: ${result.stderr}`);
    }
    assert.equal(p.driver.ups.length, 0);
  });

  it("takes the selected stack when --stack is not given", async () => {
    p.driver.selected = "prod";
    p.driver.stackOutputs.prod = {};
    const history = await slipway(p, ["history", "--json"]);
    assert.equal(history.code, 0, history.stderr);
    assert.equal((JSON.parse(history.stdout) as { stack: string }).stack, "prod");
    const rollback = await slipway(p, ["rollback"]);
    assert.equal(rollback.code, 3);
    assert.match(rollback.stderr, /^slipway: the ledger of prod has no releases yet/);
  });
});
