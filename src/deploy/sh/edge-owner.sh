# shellcheck shell=sh
# Under the edge lock: what runs now (the holder's ports, the current Caddy's image), and one
# stack manages a host's edge: another stack's different edge is refused. The new Caddy gets
# a name of its own (header: caddy_prefix, `<edge>-caddy-<digest12>-`, and a random suffix):
# never the old Caddy's. Header: ports, image.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
edge_lock
new_caddy="$caddy_prefix"$(head -c 2 /dev/urandom | od -An -tx1 | tr -d ' \n')
holder_now=$(docker container inspect --format '{{.State.Running}} {{index .Config.Labels "slipway.edge.ports"}}' "$edge_name" 2>/dev/null || true)
caddy_now=$(cat "$edge"/caddy 2>/dev/null || true)
caddy_state=""
if [ -n "$caddy_now" ]; then caddy_state=$(docker container inspect --format '{{.State.Running}} {{index .Config.Labels "slipway.edge.image"}}' "$caddy_now" 2>/dev/null || true); fi
owner=$(cat "$edge"/owner 2>/dev/null || true)
if [ -n "$owner" ] && [ "$owner" != "$stack" ] && { [ "$holder_now" != "true $ports" ] || [ "$caddy_state" != "true $image" ]; }; then
  fail "the edge $edge_name on this host is managed by stack $owner (${caddy_state#* } on ${holder_now#* }); this stack wants $image on $ports: manage a host's edge from one stack (drop slipway:edge.image from the other) or make both declare the same"
fi
