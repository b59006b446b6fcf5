set -eu
umask 077
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
server=ghcr.io
repo=acme/web
scheme=https
base=https://ghcr.io/v2/acme/web
accept='application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json'
who='the credentials of bot'
fail() { printf 'slipway: %s\n' "$1" >&2; exit 1; }
send() {
  : >"$work/body"
  if [ "$1" = HEAD ]; then head=--head; else head=""; fi
  code="$(curl -sS -L --max-time 30 ${head:+--head} -o "$work/body" -D "$work/headers" -w '%{http_code}' -H "Accept: $3" -H @"$4" "$2" 2>"$work/error")" ||
    fail "cannot reach registry $server ($scheme): $(sed 's/^curl: ([0-9]*) //' "$work/error")"
}
param() {
  printf '%s\n' "$challenge" | sed -n "s/.*[[:space:],]$1=\"\([^\"]*\)\".*/\1/p"
}
authenticate() {
  challenge="$(tr -d '\r' <"$work/headers" | sed -n 's/^[Ww][Ww][Ww]-[Aa][Uu][Tt][Hh][Ee][Nn][Tt][Ii][Cc][Aa][Tt][Ee]:[[:space:]]*//p' | tail -n 1)"
  case "$challenge" in
    [Bb][Ee][Aa][Rr][Ee][Rr]*)
      realm="$(param realm)"
      [ -n "$realm" ] || fail "$server requires credentials for $repo; set slipway:registry.username and password"
      scope="$(param scope)"
      [ -n "$scope" ] || scope="repository:$repo:pull"
      query="scope=$(jq -rn --arg v "$scope" '$v | @uri')"
      service="$(param service)"
      [ -z "$service" ] || query="service=$(jq -rn --arg v "$service" '$v | @uri')&$query"
      case "$realm" in *\?*) url="$realm&$query" ;; *) url="$realm?$query" ;; esac
      send GET "$url" application/json "$work/basic"
      case "$code" in
        401 | 403)
          origin="$(printf '%s' "$realm" | sed 's|^\([A-Za-z]*://[^/]*\).*|\1|')"
          fail "the token service of $server ($origin) refused $who: $code" ;;
      esac
      expect "the token request for $scope" 200
      token="$(jq -r '(.token // .access_token // "") | strings' "$work/body" 2>/dev/null || true)"
      [ -n "$token" ] || fail "the token service of $server returned no token"
      printf 'Authorization: Bearer %s\n' "$token" >"$work/auth" ;;
    [Bb][Aa][Ss][Ii][Cc]*)
      [ -s "$work/basic" ] || fail "$server requires credentials for $repo; set slipway:registry.username and password"
      cp "$work/basic" "$work/auth" ;;
    *) fail "$server requires credentials for $repo; set slipway:registry.username and password" ;;
  esac
}
request() {
  send "$1" "$base$2" "$3" "$work/auth"
  if [ "$code" = 401 ] && [ ! -s "$work/auth" ]; then
    authenticate
    send "$1" "$base$2" "$3" "$work/auth"
  fi
}
expect() {
  what="$1"
  shift
  for ok in "$@"; do
    [ "$code" != "$ok" ] || return 0
  done
  detail="$(jq -r '.errors[0] // empty | " (\(.code): \(.message))"' "$work/body" 2>/dev/null || true)"
  case "$code" in
    401 | 403) fail "$server refused $what: $code$detail; check slipway:registry.username and password" ;;
    *) fail "$server answered $what with $code$detail" ;;
  esac
}
manifest() {
  request GET "/manifests/$1" "$accept"
  [ "$code" != 404 ] || return 1
  expect "GET manifest $repo:$1" 200
  computed="sha256:$(sha256sum "$work/body" | cut -d ' ' -f 1)"
  [ "$computed" = "$1" ] || fail "$server served a manifest for $repo@$1 whose content has digest $computed"
  jq -e . "$work/body" >/dev/null 2>&1 || fail "$server served a manifest for $repo:$1 that is not JSON"
  mv "$work/body" "$work/manifest.json"
  type="$(jq -r '.mediaType // empty | strings' "$work/manifest.json")"
  [ -n "$type" ] || type="$(tr -d '\r' <"$work/headers" | sed -n 's/^[Cc]ontent-[Tt]ype:[[:space:]]*\([^;[:space:]]*\).*/\1/p' | tail -n 1)"
}
for tool in curl jq; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed; it checks the repository $server/$repo (apt-get install $tool)"
done
: >"$work/auth"
: >"$work/basic"
if [ -n "${SLIPWAY_REGISTRY_AUTH:-}" ]; then
  printf 'Authorization: Basic %s\n' "$SLIPWAY_REGISTRY_AUTH" >"$work/basic"
fi
request GET '/tags/list?n=1000' application/json
[ "$code" = 404 ] || expect "GET tags of $repo" 200
digest=sha256:c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3
missing='ghcr.io/acme/web has no manifest sha256:c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3; push the image (pulumi up on the build stack) before this check'
request HEAD "/manifests/$digest" "$accept"
[ "$code" != 404 ] || fail "$missing"
expect "HEAD manifest $repo@$digest" 200
oci_index=application/vnd.oci.image.index.v1+json
docker_list=application/vnd.docker.distribution.manifest.list.v2+json
label_key=org.opencontainers.image.source
want=https://github.com/acme/web
label_before='ghcr.io/acme/web@sha256:c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3 has org.opencontainers.image.source '
label_after=', but the stack'\''s source is https://github.com/Acme/Web.git; GHCR links the package to the repository this label names: set slipway:source, or remove a LABEL that overrides it in the Dockerfile'
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
echo 'slipway: ghcr.io/acme/web answers, holds sha256:c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3, and its org.opencontainers.image.source names https://github.com/Acme/Web.git'
