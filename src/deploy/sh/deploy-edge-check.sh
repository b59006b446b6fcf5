# shellcheck shell=sh
# A routed service's deploy: the edge must run; the stack that manages it starts it.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
edge_running=$(docker container inspect --format '{{.State.Running}}' "$edge_container" 2>/dev/null || true)
if [ "$edge_running" != true ]; then
  fail "the edge proxy $edge_container is not running on this host; deploy the stack that manages it (the one with slipway:edge.image) first, or set slipway:edge.image in this stack"
fi
edge_error=
