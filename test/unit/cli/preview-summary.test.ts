import { strict as assert } from "node:assert";
import * as path from "node:path";
import { project, slipway, type Project } from "./harness";

const FIXTURE = path.resolve(__dirname, "..", "..", "fixtures", "preview", "prod-promote.json");

describe("slipway preview-summary", () => {
  let target: Project;
  before(async () => {
    target = await project({});
  });
  after(() => target.close());

  it("prints the digest summary of a recorded preview and exits 0", async () => {
    const run = await slipway(target, ["preview-summary", "--stack", "prod", FIXTURE]);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.split("\n");
    assert.equal(lines[0], "<!-- slipway-preview-summary stack=prod -->");
    assert.ok(
      lines.includes(
        "| `web` | `sha256:3f1b5cf1a0e8` → `sha256:7c7e2c6aabe9` | `4c2a9e1` → `9d8e7f6` |",
      ),
      run.stdout,
    );
  });

  it("exits 2 naming the problem when the input is not a preview", async () => {
    const run = await slipway(target, [
      "preview-summary",
      "--stack",
      "prod",
      path.join(__dirname, "harness.ts"),
    ]);
    assert.equal(run.code, 2);
    assert.equal(run.stdout, "");
    assert.match(run.stderr, /preview/);
  });
});
