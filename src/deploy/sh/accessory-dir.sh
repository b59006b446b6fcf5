# shellcheck shell=sh
# The accessory script (accessory-script.ts): its state directory (readable, for `status`) and
# the private temp directory. Header: state_root.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
if ! (umask 022 && mkdir -p "$state") 2>/dev/null; then
  fail "cannot create $state: the deploy user $(id -un) needs write access to $state_root"
fi
tmp=$(mktemp -d "$state"/tmp.XXXXXX)
