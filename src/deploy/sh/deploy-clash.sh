# shellcheck shell=sh
# A route clash: a match key of ours that a service of another stack has in its route file
# (a service of this same stack may hand its routes over: a renamed service's old and new name
# both serve until the old one is deleted). `route_clash` prints `<key> <service>` of the first
# one; `clash_text` says the refusal for "$clash" (`<host>|<path> <service>`) in words.
# Header: config_path (where the service's routes are configured).
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
route_clash() {
  for f in "$edge"/routes/*; do
    other=${f##*/}
    if [ -f "$f" ] && [ "$other" != "$service" ] && [ "$(cat "${state%/*}/$other/owner" 2>/dev/null)" != "$stack" ]; then
      awk -v who="$other" '{ print $2, who }' "$f"
    fi
  done | awk 'NR == FNR { mine[$2] = 1; next } ($1 in mine) { print; exit }' "$tmp"/routes -
}
clash_text() {
  key=${clash% *}; who=${clash#* }; on_host=${key%%|*}; on_path=${key#*|}
  if [ "$on_host" = - ]; then on_host="any host"; else on_host="host $on_host"; fi
  if [ -z "$on_path" ]; then on_path="any path"; else on_path="path $on_path"; fi
  printf 'the route for %s, %s is already served by service %s of stack %s on this host; give this service another host or path in %s.routes' "$on_host" "$on_path" "$who" "$(cat "${state%/*}/$who/owner" 2>/dev/null || echo unknown)" "$config_path"
}
