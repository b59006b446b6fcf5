# shellcheck shell=sh
# The repository check (src/registry/check-script.ts), run on the machine running `pulumi up`
# with curl and jq: the functions every check uses (one request with the registry's challenge
# answered), then the tag list. The registry's `user:password` comes from
# `$SLIPWAY_REGISTRY_AUTH` (base64, REPOSITORY_CHECK_AUTH_ENV), never the text; it goes to curl
# in a header file in the private directory `$work`, never on a command line.
# Header: server, repo, scheme, base, accept, who.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
fail() { printf 'slipway: %s\n' "$1" >&2; exit 1; }
# send METHOD URL ACCEPT HEADERS: the status in $code, headers and body in $work
send() {
  : >"$work/body"
  if [ "$1" = HEAD ]; then head=--head; else head=""; fi
  code="$(curl -sS -L --max-time 30 ${head:+--head} -o "$work/body" -D "$work/headers" -w '%{http_code}' -H "Accept: $3" -H @"$4" "$2" 2>"$work/error")" ||
    fail "cannot reach registry $server ($scheme): $(sed 's/^curl: ([0-9]*) //' "$work/error")"
}
# param NAME: a parameter of the registry's WWW-Authenticate challenge
param() {
  printf '%s\n' "$challenge" | sed -n "s/.*[[:space:],]$1=\"\([^\"]*\)\".*/\1/p"
}
# authenticate: answers the challenge of the last 401 (a bearer token, or basic auth)
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
# request METHOD SUFFIX ACCEPT: send to the repository, authenticating once on a 401
request() {
  send "$1" "$base$2" "$3" "$work/auth"
  if [ "$code" = 401 ] && [ ! -s "$work/auth" ]; then
    authenticate
    send "$1" "$base$2" "$3" "$work/auth"
  fi
}
# expect WHAT STATUS...: fails unless the last status is one of STATUS
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
# manifest DIGEST: the manifest into $work/manifest.json, its media type in $type; 1 when absent
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
