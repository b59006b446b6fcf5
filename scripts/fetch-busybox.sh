#!/usr/bin/env bash
# Put static busybox binaries into the sample app's build context:
#   examples/app/bin/amd64/busybox   (from Debian's busybox-static:amd64)
#   examples/app/bin/arm64/busybox   (from Debian's busybox-static:arm64)
# and the same two files into the edge image's context (examples/edge/bin/<arch>/busybox).
# The Dockerfiles copy bin/${TARGETARCH}/busybox, so both platforms build
# without a base image and without emulation. The files are gitignored
# (examples/app/.gitignore, examples/edge/.gitignore). Needs the arm64 dpkg architecture
# and package lists: run scripts/install-system.sh first.
#
# Idempotent: does nothing when both binaries are present and are ELF files
# of the right machine type. --force downloads again.
#
# Usage: scripts/fetch-busybox.sh [--force]
set -euo pipefail
# shellcheck source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

APP_BIN="$SLIPWAY_REPO_ROOT/examples/app/bin"
# Other build contexts that need the same binaries (copies of examples/app/bin).
COPY_BINS=("$SLIPWAY_REPO_ROOT/examples/edge/bin")
PKG=busybox-static
force=0
case "${1:-}" in
  --force) force=1 ;;
  "") ;;
  *) fail "usage: $0 [--force]" ;;
esac

# elf_machine FILE: ELF e_machine of FILE (62 = x86-64, 183 = aarch64).
elf_machine() {
  [[ "$(head -c 4 "$1" 2>/dev/null | od -An -c | tr -d ' ')" == '177ELF' ]] || return 1
  od -An -tu2 -j18 -N2 "$1" | tr -d ' '
}

expected_machine() {
  case "$1" in
    amd64) echo 62 ;;
    arm64) echo 183 ;;
    *) return 1 ;;
  esac
}

ok_binary() { # ok_binary ARCH
  local f="$APP_BIN/$1/busybox"
  [[ -x "$f" ]] && [[ "$(elf_machine "$f")" == "$(expected_machine "$1")" ]]
}

# place_copies: examples/app/bin/<arch>/busybox into each of COPY_BINS, when missing or different.
place_copies() {
  local dir arch
  for dir in "${COPY_BINS[@]}"; do
    for arch in amd64 arm64; do
      if ! cmp -s "$APP_BIN/$arch/busybox" "$dir/$arch/busybox"; then
        mkdir -p "$dir/$arch"
        install -m 0755 "$APP_BIN/$arch/busybox" "$dir/$arch/busybox.tmp"
        # Time 0: the images that copy it (the edge) depend on its content only.
        touch -d @0 "$dir/$arch/busybox.tmp"
        mv "$dir/$arch/busybox.tmp" "$dir/$arch/busybox"
        echo "fetch-busybox: copied $arch busybox to $dir/$arch/busybox"
      fi
    done
  done
}

if ((force == 0)) && ok_binary amd64 && ok_binary arm64; then
  place_copies
  echo "fetch-busybox: already present: $APP_BIN/{amd64,arm64}/busybox ($(cat "$APP_BIN/busybox.version" 2>/dev/null || echo 'version unknown'))"
  exit 0
fi

have apt-get || fail "apt-get not found (Debian host expected)"
for arch in amd64 arm64; do
  apt-cache show "$PKG:$arch" >/dev/null 2>&1 ||
    fail "$PKG:$arch is not in the package lists: run scripts/install-system.sh (enables arm64 and updates lists)"
done

t="$(now_ms)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(
  cd "$tmp"
  apt-get download -qq -o APT::Sandbox::User=root "$PKG:amd64" "$PKG:arm64" >/dev/null
) || fail "apt-get download $PKG:amd64 $PKG:arm64 failed"

versions=()
for arch in amd64 arm64; do
  debs=("$tmp/${PKG}_"*"_$arch.deb")
  deb="${debs[0]}"
  [[ -f "$deb" ]] || fail "no $PKG .deb for $arch was downloaded"
  mkdir -p "$tmp/x-$arch" "$APP_BIN/$arch"
  dpkg-deb -x "$deb" "$tmp/x-$arch"
  src="$tmp/x-$arch/bin/busybox"
  [[ -f "$src" ]] || fail "$deb has no bin/busybox"
  [[ "$(elf_machine "$src")" == "$(expected_machine "$arch")" ]] || fail "$deb: bin/busybox is not an $arch ELF binary"
  install -m 0755 "$src" "$APP_BIN/$arch/busybox.tmp"
  mv "$APP_BIN/$arch/busybox.tmp" "$APP_BIN/$arch/busybox"
  versions+=("$arch $(dpkg-deb -f "$deb" Version)")
done
printf '%s %s\n' "$PKG" "${versions[*]}" >"$APP_BIN/busybox.version"
place_copies

echo "fetch-busybox: wrote $APP_BIN/amd64/busybox and $APP_BIN/arm64/busybox ($(cat "$APP_BIN/busybox.version")) in $(elapsed_s "$t") s"
