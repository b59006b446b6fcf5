# shellcheck shell=sh
# `service_lock`: `flock -n` on `<state>/lock` (fd 9); the holder writes who it is and since
# when to `lock.owner`, so a refused deploy names them. The lock is released when the holder's
# process ends, however it ends, so a lock can only be "stale" while its holder still runs (a
# hung pull, say). `exec` in a function changes the script's own descriptors.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
service_lock() {
  exec 9>>"$state"/lock
  if ! flock -n 9; then
    fail "another deploy of $service holds the lock on this host: $(cat "$state"/lock.owner 2>/dev/null || echo 'holder unknown'); try again when it ends"
  fi
  from=${SSH_CLIENT:-}
  from=${from%% *}
  printf 'stack %s, %s from %s (pid %s) since %s\n' "$stack" "$(id -un)" "${from:-this machine}" "$$" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$state"/lock.owner
}
