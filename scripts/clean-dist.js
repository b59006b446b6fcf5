// Removes dist/ before a build, so the package never ships a module whose source is gone.
"use strict";
require("node:fs").rmSync(require("node:path").join(__dirname, "..", "dist"), {
  recursive: true,
  force: true,
});
