# shellcheck shell=sh
# One stack owns an accessory's container on a host: another stack's deploy is refused.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
owner=$(docker container inspect --format '{{index .Config.Labels "slipway.stack"}}' "$container" 2>/dev/null || true)
if [ -n "$owner" ] && [ "$owner" != "$stack" ]; then
  fail "container $container on this host belongs to stack $owner; rename this accessory or remove it there first"
fi
