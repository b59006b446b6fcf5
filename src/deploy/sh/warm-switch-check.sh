# shellcheck shell=sh
# The warm release must run `$digest` and answer its health check; the host's record must
# have its entry. The health request (through the edge, as a deploy checks a release) runs
# in the background while the container is inspected and the record is written in a private
# directory as a deploy of that release writes it: its entry first, switched now. Nothing
# is switched before the request answered.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
name=$warm_name
if [ -z "$name" ]; then fallback "no warm release (its rollback window ended, or is 0)"; fi
tmp=$(mktemp -d "$state"/tmp.XXXXXX)
# Without the locks (fds 9 and 6): a request left running after a fallback must not hold them.
warm_health > "$tmp"/health 2>&1 9>&- 6>&- &
health=$!
if ! seen=$(docker container inspect --format '{{.State.Status}} {{index .Config.Labels "slipway.digest"}}' "$name" 2>/dev/null); then fallback "the warm container $name is gone"; fi
if [ "${seen%% *}" != running ]; then fallback "the warm container $name is ${seen%% *}"; fi
if [ "${seen#* }" != "$digest" ]; then fallback "the warm release $name runs ${seen#* }, not $digest"; fi
line=$(grep -F "\"digest\":\"$digest\"" "$state"/releases 2>/dev/null | head -n 1 || true)
if [ -z "$line" ]; then fallback "the host's release record has no entry for $digest"; fi
read -r current < "$state"/current || true
{
  printf '%s"deployedAt":"%s"}\n' "${line%\"deployedAt\"*}" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  head -n "$record_history" "$state"/releases
} > "$tmp"/releases
if ! wait "$health"; then
  answer=$(cat "$tmp"/health)
  fallback "the warm container $name is unhealthy: $(printf '%s' "$answer" | tr '\n' ' ' | cut -c1-200)"
fi
