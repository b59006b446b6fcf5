# shellcheck shell=bash
# The local cluster's certificates and kubeconfigs (openssl, state/cluster/pki).
# Sourced by scripts/cluster.sh, after lib/common.sh and its settings.

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
