/**
 * The deploy locks of a host, read and released from the CLI (`slipway lock status|release`).
 * Every script that changes a service, an accessory or the edge holds `flock` on `<dir>/lock`
 * and writes who it is to `<dir>/lock.owner` (./prelude `lock`, ./edge-commands `edge_lock`);
 * the lock is free the moment its holder's processes end. So "held" is asked of the kernel
 * (`flock -n`), and releasing a held lock means ending the processes that hold it open.
 */
import { operationHeader } from "./operations";
import { quote } from "./shell";

/** The marker of one lock's line in the status script's output. */
export const LOCK_MARK = "slipway-lock";
/** The marker of one released lock in the release script's output. */
export const RELEASED_MARK = "slipway-released";

/** Whose lock: a service instance, an accessory, or the host's edge. */
export type LockKind = "service" | "accessory" | "edge";

/** A lock directory on a host. */
export interface LockPlace {
  readonly kind: LockKind;
  /** The service instance, accessory or edge name. */
  readonly name: string;
  /** The directory holding `lock` and `lock.owner`. */
  readonly dir: string;
}

/** Seconds the holders of a released lock get to end after TERM, before KILL. */
export const RELEASE_WAIT_SECONDS = 10;

/**
 * `lock_line KIND NAME DIR`: `slipway-lock<TAB>kind<TAB>name<TAB>state<TAB>owner<TAB>command`,
 * state `none` (no lock file: never deployed), `free` or `held`; the owner line as its holder
 * wrote it; for a held lock the title line of the script that holds it.
 */
function lockLineFunction(): string[] {
  return [
    "lock_line() {",
    '  owner=$(head -n 1 "$3"/lock.owner 2>/dev/null | tr "\\t" " ")',
    "  what=",
    '  if [ ! -e "$3"/lock ]; then',
    "    st=none",
    '  elif flock -n "$3"/lock true 2>/dev/null; then',
    "    st=free",
    "  else",
    "    st=held",
    "    pid=$(printf '%s' \"$owner\" | sed -n 's/.*pid \\([0-9][0-9]*\\).*/\\1/p')",
    '    if [ -n "$pid" ] && [ -r /proc/"$pid"/cmdline ]; then',
    "      file=$(tr '\\000' '\\n' < /proc/\"$pid\"/cmdline | sed -n 2p)",
    "      what=$(sed -n '2s/^# //p' \"$file\" 2>/dev/null | tr '\\t' ' ')",
    "    fi",
    "  fi",
    `  printf '${LOCK_MARK}\\t%s\\t%s\\t%s\\t%s\\t%s\\n' "$1" "$2" "$st" "$owner" "$what"`,
    "}",
  ];
}

function placeCall(fn: string, place: LockPlace): string {
  return `${fn} ${place.kind} ${quote(place.name)} ${quote(place.dir)}`;
}

/** `slipway lock status` on one host: one line per lock (see lockLineFunction). Reads only. */
export function lockStatusScript(host: string, places: readonly LockPlace[]): string {
  const lines = [
    ...operationHeader(`Slipway lock status on host ${host}`, host, []),
    ...lockLineFunction(),
    ...places.map((place) => placeCall("lock_line", place)),
  ];
  return `${lines.join("\n")}\n`;
}

/** One parsed line of the lock status script. */
export interface LockLine {
  readonly kind: LockKind;
  readonly name: string;
  readonly state: "none" | "free" | "held";
  /** What the last holder wrote: `stack <s>, <user> from <address> (pid <n>) since <time>`. */
  readonly owner: string;
  /** The title of the script that holds it (held only), e.g. `Slipway deploy of web …`. */
  readonly command: string;
}

/** Parses the lock lines of a status or release script's output. */
export function parseLockLines(text: string): LockLine[] {
  return text
    .split("\n")
    .filter((line) => line.startsWith(`${LOCK_MARK}\t`))
    .map((line) => {
      const [, kind = "", name = "", state = "", owner = "", command = ""] = line.split("\t");
      return {
        kind: kind as LockKind,
        name,
        state: state as LockLine["state"],
        owner,
        command,
      };
    });
}

/** The parts of an owner line, as far as it has them. */
export interface LockOwner {
  readonly stack?: string;
  readonly user?: string;
  readonly from?: string;
  readonly pid?: number;
  readonly since?: string;
}

