# shellcheck shell=sh
# The edge goes only when no service routes through it any more (the routes of other stacks
# keep it); its data volume (certificates, the internal CA) stays. The edges' directory goes
# with the last edge of the host. Header: edge_network, data_volume, stop_seconds.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
edge_lock
# shellcheck disable=SC2012 # route files are named after services: plain words
users=$(ls "$edge"/routes 2>/dev/null | paste -sd" " - || true)
if [ -n "$users" ]; then
  say "the edge $edge_name stays: services $users still route through it"
  exit 0
fi
for id in $(docker ps --all --quiet --filter label=slipway.edge.of="$edge_name"); do
  docker stop --time "$stop_seconds" "$id" >/dev/null 2>&1 || true
  docker rm --force "$id" >/dev/null 2>&1 || true
done
docker network rm "$edge_network" >/dev/null 2>&1 || true
rm -rf "$edge"
rmdir "$(dirname "$edge")" 2>/dev/null || true
say "removed the edge $edge_name; its certificates stay in volume $data_volume"
