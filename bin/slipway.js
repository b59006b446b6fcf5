#!/usr/bin/env node
// The `slipway` CLI: registers ts-node (transpile only, the project's tsconfig) and runs
// src/cli/main.ts. See `slipway --help`.
"use strict";
const path = require("node:path");

require("ts-node").register({
  transpileOnly: true,
  project: path.join(__dirname, "..", "tsconfig.json"),
});
require("../src/cli/main").run();
