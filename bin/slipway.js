#!/usr/bin/env node
// The `slipway` CLI. Runs the JavaScript that `npm run build` compiles into dist/ (npm ci
// builds it: the `prepare` script), so starting the CLI compiles nothing. Sources changed
// since (a `git pull`, an edit) are compiled into dist/ first, each file on its own
// (bin/built.js): the first start after the change takes a fraction of a second longer.
"use strict";
const path = require("node:path");
const { current } = require("./built");

const built = current(path.join("src", "cli", "main.js"), ["src"]);
if (built === undefined) {
  process.stderr.write(
    "slipway: dist/ is missing and TypeScript is not installed to compile the sources; run: npm ci\n",
  );
  process.exit(2);
}
// A rollback opens its hosts' SSH sessions first: they connect while the CLI loads
// (src/cli/early-sessions.ts; they load nothing else).
require(path.join(path.dirname(built), "early-sessions.js")).openEarlySessions(
  process.argv.slice(2),
  process.cwd(),
);
require(built).run();
