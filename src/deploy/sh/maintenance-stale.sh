# shellcheck shell=sh
# A route file that predates maintenance has no check of it: its routes get it at the next
# deploy.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
if ! grep -qF "maintenance/$service/retry-after" "$edge"/routes/"$service" 2>/dev/null; then
  printf '%s stale\n' "$mark"
fi