/** Reads `stack <s>, <user> from <address> (pid <n>) since <time>` (and the shorter forms). */
export function parseLockOwner(owner: string): LockOwner {
  const stack = /^stack ([^,\s]+)/.exec(owner)?.[1];
  const user = /^stack [^,\s]+, (\S+)/.exec(owner)?.[1];
  const from = / from (.+?) \(/.exec(owner)?.[1];
  const pid = /pid (\d+)/.exec(owner)?.[1];
  const since = / since (\S+)$/.exec(owner)?.[1];
  return {
    ...(stack === undefined ? {} : { stack }),
    ...(user === undefined ? {} : { user }),
    ...(from === undefined ? {} : { from }),
    ...(pid === undefined ? {} : { pid: Number(pid) }),
    ...(since === undefined ? {} : { since }),
  };
}

/**
 * `slipway lock release` on one host: every held lock of `places` is released by ending the
 * processes that hold it open (TERM; KILL after RELEASE_WAIT_SECONDS). A lock whose last owner
 * line names another stack than `stack` is refused unless `force`, before anything is ended.
 * Prints the lock lines as they were, then `slipway-released<TAB>kind<TAB>name<TAB>pids`.
 */
export function lockReleaseScript(
  host: string,
  stack: string,
  places: readonly LockPlace[],
  force: boolean,
): string {
  const lines = [
    ...operationHeader(`Slipway lock release on host ${host} (stack ${stack})`, host, [
      ["stack", stack],
      ["force", force ? "1" : "0"],
    ]),
    ...lockLineFunction(),
    // holders FILE: the processes that have FILE open (the lock's holders).
    "holders() {",
    "  for p in /proc/[0-9]*; do",
    '    for fd in "$p"/fd/*; do',
    '      if [ "$(readlink "$fd" 2>/dev/null)" = "$1" ]; then printf \'%s \' "${p#/proc/}"; break; fi',
    "    done",
    "  done",
    "}",
    "check_one() {",
    '  lock_line "$1" "$2" "$3"',
    '  if [ "$st" != held ]; then return 0; fi',
    "  holder=${owner#stack }",
    "  holder=${holder%%,*}",
    "  holder=${holder%% *}",
    '  if [ "$holder" != "$stack" ] && [ "$force" != 1 ]; then',
    `    fail "the $1 lock of $2 is held by another stack: $owner; pass --force to end its holder"`,
    "  fi",
    "}",
    "release_one() {",
    '  if flock -n "$3"/lock true 2>/dev/null || [ ! -e "$3"/lock ]; then return 0; fi',
    '  pids=$(holders "$3"/lock)',
    '  if [ -z "$pids" ]; then fail "the $1 lock of $2 is held, but no process visible to $(id -un) holds it"; fi',
    "  kill -TERM $pids 2>/dev/null",
    "  waited=0",
    `  while ! flock -n "$3"/lock true 2>/dev/null && [ "$waited" -lt ${RELEASE_WAIT_SECONDS * 5} ]; do`,
    "    sleep 0.2 2>/dev/null || sleep 1",
    "    waited=$((waited + 1))",
    "  done",
    '  if ! flock -n "$3"/lock true 2>/dev/null; then kill -KILL $pids 2>/dev/null; sleep 1; fi',
    '  if ! flock -n "$3"/lock true 2>/dev/null; then fail "the $1 lock of $2 is still held after ending $pids"; fi',
    `  printf '${RELEASED_MARK}\\t%s\\t%s\\t%s\\n' "$1" "$2" "$pids"`,
    "}",
    ...places.map((place) => placeCall("check_one", place)),
    ...places.map((place) => placeCall("release_one", place)),
  ];
  return `${lines.join("\n")}\n`;
}

/** The locks the release script released: kind, name and the processes it ended. */
export function parseReleased(
  text: string,
): { readonly kind: LockKind; readonly name: string; readonly pids: string }[] {
  return text
    .split("\n")
    .filter((line) => line.startsWith(`${RELEASED_MARK}\t`))
    .map((line) => {
      const [, kind = "", name = "", pids = ""] = line.split("\t");
      return { kind: kind as LockKind, name, pids: pids.trim() };
    });
}
