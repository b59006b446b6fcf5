// The build's two file steps around tsc (package.json "build"):
// - with no argument, removes dist/ before a build, so the package never ships a module whose
//   source is gone;
// - with --copy-sh, after tsc, copies the host runtime's shell files (src/**/sh/*.sh) next to
//   the compiled modules, where src/deploy/script-files.ts reads them from.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");

function copyShellFiles(dir) {
  for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      copyShellFiles(rel);
    } else if (entry.name.endsWith(".sh")) {
      fs.mkdirSync(path.join(root, "dist", dir), { recursive: true });
      fs.copyFileSync(path.join(root, rel), path.join(root, "dist", rel));
    }
  }
}

if (process.argv[2] === "--copy-sh") {
  copyShellFiles("src");
} else {
  fs.rmSync(path.join(root, "dist"), { recursive: true, force: true });
}
