#!/usr/bin/env bash
# Start, stop and inspect the local services Slipway's tests and local stacks
# use. No systemd: every daemon runs in the background, detached, with its log
# and pid file under $SLIPWAY_HOME/state.
#
# Usage: scripts/services.sh up [--hold ID [--pid PID]] [service...]
#        scripts/services.sh release ID [service...]
#        scripts/services.sh down|status [service...]
#   services (default: all, in this order; `up` starts cluster only when named):
#     binfmt     binfmt_misc mounted, qemu-aarch64 enabled (run arm64 images)
#     docker     dockerd; log state/logs/docker.log; waits for `docker info`
#     registry   docker-registry on 127.0.0.1:5000, data in state/registry/data,
#                delete enabled; waits for /v2/ to answer {}
#     sshd       sshd on 127.0.0.1:2222 (own config state/ssh/sshd_config),
#                root login with key state/ssh/id_ed25519 only;
#                known_hosts for it in state/ssh/known_hosts
#     buildkitd  $SLIPWAY_HOME/bin/buildkitd (from scripts/bootstrap-engine.sh)
#                on unix://$SLIPWAY_HOME/state/buildkit/buildkitd.sock, plus the
#                buildx builder "slipway" (driver remote) pointing at it;
#                skipped when the binary is missing
#     cluster    (only when named: `up cluster`) the one-node Kubernetes cluster
#                of scripts/cluster.sh: etcd, a CRI containerd of its own,
#                kube-apiserver on https://127.0.0.1:16443, controller-manager,
#                scheduler, kubelet, kube-proxy; kubeconfig
#                state/cluster/admin.kubeconfig; needs registry and buildkitd
#                (the pause image is built and pushed there); skipped when the
#                binaries are missing
#
# Each requested service prints one line on stdout:
#   <service>: started (N s) | already running | stopped | not running |
#              skipped: <why> | FAILED: <reason> | ...
# `up` never restarts a service that answers its probe. One that runs but does
# not answer (a busy machine makes a healthy daemon slow) gets its probe
# retried for SLIPWAY_PROBE_DEADLINE seconds (default 60): "already running
# (answered after N s)"; only then is that process stopped by its pid and a new
# one started: "started (replaced: <what> pid N did not answer within 60 s;
# stopped it by its pid; ...)". A live instance's socket, pid file or state is
# never removed or replaced. `down` stops only what `up` started (it has a pid
# file); services that were running already are left alone.
#
# Holds (for test runs that share the machine): `up --hold ID --pid PID`
# records a hold ID owned by process PID (default: the caller) and marks the
# services it started as "held". `release ID` drops that hold; when no hold of
# a live process remains, it stops the held services (and only those: what
# was running before any hold is never stopped). So two test processes can
# share dockerd without one stopping it under the other.
#
# Exit status: 0, or 1 if any requested service FAILED, 2 on usage errors.
set -uo pipefail
# shellcheck source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

ALL_SERVICES=(binfmt docker registry sshd buildkitd cluster)
# Started only when named (a Kubernetes cluster costs CPU the other tests need).
OPTIONAL_SERVICES=(cluster)

REGISTRY_ADDR=127.0.0.1:5000
SSH_ADDR=127.0.0.1
SSH_PORT=2222

RUN_DIR="$SLIPWAY_STATE/run"
LOG_DIR="$SLIPWAY_STATE/logs"
SSH_DIR="$SLIPWAY_STATE/ssh"
REGISTRY_DIR="$SLIPWAY_STATE/registry"
BUILDKIT_DIR="$SLIPWAY_STATE/buildkit"
BUILDKIT_SOCK="$BUILDKIT_DIR/buildkitd.sock"
BUILDKITD_BIN="$SLIPWAY_HOME/bin/buildkitd"
BUILDX_BUILDER=slipway
BINFMT_DIR=/proc/sys/fs/binfmt_misc

# Daemons (dockerd, buildkitd) look up runc, containerd, iptables on PATH.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

usage() {
  {
    echo "usage: $0 up [--hold ID [--pid PID]] [service...]"
    echo "       $0 release ID [service...]"
    echo "       $0 down|status [service...]"
    echo "services: ${ALL_SERVICES[*]}"
  } >&2
  exit 2
}

# shellcheck source=lib/services/daemons.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/services/daemons.sh"
# shellcheck source=lib/services/binfmt.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/services/binfmt.sh"
# shellcheck source=lib/services/docker.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/services/docker.sh"
# shellcheck source=lib/services/registry.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/services/registry.sh"
# shellcheck source=lib/services/sshd.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/services/sshd.sh"
# shellcheck source=lib/services/buildkitd.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/services/buildkitd.sh"

# --------------------------------------------------------------- cluster ----

CLUSTER_SH="$(dirname "${BASH_SOURCE[0]}")/cluster.sh"
up_cluster() { bash "$CLUSTER_SH" up 9>&-; }
down_cluster() { bash "$CLUSTER_SH" down 9>&-; }
status_cluster() { bash "$CLUSTER_SH" status; }

