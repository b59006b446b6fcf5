# shellcheck shell=sh
# `"$tmp"/release.json` (record.ts, the one schema) from the entries in `"$tmp"/releases`, newest
# first: the first is the current release, the next record_history the previous ones.
# Header: tmp, record_service, record_stack, record_history.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
{
  printf '{"service":"%s","stack":"%s","current":' "$record_service" "$record_stack"
  awk -v history="$record_history" 'NR == 1 { printf "%s,\"previous\":[", $0; next } NR <= history + 1 { printf "%s%s", (NR > 2 ? "," : ""), $0 } END { print "]}" }' "$tmp"/releases
} > "$tmp"/release.json
chmod 644 "$tmp"/release.json
