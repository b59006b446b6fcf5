# shellcheck shell=bash
# The local cluster's pieces (`--only cluster`): the Kubernetes server binaries with pause,
# CoreDNS, and the pulumi-kubernetes provider; scripts/cluster.sh and the Kubernetes target
# need them. Their versions are pinned in scripts/bootstrap-engine.sh with the others.
# Sourced by scripts/bootstrap-engine.sh, after lib/engine/build.sh and lib/engine/system.sh.

# The Kubernetes server binaries, static, in one `go build` (they share most
# packages, so one invocation compiles each once). Rebuilt all together when
# one is missing or stale; the Go build cache makes that cheap.
piece_kubernetes() {
  local b stale=() tmp start logf stamp pkgs=() moddir
  stamp="$K8S_VERSION $(wrapper_hash kubernetes)"
  for b in $K8S_BINARIES; do
    if [[ $FORCE == 1 ]] || ! up_to_date "$b" "$K8S_VERSION" "$stamp"; then stale+=("$b"); fi
  done
  if ((${#stale[@]} == 0)); then
    log "$K8S_BINARIES $K8S_VERSION are up to date ($BIN)"
  elif [[ $CHECK_ONLY == 1 ]]; then
    log "${stale[*]} $K8S_VERSION: MISSING or stale (would build k8s.io/kubernetes/cmd/...)"
    FAILED+=("${stale[*]} (missing)")
  else
    need_go
    for b in $K8S_BINARIES; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
    logf="$LOGS/kubernetes.log"
    tmp="$BIN/.kubernetes.tmp.$$"
    mkdir -p "$tmp"
    start=$SECONDS
    log "building $K8S_BINARIES $K8S_VERSION (k8s.io/kubernetes, one go build) ... log: $logf"
    local minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
    if ! (cd "$ENGINE_DIR/kubernetes" && CGO_ENABLED=0 go build -buildvcs=false -trimpath \
            -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z" \
            -o "$tmp/" "${pkgs[@]}") >"$logf" 2>&1; then
      rm -rf "$tmp"
      err "building Kubernetes $K8S_VERSION FAILED after $((SECONDS - start))s (module k8s.io/kubernetes@$K8S_VERSION, wrapper scripts/engine/kubernetes). Last lines of $logf:"
      tail -n 25 "$logf" | sed 's/^/    /' >&2
      FAILED+=("$K8S_BINARIES (k8s.io/kubernetes@$K8S_VERSION)")
      return 1
    fi
    for b in $K8S_BINARIES; do
      mv -f "$tmp/$b" "$BIN/$b"
      printf '%s' "$stamp" >"$STAMPS/$b"
    done
    rm -rf "$tmp"
    log "building $K8S_BINARIES $K8S_VERSION ... done in $((SECONDS - start))s"
  fi

  # pause: static, from the same Kubernetes module's C source.
  stamp="$PAUSE_VERSION k8s.io/kubernetes@$K8S_VERSION"
  if [[ $FORCE == 0 && -x "$BIN/pause" && "$(cat "$STAMPS/pause" 2>/dev/null)" == "$stamp" ]]; then
    log "pause $PAUSE_VERSION is up to date"
  elif [[ $CHECK_ONLY == 1 ]]; then
    log "pause: MISSING"; FAILED+=("pause (missing)")
  else
    need_go
    if moddir="$(module_dir kubernetes "k8s.io/kubernetes@$K8S_VERSION" 2>"$LOGS/pause.log")" \
        && gcc -Os -static -DVERSION="$PAUSE_VERSION" -o "$BIN/.pause.tmp.$$" \
             "$moddir/build/pause/linux/pause.c" >>"$LOGS/pause.log" 2>&1 \
        && strip "$BIN/.pause.tmp.$$" && mv -f "$BIN/.pause.tmp.$$" "$BIN/pause"; then
      printf '%s' "$stamp" >"$STAMPS/pause"
      log "built pause $PAUSE_VERSION (static) from k8s.io/kubernetes@$K8S_VERSION/build/pause"
    else
      rm -f "$BIN/.pause.tmp.$$"
      err "could not build pause from k8s.io/kubernetes@$K8S_VERSION (see $LOGS/pause.log)"
      FAILED+=("pause (gcc -static, k8s.io/kubernetes@$K8S_VERSION/build/pause/linux/pause.c)")
      return 1
    fi
  fi
}

# CoreDNS with the plugins scripts/cluster.sh's Corefile uses (wrapper coredns/main.go).
piece_coredns() {
  CGO_ENABLED=0 go_build "coredns" coredns slipway.local/engine/coredns coredns "$COREDNS_VERSION" \
    "-X github.com/coredns/coredns/coremain.GitCommit=$COREDNS_VERSION"
}

# The pulumi-kubernetes provider. Upstream's main package embeds files its
# `go generate` writes (the schema with the version set, the terraform mapping,
# both compacted); they are written here the same way from the module.
piece_kubernetes_provider() {
  if [[ -n "$USE_SYSTEM" ]] && system_plugin kubernetes "${K8S_PROVIDER_VERSION#v}"; then return 0; fi
  local dir="$ENGINE_DIR/kubernetes-provider" moddir
  if [[ $CHECK_ONLY == 0 ]]; then
    need_go
    moddir="$(module_dir kubernetes-provider "github.com/pulumi/pulumi-kubernetes/provider/v4@$K8S_PROVIDER_COMMIT")" ||
      { err "cannot download github.com/pulumi/pulumi-kubernetes/provider/v4@$K8S_PROVIDER_COMMIT"; FAILED+=("pulumi-resource-kubernetes (download)"); return 1; }
    jq -c --arg v "${K8S_PROVIDER_VERSION#v}" '.version = $v' \
      "$moddir/cmd/pulumi-resource-kubernetes/schema.json" >"$dir/schema-embed.json" &&
      jq -c . "$moddir/cmd/pulumi-resource-kubernetes/terraform-mapping.json" >"$dir/terraform-mapping-embed.json" ||
      { err "cannot write the provider's embedded schema"; FAILED+=("pulumi-resource-kubernetes (schema)"); return 1; }
  fi
  CGO_ENABLED=0 go_build "pulumi-resource-kubernetes" kubernetes-provider slipway.local/engine/kubernetes-provider \
    pulumi-resource-kubernetes "$K8S_PROVIDER_VERSION" \
    "-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=${K8S_PROVIDER_VERSION#v}" \
    && register_plugin kubernetes "${K8S_PROVIDER_VERSION#v}"
}
