/**
 * The deploy script for one service on one host: POSIX sh text, built here and run by
 * `remote.Command` (over SSH) or `local.Command`, with the payload (./payload) on stdin.
 *
 * Flow: lock → images present or pulled (login only when a pull is needed) → network and
 * proxy → the release container (reused when an earlier run started it, restarted when it is
 * a kept release, else created) → health through the proxy's network, until the timeout →
 * switch the proxy's upstream atomically and verify through the proxy → release record →
 * drain and stop the previous release → keep `keepReleases` stopped releases, remove older.
 * Any failure before the switch leaves the previous release serving; a failed check after it
 * puts the previous upstream back.
 */
import {
  containerInspect,
  healthUrl,
  httpGet,
  imageInspect,
  networkCreate,
  networkInspect,
  proxiedHealthUrl,
  proxyInspect,
  proxyRun,
  proxySpec,
  pull,
  releaseList,
  releaseRun,
  stateInspect,
  usesLogin,
} from "./commands";
import {
  checkDefinition,
  containerSpecHash,
  DRAIN_SECONDS,
  releasePrefix,
  serviceNames,
  type ServiceDefinition,
  type ServiceNames,
} from "./definition";
import { payloadReader, redactFunction, registryLoginCommand } from "./payload";
import { header, lock, stateDir, toolsCheck } from "./prelude";
import { recordLines } from "./record";
import { parseDigestReference } from "../reference";
import { assign, command, quote, ShellExpr, v } from "./shell";

const SHORT_SLEEP = "sleep 0.5 2>/dev/null || sleep 1";

function indent(lines: readonly string[], by = "  "): string[] {
  return lines.map((line) => (line === "" ? line : `${by}${line}`));
}

/** The registry login function, when the definition has credentials. */
function loginLines(def: ServiceDefinition): string[] {
  if (def.registryLogin === undefined) {
    return [];
  }
  const { server, username } = def.registryLogin;
  const who = `${username}@${server}`;
  return [
    "logged_in=",
    "registry_login() {",
    '  if [ -n "$logged_in" ]; then return 0; fi',
    '  if [ -z "$registry_password" ]; then',
    `    fail ${quote(`no registry password for ${who} came with the payload`)}`,
    "  fi",
    `  if ! out=$(${registryLoginCommand(server, username)} 2>&1); then`,
    `    fail "docker login as ${who} failed: $(last_line "$out" | redact)"`,
    "  fi",
    "  logged_in=1",
    "}",
  ];
}

/** Present on the host, or pulled by digest. */
function imageLines(def: ServiceDefinition, ref: string, what: string): string[] {
  return [
    `if ${command(imageInspect(ref))} >/dev/null 2>&1; then`,
    `  say ${quote(`${what} ${ref} is on the host, no pull`)}`,
    "else",
    ...(usesLogin(def, ref) ? ["  registry_login"] : []),
    `  say ${quote(`pulling ${what} ${ref}`)}`,
    `  if ! out=$(${command(pull(def, ref))} 2>&1); then`,
    `    fail "cannot pull ${what} ${ref}: $(last_line "$out")"`,
    "  fi",
    "fi",
  ];
}

function proxyLines(def: ServiceDefinition, names: ServiceNames): string[] {
  return [
    `if ! ${command(networkInspect(names))} >/dev/null 2>&1; then`,
    `  ${command(networkCreate(def, names))} >/dev/null`,
    "fi",
    'if [ ! -f "$state"/proxy/upstream ]; then (umask 022 && : > "$state"/proxy/upstream); fi',
    assign("proxy_spec", proxySpec(def)),
    `proxy_now=$(${command(proxyInspect(names))} 2>/dev/null || true)`,
    'if [ "$proxy_now" != "true $proxy_spec" ]; then',
    '  if [ -n "$proxy_now" ]; then',
    `    say "replacing the proxy ${names.proxy} (running, port and image were: $proxy_now)"`,
    `    docker rm --force ${quote(names.proxy)} >/dev/null`,
    "  fi",
    `  say ${quote(`starting the proxy ${names.proxy} on port ${def.publishedPort}`)}`,
    `  if ! out=$(${command(proxyRun(def, names))} 2>&1); then`,
    `    docker rm --force ${quote(names.proxy)} >/dev/null 2>&1 || true`,
    "    case $out in",
    '      *"port is already allocated"* | *"address already in use"*)',
    `        fail ${quote(
      `port ${def.publishedPort} is already in use on this host by another container or process;` +
        ` free it or choose another service.publishedPort`,
    )} ;;`,
    "    esac",
    `    fail "cannot start the proxy ${names.proxy}: $(last_line "$out")"`,
    "  fi",
    "fi",
  ];
}

