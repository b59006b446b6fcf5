# shellcheck shell=sh
# `$name`: `<service>-<digest12>-<hash8>`, the hash over the container spec (header:
# spec_hash), the host's salt and the secret env; the release serving now and its digest.
# Header: spec_hash, release_prefix.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
if [ ! -s "$state"/salt ]; then
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$state"/salt.tmp
  mv -f "$state"/salt.tmp "$state"/salt
fi
suffix=$({ printf '%s\n' "$spec_hash"; cat "$state"/salt "$tmp"/secret.env; } | sha256sum | cut -c1-8)
if [ -z "$suffix" ]; then fail "cannot compute the release container name (sha256sum failed)"; fi
name="$release_prefix$suffix"
current=
if [ -f "$state"/current ]; then current=$(cat "$state"/current); fi
current_digest=
if [ -n "$current" ]; then
  current_digest=$(docker container inspect --format '{{index .Config.Labels "slipway.digest"}}' "$current" 2>/dev/null || true)
fi
