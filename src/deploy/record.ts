/**
 * The release record on each host, `<stateRoot>/<service>/release.json`, written atomically by
 * the deploy script after a switch, read by `slipway status`:
 *
 *     {"service":"web",
 *      "current":{"image":"web","ref":"…@sha256:…","digest":"sha256:…","revision":"…","deployedAt":"…Z"},
 *      "previous":[ …the same shape, newest first, at most RECORD_HISTORY… ]}
 *
 * `revision` is null when the release's source revision is unknown. The script keeps the
 * entries one a line in `<state>/releases` (newest first) and builds release.json from it.
 */
import { parseDigestReference } from "../reference";
import { RECORD_HISTORY, type ServiceDefinition } from "./definition";
import { quote } from "./shell";

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

/** Shell lines that prepend this release to `<state>/releases` and rewrite release.json. */
export function recordLines(def: ServiceDefinition): string[] {
  const awk =
    'NR == 1 { printf "%s,\\"previous\\":[", $0; next } ' +
    `NR <= ${RECORD_HISTORY + 1} { printf "%s%s", (NR > 2 ? "," : ""), $0 } ` +
    'END { print "]}" }';
  return [
    `entry=${quote(entryPrefix(def))}`,
    "deployed_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)",
    "{",
    `  printf '%s,"deployedAt":"%s"}\\n' "$entry" "$deployed_at"`,
    `  if [ -f "$state"/releases ]; then head -n ${RECORD_HISTORY} "$state"/releases; fi`,
    '} > "$state"/releases.tmp',
    'mv -f "$state"/releases.tmp "$state"/releases',
    "{",
    `  printf '{"service":"%s","current":' ${quote(def.service)}`,
    `  awk ${quote(awk)} "$state"/releases`,
    '} > "$state"/release.json.tmp',
    'chmod 644 "$state"/release.json.tmp',
    'mv -f "$state"/release.json.tmp "$state"/release.json',
  ];
}

/** Parses release.json as the deploy script writes it; throws on any other shape. */
export function parseReleaseRecord(text: string): ReleaseRecord {
  const value = JSON.parse(text) as unknown;
  const fail = (why: string): never => {
    throw new Error(`not a Slipway release record: ${why}`);
  };
  if (typeof value !== "object" || value === null) {
    return fail("not an object");
  }
  const record = value as Record<string, unknown>;
  if (typeof record.service !== "string") {
    return fail("no service");
  }
  if (!Array.isArray(record.previous)) {
    return fail("no previous list");
  }
  return {
    service: record.service,
    current: parseEntry(record.current, fail),
    previous: record.previous.map((entry) => parseEntry(entry, fail)),
  };
}

function parseEntry(value: unknown, fail: (why: string) => never): ReleaseEntry {
  if (typeof value !== "object" || value === null) {
    return fail("an entry is not an object");
  }
  const entry = value as Record<string, unknown>;
  for (const field of ["image", "ref", "digest", "deployedAt"] as const) {
    if (typeof entry[field] !== "string") {
      return fail(`an entry has no ${field}`);
    }
  }
  if (entry.revision !== null && typeof entry.revision !== "string") {
    return fail("an entry's revision is neither a string nor null");
  }
  return {
    image: entry.image as string,
    ref: entry.ref as string,
    digest: entry.digest as string,
    revision: entry.revision,
    deployedAt: entry.deployedAt as string,
  };
}
