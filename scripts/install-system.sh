#!/usr/bin/env bash
# Install the system packages Slipway's local environment needs (Debian
# bookworm host, root, no systemd). Idempotent: when everything is already in
# place it changes nothing, runs no `apt-get update`, and returns in well
# under a second.
#
# What it does:
#   1. Adds a deb822 source for Debian trixie (component main), copying URIs
#      and Signed-By from the existing bookworm entry in
#      /etc/apt/sources.list.d/debian.sources (no mirror is written here), and
#      restricted to the native architecture. Pins trixie at priority 100 so
#      nothing is upgraded from it unless asked for by name.
#   2. Enables the arm64 dpkg architecture (scripts/fetch-busybox.sh downloads
#      busybox-static:arm64).
#   3. Runs `apt-get update` only when a source/pin/architecture changed or a
#      needed package list is missing.
#   4. Installs from trixie: docker.io docker-cli docker-buildx docker-compose
#      oras etcd-server kubernetes-client (+ cosign if trixie has it); from
#      bookworm: docker-registry openssh-server qemu-user-static binfmt-support
#      curl jq wrk debootstrap (scripts/fetch-accessories.sh) shellcheck
#      containernetworking-plugins conntrack, all with
#      --no-install-recommends. Only the named packages come from trixie
#      (`apt-get install pkg/trixie`): their dependencies are resolved from
#      bookworm wherever bookworm satisfies them (only containerd comes from
#      trixie). We do NOT use `apt-get install -t trixie ...`: -t raises every
#      trixie package to the default release for the transaction, and a
#      dry run showed it would upgrade libc6, dpkg, base-files, gcc runtime
#      libraries, ... to trixie's versions.
#   5. Makes the buildx and compose plugins visible to whichever `docker` is
#      first on PATH (see "docker CLI" below).
#   6. Merges {"features":{"containerd-snapshotter":true},
#      "insecure-registries":["127.0.0.1:5000"]} into /etc/docker/daemon.json
#      (other keys are kept).
#
# docker CLI: trixie's docker.io only Recommends docker-cli, so we install
# docker-cli explicitly (/usr/bin/docker, 26.1). This machine image also has a
# newer Docker client in /usr/local/bin/docker (first on PATH). We keep that
# one first: it negotiates the API
# version down to trixie's dockerd 26.1, and it searches
# /usr/libexec/docker/cli-plugins, where Debian's docker-buildx and
# docker-compose put their plugins. If `docker buildx version` still fails
# with the docker on PATH, we link the Debian plugins into
# /usr/local/lib/docker/cli-plugins (also searched by every client).
#
# Usage: scripts/install-system.sh          (as root)
set -euo pipefail
# shellcheck source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

require_root
START_MS="$(now_ms)"

DEBIAN_SOURCES="$SLIPWAY_DEBIAN_SOURCES"
TRIXIE_SOURCES=/etc/apt/sources.list.d/slipway-trixie.sources
TRIXIE_PIN=/etc/apt/preferences.d/slipway-trixie
DAEMON_JSON=/etc/docker/daemon.json
REGISTRY_ADDR=127.0.0.1:5000
# etcd-server (3.5; bookworm has 3.4) and kubernetes-client (kubectl 1.32) are
# for the local Kubernetes cluster (scripts/cluster.sh); containerd, already
# pulled in by docker.io, runs there as a second instance with CRI enabled.
TRIXIE_PKGS=(docker.io docker-cli docker-buildx docker-compose oras etcd-server kubernetes-client)
OPTIONAL_TRIXIE_PKGS=(cosign)
BOOKWORM_PKGS=(docker-registry openssh-server qemu-user-static binfmt-support curl jq wrk
  debootstrap shellcheck containernetworking-plugins conntrack)
MIN_DOCKER_IO=26

installed=()   # what this run installed or changed
present=()     # what was already there
need_update=0

# --- helpers ---------------------------------------------------------------

pkg_installed() { # pkg_installed NAME -> true if dpkg says "install ok installed"
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
}

pkg_version() {
  dpkg-query -W -f='${Version}' "$1" 2>/dev/null
}

# write_if_changed FILE CONTENT: write FILE only when its content differs.
# Returns 0 when it wrote, 1 when the file was already up to date.
write_if_changed() {
  local file="$1" content="$2"
  if [[ -f "$file" ]] && [[ "$(cat "$file")" == "$content" ]]; then
    return 1
  fi
  mkdir -p "$(dirname "$file")"
  printf '%s\n' "$content" >"$file.tmp.$$"
  mv "$file.tmp.$$" "$file"
  return 0
}

# --- 1. trixie source and pin -----------------------------------------------

