import { quote } from "../deploy/shell";

/** Quotes a value for a POSIX shell (the one quoter, src/deploy/shell); plain words stay as they are. */
export function shellQuote(value: string): string {
  return quote(value);
}

/** A command line as a person would type it. */
export function commandLine(words: readonly string[]): string {
  return words.map(shellQuote).join(" ");
}
