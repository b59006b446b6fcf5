/**
 * What Slipway reads from a stack preview, in one shape whatever the preview was written as:
 * the digest `pulumi preview --json` prints (`{config, steps, diagnostics, changeSummary}`),
 * or the engine events it streams with PULUMI_ENABLE_STREAMING_JSON_PREVIEW (one JSON object a
 * line; the same events the Automation API hands `onEvent`).
 */

/** A resource's state on one side of a step. */
interface ResourceState {
  readonly type: string;
  readonly urn: string;
  readonly parent?: string;
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly outputs: Readonly<Record<string, unknown>>;
}

/** One resource the preview reports, its steps merged (a replacement is one change). */
export interface ResourceChange {
  /** `create`, `update`, `replace`, `delete`, `same`, … as the engine names the step. */
  readonly op: string;
  readonly urn: string;
  readonly type: string;
  readonly old?: ResourceState;
  readonly new?: ResourceState;
}

export interface PreviewData {
  readonly changes: readonly ResourceChange[];
  /** Resource count per step kind, from the engine's summary. */
  readonly changeSummary: Readonly<Record<string, number>>;
  /** Stack config as the preview saw it; secrets read `[secret]`. */
  readonly config: Readonly<Record<string, string>>;
  /** Error diagnostics. */
  readonly errors: readonly string[];
}

/** The value the engine writes where a preview cannot know a value yet. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** The value the engine writes in place of a secret. */
export const SECRET = "[secret]";

/** Steps that replace one resource; merged into a single `replace` change. */
const REPLACE_STEPS = new Set([
  "replace",
  "create-replacement",
  "delete-replaced",
  "read-replacement",
  "import-replacement",
]);

export class PreviewFormatError extends Error {
  constructor(message: string) {
    super(`not a Pulumi preview: ${message}`);
    this.name = "PreviewFormatError";
  }
}

type Json = Record<string, unknown>;

function isMap(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function asMap(value: unknown): Json {
  return isMap(value) ? value : {};
}

function asString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** The type a URN names: the last `$`-separated part of its qualified type. */
export function urnType(urn: string): string {
  const qualified = urn.split("::")[2] ?? "";
  return qualified.split("$").pop() ?? "";
}

/** The name a URN ends with. */
export function urnName(urn: string): string {
  return urn.split("::").slice(3).join("::");
}

/** The stack a URN belongs to. */
export function urnStack(urn: string): string | undefined {
  return /^urn:pulumi:([^:]+)::/.exec(urn)?.[1];
}

function state(value: unknown): ResourceState | undefined {
  if (!isMap(value)) {
    return undefined;
  }
  const urn = asString(value.urn) ?? "";
  const parent = asString(value.parent);
  return {
    type: asString(value.type) ?? urnType(urn),
    urn,
    ...(parent === undefined || parent === "" ? {} : { parent }),
    inputs: asMap(value.inputs),
    outputs: asMap(value.outputs),
  };
}

/** Collects changes by URN, merging the several steps of a replacement. */
class Changes {
  readonly #byUrn = new Map<string, ResourceChange>();

  add(op: string, urn: string, type: string, old?: ResourceState, next?: ResourceState): void {
    const known = this.#byUrn.get(urn);
    const merged: ResourceChange = {
      op:
        REPLACE_STEPS.has(op) || (known !== undefined && REPLACE_STEPS.has(known.op))
          ? "replace"
          : op,
      urn,
      type,
      ...((known?.old ?? old) === undefined ? {} : { old: known?.old ?? old }),
      ...((next ?? known?.new) === undefined ? {} : { new: next ?? known?.new }),
    };
    this.#byUrn.set(urn, merged);
  }

  outputs(urn: string, outputs: Readonly<Record<string, unknown>>): void {
    const known = this.#byUrn.get(urn);
    if (known?.new !== undefined) {
      this.#byUrn.set(urn, { ...known, new: { ...known.new, outputs } });
    }
  }

  list(): ResourceChange[] {
    return [...this.#byUrn.values()];
  }
}

function counts(value: unknown): Record<string, number> {
  return Object.fromEntries(
    Object.entries(asMap(value)).filter(
      (entry): entry is [string, number] => typeof entry[1] === "number",
    ),
  );
}

function fromDigest(digest: Json): PreviewData {
  const changes = new Changes();
  for (const step of Array.isArray(digest.steps) ? digest.steps : []) {
    const s = asMap(step);
    const urn = asString(s.urn) ?? "";
    const old = state(s.oldState);
    const next = state(s.newState);
    changes.add(asString(s.op) ?? "same", urn, next?.type ?? old?.type ?? urnType(urn), old, next);
  }
  const errors = (Array.isArray(digest.diagnostics) ? digest.diagnostics : [])
    .map(asMap)
    .filter((d) => d.severity === "error")
    .map((d) => asString(d.message) ?? "");
  return {
    changes: changes.list(),
    changeSummary: counts(digest.changeSummary),
    config: Object.fromEntries(
      Object.entries(asMap(digest.config)).filter(
        (entry): entry is [string, string] => typeof entry[1] === "string",
      ),
    ),
    errors,
  };
}

function fromEvents(events: readonly Json[]): PreviewData {
  const changes = new Changes();
  let changeSummary: Record<string, number> = {};
  let config: Record<string, string> = {};
  const errors: string[] = [];
  for (const event of events) {
    if (isMap(event.resourcePreEvent)) {
      const m = asMap(event.resourcePreEvent.metadata);
      const urn = asString(m.urn) ?? "";
      changes.add(
        asString(m.op) ?? "same",
        urn,
        asString(m.type) ?? urnType(urn),
        state(m.old),
        state(m.new),
      );
    } else if (isMap(event.resOutputsEvent)) {
      const m = asMap(event.resOutputsEvent.metadata);
      const next = state(m.new);
      if (next !== undefined) {
        changes.outputs(asString(m.urn) ?? next.urn, next.outputs);
      }
    } else if (isMap(event.summaryEvent)) {
      changeSummary = counts(event.summaryEvent.resourceChanges);
    } else if (isMap(event.preludeEvent)) {
      config = Object.fromEntries(
        Object.entries(asMap(event.preludeEvent.config)).filter(
          (entry): entry is [string, string] => typeof entry[1] === "string",
        ),
      );
    } else if (isMap(event.diagnosticEvent) && event.diagnosticEvent.severity === "error") {
      errors.push(asString(event.diagnosticEvent.message) ?? "");
    }
  }
  return { changes: changes.list(), changeSummary, config, errors };
}

/**
 * Reads a preview: the `--json` digest, a JSON array of engine events, or engine events one
 * per line. Anything else is a PreviewFormatError.
 */
export function parsePreview(text: string): PreviewData {
  const trimmed = text.trim();
  if (trimmed === "") {
    throw new PreviewFormatError("the input is empty");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    const events: Json[] = [];
    trimmed.split("\n").forEach((line, index) => {
      if (line.trim() === "") {
        return;
      }
      try {
        events.push(asMap(JSON.parse(line)));
      } catch {
        throw new PreviewFormatError(`line ${index + 1} is not JSON`);
      }
    });
    return fromEvents(events);
  }
  if (Array.isArray(parsed)) {
    return fromEvents(parsed.map(asMap));
  }
  if (isMap(parsed) && ("steps" in parsed || "changeSummary" in parsed)) {
    return fromDigest(parsed);
  }
  if (isMap(parsed) && "sequence" in parsed) {
    return fromEvents([parsed]);
  }
  throw new PreviewFormatError("expected the output of `pulumi preview --json`");
}
