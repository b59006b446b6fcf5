// Preloaded into the CLI by bench/rollback-latency.ts (NODE_OPTIONS=--require): prints, on
// the wall clock (ms), when the CLI's main module has loaded, when it starts each child
// process, and when it ends a child's stdin with data (an early SSH session's script sent),
// so the bench can break the time to the switch into start-up, loading and the CLI's own
// work before the host gets the script. Not part of Slipway.
"use strict";
const childProcess = require("node:child_process");
const Module = require("node:module");

const say = (what) => process.stderr.write(`slipway-bench: ${what} at ${Date.now()}\n`);
say("preload");
const load = Module._load;
let loaded = false;
Module._load = function probedLoad(request, ...rest) {
  const result = load.call(this, request, ...rest);
  if (!loaded && /[/\\]cli[/\\]main(\.js)?$/.test(request)) {
    loaded = true;
    say("main loaded");
  }
  return result;
};
const spawn = childProcess.spawn;
childProcess.spawn = function probedSpawn(file, ...rest) {
  say(`spawn ${String(file)}`);
  const child = spawn.call(this, file, ...rest);
  if (child.stdin !== null) {
    const end = child.stdin.end;
    child.stdin.end = function probedEnd(data, ...more) {
      if (data !== undefined && data !== null && typeof data !== "function" && data.length > 0) {
        say(`script to ${String(file)}`);
      }
      return end.call(this, data, ...more);
    };
  }
  return child;
};
