# shellcheck shell=sh
# `$spec`: the label of the accessory's definition, a hash over its spec (header: spec_hash),
# the host's salt and the secret env; and the label of the container running now.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
if [ ! -s "$state"/salt ]; then
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$state"/salt.tmp
  mv -f "$state"/salt.tmp "$state"/salt
fi
spec=$({ printf '%s\n' "$spec_hash"; cat "$state"/salt "$tmp"/secret.env; } | sha256sum | cut -c1-16)
if [ -z "$spec" ]; then fail "cannot compute the accessory spec label (sha256sum failed)"; fi
running_spec=$(docker container inspect --format '{{index .Config.Labels "slipway.spec"}}' "$container" 2>/dev/null || true)
