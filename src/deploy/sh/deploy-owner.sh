# shellcheck shell=sh
# The deploy (deploy-script.ts), after the lock: private dirs of earlier runs that were killed
# (SIGKILL skips the cleanup; we hold the lock) go; then one stack owns a service on a host:
# another stack's deploy is refused, naming it. Header: rename_hint (how to rename the service).
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
find "$state" -maxdepth 1 -name 'tmp.*' ! -path "$tmp" -exec rm -rf {} +

owner=$(cat "$state"/owner 2>/dev/null || true)
if [ -z "$owner" ]; then
  owner=$(docker ps --all --filter label=slipway.service="$service" --format '{{.Label "slipway.stack"}}' 2>/dev/null | grep -v '^$' | head -n 1 || true)
fi
if [ -n "$owner" ] && [ "$owner" != "$stack" ]; then
  fail "service $service on this host belongs to stack $owner; deploy it from that stack, destroy it there first, or give this stack's service another name ($rename_hint)"
fi
