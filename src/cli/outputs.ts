import { parseDigestReference } from "../reference";
import { CliError } from "./errors";
import { EXIT } from "./exit-codes";

import type { ImageOutput } from "../outputs/contract";

export type { ImageOutput } from "../outputs/contract";

/**
 * The `images` output of a stack, checked: every entry has a digest reference whose
 * repository and digest agree with its fields.
 */
export function imagesOutput(
  outputs: Readonly<Record<string, unknown>>,
  stack: string,
): Record<string, ImageOutput> {
  const value = outputs.images;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CliError(
      EXIT.refused,
      `stack ${stack} exports no images output; has it been deployed?`,
      [`pulumi up --stack ${stack}`],
    );
  }
  const images: Record<string, ImageOutput> = {};
  for (const [name, raw] of Object.entries(value as Record<string, unknown>)) {
    const entry = (raw ?? {}) as Record<string, unknown>;
    const problem = (why: string) =>
      new CliError(EXIT.refused, `the images output of ${stack} is not usable: ${name}: ${why}`, [
        `pulumi stack output images --stack ${stack} --json`,
      ]);
    if (typeof entry.ref !== "string") {
      throw problem("has no ref");
    }
    let reference;
    try {
      reference = parseDigestReference(entry.ref);
    } catch (error) {
      throw problem((error as Error).message);
    }
    if (entry.digest !== undefined && entry.digest !== reference.digest) {
      throw problem(`ref names ${reference.digest}, but digest is ${JSON.stringify(entry.digest)}`);
    }
    const strings = (list: unknown) =>
      Array.isArray(list) ? list.filter((item): item is string => typeof item === "string") : [];
    images[name] = {
      repository: reference.repository,
      digest: reference.digest,
      ref: reference.ref,
      tags: strings(entry.tags),
      platforms: strings(entry.platforms),
      ...(typeof entry.revision === "string" && entry.revision !== ""
        ? { revision: entry.revision }
        : {}),
    };
  }
  return images;
}
