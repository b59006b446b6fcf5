# shellcheck shell=sh
# The removal of an accessory (accessory-script.ts accessoryRemoveScript): its container (and
# the one set aside), its volumes when asked, the stack's network with its last container
# (refused while one is attached), its state; the accessories' directory goes with the last
# accessory of the host. Header: stop_seconds, network, volumes (space-separated),
# volume_list (comma-separated, for the message), delete_volumes (1 or 0).
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
owner=$(docker container inspect --format '{{index .Config.Labels "slipway.stack"}}' "$container" 2>/dev/null || true)
if [ -n "$owner" ] && [ "$owner" != "$stack" ]; then
  say "$container on this host belongs to stack $owner; left as it is"
  exit 0
fi
docker stop --time "$stop_seconds" "$container" >/dev/null 2>&1 || true
docker rm --force "$container" >/dev/null 2>&1 || true
docker rm --force "$previous" >/dev/null 2>&1 || true
if [ -z "$volumes" ]; then
  say "removed accessory $service"
elif [ "$delete_volumes" = 1 ]; then
  # shellcheck disable=SC2086 # volume names are plain words, one argument each
  docker volume rm $volumes >/dev/null 2>&1 || true
  say "removed accessory $service and its volumes $volume_list"
else
  say "removed accessory $service; its volumes stay: $volume_list"
fi
docker network rm "$network" >/dev/null 2>&1 || true
rm -rf "$state"
rmdir "$(dirname "$state")" 2>/dev/null || true
