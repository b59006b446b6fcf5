#!/usr/bin/env bash
# Start-up and round-trip cost of the program and the CLI, old code path versus new, side by
# side in one run (interleaved, so both see the same machine load). Not a test.
#
#   bash bench/cli-speed.sh [OLD_COMMIT] [RUNS]    (default: main's merge base, 3 runs)
#
# Needs the engine (. scripts/pulumi-env.sh), the loopback registry with the local stack's
# images (npm run local) and Docker. Everything it makes is its own: copies of the project
# under $BENCH_DIR, a file backend there, stacks speed-old / speed-new / speed-js deploying
# services speed-old / speed-new / speed-js to ports 18190-18192 on this machine (transport
# local), and the repository 127.0.0.1:5000/bench/web holding two variants of the local web
# image. It removes its stacks and containers at the end. Writes bench/cli-speed-results.md.
#
# Measured:
#   --help        node bin/slipway.js --help
#   no-op up      pulumi up --yes on a stack that is up to date (preview + update: the
#                 program runs twice)
#   rollback      slipway rollback --stack S: one host swaps between two releases
# Paths:
#   old           OLD_COMMIT: ts-node type-checks the program from stacks/; the CLI compiles
#                 itself through ts-node at every start
#   new           this tree: the program and the CLI run the JavaScript in dist/ (Pulumi.yaml
#                 main: stacks/main.js, bin/slipway.js)
#   new-ts        this tree with Pulumi.yaml's main back at stacks/index.ts, which ts-node
#                 compiles transpile-only (stacks/tsconfig.json): the other option for the
#                 program (no-op up only)
#   floor         a Pulumi program of the same SDK and engine that declares nothing but its
#                 stack (no-op up only): the part of a no-op that no program change can save
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OLD_COMMIT="${1:-$(git -C "$HERE" merge-base HEAD main)}"
RUNS="${2:-3}"
BENCH_DIR="${BENCH_DIR:-/tmp/slipway-bench-cli}"
REGISTRY=127.0.0.1:5000
OUT="$HERE/bench/cli-speed-results.md"

. "$HERE/scripts/pulumi-env.sh"
export PULUMI_BACKEND_URL="file://$BENCH_DIR/backend" PULUMI_CONFIG_PASSPHRASE=""
rm -rf "$BENCH_DIR"
mkdir -p "$BENCH_DIR/backend"

# copy NAME REV: the project at REV (a commit, or "worktree") with this tree's node_modules.
copy() {
  local dir="$BENCH_DIR/$1"
  mkdir -p "$dir"
  if [[ "$2" == worktree ]]; then
    git -C "$HERE" ls-files -z | (cd "$HERE" && xargs -0 tar -c) | tar -x -C "$dir"
  else
    git -C "$HERE" archive "$2" | tar -x -C "$dir"
  fi
  ln -s "$HERE/node_modules" "$dir/node_modules"
  git -C "$dir" init -q && git -C "$dir" add -A && git -C "$dir" -c user.name=bench -c user.email=bench@localhost commit -qm bench
}
copy old "$OLD_COMMIT"
copy new worktree
copy new-ts worktree
(cd "$BENCH_DIR/new" && npx tsc -p tsconfig.build.json)
(cd "$BENCH_DIR/new-ts" && npx tsc -p tsconfig.build.json &&
  sed -i -e 's|^main: stacks/main.js|main: stacks/index.ts|' -e 's|typescript: false|typescript: true|' Pulumi.yaml)
# The floor: a Pulumi program with the same SDK and engine that declares nothing but its
# stack. What a no-op `pulumi up` costs before any line of Slipway runs.
mkdir -p "$BENCH_DIR/floor"
ln -s "$HERE/node_modules" "$BENCH_DIR/floor/node_modules"
printf 'name: floor\nruntime: nodejs\nmain: index.js\n' >"$BENCH_DIR/floor/Pulumi.yaml"
printf '{ "name": "floor", "version": "0.0.0", "private": true }\n' >"$BENCH_DIR/floor/package.json"
printf 'require("@pulumi/pulumi");\nmodule.exports = { empty: true };\n' >"$BENCH_DIR/floor/index.js"
(cd "$BENCH_DIR/floor" && pulumi stack init speed-floor --non-interactive >/dev/null &&
  pulumi up --yes --stack speed-floor >/dev/null)

