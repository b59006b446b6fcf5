/** Left-aligned columns separated by two spaces; trailing spaces trimmed. */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, column) =>
    Math.max(...all.map((row) => (row[column] ?? "").length)),
  );
  return all
    .map((row) =>
      headers
        .map((_, column) => (row[column] ?? "").padEnd(widths[column]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** `sha256:` and the first 12 hex digits: enough to tell digests apart in a table. */
export function shortDigest(digest: string): string {
  return digest.startsWith("sha256:") ? digest.slice(0, 19) : digest;
}
