/**
 * Near-miss names: the known key a misspelt one most likely meant (`containerport` →
 * `containerPort`, `imgaes` → `images`, `slipwya` → `slipway`).
 */

/** Edits (insert, delete, substitute, swap two neighbours) between two strings. */
function distance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i += 1) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j += 1) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      }
      row.push(best);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}

/**
 * The candidate `input` most likely misspells, or undefined: the same name in other case, or
 * the closest one within a third of its length in edits (at least 1, at most 3); the first
 * declared wins a tie.
 */
export function nearest(input: string, candidates: readonly string[]): string | undefined {
  const folded = input.toLowerCase();
  let best: { readonly name: string; readonly edits: number } | undefined;
  for (const name of candidates) {
    const edits = distance(folded, name.toLowerCase());
    const allowed = Math.min(3, Math.max(1, Math.floor(name.length / 3)));
    if (edits <= allowed && (best === undefined || edits < best.edits)) {
      best = { name, edits };
    }
  }
  return best?.name;
}
