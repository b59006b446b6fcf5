#!/usr/bin/env bash
# A one-node Kubernetes cluster on this machine, for the `local-k8s` stack and
# the Kubernetes tests. No systemd, no kubeadm, nothing pulled from a public
# registry: every daemon runs detached with its log under state/logs and its
# pid file under state/run, like the other services (scripts/services.sh
# calls this script for its `cluster` service).
#
# Usage: scripts/cluster.sh up|down|status|env
#
# Pieces, started in this order (stopped in reverse):
#   etcd            Debian's etcd-server, http://127.0.0.1:12379, data state/cluster/etcd
#   containerd      Debian's containerd, a second instance beside Docker's (whose CRI
#                   plugin is disabled): own socket /run/slipway-containerd/containerd.sock,
#                   own root state/cluster/containerd; pulls 127.0.0.1:5000 over plain HTTP;
#                   CNI: Debian's containernetworking-plugins (bridge slipway-cni0,
#                   pods 10.244.0.0/24, portmap)
#   apiserver       kube-apiserver on https://127.0.0.1:16443 (certificates made here with
#                   openssl, state/cluster/pki), services 10.96.0.0/24, NodePorts 30000-32767
#   controller-manager, scheduler   on loopback, no leader election
#   kubelet         node "slipway", cgroupfs, the node IP of the default route's interface
#   kube-proxy      iptables mode; NodePorts answer on 127.0.0.1 only
#   coredns         the cluster DNS: CoreDNS (built from Go modules, only the plugins its
#                   Corefile uses) on the node IP's port 1053, reading Services and pods
#                   with a client certificate of its own (ClusterRole slipway:coredns);
#                   the Service kube-system/kube-dns (10.96.0.10:53, no selector) has one
#                   EndpointSlice pointing at it, and the kubelet gives pods that address
#                   (clusterDNS), so `postgres`, `postgres.<ns>` and
#                   `postgres.<ns>.svc.cluster.local` resolve in pods; other names are
#                   forwarded to this machine's /etc/resolv.conf
# Storage: the controller-manager's in-tree host-path provisioner (no further
# binary or image), behind the default StorageClass slipway-hostpath: a claim
# gets a directory under /tmp/hostpath_pv on this one node, deleted
# with the claim.
# The Kubernetes binaries and CoreDNS come from scripts/bootstrap-engine.sh --only kubernetes,coredns
# ($SLIPWAY_HOME/bin); the pause image (FROM scratch, a static pause binary built
# there too) is pushed to 127.0.0.1:5000/slipway/pause by `up` when missing.
#
# `up` is idempotent: a piece that already answers its health check is left
# alone. It prints one line on stdout:
#   started (N s, node slipway Ready, kubeconfig FILE) | already running (...) |
#   skipped: <why> | FAILED: <reason>
# `down` stops only the pieces this script started (pid files), kills the pods'
# containers of its containerd and removes kube-proxy's rules; `status` prints
# one line. `env` prints `export KUBECONFIG=...`.
# Exit status: 0, or 1 on FAILED.
set -uo pipefail
# shellcheck source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

K8S_VERSION=v1.34.4
PAUSE_VERSION=3.10.1
REGISTRY_ADDR=127.0.0.1:5000
PAUSE_IMAGE="$REGISTRY_ADDR/slipway/pause:$PAUSE_VERSION"
NODE_NAME=slipway
ETCD_PORT=12379
ETCD_PEER_PORT=12380
API_PORT=16443
SERVICE_CIDR=10.96.0.0/24
POD_CIDR=10.244.0.0/24
CNI_BRIDGE=slipway-cni0
CNI_BIN=/usr/lib/cni
CLUSTER_DOMAIN=cluster.local
DNS_SERVICE_IP=10.96.0.10
DNS_PORT=1053
DNS_HEALTH_PORT=18053
DNS_READY_PORT=18181

BIN="$SLIPWAY_HOME/bin"
CLUSTER_DIR="$SLIPWAY_STATE/cluster"
PKI="$CLUSTER_DIR/pki"
RUN_DIR="$SLIPWAY_STATE/run"
LOG_DIR="$SLIPWAY_STATE/logs"
CTRD_SOCK_DIR=/run/slipway-containerd
CTRD_SOCK="$CTRD_SOCK_DIR/containerd.sock"
ADMIN_KUBECONFIG="$CLUSTER_DIR/admin.kubeconfig"

export PATH="$BIN:$PATH:/usr/local/sbin:/usr/sbin:/sbin"

PIECES=(etcd containerd apiserver controller-manager scheduler kubelet kube-proxy coredns)

