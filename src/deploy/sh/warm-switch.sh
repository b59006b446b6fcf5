# shellcheck shell=sh
# The instant rollback (warm-switch-script.ts): switches the edge back to the warm release of
# `$digest` when it still runs healthy, under the service's lock and warm.lock; anything
# else prints `fallback <why>` (the CLI then runs a full deploy). Header: digest,
# canary_abort_wait (seconds a canary walk gets to stop) and `warm_health` (the health path
# by name from inside the edge). Then the record is prepared
# (record.ts) and warm-switch-commit.sh switches.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
fallback() { printf 'fallback %s\n' "$*"; exit 0; }
if [ ! -f "$state"/current ]; then fallback "no release of $service on this host"; fi
exec 9>>"$state"/lock
if ! flock -n 9; then
  # A canary walking (its split file in force): a rollback stops it (deploy-canary.sh reads
  # `canary-abort` every second), then switches once the walk let go of the lock.
  if [ ! -s "$edge"/split/"$service" ]; then fallback "a deploy of $service is running on this host"; fi
  printf 'slipway rollback to %s (%s)\n' "$digest" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$state"/canary-abort
  if ! flock -w "$canary_abort_wait" 9; then fallback "a canary of $service is walking on this host and did not stop within $canary_abort_wait s"; fi
  # Stopped: every request is on the release that served before it, maybe the one asked for.
  printf 'canary-stopped\n'
  serving=$(cat "$state"/current 2>/dev/null || true)
  if [ -n "$serving" ] && [ "$(docker container inspect --format '{{index .Config.Labels "slipway.digest"}}' "$serving" 2>/dev/null)" = "$digest" ]; then
    printf 'switched %s\n' "$serving"
    exit 0
  fi
fi
# The background stop of a warm release takes this lock to check that it is still warm.
exec 6>>"$state"/warm.lock
flock 6
