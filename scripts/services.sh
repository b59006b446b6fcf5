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

port_listening() { # port_listening PORT
  ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}

# A probe of a daemon that hangs must not hang `up`: each try has this many seconds.
PROBE_TIMEOUT="${SLIPWAY_PROBE_TIMEOUT:-10}"

# running_pid PIDFILE OTHER_PID: the live instance: ours (PIDFILE), else OTHER_PID if alive.
running_pid() {
  if pid_alive "$1"; then
    pid_of "$1"
  elif [[ -n "${2:-}" ]] && proc_alive "$2"; then
    echo "$2"
  fi
}

# settle WHAT PID STOP_TIMEOUT_S PROBE...: a live instance (PID) did not answer
# PROBE. Retries it (answer_or_stop); sets SETTLED to what happened. Returns 0
# when it answered (leave it), 1 when it was stopped (start anew), 2 when it
# could not be stopped.
SETTLED=""
settle() {
  local rc
  SETTLED="$(answer_or_stop "$@")"
  rc=$?
  return "$rc"
}

# started_note: the words `started (...)` begins with after a replacement.
replaced_note() {
  [[ -z "$SETTLED" ]] || printf 'replaced: %s; ' "$SETTLED"
}

# ---------------------------------------------------------------- binfmt ----

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

# ---------------------------------------------------------------- docker ----

docker_ok() { timeout "$PROBE_TIMEOUT" docker info >/dev/null 2>&1; }

up_docker() {
  local pid
  if docker_ok; then
    echo "already running"
    return 0
  fi
  pid="$(running_pid "$RUN_DIR/docker.pid" "$(tr -dc '0-9' </var/run/docker.pid 2>/dev/null)")"
  if [[ -n "$pid" ]]; then
    settle dockerd "$pid" 60 docker_ok
    case $? in
      0) echo "already running ($SETTLED)"; return 0 ;;
      2) echo "FAILED: $SETTLED"; return 1 ;;
    esac
  fi
  have dockerd || { echo "FAILED: dockerd missing (run scripts/install-system.sh)"; return 1; }
  [[ -f /etc/docker/daemon.json ]] || warn "/etc/docker/daemon.json missing (run scripts/install-system.sh)"
  local pidfile="$RUN_DIR/docker.pid" log="$LOG_DIR/docker.log" t
  t="$(now_ms)"
  spawn_detached "$log" "$pidfile" dockerd 9>&-
  wait_ready dockerd "$pidfile" "$log" 90 0.2 "docker info did not answer" docker_ok || return 1
  echo "started ($(replaced_note)$(elapsed_s "$t") s, pid $(pid_of "$pidfile"), log $log)"
}

down_docker() {
  local pidfile="$RUN_DIR/docker.pid"
  if pid_alive "$pidfile"; then
    stop_pidfile "$pidfile" 60 || { echo "FAILED: dockerd did not stop"; return 1; }
    echo "stopped"
  elif docker_ok; then
    echo "left running (not started by slipway)"
  else
    rm -f "$pidfile"
    echo "not running"
  fi
}

status_docker() {
  local pidfile="$RUN_DIR/docker.pid" v
  if docker_ok; then
    v="$(docker version --format '{{.Server.Version}}' 2>/dev/null)"
    if pid_alive "$pidfile"; then
      echo "running (dockerd $v, pid $(pid_of "$pidfile"), started by slipway)"
    else
      echo "running (dockerd $v, not started by slipway)"
    fi
  else
    echo "stopped"
  fi
}

# -------------------------------------------------------------- registry ----