pidfile_of() { echo "$RUN_DIR/cluster-$1.pid"; }
logfile_of() { echo "$LOG_DIR/cluster-$1.log"; }

node_ip() {
  local dev
  dev="$(ip -4 route show default 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "dev") {print $(i + 1); exit}}')"
  [[ -n "$dev" ]] || return 1
  ip -4 -o addr show dev "$dev" scope global | awk '{split($4, a, "/"); print a[1]; exit}'
}

# shellcheck source=lib/cluster/pki.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/cluster/pki.sh"
# shellcheck source=lib/cluster/config.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/cluster/config.sh"

# --------------------------------------------------------------- probes ----

etcd_ok() { curl -fsS --max-time 2 "http://127.0.0.1:$ETCD_PORT/health" 2>/dev/null | grep -q '"health":"true"'; }
containerd_ok() { [[ -S "$CTRD_SOCK" ]] && ctr --address "$CTRD_SOCK" version >/dev/null 2>&1; }
apiserver_ok() {
  [[ -s "$ADMIN_KUBECONFIG" ]] &&
    [[ "$(kubectl --kubeconfig "$ADMIN_KUBECONFIG" get --raw /readyz --request-timeout=3s 2>/dev/null)" == ok ]]
}
https_healthz() { [[ "$(curl -ksS --max-time 2 "https://127.0.0.1:$1/healthz" 2>/dev/null)" == ok ]]; }
controller-manager_ok() { https_healthz 10257; }
scheduler_ok() { https_healthz 10259; }
kubelet_ok() { [[ "$(curl -fsS --max-time 2 http://127.0.0.1:10248/healthz 2>/dev/null)" == ok ]]; }
kube-proxy_ok() { curl -fsS --max-time 2 http://127.0.0.1:10256/healthz >/dev/null 2>&1; }
# CoreDNS is ready once its kubernetes plugin has synced with the apiserver.
coredns_ok() { [[ "$(curl -fsS --max-time 2 "http://127.0.0.1:$DNS_READY_PORT/ready" 2>/dev/null)" == OK ]]; }
# The default StorageClass: the controller-manager's host-path provisioner.
STORAGE_CLASS=slipway-hostpath
storage_class() {
  kubectl --kubeconfig "$ADMIN_KUBECONFIG" apply --request-timeout=10s -f - >/dev/null <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: $STORAGE_CLASS
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: kubernetes.io/host-path
reclaimPolicy: Delete
volumeBindingMode: Immediate
EOF
}

node_ready() {
  [[ "$(kubectl --kubeconfig "$ADMIN_KUBECONFIG" get node "$NODE_NAME" --request-timeout=3s \
    -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == True ]]
}

# -------------------------------------------------------------- commands ----

# The command line of each piece.
cmd_of() {
  local ip="$2"
  case "$1" in
    etcd)
      echo etcd --name slipway --data-dir "$CLUSTER_DIR/etcd" \
        --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
        --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
        --initial-cluster "slipway=http://127.0.0.1:$ETCD_PEER_PORT" \
        --quota-backend-bytes 1073741824 ;;
    containerd)
      echo containerd --config "$CLUSTER_DIR/containerd/config.toml" ;;
    apiserver)
      echo "$BIN/kube-apiserver" --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
        --bind-address 127.0.0.1 --secure-port "$API_PORT" --advertise-address "$ip" \
        --endpoint-reconciler-type none \
        --service-cluster-ip-range "$SERVICE_CIDR" --service-node-port-range 30000-32767 \
        --client-ca-file "$PKI/ca.crt" --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
        --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" --kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
        --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
        --service-account-issuer https://kubernetes.default.svc \
        --authorization-mode Node,RBAC --allow-privileged=true --profiling=false ;;
    controller-manager)
      echo "$BIN/kube-controller-manager" --kubeconfig "$CLUSTER_DIR/controller-manager.kubeconfig" \
        --authentication-kubeconfig "$CLUSTER_DIR/controller-manager.kubeconfig" \
        --authorization-kubeconfig "$CLUSTER_DIR/controller-manager.kubeconfig" \
        --bind-address 127.0.0.1 --leader-elect=false --use-service-account-credentials=true \
        --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
        --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
        --allocate-node-cidrs=false --profiling=false --enable-hostpath-provisioner=true ;;
    scheduler)
      echo "$BIN/kube-scheduler" --kubeconfig "$CLUSTER_DIR/scheduler.kubeconfig" \
        --authentication-kubeconfig "$CLUSTER_DIR/scheduler.kubeconfig" \
        --authorization-kubeconfig "$CLUSTER_DIR/scheduler.kubeconfig" \
        --bind-address 127.0.0.1 --leader-elect=false --profiling=false ;;
    kubelet)
      echo "$BIN/kubelet" --config "$CLUSTER_DIR/kubelet/config.yaml" \
        --kubeconfig "$CLUSTER_DIR/kubelet.kubeconfig" --root-dir "$CLUSTER_DIR/kubelet/root" \
        --cert-dir "$CLUSTER_DIR/kubelet/pki" --hostname-override "$NODE_NAME" --node-ip "$ip" ;;
    kube-proxy)
      echo "$BIN/kube-proxy" --kubeconfig "$CLUSTER_DIR/kube-proxy.kubeconfig" \
        --proxy-mode iptables --cluster-cidr "$POD_CIDR" --hostname-override "$NODE_NAME" \
        --nodeport-addresses 127.0.0.0/8 --conntrack-max-per-core 0 \
        --healthz-bind-address 127.0.0.1:10256 --metrics-bind-address 127.0.0.1:10249 ;;
    coredns)
      echo "$BIN/coredns" -conf "$CLUSTER_DIR/coredns/Corefile" ;;
  esac
}

# ----------------------------------------------------------- pause image ----

pause_pushed() {
  curl -fsS --max-time 3 -o /dev/null -I \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.index.v1+json' \
    "http://$REGISTRY_ADDR/v2/slipway/pause/manifests/$PAUSE_VERSION"
}

push_pause() {
  pause_pushed && return 0
  [[ -x "$BIN/pause" ]] || { echo "$BIN/pause missing (run scripts/bootstrap-engine.sh --only kubernetes)"; return 1; }
  local ctx
  ctx="$(mktemp -d)"
  cp "$BIN/pause" "$ctx/pause"
  printf 'FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n' >"$ctx/Dockerfile"
  if ! docker buildx build --builder slipway --platform linux/amd64 --provenance=false \
      --tag "$PAUSE_IMAGE" --push "$ctx" >"$LOG_DIR/cluster-pause.log" 2>&1; then
    rm -rf "$ctx"
    echo "building $PAUSE_IMAGE failed: $(tail -n 1 "$LOG_DIR/cluster-pause.log")"
    return 1
  fi
  rm -rf "$ctx"
}

# ------------------------------------------------------------------- up ----

# up_piece NAME IP -> 0 or 1 with a reason. Prints nothing when the piece answers
# (or was started); "replaced: NAME pid N …" when a running one never answered
# its probe within SLIPWAY_PROBE_DEADLINE seconds and was stopped by its pid and
# started anew. A running piece's socket, pid file and state are never removed.
up_piece() {
  local p="$1" ip="$2" pidfile log cmd note rc
  pidfile="$(pidfile_of "$p")"
  log="$(logfile_of "$p")"
  "${p}_ok" && return 0
  if pid_alive "$pidfile"; then
    # Running (a previous up, or slow on a busy machine): retry, then stop it by
    # pid. A piece may take 120 s to start: never replace one sooner.
    note="$(SLIPWAY_PROBE_DEADLINE=$((SLIPWAY_PROBE_DEADLINE > 120 ? SLIPWAY_PROBE_DEADLINE : 120)) \
      answer_or_stop "$p" "$(pid_of "$pidfile")" 30 "${p}_ok")"
    rc=$?
    case $rc in
      0) return 0 ;;
      2) echo "$note"; return 1 ;;
    esac
    rm -f "$pidfile"
    note="replaced: $note"
  fi
  case "$p" in
    containerd) write_containerd_config ;;
    kubelet) write_kubelet_config; mkdir -p "$CLUSTER_DIR/kubelet/root" "$CLUSTER_DIR/kubelet/pki" ;;
    etcd) mkdir -p "$CLUSTER_DIR/etcd" && chmod 700 "$CLUSTER_DIR/etcd" ;;
    coredns)
      write_corefile "$ip"
      dns_objects "$ip" || { echo "could not declare the cluster DNS's Service and role"; return 1; }
      ;;
  esac
  read -r -a cmd <<<"$(cmd_of "$p" "$ip")"
  spawn_detached "$log" "$pidfile" "${cmd[@]}" 9>&-
  # The caller prefixes its own FAILED: the reason alone.
  local reason
  reason="$(wait_ready "$p" "$pidfile" "$log" 120 0.3 "$p not healthy" "${p}_ok")" ||
    { echo "${reason#FAILED: }"; return 1; }
  [[ -z "${note:-}" ]] || echo "$note"
}

