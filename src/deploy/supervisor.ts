/**
 * The host's supervisor: one small shell loop per state root that brings back a container the
 * host's records say should run (Docker's `unless-stopped` does not restart a container that
 * `docker kill` or `docker stop` ended). Every SUPERVISOR_TICK_SECONDS it reads the records:
 *
 * - each service instance's `<root>/<instance>/current` (the release that serves);
 * - each accessory's directory `<root>/_accessories/<container>`;
 * - each edge's directory `<root>/_edge/<name>` (its network holder) and its `caddy` file;
 *
 * asks Docker for all of them in one `docker container inspect`, and starts again each one
 * that exited — under that directory's deploy lock, taken with `flock -n`: while a deploy, a
 * stop, a rollback or `slipway accessory restart` holds it, the supervisor leaves the
 * container to them, and once it holds the lock it checks again that the record still names
 * the container. A holder started again takes its Caddy with it (Caddy lives in the holder's
 * network namespace). Never creates or removes anything; never touches a container the
 * records do not name (a retired release, a warm one, `<accessory>-previous`).
 *
 * Each restart, and each restart by Docker's restart policy (a process killed inside the
 * container), is one line in the directory's `events` (the last SUPERVISOR_EVENTS_KEPT are
 * kept), which `slipway status` shows. The deploy, edge and accessory scripts install and
 * start it (`superviseLines`): a new text replaces the running loop (it re-executes itself),
 * one lock keeps it single. It runs in its own session, so an SSH connection ending does not
 * end it; after a host reboot Docker's policy starts the containers and the next deploy or
 * `slipway repair` starts the supervisor. The removal scripts stop it with the root's last
 * service, accessory or edge (`unsuperviseLines`); a removed script ends it too.
 */
import { shellLines } from "./script-files";
import { assign } from "./shell";

/** The supervisor's directory under the state root: script, lock, pid, log. */
export const SUPERVISOR_DIR = "_supervisor";
/** Seconds between two looks at what runs: a stopped container is back within about this. */
export const SUPERVISOR_TICK_SECONDS = 2;
/** Lines of `events` each directory keeps. */
export const SUPERVISOR_EVENTS_KEPT = 20;
/** The file, in a service's, accessory's or edge's directory, of the supervisor's events. */
export const EVENTS_FILE = "events";

/** `<root>/_supervisor`. */
export function supervisorDir(stateRoot: string): string {
  return `${stateRoot.replace(/\/+$/, "")}/${SUPERVISOR_DIR}`;
}

/** The supervisor of the containers recorded under `stateRoot`: the text of its script. */
export function supervisorScript(stateRoot: string): string {
  const lines = [
    "#!/bin/sh",
    `# Slipway supervisor of the containers recorded under ${stateRoot} (src/deploy/supervisor.ts).`,
    "set -u",
    "umask 022",
    "trap '' HUP PIPE",
    assign("root", stateRoot),
    assign("dir", supervisorDir(stateRoot)),
    assign("tick", SUPERVISOR_TICK_SECONDS),
    assign("events_kept", SUPERVISOR_EVENTS_KEPT),
    ...shellLines("supervisor"),
  ];
  return `${lines.join("\n")}\n`;
}

/** The delimiter of the here-document that carries the supervisor's text in the scripts. */
const TEXT_END = "SLIPWAY_SUPERVISOR_END";

/**
 * Installs the supervisor of `stateRoot` (its text, as a here-document, when it changed) and
 * starts it unless one runs (sh/supervise.sh). `SLIPWAY_SUPERVISOR=off` in the environment
 * skips both (a host where something else supervises the containers).
 */
export function superviseLines(stateRoot: string): string[] {
  const text = supervisorScript(stateRoot);
  return [
    ...rootVars(stateRoot),
    ...shellLines("supervise"),
    `supervise <<'${TEXT_END}'`,
    ...text.slice(0, -1).split("\n"),
    TEXT_END,
  ];
}

/** The supervisor's directory and its root, which sh/supervise.sh and sh/unsupervise.sh read. */
function rootVars(stateRoot: string): string[] {
  return [assign("supervisor", supervisorDir(stateRoot)), assign("supervisor_root", stateRoot)];
}

/**
 * After a removal: when the state root holds nothing but the supervisor (the last service,
 * accessory and edge are gone), its script goes, the loop ends, and so does its directory.
 */
export function unsuperviseLines(stateRoot: string): string[] {
  return [...rootVars(stateRoot), ...shellLines("unsupervise")];
}
