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

# ------------------------------------------------------------------ pki ----

# cert NAME CN [O] [SANS]: a key and a certificate signed by the cluster CA.
cert() {
  local name="$1" cn="$2" o="${3:-}" sans="${4:-}" subj ext
  [[ -s "$PKI/$name.crt" && -s "$PKI/$name.key" ]] && return 0
  subj="/CN=$cn"
  [[ -n "$o" ]] && subj="/O=$o$subj"
  ext="$PKI/$name.ext"
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    if [[ -n "$sans" ]]; then
      echo "extendedKeyUsage=serverAuth,clientAuth"
      echo "subjectAltName=$sans"
    else
      echo "extendedKeyUsage=clientAuth"
    fi
  } >"$ext"
  openssl genrsa -out "$PKI/$name.key" 2048 2>/dev/null &&
    openssl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null &&
    openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
      -CAcreateserial -days 3650 -sha256 -extfile "$ext" -out "$PKI/$name.crt" 2>/dev/null &&
    chmod 600 "$PKI/$name.key" && rm -f "$PKI/$name.csr" "$ext"
}

# kubeconfig NAME CERT: a kubeconfig for the apiserver with client cert CERT.
kubeconfig() {
  local file="$CLUSTER_DIR/$1.kubeconfig" c="$2"
  [[ -s "$file" ]] && return 0
  cat >"$file.tmp" <<YAML
apiVersion: v1
kind: Config
clusters:
  - name: slipway
    cluster:
      server: https://127.0.0.1:$API_PORT
      certificate-authority-data: $(base64 -w0 "$PKI/ca.crt")
users:
  - name: $1
    user:
      client-certificate-data: $(base64 -w0 "$PKI/$c.crt")
      client-key-data: $(base64 -w0 "$PKI/$c.key")
contexts:
  - name: slipway
    context: {cluster: slipway, user: $1}
current-context: slipway
YAML
  chmod 600 "$file.tmp" && mv "$file.tmp" "$file"
}

make_pki() {
  local ip="$1"
  mkdir -p "$PKI" && chmod 700 "$PKI"
  if [[ ! -s "$PKI/ca.crt" ]]; then
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$PKI/ca.key" -out "$PKI/ca.crt" \
      -days 3650 -subj "/CN=slipway-cluster-ca" 2>/dev/null || return 1
    chmod 600 "$PKI/ca.key"
  fi
  [[ -s "$PKI/sa.key" ]] || { openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null &&
    openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null && chmod 600 "$PKI/sa.key"; } || return 1
  cert apiserver kube-apiserver "" \
    "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:localhost,IP:127.0.0.1,IP:10.96.0.1,IP:$ip" || return 1
  cert admin slipway-admin system:masters || return 1
  cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters || return 1
  cert controller-manager system:kube-controller-manager || return 1
  cert scheduler system:kube-scheduler || return 1
  cert kubelet "system:node:$NODE_NAME" system:nodes || return 1
  cert kube-proxy system:kube-proxy || return 1
  cert coredns slipway:coredns || return 1
  kubeconfig admin admin && kubeconfig controller-manager controller-manager &&
    kubeconfig scheduler scheduler && kubeconfig kubelet kubelet && kubeconfig kube-proxy kube-proxy &&
    kubeconfig coredns coredns
}

# --------------------------------------------------------------- config ----

