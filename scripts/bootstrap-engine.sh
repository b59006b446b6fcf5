#!/usr/bin/env bash
# Build (or find) the Pulumi engine pieces Slipway needs, into a cache outside
# the repo:
#
#   $SLIPWAY_HOME/bin/pulumi                         Pulumi CLI + engine
#   $SLIPWAY_HOME/bin/pulumi-language-nodejs         Node.js language host
#   $SLIPWAY_HOME/bin/pulumi-resource-pulumi-nodejs  dynamic-provider shim
#   $SLIPWAY_HOME/bin/pulumi-resource-command        command provider (Slipway's
#                                                    stand-in, see engine/README.md)
#   $SLIPWAY_HOME/bin/pulumi-resource-docker-build   docker-build provider
#   $SLIPWAY_HOME/bin/buildkitd, buildctl            standalone BuildKit
#   $SLIPWAY_HOME/bin/caddy-linux-{amd64,arm64}      Caddy for the edge image
#                                                    (static, CGO_ENABLED=0)
#   $SLIPWAY_HOME/bin/syft                           SBOM generator (static)
#   $SLIPWAY_HOME/bin/trivy, slipway-trivy-db        vulnerability scanner, and
#                                                    the writer of the offline
#                                                    test database (static)
#   $SLIPWAY_HOME/bin/kube-apiserver, kube-controller-manager, kube-scheduler,
#                     kubelet, kube-proxy             the local cluster's
#                                                    Kubernetes (static, one
#                                                    `go build`), and pause, its
#                                                    sandbox binary (static C)
#   $SLIPWAY_HOME/bin/coredns                        the local cluster's DNS (static,
#                                                    only the plugins it uses)
#   $SLIPWAY_HOME/bin/pulumi-resource-kubernetes     pulumi-kubernetes provider
#
# Everything is built from Go modules through wrapper modules committed under
# scripts/engine/<piece>/ (go.mod + go.sum), so builds are reproducible. The
# Go build cache stays the default one, so rebuilds are warm. Versions and why
# they differ from the npm SDK pins: scripts/engine/README.md.
#
# Idempotent: a piece is skipped when its binary exists, reports (or is stamped
# with) the expected version and was built from the current wrapper module.
#
# On a machine that already has a `pulumi` on PATH (a normal install) and no
# built cache, that CLI and its bundled language hosts are used instead of
# building; provider plugins are taken from PATH or its plugin directory, then
# `pulumi plugin install`, and only built as a last resort. A CLI built into
# $SLIPWAY_HOME/bin always takes priority.
#
# Usage: scripts/bootstrap-engine.sh [--force] [--only PIECE[,PIECE...]]
#                                    [--skip PIECE[,PIECE...]] [--from-source] [--check]
#   --force        rebuild the selected pieces even if they are up to date
#   --only         pieces: pulumi, language-nodejs, command, docker-build, buildkit, caddy,
#                  syft, trivy, kubernetes, coredns, kubernetes-provider
#                  or `cluster`: the local cluster's pieces (kubernetes, coredns,
#                  kubernetes-provider), which only scripts/cluster.sh and the
#                  Kubernetes target need
#   --skip         leave these pieces (or `cluster`) out; scripts/test.sh builds the
#                  cluster's pieces in the background while the other tests run
#   --from-source  ignore a pulumi already on PATH and build everything
#   --check        only report what is present/missing; build nothing
#
# Then: source scripts/pulumi-env.sh
set -euo pipefail

SLIPWAY_HOME="${SLIPWAY_HOME:-$HOME/.cache/slipway}"
BIN="$SLIPWAY_HOME/bin"
STAMPS="$SLIPWAY_HOME/stamps"
LOGS="$SLIPWAY_HOME/logs"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ENGINE_DIR="$SCRIPT_DIR/engine"

