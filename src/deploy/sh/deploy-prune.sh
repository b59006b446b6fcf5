# shellcheck shell=sh
# Keeps `keep_releases` old release containers (stopped); removes the rest. The one retiring
# and the warm one are kept, and stopped by their retire after the drain (or the window).
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
docker ps --all --filter label=slipway.service="$service" --filter label=slipway.role=app --format '{{.Names}}' > "$tmp"/containers
kept=0
while IFS= read -r old; do
  if [ "$old" = "$name" ]; then continue; fi
  if [ "$old" = "$retiring" ] || [ "$old" = "$warm_name" ]; then kept=$((kept + 1)); continue; fi
  if [ "$kept" -lt "$keep_releases" ]; then
    kept=$((kept + 1))
    if [ "$(status_of "$old")" = running ]; then docker stop "$old" >/dev/null 2>&1 || true; fi
  else
    docker rm --force "$old" >/dev/null 2>&1 || true
    say "removed the old release container $old"
  fi
done < "$tmp"/containers
