# shellcheck shell=sh
# The release the rollback replaced stays warm in turn (a roll forward is as quick), then
# stops. Header: drain_seconds, rollback_window.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
keep_warm "$current" "$drain_seconds" "$rollback_window"
# Let go of warm.lock before the background stop starts: it must not inherit it.
exec 6>&-
retire "$current" "$drain_seconds" "$rollback_window"
printf 'switched %s\n' "$name"
