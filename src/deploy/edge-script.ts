/**
 * The edge script: what the stack that manages a host's edge proxy runs there (create and
 * update), and the edge removal script (delete). Pure: the same definition gives the same
 * text; `EdgeProxy` (infra/edge) runs it over SSH or locally.
 *
 * The edge is host infrastructure: an application release never runs this. It changes only
 * when the edge's own definition does (image, ports, TLS issuer):
 * - a config-only change (TLS issuer, e-mail) is loaded through the admin API: no restart;
 * - an image or port change replaces the container. With other ports the new edge starts
 *   first and the old one stops only once the new one answers; with the same ports the old
 *   one is stopped gracefully first (Docker cannot publish one port twice), and if the new
 *   one does not come up the old one is started again.
 */
import { configParts, httpsSuffix, type EdgeNames, type EdgeSkeleton, edgeNames } from "../edge";
import { parseDigestReference } from "../reference";
import { EDGE_HTTP_PORT } from "../edge";
import {
  caddyName,
  caddyRun,
  edgeFunctions,
  edgeGet,
  edgeInspect,
  edgeLocalUrl,
  edgePortsLabel,
  edgeValidate,
  holderCreate,
  listenerCount,
  type EdgeSpec,
} from "./edge-commands";
import {
  containerRemove,
  containerRename,
  containerStop,
  imageInspect,
  networkCreate,
  networkInspect,
  quietly,
} from "./commands";
import { scriptHeader, toolsCheck } from "./prelude";
import { assign, command, quote, v } from "./shell";
import { superviseLines, unsuperviseLines } from "./supervisor";

/** The edge of one host, as the managing stack declares it. */
export interface EdgeDefinition extends EdgeSpec, EdgeSkeleton {
  readonly host: string;
  readonly stack: string;
  /** Edge name: container, network, state directory. */
  readonly name: string;
  readonly stateRoot: string;
}

/** Seconds a new edge container may take to answer on its HTTP port. */
export const EDGE_START_SECONDS = 20;
/** Seconds `docker stop` gives the old edge to finish its requests. */
export const EDGE_STOP_SECONDS = 30;

function headerLines(def: EdgeDefinition, title: string, names: EdgeNames): string[] {
  return scriptHeader(title, def.host, [
    ["stack", def.stack],
    ["edge", names.stateDir],
    ["edge_name", names.container],
  ]);
}

/** Writes `file` in the edge directory atomically from a fixed text. */
function writeFile(file: string, text: string): string[] {
  return [
    `printf '%s' ${quote(text)} > "$edge"/${file}.tmp`,
    `chmod 644 "$edge"/${file}.tmp`,
    `mv -f "$edge"/${file}.tmp "$edge"/${file}`,
  ];
}

/**
 * `edge_listeners`: sockets listening on port 80 in the edge's namespace. `edge_listening N`
 * waits until there are more than N (the new Caddy beside the old one) and the edge answers.
 */
function waitListening(names: EdgeNames): string[] {
  return [
    `edge_listeners() { ${command(listenerCount(names))} 2>/dev/null | grep -c ':${EDGE_HTTP_PORT} ' || true; }`,
    "edge_listening() {",
    `  deadline=$(( $(date +%s) + ${EDGE_START_SECONDS} ))`,
    "  while :; do",
    '    if [ "$(edge_listeners)" -gt "$1" ]; then',
    `      if out=$(${command(edgeGet(names, edgeLocalUrl("/")))} 2>&1); then return 0; fi`,
    '      case $out in *"server returned error"*) return 0 ;; esac',
    "    else",
    '      out="no new listener on port 80 yet"',
    "    fi",
    '    if [ "$(date +%s)" -ge "$deadline" ]; then edge_error=$(last_line "$out"); return 1; fi',
    "    sleep 0.2 2>/dev/null || sleep 1",
    "  done",
    "}",
  ];
}

