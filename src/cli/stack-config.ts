import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import type { ConfigIssue } from "../config/errors";
import type { ConfigSource } from "../config/source";
import { NAMESPACE } from "../config/validate";
import type { Ledger, StackPin } from "../ledger";

/** A stack's files as read at the start of a command; written back only if unchanged. */
export interface StackFiles {
  readonly stack: string;
  /** Absolute path of `Pulumi.<stack>.yaml`. */
  readonly file: string;
  /** `Pulumi.<stack>.yaml`, for messages. */
  readonly display: string;
  readonly text: string;
  readonly pins: Readonly<Record<string, StackPin>>;
  /** Absolute path of the ledger. */
  readonly ledgerPath: string;
  /** The ledger's text; undefined when the stack has no ledger yet. */
  readonly ledgerText: string | undefined;
  readonly ledger: Ledger;
}

/** `Pulumi.<stack>.yaml` under the project root. */
export { stackFilePath } from "../config/project";

/** Whether a stack file's config needs the engine to read: secrets, or ESC environments. */
export function needsEngine(stackFile: string): boolean {
  const parsed = (parse(stackFile) ?? {}) as { environment?: unknown };
  return parsed.environment !== undefined || /^\s*(?:-\s+)?secure\s*:/m.test(stackFile);
}

/** `slipway:*` defaults that `Pulumi.yaml` declares under `config:`. */
function projectDefaults(root: string): Record<string, unknown> {
  const file = path.join(root, "Pulumi.yaml");
  if (!fs.existsSync(file)) {
    return {};
  }
  const project = (parse(fs.readFileSync(file, "utf8")) ?? {}) as {
    config?: Record<string, unknown>;
  };
  const defaults: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(project.config ?? {})) {
    if (!key.startsWith(`${NAMESPACE}:`)) {
      continue;
    }
    const declared = value as { default?: unknown } | null;
    const fallback =
      typeof declared === "object" && declared !== null && "default" in declared
        ? declared.default
        : value;
    if (fallback !== undefined && fallback !== null && typeof fallback !== "object") {
      defaults[key.slice(NAMESPACE.length + 1)] = fallback;
    }
  }
  return defaults;
}

/**
 * The config a stack file holds, read without the engine: what `pulumi config --json` would
 * return for a file with no secrets. `secure` replaces each `secure:` leaf (by its path);
 * without it a file with secrets is refused.
 */
export function configFromFile(
  root: string,
  stackFile: string,
  secure?: (where: string, ciphertext: string) => string,
): ConfigSource {
  const parsed = (parse(stackFile) ?? {}) as { config?: Record<string, unknown> };
  const secretKeys = new Set<string>();
  const decrypt = (value: unknown, where: string, key: string): unknown => {
    if (Array.isArray(value)) {
      return value.map((item, index) => decrypt(item, `${where}[${index}]`, key));
    }
    if (typeof value === "object" && value !== null) {
      const entries = Object.entries(value);
      if (entries.length === 1 && entries[0]![0] === "secure") {
        if (secure === undefined) {
          throw new Error(`${where} is a secret; reading it needs the Pulumi engine`);
        }
        secretKeys.add(key);
        return secure(where, String(entries[0]![1]));
      }
      return Object.fromEntries(entries.map(([k, v]) => [k, decrypt(v, `${where}.${k}`, key)]));
    }
    return value;
  };
  const values: Record<string, unknown> = projectDefaults(root);
  for (const [fullKey, value] of Object.entries(parsed.config ?? {})) {
    if (!fullKey.startsWith(`${NAMESPACE}:`)) {
      continue;
    }
    const key = fullKey.slice(NAMESPACE.length + 1);
    values[key] = decrypt(value, fullKey, key);
  }
  return { values, secretKeys, stackFile };
}

/** Parses a value of `pulumi config --json` as the program does. */
export { parseConfigValue } from "../config/project";

/** The `--path` of each `secure:` value of the stack file's `slipway:` keys, in file order. */
export function securePaths(root: string, stackFile: string): string[] {
  const paths: string[] = [];
  configFromFile(root, stackFile, (where) => {
    paths.push(where);
    return "";
  });
  return paths;
}

/**
 * What a secure value that the stack's secrets provider cannot decrypt means: it was
 * encrypted for another stack (copied from its file); each is named with the way to set it
 * again for `stack`.
 */
export function foreignSecretIssues(stack: string, paths: readonly string[]): ConfigIssue[] {
  return paths.map((where) => ({
    path: where,
    message:
      `does not decrypt with the secrets of stack ${stack}: it was encrypted for another stack ` +
      `(copied from its file; Pulumi encrypts secrets per stack); set it again for this one: ` +
      `pulumi config set --secret --path '${where}' --stack ${stack}  # asks for the value`,
  }));
}