# ---- pinned versions ---------------------------------------------------------
# The npm SDK is @pulumi/pulumi@3.270.0, but github.com/pulumi/pulumi/pkg/v3 is
# served by the module proxy here only up to v3.259.0 (v3.260.0 and later are
# refused), so the CLI is v3.259.0. See scripts/engine/README.md.
PULUMI_VERSION="v3.259.0"
# The Node.js language host has its own module with no tags; no pseudo-version
# of it is served here, so the last release that still shipped it inside
# github.com/pulumi/pulumi/sdk/v3 is used.
NODEJS_HOST_VERSION="v3.60.0"
COMMAND_VERSION="v1.2.1"
DOCKER_BUILD_VERSION="v0.0.22"
BUILDKIT_VERSION="v0.31.0"
# The edge proxy (examples/edge/Dockerfile). Its version is the edge image's only input
# besides busybox: see scripts/fetch-edge.sh.
CADDY_VERSION="v2.11.9"
# Supply chain (src/supply/): SBOMs and the vulnerability gate. A syft or trivy
# already on PATH (a normal install) is used instead of building.
SYFT_VERSION="v1.57.1"
TRIVY_VERSION="v0.74.0"
# The local Kubernetes cluster (scripts/cluster.sh). v1.34 is the newest minor
# whose kubelet still runs on cgroup v1 by default (this machine's); Debian
# trixie's kubectl is 1.32.
K8S_VERSION="v1.34.4"
K8S_BINARIES="kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy"
# The sandbox image's binary: Kubernetes' own build/pause/linux/pause.c.
PAUSE_VERSION="3.10.1"
# pulumi-kubernetes: the provider module has no served release; this commit is
# served. Its schema's resources and types are those of the npm
# @pulumi/kubernetes 4.24.1 that package.json pins, so it is stamped and
# registered as that version. See scripts/engine/README.md.
# The local cluster's DNS: its own wrapper module, not the Kubernetes one (adding it
# there moves 27 of the Kubernetes binaries' modules, x/sys, grpc, otel and
# protobuf among them, off the versions Kubernetes v1.34.4 was released with).
COREDNS_VERSION="v1.14.7"
K8S_PROVIDER_COMMIT="v4.0.0-20260115033456-f47bc2d6f199"
K8S_PROVIDER_VERSION="v4.24.1"

ALL_PIECES="pulumi language-nodejs command docker-build buildkit caddy syft trivy kubernetes coredns kubernetes-provider"
# What only the Kubernetes target's end-to-end tests and scripts/cluster.sh need.
CLUSTER_PIECES="kubernetes coredns kubernetes-provider"

FORCE=0
CHECK_ONLY=0
FROM_SOURCE=0
ONLY=""
SKIP=""

log() { printf '[engine] %s\n' "$*"; }
warn() { printf '[engine] WARNING: %s\n' "$*" >&2; }
err() { printf '[engine] ERROR: %s\n' "$*" >&2; }

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --force) FORCE=1 ;;
    --check) CHECK_ONLY=1 ;;
    --from-source) FROM_SOURCE=1 ;;
    --only) shift; ONLY="${1:-}" ;;
    --only=*) ONLY="${1#--only=}" ;;
    --skip) shift; SKIP="${1:-}" ;;
    --skip=*) SKIP="${1#--skip=}" ;;
    -h|--help) usage; exit 0 ;;
    *) err "unknown argument: $1"; usage >&2; exit 2 ;;
  esac
  shift
done

# pieces LIST: a comma-separated list of pieces, `cluster` standing for CLUSTER_PIECES.
pieces() {
  local list=" ${1//,/ } "
  printf '%s' "${list/ cluster / $CLUSTER_PIECES }"
}
PIECES="$ALL_PIECES"
if [[ -n "$ONLY" ]]; then
  PIECES="$(pieces "$ONLY")"
  for p in $PIECES; do
    [[ " $ALL_PIECES " == *" $p "* ]] || { err "unknown piece '$p' (known: $ALL_PIECES, or cluster)"; exit 2; }
  done
fi
SKIP="$(pieces "$SKIP")"
for p in $SKIP; do
  [[ " $ALL_PIECES " == *" $p "* ]] || { err "unknown piece '$p' (known: $ALL_PIECES, or cluster)"; exit 2; }
done
selected() { [[ " $PIECES " == *" $1 "* && " $SKIP " != *" $1 "* ]]; }

mkdir -p "$BIN" "$STAMPS" "$LOGS" "$SLIPWAY_HOME/pulumi-home" "$SLIPWAY_HOME/backend"

# One bootstrap at a time per cache.
exec 9>"$SLIPWAY_HOME/.bootstrap.lock"
if command -v flock >/dev/null 2>&1; then
  flock -w 7200 9 || { err "another bootstrap holds $SLIPWAY_HOME/.bootstrap.lock"; exit 1; }
fi

FAILED=()
TOTAL_START=$SECONDS

# ---- helpers -------------------------------------------------------------------

