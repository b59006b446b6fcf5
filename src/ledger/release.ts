import type { LedgerOutput, ReleaseOutput } from "../outputs/contract";
import { ledgerFile } from "./ledger";
import type { Ledger, Release, ReleaseImage } from "./schema";
import type { StackPin } from "./stack-file";

/** Whether two sets of images run the same digests (same names, same digests). */
export function sameImages(
  a: Readonly<Record<string, { readonly digest: string }>>,
  b: Readonly<Record<string, { readonly digest: string }>>,
): boolean {
  const names = Object.keys(a);
  return (
    names.length === Object.keys(b).length &&
    names.every((name) => b[name]?.digest === a[name]!.digest)
  );
}

/**
 * What an update that deploys `images` releases, judged against the ledger's last entry:
 * undefined when it runs the digests the last release ran (a no-op: nothing to record).
 * The kind comes from the pins of the images that change: `restores` (written by `slipway
 * rollback`) makes a rollback, `source` (written by `slipway promote`) a promotion; anything
 * else (a build, a hand-edited pin) is `up`.
 */
export function releaseOf(
  ledger: Ledger,
  images: Readonly<Record<string, ReleaseImage>>,
  pins: Readonly<Record<string, StackPin>>,
): ReleaseOutput | undefined {
  const last: Release | undefined = ledger.releases[ledger.releases.length - 1];
  if (Object.keys(images).length === 0 || (last !== undefined && sameImages(images, last.images))) {
    return undefined;
  }
  const changed = Object.keys(images).filter(
    (name) => last?.images[name]?.digest !== images[name]!.digest,
  );
  const restores = changed.map((name) => pins[name]?.restores).find((id) => id !== undefined);
  if (restores !== undefined) {
    return { kind: "rollback", restores, images };
  }
  const source = changed.map((name) => pins[name]?.source).find((stack) => stack !== undefined);
  return source === undefined ? { kind: "up", images } : { kind: "promote", source, images };
}

/** The `ledger` output: the recorded releases, and the one this update makes (if any). */
export function ledgerOutput(ledger: Ledger, release: ReleaseOutput | undefined): LedgerOutput {
  const entries = ledger.releases.map((entry) => ({
    id: entry.id,
    kind: entry.kind,
    ...(entry.source === undefined ? {} : { source: entry.source }),
    ...(entry.restores === undefined ? {} : { restores: entry.restores }),
    images: entry.images,
    at: entry.at,
    ...(entry.update.version === undefined ? {} : { version: entry.update.version }),
  }));
  return {
    file: ledgerFile(ledger.stack),
    releases:
      release === undefined ? entries : [...entries, { id: entries.length + 1, ...release }],
  };
}

/**
 * The newest release of the ledger that ran `digest` as `image`, by id: a service's release
 * command succeeded for it then (the update would not have been recorded otherwise).
 */
export function releaseThatRan(ledger: Ledger, image: string, digest: string): number | undefined {
  return [...ledger.releases].reverse().find((release) => release.images[image]?.digest === digest)
    ?.id;
}
