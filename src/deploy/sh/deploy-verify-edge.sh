# shellcheck shell=sh
# verify_edge: the health path through the edge's own listener and route, as clients get it
# (header: `verify_get`, one request from inside the edge with the route's Host header).
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
verify_edge() {
  tries=0
  while [ "$tries" -lt 5 ]; do
    if answer=$(verify_get 2>&1); then return 0; fi
    tries=$((tries + 1))
    sleep 0.5 2>/dev/null || sleep 1
  done
  return 1
}
