# shellcheck shell=sh
# A blue/green's preview (preview-script.ts), after the new release is healthy and its routes
# (with the preview lines) are loaded, before the switch. When the release's digest is not
# `live_digest` and another release serves, the new release goes only behind the preview
# route: its address renamed into the preview upstream file (`preview_instance`, read per
# request), the release noted in `preview` (status reads it), an earlier preview release
# removed; the deploy ends there, every user on the release that serves, its record as it
# was. Otherwise (the live digest, or nothing serving yet) the switch follows.
# Header: live_digest, preview_instance, preview_where, container_port.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
# preview_to ADDRESS: the preview route's upstream file names ADDRESS, by a rename (also
# deploy-preview-end.sh); fails, changing nothing, when the new file cannot be written.
preview_to() {
  { printf '%s\n' "$1" > "$tmp"/preview-upstream && chmod 644 "$tmp"/preview-upstream; } 2>/dev/null &&
    mv -f "$tmp"/preview-upstream "$edge"/upstreams/"$preview_instance"
}
serving=
if [ -s "$edge"/upstreams/"$service" ]; then serving=$(head -n 1 "$edge"/upstreams/"$service"); fi
if [ "$digest" != "$live_digest" ] && [ -n "$serving" ] && [ "$serving" != "$name:$container_port" ]; then
  earlier=$(cut -d ' ' -f 1 "$state"/preview 2>/dev/null || true)
  if ! printf '%s %s\n' "$name" "$digest" 2>/dev/null > "$tmp"/preview || ! preview_to "$name:$container_port"; then
    docker rm --force "$name" >/dev/null 2>&1 || true
    fail "cannot write the preview route's upstream under $state (disk full?); removed $name, every user stays on ${current_digest:-$serving}"
  fi
  mv -f "$tmp"/preview "$state"/preview
  if [ -n "$earlier" ] && [ "$earlier" != "$name" ] && [ "$earlier" != "$current" ]; then
    docker rm --force "$earlier" >/dev/null 2>&1 || true
    say "removed the earlier preview release $earlier"
  fi
  say "release $digest answers only on the preview route ($preview_where) as $name; every user stays on release ${current_digest:-$serving}; to switch them: slipway switch --stack $stack --service $service"
  exit 0
fi