/** The create/update script of a host's edge. */
export function edgeScript(def: EdgeDefinition): string {
  parseDigestReference(def.image);
  const names = edgeNames(def.name, def.stateRoot);
  const parts = configParts(def);
  const ports = edgePortsLabel(def);
  const caddy = caddyName(names, def.image);
  const sections: string[][] = [
    headerLines(def, `Slipway edge ${def.name} on host ${def.host} (stack ${def.stack})`, names),
    toolsCheck(),
    [
      'if ! (umask 022 && mkdir -p "$edge"/routes "$edge"/upstreams) 2>/dev/null; then',
      '  fail "cannot create $edge: the deploy user $(id -un) needs write access to it"',
      "fi",
      'tmp=$(mktemp -d "$edge"/tmp.XXXXXX)',
      "edge_error=",
    ],
    superviseLines(def.stateRoot),
    edgeFunctions(names),
    waitListening(names),
    [
      "edge_lock",
      assign("ports", ports),
      assign("image", def.image),
      // A name of its own (digest and a random suffix): never the old Caddy's.
      `new_caddy=${quote(`${caddy}-`)}$(head -c 2 /dev/urandom | od -An -tx1 | tr -d ' \\n')`,
      `holder_now=$(${command(edgeInspect(names.container, "slipway.edge.ports"))} 2>/dev/null || true)`,
      'caddy_now=$(cat "$edge"/caddy 2>/dev/null || true)',
      'caddy_state=""',
      `if [ -n "$caddy_now" ]; then caddy_state=$(${command(edgeInspect(v("caddy_now"), "slipway.edge.image"))} 2>/dev/null || true); fi`,
      'owner=$(cat "$edge"/owner 2>/dev/null || true)',
      'if [ -n "$owner" ] && [ "$owner" != "$stack" ] && { [ "$holder_now" != "true $ports" ] || [ "$caddy_state" != "true $image" ]; }; then',
      `  fail "the edge $edge_name on this host is managed by stack $owner (\${caddy_state#* } on \${holder_now#* }); this stack wants $image on $ports: manage a host's edge from one stack (drop slipway:edge.image from the other) or make both declare the same"`,
      "fi",
    ],
    // The skeleton parts of the previous edge are kept to put back if this one fails.
    [
      "for part in config.head config.mid config.tail https_suffix; do",
      '  if [ -f "$edge"/$part ]; then cp "$edge"/$part "$tmp"/$part.old; fi',
      "done",
      "undo() {",
      "  for part in config.head config.mid config.tail https_suffix caddy.json; do",
      '    if [ -f "$tmp"/$part.old ]; then cp "$tmp"/$part.old "$edge"/$part; fi',
      "  done",
      "}",
    ],
    writeFile("config.head", parts.head),
    writeFile("config.mid", parts.mid),
    writeFile("config.tail", parts.tail),
    writeFile("https_suffix", httpsSuffix(def.httpsPort)),
    [
      `if ! ${command(networkInspect(names.network))} >/dev/null 2>&1; then`,
      `  ${command(networkCreate(names.network))} >/dev/null`,
      "fi",
      `if ! ${command(imageInspect(def.image))} >/dev/null 2>&1; then`,
      `  say ${quote(`pulling the edge image ${def.image}`)}`,
      `  if ! out=$(docker pull --quiet ${quote(def.image)} 2>&1); then`,
      `    fail "cannot pull the edge image ${def.image}: $(last_line "$out")"`,
      "  fi",
      "fi",
      "edge_render",
      `if ! out=$(${command(edgeValidate(names, def.image, "caddy.json.next"))} 2>&1); then`,
      '  rm -f "$edge"/caddy.json.next',
      "  undo",
      '  fail "the edge config does not validate, nothing was changed: $(last_line "$out")"',
      "fi",
    ],
    [
      // Nothing but the config changed: load it through the admin API, no restart.
      'if [ "$holder_now" = "true $ports" ] && [ "$caddy_state" = "true $image" ]; then',
      "  if ! edge_apply; then",
      "    undo",
      '    fail "the edge $edge_name refused the new config, the old one keeps serving: $edge_error"',
      "  fi",
      '  printf \'%s\\n\' "$stack" > "$edge"/owner',
      `  say ${quote(`the edge ${names.container} runs ${def.image} on ${ports}`)}`,
      "  exit 0",
      "fi",
      'if [ -f "$edge"/caddy.json ]; then cp "$edge"/caddy.json "$tmp"/caddy.json.old; fi',
      'mv -f "$edge"/caddy.json.next "$edge"/caddy.json',
      // The ports (the holder): kept when they are the same; else a new holder is started
      // beside the old one (other ports), which goes only once the new edge answers.
      "old_holder=",
      'holder="$edge_name"',
      'if [ "$holder_now" != "true $ports" ]; then',
      '  if [ -n "$holder_now" ]; then',
      `    old_ports=$(docker container inspect --format '{{index .Config.Labels "slipway.edge.ports"}}' "$edge_name" 2>/dev/null || true)`,
      '    if [ "$old_ports" = "$ports" ]; then',
      // Same ports but not running (or an edge of another shape): start it again, or
      // replace it (Docker publishes a port once: a short gap).
      '      if docker start "$edge_name" >/dev/null 2>&1 && [ "$(docker container inspect --format \'{{.State.Running}}\' "$edge_name" 2>/dev/null)" = true ]; then',
      '        holder_now="true $ports"',
      "      else",
      `        ${quietly(containerRemove(v("edge_name")))}`,
      '        holder_now=""',
      "      fi",
      "    else",
      '      old_holder="$edge_name-replaced"',
      `      ${quietly(containerRemove(v("old_holder")))}`,
      `      ${command(containerRename(v("edge_name"), v("old_holder")))}`,
      "    fi",
      "  fi",
      "fi",
      // Slipway 0.1 ran one TCP proxy per service on its published port: hand the port over.
      `for id in $(docker ps --quiet --filter label=slipway.role=proxy --filter publish=${def.httpPort}) $(docker ps --quiet --filter label=slipway.role=proxy --filter publish=${def.httpsPort}); do`,
      '  say "removing the Slipway 0.1 service proxy $id that held the port"',
      `  ${quietly(containerRemove(v("id")))}`,
      "done",
      'if [ "$holder_now" != "true $ports" ]; then',
      `  if ! out=$(${command(holderCreate(names, def, v("holder")))} 2>&1) || ! out=$(docker start "$holder" 2>&1); then`,
      `    ${quietly(containerRemove(v("holder")))}`,
      '    if [ -n "$old_holder" ]; then docker rename "$old_holder" "$edge_name" >/dev/null 2>&1 || true; fi',
      "    undo",
      "    case $out in",
      '      *"port is already allocated"* | *"address already in use"*)',
      `        fail ${quote(
        `port ${def.httpPort} or ${def.httpsPort} on ${def.bind} is already in use on this host` +
          ` by another container or process; the previous edge keeps serving; free the port or change slipway:edge.httpPort/httpsPort`,
      )} ;;`,
      "    esac",
      '    fail "cannot start the edge $edge_name, the previous one keeps serving: $(last_line "$out")"',
      "  fi",
      "fi",
      // The new Caddy starts beside the old one (SO_REUSEPORT) and must listen before the
      // old one stops: no moment without a listener.
      "before=$(edge_listeners)",
      `if ! out=$(${command(caddyRun(names, def.image, v("holder"), v("new_caddy"), def.stack))} 2>&1); then`,
      `  ${quietly(containerRemove(v("new_caddy")))}`,
      '  if [ -n "$old_holder" ]; then docker rm --force "$holder" >/dev/null 2>&1; docker rename "$old_holder" "$edge_name" >/dev/null 2>&1 || true; fi',
      "  undo",
      '  fail "cannot start Caddy $new_caddy, the previous edge keeps serving: $(last_line "$out")"',
      "fi",
      'if ! edge_listening "$before"; then',
      `  logs=$(docker logs --tail 5 "$new_caddy" 2>&1 | tr '\\n' ' ' | cut -c1-300)`,
      `  ${quietly(containerRemove(v("new_caddy")))}`,
      '  if [ -n "$old_holder" ]; then docker rm --force "$holder" >/dev/null 2>&1; docker rename "$old_holder" "$edge_name" >/dev/null 2>&1 || true; fi',
      "  undo",
      `  fail "the new edge did not come up within ${EDGE_START_SECONDS} s ($edge_error; logs: $logs); the previous one keeps serving"`,
      "fi",
      'printf \'%s\\n\' "$new_caddy" > "$edge"/caddy.tmp',
      'mv -f "$edge"/caddy.tmp "$edge"/caddy',
      // Then the old Caddy stops gracefully: it closes its listener and finishes its requests.
      `for old in $(docker ps --all --format '{{.Names}}' --filter label=slipway.role=edge --filter label=slipway.edge.of=${names.container}); do`,
      '  if [ "$old" != "$new_caddy" ]; then',
      `    ${quietly(containerStop(v("old"), EDGE_STOP_SECONDS))}`,
      `    ${quietly(containerRemove(v("old")))}`,
      "  fi",
      "done",
      'if [ -n "$old_holder" ]; then',
      `  ${quietly(containerRemove(v("old_holder")))}`,
      "fi",
      'printf \'%s\\n\' "$stack" > "$edge"/owner',
      `say ${quote(`started the edge ${names.container}: ${def.image} on ${ports}`)}`,
    ],
  ];
  return `${sections.map((section) => section.join("\n")).join("\n\n")}\n`;
}

