/**
 * The deploy script for one service on one host: POSIX sh text, built here and run by
 * `remote.Command` (over SSH) or `local.Command`, fed with the script and the payload
 * (./payload) on stdin (see ./bootstrap), so its text is never in a command line.
 *
 * Flow: lock → owner check (one stack owns a service on a host) → the host's edge proxy is
 * running → image present or pulled (login only when a pull is needed) → the release
 * container on the edge network (reused when an earlier run started it, restarted when it
 * is a kept release, else created) → health by name from inside the edge, until the timeout
 * → the new route lines, upstream and record prepared in a private directory → routes
 * loaded into the edge when they changed (admin API; refused: nothing switched) → the
 * switch: one rename of the service's upstream file, which the edge reads per request (no
 * reload, no connection closed) → verify through the edge → the record renamed into place →
 * the previous release (kept for rollback) drains and stops in the background, holding
 * `retire.lock`, which the next deploy or stop waits for → keep `keepReleases`.
 * Before the switch a failure leaves the previous release serving and the record as it was;
 * after it only renames happen, and a failed verification renames the previous upstream
 * back, so the record always names what serves.
 */
import type { RouteConfig } from "../config";
import { routeFileText, routeLines } from "../edge";
import { parseDigestReference } from "../reference";
import {
  containerRemove,
  networkEnsureLines,
  quietly,
  containerInspect,
  healthUrl,
  releaseList,
  releaseRun,
} from "./commands";
import {
  checkDefinition,
  configPathOf,
  containerSpecHash,
  releasePrefix,
  routeInstancesOf,
  serviceNames,
  type ServiceDefinition,
  type ServiceNames,
} from "./definition";
import { edgeFunctions, edgeGet, edgeLocalUrl } from "./edge-commands";
import { payloadReader, redactFunction } from "./payload";
import {
  containerHealthProbe,
  cpuLimitLines,
  imageLines,
  loginLines,
  showLogsFunction,
  statusOfFunction,
  waitHealthyFunction,
} from "./container-lines";
import {
  awaitRetire,
  header,
  lock,
  retireFunction,
  stateDir,
  toolsCheck,
  warmFunctions,
} from "./prelude";
import { commitRecordLines, prepareRecordLines } from "./record";
import { superviseLines } from "./supervisor";
import { assign, command, quote, v } from "./shell";

const SHORT_SLEEP = "sleep 0.5 2>/dev/null || sleep 1";

function indent(lines: readonly string[], by = "  "): string[] {
  return lines.map((line) => (line === "" ? line : `${by}${line}`));
}

/** One stack owns a service on a host: another stack's deploy is refused, naming it. */
function ownerLines(def: ServiceDefinition): string[] {
  return [
    'owner=$(cat "$state"/owner 2>/dev/null || true)',
    'if [ -z "$owner" ]; then',
    `  owner=$(${command([
      "docker",
      "ps",
      "--all",
      "--filter",
      `label=slipway.service=${def.service}`,
      "--format",
      '{{.Label "slipway.stack"}}',
    ])} 2>/dev/null | grep -v '^$' | head -n 1 || true)`,
    "fi",
    'if [ -n "$owner" ] && [ "$owner" != "$stack" ]; then',
    `  fail "service $service on this host belongs to stack $owner; deploy it from that stack, destroy it there first, or give this stack's service another name (${renameHint(def)})"`,
    "fi",
  ];
}

/** How a service gets another name: the key under `slipway:services`, or `slipway:service.name`. */
function renameHint(def: ServiceDefinition): string {
  const where = configPathOf(def);
  return where === "slipway:service" ? "slipway:service.name" : `rename the key ${where}`;
}

