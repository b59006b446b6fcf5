# shellcheck shell=sh
# The start of a day-two script (prelude.ts OPERATION_HEADER: logs, exec, accessory, lock,
# details, maintenance, prune), after its variables: `set -u` only (each step checks its own
# status) and a private umask; HUP is not ignored: when the user stops `slipway logs
# --follow`, what runs on the host stops with the connection.
# - `say MESSAGE`: progress on stderr (stdout is the output the user asked for).
# - `fail MESSAGE`: `<fail_mark> MESSAGE` on stderr (operations.ts FAIL_MARK), the line the
#   CLI turns into its own message, then exit 1.
# Header: host, fail_mark. header.sh follows.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
set -u
umask 077
tmp=
say() { printf 'slipway: host %s: %s\n' "$host" "$*" >&2; }
fail() { printf '%s %s\n' "$fail_mark" "$*" >&2; exit 1; }