[[ -f "$DEBIAN_SOURCES" ]] || fail "$DEBIAN_SOURCES not found: expected a deb822 bookworm source"
uris="$(debian_source_field URIs)"
signed_by="$(debian_source_field Signed-By)"
[[ -n "$uris" ]] || fail "no bookworm stanza with URIs in $DEBIAN_SOURCES"
native_arch="$(dpkg --print-architecture)"

trixie_stanza="# Written by Slipway scripts/install-system.sh: Debian trixie, for docker.io 26,
# docker-buildx and docker-compose v2 (bookworm has docker 20.10 only).
# Pinned at priority 100 in $TRIXIE_PIN.
Types: deb
URIs: $uris
Suites: trixie
Components: main
Architectures: $native_arch"
if [[ -n "$signed_by" ]]; then
  trixie_stanza+=$'\n'"Signed-By: $signed_by"
fi
if write_if_changed "$TRIXIE_SOURCES" "$trixie_stanza"; then
  installed+=("apt source $TRIXIE_SOURCES")
  need_update=1
else
  present+=("apt source $TRIXIE_SOURCES")
fi

pin="# Written by Slipway scripts/install-system.sh: take nothing from trixie
# unless asked for by name (pkg/trixie or -t trixie).
Package: *
Pin: release n=trixie
Pin-Priority: 100"
if write_if_changed "$TRIXIE_PIN" "$pin"; then
  installed+=("apt pin $TRIXIE_PIN (trixie at 100)")
  need_update=1
else
  present+=("apt pin trixie=100")
fi

# --- 2. arm64 architecture --------------------------------------------------

if [[ "$native_arch" != arm64 ]]; then
  if dpkg --print-foreign-architectures | grep -qx arm64; then
    present+=("dpkg architecture arm64")
  else
    dpkg --add-architecture arm64
    installed+=("dpkg architecture arm64")
    need_update=1
  fi
fi

# --- 3. apt-get update, only when needed ------------------------------------

lists=/var/lib/apt/lists
if ! compgen -G "$lists/*_dists_trixie_main_binary-${native_arch}_Packages*" >/dev/null; then
  need_update=1
fi
if [[ "$native_arch" != arm64 ]] && ! compgen -G "$lists/*_dists_bookworm_main_binary-arm64_Packages*" >/dev/null; then
  need_update=1
fi

missing=()
for p in "${TRIXIE_PKGS[@]}" "${BOOKWORM_PKGS[@]}"; do
  pkg_installed "$p" || missing+=("$p")
done
if pkg_installed docker.io; then
  v="$(pkg_version docker.io)"
  major="${v%%.*}"; major="${major##*:}"
  if ((major < MIN_DOCKER_IO)); then
    missing+=(docker.io) # installed but too old (bookworm's 20.10)
  fi
fi
optional_missing=()
for p in "${OPTIONAL_TRIXIE_PKGS[@]}"; do
  pkg_installed "$p" || optional_missing+=("$p")
