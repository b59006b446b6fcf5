#!/usr/bin/env bash
# Builds the demo API (examples/api/, Go, github.com/jackc/pgx/v5 through the Go module proxy)
# for linux/amd64 and linux/arm64, static (CGO_ENABLED=0), reproducible (-trimpath, no
# VCS stamp, empty build id), into a cache keyed by the source:
#   $SLIPWAY_HOME/api/<key>/api-linux-<arch>   (key: examples/api/*.go but tests, go.mod, go.sum,
#                                                the Go version)
# and puts it in the image's build context as examples/api/bin/<arch>.tar (gitignored), which
# examples/api/Dockerfile ADDs: ./api (0755) and ./tmp (1777: a FROM scratch image has no /tmp,
# and no RUN step may make one; the worker touches /tmp/alive), owner 0, mtime 0, so the
# image's digest depends on the source alone. The tarball's own mtime comes from its
# content (content_mtime in lib/common.sh): BuildKit's context transfer skips a file
# whose size and mtime did not change, and a rebuilt binary can keep its size.
# Idempotent: a cached build is reused, an identical tarball is left as it is.
#
# Usage: scripts/build-api.sh [--force]
set -euo pipefail
# shellcheck source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

SRC="$SLIPWAY_REPO_ROOT/examples/api"
force=0
case "${1:-}" in
  --force) force=1 ;;
  "") ;;
  *) fail "usage: $0 [--force]" ;;
esac
have go || fail "Go is not installed (needed to build examples/api/)"

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
      -ldflags "-s -w -buildid=" -o "$bin.tmp" .) || fail "go build of examples/api/ for $arch failed"
    mv -f "$bin.tmp" "$bin"
    built+=("$arch in $(elapsed_s "$t") s")
  fi
  if [[ ! -f "$cache/$arch.tar" ]]; then
    stage="$(mktemp -d)"
    install -m 0755 "$bin" "$stage/api"
    mkdir -m 1777 "$stage/tmp"
    tar --format=gnu --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
      -C "$stage" -cf "$cache/$arch.tar.tmp" ./api ./tmp
    content_mtime "$cache/$arch.tar.tmp"
    mv -f "$cache/$arch.tar.tmp" "$cache/$arch.tar"
    rm -rf "$stage"
  fi
  to="$SRC/bin/$arch.tar"
  if [[ "$(stat -c %Y "$cache/$arch.tar")" != "$(stat -c %Y "$to" 2>/dev/null)" ]] || ! cmp -s "$cache/$arch.tar" "$to"; then
    mkdir -p "$SRC/bin"
    install -m 0644 "$cache/$arch.tar" "$to.tmp"
    touch -r "$cache/$arch.tar" "$to.tmp"
    mv -f "$to.tmp" "$to"
  fi
done
what="cached"
((${#built[@]} == 0)) || what="built ${built[*]}"
echo "build-api: examples/api/bin/{amd64,arm64}.tar (source $key, $what) in $(elapsed_s "$start") s"
