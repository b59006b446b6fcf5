// The program's entry: what a Pulumi.yaml `main` names (`node_modules/slipway/stacks/main.js`
// in a team's repository, `stacks/main.js` in this one; exported as `slipway/program`). Runs the program as `npm run build` compiled it
// into dist/ (no TypeScript at start: the fastest no-op `pulumi up`, see
// bench/cli-speed-results.md). Sources changed since (a `git pull`, an edit) are compiled into
// dist/ first, each file on its own (bin/built.js), so an update never deploys stale code and
// never pays for ts-node.
"use strict";
const path = require("node:path");
const { current } = require("../bin/built");

const built = current(path.join("stacks", "index.js"), ["src", "infra", "stacks"]);
if (built === undefined) {
  throw new Error(
    "slipway: dist/ is missing and TypeScript is not installed to compile the sources; run: npm ci",
  );
}
module.exports = require(built);