registry_ok() {
  [[ "$(curl -fsS --max-time 2 "http://$REGISTRY_ADDR/v2/" 2>/dev/null | tr -d '[:space:]')" == "{}" ]]
}

write_registry_config() {
  mkdir -p "$REGISTRY_DIR/data"
  cat >"$REGISTRY_DIR/config.yml" <<YAML
# Generated by scripts/services.sh; rewritten on every start.
version: 0.1
log:
  level: info
  formatter: text
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $REGISTRY_DIR/data
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: $REGISTRY_ADDR
  headers:
    X-Content-Type-Options: [nosniff]
YAML
}

up_registry() {
  local pid
  if registry_ok; then
    echo "already running"
    return 0
  fi
  pid="$(running_pid "$RUN_DIR/registry.pid" "$(listener_pid tcp "${REGISTRY_ADDR##*:}")")"
  if [[ -n "$pid" ]]; then
    settle docker-registry "$pid" 15 registry_ok
    case $? in
      0) echo "already running ($SETTLED)"; return 0 ;;
      2) echo "FAILED: $SETTLED"; return 1 ;;
    esac
  fi
  if port_listening "${REGISTRY_ADDR##*:}"; then
    echo "FAILED: port ${REGISTRY_ADDR##*:} is in use by something that does not answer /v2/ with {}"
    return 1
  fi
  have docker-registry || { echo "FAILED: docker-registry missing (run scripts/install-system.sh)"; return 1; }
  local pidfile="$RUN_DIR/registry.pid" log="$LOG_DIR/registry.log" t
  t="$(now_ms)"
  write_registry_config
  spawn_detached "$log" "$pidfile" docker-registry serve "$REGISTRY_DIR/config.yml" 9>&-
  wait_ready docker-registry "$pidfile" "$log" 30 0.1 "/v2/ did not answer {}" registry_ok || return 1
  echo "started ($(replaced_note)$(elapsed_s "$t") s, http://$REGISTRY_ADDR, data $REGISTRY_DIR/data)"
}

down_registry() {
  local pidfile="$RUN_DIR/registry.pid"
  if pid_alive "$pidfile"; then
    stop_pidfile "$pidfile" 15 || { echo "FAILED: docker-registry did not stop"; return 1; }
    echo "stopped"
  elif registry_ok; then
    echo "left running (not started by slipway)"
  else
    rm -f "$pidfile"
    echo "not running"
  fi
}

status_registry() {
  local pidfile="$RUN_DIR/registry.pid"
  if registry_ok; then
    if pid_alive "$pidfile"; then
      echo "running (http://$REGISTRY_ADDR, pid $(pid_of "$pidfile"), started by slipway)"
    else
      echo "running (http://$REGISTRY_ADDR, not started by slipway)"
    fi
  else
    echo "stopped"
  fi
}

# ------------------------------------------------------------------- sshd ----

ssh_probe() { # ssh_probe: run `true` on the local sshd with our key
  ssh -i "$SSH_DIR/id_ed25519" -p "$SSH_PORT" \
    -o BatchMode=yes -o IdentitiesOnly=yes -o ConnectTimeout=3 \
    -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$SSH_DIR/known_hosts" \
    -o GlobalKnownHostsFile=/dev/null -o LogLevel=ERROR \
    "root@$SSH_ADDR" true
}

prepare_ssh() {
  mkdir -p "$SSH_DIR" /run/sshd
  chmod 700 "$SSH_DIR"
  chmod 755 /run/sshd
  ssh-keygen -A >/dev/null 2>&1 || return 1
  if [[ ! -s "$SSH_DIR/id_ed25519" ]]; then
    rm -f "$SSH_DIR/id_ed25519" "$SSH_DIR/id_ed25519.pub"
    ssh-keygen -q -t ed25519 -N '' -C "slipway@$(hostname)" -f "$SSH_DIR/id_ed25519" || return 1
  fi
  install -m 600 "$SSH_DIR/id_ed25519.pub" "$SSH_DIR/authorized_keys"
  # Host key: the system ed25519 key (ssh-keygen -A); only that one is served,
  # so clients negotiate ed25519 and the known_hosts line below always matches.
  printf '[%s]:%s %s\n' "$SSH_ADDR" "$SSH_PORT" \
    "$(cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub)" >"$SSH_DIR/known_hosts"
  cat >"$SSH_DIR/sshd_config" <<CONF
# Generated by scripts/services.sh; rewritten on every start.
# A separate sshd for Slipway's local deploy target: loopback only, key only.
Port $SSH_PORT
ListenAddress $SSH_ADDR
HostKey /etc/ssh/ssh_host_ed25519_key
PidFile none
PermitRootLogin prohibit-password
PubkeyAuthentication yes
AuthorizedKeysFile $SSH_DIR/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitEmptyPasswords no
UsePAM no
# The state dir may live under a world-writable parent (e.g. a test's /tmp
# SLIPWAY_HOME); we create authorized_keys 0600 in a 0700 dir ourselves.
StrictModes no
# Deploy tools open many sessions/connections at once.
MaxSessions 64
MaxStartups 64:30:256
X11Forwarding no
PrintMotd no
SetEnv PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
Subsystem sftp internal-sftp
LogLevel INFO
CONF
}

