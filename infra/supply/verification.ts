import * as pulumi from "@pulumi/pulumi";
import type { CheckedOn } from "../../src/config/images";
import { checkedOnTriggers } from "../../src/registry/check-script";
import { SUPPLY_SECRET_ENV } from "../../src/supply";
import { localScript, secretEnvironment } from "../local-script";

/** Inputs of a Verification: one pinned digest and the script that checks it. */
export interface VerificationArgs {
  /** `repository@sha256:…` the stack deploys; a new pin verifies again. */
  ref: pulumi.Input<string>;
  /** The script from `verifyScript` for that ref. */
  script: pulumi.Input<string>;
  /** What the verification requires (signer, attestations, scan age): a change verifies again. */
  policy: pulumi.Input<string>;
  /** Registry `user:password` in base64 (docker config `auth`); a secret. */
  registryAuth?: pulumi.Input<string>;
  /** `hosts`: verification skipped for an unreachable registry (`pin.checkedOn`); a trigger. */
  checkedOn?: CheckedOn;
}

/**
 * Checks a pinned digest's signature and attestations before any host pulls it (every
 * HostDeployment depends on it), so a pin edited by hand cannot skip what `slipway promote`
 * checks. A refusal fails the update naming the digest and the reason.
 */
export class Verification extends pulumi.ComponentResource {
  public readonly ref: pulumi.Output<string>;
  /** `slipway: verified …`. */
  public readonly result: pulumi.Output<string>;

  constructor(name: string, args: VerificationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("slipway:supply:Verification", name, {}, opts);
    const environment = secretEnvironment({ [SUPPLY_SECRET_ENV.registryAuth]: args.registryAuth });
    const run = localScript(
      `${name}-verify`,
      {
        script: args.script,
        onStdin: "create",
        environment,
        triggers: [args.ref, args.policy, ...checkedOnTriggers(args.checkedOn)],
      },
      { parent: this },
    );
    this.ref = pulumi.output(args.ref);
    this.result = run.stdout;
    this.registerOutputs({ ref: this.ref, result: this.result });
  }
}
