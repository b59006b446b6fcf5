import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { appendRelease, protectedDigests, writeFileAtomic } from "../../../src/ledger";
import { digest, release } from "./fixtures";

describe("ledger files", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-ledger-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("replaces a file atomically, keeping its mode and leaving no temporary file", () => {
    const file = path.join(dir, "Pulumi.prod.yaml");
    fs.writeFileSync(file, "old\n", { mode: 0o640 });
    writeFileAtomic(file, "new\n", { expected: "old\n" });
    assert.equal(fs.readFileSync(file, "utf8"), "new\n");
    assert.equal(fs.statSync(file).mode & 0o777, 0o640);
    assert.deepEqual(fs.readdirSync(dir), ["Pulumi.prod.yaml"]);
  });

  it("writes nothing when the file changed since it was read", () => {
    const file = path.join(dir, "Pulumi.prod.yaml");
    fs.writeFileSync(file, "edited by someone else\n");
    assert.throws(
      () =>
        writeFileAtomic(file, "new\n", {
          expected: "old\n",
          display: "Pulumi.prod.yaml",
          next: ["slipway promote --from dev --to prod"],
        }),
      {
        name: "ConflictError",
        message:
          "Pulumi.prod.yaml changed while slipway was working on it (another edit or another slipway run); nothing was written",
        next: ["slipway promote --from dev --to prod"],
      },
    );
    assert.equal(fs.readFileSync(file, "utf8"), "edited by someone else\n");
    assert.throws(() => writeFileAtomic(file, "new\n", { expected: undefined }), {
      name: "ConflictError",
    });
    assert.deepEqual(fs.readdirSync(dir), ["Pulumi.prod.yaml"]);
  });

  it("collects every digest pinned in a stack file or recorded in a ledger", () => {
    fs.writeFileSync(
      path.join(dir, "Pulumi.prod.yaml"),
      `config:\n  slipway:images:\n    web:\n      pin:\n        digest: ${digest(1)}\n`,
    );
    fs.writeFileSync(
      path.join(dir, "Pulumi.dev.yaml"),
      "config:\n  slipway:images:\n    web:\n      build:\n        context: app\n",
    );
    fs.mkdirSync(path.join(dir, "stacks", "releases"), { recursive: true });
    const { images, update, kind, by, at } = release(1, 2);
    let text = appendRelease(undefined, "prod", { images, update, kind, by, at }).text;
    text = appendRelease(text, "prod", { ...release(2, 1), images: release(2, 1).images }).text;
    fs.writeFileSync(path.join(dir, "stacks", "releases", "prod.yaml"), text);
    assert.deepEqual(
      [...protectedDigests(dir)],
      [
        [digest(1), ["pinned in Pulumi.prod.yaml (web)", "ledger of prod #2 (web)"]],
        [digest(2), ["ledger of prod #1 (web)"]],
      ],
    );
  });
});
