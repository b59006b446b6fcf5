import * as path from "node:path";
import { isMap, isSeq, parseDocument } from "yaml";
import { formatPath } from "../config/errors";
import { readIfExists } from "./atomic";
import { blockList, mapDocument } from "./yaml-lists";
import { assertNoConflictMarkers, LedgerError } from "./errors";
import { ledgerSchema, type FailedRelease, type Ledger, type Release } from "./schema";

/**
 * Where ledgers live, relative to the project root, as git names it (`/`): one YAML file per
 * stack. Everything that reads, writes or matches a ledger path starts from this constant.
 */
export const LEDGER_DIR = "stacks/releases";

/** `stacks/releases/<stack>.yaml`, relative to the project root. */
export function ledgerFile(stack: string): string {
  return path.posix.join(LEDGER_DIR, `${stack}.yaml`);
}

/** The first lines of a new ledger file. */
function ledgerHeader(stack: string): string {
  return (
    `# Release ledger of stack ${stack}: one entry per successful update made by slipway\n` +
    `# (promote, rollback, up). Written by the CLI and reviewed in git; do not edit by hand.\n` +
    `#   slipway history --stack ${stack}    shows it as a table\n` +
    `#   slipway rollback --stack ${stack}   pins an earlier entry and runs the update\n`
  );
}

/** YAML output options that keep lines as they are (no folding of long values, `[a, b]` unpadded). */
export const YAML_OUTPUT = {
  lineWidth: 0,
  minContentWidth: 0,
  flowCollectionPadding: false,
} as const;

/**
 * Parses and checks a ledger's text. `display` names the file in messages. Refuses merge
 * conflict markers, a ledger of another stack, and ids that are not 1, 2, 3, … in order (what
 * two branches that both appended leave behind).
 */
export function parseLedger(
  text: string,
  stack: string,
  display: string = ledgerFile(stack),
): Ledger {
  assertNoConflictMarkers(display, text);
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) {
    throw new LedgerError(`${display} is not valid YAML: ${document.errors[0]!.message}`, [
      `git diff -- ${display}  # restore the file from git, then re-run`,
    ]);
  }
  const result = ledgerSchema.safeParse(document.toJS());
  if (!result.success) {
    const lines = result.error.issues.map(
      (issue) => `  ${formatPath("", issue.path).replace(/^\./, "") || "(top)"}: ${issue.message}`,
    );
    throw new LedgerError(`${display} is not a valid ledger:\n${lines.join("\n")}`, [
      `git log -p -- ${display}  # find the edit that broke it, restore the file, then re-run`,
    ]);
  }
  const ledger: Ledger = {
    stack: result.data.stack,
    releases: result.data.releases ?? [],
    ...(result.data.failed == null ? {} : { failed: result.data.failed }),
  };
  if (ledger.stack !== stack) {
    throw new LedgerError(
      `${display} is the ledger of stack ${JSON.stringify(ledger.stack)}, not ${JSON.stringify(stack)}`,
      [`git log -p -- ${display}`],
    );
  }
  ledger.releases.forEach((release, index) => {
    if (release.id !== index + 1) {
      throw new LedgerError(
        `${display}: releases[${index}] has id ${release.id}, expected ${index + 1}; two edits of the ledger were merged ` +
          "(ids must count up from 1 in order)",
        [
          `git log -p -- ${display}  # renumber the merged entries in time order, commit, then re-run`,
        ],
      );
    }
  });
  return ledger;
}

/** The ledger of `stack` under `root`; an empty one when the stack has no ledger file yet. */
export function readLedger(stack: string, root: string): Ledger {
  const text = readIfExists(path.join(root, ledgerFile(stack)));
  return text === undefined ? { stack, releases: [] } : parseLedger(text, stack);
}

/** A release before it gets its id. */
export type NewRelease = Omit<Release, "id">;

/**
 * The ledger text with one more release at the end, numbered after the last one. Comments
 * and formatting of the existing text are kept; `text` undefined starts a new ledger.
 */
export function appendRelease(
  text: string | undefined,
  stack: string,
  release: NewRelease,
  display: string = ledgerFile(stack),
): { readonly text: string; readonly release: Release } {
  const ledger = text === undefined ? { stack, releases: [] } : parseLedger(text, stack, display);
  const numbered = ordered({ id: ledger.releases.length + 1, ...release });
  const document = mapDocument(
    text ?? `${ledgerHeader(stack)}stack: ${stack}\nreleases: []\n`,
    display,
    "stack and releases",
  );
  blockList(document, "releases").items.push(document.createNode(numbered));
  return { text: document.toString(YAML_OUTPUT), release: numbered };
}

/**
 * The ledger text with release `id` completed by the command that ran the update: `by`, and
 * the update's stack version and wall time (the program records a release before the engine
 * knows them). Everything else stays as it was.
 */
export function completeRelease(
  text: string,
  stack: string,
  id: number,
  fields: { readonly by: string; readonly version?: number; readonly seconds?: number },
  display: string = ledgerFile(stack),
): string {
  parseLedger(text, stack, display);
  const document = parseDocument(text);
  const releases = document.get("releases", true);
  const entry = isSeq(releases)
    ? releases.items.find((item) => isMap(item) && item.get("id") === id)
    : undefined;
  if (!isMap(entry)) {
    throw new LedgerError(`${display} has no release #${id}`);
  }
  entry.set("by", fields.by);
  const update = entry.get("update", true);
  if (isMap(update)) {
    if (fields.version !== undefined) {
      update.set("version", fields.version);
    }
    if (fields.seconds !== undefined) {
      update.set("seconds", fields.seconds);
    }
  }
  return document.toString(YAML_OUTPUT);
}

/**
 * The ledger text with `failures` added to its `failed` list (a digest already listed is not
 * added again); `text` undefined starts a new ledger.
 */
export function appendFailures(
  text: string | undefined,
  stack: string,
  failures: readonly FailedRelease[],
  display: string = ledgerFile(stack),
): string {
  const ledger = text === undefined ? { stack, releases: [] } : parseLedger(text, stack, display);
  const known = new Set((ledger.failed ?? []).map((entry) => entry.digest));
  const document = mapDocument(
    text ?? `${ledgerHeader(stack)}stack: ${stack}\nreleases: []\n`,
    display,
    "stack and releases",
  );
  const seq = blockList(document, "failed");
  for (const failure of failures.filter((entry) => !known.has(entry.digest))) {
    known.add(failure.digest);
    seq.items.push(
      document.createNode({
        digest: failure.digest,
        at: failure.at,
        by: failure.by,
        ...(failure.user === undefined ? {} : { user: failure.user }),
        reason: failure.reason,
      }),
    );
  }
  return document.toString(YAML_OUTPUT);
}

/** A release with its fields in the documented order and no undefined fields. */
function ordered(release: Release): Release {
  const pick = <T extends object>(value: T, keys: readonly (keyof T)[]): T =>
    Object.fromEntries(
      keys.filter((key) => value[key] !== undefined).map((key) => [key, value[key]]),
    ) as T;
  return {
    ...pick(release, ["id", "at", "kind", "by", "user", "source", "restores"]),
    images: Object.fromEntries(
      Object.entries(release.images).map(([name, image]) => [
        name,
        pick(image, ["ref", "digest", "tag", "revision"]),
      ]),
    ),
    update: pick(release.update, ["result", "version", "seconds"]),
  };
}
