import * as path from "node:path";
import { parseDocument } from "yaml";
import { z } from "zod";
import { formatPath } from "../config/errors";
import { DIGEST_PATTERN, digestProblem } from "../reference";
import { readIfExists } from "./atomic";
import { blockList, mapDocument } from "./yaml-lists";
import { assertNoConflictMarkers, LedgerError } from "./errors";
import { LEDGER_DIR, YAML_OUTPUT } from "./ledger";

/**
 * The digests nobody may deploy, shared by every stack whose ledger is in `LEDGER_DIR`:
 * `slipway reject` appends to it, `slipway reject --undo` too (an event log, reviewed in git
 * like the ledgers). Its name is not a stack's ledger: see `isRejectionsFile`.
 */
export const REJECTIONS_FILE = path.posix.join(LEDGER_DIR, "rejected-digests.yaml");

/** Whether `name`, a file in `LEDGER_DIR`, is the rejections file rather than a stack's ledger. */
export function isRejectionsFile(name: string): boolean {
  return name === path.posix.basename(REJECTIONS_FILE);
}

const digest = z.string().refine((value) => DIGEST_PATTERN.test(value), {
  error: (issue) => `${digestProblem(String(issue.input))}`,
});

const rejectionEventSchema = z.strictObject({
  /** `reject` makes the digest refused everywhere; `undo` lifts the rejection. */
  action: z.enum(["reject", "undo"]),
  digest,
  /** When, ISO 8601 UTC. */
  at: z.iso.datetime({ error: "must be an ISO 8601 UTC time, e.g. 2025-01-31T12:00:00Z" }),
  /** Who (login name, or the CI actor). */
  user: z.string().min(1),
  /** Why, as given with --reason. */
  reason: z.string().min(1),
});

const rejectionsSchema = z.strictObject({
  events: z.array(rejectionEventSchema).nullish(),
});

export type RejectionEvent = z.output<typeof rejectionEventSchema>;

/** A digest that is rejected now: the `reject` event that is in force. */
export type Rejection = RejectionEvent & { readonly action: "reject" };

const HEADER =
  "# Rejected digests: no stack whose ledger is in this folder deploys them (slipway promote,\n" +
  "# slipway rollback and the program itself refuse them). Written by `slipway reject`\n" +
  "# and `slipway reject --undo`; reviewed in git; do not edit by hand.\n";

/** Parses the rejections file's text (`display` names it in messages). */
export function parseRejections(
  text: string,
  display: string = REJECTIONS_FILE,
): readonly RejectionEvent[] {
  assertNoConflictMarkers(display, text);
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) {
    throw new LedgerError(`${display} is not valid YAML: ${document.errors[0]!.message}`, [
      `git diff -- ${display}  # restore the file from git, then re-run`,
    ]);
  }
  const result = rejectionsSchema.safeParse(document.toJS() ?? {});
  if (!result.success) {
    const lines = result.error.issues.map(
      (issue) => `  ${formatPath("", issue.path).replace(/^\./, "") || "(top)"}: ${issue.message}`,
    );
    throw new LedgerError(
      `${display} is not a valid list of rejected digests:\n${lines.join("\n")}`,
      [`git log -p -- ${display}  # find the edit that broke it, restore the file, then re-run`],
    );
  }
  return result.data.events ?? [];
}

/** The rejection events of the project under `root` (none when the file does not exist). */
export function readRejections(root: string): readonly RejectionEvent[] {
  const text = readIfExists(path.join(root, REJECTIONS_FILE));
  return text === undefined ? [] : parseRejections(text);
}

/** The rejections in force, by digest: each digest's last event, when it is a `reject`. */
export function activeRejections(events: readonly RejectionEvent[]): Map<string, Rejection> {
  const last = new Map<string, RejectionEvent>();
  for (const event of events) {
    last.set(event.digest, event);
  }
  return new Map(
    [...last].flatMap(([key, event]) =>
      event.action === "reject" ? [[key, event as Rejection] as const] : [],
    ),
  );
}

/** The file's text with one more event at the end; comments and the rest stay as they are. */
export function appendRejectionEvent(text: string | undefined, event: RejectionEvent): string {
  parseRejections(text ?? "");
  const document = mapDocument(text ?? `${HEADER}events: []\n`, REJECTIONS_FILE, "events");
  blockList(document, "events").items.push(
    document.createNode({
      action: event.action,
      digest: event.digest,
      at: event.at,
      user: event.user,
      reason: event.reason,
    }),
  );
  return document.toString(YAML_OUTPUT);
}

/** Who rejected a digest, when and why, in one line. */
export function rejectionText(rejection: Rejection): string {
  return `${rejection.digest} was rejected by ${rejection.user} at ${rejection.at}: ${rejection.reason}`;
}

/** One deployed image as the program or a command is about to run it. */
export interface DigestUse {
  /** Where the stack names it: `image web`, `accessory db`, `the edge`. */
  readonly what: string;
  readonly digest: string;
}

/**
 * Every use of a rejected digest, one line each, naming who rejected it, when and why, and
 * how to lift it; empty when none is rejected.
 */
export function rejectedUses(
  rejections: ReadonlyMap<string, Rejection>,
  uses: readonly DigestUse[],
): string[] {
  return uses.flatMap((use) => {
    const rejection = rejections.get(use.digest);
    return rejection === undefined ? [] : [`${use.what}: ${rejectionText(rejection)}`];
  });
}

/** The command that lifts a rejection, for messages. */
export function undoCommand(digest: string): string {
  return `slipway reject ${digest} --undo --reason "<why it is safe again>"`;
}
