# shellcheck shell=sh
# `supervise`: installs the root's supervisor (supervisor.ts) and starts it unless one runs.
# Its text comes on stdin (a here-document after the call); it replaces the installed one only
# when it changed. The supervisor runs in its own session with every inherited descriptor but
# the standard ones closed (a deploy's lock must not live on in it). SLIPWAY_SUPERVISOR=off in
# the environment skips both: a host where something else
# supervises the containers.
# Header: supervisor (`<root>/_supervisor`), supervisor_root (the root, for the messages).
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
supervise() {
  if [ "${SLIPWAY_SUPERVISOR:-}" = off ]; then
    :
  elif ! (umask 022 && mkdir -p "$supervisor" && cat > "$supervisor"/supervisor.sh.new) 2>/dev/null; then
    say "cannot write the supervisor under $supervisor: a stopped container does not come back by itself"
  elif cmp -s "$supervisor"/supervisor.sh.new "$supervisor"/supervisor.sh; then
    rm -f "$supervisor"/supervisor.sh.new
  else
    mv -f "$supervisor"/supervisor.sh.new "$supervisor"/supervisor.sh
  fi
  if [ -f "$supervisor"/supervisor.sh ] && [ "${SLIPWAY_SUPERVISOR:-}" != off ] && flock -n "$supervisor"/lock true 2>/dev/null; then
    (umask 022 && setsid sh "$supervisor"/supervisor.sh </dev/null >>"$supervisor"/log 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &)
    say "started the supervisor of $supervisor_root: it starts again a container that the records name when it stops"
  fi
}