# ------------------------------------------------------------------- main ----

HOLD_DIR="$RUN_DIR/holds"      # one file per holder: its pid
HELD_DIR="$RUN_DIR/held"       # one file per service started on behalf of holders

# live_holds: print the names of holds whose holder process is alive; remove
# the others (a crashed test run must not keep services up forever).
live_holds() {
  local f pid
  [[ -d "$HOLD_DIR" ]] || return 0
  for f in "$HOLD_DIR"/*; do
    [[ -f "$f" ]] || continue
    pid="$(tr -dc '0-9' <"$f")"
    if proc_alive "$pid"; then
      basename "$f"
    else
      rm -f "$f"
    fi
  done
}

hold_id=""
holder_pid="$PPID"
(($# >= 1)) || usage
action="$1"
shift
case "$action" in
  up)
    while (($# > 0)); do
      case "$1" in
        --hold) hold_id="${2:-}"; shift 2 || usage ;;
        --pid) holder_pid="${2:-}"; shift 2 || usage ;;
        *) break ;;
      esac
    done
    ;;
  release)
    hold_id="${1:-}"
    shift || usage
    ;;
  down | status) ;;
  *) usage ;;
esac
if [[ -n "$hold_id" || "$action" == release ]]; then
  [[ "$hold_id" =~ ^[A-Za-z0-9._-]+$ ]] || { echo "invalid hold id: '$hold_id'" >&2; exit 2; }
  [[ "$holder_pid" =~ ^[0-9]+$ ]] || { echo "invalid --pid: '$holder_pid'" >&2; exit 2; }
fi

requested=("$@")
if ((${#requested[@]} == 0)); then
  for s in "${ALL_SERVICES[@]}"; do
    case " ${OPTIONAL_SERVICES[*]} " in *" $s "*) [[ "$action" != up ]] || continue ;; esac
    requested+=("$s")
  done
fi
for s in "${requested[@]}"; do
  case " ${ALL_SERVICES[*]} " in
    *" $s "*) ;;
    *) echo "unknown service: $s (known: ${ALL_SERVICES[*]})" >&2; exit 2 ;;
  esac
done

# Canonical order (binfmt before buildkitd, so buildkitd sees arm64 emulation);
# reversed for down/release.
ordered=()
for s in "${ALL_SERVICES[@]}"; do
  case " ${requested[*]} " in *" $s "*) ordered+=("$s") ;; esac
done
if [[ "$action" == down || "$action" == release ]]; then
  reversed=()
  for ((i = ${#ordered[@]} - 1; i >= 0; i--)); do reversed+=("${ordered[i]}"); done
  ordered=("${reversed[@]}")
fi

if [[ "$action" != status ]]; then
  [[ "$(id -u)" -eq 0 ]] || { echo "services.sh $action must run as root" >&2; exit 1; }
fi
mkdir -p "$RUN_DIR" "$LOG_DIR"

# One up/down/release at a time (parallel test runs share these services).
if [[ "$action" != status ]]; then
  exec 9>"$RUN_DIR/services.lock"
  flock -w 300 9 || { echo "services.sh: could not lock $RUN_DIR/services.lock within 300 s" >&2; exit 1; }
fi

if [[ "$action" == release ]]; then
  rm -f "$HOLD_DIR/$hold_id"
  others="$(live_holds | wc -l)"
  if ((others > 0)); then
    for s in "${ordered[@]}"; do
      if [[ -f "$HELD_DIR/$s" ]]; then
        printf '%s: kept running (%s other hold(s))\n' "$s" "$others"
      fi
    done
    exit 0
  fi
  # Last holder out: stop what was started on behalf of holders.
  action=down
  held=()
  for s in "${ordered[@]}"; do
    [[ -f "$HELD_DIR/$s" ]] && held+=("$s")
  done
  ordered=("${held[@]+"${held[@]}"}")
fi

failed=0
for s in "${ordered[@]+"${ordered[@]}"}"; do
  result="$("${action}_$s" 2>>"$LOG_DIR/services.log")"
  rc=$?
  [[ -n "$result" ]] || result="FAILED: no result (see $LOG_DIR/services.log)"
  if ((rc != 0)) || [[ "$result" == FAILED* ]]; then
    failed=1
    [[ "$result" == FAILED* ]] || result="FAILED: $result"
  fi
  case "$action:$result" in
    up:started*) [[ -n "$hold_id" ]] && mkdir -p "$HELD_DIR" && touch "$HELD_DIR/$s" ;;
    down:stopped* | down:"not running"*) rm -f "$HELD_DIR/$s" ;;
  esac
  printf '%s: %s\n' "$s" "$result"
done
if [[ "$action" == up && -n "$hold_id" ]]; then
  mkdir -p "$HOLD_DIR"
  echo "$holder_pid" >"$HOLD_DIR/$hold_id"
fi
exit "$failed"
