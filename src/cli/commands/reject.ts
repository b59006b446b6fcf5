import * as path from "node:path";
import {
  activeRejections,
  appendRejectionEvent,
  parseRejections,
  protectedDigests,
  readIfExists,
  REJECTIONS_FILE,
  rejectionText,
  undoCommand,
  writeFileAtomic,
} from "../../ledger";
import { DIGEST_PREFIX } from "../../ledger/rollback";
import type { Run } from "../context";
import { CliError } from "../errors";
import { EXIT } from "../exit-codes";
import { refusal } from "../pinning";

interface RejectOptions {
  /** `sha256:<hex>`, or a prefix of it (at least 4 hex digits). */
  readonly digest: string;
  readonly reason: string;
  /** Lift the rejection instead. */
  readonly undo: boolean;
}

/**
 * The one digest `given` names among `known` (digest → where it appears): the digest itself,
 * or a prefix only one of them starts with. A whole digest is taken even when unknown.
 */
function resolveKnownDigest(
  given: string,
  known: ReadonlyMap<string, readonly string[]>,
  among: string,
): string {
  if (!DIGEST_PREFIX.test(given)) {
    throw new CliError(
      EXIT.usage,
      `${given} is not a digest (give sha256:<hex>, or at least 4 of its first hex digits)`,
    );
  }
  const prefix = given.startsWith("sha256:") ? given : `sha256:${given}`;
  if (prefix.length === 71) {
    return prefix;
  }
  const candidates = [...known.keys()].filter((digest) => digest.startsWith(prefix)).sort();
  if (candidates.length === 1) {
    return candidates[0]!;
  }
  if (candidates.length === 0) {
    throw new CliError(
      EXIT.refused,
      `no digest ${among} starts with ${prefix}; give the whole digest`,
    );
  }
  throw new CliError(
    EXIT.refused,
    `${prefix} is ambiguous: ${candidates.length} digests ${among} start with it:\n${candidates
      .map((digest) => `  ${digest} (${known.get(digest)!.join("; ")})`)
      .join("\n")}\ngive more digits`,
  );
}

/**
 * `slipway reject <digest> --reason …` records that no stack may deploy a digest (`--undo`
 * lifts it), in `stacks/releases/rejected-digests.yaml`, which every stack sharing the ledger
 * folder reads: promote, rollback and the program refuse it from then on.
 */
export function reject(run: Run, options: RejectOptions): void {
  const root = run.deps.root;
  const file = path.join(root, REJECTIONS_FILE);
  const text = readIfExists(file);
  let known;
  let active;
  try {
    known = protectedDigests(root);
    active = activeRejections(text === undefined ? [] : parseRejections(text));
  } catch (error) {
    return refusal(error);
  }
  const reason = options.reason.trim();
  if (reason === "") {
    throw new CliError(EXIT.usage, "--reason is empty; say why, it is recorded for everyone", [
      `${run.by.replace(/ --reason .*$/, "")} --reason "<why>"`,
    ]);
  }
  if (options.undo) {
    const rejected = new Map([...active].map(([digest, r]) => [digest, [rejectionText(r)]]));
    const digest = resolveKnownDigest(options.digest, rejected, "rejected now");
    if (!active.has(digest)) {
      throw new CliError(EXIT.refused, `${digest} is not rejected; nothing to undo`);
    }
    write(run, file, text, {
      action: "undo",
      digest,
      at: run.nowIso(),
      user: run.deps.user,
      reason,
    });
    run.result(
      `lifted the rejection of ${digest} (${reason}); it may be deployed again. Recorded in ${REJECTIONS_FILE}: commit it.`,
      { digest, rejected: false, reason, file: REJECTIONS_FILE },
    );
    return;
  }
  const digest = resolveKnownDigest(
    options.digest,
    known,
    "in a Pulumi.<stack>.yaml pin or a ledger under stacks/releases/",
  );
  const already = active.get(digest);
  if (already !== undefined) {
    throw new CliError(EXIT.refused, `already rejected: ${rejectionText(already)}`, [
      undoCommand(digest),
    ]);
  }
  write(run, file, text, {
    action: "reject",
    digest,
    at: run.nowIso(),
    user: run.deps.user,
    reason,
  });
  const pinned = (known.get(digest) ?? []).filter((where) => where.startsWith("pinned in "));
  const stacks = pinned.flatMap(
    (where) => /^pinned in Pulumi\.(.+)\.yaml /.exec(where)?.slice(1, 2) ?? [],
  );
  run.result(
    `rejected ${digest}: ${reason}\n` +
      `No stack deploys it from now on (promote, rollback and pulumi up refuse it). Recorded in ${REJECTIONS_FILE}: commit it.` +
      (pinned.length === 0
        ? ""
        : `\nStill ${pinned.join(", ")}; move away from it:\n${stacks
            .map((stack) => `  slipway rollback --stack ${stack}`)
            .join("\n")}`),
    { digest, rejected: true, reason, file: REJECTIONS_FILE, pinned: stacks },
  );
}

function write(
  run: Run,
  file: string,
  text: string | undefined,
  event: Parameters<typeof appendRejectionEvent>[1],
): void {
  try {
    writeFileAtomic(file, appendRejectionEvent(text, event), {
      expected: text,
      display: REJECTIONS_FILE,
      next: [run.by],
    });
  } catch (error) {
    return refusal(error);
  }
}
