#!/usr/bin/env bash
# Start-up and round-trip cost of the program and the CLI against the floor, a Pulumi program
# of the same SDK and engine that declares nothing, side by side in one run (interleaved, so
# all see the same machine load). Not a test.
#
#   bash bench/cli-speed.sh [RUNS]    (default: 3 runs)
#
# Needs the engine (. scripts/pulumi-env.sh), Docker, the loopback registry and buildkitd
# (scripts/services.sh up), and the sample images' binaries (scripts/fetch-busybox.sh,
# scripts/fetch-edge.sh). It builds what it deploys itself, from examples/: two variants of
# the sample web image (APP_RELEASE a and b) and the edge image, for linux/amd64, pushed to
# the repositories 127.0.0.1:5000/bench/web and bench/edge. Everything it makes is its own: a
# copy of this tree under $BENCH_DIR (twice), a file backend there, stacks speed-new and
# speed-new-ts deploying services of those names behind edges of their own on ports 18191 and
# 18192 of this machine (transport local). It removes its stacks and containers at the end.
# Writes bench/cli-speed-results.md.
#
# Measured:
#   --help        node bin/slipway.js --help
#   no-op up      pulumi up --yes on a stack that is up to date (preview + update: the
#                 program runs twice)
#   rollback      slipway rollback --stack S: one host swaps between two releases
# Each copy is built as `npm run build` builds (the JavaScript and the host scripts beside it).
# Paths:
#   new           this tree: the program and the CLI run the JavaScript in dist/ (Pulumi.yaml
#                 main: stacks/main.js, bin/slipway.js)
#   new-ts        this tree with Pulumi.yaml's main back at stacks/index.ts, which ts-node
#                 compiles transpile-only (stacks/tsconfig.json): the other option for the
#                 program (no-op up only)
#   floor         a Pulumi program of the same SDK and engine that declares nothing but its
#                 stack (no-op up only): the part of a no-op that no program change can save
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${1:-3}"
BENCH_DIR="${BENCH_DIR:-/tmp/slipway-bench-cli}"
REGISTRY=127.0.0.1:5000
OUT="$HERE/bench/cli-speed-results.md"

. "$HERE/scripts/pulumi-env.sh"
export PULUMI_BACKEND_URL="file://$BENCH_DIR/backend" PULUMI_CONFIG_PASSPHRASE=""
rm -rf "$BENCH_DIR"
mkdir -p "$BENCH_DIR/backend"

# copy NAME: this tree's files (as git lists them) with its node_modules.
copy() {
  local dir="$BENCH_DIR/$1"
  mkdir -p "$dir"
  git -C "$HERE" ls-files -z | (cd "$HERE" && xargs -0 tar -c) | tar -x -C "$dir"
  ln -s "$HERE/node_modules" "$dir/node_modules"
  git -C "$dir" init -q && git -C "$dir" add -A && git -C "$dir" -c user.name=bench -c user.email=bench@localhost commit -qm bench
}
copy new
copy new-ts
(cd "$BENCH_DIR/new" && npm run build --silent >/dev/null)
(cd "$BENCH_DIR/new-ts" && npm run build --silent >/dev/null &&
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

# What the stacks deploy, built here from examples/ for linux/amd64: two digests of the sample
# web image (APP_RELEASE a and b) and the edge image (busybox and Caddy).
# build NAME CONTEXT [BUILD_ARG]: pushes $REGISTRY/bench/NAME and prints its digest.
build() {
  local meta="$BENCH_DIR/build-$1.json"
  docker buildx build --builder slipway --platform linux/amd64 --provenance=false \
    ${3:+--build-arg "$3"} --metadata-file "$meta" --push -t "$REGISTRY/bench/$1:bench" \
    "$HERE/$2" >"$BENCH_DIR/build-$1.log" 2>&1
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["containerimage.digest"])' "$meta"
}
DIGEST_A="$(build web examples/app APP_RELEASE=a)"
DIGEST_B="$(build web examples/app APP_RELEASE=b)"
EDGE="$(build edge examples/edge)"

