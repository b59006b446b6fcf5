import * as fs from "node:fs";
import * as path from "node:path";

/** The nearest folder from `start` upwards that holds Pulumi.yaml, or undefined. */
export function findProjectRoot(start: string): string | undefined {
  let dir = path.resolve(start);
  for (;;) {
    if (fs.existsSync(path.join(dir, "Pulumi.yaml"))) {
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      return undefined;
    }
    dir = parent;
  }
}

/** `Pulumi.<stack>.yaml` under the project root. */
export function stackFilePath(root: string, stack: string): string {
  return path.join(root, `Pulumi.${stack}.yaml`);
}

/**
 * A config value as the engine hands it over: structured values come as JSON text,
 * scalars stay text.
 */
export function parseConfigValue(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}
