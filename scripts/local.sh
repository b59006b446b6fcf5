#!/usr/bin/env bash
# The main job on the local stack, from a fresh machine: installs what is missing,
# starts the local services (Docker engine, registry on 127.0.0.1:5000, sshd on
# 127.0.0.1:2222, buildkitd), then runs `pulumi up --stack local`: the sample app
# and the edge proxy (Caddy) are built for linux/amd64 and linux/arm64, pushed to
# the local registry, and deployed over SSH behind the edge on
# http://127.0.0.1:18080/ and https://web.localhost:18443/.
#
# Usage: scripts/local.sh [extra `pulumi up` flags]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$SLIPWAY_REPO_ROOT"
SLIPWAY_LOG_TAG=local

step "system packages" scripts/install-system.sh
step "node modules" scripts/node-deps.sh
step "busybox for the sample images" scripts/fetch-busybox.sh
step "PostgreSQL and Redis root file systems (Debian packages)" scripts/fetch-accessories.sh
step "demo API binaries" scripts/build-api.sh
# The local stack deploys over SSH: the Kubernetes pieces (scripts/bootstrap-engine.sh --only
# kubernetes,coredns,kubernetes-provider) are built by `npm test` and for the local-k8s stack only.
step "Pulumi engine, plugins, buildkitd, Caddy, syft and trivy" scripts/bootstrap-engine.sh \
  --only pulumi,language-nodejs,command,docker-build,buildkit,caddy,syft,trivy
step "Caddy for the edge image" scripts/fetch-edge.sh
step "local services" scripts/services.sh up
step "cosign key pair and trivy database" scripts/supply-setup.sh
step "the local stacks' database passwords" scripts/local-secrets.sh

# shellcheck source=scripts/pulumi-env.sh
. scripts/pulumi-env.sh
step "stack local" pulumi stack select --create local --non-interactive
step "pulumi up --stack local" pulumi up --stack local --yes --non-interactive "$@"
# pulumi up does not write the ledger: record the release it made (none for a no-op).
step "record the release" node bin/slipway.js record --stack local
pulumi stack output --stack local --json
