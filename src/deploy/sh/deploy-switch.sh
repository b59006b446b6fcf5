# shellcheck shell=sh
# The switch of a routed service: one rename of its upstream file, which the edge reads afresh
# for every request (no reload, no connection closed); then verified through the edge, and
# switched back (routes this run loaded too) when that fails: the edge serves exactly as
# before. Header: container_port, edge_container.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
old_upstream=$(cat "$edge"/upstreams/"$service" 2>/dev/null || true)
if [ -f "$edge"/upstreams/"$service" ]; then ln -f "$edge"/upstreams/"$service" "$tmp"/upstream.old; fi
mv -f "$tmp"/upstream "$edge"/upstreams/"$service"
# A canary's split (deploy-canary.sh) goes once the upstream file names the new release: a
# request reads one or the other, and both name a release that serves.
rm -f "$edge"/split/"$service"
if [ "$old_upstream" != "$name:$container_port" ]; then
  say "switched $edge_container to $name for $service"
fi
if ! verify_edge; then
  if [ -f "$tmp"/upstream.old ]; then mv -f "$tmp"/upstream.old "$edge"/upstreams/"$service"; else rm -f "$edge"/upstreams/"$service"; fi
  if [ "$routes_changed" = 1 ]; then
    if [ -f "$tmp"/routes.old ]; then mv -f "$tmp"/routes.old "$edge"/routes/"$service"; else rm -f "$edge"/routes/"$service"; fi
    edge_lock
    if ! edge_render || ! edge_apply; then
      say "the edge did not take the previous routes back ($edge_error); they return at its next config change"
    fi
  fi
  answer=$(printf '%s\n' "$answer" | one_line)
  if [ "$mode" = new ]; then docker rm --force "$name" >/dev/null 2>&1 || true; fi
  fail "release $digest is healthy but requests through $edge_container fail; switched back; last response: $answer"
fi
