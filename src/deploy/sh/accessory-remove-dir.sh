# shellcheck shell=sh
# The removal takes the lock in the state directory, which may be gone already.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
mkdir -p "$state"
