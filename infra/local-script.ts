/**
 * What every script Slipway runs on the machine of `pulumi up` (a `command.local.Command`:
 * attestations, SBOM and scan, verification, moving tags, repository checks) shares.
 */
import * as pulumi from "@pulumi/pulumi";

/** Run by `sh -c`, without the previous output in its environment, both streams logged. */
export const LOCAL_SCRIPT = {
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
