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
import { networkEnsureLines, releaseCommandRun } from "./commands";
import { checkDefinition, serviceNames, type ServiceDefinition } from "./definition";
import { imageLines, loginLines } from "./container-lines";
import { payloadReader, redactFunction } from "./payload";
import { lock, scriptHeader, stateDir, toolsCheck } from "./prelude";
import { shellLines } from "./script-files";
import { assign, command, quote } from "./shell";

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

/** The whole release command script. Pure: the same request gives the same text. */
export function releaseCommandScript(request: ReleaseCommandRequest): string {
  const { def, release, ranIn } = request;
  checkDefinition(def);
  const { digest } = parseDigestReference(def.ref);
  const hex = digest.slice("sha256:".length);
  const title = `Slipway release command of ${def.service} on host ${def.host} (stack ${def.stack}): ${def.ref}`;
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
  const sections: string[][] = [
    header,
    [
      assign("digest", digest),
      assign("run", `${def.service}-release-${hex.slice(0, 12)}`),
      assign("ref", def.ref),
      assign("release_marker", `${RELEASE_MARKERS}/${hex}`),
      assign("shown", command(release.command)),
      assign("timeout_seconds", release.timeoutSeconds),
      assign("log_lines", RELEASE_LOG_LINES),
    ],
    ["docker_config="],
    redactFunction(),
    toolsCheck(),
    [...shellLines("release-command-check")],
    stateDir(def),
    payloadReader(),
    ['docker_config="$tmp"/docker'],
    lock(),
    [...shellLines("release-command-marker")],
    loginLines(def),
    imageLines(def, def.ref, "release"),
    networkEnsureLines(def.network, def.stack),
    [
      `release_command_run() { ${command(releaseCommandRun(def, release.command))}; }`,
      ...shellLines("release-command-run"),
    ],
  ];
  return `${sections
    .filter((section) => section.length > 0)
    .map((section) => section.join("\n"))
    .join("\n\n")}\n`;
}
