# shellcheck shell=sh
# After the switch: the previous release drains and stops in the background (the next deploy
# waits for the drain), after the rollback window when it stays warm; a warm release of before
# goes. The window is 0 when it is off, or when the host's available memory is below the
# service's memory limit (the warm release keeps its limit). Then the old releases beyond
# keep_releases go.
# Header: drain_seconds, rollback_window, memory and memory_kib (empty: no limit), keep_releases.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
retiring=
if [ "$mode" = new ]; then
  rm -f "$state"/warm
  warm_name=
fi
if [ "$mode" = new ] && [ -n "$current" ] && [ "$current" != "$name" ] && [ "$(status_of "$current")" = running ]; then
  retiring=$current
  warm_for=$rollback_window
  if [ "$warm_for" -gt 0 ] && [ -n "$memory_kib" ]; then
    avail_kb=$(awk '$1 == "MemAvailable:" { print $2 }' /proc/meminfo 2>/dev/null || true)
    if [ -n "$avail_kb" ] && [ "$avail_kb" -lt "$memory_kib" ]; then
      warm_for=0
      say "not keeping $current running for the rollback window: this host has $((avail_kb / 1024)) MiB of memory available, less than the memory limit of $service ($memory)"
    fi
  fi
  if [ "$warm_for" -gt 0 ]; then
    keep_warm "$current" "$drain_seconds" "$warm_for"
    warm_name=$current
    say "the previous release $current stays running without traffic for $warm_for s after a $drain_seconds s drain (rollback window: slipway rollback switches back to it at once), then stops in the background"
  else
    say "the previous release $current stops after a $drain_seconds s drain, in the background (kept for rollback)"
  fi
  retire "$current" "$drain_seconds" "$warm_for"
fi
if [ "$mode" = new ]; then
  say "release $digest is serving as $name"
else
  say "release $digest is serving; nothing to change"
fi
