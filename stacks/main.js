// The program's entry (Pulumi.yaml `main`). Runs the program as `npm run build` compiled it
// into dist/ (no TypeScript at start: the fastest no-op `pulumi up`, see
// bench/cli-speed-results.md); when a source file is newer than that build, it says so and
// runs stacks/index.ts instead, which the language host compiles with ts-node (transpile
// only: stacks/tsconfig.json), so an edit that was not rebuilt never deploys stale code.
"use strict";
const path = require("node:path");
const { current } = require("../bin/built");

const built = current(path.join("stacks", "index.js"), ["src", "infra", "stacks"]);
if (built === undefined) {
  process.stderr.write(
    "slipway: dist/ is missing or older than the sources; running stacks/index.ts (slower). Run: npm run build\n",
  );
}
module.exports = built === undefined ? require("./index.ts") : require(built);
