# shellcheck shell=sh
# The stop itself (stop-script.ts): takes the service's routes out of the edge first (no new
# requests), then stops and removes its releases and its state directory; the stack's
# network goes once no container is attached to it (Docker refuses while one is).
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
if [ -f "$edge"/routes/"$service" ] || [ -f "$edge"/upstreams/"$service" ]; then
  edge_lock
  rm -f "$edge"/routes/"$service"
  if [ -f "$edge"/config.head ] && edge_render && ! edge_apply; then
    say "the edge did not take the config without $service ($edge_error); it drops the route at its next reload"
  fi
  rm -f "$edge"/upstreams/"$service" "$edge"/upstreams/"$service".preview "$edge"/split/"$service"
  exec 8>&-
fi
containers=$(docker ps --all --quiet --filter label=slipway.service="$service")
count=0
for id in $containers; do
  docker stop "$id" >/dev/null 2>&1 || true
  docker rm --force "$id" >/dev/null
  count=$((count + 1))
done
rm -rf "$state"
say "stopped $service: removed its route and $count release containers; images stay on the host"
if [ -n "$network" ] && docker network rm "$network" >/dev/null 2>&1; then
  say "removed the stack's network $network (no container is left on it)"
fi
