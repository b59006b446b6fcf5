# shellcheck shell=sh
# What every generated script has after its header (header-deploy.sh, header-operation.sh):
# - `last_line TEXT`: the last non-blank line of a tool's output, for messages;
# - the private temp directory `$tmp` (empty until a script makes it) removed on exit, and
#   INT and TERM turned into an exit, so that it is.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
last_line() { printf '%s\n' "$1" | grep -v '^[[:space:]]*$' | tail -n 1; }
cleanup() { if [ -n "$tmp" ]; then rm -rf "$tmp"; fi; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