up_sshd() {
  local pidfile="$RUN_DIR/sshd.pid" log="$LOG_DIR/sshd.log" t out pid
  if pid_alive "$pidfile" && ssh_probe >/dev/null 2>&1; then
    echo "already running"
    return 0
  fi
  [[ -x /usr/sbin/sshd ]] || { echo "FAILED: /usr/sbin/sshd missing (run scripts/install-system.sh)"; return 1; }
  t="$(now_ms)"
  if ! pid_alive "$pidfile"; then
    # Keys and config are the running sshd's state: rewritten only when none of ours runs.
    prepare_ssh || { echo "FAILED: could not generate keys/config in $SSH_DIR"; return 1; }
  fi
  if ! pid_alive "$pidfile" && port_listening "$SSH_PORT" && ssh_probe >/dev/null 2>&1; then
    echo "already running (not started by slipway)"
    return 0
  fi
  pid="$(running_pid "$pidfile" "$(listener_pid tcp "$SSH_PORT")")"
  if [[ -n "$pid" ]]; then
    settle sshd "$pid" 10 ssh_probe
    case $? in
      0) echo "already running ($SETTLED)"; return 0 ;;
      2) echo "FAILED: $SETTLED"; return 1 ;;
    esac
    prepare_ssh || { echo "FAILED: could not generate keys/config in $SSH_DIR"; return 1; }
  fi
  if port_listening "$SSH_PORT"; then
    echo "FAILED: port $SSH_PORT is in use by something that does not accept $SSH_DIR/id_ed25519"
    return 1
  fi
  out="$(/usr/sbin/sshd -t -f "$SSH_DIR/sshd_config" 2>&1)" ||
    { echo "FAILED: sshd config invalid: $out"; return 1; }
  # sshd must be started by absolute path (it re-executes itself).
  spawn_detached "$log" "$pidfile" /usr/sbin/sshd -D -e -f "$SSH_DIR/sshd_config" 9>&-
  wait_ready sshd "$pidfile" "$log" 20 0.2 "ssh with $SSH_DIR/id_ed25519 did not work" ssh_probe || return 1
  echo "started ($(replaced_note)$(elapsed_s "$t") s, root@$SSH_ADDR:$SSH_PORT, key $SSH_DIR/id_ed25519, known_hosts $SSH_DIR/known_hosts)"
}

down_sshd() {
  local pidfile="$RUN_DIR/sshd.pid"
  if pid_alive "$pidfile"; then
    stop_pidfile "$pidfile" 10 || { echo "FAILED: sshd did not stop"; return 1; }
    echo "stopped"
  elif port_listening "$SSH_PORT"; then
    echo "left running (not started by slipway)"
  else
    rm -f "$pidfile"
    echo "not running"
  fi
}

status_sshd() {
  local pidfile="$RUN_DIR/sshd.pid"
  if pid_alive "$pidfile"; then
    if ssh_probe >/dev/null 2>&1; then
      echo "running (root@$SSH_ADDR:$SSH_PORT, pid $(pid_of "$pidfile"), started by slipway)"
    else
      echo "running (pid $(pid_of "$pidfile")) but ssh with $SSH_DIR/id_ed25519 fails"
    fi
  elif port_listening "$SSH_PORT"; then
    echo "running (port $SSH_PORT in use, not started by slipway)"
  else
    echo "stopped"
  fi
}

# -------------------------------------------------------------- buildkitd ----

buildctl_bin() {
  if [[ -x "$SLIPWAY_HOME/bin/buildctl" ]]; then
    echo "$SLIPWAY_HOME/bin/buildctl"
  elif have buildctl; then
    command -v buildctl
  fi
}

buildkitd_ok() {
  [[ -S "$BUILDKIT_SOCK" ]] || return 1
  local bc
  bc="$(buildctl_bin)"
  if [[ -n "$bc" ]]; then
    timeout "$PROBE_TIMEOUT" "$bc" --addr "unix://$BUILDKIT_SOCK" debug workers >/dev/null 2>&1
  else
    curl -s --max-time "$PROBE_TIMEOUT" --unix-socket "$BUILDKIT_SOCK" http://buildkitd/ >/dev/null 2>&1
  fi
}

write_buildkitd_config() {
  mkdir -p "$BUILDKIT_DIR/root"
  cat >"$BUILDKIT_DIR/buildkitd.toml" <<TOML
# Generated by scripts/services.sh; rewritten on every start.
root = "$BUILDKIT_DIR/root"

[grpc]
  address = ["unix://$BUILDKIT_SOCK"]

[worker.oci]
  enabled = true
  gc = true

[worker.containerd]
  enabled = false

[registry."$REGISTRY_ADDR"]
  http = true
  insecure = true
TOML
}

