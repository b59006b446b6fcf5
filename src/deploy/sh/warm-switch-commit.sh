# shellcheck shell=sh
# The switch of the instant rollback: one rename of the upstream file, which the edge reads
# afresh for every request; then the record (record.ts). Header: container_port.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
printf '%s\n' "$name" > "$tmp"/current
printf '%s\n' "$stack" > "$tmp"/owner
printf '%s\n' "$name:$container_port" > "$tmp"/upstream
chmod 644 "$tmp"/releases "$tmp"/release.json "$tmp"/current "$tmp"/owner "$tmp"/upstream
mv -f "$tmp"/upstream "$edge"/upstreams/"$service"
