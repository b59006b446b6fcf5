import type { HostChange, ImageChange, ImageSide, PreviewSummary } from "./changes";

/** GitHub refuses an issue or pull-request comment longer than this many characters. */
export const GITHUB_COMMENT_LIMIT = 65536;

interface RenderOptions {
  /** Stack name for the title and the marker; defaults to the one in the preview's URNs. */
  readonly stack?: string;
  /** Web address of the repository, for commit links (e.g. `https://github.com/acme/web`). */
  readonly sourceUrl?: string;
  /** Where the whole preview can be read, linked from the truncation note. */
  readonly logUrl?: string;
  /** Longest Markdown to return; GitHub's comment limit by default. */
  readonly maxLength?: number;
}

/** The first line of every summary; the workflow finds its own comment by it. */
function summaryMarker(stack: string): string {
  return `<!-- slipway-preview-summary stack=${stack} -->`;
}

function code(text: string): string {
  return `\`${text}\``;
}

/** `sha256:` and the first 12 hex digits, as `docker images` shortens ids. */
export function shortDigest(digest: string): string {
  return digest.slice(0, "sha256:".length + 12);
}

function digestCell(image: ImageChange): string {
  const old = image.old?.digest === undefined ? undefined : code(shortDigest(image.old.digest));
  const next = (side: ImageSide | undefined) =>
    side?.pending === true
      ? "_built by `pulumi up`_"
      : side?.digest === undefined
        ? "_unknown_"
        : code(shortDigest(side.digest));
  switch (image.status) {
    case "changed":
    case "rebuilt":
      return `${old ?? "_unknown_"} → ${next(image.new)}`;
    case "added":
      return `_none_ → ${next(image.new)}`;
    case "removed":
      return `${old ?? "_unknown_"} → _removed_`;
    case "unchanged":
      return old ?? next(image.new);
    default: {
      const never: never = image.status;
      return never;
    }
  }
}

/** Commit links for a GitHub repository address, else none. */
function commitLinks(source: string | undefined): ((revision: string) => string) | undefined {
  if (source === undefined) {
    return undefined;
  }
  const base = source.replace(/\.git$/, "").replace(/\/+$/, "");
  return /^https:\/\/[^/\s]+\/[^/\s]+\/[^/\s]+$/.test(base)
    ? (revision) => `${base}/commit/${revision}`
    : undefined;
}

function revisionCell(image: ImageChange, link?: (revision: string) => string): string {
  const show = (revision: string) =>
    link === undefined
      ? code(revision.slice(0, 7))
      : `[${code(revision.slice(0, 7))}](${link(revision)})`;
  const old = image.old?.revision;
  const next = image.status === "removed" ? undefined : image.new?.revision;
  const same = (a: string, b: string) => a.startsWith(b) || b.startsWith(a);
  if (old !== undefined && next !== undefined && !same(old, next)) {
    const compare =
      link === undefined
        ? ""
        : ` ([compare](${link("").replace(/\/commit\/$/, "/compare/")}${old}...${next}))`;
    return `${show(old)} → ${show(next)}${compare}`;
  }
  if (next !== undefined || (old !== undefined && image.status === "unchanged")) {
    return show((next ?? old)!);
  }
  if (old !== undefined) {
    return image.status === "removed" ? show(old) : `${show(old)} → _unknown_`;
  }
  return "—";
}

function hostItem(host: HostChange): string {
  const notes = [
    ...(host.address === undefined ? [] : [host.address]),
    ...(host.status === "added" ? ["new"] : host.status === "removed" ? ["removed"] : []),
  ];
  return notes.length === 0 ? code(host.name) : `${code(host.name)} (${notes.join(", ")})`;
}

const COUNT_ORDER = ["create", "update", "replace", "delete"];

function countsLine(changeSummary: Readonly<Record<string, number>>): string | undefined {
  const entries = Object.entries(changeSummary).filter(([, n]) => n > 0);
  if (entries.length === 0) {
    return undefined;
  }
  const rank = (op: string) => {
    const index = COUNT_ORDER.indexOf(op);
    return op === "same" ? 99 : index < 0 ? 50 : index;
  };
  const parts = entries
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([op, n]) =>
      op === "same" ? `${n} unchanged` : COUNT_ORDER.includes(op) ? `${n} to ${op}` : `${n} ${op}`,
    );
  return `**Resources:** ${parts.join(", ")}`;
}

