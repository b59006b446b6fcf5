# shellcheck shell=sh
# The deploy lock of a directory, `<state>/lock` (fd 9):
# - `take_lock REFUSAL`: `flock -n`, refused with REFUSAL and the holder's owner line. The one
#   holder waited for (30 s at most) is the host's supervisor (supervisor.sh writes the owner
#   line `the supervisor of …` while it holds the lock), for the second it takes to start a
#   stopped container again.
# - `service_lock`: the lock of a deploy, stop or prune; the holder writes who it is and since
#   when to `lock.owner`, so a refused deploy names them.
# The lock is released when the holder's process ends, however it ends, so a lock can only be
# "stale" while its holder still runs (a hung pull, say). `exec` in a function changes the
# script's own descriptors.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
take_lock() {
  exec 9>>"$state"/lock
  if ! flock -n 9; then
    case "$(cat "$state"/lock.owner 2>/dev/null)" in 'the supervisor of '*) flock -w 30 9 ;; *) false ;; esac ||
      fail "$1: $(cat "$state"/lock.owner 2>/dev/null || echo 'holder unknown'); try again when it ends"
  fi
}
service_lock() {
  take_lock "another deploy of $service holds the lock on this host"
  from=${SSH_CLIENT:-}
  from=${from%% *}
  printf 'stack %s, %s from %s (pid %s) since %s\n' "$stack" "$(id -un)" "${from:-this machine}" "$$" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$state"/lock.owner
}
