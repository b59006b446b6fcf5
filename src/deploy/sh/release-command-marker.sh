# shellcheck shell=sh
# A release command that succeeded on this host for this digest is not run again (its marker,
# header: release_marker, `release-commands/<digest hex>` under the service's state).
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
marker="$state"/"$release_marker"
if [ -s "$marker" ]; then
  say "the release command of $digest succeeded on this host before ($(cat "$marker")); not run again"
  exit 0
fi
