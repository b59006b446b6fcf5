import type { CheckedOn } from "../config/images";
import { shellLines } from "../deploy/script-files";
import { assign, quote } from "../deploy/shell";
import { MANIFEST_ACCEPT, DOCKER_MANIFEST_LIST, OCI_INDEX } from "./media-types";
import {
  SOURCE_LABEL,
  missingDigestMessage,
  normalizeSource,
  sourceLabelMessage,
} from "./repository";

/** Environment the check script reads the registry's `user:password` (base64) from. */
export const REPOSITORY_CHECK_AUTH_ENV = "SLIPWAY_REGISTRY_AUTH";

/** What one repository check verifies. */
interface RepositoryCheckScriptInput {
  /** Registry host and optional port. */
  readonly server: string;
  /** Repository path below the server, e.g. `acme/web`. */
  readonly path: string;
  /** Plain HTTP (loopback registries). */
  readonly insecure: boolean;
  /** A digest the repository must hold (the one this stack pushed or pins). */
  readonly digest?: string;
  /** The source URL the image's `org.opencontainers.image.source` must name. */
  readonly source?: string;
  /** The registry user, for messages only (the credentials come from the environment). */
  readonly username?: string;
}

/**
 * What a registry check of a pin with `checkedOn: hosts` runs instead: one line saying what
 * was not checked and why (`slipway rollback` found the registry unreachable and every host
 * still holding the digest). `what`: `repository check`, `signature verification`.
 */
export function checkedOnHostsScript(what: string, ref: string): string {
  return `echo ${quote(
    `slipway: ${what} of ${ref} skipped: the registry was unreachable when slipway rollback pinned it, and every host still had it (pin.checkedOn: hosts); the next promote or rollback checks the registry again`,
  )}
`;
}

/**
 * What a pin's `checkedOn` adds to the triggers of its check or verification (nothing when
 * unset): the check runs again, against the registry, once the pin is written anew.
 */
export function checkedOnTriggers(checkedOn: CheckedOn | undefined): string[] {
  return checkedOn === undefined ? [] : [`checked on ${checkedOn}`];
}

/**
 * The POSIX sh script that checks one repository on the machine running `pulumi up` (curl
 * and jq): it answers (its tag list, a 404 meaning "not pushed yet"), holds `digest`, and the
 * image config of `digest` (of its first platform for an index) carries the source label
 * naming `source`. It fails with the same reasons as the registry client. The registry's
 * `user:password` comes from `$SLIPWAY_REGISTRY_AUTH` (base64), never the text; it goes to
 * curl in a header file in a private directory, never on a command line.
 */
export function repositoryCheckScript(input: RepositoryCheckScriptInput): string {
  const where = `${input.server}/${input.path}`;
  const scheme = input.insecure ? "http" : "https";
  const lines = [
    "set -eu",
    "umask 077",
    'work="$(mktemp -d)"',
    `trap 'rm -rf "$work"' EXIT`,
    assign("server", input.server),
    assign("repo", input.path),
    assign("scheme", scheme),
    assign("base", `${scheme}://${input.server}/v2/${input.path}`),
    assign("accept", MANIFEST_ACCEPT),
    assign(
      "who",
      input.username === undefined ? "anonymous access" : `the credentials of ${input.username}`,
    ),
    ...shellLines("registry-check"),
  ];
  if (input.digest === undefined) {
    lines.push(`echo ${quote(`slipway: ${where} answers`)}`, "");
    return lines.join("\n");
  }
  const digest = input.digest;
  lines.push(
    assign("digest", digest),
    assign("missing", missingDigestMessage(where, digest)),
    ...shellLines("registry-check-digest"),
  );
  if (input.source === undefined) {
    lines.push(`echo ${quote(`slipway: ${where} answers and holds ${digest}`)}`, "");
    return lines.join("\n");
  }
  const message = sourceLabelMessage(where, digest, input.source);
  lines.push(
    assign("oci_index", OCI_INDEX),
    assign("docker_list", DOCKER_MANIFEST_LIST),
    assign("label_key", SOURCE_LABEL),
    assign("want", normalizeSource(input.source)),
    assign("label_before", message.before),
    assign("label_after", message.after),
    ...shellLines("registry-check-source"),
    `echo ${quote(`slipway: ${where} answers, holds ${digest}, and its ${SOURCE_LABEL} names ${input.source}`)}`,
    "",
  );
  return lines.join("\n");
}
