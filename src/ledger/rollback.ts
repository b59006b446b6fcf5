import { digestProblem } from "../reference";
import { LedgerError } from "./errors";
import type { Ledger, Release, ReleaseImage } from "./schema";

export interface RollbackRequest {
  /** Go back to this digest (of whichever image it belongs to). */
  readonly to?: string;
  /** Go back this many distinct releases (default 1). */
  readonly steps?: number;
  /** Only these images; all images of the chosen release by default. */
  readonly images?: readonly string[];
}

export interface RollbackTarget {
  /** The ledger entry whose digests are restored. */
  readonly release: Release;
  /** What to pin, by image name. */
  readonly images: Readonly<Record<string, ReleaseImage>>;
}

/** Whether every image of `images` has the same digest in `other`. */
function sameAs(
  images: Readonly<Record<string, { readonly digest?: string }>>,
  other: Readonly<Record<string, { readonly digest?: string }>>,
): boolean {
  return Object.entries(images).every(([name, image]) => other[name]?.digest === image.digest);
}

function pick(release: Release, only?: readonly string[]): Record<string, ReleaseImage> {
  return Object.fromEntries(
    Object.entries(release.images).filter(([name]) => only === undefined || only.includes(name)),
  );
}

/**
 * Chooses what a rollback pins, from the ledger and the digests the stack pins now.
 *
 * - `to`: the newest release that ran that digest; only the image(s) that had it are pinned
 *   (other images stay as they are).
 * - `steps` N (default 1): the Nth release before the current pins, counting a run of equal
 *   releases once. Rollbacks are releases too, so a second `rollback` undoes the first.
 */
export function selectRollback(
  ledger: Ledger,
  current: Readonly<Record<string, { readonly digest?: string }>>,
  request: RollbackRequest,
): RollbackTarget {
  const stack = ledger.stack;
  const history = `slipway history --stack ${stack}`;
  if (request.to !== undefined && request.steps !== undefined) {
    throw new LedgerError("give either --to <digest> or --steps <n>, not both");
  }
  if (ledger.releases.length === 0) {
    throw new LedgerError(
      `the ledger of ${stack} has no releases yet, so there is nothing to roll back to`,
      [`slipway promote --from <build stack> --to ${stack}`],
    );
  }
  const only = request.images;
  for (const name of only ?? []) {
    if (!ledger.releases.some((release) => name in release.images)) {
      throw new LedgerError(`no release of ${stack} has an image ${JSON.stringify(name)}`, [
        history,
      ]);
    }
  }
  const newestFirst = [...ledger.releases].reverse();

  if (request.to !== undefined) {
    const problem = digestProblem(request.to);
    if (problem !== undefined) {
      throw new LedgerError(`--to ${request.to}: ${problem}`, [history]);
    }
    const release = newestFirst.find((entry) =>
      Object.entries(entry.images).some(
        ([name, image]) =>
          image.digest === request.to && (only === undefined || only.includes(name)),
      ),
    );
    if (release === undefined) {
      throw new LedgerError(`no release of ${stack} ran ${request.to}`, [history]);
    }
    const images = Object.fromEntries(
      Object.entries(release.images).filter(
        ([name, image]) =>
          image.digest === request.to && (only === undefined || only.includes(name)),
      ),
    );
    if (Object.keys(images).every((name) => current[name]?.digest === request.to)) {
      throw new LedgerError(
        `${stack} already pins ${request.to} (${Object.keys(images).join(", ")}); nothing to roll back`,
        [history],
      );
    }
    return { release, images };
  }

  const steps = request.steps ?? 1;
  if (!Number.isInteger(steps) || steps < 1) {
    throw new LedgerError(`--steps must be a whole number of at least 1, got ${steps}`);
  }
  let previous: Readonly<Record<string, { readonly digest?: string }>> = current;
  let counted = 0;
  for (const release of newestFirst) {
    const images = pick(release, only);
    if (Object.keys(images).length === 0 || sameAs(images, previous)) {
      continue;
    }
    counted += 1;
    previous = images;
    if (counted === steps) {
      return { release, images };
    }
  }
  throw new LedgerError(
    counted === 0
      ? `every release in the ledger of ${stack} is what it pins now; there is nothing earlier to roll back to`
      : `the ledger of ${stack} has ${counted} earlier release${counted === 1 ? "" : "s"}, fewer than --steps ${steps}`,
    [history],
  );
}
