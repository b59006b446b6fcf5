# shellcheck shell=sh
# The edge script (edge-script.ts): the edge's state directory (routes, upstreams) and its
# private temp directory.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
if ! (umask 022 && mkdir -p "$edge"/routes "$edge"/upstreams) 2>/dev/null; then
  fail "cannot create $edge: the deploy user $(id -un) needs write access to it"
fi
tmp=$(mktemp -d "$edge"/tmp.XXXXXX)
edge_error=
