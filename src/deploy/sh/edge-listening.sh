# shellcheck shell=sh
# `edge_listeners`: sockets listening on port 80 (the edge's HTTP port inside its namespace)
# there. `edge_listening N` waits, at most start_seconds, until there are more than N (the new
# Caddy beside the old one) and the edge answers. Header: `edge_netstat`, `edge_answer` (a
# request to the edge's own listener), start_seconds.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
edge_listeners() { edge_netstat 2>/dev/null | grep -c ':80 ' || true; }
edge_listening() {
  deadline=$(( $(date +%s) + start_seconds ))
  while :; do
    if [ "$(edge_listeners)" -gt "$1" ]; then
      if out=$(edge_answer 2>&1); then return 0; fi
      case $out in *"server returned error"*) return 0 ;; esac
    else
      out="no new listener on port 80 yet"
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then edge_error=$(last_line "$out"); return 1; fi
    sleep 0.2 2>/dev/null || sleep 1
  done
}
