# shellcheck shell=sh
# A canary's deploy, before anything starts: the edge's Caddy (the container `$edge/caddy`
# names) must be able to judge a step: Slipway's edge image, whose Caddy has the split module
# and its judge (`split_judge_probe`, the judge without arguments, exits 2 there; a Caddy
# without it says `unknown command`). Header: config_path.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
caddy=$(cat "$edge"/caddy 2>/dev/null || true)
probe_status=0
if [ -n "$caddy" ]; then split_judge_probe >/dev/null 2>&1 </dev/null || probe_status=$?; fi
if [ "$probe_status" != 2 ]; then
  fail "the canary of $service needs the edge's Caddy to judge its steps, but ${caddy:-the edge $edge_container} has no slipway-split-judge (it is not Slipway's edge image): build the edge image from examples/edge (Caddy with Slipway's split module) and set slipway:edge.image to it, or remove $config_path.rollout; nothing was changed"
fi