# shellcheck source=lib/engine/build.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/engine/build.sh"
# shellcheck source=lib/engine/system.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/engine/system.sh"
# shellcheck source=lib/engine/cluster.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/engine/cluster.sh"

USE_SYSTEM=""
if [[ ! -x "$BIN/pulumi" && $FROM_SOURCE == 0 ]] && sp="$(system_pulumi)"; then
  USE_SYSTEM="$sp"
fi

# ---- pieces ----------------------------------------------------------------------

piece_pulumi() {
  if [[ -n "$USE_SYSTEM" ]]; then
    log "found pulumi $("$USE_SYSTEM" version 2>/dev/null || echo '?') at $USE_SYSTEM; using it instead of building v${PULUMI_VERSION#v} (use --from-source to build)"
    return 0
  fi
  go_build "pulumi" pulumi github.com/pulumi/pulumi/pkg/v3/cmd/pulumi pulumi "$PULUMI_VERSION" \
    "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION"
}

piece_language_nodejs() {
  local host sdkdir
  if [[ -n "$USE_SYSTEM" ]]; then
    # The engine looks beside the (symlink-resolved) pulumi executable.
    host="$(dirname "$(readlink -f "$USE_SYSTEM")")/pulumi-language-nodejs"
    if [[ -x "$host" ]]; then
      log "found pulumi-language-nodejs at $host (ships with the installed pulumi)"
      return 0
    fi
    warn "no pulumi-language-nodejs beside $(readlink -f "$USE_SYSTEM"); building one into $BIN" \
      "(the engine finds it there only via PATH: set PULUMI_IGNORE_AMBIENT_PLUGINS=false)"
  fi
  go_build "pulumi-language-nodejs" language-nodejs \
    github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs pulumi-language-nodejs \
    "$NODEJS_HOST_VERSION" \
    "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$NODEJS_HOST_VERSION" || return 1

  # Shim the engine runs for dynamic providers (pulumi.dynamic.Resource); the
  # official installer ships it beside the CLI. Taken from the SDK module that
  # matches the CLI.
  local shim=pulumi-resource-pulumi-nodejs shimstamp="sdk $PULUMI_VERSION"
  if [[ $FORCE == 0 && -x "$BIN/$shim" && "$(cat "$STAMPS/$shim" 2>/dev/null)" == "$shimstamp" ]]; then
    log "$shim (sdk $PULUMI_VERSION) is up to date"
  elif [[ $CHECK_ONLY == 1 ]]; then
    log "$shim: MISSING"; FAILED+=("$shim (missing)")
  else
    need_go
    if sdkdir="$(module_dir pulumi "github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION" 2>"$LOGS/$shim.log")" \
        && install -m 0755 "$sdkdir/nodejs/dist/$shim" "$BIN/$shim"; then
      printf '%s' "$shimstamp" >"$STAMPS/$shim"
      log "installed $shim from github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION"
    else
      err "could not copy $shim from github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION (see $LOGS/$shim.log)"
      FAILED+=("$shim (github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION)")
      return 1
    fi
  fi
}

piece_command() {
  if [[ -n "$USE_SYSTEM" ]] && system_plugin command "${COMMAND_VERSION#v}"; then return 0; fi
  if [[ ! -f "$ENGINE_DIR/command/go.mod" ]]; then
    err "pulumi-resource-command $COMMAND_VERSION cannot be built here: module github.com/pulumi/pulumi-command/provider has no release tags and its pseudo-version for tag $COMMAND_VERSION (commit 7f3eb6f3b77c) is refused by the module proxy (403 'This module version is not available')."
    FAILED+=("pulumi-resource-command (github.com/pulumi/pulumi-command/provider@$COMMAND_VERSION: not served)")
    return 1
  fi
  # shellcheck disable=SC1091
  source "$ENGINE_DIR/command/build.env"   # sets CMD_PKG, CMD_VERSION, CMD_LDFLAGS
  go_build "pulumi-resource-command" command "$CMD_PKG" pulumi-resource-command "$CMD_VERSION" "$CMD_LDFLAGS" \
    && register_plugin command "${COMMAND_VERSION#v}"
}

