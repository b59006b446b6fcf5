# shellcheck shell=sh
# Stops the root's supervisor (supervisor.ts) once nothing is left under the root but its own
# directory: the removal of the root's last service, accessory or edge.
# Header: supervisor (`<root>/_supervisor`, supervisor.ts SUPERVISOR_DIR), supervisor_root (the
# root, for the message). It waits up to 5 ticks (SUPERVISOR_TICK_SECONDS) for the loop to end.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
if [ -d "$supervisor" ] && [ "$(ls -A "${supervisor%/*}")" = _supervisor ]; then
  rm -f "$supervisor"/supervisor.sh
  pid=$(cat "$supervisor"/pid 2>/dev/null || true)
  if [ -n "$pid" ] && ! flock -n "$supervisor"/lock true 2>/dev/null; then kill "$pid" >/dev/null 2>&1 || true; fi
  flock -w 10 "$supervisor"/lock true 2>/dev/null || true
  rm -rf "$supervisor"
  say "stopped the supervisor of $supervisor_root: nothing is left to supervise"
fi
