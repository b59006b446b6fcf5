#!/usr/bin/env bash
# Root file systems of the accessory images (examples/accessories/postgres, examples/accessories/redis), for
# linux/amd64 and linux/arm64, from Debian packages, without emulation and without a base
# image (none can be pulled here):
#
#   1. `debootstrap --foreign --variant=minbase --include=<every image's packages>` per
#      architecture downloads each package the images need into
#      $SLIPWAY_HOME/accessories/debootstrap/<suite>-<arch>-<key>/var/cache/apt/archives
#      (it unpacks only the base, and runs nothing: no qemu). The mirror is the host's,
#      read from its apt source at run time.
#   2. Per image and architecture, the dependency closure of the image's root packages
#      (Pre-Depends and Depends, first alternative that exists) minus SKIP (maintainer
#      tooling, perl, locales, LLVM for the JIT, ...) is unpacked with `dpkg-deb`; no
#      maintainer script runs. What the server does not need (docs but the copyright
#      files, man pages, translations, the JIT) is removed; the image's users, groups,
#      directories and files (examples/accessories/<image>/files/: the entrypoint) are added, and a
#      dpkg status file lists the unpacked packages (for SBOMs and scanners).
#   3. The tree becomes a reproducible tarball (sorted, mtime 0, numeric owners kept:
#      the server's directories belong to uid 999)
#      $SLIPWAY_HOME/accessories/<image>/<key>/rootfs-<arch>.tar, keyed by the suite, the
#      package lists, the image's files and this script; it is copied with mtime 0 to
#      examples/accessories/<image>/rootfs/<arch>.tar (gitignored), which the Dockerfile ADDs. Its
#      own mtime comes from its content (content_mtime): ADD unpacks it, so the image sees
#      only the mtimes inside, but BuildKit's context transfer skips a file whose size and
#      mtime did not change, and tarballs (10 KiB records) often keep their size.
#
# Idempotent: a cached download or tarball is reused, an identical copy is left alone.
# Prints one summary line on stdout. --force rebuilds the tarballs (not the downloads).
#
# Usage: scripts/fetch-accessories.sh [--force] [IMAGE...]   (images: postgres redis)
set -euo pipefail
# shellcheck source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

SUITE=trixie
ARCHES=(amd64 arm64)
ALL_IMAGES=(postgres redis)
# The packages each image is made of (their dependencies follow), base-files first: it
# ships the /bin, /lib, /lib64 and /sbin links into /usr.
ROOTS_postgres="base-files libc-bin tzdata dash coreutils util-linux postgresql-17 postgresql-client-17"
ROOTS_redis="base-files dash coreutils sed util-linux redis-server redis-tools"
# Never unpacked, and their dependencies are not followed: package tooling and maintainer
# script helpers (no maintainer script runs), perl (only postgresql-common's wrappers use
# it; the images call the versioned binaries), locales (initdb uses the builtin C.UTF-8),
# LLVM (the JIT is left out), the snakeoil certificate.
SKIP="adduser apt base-passwd debconf debconf-2.0 debianutils dpkg init-system-helpers
  libc-l10n libllvm19 locales locales-all logrotate lsb-base perl perl-base perl-modules-5.40
  libperl5.40 libjson-perl libipc-run-perl libio-pty-perl postgresql-common
  postgresql-common-dev postgresql-client-common sensible-utils ssl-cert ucf"
