# shellcheck shell=sh
# A blue/green after the switch, or a run that found its release serving (preview-script.ts):
# the preview route answers the release that serves until the next preview, and an earlier
# preview release of another digest goes (an abort: the stack pins the live digest again).
# Header: container_port; `preview_to` (deploy-preview.sh).
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
preview_to "$name:$container_port" || true
earlier=$(cut -d ' ' -f 1 "$state"/preview 2>/dev/null || true)
rm -f "$state"/preview
if [ -n "$earlier" ] && [ "$earlier" != "$name" ]; then
  docker rm --force "$earlier" >/dev/null 2>&1 || true
  say "removed the preview release $earlier: every user is on release $digest"
fi
