/** A ledger or stack file that cannot be used as it is; `next` says what to run or fix. */
export class LedgerError extends Error {
  constructor(
    message: string,
    readonly next: readonly string[] = [],
  ) {
    super(message);
    this.name = "LedgerError";
  }
}

/** A file that changed between reading it and writing it; nothing was written. */
export class ConflictError extends LedgerError {
  constructor(
    readonly file: string,
    next: readonly string[] = [],
  ) {
    super(
      `${file} changed while slipway was working on it (another edit or another slipway run); nothing was written`,
      next,
    );
    this.name = "ConflictError";
  }
}

const MARKER = /^(?:<{7}|={7}|>{7}|\|{7})(?: |$)/m;

/**
 * Refuses a file with unresolved merge conflict markers (git leaves `<<<<<<<`, `=======`,
 * `>>>>>>>` lines): neither side can be trusted until a person resolves it.
 */
export function assertNoConflictMarkers(file: string, text: string): void {
  const match = MARKER.exec(text);
  if (match === null) {
    return;
  }
  const line = text.slice(0, match.index).split("\n").length;
  const content = text.slice(match.index).split("\n", 1)[0]!.trim();
  throw new LedgerError(
    `${file} has an unresolved merge conflict (line ${line}: ${JSON.stringify(content)}); nothing was changed`,
    [`git status  # resolve the conflict in ${file}, commit, then re-run`],
  );
}
