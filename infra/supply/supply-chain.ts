import * as pulumi from "@pulumi/pulumi";
import { SUPPLY_SECRET_ENV } from "../../src/supply";
import { localScript, secretEnvironment, type SigningSecretsArgs } from "../local-script";

/** Inputs of a SupplyChain: the SBOM and scan scripts of one built digest. */
export interface SupplyChainArgs extends SigningSecretsArgs {
  /** `repository@sha256:…` of the built image; a new digest runs both scripts again. */
  ref: pulumi.Input<string>;
  /** The script from `sbomScript` for that ref; absent: no SBOM. */
  sbomScript?: pulumi.Input<string>;
  /** The script from `scanScript` for that ref; absent: no scan. */
  scanScript?: pulumi.Input<string>;
  /** `policyKey` of slipway:scan: a changed allow-list or failOn scans the digest again. */
  scanPolicy?: pulumi.Input<string>;
  /**
   * What the image's Attestation printed; only waited for, never used. The commands that
   * write where the Attestation writes (the image index's cosign attestations and referrers:
   * two writers at once would lose one) start once it is known.
   */
  attested?: pulumi.Input<string>;
  /**
   * How many platforms the image has. Plain: it decides the order. With more than one the
   * image is an index and each SBOM goes to its platform's manifest, so the SBOM runs beside
   * the attestation and the scan (which write the index's); with one, all three write to the
   * one manifest and run one after the other (also when absent).
   */
  platformCount?: number;
}

/**
 * SBOM and vulnerability gate of one built digest, run on the machine that runs `pulumi up`.
 * Both are keyed by the digest (the scan also by its policy), so an unchanged digest does no
 * work. Hosts depend on this component: a failed scan stops the update before any host.
 * Nothing waits for more than it must: the scan waits for the attestation (both write the
 * index's), the SBOM of a multi-platform image for neither (see `platformCount`).
 */
export class SupplyChain extends pulumi.ComponentResource {
  public readonly ref: pulumi.Output<string>;
  /** What the SBOM script printed (platforms, package counts, where attached); "" when off. */
  public readonly sbom: pulumi.Output<string>;
  /** What the scan printed (`slipway: scan passed: …`); "" when off. */
  public readonly scan: pulumi.Output<string>;

  constructor(name: string, args: SupplyChainArgs, opts?: pulumi.ComponentResourceOptions) {
    super("slipway:supply:SupplyChain", name, {}, opts);
    const environment = secretEnvironment({
      [SUPPLY_SECRET_ENV.registryAuth]: args.registryAuth,
      // With a key, its password is always set: "" for a key made without one.
      ...(args.cosignKey === undefined
        ? {}
        : {
            [SUPPLY_SECRET_ENV.cosignKey]: args.cosignKey,
            [SUPPLY_SECRET_ENV.cosignPassword]: args.cosignPassword ?? "",
          }),
    });
    const step = (
      suffix: string,
      script: pulumi.Input<string>,
      triggers: pulumi.Input<unknown>[],
      opts: pulumi.CustomResourceOptions = {},
    ) =>
      localScript(
        `${name}-${suffix}`,
        { script, onStdin: "create", environment, triggers },
        { parent: this, ...opts },
      );
    const shared = (args.platformCount ?? 1) <= 1;
    const sbom =
      args.sbomScript === undefined
        ? undefined
        : step(
            "sbom",
            shared ? afterAttestation(args.sbomScript, args.attested) : args.sbomScript,
            [args.ref],
          );
    const scan =
      args.scanScript === undefined
        ? undefined
        : step(
            "scan",
            afterAttestation(args.scanScript, args.attested),
            [args.ref, args.scanPolicy ?? ""],
            sbom !== undefined && shared ? { dependsOn: [sbom] } : {},
          );
    this.ref = pulumi.output(args.ref);
    this.sbom = sbom?.stdout ?? pulumi.output("");
    this.scan = scan?.stdout ?? pulumi.output("");
    this.registerOutputs({ ref: this.ref, sbom: this.sbom, scan: this.scan });
  }
}

/**
 * `script`, known once `attested` is: a command given it waits for the attestation (a data
 * dependency the engine records), and its input stays the script itself.
 */
function afterAttestation(
  script: pulumi.Input<string>,
  attested: pulumi.Input<string> | undefined,
): pulumi.Input<string> {
  // As plain as the script was: were what the attestation printed a secret, the input must
  // not become one for it (and differ from the one in the state). A script holds no secret.
  return attested === undefined
    ? script
    : pulumi.unsecret(pulumi.all([script, attested]).apply(([text]) => text));
}
