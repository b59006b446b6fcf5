import * as os from "node:os";
import * as path from "node:path";
import type { ReleaseOutput } from "../outputs/contract";
import { readIfExists, writeFileAtomic } from "./atomic";
import { appendRelease, ledgerFile, parseLedger } from "./ledger";
import { sameImages } from "./release";
import type { Release } from "./schema";

/** Who runs a command or an update, as the ledger records it: SLIPWAY_USER, the CI actor, the login. */
export function currentUser(env: NodeJS.ProcessEnv = process.env): string {
  return env.SLIPWAY_USER ?? env.GITHUB_ACTOR ?? os.userInfo().username;
}

/** What an update records once every host runs its release (the program's ledger record). */
export interface ReleaseRecordRequest {
  /** The project root: where `stacks/releases/` is. */
  readonly root: string;
  readonly stack: string;
  /** The id the release gets: one more than the ledger had when the program read it. */
  readonly releaseId: number;
  /** The release the update made; null: it deployed what the last release runs (a no-op). */
  readonly release: ReleaseOutput | null;
  /** The command that made it (`pulumi up`; `slipway …` rewrites it with the stack version). */
  readonly by: string;
  readonly user: string;
}

/** What recording came to: the entry written, or the one that already records the release. */
export type ReleaseRecordResult =
  | { readonly recorded: "written" | "already"; readonly release: Release }
  | { readonly recorded: "no-op" };

/**
 * Appends the release an update made to the stack's ledger, once: nothing for a no-op, and
 * nothing when the entry is already there (release `releaseId` with these digests, or a last entry
 * with them: an update re-run, or `slipway record` before), so two updates never write the
 * same release twice. The ledger is read afresh and replaced atomically.
 */
export function recordRelease(request: ReleaseRecordRequest, at: string): ReleaseRecordResult {
  const { release, stack } = request;
  if (release === null) {
    return { recorded: "no-op" };
  }
  const file = path.join(request.root, ledgerFile(stack));
  const text = readIfExists(file);
  const ledger = text === undefined ? { stack, releases: [] } : parseLedger(text, stack);
  const last = ledger.releases[ledger.releases.length - 1];
  const already =
    ledger.releases.find(
      (entry) => entry.id === request.releaseId && sameImages(entry.images, release.images),
    ) ?? (last !== undefined && sameImages(last.images, release.images) ? last : undefined);
  if (already !== undefined) {
    return { recorded: "already", release: already };
  }
  const appended = appendRelease(text, stack, {
    at,
    kind: release.kind,
    by: request.by,
    user: request.user,
    ...(release.source === undefined ? {} : { source: release.source }),
    ...(release.restores === undefined ? {} : { restores: release.restores }),
    images: release.images,
    update: { result: "succeeded" },
  });
  writeFileAtomic(file, appended.text, { expected: text, display: ledgerFile(stack) });
  return { recorded: "written", release: appended.release };
}
