import type { SlipwayConfig } from "../config/schema";
import { digestRef } from "../reference";
import type { Run } from "./context";
import { imagesOutput, type ImageOutput } from "./outputs";
import { defaultRepository, driverCall } from "./pinning";

/** What a stack pins for an image: a promote stack's pin, a build stack's last deployed output. */
export interface Pinned {
  readonly expected: string | undefined;
  /** `repository@sha256:…`, when known. */
  readonly ref?: string;
  /** Where `expected` comes from, for messages: `Pulumi.prod.yaml pins`. */
  readonly expectedFrom: string;
}

/**
 * Looks up what the stack pins per image name; the stack's outputs are read once, on the
 * first image that is not pinned in the stack file.
 */
export function pinnedLookup(
  run: Run,
  stack: string,
  config: SlipwayConfig,
  display: string,
): (imageName: string) => Promise<Pinned> {
  let exported: Record<string, ImageOutput> | undefined;
  return async (imageName) => {
    const image = config.images.find((candidate) => candidate.name === imageName);
    if (image?.kind === "pin") {
      return {
        expected: image.pin.digest,
        ref: digestRef(
          image.pin.repository ?? defaultRepository(config.registry, imageName),
          image.pin.digest,
        ),
        expectedFrom: `${display} pins`,
      };
    }
    exported ??= imagesOutput(
      await driverCall(run, stack, () => run.deps.driver.outputs(stack)),
      stack,
    );
    const output = exported[imageName];
    return {
      expected: output?.digest,
      ...(output === undefined ? {} : { ref: output.ref }),
      expectedFrom: `the last update of ${stack} deployed`,
    };
  };
}