write_containerd_config() {
  mkdir -p "$CLUSTER_DIR/containerd/root" "$CLUSTER_DIR/containerd/certs.d/$REGISTRY_ADDR" \
    "$CLUSTER_DIR/cni/net.d" "$CTRD_SOCK_DIR"
  cat >"$CLUSTER_DIR/containerd/config.toml" <<TOML
# Generated by scripts/cluster.sh; rewritten on every start.
version = 2
root = "$CLUSTER_DIR/containerd/root"
state = "$CTRD_SOCK_DIR/state"
[grpc]
  address = "$CTRD_SOCK"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # Processes here lack CAP_SYS_RESOURCE: runc cannot lower oom_score_adj (the kubelet asks
  # -998 for sandboxes), so containers get at least containerd's own value.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN"
    conf_dir = "$CLUSTER_DIR/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$CLUSTER_DIR/containerd/certs.d"
TOML
  cat >"$CLUSTER_DIR/containerd/certs.d/$REGISTRY_ADDR/hosts.toml" <<TOML
# The loopback registry speaks plain HTTP.
server = "http://$REGISTRY_ADDR"
[host."http://$REGISTRY_ADDR"]
  capabilities = ["pull", "resolve"]
TOML
  cat >"$CLUSTER_DIR/cni/net.d/10-slipway.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "slipway",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$CNI_BRIDGE",
      "isGateway": true,
      "ipMasq": true,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$POD_CIDR" }]],
        "routes": [{ "dst": "0.0.0.0/0" }],
        "dataDir": "$CLUSTER_DIR/cni/ipam"
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
JSON
}

write_kubelet_config() {
  mkdir -p "$CLUSTER_DIR/kubelet"
  cat >"$CLUSTER_DIR/kubelet/config.yaml" <<YAML
# Generated by scripts/cluster.sh; rewritten on every start.
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: 10250
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://$CTRD_SOCK
failSwapOn: false
failCgroupV1: false
serializeImagePulls: false
resolvConf: /etc/resolv.conf
# CoreDNS (the coredns piece) behind the Service kube-system/kube-dns.
clusterDNS: [$DNS_SERVICE_IP]
clusterDomain: $CLUSTER_DOMAIN
registerNode: true
maxPods: 50
# The machine's disk and memory are shared: evict only when really short.
evictionHard:
  memory.available: 100Mi
  nodefs.available: 2%
  imagefs.available: 2%
imageGCHighThresholdPercent: 98
imageGCLowThresholdPercent: 95
YAML
}

# The cluster DNS's Corefile (the plugins scripts/engine/coredns/main.go builds in).
write_corefile() {
  mkdir -p "$CLUSTER_DIR/coredns"
  cat >"$CLUSTER_DIR/coredns/Corefile" <<COREFILE
# Generated by scripts/cluster.sh; rewritten on every start.
.:$DNS_PORT {
    bind $1
    errors
    health 127.0.0.1:$DNS_HEALTH_PORT
    ready 127.0.0.1:$DNS_READY_PORT
    kubernetes $CLUSTER_DOMAIN in-addr.arpa ip6.arpa {
        kubeconfig $CLUSTER_DIR/coredns.kubeconfig slipway
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 5
    }
    forward . /etc/resolv.conf
    cache 5
    loadbalance
}
COREFILE
}

# What CoreDNS reads, and the Service pods ask (kube-proxy sends 10.96.0.10:53 to
# NODE_IP:1053 through the EndpointSlice; no selector, so no controller touches it).
dns_objects() {
  kubectl --kubeconfig "$ADMIN_KUBECONFIG" apply --request-timeout=10s -f - >/dev/null <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: slipway:coredns
rules:
  - apiGroups: [""]
    resources: [endpoints, services, pods, namespaces]
    verbs: [list, watch]
  - apiGroups: [discovery.k8s.io]
    resources: [endpointslices]
    verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: slipway:coredns
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: slipway:coredns}
subjects:
  - {apiGroup: rbac.authorization.k8s.io, kind: User, name: slipway:coredns}
---
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels: {k8s-app: kube-dns, kubernetes.io/name: CoreDNS}
spec:
  clusterIP: $DNS_SERVICE_IP
  ports:
    - {name: dns, protocol: UDP, port: 53, targetPort: $DNS_PORT}
    - {name: dns-tcp, protocol: TCP, port: 53, targetPort: $DNS_PORT}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kube-dns-node
  namespace: kube-system
  labels:
    kubernetes.io/service-name: kube-dns
    endpointslice.kubernetes.io/managed-by: cluster-sh.slipway.local
addressType: IPv4
ports:
  - {name: dns, protocol: UDP, port: $DNS_PORT}
  - {name: dns-tcp, protocol: TCP, port: $DNS_PORT}
endpoints:
  - addresses: [$1]
    conditions: {ready: true}
EOF
}

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