/** `$name`: `<service>-<digest12>-<hash8>`, the hash over spec, host salt and secret env. */
function nameLines(def: ServiceDefinition): string[] {
  return [
    'if [ ! -s "$state"/salt ]; then',
    "  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n' > \"$state\"/salt.tmp",
    '  mv -f "$state"/salt.tmp "$state"/salt',
    "fi",
    `suffix=$({ printf '%s\\n' ${containerSpecHash(def)}; cat "$state"/salt "$tmp"/secret.env; } | sha256sum | cut -c1-8)`,
    'if [ -z "$suffix" ]; then fail "cannot compute the release container name (sha256sum failed)"; fi',
    `name=${quote(releasePrefix(def))}"$suffix"`,
    "current=",
    'if [ -f "$state"/current ]; then current=$(cat "$state"/current); fi',
    "current_digest=",
    'if [ -n "$current" ]; then',
    `  current_digest=$(docker container inspect --format '{{index .Config.Labels "slipway.digest"}}' "$current" 2>/dev/null || true)`,
    "fi",
  ];
}

function functionLines(def: ServiceDefinition, names: ServiceNames): string[] {
  return [
    // one_line: service output (an answer, an error) as one redacted line for a message.
    "one_line() { redact | tr '\\n\\r\\t' '   ' | sed 's/  *$//' | cut -c1-300; }",
    `status_of() { ${command(containerInspect("{{.State.Status}}", ShellExpr.positional(1)))} 2>/dev/null || echo missing; }`,
    // health_probe: one request to the release's health path, by container name on the
    // service network (as the proxy will connect); $answer gets the body or wget's error.
    `health_probe() { answer=$(${command(httpGet(names, healthUrl(def)))} 2>&1); }`,
    "wait_healthy() {",
    `  deadline=$(( $(date +%s) + ${def.healthTimeoutSeconds} ))`,
    '  answer="no answer yet"',
    "  while :; do",
    `    run_state=$(${command(stateInspect(v("name")))} 2>/dev/null || echo 'missing 0 0')`,
    "    case $run_state in",
    '      "running "*" 0") ;;',
    '      *) answer="the container stopped (status, exit code, restarts: $run_state)"; return 1 ;;',
    "    esac",
    "    if health_probe; then return 0; fi",
    '    if [ "$(date +%s)" -ge "$deadline" ]; then return 1; fi',
    `    ${SHORT_SLEEP}`,
    "  done",
    "}",
    // verify_proxy: the health path through the proxy, as clients on the published port see it.
    "verify_proxy() {",
    "  tries=0",
    '  while [ "$tries" -lt 5 ]; do',
    `    if answer=$(${command(httpGet(names, proxiedHealthUrl(def)))} 2>&1); then return 0; fi`,
    "    tries=$((tries + 1))",
    `    ${SHORT_SLEEP}`,
    "  done",
    "  return 1",
    "}",
    // set_upstream UPSTREAM: atomically point the proxy at `<container> <port>` (or nothing).
    "set_upstream() {",
    `  printf '%s\\n' "$1" > "$state"/proxy/upstream.tmp`,
    '  chmod 644 "$state"/proxy/upstream.tmp',
    '  mv -f "$state"/proxy/upstream.tmp "$state"/proxy/upstream',
    "}",
  ];
}

function startLines(def: ServiceDefinition, names: ServiceNames): string[] {
  return [
    'if [ "$name" = "$current" ] && [ "$(status_of "$name")" = running ]; then',
    "  mode=current",
    '  say "release $digest is already serving as $name; checking it"',
    "else",
    "  mode=new",
    '  case $(status_of "$name") in',
    "    running)",
    '      say "reusing $name, started by an earlier run of this deploy" ;;',
    "    exited | created)",
    '      say "starting the kept release container $name again"',
    '      if ! out=$(docker start "$name" 2>&1); then',
    '        docker rm --force "$name" >/dev/null 2>&1 || true',
    '        fail "cannot start $name: $(last_line "$out")"',
    "      fi ;;",
    "    *)",
    '      docker rm --force "$name" >/dev/null 2>&1 || true',
    '      say "starting $name"',
    `      if ! out=$(${command(releaseRun(def, names))} 2>&1); then`,
    '        docker rm --force "$name" >/dev/null 2>&1 || true',
    '        fail "cannot start release $digest as $name: $(last_line "$out" | redact)"',
    "      fi ;;",
    "  esac",
    "fi",
    'rm -f "$tmp"/secret.env',
  ];
}

