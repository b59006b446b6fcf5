import type { CheckedOn } from "../config/images";
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

/** The digest of the first runnable platform of an index (attestation manifests left out). */
const FIRST_PLATFORM_JQ =
  '[.manifests[]? | select((.digest | type) == "string")' +
  ' | select((.annotations["vnd.docker.reference.type"] // "") != "attestation-manifest")' +
  ' | select((.platform.os | type) == "string" and (.platform.architecture | type) == "string")' +
  ' | select(.platform.os != "unknown" and .platform.architecture != "unknown")] | first | .digest // empty';

/** `same` when the config's source label names `$want` (normalized), else the label as shown. */
const LABEL_VERDICT_JQ =
  '(.config.Labels // {})[$key] as $l | if ($l | type) != "string" then "unset"' +
  ' elif ($l | sub("/+$"; "") | sub("\\\\.git$"; "") | ascii_downcase) == $want then "same"' +
  " else ($l | tojson) end";

/** ` (CODE: message)` from a distribution API error body, or nothing. */
const ERROR_DETAIL_JQ = '.errors[0] // empty | " (\\(.code): \\(.message))"';

/** Functions every check uses: one request with the registry's challenge answered. */
const FUNCTIONS = [
  `fail() { printf 'slipway: %s\\n' "$1" >&2; exit 1; }`,
  "# send METHOD URL ACCEPT HEADERS: the status in $code, headers and body in $work",
  "send() {",
  '  : >"$work/body"',
  '  if [ "$1" = HEAD ]; then head=--head; else head=""; fi',
  `  code="$(curl -sS -L --max-time 30 \${head:+--head} -o "$work/body" -D "$work/headers" -w '%{http_code}' -H "Accept: $3" -H @"$4" "$2" 2>"$work/error")" ||`,
  `    fail "cannot reach registry $server ($scheme): $(sed 's/^curl: ([0-9]*) //' "$work/error")"`,
  "}",
  "# param NAME: a parameter of the registry's WWW-Authenticate challenge",
  "param() {",
  `  printf '%s\\n' "$challenge" | sed -n "s/.*[[:space:],]$1=\\"\\([^\\"]*\\)\\".*/\\1/p"`,
  "}",
  "# authenticate: answers the challenge of the last 401 (a bearer token, or basic auth)",
  "authenticate() {",
  `  challenge="$(tr -d '\\r' <"$work/headers" | sed -n 's/^[Ww][Ww][Ww]-[Aa][Uu][Tt][Hh][Ee][Nn][Tt][Ii][Cc][Aa][Tt][Ee]:[[:space:]]*//p' | tail -n 1)"`,
  '  case "$challenge" in',
  "    [Bb][Ee][Aa][Rr][Ee][Rr]*)",
  '      realm="$(param realm)"',
  '      [ -n "$realm" ] || fail "$server requires credentials for $repo; set slipway:registry.username and password"',
  '      scope="$(param scope)"',
  '      [ -n "$scope" ] || scope="repository:$repo:pull"',
  `      query="scope=$(jq -rn --arg v "$scope" '$v | @uri')"`,
  '      service="$(param service)"',
  `      [ -z "$service" ] || query="service=$(jq -rn --arg v "$service" '$v | @uri')&$query"`,
  `      case "$realm" in *\\?*) url="$realm&$query" ;; *) url="$realm?$query" ;; esac`,
  '      send GET "$url" application/json "$work/basic"',
  '      case "$code" in',
  "        401 | 403)",
  `          origin="$(printf '%s' "$realm" | sed 's|^\\([A-Za-z]*://[^/]*\\).*|\\1|')"`,
  '          fail "the token service of $server ($origin) refused $who: $code" ;;',
  "      esac",
  '      expect "the token request for $scope" 200',
  `      token="$(jq -r '(.token // .access_token // "") | strings' "$work/body" 2>/dev/null || true)"`,
  '      [ -n "$token" ] || fail "the token service of $server returned no token"',
  `      printf 'Authorization: Bearer %s\\n' "$token" >"$work/auth" ;;`,
  "    [Bb][Aa][Ss][Ii][Cc]*)",
  '      [ -s "$work/basic" ] || fail "$server requires credentials for $repo; set slipway:registry.username and password"',
  '      cp "$work/basic" "$work/auth" ;;',
  '    *) fail "$server requires credentials for $repo; set slipway:registry.username and password" ;;',
  "  esac",
  "}",
  "# request METHOD SUFFIX ACCEPT: send to the repository, authenticating once on a 401",
  "request() {",
  '  send "$1" "$base$2" "$3" "$work/auth"',
  '  if [ "$code" = 401 ] && [ ! -s "$work/auth" ]; then',
  "    authenticate",
  '    send "$1" "$base$2" "$3" "$work/auth"',
  "  fi",
  "}",
  "# expect WHAT STATUS...: fails unless the last status is one of STATUS",
  "expect() {",
  '  what="$1"',
  "  shift",
  '  for ok in "$@"; do',
  '    [ "$code" != "$ok" ] || return 0',
  "  done",
  `  detail="$(jq -r ${quote(ERROR_DETAIL_JQ)} "$work/body" 2>/dev/null || true)"`,
  '  case "$code" in',
  '    401 | 403) fail "$server refused $what: $code$detail; check slipway:registry.username and password" ;;',
  '    *) fail "$server answered $what with $code$detail" ;;',
  "  esac",
  "}",
  "# manifest DIGEST: the manifest into $work/manifest.json, its media type in $type; 1 when absent",
  "manifest() {",
  '  request GET "/manifests/$1" "$accept"',
  '  [ "$code" != 404 ] || return 1',
  '  expect "GET manifest $repo:$1" 200',
  `  computed="sha256:$(sha256sum "$work/body" | cut -d ' ' -f 1)"`,
  '  [ "$computed" = "$1" ] || fail "$server served a manifest for $repo@$1 whose content has digest $computed"',
  `  jq -e . "$work/body" >/dev/null 2>&1 || fail "$server served a manifest for $repo:$1 that is not JSON"`,
  '  mv "$work/body" "$work/manifest.json"',
  `  type="$(jq -r '.mediaType // empty | strings' "$work/manifest.json")"`,
  `  [ -n "$type" ] || type="$(tr -d '\\r' <"$work/headers" | sed -n 's/^[Cc]ontent-[Tt]ype:[[:space:]]*\\([^;[:space:]]*\\).*/\\1/p' | tail -n 1)"`,
  "}",
];

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
    ...FUNCTIONS,
    "for tool in curl jq; do",
    `  command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed; it checks the repository $server/$repo (apt-get install $tool)"`,
    "done",
    ': >"$work/auth"',
    ': >"$work/basic"',
    `if [ -n "\${${REPOSITORY_CHECK_AUTH_ENV}:-}" ]; then`,
    `  printf 'Authorization: Basic %s\\n' "$${REPOSITORY_CHECK_AUTH_ENV}" >"$work/basic"`,
    "fi",
    "request GET '/tags/list?n=1000' application/json",
    '[ "$code" = 404 ] || expect "GET tags of $repo" 200',
  ];
  if (input.digest === undefined) {
    lines.push(`echo ${quote(`slipway: ${where} answers`)}`, "");
    return lines.join("\n");
  }
  const digest = input.digest;
  lines.push(
    assign("digest", digest),
    'request HEAD "/manifests/$digest" "$accept"',
    `[ "$code" != 404 ] || fail ${quote(missingDigestMessage(where, digest))}`,
    'expect "HEAD manifest $repo@$digest" 200',
  );
  if (input.source === undefined) {
    lines.push(`echo ${quote(`slipway: ${where} answers and holds ${digest}`)}`, "");
    return lines.join("\n");
  }
  const message = sourceLabelMessage(where, digest, input.source);
  lines.push(
    "echo '{}' >\"$work/config.json\"",
    'if manifest "$digest"; then',
    '  case "$type" in',
    `    ${quote(OCI_INDEX)} | ${quote(DOCKER_MANIFEST_LIST)})`,
    `      child="$(jq -r ${quote(FIRST_PLATFORM_JQ)} "$work/manifest.json")"`,
    '      if [ -z "$child" ] || ! manifest "$child"; then echo "{}" >"$work/manifest.json"; fi ;;',
    "  esac",
    `  config="$(jq -r '.config.digest // empty | strings' "$work/manifest.json")"`,
    '  if [ -n "$config" ]; then',
    '    request GET "/blobs/$config" application/json',
    '    if [ "$code" != 404 ]; then',
    '      expect "GET config blob $repo@$config" 200',
    `      jq -e . "$work/body" >/dev/null 2>&1 || fail "$server served a config blob of $repo that is not JSON"`,
    '      mv "$work/body" "$work/config.json"',
    "    fi",
    "  fi",
    "fi",
    `label="$(jq -r --arg key ${quote(SOURCE_LABEL)} --arg want ${quote(normalizeSource(input.source))} ${quote(LABEL_VERDICT_JQ)} "$work/config.json")"`,
    `[ "$label" = same ] || fail ${quote(message.before)}"$label"${quote(message.after)}`,
    `echo ${quote(`slipway: ${where} answers, holds ${digest}, and its ${SOURCE_LABEL} names ${input.source}`)}`,
    "",
  );
  return lines.join("\n");
}
