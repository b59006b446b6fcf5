# shellcheck shell=sh
# `slipway lock release` (host-locks.ts): `check_one KIND NAME DIR` refuses a lock another
# stack holds unless `force`; `release_one KIND NAME DIR` ends the processes that hold a held
# lock open (TERM; KILL after release_wait seconds) and prints `<released_mark><TAB>kind<TAB>
# name<TAB>pids`. Header: stack, force (1 or 0), release_wait, released_mark.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
# holders FILE: the processes that have FILE open (the lock's holders).
holders() {
  for p in /proc/[0-9]*; do
    for fd in "$p"/fd/*; do
      if [ "$(readlink "$fd" 2>/dev/null)" = "$1" ]; then printf '%s ' "${p#/proc/}"; break; fi
    done
  done
}
check_one() {
  lock_line "$1" "$2" "$3"
  if [ "$st" != held ]; then return 0; fi
  holder=${owner#stack }
  holder=${holder%%,*}
  holder=${holder%% *}
  if [ "$holder" != "$stack" ] && [ "$force" != 1 ]; then
    fail "the $1 lock of $2 is held by another stack: $owner; pass --force to end its holder"
  fi
}
release_one() {
  if flock -n "$3"/lock true 2>/dev/null || [ ! -e "$3"/lock ]; then return 0; fi
  pids=$(holders "$3"/lock)
  if [ -z "$pids" ]; then fail "the $1 lock of $2 is held, but no process visible to $(id -un) holds it"; fi
  # shellcheck disable=SC2086 # process ids, one argument each
  kill -TERM $pids 2>/dev/null
  waited=0
  while ! flock -n "$3"/lock true 2>/dev/null && [ "$waited" -lt "$((release_wait * 5))" ]; do
    sleep 0.2 2>/dev/null || sleep 1
    waited=$((waited + 1))
  done
  # shellcheck disable=SC2086 # process ids, one argument each
  if ! flock -n "$3"/lock true 2>/dev/null; then kill -KILL $pids 2>/dev/null; sleep 1; fi
  if ! flock -n "$3"/lock true 2>/dev/null; then fail "the $1 lock of $2 is still held after ending $pids"; fi
  printf '%s\t%s\t%s\t%s\n' "$released_mark" "$1" "$2" "$pids"
}
