import type { BuildConfig, ImageConfig, SlipwayConfig } from "../config";
import type { SourceInfo } from "./git";
import { stampSource } from "./plan";

/**
 * A build stack's rollback (`slipway rollback`) writes a pin beside an image's `build`, with
 * `pinnedAt`: the commit that image's build came from then. The stack runs the pinned digest
 * instead of building while that is still the commit the build would come from; a later
 * commit that changes the image (the next build release) ends the pin, and so does
 * `slipway rollback --unpin`.
 */

/** The commit an image's build comes from: HEAD, or with `stamp: context|none` its context's. */
export function buildCommit(source: SourceInfo, build: Pick<BuildConfig, "stamp" | "context">) {
  return stampSource(source, build).sha;
}

/** A rollback pin that a later commit ended. */
interface EndedPin {
  readonly image: string;
  readonly restores?: number;
  readonly pinnedAt: string;
  /** The commit the build comes from now. */
  readonly now: string;
}

/** The config the program deploys: each build whose rollback pin still holds runs the pin. */
export function holdRollbackPins(
  config: SlipwayConfig,
  source: SourceInfo | undefined,
): { readonly config: SlipwayConfig; readonly held: string[]; readonly ended: EndedPin[] } {
  const held: string[] = [];
  const ended: EndedPin[] = [];
  const images = config.images.map((image): ImageConfig => {
    if (image.kind !== "build" || image.rollbackPin === undefined || source === undefined) {
      return image;
    }
    const { pinnedAt, ...pin } = image.rollbackPin;
    const now = buildCommit(source, image.build);
    if (now.startsWith(pinnedAt)) {
      held.push(image.name);
      return { kind: "pin", name: image.name, pin };
    }
    ended.push({
      image: image.name,
      ...(pin.restores === undefined ? {} : { restores: pin.restores }),
      pinnedAt,
      now,
    });
    return { kind: "build", name: image.name, build: image.build };
  });
  return held.length === 0 && ended.length === 0
    ? { config, held, ended }
    : { config: { ...config, images }, held, ended };
}

/** What the program says of a rollback pin that a later commit ended. */
export function endedPinMessage(stack: string, pin: EndedPin): string {
  return `image ${pin.image}: the rollback pin${pin.restores === undefined ? "" : ` to release #${pin.restores}`} ended: commit ${pin.now.slice(0, 7)} changed it after ${pin.pinnedAt.slice(0, 7)}, so ${stack} builds it again; remove the pin from its stack file: slipway rollback --stack ${stack} --unpin ${pin.image}`;
}
