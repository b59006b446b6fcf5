# shellcheck shell=sh
# The probe's last line: the health path through the edge, as clients get it (header:
# `probe_health`, one request from inside the edge with the route's Host header).
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
if answer=$(probe_health 2>&1); then
  printf 'health ok %s\n' "$(printf '%s' "$answer" | tr '\n' ' ' | cut -c1-200)"
else
  printf 'health fail %s\n' "$(printf '%s' "$answer" | tr '\n' ' ' | cut -c1-200)"
fi
