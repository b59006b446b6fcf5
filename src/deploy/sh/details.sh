# shellcheck shell=sh
# `slipway details` on one host (details-script.ts): what really runs there, one tab-separated
# line each; `volume_size <accessory> <volume>` prints a volume's line. Reads only; takes no
# lock. Header: container_format (the Go template of a `container` line), edge (the edge's
# state directory, or empty).
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
printf 'now\t%s\n' "$(date +%s)"
for id in $(docker ps --all --quiet --filter label=slipway.role); do
  docker container inspect --format "$container_format" "$id" 2>/dev/null
done
if [ -n "$edge" ]; then
  for f in "$edge"/routes/*; do
    if [ -f "$f" ]; then awk -v who="${f##*/}" '{ printf "route\t%s\t%s\t%s\n", who, $3, $2 }' "$f"; fi
  done
  for f in "$edge"/upstreams/*; do
    if [ -f "$f" ]; then printf 'upstream\t%s\t%s\n' "${f##*/}" "$(cat "$f")"; fi
  done
fi
volume_size() {
  size=$(du -sk "$(docker volume inspect --format '{{.Mountpoint}}' "$2" 2>/dev/null)" 2>/dev/null | cut -f1); printf 'volume\t%s\t%s\t%s\n' "$1" "$2" "${size:-?}"
}
