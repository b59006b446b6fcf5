# shellcheck shell=sh
# Runs the release command in its own container (header: `release_command_run`, the
# `docker run` of commands.ts releaseCommandRun; `shown`, the command as text), waits at most
# timeout_seconds for it, shows its last log_lines lines when it fails, and records success in
# the marker. A failure switches nothing on any host.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
fail_with_logs() {
  if [ -n "$logs" ]; then
    printf '%s\n' "last $log_lines lines of the release command:" >&2
    printf '%s\n' "$logs" | sed 's/^/  | /' >&2
  fi
  fail "$1"
}
docker rm --force "$run" >/dev/null 2>&1 || true
say "running the release command of $service: $shown"
started=$(date +%s)
if ! out=$(release_command_run 2>&1); then
  docker rm --force "$run" >/dev/null 2>&1 || true
  fail "cannot start the release command: $(last_line "$out" | redact); nothing switched on any host"
fi
waited=0
code=$(timeout "$timeout_seconds" docker wait "$run" 2>&1) || waited=$?
elapsed=$(( $(date +%s) - started ))
logs=$(docker logs --tail "$log_lines" "$run" 2>&1 | redact || true)
docker rm --force "$run" >/dev/null 2>&1 || true
if [ "$waited" = 124 ]; then
  fail_with_logs "the release command of $digest did not finish within $timeout_seconds s (timeoutSeconds) and was removed; nothing switched on any host"
fi
if [ "$waited" != 0 ]; then
  fail_with_logs "cannot wait for the release command: $(last_line "$code" | redact); nothing switched on any host"
fi
if [ "$code" != 0 ]; then
  fail_with_logs "the release command of $digest exited with code $code after $elapsed s; nothing switched on any host"
fi
if ! (umask 022 && mkdir -p "${marker%/*}" && printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$ref" > "$marker".tmp && mv -f "$marker".tmp "$marker"); then
  fail "the release command of $digest succeeded, but cannot record it under $state (disk full?)"
fi
last=$(last_line "$logs")
say "the release command of $digest succeeded in $elapsed s${last:+; its last line: $last}"
