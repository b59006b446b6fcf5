/**
 * What every script Slipway runs on the machine of `pulumi up` (a `command.local.Command`:
 * attestations, SBOM and scan, verification, moving tags, repository checks) shares.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { SCRIPT_ON_STDIN } from "../src/supply/script";

/** Run by `sh -c`, without the previous output in its environment, both streams logged. */
const LOCAL_SCRIPT = {
  interpreter: ["/bin/sh", "-c"],
  addPreviousOutputInEnv: false,
  logging: "stdoutAndStderr" as const,
};

/** A script's environment of secrets: each value that is given, as a secret, under its name. */
export function secretEnvironment(
  values: Readonly<Record<string, pulumi.Input<string> | undefined>>,
): Record<string, pulumi.Input<string>> {
  const environment: Record<string, pulumi.Input<string>> = {};
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined) {
      environment[name] = pulumi.secret(value);
    }
  }
  return environment;
}

/** The secrets of a script that reads the registry and signs with cosign (attestations, SBOM, scan). */
export interface SigningSecretsArgs {
  /** Registry `user:password` in base64 (docker config `auth`); a secret. */
  registryAuth?: pulumi.Input<string>;
  /** cosign private key (PEM); a secret. */
  cosignKey?: pulumi.Input<string>;
  /** cosign key password; a secret. */
  cosignPassword?: pulumi.Input<string>;
}

/** How a local script runs: its text, its secrets, and what runs it again. */
export interface LocalScriptArgs {
  /** The script. */
  script: pulumi.Input<string>;
  /**
   * Over stdin (`create` is SCRIPT_ON_STDIN, also `update` with `"create and update"`): a
   * failure prints the short command, not the whole script. Absent: the script is `create`.
   */
  onStdin?: "create" | "create and update";
  /** The script's environment (`secretEnvironment`). */
  environment: Record<string, pulumi.Input<string>>;
  /** A change to any runs the script again. */
  triggers: pulumi.Input<unknown>[];
}

/** A `command.local.Command` that runs a Slipway script on the machine of `pulumi up`. */
export function localScript(
  name: string,
  args: LocalScriptArgs,
  opts: pulumi.CustomResourceOptions,
): command.local.Command {
  const text =
    args.onStdin === undefined
      ? { create: args.script }
      : {
          create: SCRIPT_ON_STDIN,
          ...(args.onStdin === "create and update" ? { update: SCRIPT_ON_STDIN } : {}),
          stdin: args.script,
        };
  return new command.local.Command(
    name,
    { ...LOCAL_SCRIPT, ...text, environment: args.environment, triggers: args.triggers },
    opts,
  );
}
