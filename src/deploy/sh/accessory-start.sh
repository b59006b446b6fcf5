# shellcheck shell=sh
# A changed definition: the old container steps aside (stopped, same volumes free) as
# `$previous`, the new one starts (header: `accessory_run`) and must become healthy; else it
# goes and the previous one runs again. Header: stop_seconds, health_timeout.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
docker rm --force "$previous" >/dev/null 2>&1 || true
if [ "$(status_of "$container")" != missing ]; then
  say "stopping $container for its new definition"
  docker stop --time "$stop_seconds" "$container" >/dev/null 2>&1 || true
  if ! out=$(docker rename "$container" "$previous" 2>&1); then
    fail "cannot set $container aside as $previous: $(last_line "$out")"
  fi
fi
say "starting accessory $service as $container"
if ! out=$(accessory_run 2>&1) || ! wait_healthy; then
  if [ -z "${answer:-}" ]; then answer=$(last_line "$out" | redact); fi
  if [ "$(status_of "$container")" != missing ]; then show_logs "$container"; fi
  docker rm --force "$container" >/dev/null 2>&1 || true
  if [ "$(status_of "$previous")" != missing ]; then
    docker rename "$previous" "$container"
    docker start "$container" >/dev/null 2>&1 || true
    kept="its previous definition runs again"
  else
    kept="nothing ran before"
  fi
  fail "accessory $service did not start healthy within $health_timeout s, removed it, $kept: $(printf '%s' "$answer" | redact | tr '\n' ' ' | cut -c1-300)"
fi
docker rm --force "$previous" >/dev/null 2>&1 || true
rm -f "$tmp"/secret.env
say "accessory $service is healthy as $container"