missing_binaries() {
  local b out=()
  for b in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy pause coredns; do
    [[ -x "$BIN/$b" ]] || out+=("$BIN/$b")
  done
  for b in etcd containerd ctr kubectl runc iptables conntrack "$CNI_BIN/bridge"; do
    have "$b" || [[ -x "$b" ]] || out+=("$b")
  done
  echo "${out[*]}"
}

cmd_up() {
  local t ip missing started=0 reason p
  missing="$(missing_binaries)"
  if [[ -n "$missing" ]]; then
    echo "skipped: missing $missing (run scripts/install-system.sh and scripts/bootstrap-engine.sh --only kubernetes,coredns)"
    return 0
  fi
  if apiserver_ok && node_ready && kubelet_ok && kube-proxy_ok && coredns_ok; then
    echo "already running (node $NODE_NAME Ready, kubeconfig $ADMIN_KUBECONFIG)"
    return 0
  fi
  t="$(now_ms)"
  mkdir -p "$CLUSTER_DIR" "$RUN_DIR" "$LOG_DIR"
  ip="$(node_ip)" || { echo "FAILED: no IPv4 address on the default route's interface"; return 1; }
  make_pki "$ip" || { echo "FAILED: could not make certificates in $PKI"; return 1; }
  reason="$(push_pause)" || { echo "FAILED: $reason"; return 1; }
  # kube-proxy and the bridge need these; the kubelet checks ip_forward.
  sysctl -qw net.ipv4.ip_forward=1 >/dev/null 2>&1 || true
  modprobe br_netfilter >/dev/null 2>&1 || true
  sysctl -qw net.bridge.bridge-nf-call-iptables=1 >/dev/null 2>&1 || true
  local replaced=()
  for p in "${PIECES[@]}"; do
    pid_alive "$(pidfile_of "$p")" || "${p}_ok" || started=$((started + 1))
    reason="$(up_piece "$p" "$ip")" || { echo "FAILED: $reason"; return 1; }
    [[ -z "$reason" ]] || { replaced+=("$reason"); started=$((started + 1)); }
  done
  if ! wait_until 120 node_ready; then
    echo "FAILED: node $NODE_NAME not Ready within 120 s (log: $(logfile_of kubelet))"
    return 1
  fi
  storage_class || { echo "FAILED: could not declare the StorageClass $STORAGE_CLASS"; return 1; }
  local replaced_note=""
  ((${#replaced[@]} == 0)) || replaced_note="$(printf '%s; ' "${replaced[@]}")"
  echo "started (${replaced_note}$(elapsed_s "$t") s, $started piece(s), Kubernetes $K8S_VERSION, node $NODE_NAME Ready, kubeconfig $ADMIN_KUBECONFIG)"
}

# ----------------------------------------------------------------- down ----

cmd_down() {
  local p stopped=() left=() i pidfile
  for ((i = ${#PIECES[@]} - 1; i >= 0; i--)); do
    p="${PIECES[i]}"
    pidfile="$(pidfile_of "$p")"
    if pid_alive "$pidfile"; then
      if [[ "$p" == containerd ]]; then
        # The pods' containers belong to this containerd: stop them with it.
        local task
        for task in $(ctr --address "$CTRD_SOCK" -n k8s.io tasks ls -q 2>/dev/null); do
          ctr --address "$CTRD_SOCK" -n k8s.io tasks kill -s KILL "$task" >/dev/null 2>&1 || true
        done
      fi
      stop_pidfile "$pidfile" 30 || { echo "FAILED: $p did not stop"; return 1; }
      stopped+=("$p")
      if [[ "$p" == kube-proxy ]]; then
        "$BIN/kube-proxy" --cleanup >>"$(logfile_of kube-proxy)" 2>&1 || true
      fi
    elif "${p}_ok" 2>/dev/null; then
      left+=("$p")
    fi
  done
  if ((${#stopped[@]} == 0)); then
    if ((${#left[@]} > 0)); then echo "left running (not started by slipway: ${left[*]})"; else echo "not running"; fi
  else
    echo "stopped (${stopped[*]})"
  fi
}

cmd_status() {
  local p up=() down=()
  for p in "${PIECES[@]}"; do
    if "${p}_ok" 2>/dev/null; then up+=("$p"); else down+=("$p"); fi
  done
  if ((${#down[@]} == 0)) && node_ready; then
    echo "running (Kubernetes $K8S_VERSION, node $NODE_NAME Ready, https://127.0.0.1:$API_PORT, kubeconfig $ADMIN_KUBECONFIG)"
  elif ((${#up[@]} == 0)); then
    echo "stopped"
  else
    echo "partly running (up: ${up[*]:-none}; down: ${down[*]:-none})"
  fi
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) echo "export KUBECONFIG=$ADMIN_KUBECONFIG" ;;
  *) echo "usage: $0 up|down|status|env" >&2; exit 2 ;;
esac
