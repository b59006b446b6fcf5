/**
 * How a generated script reaches a host without being a command line: the command Pulumi
 * runs (and prints when it fails) is this short fixed bootstrap, and the script comes first
 * on stdin, ended by a marker line, followed by whatever the script itself reads there (the
 * payload of secrets). `read` takes stdin one byte at a time, so the rest is left intact
 * for the script.
 */
export const SCRIPT_END = "slipway-script-end";

/** The command text: copies stdin up to the marker into a private file and runs it. */
export const BOOTSTRAP_COMMAND =
  `set -eu; umask 077; f=$(mktemp); trap 'rm -f "$f"' EXIT; ` +
  `while IFS= read -r line; do if [ "$line" = ${SCRIPT_END} ]; then break; fi; ` +
  `printf '%s\\n' "$line"; done > "$f"; sh "$f"`;

/** Stdin for the bootstrap: the script, the marker, then the script's own input. */
export function bootstrapStdin(script: string, input = ""): string {
  const text = script.endsWith("\n") ? script : `${script}\n`;
  return `${text}${SCRIPT_END}\n${input}`;
}
