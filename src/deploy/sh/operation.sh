# shellcheck shell=sh
# What the day-two scripts share (operations.ts: `slipway logs`, `exec`, `accessory`). They talk
# to the CLI on stderr with marker lines; `fail` (the header's) writes `slipway-fail <message>`.
# - `current_release`: `current`, the release container the service's state names; refused
#   when there is none.
# - `previous_release`: `target`, the newest release container of the service that is not
#   `current`; refused when none is left.
# - `need_container CONTAINER WHAT`: refuses a container that is not on this host, naming it
#   as WHAT (`release container`, `accessory container`).
# - `exit_marked STATUS`: the exit status of the command that ran (exec), as the marker line
#   (`$exit_mark`, operations.ts EXIT_MARK), then as the script's own.
# Header: exit_mark; a service's scripts also service and state.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
current_release() {
  current=$(cat "$state"/current 2>/dev/null || true)
  if [ -z "$current" ]; then
    fail "no release of $service on this host ($state/current is missing)"
  fi
}
previous_release() {
  target=$(docker ps --all --filter label=slipway.service="$service" --filter label=slipway.role=app --format '{{.Names}}' 2>/dev/null | grep -vxF -- "$current" | head -n 1)
  if [ -z "$target" ]; then
    fail "no previous release container of $service is left on this host"
  fi
}
need_container() {
  if ! docker container inspect --format '{{.State.Status}}' "$1" >/dev/null 2>&1; then
    fail "$2 $1 is not on this host"
  fi
}
exit_marked() {
  printf '%s %s\n' "$exit_mark" "$1" >&2
  exit "$1"
}
