import * as fs from "node:fs";
import { expandHome } from "./paths";
import type { Secret } from "./secret";

/**
 * A workload's secret env values: `secretEnv`, and the contents of `secretEnvFiles` read now
 * (one trailing newline dropped). `where` names the config entry in the error, e.g.
 * `slipway:accessories.postgres`. The one reader of `secretEnvFiles`, for the program and
 * the CLI.
 */
export function readSecretEnv(
  secretEnv: Readonly<Record<string, Secret>>,
  files: Readonly<Record<string, string>>,
  where: string,
): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(secretEnv)) {
    values[name] = value.reveal();
  }
  for (const [name, configured] of Object.entries(files)) {
    const file = expandHome(configured);
    try {
      values[name] = fs.readFileSync(file, "utf8").replace(/\r?\n$/, "");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new Error(`${where}.secretEnvFiles.${name}: cannot read ${file} (${code})`);
    }
  }
  return values;
}
