import {
  activeRejections,
  readRejections,
  rejectedUses,
  undoCommand,
  type DigestUse,
  type FailedRelease,
  type Ledger,
  type Rejection,
} from "../ledger";
import type { Run } from "./context";
import { CliError } from "./errors";
import { EXIT } from "./exit-codes";
import { refusal } from "./pinning";

/** The rejections in force in the project (`slipway reject`). */
export function projectRejections(run: Run): Map<string, Rejection> {
  try {
    return activeRejections(readRejections(run.deps.root));
  } catch (error) {
    return refusal(error);
  }
}

/**
 * Refuses (exit 3) when any of `uses` is a rejected digest, naming who rejected it, when and
 * why; `next` says what to do instead (the undo command is added).
 */
export function refuseRejected(
  run: Run,
  uses: readonly DigestUse[],
  next: readonly string[],
): void {
  const rejections = projectRejections(run);
  const lines = rejectedUses(rejections, uses);
  if (lines.length === 0) {
    return;
  }
  const digests = [
    ...new Set(uses.filter((use) => rejections.has(use.digest)).map((u) => u.digest)),
  ];
  throw new CliError(
    EXIT.refused,
    `refused: ${lines.length === 1 ? lines[0]! : `\n  ${lines.join("\n  ")}`}`,
    [...next, ...digests.map(undoCommand)],
  );
}

/** The failures a ledger records for `digest` (its release failed its health check there). */
export function failuresOf(ledger: Ledger, digest: string): FailedRelease[] {
  return (ledger.failed ?? []).filter((entry) => entry.digest === digest);
}