function healthLines(def: ServiceDefinition): string[] {
  return [
    "started_at=$(date +%s)",
    "if ! wait_healthy; then",
    '  logs=$(docker logs --tail 20 "$name" 2>&1 | redact || true)',
    '  if [ -n "$logs" ]; then',
    `    printf '%s\\n' "last 20 log lines of $name:" >&2`,
    `    printf '%s\\n' "$logs" | sed 's/^/  | /' >&2`,
    "  fi",
    "  answer=$(printf '%s\\n' \"$answer\" | one_line)",
    '  if [ "$mode" = current ]; then',
    `    fail "release $digest is serving as $name but its health check fails; left as it is; last health response: $answer"`,
    "  fi",
    '  docker rm --force "$name" >/dev/null 2>&1 || true',
    '  if [ -n "$current_digest" ]; then kept="release $current_digest keeps serving"; else kept="nothing was serving before"; fi',
    `  fail "release $digest did not become healthy within ${def.healthTimeoutSeconds} s, removed it, $kept; last health response: $answer"`,
    "fi",
    'say "release $digest is healthy after $(( $(date +%s) - started_at )) s"',
  ];
}

function switchLines(def: ServiceDefinition, names: ServiceNames): string[] {
  return [
    `upstream="$name ${def.containerPort}"`,
    'old_upstream=$(cat "$state"/proxy/upstream)',
    'if [ "$old_upstream" != "$upstream" ]; then',
    '  set_upstream "$upstream"',
    `  say "switched ${names.proxy} to $name ($upstream)"`,
    "fi",
    "if ! verify_proxy; then",
    '  set_upstream "$old_upstream"',
    "  answer=$(printf '%s\\n' \"$answer\" | one_line)",
    '  if [ "$mode" = new ]; then docker rm --force "$name" >/dev/null 2>&1 || true; fi',
    `  fail "release $digest is healthy but requests through ${names.proxy} fail; switched back; last response: $answer"`,
    "fi",
    'if [ "$mode" = new ]; then',
    `  printf '%s\\n' "$name" > "$state"/current.tmp`,
    '  mv -f "$state"/current.tmp "$state"/current',
    ...indent(recordLines(def)),
    '  if [ -n "$current" ] && [ "$current" != "$name" ]; then',
    `    sleep ${DRAIN_SECONDS}`,
    '    docker stop "$current" >/dev/null 2>&1 || true',
    '    say "stopped the previous release $current (kept for rollback)"',
    "  fi",
    '  say "release $digest is serving on port ' + `${def.publishedPort} as $name"`,
    "else",
    '  say "release $digest is serving on port ' + `${def.publishedPort}; nothing to change"`,
    "fi",
  ];
}

function pruneLines(def: ServiceDefinition): string[] {
  return [
    `${command(releaseList(def))} > "$tmp"/containers`,
    "kept=0",
    "while IFS= read -r old; do",
    '  if [ "$old" = "$name" ]; then continue; fi',
    `  if [ "$kept" -lt ${def.keepReleases} ]; then`,
    "    kept=$((kept + 1))",
    '    if [ "$(status_of "$old")" = running ]; then docker stop "$old" >/dev/null 2>&1 || true; fi',
    "  else",
    '    docker rm --force "$old" >/dev/null 2>&1 || true',
    '    say "removed the old release container $old"',
    "  fi",
    'done < "$tmp"/containers',
  ];
}

/** The whole deploy script for `def`. Pure: the same definition gives the same text. */
export function deployScript(def: ServiceDefinition): string {
  checkDefinition(def);
  const names = serviceNames(def);
  const { digest } = parseDigestReference(def.ref);
  const title =
    `Slipway deploy of ${def.service} to host ${def.host} (stack ${def.stack}): ${def.ref}` +
    (def.revision === undefined ? "" : ` (revision ${def.revision})`);
  const sections: string[][] = [
    header(title, def),
    [assign("digest", digest), "docker_config="],
    redactFunction(),
    toolsCheck(),
    stateDir(def),
    payloadReader(),
    ['docker_config="$tmp"/docker'],
    lock(def),
    // Private dirs of earlier runs that were killed (SIGKILL skips the cleanup); we hold the lock.
    [`find "$state" -maxdepth 1 -name 'tmp.*' ! -path "$tmp" -exec rm -rf {} +`],
    loginLines(def),
    imageLines(def, def.ref, "release"),
    imageLines(def, def.proxyRef, "proxy image"),
    proxyLines(def, names),
    nameLines(def),
    functionLines(def, names),
    startLines(def, names),
    healthLines(def),
    switchLines(def, names),
    pruneLines(def),
  ];
  return `${sections
    .filter((section) => section.length > 0)
    .map((section) => section.join("\n"))
    .join("\n\n")}\n`;
}
