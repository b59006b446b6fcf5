# shellcheck shell=sh
# Fails early, naming what is missing, when the host cannot run the script: what the scripts
# need on a host besides a POSIX sh.
# say, fail, last_line and the variables come from the generated header (prelude.ts).
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
for tool in docker flock sha256sum mktemp awk od; do
  command -v "$tool" >/dev/null 2>&1 ||
    fail "$tool is not installed; Slipway needs docker, flock, sha256sum, mktemp, awk, od on the host"
done
if ! out=$(docker version --format '{{.Server.Version}}' 2>&1); then
  fail "cannot reach the Docker engine as $(id -un): $(last_line "$out")"
fi
