// Whether the JavaScript that `npm run build` compiled into dist/ is at least as new as every
// TypeScript source it was compiled from. bin/slipway.js and stacks/main.js run dist/ only
// then, so an edit that was not rebuilt never runs stale code. The installed package ships
// dist/ without the sources: there, dist/ is what runs.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");

/** The newest modification time of a .ts file under `dir`, in ms (0: none, or no `dir`). */
function newestSource(dir) {
  let newest = 0;
  if (!fs.existsSync(dir)) {
    return newest;
  }
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

/** `dist/<relative>` when it exists and is newer than every .ts file under `sources`. */
function current(relative, sources) {
  const built = path.join(root, "dist", relative);
  try {
    const mtime = fs.statSync(built).mtimeMs;
    return sources.every((dir) => mtime >= newestSource(path.join(root, dir))) ? built : undefined;
  } catch {
    return undefined;
  }
}

module.exports = { current, root };
