# shellcheck shell=bash
# The binfmt service: binfmt_misc mounted, qemu-aarch64 enabled (up, down, status).
# Sourced by scripts/services.sh, after lib/common.sh and lib/services/daemons.sh.

binfmt_enabled() {
  [[ -f "$BINFMT_DIR/qemu-aarch64" ]] && head -n 1 "$BINFMT_DIR/qemu-aarch64" | grep -qx enabled
}

up_binfmt() {
  if binfmt_enabled; then
    echo "already running"
    return 0
  fi
  if [[ ! -f "$BINFMT_DIR/register" ]]; then
    mount -t binfmt_misc binfmt_misc "$BINFMT_DIR" 2>&1 ||
      { echo "FAILED: cannot mount binfmt_misc on $BINFMT_DIR"; return 1; }
  fi
  have update-binfmts || { echo "FAILED: update-binfmts missing (run scripts/install-system.sh)"; return 1; }
  [[ -f /usr/share/binfmts/qemu-aarch64 || -f /var/lib/binfmts/qemu-aarch64 ]] ||
    { echo "FAILED: qemu-user-static not installed (run scripts/install-system.sh)"; return 1; }
  local out
  out="$(update-binfmts --enable qemu-aarch64 2>&1)" ||
    { echo "FAILED: update-binfmts --enable qemu-aarch64: $out"; return 1; }
  binfmt_enabled || { echo "FAILED: qemu-aarch64 still not enabled"; return 1; }
  mkdir -p "$RUN_DIR"
  touch "$RUN_DIR/binfmt.enabled-by-slipway"
  echo "started (qemu-aarch64, flags: $(sed -n 's/^flags: //p' "$BINFMT_DIR/qemu-aarch64"))"
}

down_binfmt() {
  if [[ ! -f "$RUN_DIR/binfmt.enabled-by-slipway" ]]; then
    if binfmt_enabled; then echo "left running (not enabled by slipway)"; else echo "not running"; fi
    return 0
  fi
  update-binfmts --disable qemu-aarch64 >/dev/null 2>&1 || true
  rm -f "$RUN_DIR/binfmt.enabled-by-slipway"
  echo "stopped (qemu-aarch64 disabled)"
}

status_binfmt() {
  if binfmt_enabled; then
    echo "running (qemu-aarch64 enabled, flags: $(sed -n 's/^flags: //p' "$BINFMT_DIR/qemu-aarch64"))"
  else
    echo "stopped"
  fi
}
