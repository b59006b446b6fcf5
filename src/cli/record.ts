import { z } from "zod";
import {
  appendRelease,
  completeRelease,
  ledgerFile,
  parseLedger,
  readIfExists,
  RELEASE_KINDS,
  releaseImageSchema,
  sameImages,
  writeFileAtomic,
  type Release,
} from "../ledger";
import type { ReleaseOutput } from "../outputs/contract";
import type { Run } from "./context";
import type { UpdateInfo } from "./driver";
import { CliError } from "./errors";
import { EXIT } from "./exit-codes";
import type { StackFiles } from "./stack-config";

const releaseOutputSchema = z.object({
  kind: z.enum(RELEASE_KINDS),
  source: z.string().min(1).optional(),
  restores: z.number().int().min(1).optional(),
  images: z.record(z.string(), releaseImageSchema),
});

/**
 * The `release` output of a stack: what its last update deployed as a release, or null when
 * it deployed what the ledger's last release already runs. Refuses an output that is missing
 * (a stack last deployed by an older Slipway) or malformed.
 */
export function releaseOutput(
  outputs: Readonly<Record<string, unknown>>,
  stack: string,
): ReleaseOutput | null {
  if (outputs.release === null) {
    return null;
  }
  const parsed = releaseOutputSchema.safeParse(outputs.release);
  if (!parsed.success) {
    throw new CliError(
      EXIT.refused,
      outputs.release === undefined
        ? `stack ${stack} exports no release output (last deployed by an older Slipway); run the update once with this version`
        : `the release output of ${stack} is not usable: ${parsed.error.issues[0]?.message ?? "bad shape"}`,
      [`pulumi up --stack ${stack}`, `slipway record --stack ${stack}`],
    );
  }
  return parsed.data;
}

/** What recording an update came to. */
export type RecordOutcome =
  | { readonly recorded: true; readonly release: Release }
  | {
      readonly recorded: false;
      readonly why: "no-op" | "already" | "not-succeeded";
      readonly message: string;
      /** The release that already records this update, for `already`. */
      readonly release?: Release;
    };

/**
 * Records the release an update made, once: the ledger gets an entry when the update
 * succeeded, no entry records its stack version yet, and it deployed other digests than the
 * last entry (no entry for a no-op). Kind, source and restored release come from the
 * stack's `release` output, which the program derives from the pins (`slipway promote`
 * writes `source`, `slipway rollback` writes `restores`), so `promote --no-up` followed by
 * `slipway up`, `pulumi up` or CI records the same entry as `slipway promote`.
 */
export function recordUpdate(
  run: Run,
  files: StackFiles,
  input: {
    readonly outputs: Readonly<Record<string, unknown>>;
    readonly update: UpdateInfo;
    /** Wall time, when this process ran the update. */
    readonly seconds?: number;
    /** The command that made the release (`run.by` when slipway ran it, else `pulumi up`). */
    readonly by: string;
  },
): RecordOutcome {
  const { stack } = files;
  const { update } = input;
  // Read the ledger again: another release may have been recorded while this update waited
  // for the stack's lock. Updates of a stack never overlap, so appending now keeps time order.
  const ledgerText = readIfExists(files.ledgerPath);
  const ledger =
    ledgerText === undefined ? { stack, releases: [] } : parseLedger(ledgerText, stack);
  if (update.result !== "succeeded") {
    return {
      recorded: false,
      why: "not-succeeded",
      message: `the last update of ${stack}${update.version === undefined ? "" : ` (version ${update.version})`} ${update.result === "failed" ? "failed" : `is ${update.result}`}; nothing to record`,
    };
  }
  const already = ledger.releases.find(
    (release) => update.version !== undefined && release.update.version === update.version,
  );
  if (already !== undefined) {
    return {
      recorded: false,
      why: "already",
      message: `version ${update.version} of ${stack} is already recorded as release #${already.id}`,
      release: already,
    };
  }
  const release = releaseOutput(input.outputs, stack);
  const last = ledger.releases[ledger.releases.length - 1];
  if (
    release !== null &&
    last !== undefined &&
    last.update.version === undefined &&
    update.version !== undefined &&
    sameImages(release.images, last.images)
  ) {
    // The program recorded this update's release as its last step (it cannot know the stack
    // version): complete the entry with the version, the wall time and the command.
    try {
      const text = completeRelease(ledgerText!, stack, last.id, {
        by: input.by,
        version: update.version,
        ...(input.seconds === undefined ? {} : { seconds: input.seconds }),
      });
      writeFileAtomic(files.ledgerPath, text, { expected: ledgerText, display: ledgerFile(stack) });
      return { recorded: true, release: parseLedger(text, stack).releases[last.id - 1]! };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      run.progress(
        `warning: release #${last.id} of ${stack} was recorded, but not its version: ${message}`,
      );
      return { recorded: true, release: last };
    }
  }
  if (release === null || (last !== undefined && sameImages(release.images, last.images))) {
    return {
      recorded: false,
      why: "no-op",
      message: `${stack} runs what release #${last?.id ?? "?"} ran; no new release to record`,
      ...(last === undefined ? {} : { release: last }),
    };
  }
  try {
    const appended = appendRelease(ledgerText, stack, {
      at: update.endTime?.replace(/\.\d{3}Z$/, "Z") ?? run.nowIso(),
      kind: release.kind,
      by: input.by,
      user: run.deps.user,
      ...(release.source === undefined ? {} : { source: release.source }),
      ...(release.restores === undefined ? {} : { restores: release.restores }),
      images: release.images,
      update: {
        result: "succeeded",
        ...(update.version === undefined ? {} : { version: update.version }),
        ...(input.seconds === undefined ? {} : { seconds: input.seconds }),
      },
    });
    writeFileAtomic(files.ledgerPath, appended.text, {
      expected: ledgerText,
      display: ledgerFile(stack),
    });
    run.progress(`recorded release #${appended.release.id} in ${ledgerFile(stack)}`);
    return { recorded: true, release: appended.release };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new CliError(
      EXIT.updateFailed,
      `${stack} was updated${update.version === undefined ? "" : ` (version ${update.version})`}, but the release could not be recorded: ${message}`,
      [`git status  # resolve ${ledgerFile(stack)}, then`, `slipway record --stack ${stack}`],
    );
  }
}
