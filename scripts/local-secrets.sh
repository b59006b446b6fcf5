#!/usr/bin/env bash
# The local stacks' own secrets, outside the repo (never committed), made once
# per machine and then kept (their accessories' data was initialised with them):
#
#   $SLIPWAY_HOME/state/secrets/postgres-password        local's PostgreSQL
#   $SLIPWAY_HOME/state/secrets/postgres-prod-password   local-prod's PostgreSQL
#
# Each is 32 random hex characters, mode 0600. The stacks read them with
# slipway:services.<name>.secretEnvFiles / slipway:accessories.<name>.secretEnvFiles,
# so the values travel to the hosts like any Pulumi secret: over stdin into a
# 0600 env file, never in a command line, a log or a stack output.
#
# Usage: scripts/local-secrets.sh
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

DIR="$SLIPWAY_STATE/secrets"
mkdir -p "$DIR"
chmod 0700 "$DIR"
made=()
for name in postgres-password postgres-prod-password; do
  file="$DIR/$name"
  if [[ -s "$file" ]]; then
    continue
  fi
  (umask 077 && od -An -tx1 -N16 /dev/urandom | tr -d ' \n' > "$file.tmp")
  mv -f "$file.tmp" "$file"
  made+=("$name")
done
if [[ ${#made[@]} -gt 0 ]]; then
  log "made ${made[*]} in $DIR"
else
  log "local secrets: $DIR (kept)"
fi
