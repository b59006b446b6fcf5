import { digestProblem } from "../reference";
import { LedgerError } from "./errors";
import type { Ledger, Release, ReleaseImage } from "./schema";

interface RollbackRequest {
  /** Go back to this release of the ledger (`--release 4`). */
  readonly release?: number;
  /**
   * Go back to this digest (of whichever image it belongs to): `sha256:<64 hex>`, or a
   * prefix of it (`sha256:3f1b`, `3f1b`) that only one digest in the ledger starts with.
   */
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
  const given = [request.release, request.to, request.steps].filter((v) => v !== undefined);
  if (given.length > 1) {
    throw new LedgerError("give one of --release <n>, --to <digest> or --steps <n>");
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

  if (request.release !== undefined) {
    const release = ledger.releases.find((entry) => entry.id === request.release);
    if (release === undefined) {
      throw new LedgerError(
        `the ledger of ${stack} has no release #${request.release} (it has #1 to #${ledger.releases.length})`,
        [history],
      );
    }
    const images = pick(release, only);
    if (sameAs(images, current)) {
      throw new LedgerError(
        `${stack} already pins what release #${release.id} ran; nothing to roll back`,
        [history],
      );
    }
    return { release, images };
  }

  if (request.to !== undefined) {
    const to = resolveDigest(ledger, request.to, only);
    const release = newestFirst.find((entry) =>
      Object.entries(entry.images).some(
        ([name, image]) => image.digest === to && (only === undefined || only.includes(name)),
      ),
    );
    if (release === undefined) {
      throw new LedgerError(`no release of ${stack} ran ${to}`, [history]);
    }
    const images = Object.fromEntries(
      Object.entries(release.images).filter(
        ([name, image]) => image.digest === to && (only === undefined || only.includes(name)),
      ),
    );
    if (Object.keys(images).every((name) => current[name]?.digest === to)) {
      throw new LedgerError(
        `${stack} already pins ${to} (${Object.keys(images).join(", ")}); nothing to roll back`,
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

/** A digest or digest prefix as given: `sha256:` + hex, or bare hex. */
export const DIGEST_PREFIX = /^(?:sha256:)?[0-9a-f]{4,64}$/;

/**
 * The one digest in the ledger (of the images in `only`) that `given` names: the digest
 * itself or a prefix (`sha256:3f1b…`, `3f1b…`, at least 4 hex digits). Refuses a prefix that
 * several digests start with, naming them.
 */
function resolveDigest(ledger: Ledger, given: string, only?: readonly string[]): string {
  const history = `slipway history --stack ${ledger.stack}`;
  if (!DIGEST_PREFIX.test(given)) {
    throw new LedgerError(
      `--to ${given}: ${digestProblem(given) ?? "is not a digest"} (give sha256:<hex>, or at least 4 of its first hex digits)`,
      [history],
    );
  }
  const prefix = given.startsWith("sha256:") ? given : `sha256:${given}`;
  const digests = new Set<string>();
  for (const release of ledger.releases) {
    for (const [name, image] of Object.entries(release.images)) {
      if ((only === undefined || only.includes(name)) && image.digest.startsWith(prefix)) {
        digests.add(image.digest);
      }
    }
  }
  if (digests.size > 1) {
    throw new LedgerError(
      `--to ${given} is ambiguous: ${digests.size} digests in the ledger of ${ledger.stack} start with it (${[...digests].join(", ")}); give more digits`,
      [history],
    );
  }
  const [digest] = [...digests];
  if (digest === undefined) {
    throw new LedgerError(
      prefix.length === 71
        ? `no release of ${ledger.stack} ran ${prefix}`
        : `no release of ${ledger.stack} ran a digest starting with ${prefix}`,
      [history],
    );
  }
  return digest;
}