/**
 * The removal script: the edge goes only when no service routes through it any more (the
 * routes of other stacks keep it); its data volume (certificates, the internal CA) stays.
 */
export function edgeRemoveScript(
  def: Pick<EdgeDefinition, "host" | "stack" | "name" | "stateRoot">,
): string {
  const names = edgeNames(def.name, def.stateRoot);
  const sections: string[][] = [
    headerLines(
      def as EdgeDefinition,
      `Slipway removal of edge ${def.name} on host ${def.host} (stack ${def.stack})`,
      names,
    ),
    toolsCheck(),
    [
      `if [ ! -d "$edge" ] && [ -z "$(docker ps --all --quiet --filter label=slipway.edge.of=${names.container})" ]; then`,
      '  say "the edge $edge_name is not on this host; nothing to remove"',
      "  exit 0",
      "fi",
      'mkdir -p "$edge"',
    ],
    edgeFunctions(names),
    [
      "edge_lock",
      'users=$(ls "$edge"/routes 2>/dev/null | paste -sd" " - || true)',
      'if [ -n "$users" ]; then',
      '  say "the edge $edge_name stays: services $users still route through it"',
      "  exit 0",
      "fi",
      `for id in $(docker ps --all --quiet --filter label=slipway.edge.of=${names.container}); do`,
      `  ${quietly(containerStop(v("id"), EDGE_STOP_SECONDS))}`,
      `  ${quietly(containerRemove(v("id")))}`,
      "done",
      `docker network rm ${quote(names.network)} >/dev/null 2>&1 || true`,
      'rm -rf "$edge"',
      // The edges' directory goes with the last edge of the host.
      'rmdir "$(dirname "$edge")" 2>/dev/null || true',
      `say ${quote(`removed the edge ${names.container}; its certificates stay in volume ${names.dataVolume}`)}`,
    ],
    unsuperviseLines(def.stateRoot),
  ];
  return `${sections.map((section) => section.join("\n")).join("\n\n")}\n`;
}
