# shellcheck shell=sh
# The edge's network and image, then its config rendered and checked by the image's own Caddy
# (header: `edge_validate`) before anything changes. Header: edge_network, image.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
if ! docker network inspect "$edge_network" >/dev/null 2>&1; then
  docker network create --label slipway.role=edge "$edge_network" >/dev/null
fi
if ! docker image inspect "$image" >/dev/null 2>&1; then
  say "pulling the edge image $image"
  if ! out=$(docker pull --quiet "$image" 2>&1); then
    fail "cannot pull the edge image $image: $(last_line "$out")"
  fi
fi
edge_render
if ! out=$(edge_validate 2>&1); then
  rm -f "$edge"/caddy.json.next
  undo
  fail "the edge config does not validate, nothing was changed: $(last_line "$out")"
fi
