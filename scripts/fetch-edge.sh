#!/usr/bin/env bash
# Puts the static Caddy binaries that scripts/bootstrap-engine.sh built
# ($SLIPWAY_HOME/bin/caddy-linux-{amd64,arm64}) into the edge image's build
# context as examples/edge/bin/<arch>/caddy, with modification time 0, so the edge
# image's digest depends on the binaries' content alone (never on when or
# from which clone they were copied). scripts/fetch-busybox.sh puts busybox
# beside them. Idempotent: an identical copy is left as it is.
#
# Usage: scripts/fetch-edge.sh
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

for arch in amd64 arm64; do
  from="$SLIPWAY_HOME/bin/caddy-linux-$arch"
  to="$SLIPWAY_REPO_ROOT/examples/edge/bin/$arch/caddy"
  [[ -x "$from" ]] || fail "$from is missing: run scripts/bootstrap-engine.sh --only caddy"
  if cmp -s "$from" "$to"; then
    continue
  fi
  mkdir -p "$(dirname "$to")"
  install -m 0755 "$from" "$to.tmp"
  touch -d @0 "$to.tmp"
  mv -f "$to.tmp" "$to"
  echo "fetch-edge: copied $arch caddy to $to"
done
echo "fetch-edge: examples/edge/bin/{amd64,arm64}/caddy ($("$SLIPWAY_HOME/bin/caddy-linux-amd64" version | cut -d' ' -f1))"
