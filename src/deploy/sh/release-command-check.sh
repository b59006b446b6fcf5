# shellcheck shell=sh
# A release command needs `timeout` besides the deploy's tools.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
command -v timeout >/dev/null 2>&1 ||
  fail "timeout is not installed; a release command needs it on the host (coreutils)"
