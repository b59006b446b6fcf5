// Preloaded into the CLI by bench/rollback-latency.ts (NODE_OPTIONS=--require): prints when
// the CLI starts each child process (wall clock, ms), so the bench can say how long the CLI
// took before its first `ssh` (the warm switch). Not part of Slipway.
"use strict";
const childProcess = require("node:child_process");

const spawn = childProcess.spawn;
childProcess.spawn = function probedSpawn(file, ...rest) {
  process.stderr.write(`slipway-bench: spawn ${String(file)} at ${Date.now()}\n`);
  return spawn.call(this, file, ...rest);
};
