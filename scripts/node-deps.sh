#!/usr/bin/env bash
# Install the project's npm dependencies exactly as package-lock.json pins them.
# Idempotent: skipped when node_modules already matches the lock file.
# npm here does not run dependencies' install scripts unless approved; nothing in
# Slipway needs them (Pulumi plugins come from scripts/bootstrap-engine.sh).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$SLIPWAY_REPO_ROOT"

stamp=node_modules/.slipway-lock.sha256
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  log "node modules: up to date"
  exit 0
fi
start="$(now_ms)"
npm ci --no-audit --no-fund --loglevel=error
printf '%s\n' "$want" >"$stamp"
log "node modules: installed in $(elapsed_s "$start") s"
