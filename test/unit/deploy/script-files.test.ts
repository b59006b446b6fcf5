/**
 * The host runtime's shell files (src/deploy/sh/*.sh): each passes shellcheck as POSIX sh as it
 * is (the generated scripts are shellchecked too, in deploy-script.test.ts), and what a
 * generated script holds of a file is its code without the file's comments.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { SCRIPT_DIR, shellFileNames, shellLines } from "../../../src/deploy/script-files";

describe("deploy/script-files: the host runtime's shell files", () => {
  it("are beside the module, under ts-node and compiled (npm run build copies them)", () => {
    assert.equal(SCRIPT_DIR, path.resolve(__dirname, "../../../src/deploy/sh"));
    assert.ok(shellFileNames().length > 0);
  });

  it("each passes shellcheck as POSIX sh, as it is", () => {
    const files = shellFileNames().map((name) => path.join(SCRIPT_DIR, `${name}.sh`));
    execFileSync("shellcheck", ["-s", "sh", ...files]);
  });

  it("each says what it is for in its opening comment, which the generated text leaves out", () => {
    for (const name of shellFileNames()) {
      const text = fs.readFileSync(path.join(SCRIPT_DIR, `${name}.sh`), "utf8");
      assert.ok(text.startsWith("# shellcheck shell=sh\n# "), `${name}.sh opens with its comment`);
      const lines = shellLines(name);
      assert.ok(lines.length > 0, `${name}.sh has code`);
      assert.ok(
        lines.every((line) => !/^\s*#/.test(line) || /^\s*# shellcheck disable=/.test(line)),
        `${name}.sh: no comment reaches the host`,
      );
      assert.equal(lines.join("\n").includes("\r"), false);
    }
  });

  it("names a missing file and the build that copies them (a dist/ compiled without them)", () => {
    assert.throws(() => shellLines("no-such-part"), {
      message:
        `the host script ${path.join(SCRIPT_DIR, "no-such-part.sh")} is missing (ENOENT): ` +
        "build with `npm run build`, which copies src/deploy/sh/ beside the compiled module",
    });
  });

  it("reads a file once", () => {
    assert.equal(shellLines("lock"), shellLines("lock"));
  });
});
