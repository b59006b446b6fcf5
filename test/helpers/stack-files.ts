import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import type { ConfigSource } from "../../src/config";

export const ROOT = path.resolve(__dirname, "..", "..");

/**
 * What the engine would hand the program for a committed stack file: each `secure:` leaf
 * replaced by a stand-in for its decrypted value (the tests never hold the real keys).
 */
export function sourceFromStackFile(stack: string): ConfigSource {
  const text = fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8");
  const config = (parse(text) as { config?: Record<string, unknown> }).config ?? {};
  const decrypt = (value: unknown, where: string): unknown => {
    if (Array.isArray(value)) {
      return value.map((item, index) => decrypt(item, `${where}[${index}]`));
    }
    if (typeof value === "object" && value !== null) {
      const entries = Object.entries(value);
      if (entries.length === 1 && entries[0]![0] === "secure") {
        return `decrypted ${where}`;
      }
      return Object.fromEntries(entries.map(([k, v]) => [k, decrypt(v, `${where}.${k}`)]));
    }
    return value;
  };
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    values[key.replace(/^slipway:/, "")] = decrypt(value, key);
  }
  return { values, secretKeys: new Set(), stackFile: text };
}

/** A committed stack file's config as the engine hands it to the program (no secrets in it). */
export function engineConfig(stack: string): Record<string, string> {
  const file = parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as {
    config: Record<string, unknown>;
  };
  return Object.fromEntries(
    Object.entries(file.config).map(([key, value]) => [
      key,
      typeof value === "string" ? value : JSON.stringify(value),
    ]),
  );
}
