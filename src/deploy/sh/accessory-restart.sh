# shellcheck shell=sh
# `slipway accessory restart` on one host (operations.ts accessoryRestartScript): under the
# accessory's deploy lock, a clean stop and a start of the same container (its volumes stay
# mounted, nothing is recreated), then the wait until it is healthy (`wait_healthy`, from
# container-lines.ts). Prints `restarted <seconds>` on success.
# Header: stack, service (the accessory's name), container, state (its state directory),
# stop_seconds, health_timeout.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
need_container "$container" "accessory container"
owner=$(docker container inspect --format '{{index .Config.Labels "slipway.stack"}}' "$container" 2>/dev/null)
if [ "$owner" != "$stack" ]; then
  fail "container $container on this host belongs to stack $owner, not $stack"
fi
take_lock "a deploy of accessory $service holds its lock on this host"
printf 'stack %s, %s (restart, pid %s) since %s\n' "$stack" "$(id -un)" "$$" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$state"/lock.owner
started_at=$(date +%s)
if ! out=$(docker stop --time "$stop_seconds" "$container" 2>&1) || ! out=$(docker start "$container" 2>&1); then
  fail "cannot restart $container: $(last_line "$out")"
fi
if ! wait_healthy; then
  fail "$container did not become healthy within $health_timeout s after the restart: $(printf '%s' "$answer" | tr '\n' ' ' | cut -c1-200)"
fi
printf 'restarted %s\n' "$(( $(date +%s) - started_at ))"
