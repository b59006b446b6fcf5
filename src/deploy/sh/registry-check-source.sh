# shellcheck shell=sh
# The repository check of the source label: the image config of `$digest` (of its first
# runnable platform for an index, attestation manifests left out) carries the label
# `$label_key` naming `$want` (normalized: no trailing slashes or .git, lower case).
# Header: oci_index, docker_list (the index media types), label_key, want, label_before and
# label_after (the refusal around the label found, registry/repository.ts sourceLabelMessage).
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
echo '{}' >"$work/config.json"
if manifest "$digest"; then
  case "$type" in
    "$oci_index" | "$docker_list")
      child="$(jq -r '[.manifests[]? | select((.digest | type) == "string") | select((.annotations["vnd.docker.reference.type"] // "") != "attestation-manifest") | select((.platform.os | type) == "string" and (.platform.architecture | type) == "string") | select(.platform.os != "unknown" and .platform.architecture != "unknown")] | first | .digest // empty' "$work/manifest.json")"
      if [ -z "$child" ] || ! manifest "$child"; then echo "{}" >"$work/manifest.json"; fi ;;
  esac
  config="$(jq -r '.config.digest // empty | strings' "$work/manifest.json")"
  if [ -n "$config" ]; then
    request GET "/blobs/$config" application/json
    if [ "$code" != 404 ]; then
      expect "GET config blob $repo@$config" 200
      jq -e . "$work/body" >/dev/null 2>&1 || fail "$server served a config blob of $repo that is not JSON"
      mv "$work/body" "$work/config.json"
    fi
  fi
fi
label="$(jq -r --arg key "$label_key" --arg want "$want" '(.config.Labels // {})[$key] as $l | if ($l | type) != "string" then "unset" elif ($l | sub("/+$"; "") | sub("\\.git$"; "") | ascii_downcase) == $want then "same" else ($l | tojson) end' "$work/config.json")"
[ "$label" = same ] || fail "$label_before$label$label_after"
