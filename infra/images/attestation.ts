import * as pulumi from "@pulumi/pulumi";
import { ATTEST_SECRET_ENV } from "../../src/images";
import { localScript, secretEnvironment, type SigningSecretsArgs } from "../local-script";

/** Inputs of an Attestation: what to run once per pushed digest. */
export interface AttestationArgs extends SigningSecretsArgs {
  /** `repository@sha256:…` the attestations are about; a new digest runs the script again. */
  ref: pulumi.Input<string>;
  /** The script from `attestScript` (for that ref); it holds no secret. */
  script: pulumi.Input<string>;
}

/**
 * Provenance, SBOM and signature for one pushed digest, made on the machine that runs
 * `pulumi up`. Secrets reach the script through its environment, never its text.
 */
export class Attestation extends pulumi.ComponentResource {
  /** The digest reference that was attested. */
  public readonly ref: pulumi.Output<string>;
  /** What the script printed (no secrets: it prints only refs). */
  public readonly stdout: pulumi.Output<string>;

  constructor(name: string, args: AttestationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("slipway:image:Attestation", name, {}, opts);
    const environment = secretEnvironment({
      [ATTEST_SECRET_ENV.registryAuth]: args.registryAuth,
      [ATTEST_SECRET_ENV.cosignKey]: args.cosignKey,
      [ATTEST_SECRET_ENV.cosignPassword]: args.cosignPassword,
    });
    const run = localScript(
      `${name}-attest`,
      { script: args.script, environment, triggers: [args.ref] },
      { parent: this },
    );
    this.ref = pulumi.output(args.ref);
    this.stdout = run.stdout;
    this.registerOutputs({ ref: this.ref, stdout: this.stdout });
  }
}
