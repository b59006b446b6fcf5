#!/usr/bin/env bash
# Builds the demo API (api/, Go, github.com/jackc/pgx/v5 through the Go module proxy)
# for linux/amd64 and linux/arm64, static (CGO_ENABLED=0), reproducible (-trimpath, no
# VCS stamp, empty build id), into a cache keyed by the source:
#   $SLIPWAY_HOME/api/<key>/api-linux-<arch>   (key: api/*.go but tests, go.mod, go.sum,
#                                                the Go version)
# and copies each binary with modification time 0 to api/bin/<arch>/api (gitignored),
# which api/Dockerfile copies, so the image's digest depends on the source alone; and
# api/bin/tmp.tar, the image's /tmp (mode 1777, mtime 0: the worker's /tmp/alive), since
# a FROM scratch image has no /tmp and no RUN step may make one.
# Idempotent: a cached build is reused, an identical copy is left as it is.
#
# Usage: scripts/build-api.sh [--force]
set -euo pipefail
# shellcheck source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

SRC="$SLIPWAY_REPO_ROOT/api"
force=0
case "${1:-}" in
  --force) force=1 ;;
  "") ;;
  *) fail "usage: $0 [--force]" ;;
esac
have go || fail "Go is not installed (needed to build api/)"

start="$(now_ms)"
key="$( (cd "$SRC" && find . -maxdepth 1 -type f \( -name '*.go' ! -name '*_test.go' -o -name go.mod -o -name go.sum \) -print0 |
  LC_ALL=C sort -z | xargs -0 sha256sum && go version) | sha256sum | cut -c1-16)"
cache="$SLIPWAY_HOME/api/$key"
mkdir -p "$cache"
built=()
for arch in amd64 arm64; do
  bin="$cache/api-linux-$arch"
  if ((force == 1)) || [[ ! -x "$bin" ]]; then
    t="$(now_ms)"
    (cd "$SRC" && CGO_ENABLED=0 GOOS=linux GOARCH="$arch" go build -trimpath -buildvcs=false \
      -ldflags "-s -w -buildid=" -o "$bin.tmp" .) || fail "go build of api/ for $arch failed"
    mv -f "$bin.tmp" "$bin"
    built+=("$arch in $(elapsed_s "$t") s")
  fi
  to="$SRC/bin/$arch/api"
  if ! cmp -s "$bin" "$to"; then
    mkdir -p "$(dirname "$to")"
    install -m 0755 "$bin" "$to.tmp"
    touch -d @0 "$to.tmp"
    mv -f "$to.tmp" "$to"
  fi
done
tmpdir="$(mktemp -d)"
mkdir -m 1777 "$tmpdir/tmp"
tar --format=gnu --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$tmpdir" -cf "$tmpdir/tmp.tar" ./tmp
if ! cmp -s "$tmpdir/tmp.tar" "$SRC/bin/tmp.tar"; then
  install -m 0644 "$tmpdir/tmp.tar" "$SRC/bin/tmp.tar"
  touch -d @0 "$SRC/bin/tmp.tar"
fi
rm -rf "$tmpdir"
what="cached"
((${#built[@]} == 0)) || what="built ${built[*]}"
echo "build-api: api/bin/{amd64,arm64}/api (source $key, $what) in $(elapsed_s "$start") s"
