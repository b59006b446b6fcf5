#!/usr/bin/env bash
# Supply-chain set-up for the local stacks and the tests, outside the repo
# (never committed). Idempotent.
#
#   $SLIPWAY_HOME/state/cosign/cosign.key, cosign.pub
#       the local stacks' cosign key pair (no password): `local` signs with it
#       (slipway:attestations.cosignKeyFile), `local-prod` accepts only digests
#       signed by it (slipway:verify.publicKeyFile). Made once, then kept.
#   $SLIPWAY_HOME/trivy/db/trivy.db, metadata.json
#       trivy's database, written by slipway-trivy-db from the advisories in
#       test/fixtures/supply/advisories.json (trivy's published database cannot
#       be downloaded here). Rewritten when the advisories change, and daily
#       (its metadata says when it was made).
#
# Needs cosign (scripts/install-system.sh) and slipway-trivy-db
# (scripts/bootstrap-engine.sh --only trivy).
#
# Usage: scripts/supply-setup.sh [--keys-only]
#   --keys-only  only the key pair (the unit tests validate local-prod, which names it)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

KEY_DIR="$SLIPWAY_HOME/state/cosign"
DB_DIR="$SLIPWAY_HOME/trivy/db"
ADVISORIES="$SLIPWAY_REPO_ROOT/test/fixtures/supply/advisories.json"

if [[ ! -s "$KEY_DIR/cosign.key" || ! -s "$KEY_DIR/cosign.pub" ]]; then
  have cosign || fail "cosign is missing: run scripts/install-system.sh"
  mkdir -p "$KEY_DIR"
  chmod 0700 "$KEY_DIR"
  rm -f "$KEY_DIR/cosign.key" "$KEY_DIR/cosign.pub"
  (cd "$KEY_DIR" && COSIGN_PASSWORD="" cosign generate-key-pair --output-key-prefix cosign >/dev/null 2>&1) \
    || fail "cosign generate-key-pair failed in $KEY_DIR"
  chmod 0600 "$KEY_DIR/cosign.key"
  log "made the local stacks' cosign key pair: $KEY_DIR/cosign.{key,pub}"
else
  log "cosign key pair: $KEY_DIR/cosign.{key,pub}"
fi

[[ "${1:-}" == "--keys-only" ]] && exit 0

writer="$SLIPWAY_HOME/bin/slipway-trivy-db"
[[ -x "$writer" ]] || fail "$writer is missing: run scripts/bootstrap-engine.sh --only trivy"
stamp="$(sha256sum "$ADVISORIES" | cut -c1-16) $(date -u +%F)"
if [[ "$(cat "$DB_DIR/.slipway-stamp" 2>/dev/null)" != "$stamp" || ! -s "$DB_DIR/trivy.db" ]]; then
  "$writer" -in "$ADVISORIES" -out "$DB_DIR"
  printf '%s' "$stamp" >"$DB_DIR/.slipway-stamp"
  log "wrote trivy's database from $(basename "$ADVISORIES"): $DB_DIR"
else
  log "trivy database: $DB_DIR (advisories unchanged)"
fi