# Two digests of the web image in a repository of the bench's own: the local stack's index,
# and the same index with one annotation more (same layers, another digest).
accept="application/vnd.oci.image.index.v1+json,application/vnd.oci.image.manifest.v1+json"
index="$(curl -fsS -H "Accept: $accept" "http://$REGISTRY/v2/slipway/web/manifests/dev")"
for child in $(printf '%s' "$index" | python3 -c 'import json,sys; [print(m["digest"]) for m in json.load(sys.stdin)["manifests"]]'); do
  manifest="$(curl -fsS -H "Accept: $accept" "http://$REGISTRY/v2/slipway/web/manifests/$child")"
  type="$(printf '%s' "$manifest" | python3 -c 'import json,sys; print(json.load(sys.stdin)["mediaType"])')"
  for blob in $(printf '%s' "$manifest" | python3 -c 'import json,sys; m=json.load(sys.stdin); [print(d["digest"]) for d in [m["config"], *m.get("layers", [])]]'); do
    curl -fsS -o /dev/null -X POST "http://$REGISTRY/v2/bench/web/blobs/uploads/?mount=$blob&from=slipway/web"
  done
  printf '%s' "$manifest" | curl -fsS -o /dev/null -X PUT -H "Content-Type: $type" --data-binary @- \
    "http://$REGISTRY/v2/bench/web/manifests/$child"
done
put_index() {
  printf '%s' "$1" | curl -fsS -D - -o /dev/null -X PUT \
    -H "Content-Type: application/vnd.oci.image.index.v1+json" --data-binary @- \
    "http://$REGISTRY/v2/bench/web/manifests/$2" | tr -d '\r' | awk 'tolower($1)=="docker-content-digest:" {print $2}'
}
DIGEST_A="$(put_index "$index" bench-a)"
DIGEST_B="$(put_index "$(printf '%s' "$index" | python3 -c 'import json,sys; i=json.load(sys.stdin); i["annotations"]={"org.slipway.bench":"b"}; print(json.dumps(i, indent=2))')" bench-b)"
PROXY="$(curl -fsS -I -H "Accept: $accept" "http://$REGISTRY/v2/slipway/proxy/manifests/dev" | tr -d '\r' | awk 'tolower($1)=="docker-content-digest:" {print $2}')"
EDGE="$(curl -fsS -I -H "Accept: $accept" "http://$REGISTRY/v2/slipway/edge/manifests/dev" | tr -d '\r' | awk 'tolower($1)=="docker-content-digest:" {print $2}')"

# stack_file NAME PORT WEB_DIGEST PATH: a promote stack deploying service NAME on this
# machine; the old path in its own config format (a proxy per service), the new ones behind
# an edge of their own on PORT.
stack_file() {
  if [[ "$4" != old ]]; then
    cat <<EOF
config:
  slipway:role: promote
  slipway:registry:
    server: $REGISTRY
    namespace: slipway
    insecure: true
  slipway:images:
    web:
      pin:
        digest: $3
        repository: $REGISTRY/bench/web
  slipway:hosts:
    - name: bench
      transport: local
  slipway:edge:
    name: $1-edge
    image: $REGISTRY/slipway/edge@$EDGE
    bind: 127.0.0.1
    httpPort: $2
    httpsPort: $(($2 + 100))
    tls: internal
  slipway:services:
    $1:
      image: web
      containerPort: 8080
      healthPath: /healthz
      healthTimeoutSeconds: 30
      routes: [{}]
  slipway:attestations:
    provenance: "off"
EOF
    return
  fi
  cat <<EOF
config:
  slipway:role: promote
  slipway:registry:
    server: $REGISTRY
    namespace: slipway
    insecure: true
  slipway:images:
    web:
      pin:
        digest: $3
        repository: $REGISTRY/bench/web
    proxy:
      pin:
        digest: $PROXY
  slipway:hosts:
    - name: bench
      transport: local
  slipway:service:
    name: $1
    image: web
    containerPort: 8080
    publishedPort: $2
    healthPath: /healthz
    healthTimeoutSeconds: 30
  slipway:attestations:
    provenance: "off"
EOF
}

# Whatever happens, destroy the stacks (their stop scripts remove the containers).
cleanup() {
  for path in old new new-ts; do
    [[ -d "$BENCH_DIR/$path" ]] || continue
    (cd "$BENCH_DIR/$path" && pulumi destroy --yes --stack "speed-$path" >/dev/null 2>&1 &&
      pulumi stack rm --yes --stack "speed-$path" >/dev/null 2>&1) || true
  done
  (cd "$BENCH_DIR/floor" 2>/dev/null && pulumi stack rm --yes --force --stack speed-floor >/dev/null 2>&1) || true
}
trap cleanup EXIT

