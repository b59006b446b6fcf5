# shellcheck shell=sh
# The stop script's flow (stop-script.ts): what deleting a service from a host runs.
# Header: host, stack, service, state, edge, edge_container, network (empty: none).
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
if [ ! -d "$state" ] && [ -z "$(docker ps --all --quiet --filter label=slipway.service="$service")" ]; then
  say "$service is not on this host; nothing to stop"
  exit 0
fi
mkdir -p "$state"
