import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import { ConfigError } from "./errors";
import { findProjectRoot, parseConfigValue } from "./project";
import type { SlipwayConfig } from "./schema";
import { slipwayVersion } from "../version";
import { markSecrets, type ConfigSource } from "./source";
import { NAMESPACE, validateConfig } from "./validate";

/** `isConfigSecret` is exported by the runtime module but missing from its typings. */
const isConfigSecret = (runtimeConfig as unknown as { isConfigSecret?: (key: string) => boolean })
  .isConfigSecret;

/**
 * The user's project root: the folder of the Pulumi.yaml the engine runs (Pulumi's root
 * directory), else the nearest folder holding Pulumi.yaml from the program's working
 * directory. Never the program's own location: Slipway runs from the user's node_modules.
 */
export function projectRoot(start: string = process.cwd()): string {
  const given = pulumi.runtime.getRootDirectory();
  if (given !== "" && fs.existsSync(path.join(given, "Pulumi.yaml"))) {
    return given;
  }
  const root = findProjectRoot(start);
  if (root === undefined) {
    throw new Error(`no Pulumi.yaml above ${start}; run Slipway from its project folder`);
  }
  return root;
}

/** Reads the running stack's `slipway:*` config from the engine and its stack file. */
function readConfigSource(root: string = projectRoot()): ConfigSource {
  const values: Record<string, unknown> = {};
  const secretKeys = new Set<string>();
  const foreignKeys: string[] = [];
  for (const [fullKey, text] of Object.entries(pulumi.runtime.allConfig())) {
    if (!fullKey.startsWith(`${NAMESPACE}:`)) {
      foreignKeys.push(fullKey);
      continue;
    }
    const key = fullKey.slice(NAMESPACE.length + 1);
    values[key] = parseConfigValue(text);
    if (isConfigSecret?.(fullKey) === true) {
      secretKeys.add(key);
    }
  }
  const stackFile = path.join(root, `Pulumi.${pulumi.getStack()}.yaml`);
  return {
    values,
    secretKeys,
    ...(foreignKeys.length === 0 ? {} : { foreignKeys }),
    ...(fs.existsSync(stackFile) ? { stackFile: fs.readFileSync(stackFile, "utf8") } : {}),
  };
}

/**
 * The one place the program reads Pulumi config: returns the validated Slipway config of the
 * running stack. Every problem is reported at once, before any resource exists, as a
 * `pulumi.RunError` whose text is the ConfigError's (what the CLI prints): the engine shows
 * it without a stack trace. Key files are checked against `home`; GITHUB_OWNER and
 * GITHUB_ORGANIZATION in `env` against the configured owner.
 */
export function loadConfig(
  root: string = projectRoot(),
  source: ConfigSource = readConfigSource(root),
  env: Readonly<Record<string, string | undefined>> = process.env,
  home: string = os.homedir(),
): SlipwayConfig {
  try {
    return validateConfig(pulumi.getStack(), markSecrets(source), {
      root,
      home,
      env,
      ...(source.foreignKeys === undefined ? {} : { foreignKeys: source.foreignKeys }),
      installedVersion: slipwayVersion(),
    });
  } catch (error) {
    throw error instanceof ConfigError ? asRunError(error) : error;
  }
}

/** A ConfigError as the engine should print it: its message alone, no stack, no `issues` dump. */
function asRunError(error: ConfigError): pulumi.RunError {
  return new pulumi.RunError(error.message);
}
