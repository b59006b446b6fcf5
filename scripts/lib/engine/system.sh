# shellcheck shell=bash
# Using a Pulumi that is installed already (on PATH, or its plugin directory) instead of
# building: the CLI, and provider plugins found or installed with it.
# Sourced by scripts/bootstrap-engine.sh, after its settings and log helpers.

# A pulumi on PATH that is not ours.
system_pulumi() {
  local p d
  p="$(PATH="$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$BIN" | paste -sd: -)" command -v pulumi 2>/dev/null)" || return 1
  d="$(cd "$(dirname "$p")" && pwd)"
  [[ "$d" != "$BIN" ]] || return 1
  printf '%s' "$p"
}

# For a system install: make provider plugin NAME@VERSION (no leading v)
# visible to the engine without building it. Returns 1 if it cannot.
system_plugin() {
  local name="$1" ver="$2" found="" ph bin home="${PULUMI_HOME:-$SLIPWAY_HOME/pulumi-home}"
  local dir="$home/plugins/resource-$name-v$ver"
  if [[ -x "$dir/pulumi-resource-$name" ]]; then
    log "found plugin resource-$name v$ver in $home/plugins"
    return 0
  fi
  if found="$(command -v "pulumi-resource-$name" 2>/dev/null)" && [[ "$found" != "$BIN/"* ]]; then
    bin="$found"
  else
    for ph in "$HOME/.pulumi" "$SLIPWAY_HOME/pulumi-home"; do
      if [[ -x "$ph/plugins/resource-$name-v$ver/pulumi-resource-$name" ]]; then
        bin="$ph/plugins/resource-$name-v$ver/pulumi-resource-$name"
        break
      fi
    done
  fi
  if [[ -n "${bin:-}" ]]; then
    if [[ $CHECK_ONLY == 0 ]]; then
      mkdir -p "$dir" && ln -sfn "$bin" "$dir/pulumi-resource-$name"
    fi
    log "found pulumi-resource-$name at $bin; linked as plugin resource-$name v$ver in $home/plugins"
    return 0
  fi
  [[ $CHECK_ONLY == 1 ]] && return 1
  log "installing plugin resource-$name v$ver with $USE_SYSTEM plugin install ..."
  if PULUMI_HOME="$home" "$USE_SYSTEM" plugin install resource "$name" "$ver" \
       >"$LOGS/plugin-install-$name.log" 2>&1; then
    log "installed resource-$name v$ver into $home/plugins"
    return 0
  fi
  warn "pulumi plugin install resource $name $ver failed (see $LOGS/plugin-install-$name.log); building it instead"
  return 1
}
