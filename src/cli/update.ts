/**
 * Running a stack's update from the CLI and recording its release: the end of promote,
 * rollback and up, and the error a failed update becomes (with the digests it records as
 * failed in the ledger).
 */
import { appendFailures, ledgerFile, readIfExists, writeFileAtomic } from "../ledger";
import { whileUpdating, type Run } from "./context";
import { DriverError, type UpdateInfo } from "./driver";
import { CliError } from "./errors";
import { EXIT } from "./exit-codes";
import {
  engineFailure,
  nextSteps,
  unhealthyDigests,
  type FailureKind,
  type StackRole,
} from "./failure";
import { recordUpdate, type RecordOutcome } from "./record";
import type { StackFiles } from "./stack-config";

/** What `upAndRecord` came to: the update's facts and what the ledger got. */
export interface UpResult {
  readonly version?: number;
  readonly changed: boolean;
  readonly record: RecordOutcome;
}

/**
 * Runs the update of a stack whose files are as given, then records its release (once; none
 * for a no-op). A failure quotes its cause and says what to run next for the stack's role.
 */
export async function upAndRecord(
  run: Run,
  files: StackFiles,
  role: StackRole,
  lockWaitSeconds = 0,
): Promise<UpResult> {
  const stack = files.stack;
  run.progress(`running pulumi up on ${stack}…`);
  // The engine's output as it streamed: its diagnostics hold the cause of a failure.
  let streamed = "";
  let outcome;
  const waitUntil = Date.now() + lockWaitSeconds * 1000;
  for (;;) {
    try {
      outcome = await whileUpdating(() =>
        run.deps.driver.up(stack, {
          onOutput: (chunk) => {
            streamed += chunk;
            run.deps.stderr(chunk);
          },
          ...(run.deps.signal === undefined ? {} : { signal: run.deps.signal }),
        }),
      );
      break;
    } catch (error) {
      if (!(error instanceof DriverError)) {
        throw error;
      }
      // The update of a canary this rollback stopped ends within seconds of its host command.
      if (error.kind === "locked" && Date.now() < waitUntil && run.deps.signal?.aborted !== true) {
        run.progress(`${stack} is locked by another update; trying again in 2 s`);
        streamed = "";
        await new Promise((resolve) => setTimeout(resolve, 2000));
        continue;
      }
      throw updateFailure(run, files, role, error, streamed);
    }
  }
  // Backends that number updates say the version in the update's summary; a file backend
  // reports 0, and its version is the update's place in the history (which the driver read
  // after the update, or one more call).
  let update: UpdateInfo = {
    result: "succeeded",
    ...(outcome.version === undefined ? {} : { version: outcome.version }),
  };
  if (outcome.version === undefined) {
    try {
      update = outcome.update ?? (await run.deps.driver.lastUpdate(stack)) ?? update;
    } catch {
      // Recorded without a version; `slipway history` shows none.
    }
  }
  const record = recordUpdate(run, files, {
    outputs: outcome.outputs,
    update: { ...update, ...(outcome.version === undefined ? {} : { version: outcome.version }) },
    seconds: outcome.seconds,
    by: run.by,
  });
  if (!record.recorded) {
    run.progress(record.message);
  }
  return {
    ...(update.version === undefined && outcome.version === undefined
      ? {}
      : { version: outcome.version ?? update.version! }),
    changed: outcome.changed,
    record,
  };
}

/** The error a failed update becomes: its cause, and next steps for the failure and role. */
export function updateFailure(
  run: Run,
  files: StackFiles,
  role: StackRole,
  error: DriverError,
  streamed = "",
  retry = `slipway up --stack ${files.stack}`,
): CliError {
  const stack = files.stack;
  const interrupted = run.deps.signal?.aborted === true;
  const failure = engineFailure(`${streamed}\n${error.output}`);
  const kind: FailureKind =
    error.kind === "locked" ? "locked" : error.kind === "pending" ? "pending" : failure.kind;
  const failed =
    kind === "unhealthy" && !interrupted ? recordFailed(run, files, failure.cause) : [];
  const pinned =
    failed.length === 0
      ? `${files.display} keeps its pins; the ledger is unchanged`
      : `${files.display} keeps its pins; the ledger records ${failed.join(", ")} as failed on ${stack} (promote refuses ${failed.length === 1 ? "it" : "them"} unless --force)`;
  const cause =
    failure.cause.length > 0
      ? `\ncause:\n${failure.cause.map((line) => `  ${line}`).join("\n")}`
      : "";
  const head = interrupted
    ? `the update of ${stack} was interrupted`
    : kind === "locked"
      ? `${stack} is locked`
      : kind === "pending"
        ? `an interrupted update of ${stack} left operations pending`
        : `the update of ${stack} failed`;
  const next = interrupted
    ? nextSteps("locked", { stack, role, retry, earlier: files.ledger.releases.length > 0 }).concat(
        [
          `pulumi refresh --stack ${stack} --clear-pending-creates --yes  # if it says operations are pending`,
        ],
      )
    : nextSteps(kind, { stack, role, retry, earlier: files.ledger.releases.length > 0 });
  return new CliError(
    EXIT.updateFailed,
    `${head}: ${failure.cause.length > 0 ? failure.cause[0] : error.message}${cause}\n${pinned}`,
    next,
  );
}

/**
 * Records in the stack's ledger each digest the failure's host lines say did not become
 * healthy (the hosts kept the previous release); returns them. A ledger that cannot be
 * written is only reported: the update's failure is what the command exits with.
 */
function recordFailed(run: Run, files: StackFiles, cause: readonly string[]): string[] {
  const found = unhealthyDigests(cause);
  if (found.length === 0) {
    return [];
  }
  try {
    const text = readIfExists(files.ledgerPath);
    writeFileAtomic(
      files.ledgerPath,
      appendFailures(
        text,
        files.stack,
        found.map((entry) => ({
          digest: entry.digest,
          at: run.nowIso(),
          by: run.by,
          user: run.deps.user,
          reason: entry.reason,
        })),
      ),
      { expected: text, display: ledgerFile(files.stack) },
    );
    return found.map((entry) => entry.digest);
  } catch (error) {
    run.progress(
      `warning: could not record the failed digests in ${ledgerFile(files.stack)}: ${error instanceof Error ? error.message : String(error)}`,
    );
    return [];
  }
}
