import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import type { SlipwayConfig } from "./schema";
import { markSecrets, type ConfigSource } from "./source";
import { NAMESPACE, validateConfig } from "./validate";

/** `isConfigSecret` is exported by the runtime module but missing from its typings. */
const isConfigSecret = (runtimeConfig as unknown as { isConfigSecret?: (key: string) => boolean })
  .isConfigSecret;

function parseValue(text: string): unknown {
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

/** Reads the running stack's `slipway:*` config from the engine and its stack file. */
export function readConfigSource(): ConfigSource {
  const values: Record<string, unknown> = {};
  const secretKeys = new Set<string>();
  for (const [fullKey, text] of Object.entries(pulumi.runtime.allConfig())) {
    if (!fullKey.startsWith(`${NAMESPACE}:`)) {
      continue;
    }
    const key = fullKey.slice(NAMESPACE.length + 1);
    values[key] = parseValue(text);
    if (isConfigSecret?.(fullKey) === true) {
      secretKeys.add(key);
    }
  }
  const stackFile = path.join(pulumi.getRootDirectory(), `Pulumi.${pulumi.getStack()}.yaml`);
  return {
    values,
    secretKeys,
    ...(fs.existsSync(stackFile) ? { stackFile: fs.readFileSync(stackFile, "utf8") } : {}),
  };
}

/**
 * The one place the program reads Pulumi config: returns the validated Slipway config of the
 * running stack, or throws a ConfigError listing every problem before any resource exists.
 */
export function loadConfig(source: ConfigSource = readConfigSource()): SlipwayConfig {
  return validateConfig(pulumi.getStack(), markSecrets(source), {
    root: pulumi.getRootDirectory(),
  });
}
