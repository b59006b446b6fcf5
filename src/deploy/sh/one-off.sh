# shellcheck shell=sh
# `slipway exec` in a one-off container of a service's release (operations.ts oneOffScript):
# the private directory under the service's state, then (after the payload, the registry login
# and the image, from the other parts) the container created with the secret env file, which is
# deleted before the container starts. Not interactive: runs it attached and ends with its exit
# status. Interactive: prints `slipway-created <name>`; the CLI attaches with a TTY.
# `one_off_prepare` comes before the payload is read, `one_off_run` after the image is there.
# Header: service, state, interactive (1 or empty); `one_off_create`: `docker create` of
# `$name` (operations.ts oneOffCreate).
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
docker_config=
one_off_prepare() {
  if [ ! -d "$state" ]; then
    fail "$service was never deployed to this host ($state is missing)"
  fi
  if ! tmp=$(mktemp -d "$state"/exec.XXXXXX 2>/dev/null); then
    fail "cannot write under $state as $(id -un)"
  fi
  docker_config="$tmp"/docker
}
one_off_run() {
  name="$service"-exec-$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
  if ! out=$(one_off_create 2>&1); then
    fail "cannot create the one-off container: $(last_line "$out" | redact)"
  fi
  rm -f "$tmp"/secret.env "$tmp"/secret.values
  if [ -n "$interactive" ]; then
    printf 'slipway-created %s\n' "$name"
  else
    docker start --attach "$name"
    exit_marked "$?"
  fi
}
