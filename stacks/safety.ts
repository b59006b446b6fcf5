import * as pulumi from "@pulumi/pulumi";
import type { SlipwayConfig } from "../src/config";
import {
  rejectedUses,
  undoCommand,
  type DigestUse,
  type Ledger,
  type Rejection,
} from "../src/ledger";
import type { ImageOutput } from "../src/outputs/contract";
import { parseDigestReference } from "../src/reference";

/**
 * Every digest the stack's config names before anything is built: each pinned image, and each
 * accessory and edge given as `repository@sha256:…`.
 */
export function pinnedDigests(config: SlipwayConfig): DigestUse[] {
  const byRef = (what: string, image: string | undefined): DigestUse[] =>
    image?.includes("@") === true ? [{ what, digest: parseDigestReference(image).digest }] : [];
  return [
    ...config.images.flatMap((image) =>
      image.kind === "pin"
        ? [{ what: `slipway:images.${image.name}.pin.digest`, digest: image.pin.digest }]
        : [],
    ),
    ...config.accessories.flatMap((accessory) =>
      byRef(`slipway:accessories.${accessory.name}.image`, accessory.image),
    ),
    ...byRef("slipway:edge.image", config.edge.image),
  ];
}

/** The refusal of a stack that would deploy rejected digests, or undefined when it does not. */
export function rejectedMessage(
  stack: string,
  rejections: ReadonlyMap<string, Rejection>,
  uses: readonly DigestUse[],
): string | undefined {
  const lines = rejectedUses(rejections, uses);
  if (lines.length === 0) {
    return undefined;
  }
  const digests = [
    ...new Set(uses.filter((use) => rejections.has(use.digest)).map((u) => u.digest)),
  ];
  return (
    `stack ${stack} would deploy a rejected digest:\n  ${lines.join("\n  ")}\n` +
    `fix: pin another digest (slipway rollback --stack ${stack}, or slipway promote --to ${stack}), ` +
    `or lift the rejection: ${digests.map(undoCommand).join("; ")}`
  );
}

/** One warning line per used digest whose release failed its health check on this stack. */
export function failedWarnings(ledger: Ledger, uses: readonly DigestUse[]): string[] {
  return uses.flatMap((use) =>
    (ledger.failed ?? [])
      .filter((entry) => entry.digest === use.digest)
      .slice(0, 1)
      .map(
        (entry) =>
          `slipway: ${use.what}: ${use.digest} failed its health check on ${ledger.stack} at ${entry.at} and was reverted (${entry.reason})`,
      ),
  );
}

/**
 * Refuses, before any resource is declared, a stack whose config pins a rejected digest; warns
 * (the preview summary shows it) about a pinned digest that failed here before. A digest the
 * stack builds is checked once known: the images' outputs fail, and nothing that deploys them
 * is registered.
 */
export function guardDigests(
  config: SlipwayConfig,
  rejections: ReadonlyMap<string, Rejection>,
  ledger: Ledger,
): void {
  const uses = pinnedDigests(config);
  const refused = rejectedMessage(config.stack, rejections, uses);
  if (refused !== undefined) {
    throw new pulumi.RunError(refused);
  }
  for (const line of failedWarnings(ledger, uses)) {
    void pulumi.log.warn(line);
  }
}

/** The images, each failing once built when its digest is rejected. */
export function refuseRejectedBuilds(
  config: SlipwayConfig,
  rejections: ReadonlyMap<string, Rejection>,
  images: Readonly<Record<string, pulumi.Output<ImageOutput>>>,
): Record<string, pulumi.Output<ImageOutput>> {
  return Object.fromEntries(
    Object.entries(images).map(([name, output]) => [
      name,
      config.images.find((image) => image.name === name)?.kind !== "build"
        ? output
        : output.apply((image) => {
            const refused = rejectedMessage(config.stack, rejections, [
              { what: `image ${name} (built)`, digest: image.digest },
            ]);
            if (refused !== undefined) {
              throw new pulumi.RunError(refused);
            }
            return image;
          }),
    ]),
  );
}
