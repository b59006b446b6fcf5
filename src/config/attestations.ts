/** `slipway:attestations`: provenance, SBOMs and signatures of built digests, schema and checks. */
import { z } from "zod";
import { PATH_PLACEHOLDER, plain, secret } from "./primitives";
import { asMap, has, type Add, type RawMap } from "./raw";

export const attestationsSchema = z
  .strictObject({
    provenance: z
      .enum(["off", "min", "max"])
      .default("max")
      .describe("SLSA provenance attestation attached with `oras`: `off`, `min` or `max`."),
    sbom: z
      .boolean()
      .default(false)
      .describe(
        "SPDX SBOM per platform of each built digest, made with syft, attested on each platform's manifest digest (`spdxjson`) when signing, an OCI referrer otherwise.",
      ),
    sign: z
      .boolean()
      .default(false)
      .describe(
        "Sign each pushed digest with cosign, and sign its attestations (provenance, SBOM, scan); no transparency log upload.",
      ),
    cosignKey: secret
      .optional()
      .describe("cosign private key (a Pulumi secret), needed when `sign` is on."),
    cosignKeyFile: plain
      .min(1, "must not be empty")
      .optional()
      .describe(
        "Or: path of the cosign private key on the machine that runs `pulumi up`; `~/` expanded.",
      ),
    cosignPassword: secret.optional().describe("Password of the cosign key."),
  })
  .default({ provenance: "max", sbom: false, sign: false });

export type AttestationsConfig = z.output<typeof attestationsSchema>;

/** A signing key when signing is on, and only one of its two forms. */
export function attestationChecks(raw: RawMap, add: Add): void {
  const attestations = asMap(raw.attestations);
  if (
    attestations?.sign === true &&
    !has(attestations, "cosignKey") &&
    !has(attestations, "cosignKeyFile")
  ) {
    add(
      "attestations",
      ["cosignKey"],
      `is required when sign is on: pulumi config set --secret --path '${PATH_PLACEHOLDER}' < cosign.key (or set cosignKeyFile)`,
    );
  }
  if (has(attestations, "cosignKey") && has(attestations, "cosignKeyFile")) {
    add("attestations", ["cosignKeyFile"], "is set together with cosignKey; keep one");
  }
}
