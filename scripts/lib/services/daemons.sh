# shellcheck shell=bash
# What every service of scripts/services.sh uses: ports, pids, probes that must not hang,
# a live instance that does not answer, and stopping what `up` started.
# Sourced by scripts/services.sh, after lib/common.sh.

port_listening() { # port_listening PORT
  ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}

# A probe of a daemon that hangs must not hang `up`: each try has this many seconds.
# shellcheck disable=SC2034 # read by the service files
PROBE_TIMEOUT="${SLIPWAY_PROBE_TIMEOUT:-10}"

# running_pid PIDFILE OTHER_PID: the live instance: ours (PIDFILE), else OTHER_PID if alive.
running_pid() {
  if pid_alive "$1"; then
    pid_of "$1"
  elif [[ -n "${2:-}" ]] && proc_alive "$2"; then
    echo "$2"
  fi
}

# settle WHAT PID STOP_TIMEOUT_S PROBE...: a live instance (PID) did not answer
# PROBE. Retries it (answer_or_stop); sets SETTLED to what happened. Returns 0
# when it answered (leave it), 1 when it was stopped (start anew), 2 when it
# could not be stopped.
SETTLED=""
settle() {
  local rc
  SETTLED="$(answer_or_stop "$@")"
  rc=$?
  return "$rc"
}

# adopt WHAT PID STOP_TIMEOUT_S PROBE...: `up` of a daemon that did not answer PROBE while a
# live instance (PID; none when empty) may run: settles it (settle) and prints the service's
# line when that ends `up`. Returns 0 when it answers now ("already running (...)"), 2 when it
# could not be stopped ("FAILED: ..."), 1 when there was none or it was stopped (start anew).
adopt() {
  [[ -n "$2" ]] || return 1
  settle "$@"
  case $? in
    0) echo "already running ($SETTLED)"; return 0 ;;
    2) echo "FAILED: $SETTLED"; return 2 ;;
  esac
  return 1
}

# started_note: the words `started (...)` begins with after a replacement.
replaced_note() {
  [[ -z "$SETTLED" ]] || printf 'replaced: %s; ' "$SETTLED"
}

# down_daemon NAME STOP_TIMEOUT_S WHAT PROBE...: `down` of a daemon whose pid file is
# $RUN_DIR/NAME.pid: stops it when `up` started it, leaves one that answers PROBE but was
# running already; prints the service's line.
down_daemon() {
  local pidfile="$RUN_DIR/$1.pid" timeout="$2" what="$3"
  shift 3
  if pid_alive "$pidfile"; then
    stop_pidfile "$pidfile" "$timeout" || { echo "FAILED: $what did not stop"; return 1; }
    echo "stopped"
  elif "$@"; then
    echo "left running (not started by slipway)"
  else
    rm -f "$pidfile"
    echo "not running"
  fi
}
