# shellcheck shell=sh
# Reads the payload (payload.ts renderPayload) from stdin. Expects the script's `fail` function
# and a private directory in `$tmp` (mode 0700, removed on exit). Leaves:
# - `$registry_password`: the password (never exported, never echoed; only `printf` pipes it);
# - `"$tmp"/secret.env`: the env lines, mode 0600, for `docker run --env-file`;
# - `"$tmp"/secret.values`: every non-empty secret value, one a line, for `redact`.
# Header (payload.ts): payload_start, payload_end, the payload's first and last lines.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
payload_header=
registry_password=
IFS= read -r payload_header || true
if [ "$payload_header" != "$payload_start" ]; then
  fail "expected Slipway's payload on stdin ($payload_start); run this script through Pulumi, or pipe the payload in"
fi
IFS= read -r registry_password || true
if ! cat > "$tmp"/payload 2>/dev/null; then
  fail "cannot write under $state (disk full?); nothing was changed"
fi
if [ "$(tail -n 1 "$tmp"/payload)" != "$payload_end" ]; then
  fail "the payload on stdin was cut short (no $payload_end line); nothing was changed"
fi
sed '$d' "$tmp"/payload > "$tmp"/secret.env
rm -f "$tmp"/payload
sed -n 's/^[^=]*=\(..*\)$/\1/p' "$tmp"/secret.env > "$tmp"/secret.values
if [ -n "$registry_password" ]; then
  printf '%s\n' "$registry_password" >> "$tmp"/secret.values
fi
