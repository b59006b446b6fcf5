# shellcheck shell=bash
# Building an engine piece from its wrapper module (scripts/engine/<piece>/): whether it is
# up to date, the Go build itself, and registering a built provider plugin.
# Sourced by scripts/bootstrap-engine.sh, after its settings and log helpers.

# Hash of everything that defines a wrapper module (go.mod, go.sum, stubs,
# sources) so a changed wrapper triggers a rebuild.
wrapper_hash() {
  (cd "$ENGINE_DIR/$1" && find . -type f ! -name '*.md' -print0 | LC_ALL=C sort -z \
    | xargs -0 sha256sum | sha256sum | cut -c1-16)
}

# Version a binary reports by itself, or "" when it cannot tell.
reported_version() {
  local bin="$1" out
  case "$(basename "$bin")" in
    pulumi) out="$("$bin" version 2>/dev/null | tail -n1)" || out="" ;;
    buildkitd|buildctl) out="$("$bin" --version 2>/dev/null | awk '{print $3}')" || out="" ;;
    kube-apiserver|kube-controller-manager|kube-scheduler|kubelet|kube-proxy)
      out="$("$bin" --version 2>/dev/null | awk '{print $2}')" || out="" ;;
    *) out="" ;;
  esac
  printf '%s' "$out"
}

# up_to_date NAME VERSION STAMP: binary exists, reports VERSION (when it can),
# and was stamped with STAMP by this script.
up_to_date() {
  local name="$1" version="$2" stamp="$3" bin="$BIN/$1" rv
  [[ -x "$bin" ]] || return 1
  [[ "$(cat "$STAMPS/$name" 2>/dev/null)" == "$stamp" ]] || return 1
  rv="$(reported_version "$bin")"
  [[ -z "$rv" || "$rv" == "$version" ]]
}

GO_CHECKED=0
need_go() {
  [[ $GO_CHECKED == 1 ]] && return 0
  if ! command -v go >/dev/null 2>&1; then
    err "Go is not installed; it is needed to build the Pulumi engine from Go modules (Go >= 1.26)."
    exit 1
  fi
  log "using $(go version)"
  GO_CHECKED=1
}

# go_build PIECE-LABEL WRAPPER-DIR PACKAGE OUT-NAME VERSION LDFLAGS
go_build() {
  local label="$1" dir="$2" pkg="$3" out="$4" version="$5" ldflags="$6"
  local stamp tmp start logf module
  stamp="$version $(wrapper_hash "$dir")"
  if [[ $FORCE == 0 ]] && up_to_date "$out" "$version" "$stamp"; then
    log "$out $version is up to date ($BIN/$out)"
    return 0
  fi
  if [[ $CHECK_ONLY == 1 ]]; then
    log "$out $version: MISSING or stale (would build $pkg)"
    FAILED+=("$out (missing)")
    return 0
  fi
  need_go
  logf="$LOGS/$out.log"
  tmp="$BIN/.$out.tmp.$$"
  start=$SECONDS
  log "building $label $version ($pkg) ... log: $logf"
  if ! (cd "$ENGINE_DIR/$dir" && go build -buildvcs=false -trimpath \
          -ldflags "-s -w $ldflags" -o "$tmp" "$pkg") >"$logf" 2>&1; then
    rm -f "$tmp"
    # The required module that provides the package (longest path prefix),
    # or, for a local package, the modules the wrapper pins directly.
    module="$(awk -v pkg="$pkg" '
      /^require \(/ {b=1; next}
      b && /^\)/ {b=0}
      b || /^require [^(]/ {
        sub(/^require /, ""); gsub(/^[ \t]+/, "")
        if (pkg == $1 || index(pkg, $1 "/") == 1) { if (length($1) > bl) { bl = length($1); best = $1 "@" $2 } }
        if ($0 !~ /indirect/) direct = direct (direct ? "," : "") $1 "@" $2
      }
      END { print (best ? best : direct) }' "$ENGINE_DIR/$dir/go.mod")"
    [[ -n "$module" ]] || module="$pkg"
    err "building $label $version FAILED after $((SECONDS - start))s (module $module, wrapper scripts/engine/$dir). Last lines of $logf:"
    tail -n 25 "$logf" | sed 's/^/    /' >&2
    FAILED+=("$out ($module)")
    return 1
  fi
  mv -f "$tmp" "$BIN/$out"
  printf '%s' "$stamp" >"$STAMPS/$out"
  log "building $label $version ... done in $((SECONDS - start))s"
}

# Make a built provider visible in the Pulumi plugin cache as
# resource-NAME-vVERSION (the version the npm SDK asks for), so the engine
# finds it like a downloaded plugin: listed by `pulumi plugin ls`, matched by
# version, and without the "using ... from $PATH" warning (pulumi-env.sh sets
# PULUMI_IGNORE_AMBIENT_PLUGINS=true by default).
register_plugin() {
  local name="$1" ver="$2" home="${PULUMI_HOME:-$SLIPWAY_HOME/pulumi-home}" dir
  [[ $CHECK_ONLY == 1 ]] && return 0
  [[ -x "$BIN/pulumi-resource-$name" ]] || return 0
  dir="$home/plugins/resource-$name-v$ver"
  mkdir -p "$dir"
  ln -sfn "$BIN/pulumi-resource-$name" "$dir/pulumi-resource-$name"
  rm -f "$dir.partial"
  log "registered pulumi-resource-$name as plugin resource-$name v$ver in $home/plugins"
}

# Directory of a module in the module cache, downloading it if needed.
module_dir() {
  (cd "$ENGINE_DIR/$1" && go mod download "$2" && go list -m -f '{{.Dir}}' "$2")
}
