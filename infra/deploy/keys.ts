import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { expandHome, type Secret } from "../../src/config";
import { readSecretEnv } from "../../src/config/secret-env";

// One home expansion for the config check that the file exists and for the reader here.
export { expandHome };

/** Where a key comes from in config: the secret itself, or a file on the deploying machine. */
export interface KeySource {
  readonly privateKey?: Secret;
  readonly privateKeyFile?: string;
}

/**
 * The private key of a host or bastion as a secret Output, or undefined when config names
 * none (the SSH agent is used then). A key file is read when the program runs; `where` is the
 * config path used in the error, e.g. `slipway:hosts[0]`.
 */
export function privateKeyOf(source: KeySource, where: string): pulumi.Output<string> | undefined {
  if (source.privateKey !== undefined) {
    return pulumi.secret(source.privateKey.reveal());
  }
  if (source.privateKeyFile === undefined) {
    return undefined;
  }
  const file = expandHome(source.privateKeyFile);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new Error(`${where}.privateKeyFile: cannot read ${file} (${code})`);
  }
  return pulumi.secret(text);
}

/**
 * A workload's secret env as one secret Output: `secretEnv` values, and the contents of
 * `secretEnvFiles` read now (one trailing newline dropped). `where` names the config entry
 * in the error, e.g. `slipway:accessories.postgres`.
 */
export function secretEnvOf(
  secretEnv: Readonly<Record<string, Secret>>,
  files: Readonly<Record<string, string>>,
  where: string,
): pulumi.Output<Record<string, string>> {
  return pulumi.secret(readSecretEnv(secretEnv, files, where));
}