declare -A PORT=([old]=18190 [new]=18191 [new-ts]=18192)
for path in old new new-ts; do
  dir="$BENCH_DIR/$path"
  stack="speed-$path"
  (cd "$dir" && pulumi stack init "$stack" --non-interactive >/dev/null)
  stack_file "$stack" "${PORT[$path]}" "$DIGEST_A" "$path" >"$dir/Pulumi.$stack.yaml"
  (cd "$dir" && node bin/slipway.js up --stack "$stack" >/dev/null 2>"$BENCH_DIR/$path-up1.log")
  stack_file "$stack" "${PORT[$path]}" "$DIGEST_B" "$path" >"$dir/Pulumi.$stack.yaml"
  (cd "$dir" && node bin/slipway.js up --stack "$stack" >/dev/null 2>"$BENCH_DIR/$path-up2.log")
done

# seconds CMD...: wall time of one run, in seconds with one decimal; fails if CMD fails.
# SIGINT and SIGQUIT back to their defaults: a background job of a non-interactive shell
# (`bash bench/cli-speed.sh &`) starts with both ignored, and a `pulumi up` that inherits that
# takes 5 s longer (the engine stops the language host it asked for metadata with SIGINT,
# which that host then ignores, and waits 5 s before killing it). What the user runs from a
# terminal has the defaults, as does every command the CLI starts (Node resets them).
seconds() {
  local start end
  start=$(date +%s%N)
  env --default-signal=INT,QUIT "$@" >>"$BENCH_DIR/commands.log" 2>&1
  end=$(date +%s%N)
  awk -v ns=$((end - start)) 'BEGIN { printf "%.2f", ns / 1e9 }'
}
declare -A TIMES
add() { TIMES[$1]="${TIMES[$1]:-} $2"; }
for run in $(seq "$RUNS"); do
  for path in old new; do
    dir="$BENCH_DIR/$path"
    add "help $path" "$(cd "$dir" && seconds node bin/slipway.js --help)"
  done
  for path in old new new-ts; do
    dir="$BENCH_DIR/$path"
    add "up $path" "$(cd "$dir" && seconds pulumi up --yes --stack "speed-$path")"
  done
  add "up floor" "$(cd "$BENCH_DIR/floor" && seconds pulumi up --yes --stack speed-floor)"
  for path in old new; do
    dir="$BENCH_DIR/$path"
    add "rollback $path" "$(cd "$dir" && seconds node bin/slipway.js rollback --stack "speed-$path")"
  done
  echo "run $run done" >&2
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
row() {
  local what="$1" old new ratio
  old="$(median <<<"${TIMES[$what old]}")"
  new="$(median <<<"${TIMES[$what new]}")"
  ratio="$(awk -v a="$old" -v b="$new" 'BEGIN { printf "%.2f", b / a }')"
  printf '| %s | %s (%s) | %s (%s) | %s× |\n' "$2" "$old" "${TIMES[$what old]# }" "$new" "${TIMES[$what new]# }" "$ratio"
}
{
  echo "# CLI and program start-up: old path versus new"
  echo
  echo "\`bash bench/cli-speed.sh\` on $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end (the machine is shared); old = $(git -C "$HERE" rev-parse --short "$OLD_COMMIT"), new = this tree. Median seconds of $RUNS interleaved runs (each run in brackets)."
  echo
  echo "| what | old | new | new / old |"
  echo "| --- | --- | --- | --- |"
  row help '`slipway --help`'
  row up 'no-op `pulumi up --yes` (program precompiled: `main: stacks/main.js` runs dist/)'
  printf '| no-op `pulumi up --yes`, the other option: ts-node transpile-only from stacks/ | | %s (%s) | %s× |\n' \
    "$(median <<<"${TIMES[up new-ts]}")" "${TIMES[up new-ts]# }" \
    "$(awk -v a="$(median <<<"${TIMES[up old]}")" -v b="$(median <<<"${TIMES[up new-ts]}")" 'BEGIN { printf "%.2f", b / a }')"
  printf '| no-op `pulumi up --yes` of the floor: a program of the same SDK and engine that declares nothing | | %s (%s) | %s× |\n' \
    "$(median <<<"${TIMES[up floor]}")" "${TIMES[up floor]# }" \
    "$(awk -v a="$(median <<<"${TIMES[up old]}")" -v b="$(median <<<"${TIMES[up floor]}")" 'BEGIN { printf "%.2f", b / a }')"
  row rollback '`slipway rollback` of one host (local transport)'
} >"$OUT"
cat "$OUT"
