#!/usr/bin/env bash
# The whole test suite, from a fresh machine: set-up, types, lint, unit tests,
# the Go tests of the command provider stand-in (scripts/engine/command, some
# against the local sshd, which they start) and of the demo API (examples/api/), integration tests (real Docker
# engine, registry and sshd, started and stopped by the tests) and the
# end-to-end groups (the real Pulumi engine on the local stacks; then on the local
# Kubernetes cluster of scripts/cluster.sh, which the tests start, and whose pieces
# build in the background meanwhile). `.ci/run` runs exactly this.
#
# Usage: scripts/test.sh [unit|engine|integration|e2e ...]   (default: all groups)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$SLIPWAY_REPO_ROOT"
SLIPWAY_LOG_TAG=test

groups=("$@")
[[ ${#groups[@]} -gt 0 ]] || groups=(unit engine integration e2e)

wants() {
  local group
  for group in "${groups[@]}"; do [[ "$group" == "$1" ]] && return 0; done
  return 1
}

passed=0
failed=0
status=0
# run_mocha NAME CONFIG: runs one mocha group, adds its counts, remembers failure.
run_mocha() {
  local name="$1" config="$2" out
  out="$(mktemp)"
  log "== $name tests"
  set +e
  npx mocha --config "$config" 2>&1 | tee "$out"
  local code="${PIPESTATUS[0]}"
  set -e
  local p f
  p="$(grep -Eo '^ *[0-9]+ passing' "$out" | grep -Eo '[0-9]+' | tail -1 || true)"
  f="$(grep -Eo '^ *[0-9]+ failing' "$out" | grep -Eo '[0-9]+' | tail -1 || true)"
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
  if [[ "$code" -ne 0 ]]; then
    status=1
    [[ -n "$f" ]] || failed=$((failed + 1))
    log "== $name tests FAILED (exit $code)"
  fi
  rm -f "$out"
}

# run_go NAME DIR: runs `go test ./...` in one Go module, adds its counts
# (every test and subtest); a skipped test counts as failed, since none may skip.
run_go() {
  local name="$1" dir="$2" out
  out="$(mktemp)"
  log "== $name tests"
  set +e
  (cd "$dir" && go test -count=1 -v ./...) 2>&1 | tee "$out"
  local code="${PIPESTATUS[0]}"
  set -e
  local p f s
  p="$(grep -Ec '^ *--- PASS: ' "$out" || true)"
  f="$(grep -Ec '^ *--- FAIL: ' "$out" || true)"
  s="$(grep -Ec '^ *--- SKIP: ' "$out" || true)"
  passed=$((passed + p))
  failed=$((failed + f + s))
  if [[ "$s" -gt 0 ]]; then
    status=1
    log "== $name tests: $s skipped test(s), counted as failed"
  fi
  if [[ "$code" -ne 0 ]]; then
    status=1
    [[ "$f" -gt 0 ]] || failed=$((failed + 1))
    log "== $name tests FAILED (exit $code)"
  fi
  rm -f "$out"
}

step "system packages" scripts/install-system.sh
step "node modules" scripts/node-deps.sh
step "busybox for the sample images" scripts/fetch-busybox.sh
step "cosign key pair of the local stacks" scripts/supply-setup.sh --keys-only
step "the local stacks' database passwords" scripts/local-secrets.sh
# The local cluster's pieces (Kubernetes, CoreDNS, the pulumi-kubernetes provider: about 25 of
# a cold machine's set-up minutes) serve only the Kubernetes end-to-end group, which runs
# last. On a cold machine they build in the background at the lowest CPU priority while the
# other groups run (much of their time is spent waiting on containers, hosts and the
# network); the Kubernetes group waits for them. Warm, the build finds them up to date.
cluster_pid=""
cluster_log=""
start_cluster_pieces() {
  cluster_log="$(mktemp)"
  nice -n 19 scripts/bootstrap-engine.sh --only cluster >"$cluster_log" 2>&1 &
  cluster_pid=$!
  log "== the local cluster's pieces: building in the background (pid $cluster_pid, log $cluster_log)"
}

# wait_cluster_pieces: waits for the background build; false (and says why) when it failed.
wait_cluster_pieces() {
  local start code=0
  start="$(now_ms)"
  log "== waiting for the local cluster's pieces"
  wait "$cluster_pid" || code=$?
  sed 's/^/  /' "$cluster_log" >&2
  rm -f "$cluster_log"
  if [[ "$code" -ne 0 ]]; then
    log "== the local cluster's pieces FAILED (exit $code): the Kubernetes group cannot run"
    return 1
  fi
  log "== the local cluster's pieces: ready after $(elapsed_s "$start") s more"
}

if wants e2e || wants integration; then
  step "Pulumi engine, plugins, buildkitd and Caddy" scripts/bootstrap-engine.sh --skip cluster
  if wants e2e; then start_cluster_pieces; fi
  step "Caddy for the edge image" scripts/fetch-edge.sh
  step "cosign key pair and trivy database" scripts/supply-setup.sh
  step "PostgreSQL and Redis root file systems (Debian packages)" scripts/fetch-accessories.sh
  step "demo API binaries" scripts/build-api.sh
fi
step "type check" npx tsc --noEmit -p .
step "lint" npx eslint .
step "format" npx prettier --check .

wants unit && run_mocha unit .mocharc.unit.json
wants engine && run_go "engine (command provider stand-in)" scripts/engine/command
wants engine && run_go "engine (demo API)" examples/api
wants engine && run_go "engine (edge traffic split module)" scripts/engine/caddy/split
wants integration && run_mocha integration .mocharc.integration.json
wants e2e && run_mocha e2e .mocharc.e2e.json
if wants e2e; then
  if wait_cluster_pieces; then
    run_mocha "e2e (Kubernetes target)" .mocharc.kubernetes.json
  else
    status=1
    failed=$((failed + 1))
  fi
fi

printf '\n%d passed, %d failed\n' "$passed" "$failed"
exit "$status"