/** The summary as Markdown lines, before any truncation. */
function summaryLines(summary: PreviewSummary, options: RenderOptions = {}): string[] {
  const stack = options.stack ?? summary.stack ?? "stack";
  const link = commitLinks(options.sourceUrl ?? summary.source);
  const lines = [summaryMarker(stack), `### Slipway preview: ${code(stack)}`, ""];
  if (summary.errors > 0) {
    const errors = summary.errors === 1 ? "1 error" : `${summary.errors} errors`;
    lines.push("> [!WARNING]", `> The preview reported ${errors}; see the workflow log.`, "");
  }

  if (summary.rollbackPins !== undefined) {
    const pinned = summary.rollbackPins.map(
      (pin) =>
        `${code(pin.image)}${pin.restores === undefined ? "" : ` (release #${pin.restores})`}`,
    );
    lines.push(
      "> [!NOTE]",
      `> Pinned by a rollback: ${pinned.join(", ")} run${pinned.length === 1 ? "s" : ""} the pinned digest instead of a build, until a commit changes ${pinned.length === 1 ? "it" : "them"} or ${code(`slipway rollback --stack ${stack} --unpin`)}.`,
      "",
    );
  }

  const moving = summary.images.filter((image) => image.status !== "unchanged");
  const still = summary.images.filter((image) => image.status === "unchanged");
  if (moving.length > 0) {
    lines.push("| Image | Digest | Source revision |", "| --- | --- | --- |");
    for (const image of moving) {
      lines.push(`| ${code(image.name)} | ${digestCell(image)} | ${revisionCell(image, link)} |`);
    }
    lines.push("");
  } else {
    const redefined = summary.hosts.filter((host) => host.definitionOnly === true);
    lines.push(
      redefined.length === 0
        ? "No image changes."
        : `No image changes; the service definition (env, ports, health or proxy) changes on ${redefined.map((host) => code(host.name)).join(", ")}, so the release is redeployed with the same digest.`,
      "",
    );
  }
  if (still.length > 0) {
    lines.push(
      `Unchanged: ${still
        .map((image) =>
          image.old?.digest === undefined
            ? code(image.name)
            : `${code(image.name)} ${code(shortDigest(image.old.digest))}`,
        )
        .join(", ")}`,
      "",
    );
  }

  lines.push(
    summary.hosts.length === 0
      ? "**Hosts affected:** none"
      : `**Hosts affected (${summary.hosts.length}):** ${summary.hosts.map(hostItem).join(", ")}`,
    "",
  );
  const counts = countsLine(summary.changeSummary);
  if (counts !== undefined) {
    lines.push(counts, "");
  }

  const refs = moving.flatMap((image) => {
    const repository = image.new?.repository ?? image.old?.repository;
    return image.status === "removed" || image.new?.digest === undefined || repository === undefined
      ? []
      : [`- ${code(image.name)}: ${code(`${repository}@${image.new.digest}`)}`];
  });
  if (refs.length > 0) {
    lines.push("<details><summary>New image references</summary>", "", ...refs);
    lines.push("", "</details>");
  }
  while (lines[lines.length - 1] === "") {
    lines.pop();
  }
  return lines;
}

/**
 * The summary as Markdown for one pull-request comment. Past `maxLength` it is cut at a line
 * boundary, an open `<details>` is closed, and a note says so.
 */
export function renderSummary(summary: PreviewSummary, options: RenderOptions = {}): string {
  return fit(summaryLines(summary, options), options);
}

function fit(lines: readonly string[], options: RenderOptions): string {
  const max = options.maxLength ?? GITHUB_COMMENT_LIMIT;
  const full = `${lines.join("\n")}\n`;
  if (full.length <= max) {
    return full;
  }
  const where =
    options.logUrl === undefined ? "the workflow log" : `[the workflow log](${options.logUrl})`;
  const note =
    `\n> **Truncated:** the whole summary has ${full.length} characters and GitHub takes at most ` +
    `${max} in a comment; the full preview is in ${where}.\n`;
  const closing = "\n</details>\n";
  if (note.length + closing.length + 200 > max) {
    throw new RangeError(`maxLength ${max} leaves no room for a summary`);
  }
  const kept: string[] = [];
  let length = 0;
  let open = false;
  for (const line of lines) {
    const opens: boolean = line.startsWith("<details")
      ? true
      : line.startsWith("</details>")
        ? false
        : open;
    const size = length + line.length + 1;
    if (size + (opens ? closing.length : 0) + note.length > max) {
      break;
    }
    kept.push(line);
    length = size;
    open = opens;
  }
  while (kept[kept.length - 1] === "") {
    kept.pop();
  }
  return `${kept.join("\n")}\n${open ? closing : ""}${note}`;
}
