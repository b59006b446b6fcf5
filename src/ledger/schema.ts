import { z } from "zod";
import { DIGEST_PATTERN, digestProblem, parseDigestReference, TAG_PATTERN } from "../reference";

/** How a release came about. */
export const RELEASE_KINDS = ["promote", "rollback", "up"] as const;
export type ReleaseKind = (typeof RELEASE_KINDS)[number];

const digest = z.string().refine((value) => DIGEST_PATTERN.test(value), {
  error: (issue) => `${digestProblem(String(issue.input))}`,
});

export const releaseImageSchema = z
  .strictObject({
    /** `repository@sha256:…`, what the hosts pull. */
    ref: z.string(),
    /** `sha256:…`, the same digest as in `ref`. */
    digest,
    /** The tag the digest was published under, for people reading the ledger. */
    tag: z.string().regex(TAG_PATTERN, "is not a valid tag").optional(),
    /** The git commit the image was built from. */
    revision: z.string().min(1).optional(),
  })
  .superRefine((image, context) => {
    try {
      const reference = parseDigestReference(image.ref);
      if (reference.digest !== image.digest) {
        context.addIssue({
          code: "custom",
          path: ["ref"],
          message: `names ${reference.digest}, but digest is ${image.digest}`,
        });
      }
    } catch (error) {
      context.addIssue({ code: "custom", path: ["ref"], message: (error as Error).message });
    }
  });

const releaseSchema = z.strictObject({
  /** 1, 2, 3, … in the order the releases happened. */
  id: z.number().int().min(1),
  /** When the update finished, ISO 8601 UTC. */
  at: z.iso.datetime({ error: "must be an ISO 8601 UTC time, e.g. 2025-01-31T12:00:00Z" }),
  kind: z.enum(RELEASE_KINDS),
  /** The command that made the release, e.g. `slipway promote --from dev --to prod`. */
  by: z.string().min(1),
  /** Who ran it (login name, or the CI actor). */
  user: z.string().min(1).optional(),
  /** The stack the digests were promoted from. */
  source: z.string().min(1).optional(),
  /** For a rollback: the release whose digests it restored. */
  restores: z.number().int().min(1).optional(),
  /** Every image the stack ran after the update, by image name. */
  images: z.record(z.string(), releaseImageSchema),
  /** The Pulumi update that deployed it. */
  update: z.strictObject({
    result: z.literal("succeeded"),
    /** The stack version the update created (`pulumi stack history`). */
    version: z.number().int().min(1).optional(),
    /** Wall time of the update. */
    seconds: z.number().min(0).optional(),
  }),
});

/**
 * A digest whose release failed its health check on this stack and was reverted (the hosts
 * kept the previous release): `slipway promote` refuses it unless --force.
 */
const failedSchema = z.strictObject({
  digest,
  /** When the update failed, ISO 8601 UTC. */
  at: z.iso.datetime({ error: "must be an ISO 8601 UTC time, e.g. 2025-01-31T12:00:00Z" }),
  /** The command whose update failed. */
  by: z.string().min(1),
  user: z.string().min(1).optional(),
  /** What the host said, e.g. `host web-1: release sha256:… did not become healthy …`. */
  reason: z.string().min(1),
});

export const ledgerSchema = z.strictObject({
  stack: z.string().min(1),
  releases: z.array(releaseSchema).nullish(),
  failed: z.array(failedSchema).nullish(),
});

export type ReleaseImage = z.output<typeof releaseImageSchema>;
export type Release = z.output<typeof releaseSchema>;
export type FailedRelease = z.output<typeof failedSchema>;

/** The release ledger of one stack: every successful update `slipway` made, oldest first. */
export interface Ledger {
  readonly stack: string;
  readonly releases: readonly Release[];
  /** Digests whose release failed its health check here and was reverted, oldest first. */
  readonly failed?: readonly FailedRelease[];
}
