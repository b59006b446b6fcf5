# shellcheck shell=sh
# The new release record (record.ts), prepared in "$tmp" before the switch so that nothing
# after it needs disk space: `releases` (this release's entry, then the previous ones, newest
# first, RECORD_HISTORY of them), `current` and `owner`; release.json follows (record-json.sh).
# Committing is renames only (record-commit.sh).
# Header: state, tmp, name (the release container), entry (record.ts entryPrefix: the entry's
# JSON without `deployedAt` and the closing brace), record_stack, record_history.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
deployed_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
{
  printf '%s,"deployedAt":"%s"}\n' "$entry" "$deployed_at"
  if [ -f "$state"/releases ]; then head -n "$record_history" "$state"/releases; fi
} > "$tmp"/releases
printf '%s\n' "$name" > "$tmp"/current
printf '%s\n' "$record_stack" > "$tmp"/owner
chmod 644 "$tmp"/releases "$tmp"/current "$tmp"/owner
