# shellcheck shell=sh
# Shell functions over `$edge` (the edge's state directory), for the edge, deploy and stop
# scripts. The header names the edge (`edge_container`) and defines `edge_reload <caddy>`,
# the admin-API load of `caddy.json.next` (edge-commands.ts `edgeReload`).
# - `edge_lock`: the edge lock (fd 8), waited for; config changes of several stacks queue.
# - `edge_routes SERVER`: every service's route lines for SERVER, most specific first.
# - `edge_render`: `caddy.json.next` from the skeleton parts and all route files. This is the
#   one renderer of the edge's config (src/edge/caddy.ts writes the parts and the route
#   lines); the unit tests run it (test/unit/edge/render.ts).
# - `edge_apply`: loads `caddy.json.next` into the current Caddy (its name in `caddy`)
#   through the admin API when it differs from `caddy.json`, then makes it `caddy.json`
#   (what a restarted edge starts with); on a refusal `caddy.json` and the running config
#   stay as they were.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
edge_lock() {
  exec 8>>"$edge"/lock
  if ! flock -w 120 8; then
    fail "the edge $edge_container stayed locked for 120 s by: $(cat "$edge"/lock.owner 2>/dev/null || echo 'holder unknown')"
  fi
  printf 'stack %s (pid %s) since %s\n' "$stack" "$$" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$edge"/lock.owner
}
edge_routes() {
  for f in "$edge"/routes/*; do if [ -f "$f" ]; then cat "$f"; fi; done |
    awk -v server="$1" '$3 == server' | sort | cut -d' ' -f4- | sed 's/$/,/'
}
edge_render() {
  suffix=$(cat "$edge"/https_suffix 2>/dev/null || true)
  {
    cat "$edge"/config.head
    edge_routes http
    cat "$edge"/config.mid
    edge_routes https
    cat "$edge"/config.tail
  } | sed "s/__SLIPWAY_HTTPS_SUFFIX__/$suffix/g" > "$edge"/caddy.json.next
}
edge_apply() {
  if cmp -s "$edge"/caddy.json.next "$edge"/caddy.json; then
    rm -f "$edge"/caddy.json.next
    return 0
  fi
  caddy=$(cat "$edge"/caddy 2>/dev/null || true)
  if ! out=$(edge_reload "$caddy" 2>&1); then
    rm -f "$edge"/caddy.json.next
    edge_error="$(last_line "$out" | cut -c1-300)"
    return 1
  fi
  mv -f "$edge"/caddy.json.next "$edge"/caddy.json
  say "loaded the new routes into $edge_container"
}
