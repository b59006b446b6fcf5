# shellcheck shell=sh
# The service's route lines (header: routes_text, src/edge routeFileText) in the private
# directory, checked for a clash with another stack's service before anything starts.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
if ! printf '%s' "$routes_text" > "$tmp"/routes 2>/dev/null; then
  fail "cannot write under $state (disk full?); nothing was changed"
fi
chmod 644 "$tmp"/routes
clash=$(route_clash)
if [ -n "$clash" ]; then
  fail "$(clash_text)"
fi
