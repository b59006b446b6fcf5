import * as pulumi from "@pulumi/pulumi";
import type { SlipwayConfig } from "../../src/config";
import {
  cosignKeyOf,
  policyKey,
  registryAuth,
  sbomScript,
  scanScript,
  verifyPublicKey,
  verifyScript,
} from "../../src/supply";
import { checkedOnHostsScript } from "../../src/registry/check-script";
import { SupplyChain } from "./supply-chain";
import { Verification } from "./verification";

/**
 * The supply-chain resources of a stack, by image name: a SupplyChain (SBOM, scan) for each
 * built image when `slipway:attestations.sbom` or `slipway:scan` is on, and a Verification for
 * each pinned image when `slipway:verify` is set. `refs` are the images' `repository@sha256:…`.
 * Whatever deploys an image (hosts, the edge) depends on the returned resources. A SupplyChain's
 * commands that write where the image's Attestation writes wait for what it printed, in
 * `attested`: cosign appends to the digest's one attestation manifest, and two writers at once
 * would lose one (see SupplyChain). Each waits for `gate` (the GitHub look-ups): nothing runs
 * before every look-up has passed.
 */
export function declareSupplyChain(
  config: SlipwayConfig,
  refs: Record<string, pulumi.Input<string>>,
  attested: Readonly<Record<string, pulumi.Input<string>>> = {},
  gate: pulumi.ComponentResourceOptions = {},
): Record<string, pulumi.Resource> {
  const { attestations, registry, scan, verify } = config;
  const auth = registryAuth(registry);
  const secretAuth = auth === undefined ? {} : { registryAuth: pulumi.secret(auth) };
  const resources: Record<string, pulumi.Resource> = {};
  for (const image of config.images) {
    const ref = refs[image.name];
    if (ref === undefined) {
      continue;
    }
    if (image.kind === "build") {
      if (!attestations.sbom && scan === undefined) {
        continue;
      }
      const platforms = image.build.platforms;
      const sign = attestations.sign;
      const key = cosignKeyOf(attestations);
      resources[image.name] = new SupplyChain(
        `${image.name}-supply`,
        {
          ref,
          ...(attestations.sbom
            ? {
                sbomScript: pulumi
                  .output(ref)
                  .apply((r) =>
                    sbomScript({ ref: r, platforms, sign, insecure: registry.insecure }),
                  ),
              }
            : {}),
          ...(scan === undefined
            ? {}
            : {
                scanScript: pulumi.output(ref).apply((r) =>
                  scanScript({
                    image: image.name,
                    ref: r,
                    platforms,
                    scan,
                    sign,
                    insecure: registry.insecure,
                  }),
                ),
                scanPolicy: policyKey(scan),
              }),
          ...secretAuth,
          ...(sign && key !== undefined ? { cosignKey: pulumi.secret(key) } : {}),
          ...(sign && attestations.cosignPassword !== undefined
            ? { cosignPassword: pulumi.secret(attestations.cosignPassword.reveal()) }
            : {}),
          ...(attested[image.name] === undefined ? {} : { attested: attested[image.name] }),
          platformCount: platforms.length,
        },
        gate,
      );
      continue;
    }
    if (verify === undefined) {
      continue;
    }
    const publicKey = verifyPublicKey(verify);
    resources[image.name] = new Verification(
      `${image.name}-verify`,
      {
        ref,
        script: pulumi.output(ref).apply((r) =>
          image.pin.checkedOn === "hosts"
            ? checkedOnHostsScript("signature verification", r)
            : verifyScript({
                image: image.name,
                ref: r,
                verify,
                insecure: registry.insecure,
                ...(publicKey === undefined ? {} : { publicKey }),
              }),
        ),
        ...(image.pin.checkedOn === undefined ? {} : { checkedOn: image.pin.checkedOn }),
        policy: JSON.stringify({
          key: publicKey?.trim() ?? null,
          identity: verify.identity ?? null,
          issuer: verify.issuer ?? null,
          require: verify.require,
          maxScanAgeDays: verify.maxScanAgeDays,
        }),
        ...secretAuth,
      },
      gate,
    );
  }
  return resources;
}