/** The edge must run for a routed service; the stack that manages it starts it. */
function edgeLines(names: ServiceNames): string[] {
  const edge = names.edge.container;
  return [
    `edge_running=$(${command(containerInspect("{{.State.Running}}", edge))} 2>/dev/null || true)`,
    'if [ "$edge_running" != true ]; then',
    `  fail ${quote(
      `the edge proxy ${edge} is not running on this host; deploy the stack that manages it` +
        ` (the one with slipway:edge.image) first, or set slipway:edge.image in this stack`,
    )}`,
    "fi",
    "edge_error=",
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

/** The route the deploy verifies through: the first whose path covers the health path. */
export function verifyRoute(def: ServiceDefinition): RouteConfig | undefined {
  return def.routes.find(
    (route) =>
      route.path === undefined ||
      def.healthPath === route.path ||
      def.healthPath.startsWith(`${route.path}/`),
  );
}

/** The Host header of the verification: the route's host (a name under a wildcard). */
export function verifyHost(def: ServiceDefinition, route: RouteConfig): string {
  if (route.host === undefined) {
    return `${def.service}.slipway.invalid`;
  }
  return route.host.startsWith("*.") ? `slipway-verify${route.host.slice(1)}` : route.host;
}

function functionLines(def: ServiceDefinition, names: ServiceNames): string[] {
  const routed = def.routes.length > 0;
  const route = verifyRoute(def);
  return [
    // one_line: service output (an answer, an error) as one redacted line for a message;
    // never an empty reason at the end of one.
    "one_line() { line=$(redact | tr '\\n\\r\\t' '   ' | sed 's/  *$//' | cut -c1-300); printf '%s\\n' \"${line:-no answer (empty response)}\"; }",
    statusOfFunction(),
    ...showLogsFunction(),
    ...(routed
      ? [
          // health_probe: one request to the release's health path, by container name on the
          // edge network, from inside the edge (as the edge will connect); $answer gets the
          // body or wget's error.
          `health_probe() { answer=$(${command(edgeGet(names.edge, healthUrl(def)))} 2>&1); }`,
        ]
      : // A worker: its health command, else Docker's HEALTHCHECK, else running.
        containerHealthProbe("name", def.healthCommand)),
    ...waitHealthyFunction("name", def.healthTimeoutSeconds, 0.5),
    // verify_edge: the health path through the edge's own listener and route, as clients get it.
    "verify_edge() {",
    ...(routeInstancesOf(def).length === 0
      ? [
          // A later replica: the first one installs the routes (after every later one is up)
          // and verifies them; this one was checked by name from inside the edge.
          '  answer="a later replica: the first replica verifies the routes through the edge"',
          "  return 0",
        ]
      : route === undefined
        ? [
            '  answer="no route covers the health path; not verified through the edge"',
            "  return 0",
          ]
        : [
            "  tries=0",
            '  while [ "$tries" -lt 5 ]; do',
            `    if answer=$(${command(edgeGet(names.edge, edgeLocalUrl(def.healthPath), verifyHost(def, route)))} 2>&1); then return 0; fi`,
            "    tries=$((tries + 1))",
            `    ${SHORT_SLEEP}`,
            "  done",
            "  return 1",
          ]),
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
    `        ${quietly(containerRemove(v("name")))}`,
    '        fail "cannot start $name: $(last_line "$out")"',
    "      fi ;;",
    "    *)",
    `      ${quietly(containerRemove(v("name")))}`,
    '      say "starting $name"',
    `      if ! out=$(${command(releaseRun(def, names))} 2>&1); then`,
    `        ${quietly(containerRemove(v("name")))}`,
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
    '  show_logs "$name"',
    "  answer=$(printf '%s\\n' \"$answer\" | one_line)",
    '  if [ "$mode" = current ]; then',
    `    fail "release $digest is serving as $name but its health check fails; left as it is; last health response: $answer"`,
    "  fi",
    `  ${quietly(containerRemove(v("name")))}`,
    '  if [ -n "$current_digest" ]; then kept="release $current_digest keeps serving"; else kept="nothing was serving before"; fi',
    `  fail "release $digest did not become healthy within ${def.healthTimeoutSeconds} s, removed it, $kept; last health response: $answer"`,
    "fi",
    'say "release $digest is healthy after $(( $(date +%s) - started_at )) s"',
  ];
}

/** Upstream and record, written to `"$tmp"` (beside the route lines) before anything switches. */
function prepareLines(def: ServiceDefinition): string[] {
  return [
    `if ! printf '%s\\n' "$name:${def.containerPort}" > "$tmp"/upstream 2>/dev/null; then`,
    '  if [ "$mode" = new ]; then docker rm --force "$name" >/dev/null 2>&1 || true; fi',
    '  fail "cannot write the new route and record under $state (disk full?); nothing was switched, the previous release keeps serving"',
    "fi",
    'chmod 644 "$tmp"/upstream',
    // A release already serving is recorded already: the record changes only with a switch.
    "prepare_record() {",
    ...indent(prepareRecordLines(def)),
    "}",
    'if [ "$mode" = new ] && ! prepare_record 2>"$tmp"/record.err; then',
    `  ${quietly(containerRemove(v("name")))}`,
    '  fail "cannot write the new release record under $state (disk full?): $(last_line "$(cat "$tmp"/record.err 2>/dev/null)"); nothing was switched, the previous release keeps serving"',
    "fi",
  ];
}

/**
 * A route clash: a match key of ours that a service of another stack has in its route file
 * (a service of this stack may hand its routes over: a renamed service's old and new name
 * both serve until the old one is deleted). Prints `<key> <service>` of the first one.
 */
function clashLines(def: ServiceDefinition): string[] {
  return [
    "route_clash() {",
    '  for f in "$edge"/routes/*; do',
    "    other=${f##*/}",
    // A service of this same stack may hand its routes over (a renamed service).
    '    if [ -f "$f" ] && [ "$other" != "$service" ] && [ "$(cat "${state%/*}/$other/owner" 2>/dev/null)" != "$stack" ]; then',
    '      awk -v who="$other" \'{ print $2, who }\' "$f"',
    "    fi",
    "  done | awk 'NR == FNR { mine[$2] = 1; next } ($1 in mine) { print; exit }' \"$tmp\"/routes -",
    "}",
    // clash_text: the refusal for "$clash" (`<host>|<path> <service>`), in words.
    "clash_text() {",
    "  key=${clash% *}; who=${clash#* }; on_host=${key%%|*}; on_path=${key#*|}",
    '  if [ "$on_host" = - ]; then on_host="any host"; else on_host="host $on_host"; fi',
    '  if [ -z "$on_path" ]; then on_path="any path"; else on_path="path $on_path"; fi',
    `  printf 'the route for %s, %s is already served by service %s of stack %s on this host; give this service another host or path in ${configPathOf(def)}.routes' "$on_host" "$on_path" "$who" "$(cat "\${state%/*}/$who/owner" 2>/dev/null || echo unknown)"`,
    "}",
  ];
}

/** New routes go in before the switch; the edge refusing them switches nothing. */
function routeInstallLines(): string[] {
  return [
    "routes_changed=0",
    'if ! cmp -s "$tmp"/routes "$edge"/routes/"$service"; then',
    "  routes_changed=1",
    "  edge_lock",
    "  clash=$(route_clash)",
    '  if [ -n "$clash" ]; then',
    '    if [ "$mode" = new ]; then docker rm --force "$name" >/dev/null 2>&1 || true; fi',
    '    fail "$(clash_text)"',
    "  fi",
    '  if [ -f "$edge"/routes/"$service" ]; then ln -f "$edge"/routes/"$service" "$tmp"/routes.old; fi',
    '  mv -f "$tmp"/routes "$edge"/routes/"$service"',
    "  if ! edge_render || ! edge_apply; then",
    '    if [ -f "$tmp"/routes.old ]; then mv -f "$tmp"/routes.old "$edge"/routes/"$service"; else rm -f "$edge"/routes/"$service"; fi',
    '    if [ "$mode" = new ]; then docker rm --force "$name" >/dev/null 2>&1 || true; fi',
    '    fail "the edge refused the new routes of $service, nothing was switched: ${edge_error:-cannot render its config (disk full?)}"',
    "  fi",
    "  exec 8>&-",
    "fi",
  ];
}

function switchLines(def: ServiceDefinition, names: ServiceNames): string[] {
  const upstream = '"$edge"/upstreams/"$service"';
  const routed = def.routes.length > 0;
  return [
    ...(routed
      ? [
          `old_upstream=$(cat ${upstream} 2>/dev/null || true)`,
          `if [ -f ${upstream} ]; then ln -f ${upstream} "$tmp"/upstream.old; fi`,
          // The switch: one rename; the edge reads the file afresh for every request.
          `mv -f "$tmp"/upstream ${upstream}`,
          'if [ "$old_upstream" != "$name:' + `${def.containerPort}" ]; then`,
          `  say "switched ${names.edge.container} to $name for $service"`,
          "fi",
          "if ! verify_edge; then",
          `  if [ -f "$tmp"/upstream.old ]; then mv -f "$tmp"/upstream.old ${upstream}; else rm -f ${upstream}; fi`,
          // Routes this run loaded go back too: the edge serves exactly as before.
          '  if [ "$routes_changed" = 1 ]; then',
          '    if [ -f "$tmp"/routes.old ]; then mv -f "$tmp"/routes.old "$edge"/routes/"$service"; else rm -f "$edge"/routes/"$service"; fi',
          "    edge_lock",
          "    if ! edge_render || ! edge_apply; then",
          '      say "the edge did not take the previous routes back ($edge_error); they return at its next config change"',
          "    fi",
          "  fi",
          "  answer=$(printf '%s\\n' \"$answer\" | one_line)",
          '  if [ "$mode" = new ]; then docker rm --force "$name" >/dev/null 2>&1 || true; fi',
          `  fail "release $digest is healthy but requests through ${names.edge.container} fail; switched back; last response: $answer"`,
          "fi",
        ]
      : []),
    'if [ "$mode" = new ]; then',
    ...indent(commitRecordLines()),
    "fi",
    // The previous release drains and stops in the background (the next deploy waits for the
    // drain), after the rollback window when it stays warm; a warm release of before goes.
    "retiring=",
    'if [ "$mode" = new ]; then',
    '  rm -f "$state"/warm',
    "  warm_name=",
    "fi",
    'if [ "$mode" = new ] && [ -n "$current" ] && [ "$current" != "$name" ] && [ "$(status_of "$current")" = running ]; then',
    "  retiring=$current",
    ...indent(warmForLines(def)),
    '  if [ "$warm_for" -gt 0 ]; then',
    `    keep_warm "$current" ${def.drainSeconds} "$warm_for"`,
    "    warm_name=$current",
    `    say "the previous release $current stays running without traffic for $warm_for s after a ${def.drainSeconds} s drain (rollback window: slipway rollback switches back to it at once), then stops in the background"`,
    "  else",
    `    say "the previous release $current stops after a ${def.drainSeconds} s drain, in the background (kept for rollback)"`,
    "  fi",
    `  retire "$current" ${def.drainSeconds} "$warm_for"`,
    "fi",
    'if [ "$mode" = new ]; then',
    '  say "release $digest is serving as $name"',
    "else",
    '  say "release $digest is serving; nothing to change"',
    "fi",
  ];
}

/**
 * `$warm_for`: the rollback window in seconds, or 0 when it is off or the host's available
 * memory is below the service's memory limit (the warm release keeps its limit).
 */
export function warmForLines(
  def: Pick<ServiceDefinition, "rollbackWindowSeconds" | "memory">,
): string[] {
  if (def.rollbackWindowSeconds === 0) {
    return ["warm_for=0"];
  }
  if (def.memory === undefined) {
    return [`warm_for=${def.rollbackWindowSeconds}`];
  }
  return [
    `warm_for=${def.rollbackWindowSeconds}`,
    "avail_kb=$(awk '$1 == \"MemAvailable:\" { print $2 }' /proc/meminfo 2>/dev/null || true)",
    `if [ -n "$avail_kb" ] && [ "$avail_kb" -lt ${memoryKib(def.memory)} ]; then`,
    "  warm_for=0",
    `  say "not keeping $current running for the rollback window: this host has $((avail_kb / 1024)) MiB of memory available, less than the memory limit of $service (${def.memory})"`,
    "fi",
  ];
}

/** Docker's memory size (`512m`, `1.5g`: units of 1024) in KiB, rounded up. */
export function memoryKib(size: string): number {
  const match = /^(\d+(?:\.\d+)?)([bkmg])$/i.exec(size);
  if (match === null) {
    throw new Error(`${JSON.stringify(size)} is not a memory size such as 512m or 1g`);
  }
  const power = { b: 0, k: 1, m: 2, g: 3 }[match[2]!.toLowerCase() as "b" | "k" | "m" | "g"];
  return Math.ceil((Number(match[1]) * 1024 ** power) / 1024);
}

function pruneLines(def: ServiceDefinition): string[] {
  return [
    `${command(releaseList(def))} > "$tmp"/containers`,
    "kept=0",
    "while IFS= read -r old; do",
    '  if [ "$old" = "$name" ]; then continue; fi',
    // Kept, and stopped by its retire after the drain (or the rollback window).
    '  if [ "$old" = "$retiring" ] || [ "$old" = "$warm_name" ]; then kept=$((kept + 1)); continue; fi',
    `  if [ "$kept" -lt ${def.keepReleases} ]; then`,
    "    kept=$((kept + 1))",
    '    if [ "$(status_of "$old")" = running ]; then docker stop "$old" >/dev/null 2>&1 || true; fi',
    "  else",
    `    ${quietly(containerRemove(v("old")))}`,
    '    say "removed the old release container $old"',
    "  fi",
    'done < "$tmp"/containers',
  ];
}

/** The whole deploy script for `def`. Pure: the same definition gives the same text. */
export function deployScript(def: ServiceDefinition): string {
  checkDefinition(def);
  const names = serviceNames(def);
  const routed = def.routes.length > 0;
  // A later replica switches its own upstream only; the first replica installs the routes.
  const instances = routeInstancesOf(def);
  const installsRoutes = routed && instances.length > 0;
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
    superviseLines(def.stateRoot),
    payloadReader(),
    ['docker_config="$tmp"/docker'],
    lock(),
    awaitRetire(),
    // Private dirs of earlier runs that were killed (SIGKILL skips the cleanup); we hold the lock.
    [`find "$state" -maxdepth 1 -name 'tmp.*' ! -path "$tmp" -exec rm -rf {} +`],
    ownerLines(def),
    cpuLimitLines(def.cpus, `${configPathOf(def)}.cpus`),
    routed ? edgeLines(names) : [],
    routed ? edgeFunctions(names.edge) : [],
    installsRoutes ? clashLines(def) : [],
    loginLines(def),
    imageLines(def, def.ref, "release"),
    nameLines(def),
    functionLines(def, names),
    retireFunction(),
    warmFunctions(),
    installsRoutes
      ? [
          `if ! printf '%s' ${quote(routeFileText(routeLines(def.service, def.routes, instances)))} > "$tmp"/routes 2>/dev/null; then`,
          '  fail "cannot write under $state (disk full?); nothing was changed"',
          "fi",
          'chmod 644 "$tmp"/routes',
          "clash=$(route_clash)",
          'if [ -n "$clash" ]; then',
          '  fail "$(clash_text)"',
          "fi",
        ]
      : [],
    networkEnsureLines(def.network, def.stack),
    startLines(def, names),
    healthLines(def),
    prepareLines(def),
    installsRoutes ? routeInstallLines() : routed ? ["routes_changed=0"] : [],
    switchLines(def, names),
    pruneLines(def),
  ];
  return `${sections
    .filter((section) => section.length > 0)
    .map((section) => section.join("\n"))
    .join("\n\n")}\n`;
}
