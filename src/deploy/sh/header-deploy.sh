# shellcheck shell=sh
# The start of a script Pulumi runs (prelude.ts DEPLOY_HEADER: deploy, stop, edge, accessory,
# release command), after its variables: `set -eu`, a private umask, and HUP and PIPE ignored,
# with `say` and `fail` never stopped by a closed connection: when the SSH connection drops,
# the script keeps going to a consistent end instead of dying between two steps; a re-run
# converges.
# - `say MESSAGE`: progress on stdout (Pulumi shows it): `slipway: host <host>: MESSAGE`.
# - `fail MESSAGE`: the one line that explains the failure, on stderr, then exit 1.
# Header: host. header.sh follows.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
set -eu
umask 077
trap '' HUP PIPE
tmp=
say() { printf 'slipway: host %s: %s\n' "$host" "$*" 2>/dev/null || true; }
fail() { printf 'slipway: host %s: %s\n' "$host" "$*" >&2 2>/dev/null || true; exit 1; }
