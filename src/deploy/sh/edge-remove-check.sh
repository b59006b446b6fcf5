# shellcheck shell=sh
# The edge removal (edge-script.ts edgeRemoveScript): nothing to do when the edge is not on
# this host.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
if [ ! -d "$edge" ] && [ -z "$(docker ps --all --quiet --filter label=slipway.edge.of="$edge_name")" ]; then
  say "the edge $edge_name is not on this host; nothing to remove"
  exit 0
fi
mkdir -p "$edge"
