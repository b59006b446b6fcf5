/**
 * The deploy locks of a host, read and released from the CLI (`slipway lock status|release`).
 * Every script that changes a service, an accessory or the edge holds `flock` on `<dir>/lock`
 * and writes who it is to `<dir>/lock.owner` (./prelude `lock`, ./edge-commands `edge_lock`);
 * the lock is free the moment its holder's processes end. So "held" is asked of the kernel
 * (`flock -n`), and releasing a held lock means ending the processes that hold it open.
 */
import { operationHeader } from "./operations";
import { shellLines } from "./script-files";
import { assign, quote } from "./shell";

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

/** `lock_line KIND NAME DIR`: one lock's line (sh/lock-line.sh), after its marker. */
function lockLineFunction(): string[] {
  return [assign("lock_mark", LOCK_MARK), ...shellLines("lock-line")];
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
    assign("release_wait", RELEASE_WAIT_SECONDS),
    assign("released_mark", RELEASED_MARK),
    ...shellLines("lock-release"),
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
