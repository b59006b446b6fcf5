// The program's entry: what a Pulumi.yaml `main` names (`node_modules/slipway/stacks/main.js`
// in a team's repository, `stacks/main.js` in this one; exported as `slipway/program`). Runs
// the program as `npm run build` compiled it into dist/ (no TypeScript at start: the fastest
// no-op `pulumi up`, see bench/cli-speed-results.md). In a checkout of Slipway where a source
// file is newer than that build, it says so and runs stacks/index.ts through ts-node
// (transpile only), so an edit that was not rebuilt never deploys stale code.
"use strict";
const path = require("node:path");
const { current, root } = require("../bin/built");

const built = current(path.join("stacks", "index.js"), ["src", "infra", "stacks"]);
if (built === undefined) {
  process.stderr.write(
    "slipway: dist/ is missing or older than the sources; running stacks/index.ts (slower). Run: npm run build\n",
  );
  require("ts-node").register({ transpileOnly: true, project: path.join(root, "tsconfig.json") });
}
module.exports = built === undefined ? require("./index.ts") : require(built);
