// The JavaScript that `npm run build` compiled into dist/, kept current with the TypeScript
// sources. bin/slipway.js and stacks/main.js run dist/ only. After a `git pull` (or an edit)
// the sources that are newer than their JavaScript are compiled again, each on its own and
// without a type check (TypeScript's transpileModule, what ts-node's transpile-only mode does),
// and written into dist/: that costs the first run after the change a fraction of a second,
// and every later run starts as fast as after `npm ci`. `npm run build` (and `npx tsc`)
// still type-check the whole project.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");

/** Every .ts file under `dir` (not .d.ts), relative to the project root `base`. */
function sourcesUnder(base, dir, found = []) {
  let entries;
  try {
    entries = fs.readdirSync(path.join(base, dir), { withFileTypes: true });
  } catch {
    return found;
  }
  for (const entry of entries) {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      sourcesUnder(base, relative, found);
    } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) {
      found.push(relative);
    }
  }
  return found;
}

function mtime(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The sources under `dirs` whose compiled JavaScript is missing or older than they are. */
function staleSources(dirs, base = root) {
  return dirs
    .flatMap((dir) => sourcesUnder(base, dir))
    .filter((source) => {
      const compiled = mtime(path.join(base, "dist", source.replace(/\.ts$/, ".js")));
      return compiled === undefined || compiled < mtime(path.join(base, source));
    });
}

/** The compiler options of `npm run build` (tsconfig.build.json). */
function buildOptions(ts, base) {
  const file = path.join(base, "tsconfig.build.json");
  const read = ts.readConfigFile(file, ts.sys.readFile);
  if (read.error !== undefined) {
    throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, "\n"));
  }
  return ts.parseJsonConfigFileContent(read.config, ts.sys, base, undefined, file).options;
}

/** Writes `text` to `file` by a rename, so a program starting meanwhile never reads half of it. */
function writeAtomic(file, text) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, text);
  fs.renameSync(temporary, file);
}

/**
 * Compiles `sources` into dist/ (JavaScript and source map, as `npm run build` lays them out).
 * False when TypeScript is not installed (a package install ships dist/ complete).
 */
function compile(sources, base) {
  let ts;
  try {
    ts = require("typescript");
  } catch {
    return false;
  }
  const options = buildOptions(ts, base);
  for (const source of sources) {
    const fileName = path.join(base, source);
    const output = ts.transpileModule(fs.readFileSync(fileName, "utf8"), {
      compilerOptions: options,
      fileName,
    });
    const target = path.join(base, "dist", source.replace(/\.ts$/, ".js"));
    if (output.sourceMapText !== undefined) {
      writeAtomic(`${target}.map`, output.sourceMapText);
    }
    writeAtomic(target, output.outputText);
  }
  return true;
}

/**
 * `dist/<relative>`, after compiling the sources under `sources` that changed since dist/ was
 * built; undefined when that is not possible (no TypeScript and no complete dist/).
 */
function current(relative, sources, base = root) {
  const stale = staleSources(sources, base);
  if (stale.length > 0) {
    if (!compile(stale, base)) {
      return undefined;
    }
    process.stderr.write(
      `slipway: compiled ${stale.length} changed source file${stale.length === 1 ? "" : "s"} into dist/ (no type check; npm run build checks types)\n`,
    );
  }
  const built = path.join(base, "dist", relative);
  return mtime(built) === undefined ? undefined : built;
}

module.exports = { current, root, staleSources };
