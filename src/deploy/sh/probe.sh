# shellcheck shell=sh
# The status probe (probe-script.ts): what really runs, one `key value` line each. Reads only;
# takes no lock. Header: state, edge, service, edge_container, supervisor (the root's
# supervisor directory), and `probe_health` (the health path through the edge, or absent).
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
if [ -f "$state"/release.json ]; then printf 'record %s\n' "$(tr -d '\n' < "$state"/release.json)"; fi
printf 'owner %s\n' "$(cat "$state"/owner 2>/dev/null)"
current=$(cat "$state"/current 2>/dev/null)
printf 'current %s\n' "$current"
# docker prints an empty line for a missing container: only its exit status tells.
if [ -n "$current" ] && seen=$(docker container inspect --format '{{.State.Status}} {{index .Config.Labels "slipway.digest"}} {{index .Config.Labels "slipway.stack"}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$current" 2>/dev/null); then
  printf 'container %s\n' "$seen"
else
  printf 'container missing\n'
fi
printf 'others %s\n' "$(docker ps --filter status=running --filter label=slipway.service="$service" --filter label=slipway.role=app --format '{{.Names}}' 2>/dev/null | grep -vxF -- "$current" | tr '\n' ' ' | sed 's/ $//')"
warm=$(cat "$state"/warm 2>/dev/null || true)
if [ -n "$warm" ]; then
  warm_name=${warm%% *}
  if seen=$(docker container inspect --format '{{.State.Status}} {{index .Config.Labels "slipway.digest"}}' "$warm_name" 2>/dev/null); then printf 'warm %s %s\n' "$warm" "$seen"; else printf 'warm %s missing\n' "$warm"; fi
fi
printf 'upstream %s\n' "$(cat "$edge"/upstreams/"$service" 2>/dev/null)"
# A blue/green's release behind the preview route only (deploy-preview.sh).
preview=$(cat "$state"/preview 2>/dev/null || true)
if [ -n "$preview" ]; then
  if seen=$(docker container inspect --format '{{.State.Status}}' "${preview%% *}" 2>/dev/null); then printf 'preview %s %s\n' "$preview" "$seen"; else printf 'preview %s missing\n' "$preview"; fi
fi
printf 'maintenance %s\n' "$(cat "$edge"/maintenance/"$service"/retry-after 2>/dev/null)"
# A canary in progress: the split file the edge reads per request, its lines joined by ", ".
if [ -s "$edge"/split/"$service" ]; then printf 'split %s\n' "$(sed -e ':a' -e 'N' -e '$!ba' -e 's/\n/, /g' "$edge"/split/"$service")"; fi
# The edge is its network holder and the Caddy in it (named in the edge's `caddy` file):
# either one down takes every route of the host down.
if ! seen=$(docker container inspect --format '{{.State.Status}}' "$edge_container" 2>/dev/null); then
  seen=missing
elif caddy=$(cat "$edge"/caddy 2>/dev/null) && [ -n "$caddy" ] && [ "$seen" = running ]; then
  if ! proxy=$(docker container inspect --format '{{.State.Status}}' "$caddy" 2>/dev/null); then proxy=missing; fi
  if [ "$proxy" != running ]; then seen="$proxy (its Caddy container $caddy)"; fi
fi
printf 'edge %s\n' "$seen"
if [ -s "$state"/events ]; then printf 'event %s\n' "$(tail -n 1 "$state"/events)"; fi
if [ -s "$edge"/events ]; then printf 'edge_event %s\n' "$(tail -n 1 "$edge"/events)"; fi
# Its lock is held while it runs.
if [ -e "$supervisor"/lock ] && ! flock -n "$supervisor"/lock true 2>/dev/null; then printf 'supervisor running\n'; else printf 'supervisor stopped\n'; fi