# Removed from every tree (paths under the root; globs).
PRUNE="usr/share/man usr/share/info usr/share/locale usr/share/lintian usr/share/bug
  usr/share/bash-completion usr/share/zsh usr/share/menu usr/share/gdb usr/share/doc-base
  usr/share/zoneinfo/right usr/lib/*-linux-gnu/gconv usr/lib/postgresql/*/lib/llvmjit*
  usr/lib/postgresql/*/lib/bitcode usr/share/postgresql/*/man var/cache/* var/log/*
  etc/init.d etc/logrotate.d etc/cron.daily"

IMAGES_DIR="$SLIPWAY_REPO_ROOT/examples/accessories"
CACHE="$SLIPWAY_HOME/accessories"
force=0
images=()
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    postgres | redis) images+=("$arg") ;;
    *) fail "usage: $0 [--force] [postgres] [redis]" ;;
  esac
done
((${#images[@]} > 0)) || images=("${ALL_IMAGES[@]}")

roots_of() { # roots_of IMAGE
  local var="ROOTS_$1"
  printf '%s' "${!var}"
}

# hash16 STRING...: first 16 hex digits of the SHA-256 of the arguments.
hash16() {
  printf '%s\n' "$@" | sha256sum | cut -c1-16
}

# files_hash IMAGE: hash of the image's added files (names, modes and content).
files_hash() {
  (cd "$IMAGES_DIR/$1/files" && find . -type f -print0 | LC_ALL=C sort -z |
    xargs -0 stat -c '%n %a' | sha256sum && find . -type f -print0 | LC_ALL=C sort -z |
    xargs -0 sha256sum) | sha256sum | cut -c1-16
}

all_roots() {
  local image
  for image in "${ALL_IMAGES[@]}"; do roots_of "$image" && echo; done | tr ' ' '\n' | sed '/^$/d' | LC_ALL=C sort -u
}

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock -w 3600 9 || fail "another fetch-accessories holds $CACHE/.lock"
start="$(now_ms)"

# ---- 1. downloads ------------------------------------------------------------------

# download_dir ARCH: the debootstrap target holding every package for ARCH (made once).
download_dir() {
  local arch="$1" includes key dir mirror log
  includes="$(all_roots | paste -sd, -)"
  key="$(hash16 "$SUITE" "$arch" "$includes")"
  dir="$CACHE/debootstrap/$SUITE-$arch-$key"
  if [[ -f "$dir/.complete" ]]; then
    printf '%s' "$dir"
    return 0
  fi
  have debootstrap || fail "debootstrap is not installed: run scripts/install-system.sh"
  mirror="$(debian_source_field URIs | awk '{print $1}')"
  [[ -n "$mirror" ]] || fail "no Debian mirror in $SLIPWAY_DEBIAN_SOURCES (bookworm stanza, URIs)"
  rm -rf "$dir"
  mkdir -p "$dir"
  log="$CACHE/debootstrap/$SUITE-$arch-$key.log"
  local t
  t="$(now_ms)"
  log "debootstrap --foreign $SUITE $arch (downloads only; log $log) ..."
  if ! debootstrap --foreign --variant=minbase --arch "$arch" --include="$includes" \
    "$SUITE" "$dir" "$mirror" >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    fail "debootstrap --foreign --arch $arch $SUITE failed (full log: $log)"
  fi
  touch "$dir/.complete"
  log "debootstrap $SUITE $arch: $(find "$dir/var/cache/apt/archives" -name '*.deb' | wc -l) packages in $(elapsed_s "$t") s"
  printf '%s' "$dir"
}

# ---- 2. one tree per image and architecture ---------------------------------------

# closure ARCHIVES ROOTS: the .deb files of ROOTS and their dependencies, one a line.
closure() {
  local archives="$1" roots="$2" deb
  for deb in "$archives"/*.deb; do
    dpkg-deb -f "$deb" Package Pre-Depends Depends Provides |
      awk -v file="$deb" '
        /^Package:/ { pkg = $2 }
        /^(Pre-Depends|Depends):/ { sub(/^[^:]*: */, ""); deps = deps (deps ? ", " : "") $0 }
        /^Provides:/ { sub(/^[^:]*: */, ""); prov = $0 }
        END {
          printf "P\t%s\t%s\t%s\n", pkg, file, deps
          n = split(prov, p, ",")
          for (i = 1; i <= n; i++) { v = p[i]; sub(/\(.*/, "", v); gsub(/[ \t]/, "", v); printf "V\t%s\t%s\n", v, pkg }
        }'
  done | awk -F'\t' -v roots="$roots" -v skip="$SKIP" '
    function clean(name) { sub(/\(.*/, "", name); sub(/:any/, "", name); gsub(/[ \t\n]/, "", name); return name }
    $1 == "P" { file[$2] = $3; deps[$2] = $4 }
    $1 == "V" && !($2 in prov) { prov[$2] = $3 }
    END {
      n = split(skip, s, /[ \t\n]+/); for (i = 1; i <= n; i++) if (s[i] != "") skipped[s[i]] = 1
      n = split(roots, r, " "); tail = 0
      for (i = 1; i <= n; i++) {
        if (!(r[i] in file)) { print "root package " r[i] " was not downloaded" > "/dev/stderr"; exit 2 }
        if (!(r[i] in seen)) { seen[r[i]] = 1; queue[tail++] = r[i] }
      }
      for (head = 0; head < tail; head++) {
        p = queue[head]; print file[p]
        m = split(deps[p], groups, ",")
        for (g = 1; g <= m; g++) {
          k = split(groups[g], alts, "|"); chosen = ""; decided = 0
          for (a = 1; a <= k && !decided; a++) {
            name = clean(alts[a])
            if (name in skipped) decided = 1
            else if (name in file) { chosen = name; decided = 1 }
            else if (name in prov && !(prov[name] in skipped)) { chosen = prov[name]; decided = 1 }
            else if (name in prov) decided = 1
          }
          if (!decided) { print p ": no package for dependency \"" groups[g] "\"" > "/dev/stderr"; exit 2 }
          if (chosen != "" && !(chosen in seen)) { seen[chosen] = 1; queue[tail++] = chosen }
        }
      }
    }'
}

# customize IMAGE ROOT: the image's own users, directories and settings.
customize() {
  local image="$1" root="$2"
  mkdir -p "$root/etc" "$root/tmp" "$root/root"
  chmod 1777 "$root/tmp"
  chmod 0700 "$root/root"
  # As on an installed system (base-files ships them as directories): /var/run is /run,
  # where PostgreSQL's socket directory is.
  rm -rf "$root/var/run" "$root/var/lock"
  mkdir -p "$root/run/lock"
  ln -s /run "$root/var/run"
  ln -s /run/lock "$root/var/lock"
  case "$image" in
    postgres)
      printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' \
        'postgres:x:999:999:PostgreSQL administrator:/var/lib/postgresql:/bin/sh' \
        'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin' >"$root/etc/passwd"
      printf '%s\n' 'root:x:0:' 'postgres:x:999:' 'nogroup:x:65534:' >"$root/etc/group"
      mkdir -p "$root/run/postgresql" "$root/var/lib/postgresql/data"
      chown 999:999 "$root/run/postgresql" "$root/var/lib/postgresql" "$root/var/lib/postgresql/data"
      chmod 2775 "$root/run/postgresql"
      chmod 0700 "$root/var/lib/postgresql/data"
      # Listen on every interface of the container, as the official image does (its
      # pg_hba.conf then asks for scram-sha-256 from the network).
      local sample
      for sample in "$root"/usr/share/postgresql/*/postgresql.conf.sample; do
        sed -ri "s!^#?(listen_addresses)\s*=\s*\S+.*!\1 = '*'!" "$sample"
        grep -q "^listen_addresses = '\*'" "$sample" || fail "could not set listen_addresses in $sample"
      done
      ;;
    redis)
      printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' \
        'redis:x:999:999:Redis:/data:/usr/sbin/nologin' \
        'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin' >"$root/etc/passwd"
      printf '%s\n' 'root:x:0:' 'redis:x:999:' 'nogroup:x:65534:' >"$root/etc/group"
      rm -rf "$root/etc/redis"
      mkdir -p "$root/data" "$root/etc/redis"
      chown 999:999 "$root/data" "$root/etc/redis"
      chmod 0700 "$root/etc/redis"
      ;;
  esac
  (cd "$IMAGES_DIR/$image/files" && find . -type f) | while read -r f; do
    mkdir -p "$root/$(dirname "$f")"
    install -m "$(stat -c %a "$IMAGES_DIR/$image/files/$f")" "$IMAGES_DIR/$image/files/$f" "$root/$f"
  done
}

# build_tar IMAGE ARCH ARCHIVES OUT: assemble the tree and write the tarball OUT.
build_tar() {
  local image="$1" arch="$2" archives="$3" out="$4" stage debs deb p
  stage="$(mktemp -d "$CACHE/tmp.XXXXXX")"
  # shellcheck disable=SC2064 # expand now: the trap must remove this stage
  trap "rm -rf '$stage'" RETURN
  mkdir -p "$stage/root"
  debs="$(closure "$archives" "$(roots_of "$image")")" || fail "$image $arch: dependency closure failed"
  mkdir -p "$stage/root/var/lib/dpkg"
  : >"$stage/root/var/lib/dpkg/status"
  while read -r deb; do
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$stage/root" --keep-directory-symlink -f -
    {
      dpkg-deb -f "$deb" | sed '/^Description:/,$d' | sed '1a Status: install ok installed'
      printf '\n'
    } >>"$stage/root/var/lib/dpkg/status"
    dpkg-deb -f "$deb" Package Version | paste -sd' ' - | awk '{print $2, $4}' >>"$stage/packages"
  done <<<"$debs"
  for p in $PRUNE; do
    # shellcheck disable=SC2086 # PRUNE entries are globs
    (cd "$stage/root" && rm -rf $p)
  done
  # Docs: only the copyright files stay.
  if [[ -d "$stage/root/usr/share/doc" ]]; then
    find "$stage/root/usr/share/doc" \( -type f -o -type l \) ! -name copyright -delete
    find "$stage/root/usr/share/doc" -depth -type d -empty -delete
  fi
  customize "$image" "$stage/root"
  mkdir -p "$(dirname "$out")"
  tar --format=gnu --sort=name --mtime=@0 --numeric-owner -C "$stage/root" -cf "$out.tmp" .
  LC_ALL=C sort "$stage/packages" >"$(dirname "$out")/packages-$arch.txt"
  content_mtime "$out.tmp"
  mv -f "$out.tmp" "$out"
}

declare -A dl=()
for arch in "${ARCHES[@]}"; do
  dl[$arch]="$(download_dir "$arch")"
done

script_hash="$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)"
summary=()
for image in "${images[@]}"; do
  [[ -d "$IMAGES_DIR/$image/files" ]] || fail "$IMAGES_DIR/$image/files is missing"
  key="$(hash16 "$SUITE" "$(roots_of "$image")" "$SKIP" "$PRUNE" "$(files_hash "$image")" "$script_hash")"
  for arch in "${ARCHES[@]}"; do
    out="$CACHE/$image/$key/rootfs-$arch.tar"
    if ((force == 1)) || [[ ! -f "$out" ]]; then
      t="$(now_ms)"
      build_tar "$image" "$arch" "${dl[$arch]}/var/cache/apt/archives" "$out"
      log "$image $arch: $out ($(($(stat -c %s "$out") / 1048576)) MB) in $(elapsed_s "$t") s"
    fi
    to="$IMAGES_DIR/$image/rootfs/$arch.tar"
    if [[ "$(stat -c %Y "$out")" != "$(stat -c %Y "$to" 2>/dev/null)" ]] || ! cmp -s "$out" "$to"; then
      mkdir -p "$(dirname "$to")"
      install -m 0644 "$out" "$to.tmp"
      touch -r "$out" "$to.tmp"
      mv -f "$to.tmp" "$to"
      log "copied $image $arch rootfs to $to"
    fi
  done
  case "$image" in
    postgres) version="$(awk '$1 == "postgresql-17" {print $2}' "$CACHE/$image/$key/packages-amd64.txt")" ;;
    redis) version="$(awk '$1 == "redis-server" {print $2}' "$CACHE/$image/$key/packages-amd64.txt")" ;;
  esac
  summary+=("$image $version ($(($(stat -c %s "$IMAGES_DIR/$image/rootfs/amd64.tar") / 1048576))/$(($(stat -c %s "$IMAGES_DIR/$image/rootfs/arm64.tar") / 1048576)) MB)")
done

printf -v joined '%s, ' "${summary[@]}"
echo "fetch-accessories: $SUITE rootfs for amd64/arm64 in examples/accessories/*/rootfs/: ${joined%, } in $(elapsed_s "$start") s"
