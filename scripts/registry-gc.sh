#!/usr/bin/env bash
# Garbage collection for a self-hosted distribution registry (Debian's
# docker-registry), such as the local stack's on 127.0.0.1:5000.
#
# Deleting a manifest (what `slipway retention` does) only removes the link to
# it: the blobs stay on disk until the registry's garbage collector sweeps
# them. The collector is stop-the-world: while it runs nothing may push, or a
# blob uploaded in between can be swept while a new manifest needs it. So this
# script, as the distribution docs require, either
#   --mode readonly (default): restarts the registry with
#       storage.maintenance.readonly.enabled (pulls keep working, pushes get
#       405), collects, and restarts it writable with its own config; or
#   --mode stop: stops the registry, collects, starts it again;
#   --offline: collects only; you have stopped the registry (or made it
#       read-only) yourself.
# The registry must be one whose pid is in --pidfile (scripts/services.sh
# writes it for the local one). Whatever fails, the registry is started again
# with its own config if it was running before.
#
# Usage: scripts/registry-gc.sh [--config FILE] [--pidfile FILE] [--log FILE]
#                               [--mode readonly|stop | --offline] [--dry-run]
#   --config   registry config (default: $SLIPWAY_STATE/registry/config.yml)
#   --pidfile  pid file of the running registry (default: $SLIPWAY_STATE/run/registry.pid)
#   --log      where the registry's output goes (default: $SLIPWAY_STATE/logs/registry.log)
#   --dry-run  only report what would be freed; the registry is not touched
#
# stdout, one line each:
#   blobs before: N bytes
#   blobs after: N bytes            (or: would free: N bytes in K blobs)
#   freed: N bytes in K blobs
# Exit status: 0, 1 on failure, 2 on usage errors.
set -euo pipefail
# shellcheck source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

CONFIG="$SLIPWAY_STATE/registry/config.yml"
PIDFILE="$SLIPWAY_STATE/run/registry.pid"
LOGFILE="$SLIPWAY_STATE/logs/registry.log"
MODE=readonly
DRY_RUN=0

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
  exit 2
}

while (($# > 0)); do
  case "$1" in
    --config) CONFIG="${2:?}"; shift 2 ;;
    --pidfile) PIDFILE="${2:?}"; shift 2 ;;
    --log) LOGFILE="${2:?}"; shift 2 ;;
    --mode)
      MODE="${2:?}"; shift 2
      [[ "$MODE" == readonly || "$MODE" == stop ]] || usage
      ;;
    --offline) MODE=offline; shift ;;
    --dry-run) DRY_RUN=1; shift ;;
    -h | --help) usage ;;
    *) usage ;;
  esac
done

have docker-registry || fail "docker-registry is not installed (scripts/install-system.sh installs it)"
[[ -f "$CONFIG" ]] || fail "no registry config at $CONFIG (start the registry once: scripts/services.sh up registry)"

# The two settings the script needs from the config, read as the generated
# config writes them (one `key: value` per line).
ROOT="$(awk '$1 == "rootdirectory:" { print $2; exit }' "$CONFIG")"
ADDR="$(awk '$1 == "addr:" { print $2; exit }' "$CONFIG")"
[[ -n "$ROOT" && -d "$ROOT" ]] || fail "$CONFIG has no storage.filesystem.rootdirectory that exists"
[[ -n "$ADDR" ]] || fail "$CONFIG has no http.addr"
BLOBS="$ROOT/docker/registry/v2/blobs"

# blob_bytes: the bytes of every blob file (layers, configs, manifests).
blob_bytes() {
  if [[ -d "$BLOBS" ]]; then
    find "$BLOBS" -type f -name data -printf '%s\n' | awk '{ n += $1 } END { print n + 0 }'
  else
    echo 0
  fi
}

