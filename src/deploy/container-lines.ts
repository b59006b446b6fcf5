/**
 * Shell functions and lines every script that starts a container on a host shares (the
 * deploy script of a service, the accessory script): registry login and pull, a container's
 * status, logs and health, and the wait for it.
 */
import type { ServiceDefinition } from "./definition";
import { containerInspect, execIn, imageInspect, pull, stateInspect, usesLogin } from "./commands";
import { registryLoginCommand } from "./payload";
import { shellLines } from "./script-files";
import { command, quote, ShellExpr, v } from "./shell";

/**
 * A CPU limit above the host's CPUs (Docker refuses `--cpus` beyond them) refused before any
 * container is touched, with the figure and the setting (`where`, e.g.
 * `slipway:services.web.cpus`); nothing when no limit is set.
 */
export function cpuLimitLines(cpus: number | undefined, where: string): string[] {
  if (cpus === undefined) {
    return [];
  }
  return [
    "host_cpus=$(nproc 2>/dev/null || echo 0)",
    `if [ "$host_cpus" -gt 0 ] && awk -v want=${cpus} -v have="$host_cpus" 'BEGIN { exit !(want > have) }'; then`,
    `  fail "${where} is ${cpus}, but this host has $host_cpus CPUs (nproc) and Docker allows at most that; set ${where} to $host_cpus or less; nothing was changed"`,
    "fi",
  ];
}

/** The registry login function, when the definition has credentials. */
export function loginLines(def: Pick<ServiceDefinition, "registryLogin">): string[] {
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
export function imageLines(
  def: Pick<ServiceDefinition, "registryLogin">,
  ref: string,
  what: string,
): string[] {
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

/**
 * `status_of <container>`: its status, or `missing` (docker prints an empty line for a
 * missing container: only its exit status tells). Shared by the deploy and accessory scripts.
 */
export function statusOfFunction(): string {
  return `status_of() { if seen=$(${command(containerInspect("{{.State.Status}}", ShellExpr.positional(1)))} 2>/dev/null); then printf '%s\\n' "$seen"; else echo missing; fi; }`;
}

/** `show_logs <container>`: its last 20 log lines (redacted) on stderr (sh/show-logs.sh). */
export function showLogsFunction(): string[] {
  return [...shellLines("show-logs")];
}

/**
 * `health_probe` of a container without an HTTP route (a worker, an accessory), `$<variable>`:
 * its health command run inside it, else Docker's HEALTHCHECK, else that it runs.
 */
export function containerHealthProbe(
  variable: string,
  healthCommand: readonly string[] | undefined,
): string[] {
  return healthCommand !== undefined
    ? [`health_probe() { answer=$(${command(execIn(v(variable), healthCommand))} 2>&1); }`]
    : [
        "health_probe() {",
        `  answer=$(${command(containerInspect("{{if .State.Health}}{{.State.Health.Status}}{{else}}running{{end}}", v(variable)))} 2>&1 || true)`,
        '  [ "$answer" = healthy ] || [ "$answer" = running ]',
        "}",
      ];
}

/**
 * `wait_healthy`: polls `health_probe` until it passes (0), the container `$<variable>` stops
 * or restarts, or `timeoutSeconds` pass (1, with `$answer` saying why). Between probes it
 * sleeps 0.1, 0.2, 0.4 s, then `maxNapSeconds` each time (a release that starts in a few
 * hundred milliseconds is seen at once; a slow one is not polled hard). Shared by the deploy
 * and the accessory script.
 */
export function waitHealthyFunction(
  variable: string,
  timeoutSeconds: number,
  maxNapSeconds: number,
): string[] {
  return [
    "wait_healthy() {",
    `  deadline=$(( $(date +%s) + ${timeoutSeconds} ))`,
    '  answer="no answer yet"',
    "  nap=0.1",
    "  while :; do",
    `    run_state=$(${command(stateInspect(v(variable)))} 2>/dev/null || echo 'missing 0 0')`,
    "    case $run_state in",
    '      "running "*" 0") ;;',
    '      *) answer="the container stopped (status, exit code, restarts: $run_state)"; return 1 ;;',
    "    esac",
    "    if health_probe; then return 0; fi",
    '    if [ "$(date +%s)" -ge "$deadline" ]; then return 1; fi',
    // A sleep without fractions (rare) waits a whole second instead.
    '    sleep "$nap" 2>/dev/null || sleep 1',
    `    case $nap in 0.1) nap=0.2 ;; 0.2) nap=0.4 ;; *) nap=${maxNapSeconds} ;; esac`,
    "  done",
    "}",
  ];
}
