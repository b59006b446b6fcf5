/** Quotes a value for a POSIX shell; plain words stay as they are. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A command line as a person would type it. */
export function commandLine(words: readonly string[]): string {
  return words.map(shellQuote).join(" ");
}