answers() {
  [[ "$(curl -fsS --max-time 2 "http://$ADDR/v2/" 2>/dev/null | tr -d '[:space:]')" == "{}" ]]
}

# collect [--dry-run]: run the collector; prints its output on stderr and the
# digests of the blobs it (would) delete on stdout.
collect() {
  local out
  if ! out="$(docker-registry garbage-collect "$@" "$CONFIG" 2>&1)"; then
    printf '%s\n' "$out" >&2
    return 1
  fi
  printf '%s\n' "$out" | grep -v 'level=info' >&2 || true
  printf '%s\n' "$out" | sed -n 's/^blob eligible for deletion: \(sha256:[0-9a-f]*\).*/\1/p'
}

# bytes_of DIGEST...: the bytes those blobs take on disk now.
bytes_of() {
  local total=0 digest data
  for digest in "$@"; do
    data="$BLOBS/sha256/${digest:7:2}/${digest:7}/data"
    [[ -f "$data" ]] && total=$((total + $(stat -c %s "$data")))
  done
  echo "$total"
}

before="$(blob_bytes)"
echo "blobs before: $before bytes"

listing="$(mktemp)"
trap 'rm -f "$listing"' EXIT

if ((DRY_RUN)); then
  collect --dry-run >"$listing" || fail "docker-registry garbage-collect --dry-run failed"
  mapfile -t eligible <"$listing"
  echo "would free: $(bytes_of "${eligible[@]}") bytes in ${#eligible[@]} blobs"
  exit 0
fi

was_running=0
if [[ "$MODE" != offline ]]; then
  if pid_alive "$PIDFILE"; then
    was_running=1
  elif answers; then
    fail "a registry answers on $ADDR but $PIDFILE names no live process: it was not started by scripts/services.sh; stop it (or make it read-only) yourself and run with --offline"
  fi
fi

READONLY_CONFIG=""
# restart CONFIG: stop the registry in $PIDFILE, start it with CONFIG, wait.
restart() {
  stop_pidfile "$PIDFILE" 15 || fail "the registry (pid file $PIDFILE) did not stop"
  spawn_detached "$LOGFILE" "$PIDFILE" docker-registry serve "$1"
  wait_until 30 answers || fail "the registry did not answer on $ADDR after a restart with $1; see $LOGFILE"
}

restore() {
  local status=$?
  rm -f "$listing" "${READONLY_CONFIG:-/nonexistent}"
  if ((was_running)) && ! { pid_alive "$PIDFILE" && [[ "${restored:-0}" == 1 ]]; }; then
    log "starting the registry again with $CONFIG"
    restart "$CONFIG"
  fi
  exit "$status"
}
trap restore EXIT

if ((was_running)); then
  case "$MODE" in
    readonly)
      if grep -q '^ *maintenance:' "$CONFIG"; then
        fail "$CONFIG already has a storage.maintenance section; use --mode stop"
      fi
      READONLY_CONFIG="$(mktemp "${CONFIG%.yml}.readonly.XXXXXX.yml")"
      awk '{ print } $1 == "storage:" && !done { print "  maintenance:\n    readonly:\n      enabled: true"; done = 1 }' \
        "$CONFIG" >"$READONLY_CONFIG"
      log "restarting the registry on $ADDR read-only for the collection"
      restart "$READONLY_CONFIG"
      ;;
    stop)
      log "stopping the registry on $ADDR for the collection"
      stop_pidfile "$PIDFILE" 15 || fail "the registry (pid file $PIDFILE) did not stop"
      ;;
  esac
fi

start="$(now_ms)"
collect >"$listing" || fail "docker-registry garbage-collect failed"
mapfile -t swept <"$listing"
log "collected in $(elapsed_s "$start") s"

if ((was_running)); then
  log "restarting the registry on $ADDR with $CONFIG"
  restart "$CONFIG"
  restored=1
fi

after="$(blob_bytes)"
echo "blobs after: $after bytes"
echo "freed: $((before - after)) bytes in ${#swept[@]} blobs"
