#!/usr/bin/env node
// The `slipway` CLI. Runs the JavaScript that `npm run build` compiles into dist/ (npm ci
// builds it: the `prepare` script), so starting the CLI compiles nothing. When a source file
// is newer than that build (you edited src/ and did not rebuild), it says so and runs the
// TypeScript sources through ts-node instead (transpile only; slower to start).
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
const built = path.join(root, "dist", "src", "cli", "main.js");

/** The newest modification time of a .ts file under `dir`, in ms. */
function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      newest = Math.max(newest, newestSource(file));
    } else if (entry.name.endsWith(".ts")) {
      newest = Math.max(newest, fs.statSync(file).mtimeMs);
    }
  }
  return newest;
}

function builtIsCurrent() {
  try {
    return fs.statSync(built).mtimeMs >= newestSource(path.join(root, "src"));
  } catch {
    return false;
  }
}

if (builtIsCurrent()) {
  require(built).run();
} else {
  process.stderr.write(
    "slipway: dist/ is missing or older than src/; running from source (slow start). Run: npm run build\n",
  );
  require("ts-node").register({ transpileOnly: true, project: path.join(root, "tsconfig.json") });
  require("../src/cli/main").run();
}
