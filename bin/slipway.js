#!/usr/bin/env node
// The `slipway` CLI. Runs the JavaScript that `npm run build` compiles into dist/ (npm ci
// builds it: the `prepare` script), so starting the CLI compiles nothing. When a source file
// is newer than that build (you edited src/ and did not rebuild), it says so and runs the
// TypeScript sources through ts-node instead (transpile only; slower to start).
"use strict";
const path = require("node:path");
const { current, root } = require("./built");

const built = current(path.join("src", "cli", "main.js"), ["src"]);
if (built !== undefined) {
  require(built).run();
} else {
  process.stderr.write(
    "slipway: dist/ is missing or older than src/; running from source (slow start). Run: npm run build\n",
  );
  require("ts-node").register({ transpileOnly: true, project: path.join(root, "tsconfig.json") });
  require("../src/cli/main").run();
}
