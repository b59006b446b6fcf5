# shellcheck shell=sh
# New routes go in before the switch; the edge refusing them switches nothing.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
routes_changed=0
if ! cmp -s "$tmp"/routes "$edge"/routes/"$service"; then
  routes_changed=1
  edge_lock
  clash=$(route_clash)
  if [ -n "$clash" ]; then
    if [ "$mode" = new ]; then docker rm --force "$name" >/dev/null 2>&1 || true; fi
    fail "$(clash_text)"
  fi
  if [ -f "$edge"/routes/"$service" ]; then ln -f "$edge"/routes/"$service" "$tmp"/routes.old; fi
  mv -f "$tmp"/routes "$edge"/routes/"$service"
  if ! edge_render || ! edge_apply; then
    if [ -f "$tmp"/routes.old ]; then mv -f "$tmp"/routes.old "$edge"/routes/"$service"; else rm -f "$edge"/routes/"$service"; fi
    if [ "$mode" = new ]; then docker rm --force "$name" >/dev/null 2>&1 || true; fi
    fail "the edge refused the new routes of $service, nothing was switched: ${edge_error:-cannot render its config (disk full?)}"
  fi
  exec 8>&-
fi
