# shellcheck shell=sh
# The accessory's named volumes (header: volumes, their Docker names), created when missing;
# they survive every release, rollback and restart.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
for volume in $volumes; do
  if ! docker volume inspect "$volume" >/dev/null 2>&1; then
    if ! out=$(docker volume create --label slipway.stack="$stack" --label slipway.accessory="$service" "$volume" 2>&1); then
      fail "cannot create volume $volume: $(last_line "$out")"
    fi
    say "created volume $volume"
  fi
done
