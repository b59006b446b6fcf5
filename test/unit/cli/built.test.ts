import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const built = require("../../../bin/built") as {
  current(relative: string, sources: string[], base?: string): string | undefined;
  staleSources(dirs: string[], base?: string): string[];
};

const ROOT = path.resolve(__dirname, "..", "..", "..");

describe("bin/built.js: dist/ kept current with the sources", () => {
  let base: string;
  let written: string[];
  const write = process.stderr.write.bind(process.stderr);
  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-built-"));
    for (const file of ["tsconfig.json", "tsconfig.build.json"]) {
      fs.copyFileSync(path.join(ROOT, file), path.join(base, file));
    }
    fs.mkdirSync(path.join(base, "src", "cli"), { recursive: true });
    fs.writeFileSync(
      path.join(base, "src", "cli", "main.ts"),
      "export const answer: number = 1;\n",
    );
    fs.writeFileSync(path.join(base, "src", "types.d.ts"), "declare const nothing: string;\n");
    written = [];
    process.stderr.write = (text: string | Uint8Array) => {
      written.push(String(text));
      return true;
    };
  });
  afterEach(() => {
    process.stderr.write = write;
    fs.rmSync(base, { recursive: true, force: true });
  });

  it("compiles what changed since the build, once, and runs dist/ after", () => {
    const main = path.join(base, "dist", "src", "cli", "main.js");
    assert.equal(built.current(path.join("src", "cli", "main.js"), ["src"], base), main);
    assert.match(fs.readFileSync(main, "utf8"), /^"use strict";\n.*exports\.answer = 1;\n/s);
    assert.ok(fs.existsSync(`${main}.map`));
    assert.deepEqual(written, [
      "slipway: compiled 1 changed source file into dist/ (no type check; npm run build checks types)\n",
    ]);
    // Nothing changed since: nothing to compile, nothing said.
    assert.deepEqual(built.staleSources(["src"], base), []);
    assert.equal(built.current(path.join("src", "cli", "main.js"), ["src"], base), main);
    assert.equal(written.length, 1);
    // A `git pull` brings a newer source: only it is compiled again.
    fs.writeFileSync(path.join(base, "src", "cli", "main.ts"), "export const answer = 2;\n");
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(path.join(base, "src", "cli", "main.ts"), later, later);
    assert.deepEqual(built.staleSources(["src"], base), [path.join("src", "cli", "main.ts")]);
    built.current(path.join("src", "cli", "main.js"), ["src"], base);
    assert.match(fs.readFileSync(main, "utf8"), /exports\.answer = 2;/);
    assert.equal(written.length, 2);
  });
});
