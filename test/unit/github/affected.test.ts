import { strict as assert } from "node:assert";
import { affectedStacks } from "../../../src/github";
import { ledgerFile, REJECTIONS_FILE } from "../../../src/ledger";

const STACKS = ["dev", "prod"];

describe("affected stacks", () => {
  it("a stack file or ledger touches only its stack", () => {
    assert.deepEqual(affectedStacks(["Pulumi.prod.yaml"], STACKS), ["prod"]);
    // Where ledgers really live: the path slipway writes (ledgerFile), not a copy of it.
    assert.equal(ledgerFile("dev"), "stacks/releases/dev.yaml");
    assert.deepEqual(affectedStacks([ledgerFile("dev"), "README.md"], STACKS), ["dev"]);
    assert.deepEqual(affectedStacks(["stacks/releases/prod.yaml"], STACKS), ["prod"]);
    // A file that is not a ledger is code: it may change every stack.
    assert.deepEqual(affectedStacks(["stacks/dev.ledger.yaml"], STACKS), STACKS);
  });

  it("the rejected digests touch every stack: each stack's preview refuses them", () => {
    assert.equal(REJECTIONS_FILE, "stacks/releases/rejected-digests.yaml");
    assert.deepEqual(affectedStacks([REJECTIONS_FILE], STACKS), STACKS);
  });

  it("code, the app, dependencies and the workflows touch every stack", () => {
    for (const file of [
      "src/deploy/script.ts",
      "infra/github/deployment-environment.ts",
      "stacks/index.ts",
      "app/Dockerfile",
      "package-lock.json",
      "Pulumi.yaml",
      ".github/workflows/pull-request.yml",
    ]) {
      assert.deepEqual(affectedStacks(["Pulumi.prod.yaml", file], STACKS), STACKS, file);
    }
  });

  it("documentation and tests touch none", () => {
    assert.deepEqual(
      affectedStacks(
        [
          "README.md",
          "docs/setup.md",
          "test/unit/github/affected.test.ts",
          "bench/build.ts",
          ".github/CODEOWNERS",
          "",
        ],
        STACKS,
      ),
      [],
    );
  });

  it("a stack file of a stack CI does not preview touches nothing", () => {
    assert.deepEqual(affectedStacks(["Pulumi.local.yaml"], STACKS), []);
  });

  it("keeps the order of the stacks given", () => {
    assert.deepEqual(affectedStacks(["Pulumi.prod.yaml", "Pulumi.dev.yaml"], STACKS), [
      "dev",
      "prod",
    ]);
  });
});
