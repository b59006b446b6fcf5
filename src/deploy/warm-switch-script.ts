/**
 * The instant rollback of one service instance on one host: `slipway rollback` runs it before
 * the update when the release it restores is the host's warm release (the previous one, kept
 * running without traffic for the rollback window: `retire` in ./prelude). It switches the
 * edge to the warm container with one rename of the upstream file, as a deploy does, records
 * the switch as a deploy would (so the update that follows finds the host already on that
 * release and changes nothing there), and keeps the release it replaced warm in turn.
 *
 * It prints one line and exits 0 either way:
 *
 *     switched <container>
 *     fallback <why the host cannot switch: no warm release, gone, unhealthy, another digest…>
 *
 * On `fallback` nothing was changed: the update deploys the release the normal way.
 */
import {
  checkHostService,
  RECORD_HISTORY,
  serviceNames,
  type ServiceDefinition,
} from "./definition";
import { containerInspect, healthUrl } from "./commands";
import { edgeGet } from "./edge-commands";
import { header, retireFunction, warmFunctions } from "./prelude";
import { commitRecordLines, releaseJsonLines } from "./record";
import { assign, command, quote, v } from "./shell";

/** What the switch needs of the service, and the digest it rolls back to. */
export type WarmSwitchDefinition = Pick<
  ServiceDefinition,
  | "host"
  | "stack"
  | "service"
  | "stateRoot"
  | "edge"
  | "containerPort"
  | "healthPath"
  | "routes"
  | "drainSeconds"
  | "rollbackWindowSeconds"
> & {
  /** `sha256:…` of the release to switch back to. */
  readonly digest: string;
};

/** The outcome the script printed. */
export type WarmSwitch =
  | { readonly kind: "switched"; readonly container: string }
  | { readonly kind: "fallback"; readonly reason: string };

export function warmSwitchScript(def: WarmSwitchDefinition): string {
  checkHostService(def);
  if (def.routes.length === 0) {
    throw new Error(`${def.service} has no routes: a worker has no traffic to switch`);
  }
  const names = serviceNames(def);
  const upstream = '"$edge"/upstreams/"$service"';
  const lines = [
    ...header(
      `Slipway instant rollback of ${def.service} on host ${def.host} to ${def.digest}`,
      def,
    ),
    assign("digest", def.digest),
    `fallback() { printf 'fallback %s\\n' "$*"; exit 0; }`,
    'if [ ! -f "$state"/current ]; then fallback "no release of $service on this host"; fi',
    'exec 9>>"$state"/lock',
    'if ! flock -n 9; then fallback "a deploy of $service is running on this host"; fi',
    // The background stop of a warm release takes this lock to check that it is still warm.
    'exec 6>>"$state"/warm.lock',
    "flock 6",
    ...warmFunctions(),
    "name=$warm_name",
    'if [ -z "$name" ]; then fallback "no warm release (its rollback window ended, or is 0)"; fi',
    `if ! seen=$(${command(
      containerInspect('{{.State.Status}} {{index .Config.Labels "slipway.digest"}}', v("name")),
    )} 2>/dev/null); then fallback "the warm container $name is gone"; fi`,
    'if [ "${seen%% *}" != running ]; then fallback "the warm container $name is ${seen%% *}"; fi',
    'if [ "${seen#* }" != "$digest" ]; then fallback "the warm release $name runs ${seen#* }, not $digest"; fi',
    `if ! answer=$(${command(edgeGet(names.edge, healthUrl(def)))} 2>&1); then`,
    `  fallback "the warm container $name is unhealthy: $(printf '%s' "$answer" | tr '\\n' ' ' | cut -c1-200)"`,
    "fi",
    `line=$(grep -F ${quote(`"digest":"${def.digest}"`)} "$state"/releases 2>/dev/null | head -n 1 || true)`,
    'if [ -z "$line" ]; then fallback "the host\'s release record has no entry for $digest"; fi',
    'current=$(cat "$state"/current)',
    'tmp=$(mktemp -d "$state"/tmp.XXXXXX)',
    // The record as a deploy of that release writes it: its entry first, switched now.
    "{",
    `  printf '%s"deployedAt":"%s"}\\n' "\${line%\\"deployedAt\\"*}" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"`,
    `  head -n ${RECORD_HISTORY} "$state"/releases`,
    '} > "$tmp"/releases',
    ...releaseJsonLines(def),
    'printf \'%s\\n\' "$name" > "$tmp"/current',
    'printf \'%s\\n\' "$stack" > "$tmp"/owner',
    `printf '%s\\n' "$name:${def.containerPort}" > "$tmp"/upstream`,
    'chmod 644 "$tmp"/releases "$tmp"/release.json "$tmp"/current "$tmp"/owner "$tmp"/upstream',
    // The switch: one rename; the edge reads the file afresh for every request.
    `mv -f "$tmp"/upstream ${upstream}`,
    ...commitRecordLines(),
    // The release it replaced stays warm in turn (a roll forward is as quick), then stops.
    ...retireFunction(),
    `keep_warm "$current" ${def.drainSeconds} ${def.rollbackWindowSeconds}`,
    // Let go of warm.lock before the background stop starts: it must not inherit it.
    "exec 6>&-",
    `retire "$current" ${def.drainSeconds} ${def.rollbackWindowSeconds}`,
    "printf 'switched %s\\n' \"$name\"",
  ];
  return `${lines.join("\n")}\n`;
}

/** Reads what the script printed; anything else (a failure) is a fallback with its text. */
export function parseWarmSwitch(stdout: string): WarmSwitch {
  const line = stdout.trim().split("\n").pop() ?? "";
  if (line.startsWith("switched ")) {
    return { kind: "switched", container: line.slice("switched ".length) };
  }
  if (line.startsWith("fallback ")) {
    return { kind: "fallback", reason: line.slice("fallback ".length) };
  }
  return { kind: "fallback", reason: line === "" ? "the host printed nothing" : line };
}
