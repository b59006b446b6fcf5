# shellcheck shell=bash
# Shared helpers for Slipway's shell scripts. Source it; do not execute it.
#
#   . "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
#
# Conventions (fixed for the whole project):
#   SLIPWAY_HOME   defaults to $HOME/.cache/slipway
#   SLIPWAY_STATE  $SLIPWAY_HOME/state: runtime state (registry data, ssh keys,
#                  logs, pid files). Not meant to be overridden separately.

if [[ -n "${SLIPWAY_COMMON_SH_LOADED:-}" ]]; then
  return 0
fi
SLIPWAY_COMMON_SH_LOADED=1

SLIPWAY_HOME="${SLIPWAY_HOME:-$HOME/.cache/slipway}"
# shellcheck disable=SC2034 # used by the scripts that source this file
SLIPWAY_STATE="$SLIPWAY_HOME/state"
# shellcheck disable=SC2034
SLIPWAY_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export SLIPWAY_HOME

# The host's deb822 apt source; its bookworm stanza names the Debian mirror.
SLIPWAY_DEBIAN_SOURCES=/etc/apt/sources.list.d/debian.sources

# debian_source_field FIELD: value of FIELD (URIs, Signed-By, ...) in the
# $SLIPWAY_DEBIAN_SOURCES stanza whose Suites list contains "bookworm". The
# mirror is always read from here at run time, never written in a script.
debian_source_field() {
  awk -v want="$1" '
    BEGIN { RS = ""; FS = "\n" }
    {
      suites = ""; value = ""
      for (i = 1; i <= NF; i++) {
        line = $i
        if (line ~ /^#/) continue
        split(line, kv, ":")
        key = kv[1]
        rest = substr(line, length(key) + 2)
        sub(/^[ \t]+/, "", rest); sub(/[ \t]+$/, "", rest)
        if (key == "Suites") suites = " " rest " "
        if (key == want) value = rest
      }
      if (suites ~ / bookworm /) { print value; exit }
    }' "$SLIPWAY_DEBIAN_SOURCES"
}

# content_mtime FILE: set FILE's mtime to a time derived from its content (the first 28
# bits of its SHA-256, in seconds). For files a Dockerfile ADDs as tarballs: the image
# sees only the mtimes inside, and BuildKit's incremental context transfer, which skips a
# file whose size and mtime match its last copy, sees every change of content.
content_mtime() {
  local sum
  sum="$(sha256sum "$1" | cut -c1-7)"
  touch -d "@$((16#$sum))" "$1"
}

# Prefix for log lines: the calling script's name.
SLIPWAY_LOG_TAG="${SLIPWAY_LOG_TAG:-$(basename "${0:-slipway}" .sh)}"

# log MSG...   informational line on stderr (stdout stays free for results).
log() {
  printf '[%s] %s\n' "$SLIPWAY_LOG_TAG" "$*" >&2
}

# warn MSG...  warning line on stderr.
warn() {
  printf '[%s] WARNING: %s\n' "$SLIPWAY_LOG_TAG" "$*" >&2
}

# fail MSG...  error line on stderr, then exit 1.
fail() {
  printf '[%s] ERROR: %s\n' "$SLIPWAY_LOG_TAG" "$*" >&2
  exit 1
}

# require_root: fail unless running as root.
require_root() {
  [[ "$(id -u)" -eq 0 ]] || fail "must run as root (this script changes system state)"
}

# have CMD: true if CMD is on PATH.
have() {
  command -v "$1" >/dev/null 2>&1
}

# now_ms: milliseconds since the epoch (for timings).
now_ms() {
  date +%s%3N
}

# elapsed_s START_MS: seconds since START_MS, one decimal.
elapsed_s() {
  local start="$1" end
  end="$(now_ms)"
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", (b - a) / 1000 }'
}

# wait_until TIMEOUT_S CMD...: run CMD every 0.2 s until it succeeds or
# TIMEOUT_S seconds have passed. Returns CMD's success.
wait_until() {
  local timeout="$1" deadline
  shift
  deadline=$(($(date +%s) + timeout))
  while true; do
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    if (($(date +%s) >= deadline)); then
      return 1
    fi
    sleep 0.2
  done
}

# proc_alive PID: true if PID is a live process. A zombie (exited, not yet
# reaped: our daemons are reparented to an init that may reap late) counts as
# dead.
proc_alive() {
  local pid="$1" state
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  state="$(sed -E 's/.*\) ([A-Za-z]).*/\1/' "/proc/$pid/stat" 2>/dev/null)" || return 1
  [[ -n "$state" && "$state" != Z && "$state" != X ]]
}

# pid_alive PIDFILE: true if PIDFILE names a live process.
pid_alive() {
  local pidfile="$1"
  [[ -s "$pidfile" ]] || return 1
  proc_alive "$(tr -dc '0-9' <"$pidfile")"
}

# tail_log FILE: last meaningful line of a log, for failure messages.
tail_log() {
  [[ -f "$1" ]] || return 0
  grep -v '^\s*$' "$1" | tail -n 1 | cut -c1-300
}

# wait_ready WHAT PIDFILE LOG SECONDS INTERVAL NOT_READY PROBE...
#   Polls PROBE until it succeeds. Prints a FAILED line and returns 1 when the daemon
#   (WHAT, its pid in PIDFILE) exits first, or NOT_READY when SECONDS pass.
wait_ready() {
  local what="$1" pidfile="$2" log="$3" seconds="$4" interval="$5" not_ready="$6"
  shift 6
  local deadline=$(($(date +%s) + seconds))
  until "$@" >/dev/null 2>&1; do
    if ! pid_alive "$pidfile"; then
      rm -f "$pidfile"
      echo "FAILED: $what exited: $(tail_log "$log") (log: $log)"
      return 1
    fi
    if (($(date +%s) >= deadline)); then
      echo "FAILED: $not_ready within $seconds s (log: $log)"
      return 1
    fi
    sleep "$interval"
  done
}

# pid_of PIDFILE: print the pid stored in PIDFILE.
pid_of() {
  tr -dc '0-9' <"$1"
}

_proc_dead() { ! proc_alive "$1"; }

# stop_pid PID [TIMEOUT_S]: SIGTERM PID, wait up to TIMEOUT_S (default 15) for
# it to exit, then SIGKILL. True once it is gone.
stop_pid() {
  local pid="$1" timeout="${2:-15}"
  proc_alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_until "$timeout" _proc_dead "$pid"; then
    kill -KILL "$pid" 2>/dev/null || true
    wait_until 5 _proc_dead "$pid" || return 1
  fi
}

# stop_pidfile PIDFILE [TIMEOUT_S]: stop_pid the process named in PIDFILE.
# Removes PIDFILE.
stop_pidfile() {
  local pidfile="$1" timeout="${2:-15}"
  if pid_alive "$pidfile"; then
    stop_pid "$(pid_of "$pidfile")" "$timeout" || return 1
  fi
  rm -f "$pidfile"
}

# Seconds a running instance may take to answer its probe before `up` replaces
# it (a busy machine makes a healthy daemon slow, never a reason to start a
# second one beside it).
SLIPWAY_PROBE_DEADLINE="${SLIPWAY_PROBE_DEADLINE:-60}"

# answer_or_stop WHAT PID STOP_TIMEOUT_S PROBE...
#   For an instance that runs (PID) but did not answer PROBE once: retries PROBE
#   every 0.5 s until SLIPWAY_PROBE_DEADLINE seconds have passed. When it
#   answers, prints "answered after N s" and returns 0: leave it alone. When it
#   never does, stops PID (TERM, then KILL after STOP_TIMEOUT_S), prints what it
#   did and returns 1: the caller starts anew. Never touches the instance's
#   socket or state while it lives. Returns 2 (with a reason) when PID would
#   not stop.
answer_or_stop() {
  local what="$1" pid="$2" stop_timeout="$3" t deadline
  shift 3
  t="$(now_ms)"
  deadline=$(($(date +%s) + SLIPWAY_PROBE_DEADLINE))
  while proc_alive "$pid"; do
    if "$@" >/dev/null 2>&1; then
      echo "answered after $(elapsed_s "$t") s"
      return 0
    fi
    (($(date +%s) < deadline)) || break
    sleep 0.5
  done
  if ! proc_alive "$pid"; then
    echo "$what pid $pid exited while its probe was retried"
    return 1
  fi
  stop_pid "$pid" "$stop_timeout" ||
    { echo "$what pid $pid did not answer within $SLIPWAY_PROBE_DEADLINE s and did not stop"; return 2; }
  echo "$what pid $pid did not answer within $SLIPWAY_PROBE_DEADLINE s; stopped it by its pid"
  return 1
}

# listener_pid unix PATH | tcp PORT: pid of the process listening there, if any.
listener_pid() {
  local out
  case "$1" in
    unix) out="$(ss -Hlxp src "$2" 2>/dev/null)" ;;
    tcp) out="$(ss -Hltnp "sport = :$2" 2>/dev/null)" ;;
  esac
  sed -nE 's/.*pid=([0-9]+).*/\1/p' <<<"$out" | head -n 1
}

# spawn_detached LOGFILE PIDFILE CMD...: start CMD in its own session, fully
# detached from our stdio (so callers such as test runners do not wait on it),
# appending its output to LOGFILE and writing its pid to PIDFILE.
spawn_detached() {
  local logfile="$1" pidfile="$2"
  shift 2
  mkdir -p "$(dirname "$logfile")" "$(dirname "$pidfile")"
  printf '\n=== %s: %s\n' "$(date -Is)" "$*" >>"$logfile"
  setsid "$@" </dev/null >>"$logfile" 2>&1 &
  echo "$!" >"$pidfile"
}

# step NAME CMD...  runs CMD between two log lines, the second with its duration.
step() {
  local name="$1" start
  shift
  start="$(now_ms)"
  log "== $name"
  "$@"
  log "== $name: done in $(elapsed_s "$start") s"
}
