# shellcheck shell=sh
# A blue/green after the switch, or a run that found its release serving (preview-script.ts):
# the preview route answers the release that serves until the next preview, and an earlier
# preview release of another digest goes (an abort: the stack pins the live digest again).
# Header: preview_instance, container_port.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
if { printf '%s\n' "$name:$container_port" > "$tmp"/preview-upstream && chmod 644 "$tmp"/preview-upstream; } 2>/dev/null; then
  mv -f "$tmp"/preview-upstream "$edge"/upstreams/"$preview_instance"
fi
earlier=$(cut -d ' ' -f 1 "$state"/preview 2>/dev/null || true)
rm -f "$state"/preview
if [ -n "$earlier" ] && [ "$earlier" != "$name" ]; then
  docker rm --force "$earlier" >/dev/null 2>&1 || true
  say "removed the preview release $earlier: every user is on release $digest"
fi
