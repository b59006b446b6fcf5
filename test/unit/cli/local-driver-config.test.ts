import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalStackDriver } from "../../../src/cli/local-driver";

describe("cli/local-driver: a stack's config is read once per command while its file stays the same", () => {
  it("gives the same reading for the same file, and reads a changed file again", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-driver-"));
    try {
      const file = path.join(dir, "Pulumi.prod.yaml");
      fs.writeFileSync(file, "config:\n  slipway:role: promote\n");
      const driver = new LocalStackDriver(dir);
      const first = driver.config("prod");
      assert.equal(driver.config("prod"), first);
      assert.deepEqual((await first).values, { role: "promote" });
      fs.writeFileSync(file, "config:\n  slipway:role: build\n");
      const changed = driver.config("prod");
      assert.notEqual(changed, first);
      assert.deepEqual((await changed).values, { role: "build" });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
