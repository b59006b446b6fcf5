import * as fs from "node:fs";
import * as path from "node:path";

/** The version in Slipway's package.json (found from this file up: src/ or dist/src/). */
export function slipwayVersion(start: string = __dirname): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (fs.existsSync(file)) {
      const manifest = JSON.parse(fs.readFileSync(file, "utf8")) as {
        name?: string;
        version?: string;
      };
      if (manifest.name === "slipway" && typeof manifest.version === "string") {
        return manifest.version;
      }
    }
    if (path.dirname(dir) === dir) {
      return "unknown";
    }
  }
}
