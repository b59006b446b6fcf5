# shellcheck shell=sh
# Waits for the release's health (wait_healthy); an unhealthy new release is removed and the
# previous one keeps serving. Header: health_timeout (seconds).
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
started_at=$(date +%s)
if ! wait_healthy; then
  show_logs "$name"
  answer=$(printf '%s\n' "$answer" | one_line)
  if [ "$mode" = current ]; then
    fail "release $digest is serving as $name but its health check fails; left as it is; last health response: $answer"
  fi
  docker rm --force "$name" >/dev/null 2>&1 || true
  if [ -n "$current_digest" ]; then kept="release $current_digest keeps serving"; else kept="nothing was serving before"; fi
  fail "release $digest did not become healthy within $health_timeout s, removed it, $kept; last health response: $answer"
fi
say "release $digest is healthy after $(( $(date +%s) - started_at )) s"