piece_docker_build() {
  if [[ -n "$USE_SYSTEM" ]] && system_plugin docker-build "${DOCKER_BUILD_VERSION#v}"; then return 0; fi
  go_build "pulumi-resource-docker-build" docker-build \
    github.com/pulumi/pulumi-docker-build/provider/cmd/pulumi-resource-docker-build \
    pulumi-resource-docker-build "$DOCKER_BUILD_VERSION" \
    "-X github.com/pulumi/pulumi-docker-build/provider.Version=$DOCKER_BUILD_VERSION" \
    && register_plugin docker-build "${DOCKER_BUILD_VERSION#v}"
}

piece_buildkit() {
  local b found
  for b in buildkitd buildctl; do
    if [[ ! -x "$BIN/$b" && $FROM_SOURCE == 0 ]] && found="$(command -v "$b" 2>/dev/null)"; then
      log "found $b on PATH: $found ($("$found" --version 2>/dev/null | awk '{print $3}')); not building"
      continue
    fi
    go_build "$b" buildkit "github.com/moby/buildkit/cmd/$b" "$b" "$BUILDKIT_VERSION" \
      "-X github.com/moby/buildkit/version.Version=$BUILDKIT_VERSION -X github.com/moby/buildkit/version.Package=github.com/moby/buildkit" \
      || return 1
  done
}

# Caddy for both platforms of the edge image: static (no libc in a FROM scratch
# image), reproducible (-trimpath, no VCS stamp), the version stamped in.
piece_caddy() {
  local arch
  for arch in amd64 arm64; do
    (
      export CGO_ENABLED=0 GOOS=linux GOARCH="$arch"
      go_build "caddy ($arch)" caddy slipway.local/engine/caddy "caddy-linux-$arch" \
        "$CADDY_VERSION" "-X github.com/caddyserver/caddy/v2.CustomVersion=$CADDY_VERSION"
    ) || FAILED+=("caddy-linux-$arch (github.com/caddyserver/caddy/v2@$CADDY_VERSION)")
  done
}

# syft and trivy run on the machine that runs `pulumi up` (static, no VCS stamp,
# the version stamped in). One on PATH that is not ours is used as it is.
piece_syft() {
  local found
  if [[ ! -x "$BIN/syft" && $FROM_SOURCE == 0 ]] && found="$(command -v syft 2>/dev/null)"; then
    log "found syft on PATH: $found; not building"
    return 0
  fi
  CGO_ENABLED=0 go_build "syft" syft github.com/anchore/syft/cmd/syft syft "$SYFT_VERSION" \
    "-X main.version=${SYFT_VERSION#v}"
}

piece_trivy() {
  local found
  if [[ ! -x "$BIN/trivy" && $FROM_SOURCE == 0 ]] && found="$(command -v trivy 2>/dev/null)"; then
    log "found trivy on PATH: $found; not building it (slipway-trivy-db is still built)"
  else
    # trivy uses encoding/json/v2, which Go 1.26 builds only with GOEXPERIMENT=jsonv2
    # (as trivy's own release build sets it).
    CGO_ENABLED=0 GOEXPERIMENT=jsonv2 go_build "trivy" trivy github.com/aquasecurity/trivy/cmd/trivy trivy "$TRIVY_VERSION" \
      "-X github.com/aquasecurity/trivy/pkg/version/app.ver=${TRIVY_VERSION#v}" || return 1
  fi
  CGO_ENABLED=0 go_build "slipway-trivy-db" trivy slipway.local/engine/trivy/cmd/slipway-trivy-db \
    slipway-trivy-db "$TRIVY_VERSION" ""
}

# ---- main ------------------------------------------------------------------------

log "cache: $SLIPWAY_HOME"
for p in $ALL_PIECES; do
  selected "$p" || continue
  case "$p" in
    pulumi) piece_pulumi || true ;;
    language-nodejs) piece_language_nodejs || true ;;
    command) piece_command || true ;;
    docker-build) piece_docker_build || true ;;
    buildkit) piece_buildkit || true ;;
    caddy) piece_caddy || true ;;
    syft) piece_syft || true ;;
    trivy) piece_trivy || true ;;
    kubernetes) piece_kubernetes || true ;;
    coredns) piece_coredns || true ;;
    kubernetes-provider) piece_kubernetes_provider || true ;;
  esac
done

if [[ ${#FAILED[@]} -gt 0 ]]; then
  err "finished in $((SECONDS - TOTAL_START))s with ${#FAILED[@]} problem(s):"
  for f in "${FAILED[@]}"; do err "  - $f"; done
  exit 1
fi
log "all pieces ready in $BIN ($((SECONDS - TOTAL_START))s). Use: source scripts/pulumi-env.sh"
