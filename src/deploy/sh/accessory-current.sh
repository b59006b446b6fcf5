# shellcheck shell=sh
# The same definition: the container is left running, or started again. Header: health_timeout.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
if [ "$running_spec" = "$spec" ]; then
  if [ "$(status_of "$container")" = running ]; then
    say "accessory $service is up to date as $container; left running"
    exit 0
  fi
  say "starting accessory $service ($container) again"
  docker start "$container" >/dev/null
  if ! wait_healthy; then
    show_logs "$container"
    fail "accessory $service did not become healthy within $health_timeout s after a start: $(printf '%s' "$answer" | redact | tr '\n' ' ' | cut -c1-300)"
  fi
  say "accessory $service is healthy"
  exit 0
fi
