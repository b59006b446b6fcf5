# shellcheck shell=sh
# The edge itself. Nothing but the config changed: it is loaded through the admin API, no
# restart. Else the ports (the holder) are kept when they are the same, or a new holder starts
# beside the old one (other ports), which goes only once the new edge answers; the new Caddy
# starts beside the old one (SO_REUSEPORT) and must listen before the old one stops: no moment
# without a listener. Then the old Caddy stops gracefully: it closes its listener and finishes
# its requests. Header: `holder_create`, `caddy_run` (commands as argument lists, in
# edge-commands.ts), http_port, https_port, bind, start_seconds.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
if [ "$holder_now" = "true $ports" ] && [ "$caddy_state" = "true $image" ]; then
  if ! edge_apply; then
    undo
    fail "the edge $edge_name refused the new config, the old one keeps serving: $edge_error"
  fi
  printf '%s\n' "$stack" > "$edge"/owner
  say "the edge $edge_name runs $image on $ports"
  exit 0
fi
if [ -f "$edge"/caddy.json ]; then cp "$edge"/caddy.json "$tmp"/caddy.json.old; fi
mv -f "$edge"/caddy.json.next "$edge"/caddy.json
old_holder=
holder="$edge_name"
if [ "$holder_now" != "true $ports" ]; then
  if [ -n "$holder_now" ]; then
    old_ports=$(docker container inspect --format '{{index .Config.Labels "slipway.edge.ports"}}' "$edge_name" 2>/dev/null || true)
    if [ "$old_ports" = "$ports" ]; then
      # Same ports but not running (or an edge of another shape): start it again, or replace
      # it (Docker publishes a port once: a short gap).
      if docker start "$edge_name" >/dev/null 2>&1 && [ "$(docker container inspect --format '{{.State.Running}}' "$edge_name" 2>/dev/null)" = true ]; then
        holder_now="true $ports"
      else
        docker rm --force "$edge_name" >/dev/null 2>&1 || true
        holder_now=""
      fi
    else
      old_holder="$edge_name-replaced"
      docker rm --force "$old_holder" >/dev/null 2>&1 || true
      docker rename "$edge_name" "$old_holder"
    fi
  fi
fi
# Slipway 0.1 ran one TCP proxy per service on its published port: hand the port over.
for id in $(docker ps --quiet --filter label=slipway.role=proxy --filter publish="$http_port") $(docker ps --quiet --filter label=slipway.role=proxy --filter publish="$https_port"); do
  say "removing the Slipway 0.1 service proxy $id that held the port"
  docker rm --force "$id" >/dev/null 2>&1 || true
done
if [ "$holder_now" != "true $ports" ]; then
  if ! out=$(holder_create 2>&1) || ! out=$(docker start "$holder" 2>&1); then
    docker rm --force "$holder" >/dev/null 2>&1 || true
    if [ -n "$old_holder" ]; then docker rename "$old_holder" "$edge_name" >/dev/null 2>&1 || true; fi
    undo
    case $out in
      *"port is already allocated"* | *"address already in use"*)
        fail "port $http_port or $https_port on $bind is already in use on this host by another container or process; the previous edge keeps serving; free the port or change slipway:edge.httpPort/httpsPort" ;;
    esac
    fail "cannot start the edge $edge_name, the previous one keeps serving: $(last_line "$out")"
  fi
fi
before=$(edge_listeners)
if ! out=$(caddy_run 2>&1); then
  docker rm --force "$new_caddy" >/dev/null 2>&1 || true
  if [ -n "$old_holder" ]; then docker rm --force "$holder" >/dev/null 2>&1; docker rename "$old_holder" "$edge_name" >/dev/null 2>&1 || true; fi
  undo
  fail "cannot start Caddy $new_caddy, the previous edge keeps serving: $(last_line "$out")"
fi
if ! edge_listening "$before"; then
  logs=$(docker logs --tail 5 "$new_caddy" 2>&1 | tr '\n' ' ' | cut -c1-300)
  docker rm --force "$new_caddy" >/dev/null 2>&1 || true
  if [ -n "$old_holder" ]; then docker rm --force "$holder" >/dev/null 2>&1; docker rename "$old_holder" "$edge_name" >/dev/null 2>&1 || true; fi
  undo
  fail "the new edge did not come up within $start_seconds s ($edge_error; logs: $logs); the previous one keeps serving"
fi
printf '%s\n' "$new_caddy" > "$edge"/caddy.tmp
mv -f "$edge"/caddy.tmp "$edge"/caddy
for old in $(docker ps --all --format '{{.Names}}' --filter label=slipway.role=edge --filter label=slipway.edge.of="$edge_name"); do
  if [ "$old" != "$new_caddy" ]; then
    docker stop --time "$stop_seconds" "$old" >/dev/null 2>&1 || true
    docker rm --force "$old" >/dev/null 2>&1 || true
  fi
done
if [ -n "$old_holder" ]; then
  docker rm --force "$old_holder" >/dev/null 2>&1 || true
fi
printf '%s\n' "$stack" > "$edge"/owner
say "started the edge $edge_name: $image on $ports"
