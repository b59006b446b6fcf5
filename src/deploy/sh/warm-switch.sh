# shellcheck shell=sh
# The instant rollback (warm-switch-script.ts): switches the edge back to the warm release of
# `$digest` when it still runs healthy, under the service's lock and warm.lock; anything
# else prints `fallback <why>` (the CLI then runs a full deploy). Header: digest and
# `warm_health` (the health path by name from inside the edge). Then the record is prepared
# (record.ts) and warm-switch-commit.sh switches.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
fallback() { printf 'fallback %s\n' "$*"; exit 0; }
if [ ! -f "$state"/current ]; then fallback "no release of $service on this host"; fi
exec 9>>"$state"/lock
if ! flock -n 9; then fallback "a deploy of $service is running on this host"; fi
# The background stop of a warm release takes this lock to check that it is still warm.
exec 6>>"$state"/warm.lock
flock 6