# ensure_builder: the buildx builder "slipway" (driver remote) -> our socket.
ensure_builder() {
  local endpoint="unix://$BUILDKIT_SOCK" current
  current="$(docker buildx inspect "$BUILDX_BUILDER" 2>/dev/null | awk '/^Endpoint:/ {print $2; exit}')"
  if [[ "$current" == "$endpoint" ]]; then
    return 0
  fi
  if [[ -n "$current" ]] || docker buildx inspect "$BUILDX_BUILDER" >/dev/null 2>&1; then
    docker buildx rm "$BUILDX_BUILDER" >/dev/null 2>&1 || true
  fi
  docker buildx create --name "$BUILDX_BUILDER" --driver remote "$endpoint" >/dev/null
}

builder_platforms() {
  docker buildx inspect --bootstrap "$BUILDX_BUILDER" 2>/dev/null | awk -F': *' '/^Platforms:/ {print $2; exit}'
}

up_buildkitd() {
  local pidfile="$RUN_DIR/buildkitd.pid" log="$LOG_DIR/buildkitd.log" t out pid answered=""
  if [[ ! -x "$BUILDKITD_BIN" ]]; then
    echo "skipped: $BUILDKITD_BIN missing, run scripts/bootstrap-engine.sh"
    return 0
  fi
  if ! buildkitd_ok; then
    # A live buildkitd that is slow to answer keeps its socket: retry, then stop it by pid.
    pid="$(running_pid "$pidfile" "$(listener_pid unix "$BUILDKIT_SOCK")")"
    if [[ -n "$pid" ]]; then
      settle buildkitd "$pid" 20 buildkitd_ok
      case $? in
        0) answered="$SETTLED, " ;;
        2) echo "FAILED: $SETTLED"; return 1 ;;
      esac
    fi
  fi
  if [[ -n "$answered" ]] || buildkitd_ok; then
    out="$(ensure_builder 2>&1)" || { echo "FAILED: buildkitd runs but docker buildx create failed: $out"; return 1; }
    echo "already running (${answered}builder $BUILDX_BUILDER -> unix://$BUILDKIT_SOCK)"
    return 0
  fi
  have runc || { echo "FAILED: runc missing (run scripts/install-system.sh)"; return 1; }
  t="$(now_ms)"
  write_buildkitd_config
  pid="$(listener_pid unix "$BUILDKIT_SOCK")"
  if [[ -n "$pid" ]]; then
    echo "FAILED: pid $pid still listens on $BUILDKIT_SOCK; not starting a second buildkitd"
    return 1
  fi
  # Nobody listens on it: a socket file left by a buildkitd that died.
  rm -f "$BUILDKIT_SOCK"
  spawn_detached "$log" "$pidfile" "$BUILDKITD_BIN" --config "$BUILDKIT_DIR/buildkitd.toml" 9>&-
  wait_ready buildkitd "$pidfile" "$log" 60 0.2 "buildkitd socket $BUILDKIT_SOCK not ready" buildkitd_ok || return 1
  out="$(ensure_builder 2>&1)" || { echo "FAILED: docker buildx create --driver remote failed: $out"; return 1; }
  echo "started ($(replaced_note)$(elapsed_s "$t") s, unix://$BUILDKIT_SOCK, builder $BUILDX_BUILDER, platforms $(builder_platforms))"
}

down_buildkitd() {
  local pidfile="$RUN_DIR/buildkitd.pid"
  if pid_alive "$pidfile"; then
    stop_pidfile "$pidfile" 20 || { echo "FAILED: buildkitd did not stop"; return 1; }
    rm -f "$BUILDKIT_SOCK"
    echo "stopped (builder $BUILDX_BUILDER kept; it works again after up)"
  elif buildkitd_ok; then
    echo "left running (not started by slipway)"
  else
    rm -f "$pidfile"
    echo "not running"
  fi
}

status_buildkitd() {
  local pidfile="$RUN_DIR/buildkitd.pid"
  if buildkitd_ok; then
    if pid_alive "$pidfile"; then
      echo "running (unix://$BUILDKIT_SOCK, pid $(pid_of "$pidfile"), started by slipway)"
    else
      echo "running (unix://$BUILDKIT_SOCK, not started by slipway)"
    fi
  elif [[ ! -x "$BUILDKITD_BIN" ]]; then
    echo "stopped ($BUILDKITD_BIN missing, run scripts/bootstrap-engine.sh)"
  else
    echo "stopped"
  fi
}

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