# stack_file NAME PORT WEB_DIGEST: a promote stack deploying service NAME on this machine,
# behind an edge of its own on PORT.
stack_file() {
  cat <<EOF
config:
  slipway:role: promote
  slipway:registry:
    server: $REGISTRY
    namespace: bench
    insecure: true
  slipway:images:
    web:
      pin:
        digest: $3
  slipway:hosts:
    - name: bench
      transport: local
  slipway:edge:
    name: $1-edge
    image: $REGISTRY/bench/edge@$EDGE
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
}

# Whatever happens, destroy the stacks (their stop scripts remove the containers).
cleanup() {
  for path in new new-ts; do
    [[ -d "$BENCH_DIR/$path" ]] || continue
    (cd "$BENCH_DIR/$path" && pulumi destroy --yes --stack "speed-$path" >/dev/null 2>&1 &&
      pulumi stack rm --yes --stack "speed-$path" >/dev/null 2>&1) || true
  done
  (cd "$BENCH_DIR/floor" 2>/dev/null && pulumi stack rm --yes --force --stack speed-floor >/dev/null 2>&1) || true
}
trap cleanup EXIT

declare -A PORT=([new]=18191 [new-ts]=18192)
for path in new new-ts; do
  dir="$BENCH_DIR/$path"
  stack="speed-$path"
  (cd "$dir" && pulumi stack init "$stack" --non-interactive >/dev/null)
  stack_file "$stack" "${PORT[$path]}" "$DIGEST_A" >"$dir/Pulumi.$stack.yaml"
  (cd "$dir" && node bin/slipway.js up --stack "$stack" >/dev/null 2>"$BENCH_DIR/$path-up1.log")
  stack_file "$stack" "${PORT[$path]}" "$DIGEST_B" >"$dir/Pulumi.$stack.yaml"
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
  add help "$(cd "$BENCH_DIR/new" && seconds node bin/slipway.js --help)"
  for path in new new-ts; do
    add "up $path" "$(cd "$BENCH_DIR/$path" && seconds pulumi up --yes --stack "speed-$path")"
  done
  add "up floor" "$(cd "$BENCH_DIR/floor" && seconds pulumi up --yes --stack speed-floor)"
  add rollback "$(cd "$BENCH_DIR/new" && seconds node bin/slipway.js rollback --stack speed-new)"
  echo "run $run done" >&2
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
FLOOR="$(median <<<"${TIMES[up floor]}")"
# row KEY TEXT [floor]: the median and each run; with `floor`, its ratio to the floor's no-op.
row() {
  local value ratio=""
  value="$(median <<<"${TIMES[$1]}")"
  [[ -z "${3:-}" ]] || ratio="$(awk -v a="$FLOOR" -v b="$value" 'BEGIN { printf "%.2f×", b / a }')"
  printf '| %s | %s (%s) | %s |\n' "$2" "$value" "${TIMES[$1]# }" "$ratio"
}
{
  echo "# CLI and program start-up against the floor"
  echo
  echo "\`bash bench/cli-speed.sh $RUNS\` on $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end (the machine is shared); this tree at $(git -C "$HERE" rev-parse --short HEAD). Median seconds of $RUNS interleaved runs (each run in brackets)."
  echo
  echo "| what | seconds | / floor |"
  echo "| --- | --- | --- |"
  row help '`slipway --help`'
  row "up new" 'no-op `pulumi up --yes` (program precompiled: `main: stacks/main.js` runs dist/)' floor
  row "up new-ts" 'no-op `pulumi up --yes`, the other option: ts-node transpile-only from stacks/' floor
  row "up floor" 'no-op `pulumi up --yes` of the floor: a program of the same SDK and engine that declares nothing' floor
  row rollback '`slipway rollback` of one host (local transport, default rollback window: the warm switch, the pin and the update)'
} >"$OUT"
cat "$OUT"
