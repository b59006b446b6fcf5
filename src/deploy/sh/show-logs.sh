# shellcheck shell=sh
# `show_logs CONTAINER`: its last 20 log lines, redacted (`redact`), on stderr, for a failure
# (container-lines.ts; the deploy and the accessory script).
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
show_logs() {
  logs=$(docker logs --tail 20 "$1" 2>&1 | redact || true)
  if [ -n "$logs" ]; then
    printf '%s\n' "last 20 log lines of $1:" >&2
    printf '%s\n' "$logs" | sed 's/^/  | /' >&2
  fi
}