done
# An optional package we already know is unavailable does not force an update.
optional_marker="$lists/.slipway-optional-unavailable"
if ((${#optional_missing[@]} > 0)) && [[ -f "$optional_marker" ]]; then
  keep=()
  for p in "${optional_missing[@]}"; do
    grep -qx "$p" "$optional_marker" || keep+=("$p")
  done
  optional_missing=("${keep[@]+"${keep[@]}"}")
fi

if ((${#missing[@]} > 0 || ${#optional_missing[@]} > 0)) && ((need_update == 0)); then
  # Refresh lists older than a day before installing anything.
  if [[ -z "$(find "$lists" -maxdepth 1 -name '*_dists_trixie_InRelease' -mmin -1440 2>/dev/null)" ]]; then
    need_update=1
  fi
fi

if ((need_update)); then
  t="$(now_ms)"
  log "apt-get update ..."
  apt-get update -qq >/dev/null || fail "apt-get update failed"
  rm -f "$optional_marker"
  log "apt-get update done in $(elapsed_s "$t") s"
fi

# --- 4. packages -------------------------------------------------------------

# Never let package maintainer scripts start daemons (no systemd here; we
# start what we need in scripts/services.sh).
policy_rc=/usr/sbin/policy-rc.d
cleanup_policy=0
cleanup() {
  if ((cleanup_policy)); then rm -f "$policy_rc"; fi
}
trap cleanup EXIT

if ((${#missing[@]} > 0 || ${#optional_missing[@]} > 0)); then
  if [[ ! -e "$policy_rc" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy_rc"
    chmod 755 "$policy_rc"
    cleanup_policy=1
  fi

  # Optional packages: only when trixie has them.
  optional_install=()
  for p in "${optional_missing[@]+"${optional_missing[@]}"}"; do
    if apt-cache show "$p/trixie" >/dev/null 2>&1; then
      optional_install+=("$p")
    else
      warn "$p is not available from trixie; skipping it"
      echo "$p" >>"$optional_marker"
    fi
  done

  args=()
  declare -A seen=()
  for p in "${missing[@]+"${missing[@]}"}" "${optional_install[@]+"${optional_install[@]}"}"; do
    [[ -n "${seen[$p]:-}" ]] && continue
    seen[$p]=1
    case " ${TRIXIE_PKGS[*]} ${OPTIONAL_TRIXIE_PKGS[*]} " in
      *" $p "*) args+=("$p/trixie") ;;
      *) args+=("$p") ;;
    esac
  done

  if ((${#args[@]} > 0)); then
    t="$(now_ms)"
    log "apt-get install ${args[*]} ..."
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
      "${args[@]}" >/tmp/slipway-apt-install.log 2>&1 ||
      { tail -n 30 /tmp/slipway-apt-install.log >&2; fail "apt-get install failed (full log: /tmp/slipway-apt-install.log)"; }
    log "apt-get install done in $(elapsed_s "$t") s"
    for a in "${args[@]}"; do
      p="${a%/trixie}"
      installed+=("$p $(pkg_version "$p")")
    done
  fi
fi
for p in "${TRIXIE_PKGS[@]}" "${OPTIONAL_TRIXIE_PKGS[@]}" "${BOOKWORM_PKGS[@]}"; do
  if pkg_installed "$p"; then
    case " ${installed[*]} " in
      *" $p "*) ;;
      *) present+=("$p $(pkg_version "$p")") ;;
    esac
  fi
done
for p in "${TRIXIE_PKGS[@]}" "${BOOKWORM_PKGS[@]}"; do
  pkg_installed "$p" || fail "package $p is still not installed"
done

# --- 5. docker CLI plugins ------------------------------------------------------

plugin_dir=/usr/libexec/docker/cli-plugins
local_plugin_dir=/usr/local/lib/docker/cli-plugins
for plugin in buildx compose; do
  if docker "$plugin" version >/dev/null 2>&1; then
    present+=("docker $plugin plugin visible to $(command -v docker)")
    continue
  fi
  [[ -x "$plugin_dir/docker-$plugin" ]] || fail "$plugin_dir/docker-$plugin missing after install"
  mkdir -p "$local_plugin_dir"
  ln -sfn "$plugin_dir/docker-$plugin" "$local_plugin_dir/docker-$plugin"
  docker "$plugin" version >/dev/null 2>&1 ||
    fail "'docker $plugin version' fails with $(command -v docker) even after linking $local_plugin_dir/docker-$plugin"
  installed+=("link $local_plugin_dir/docker-$plugin")
done

# --- 6. /etc/docker/daemon.json -------------------------------------------------

mkdir -p /etc/docker
current='{}'
if [[ -s "$DAEMON_JSON" ]]; then
  current="$(cat "$DAEMON_JSON")"
  jq -e 'type == "object"' >/dev/null 2>&1 <<<"$current" || fail "$DAEMON_JSON is not a JSON object; fix it by hand"
fi
wanted="$(jq --arg reg "$REGISTRY_ADDR" '
  .features = ((.features // {}) + {"containerd-snapshotter": true})
  | .["insecure-registries"] = (((.["insecure-registries"] // []) + [$reg]) | unique)
' <<<"$current")"
if [[ "$(jq -S . <<<"$current")" == "$(jq -S . <<<"$wanted")" ]]; then
  present+=("$DAEMON_JSON (containerd-snapshotter, insecure $REGISTRY_ADDR)")
else
  printf '%s\n' "$wanted" >"$DAEMON_JSON.tmp.$$"
  mv "$DAEMON_JSON.tmp.$$" "$DAEMON_JSON"
  installed+=("$DAEMON_JSON (containerd-snapshotter, insecure $REGISTRY_ADDR)")
  if docker info >/dev/null 2>&1; then
    warn "dockerd is already running: restart it for $DAEMON_JSON to take effect (scripts/services.sh down docker && scripts/services.sh up docker)"
  fi
fi

# --- report -------------------------------------------------------------------

echo "install-system: done in $(elapsed_s "$START_MS") s"
if ((${#installed[@]} > 0)); then
  echo "  installed/changed:"
  printf '    + %s\n' "${installed[@]}"
else
  echo "  installed/changed: nothing"
fi
if ((${#present[@]} > 0)); then
  echo "  already present:"
  printf '    = %s\n' "${present[@]}"
fi
echo "  docker CLI on PATH: $(command -v docker) ($(docker --version 2>/dev/null || echo '?'))"
echo "  buildx: $(docker buildx version 2>/dev/null || echo '?')"
echo "  compose: $(docker compose version 2>/dev/null || echo '?')"
