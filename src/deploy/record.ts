/**
 * The release record on each host, `<stateRoot>/<service>/release.json`, written atomically by
 * the deploy script (prepared before the switch, renamed into place after it), read by `slipway status`:
 *
 *     {"service":"web","stack":"prod",
 *      "current":{"image":"web","ref":"…@sha256:…","digest":"sha256:…","revision":"…","deployedAt":"…Z"},
 *      "previous":[ …the same shape, newest first, at most RECORD_HISTORY… ]}
 *
 * `revision` is null when the release's source revision is unknown. The script keeps the
 * entries one a line in `<state>/releases` (newest first) and builds release.json from it.
 */
import { z } from "zod";
import { parseDigestReference } from "../reference";
import { RECORD_HISTORY, type ServiceDefinition } from "./definition";
import { shellLines } from "./script-files";
import { assign } from "./shell";

export interface ReleaseEntry {
  readonly image: string;
  readonly ref: string;
  readonly digest: string;
  readonly revision: string | null;
  /** UTC time of the switch, `YYYY-MM-DDTHH:MM:SSZ`, from the host's clock. */
  readonly deployedAt: string;
}

export interface ReleaseRecord {
  readonly service: string;
  readonly stack?: string | undefined;
  readonly current: ReleaseEntry;
  readonly previous: readonly ReleaseEntry[];
}

/** The JSON of this release's entry without its closing brace; the host adds `deployedAt`. */
export function entryPrefix(def: ServiceDefinition): string {
  const json = JSON.stringify({
    image: def.image,
    ref: def.ref,
    digest: parseDigestReference(def.ref).digest,
    revision: def.revision ?? null,
  });
  return json.slice(0, -1);
}

/** The values the record's shell parts read (sh/record-*.sh). */
function recordVars(def: Pick<ServiceDefinition, "service" | "stack">): string[] {
  return [
    assign("record_service", def.service),
    assign("record_stack", def.stack),
    assign("record_history", RECORD_HISTORY),
  ];
}

/**
 * Shell lines that prepare the new record in `"$tmp"` (`releases`, `release.json`, `current`,
 * `owner`) before the switch, so that nothing after the switch needs disk space: committing
 * is `commitRecordLines`, renames only (sh/record-prepare.sh, sh/record-json.sh).
 */
export function prepareRecordLines(def: ServiceDefinition): string[] {
  return [
    assign("entry", entryPrefix(def)),
    ...recordVars(def),
    ...shellLines("record-prepare"),
    ...shellLines("record-json"),
  ];
}

/** `"$tmp"/release.json` from the entries in `"$tmp"/releases` (sh/record-json.sh). */
export function releaseJsonLines(def: Pick<ServiceDefinition, "service" | "stack">): string[] {
  return [...recordVars(def), ...shellLines("record-json")];
}

/** Makes the prepared record the host's record: renames, which need no space (sh/record-commit.sh). */
export function commitRecordLines(): string[] {
  return [...shellLines("record-commit")];
}

const entrySchema = z.object({
  image: z.string(),
  ref: z.string(),
  digest: z.string(),
  revision: z.string().nullable(),
  deployedAt: z.string(),
});

/** The one schema of release.json: the deploy script writes it, `slipway status` reads it. */
export const releaseRecordSchema = z.object({
  service: z.string(),
  /** The stack that owns the service on the host; absent in records of Slipway 0.1. */
  stack: z.string().optional(),
  current: entrySchema,
  previous: z.array(entrySchema),
});

/** Parses release.json as the deploy script writes it; throws naming the first problem. */
export function parseReleaseRecord(text: string): ReleaseRecord {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error("not a Slipway release record: not JSON");
  }
  const result = releaseRecordSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new Error(
      `not a Slipway release record: ${issue.path.join(".") || "(top)"}: ${issue.message}`,
    );
  }
  return result.data;
}
