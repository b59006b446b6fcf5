/**
 * The release command of a service (a database migration, say): a one-off container of the
 * new image, with the service's env, secret env and network, on one host, after the image is
 * there and before any host switches to it (the deploy scripts of the service wait for this
 * one). POSIX sh, run like the deploy script (./bootstrap, the payload on stdin).
 *
 * Flow: lock (the service's) → already succeeded for this digest on this host
 * (`<state>/release-commands/<digest hex>`)? then nothing → image present or pulled → the
 * container runs, `timeout` bounding the wait → its last log lines (redacted) → removed →
 * exit 0: the marker is written; exit ≠ 0 or timeout: the script fails with those lines, so
 * the update stops before any host switched.
 */
import type { ReleaseCommandConfig } from "../config";
import { parseDigestReference } from "../reference";
import {
  containerLogs,
  containerRemove,
  containerWait,
  networkEnsureLines,
  quietly,
  releaseCommandRun,
} from "./commands";
import { checkDefinition, serviceNames, type ServiceDefinition } from "./definition";
import { imageLines, loginLines } from "./container-lines";
import { payloadReader, redactFunction } from "./payload";
import { lock, scriptHeader, stateDir, toolsCheck } from "./prelude";
import { assign, command, quote, v } from "./shell";

/** Log lines of a release command shown when it fails. */
export const RELEASE_LOG_LINES = 20;

/** Where a host records the digests whose release command succeeded, under the service's state. */
export const RELEASE_MARKERS = "release-commands";

/** What a release command script runs, for one service's new digest. */
export interface ReleaseCommandRequest {
  /** The service's definition on the host that runs the command (its first host). */
  readonly def: ServiceDefinition;
  readonly release: ReleaseCommandConfig;
  /**
   * The ledger's release of this stack that already ran this digest (its command succeeded
   * then, or the update would not have been recorded); the script then runs nothing.
   */
  readonly ranIn?: number;
}

/** The failure and its last lines, on stderr: what the update's error shows. */
function failWithLogs(message: string): string[] {
  return [
    'if [ -n "$logs" ]; then',
    `  printf '%s\\n' "last ${RELEASE_LOG_LINES} lines of the release command:" >&2`,
    `  printf '%s\\n' "$logs" | sed 's/^/  | /' >&2`,
    "fi",
    `fail ${message}`,
  ];
}

/** The whole release command script. Pure: the same request gives the same text. */
export function releaseCommandScript(request: ReleaseCommandRequest): string {
  const { def, release, ranIn } = request;
  checkDefinition(def);
  const { digest } = parseDigestReference(def.ref);
  const hex = digest.slice("sha256:".length);
  const title = `Slipway release command of ${def.service} on host ${def.host} (stack ${def.stack}): ${def.ref}`;
  const shown = command(release.command);
  const header = scriptHeader(title, def.host, [
    ["stack", def.stack],
    ["service", def.service],
    ["state", serviceNames(def).stateDir],
  ]);
  if (ranIn !== undefined) {
    return `${[
      ...header,
      `say ${quote(`release command of ${def.service}: ${digest} is in release #${ranIn} of stack ${def.stack}, which ran it then; not run again`)}`,
    ].join("\n")}\n`;
  }
  const nothing = "nothing switched on any host";
  const sections: string[][] = [
    header,
    [assign("digest", digest), assign("run", `${def.service}-release-${hex.slice(0, 12)}`)],
    ["docker_config="],
    redactFunction(),
    toolsCheck(),
    [
      "command -v timeout >/dev/null 2>&1 ||",
      '  fail "timeout is not installed; a release command needs it on the host (coreutils)"',
    ],
    stateDir(def),
    payloadReader(),
    ['docker_config="$tmp"/docker'],
    lock(),
    [
      `marker="$state"/${RELEASE_MARKERS}/${hex}`,
      'if [ -s "$marker" ]; then',
      `  say "the release command of $digest succeeded on this host before ($(cat "$marker")); not run again"`,
      "  exit 0",
      "fi",
    ],
    loginLines(def),
    imageLines(def, def.ref, "release"),
    networkEnsureLines(def.network, def.stack),
    [
      quietly(containerRemove(v("run"))),
      `say ${quote(`running the release command of ${def.service}: ${shown}`)}`,
      "started=$(date +%s)",
      `if ! out=$(${command(releaseCommandRun(def, release.command))} 2>&1); then`,
      `  ${quietly(containerRemove(v("run")))}`,
      `  fail "cannot start the release command: $(last_line "$out" | redact); ${nothing}"`,
      "fi",
      "waited=0",
      `code=$(timeout ${release.timeoutSeconds} ${command(containerWait(v("run")))} 2>&1) || waited=$?`,
      "elapsed=$(( $(date +%s) - started ))",
      `logs=$(${command(containerLogs(v("run"), RELEASE_LOG_LINES))} 2>&1 | redact || true)`,
      quietly(containerRemove(v("run"))),
      'if [ "$waited" = 124 ]; then',
      ...failWithLogs(
        `"the release command of $digest did not finish within ${release.timeoutSeconds} s (timeoutSeconds) and was removed; ${nothing}"`,
      ).map((line) => `  ${line}`),
      "fi",
      'if [ "$waited" != 0 ]; then',
      ...failWithLogs(
        `"cannot wait for the release command: $(last_line "$code" | redact); ${nothing}"`,
      ).map((line) => `  ${line}`),
      "fi",
      'if [ "$code" != 0 ]; then',
      ...failWithLogs(
        `"the release command of $digest exited with code $code after $elapsed s; ${nothing}"`,
      ).map((line) => `  ${line}`),
      "fi",
      `if ! (umask 022 && mkdir -p "$state"/${RELEASE_MARKERS} && printf '%s %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" ${quote(def.ref)} > "$marker".tmp && mv -f "$marker".tmp "$marker"); then`,
      `  fail "the release command of $digest succeeded, but cannot record it under $state (disk full?)"`,
      "fi",
      'last=$(last_line "$logs")',
      'say "the release command of $digest succeeded in $elapsed s${last:+; its last line: $last}"',
    ],
  ];
  return `${sections
    .filter((section) => section.length > 0)
    .map((section) => section.join("\n"))
    .join("\n\n")}\n`;
}
