# shellcheck shell=sh
# `retire <container> <drain seconds> <warm seconds>`: stops a replaced release in the
# background, after the drain (requests the edge sent it before the switch finish), so the
# command returns as soon as the new release serves, as a Kubernetes rollout ends while old
# pods terminate. The background process holds `retire.lock` (not the host lock) during the
# drain; the next deploy or stop waits for it (await-retire.sh). With warm seconds (the
# rollback window) it then lets go of the lock and keeps the container running without
# traffic that long, so `slipway rollback` can switch the edge back to it at once
# (warm-switch.sh); at the end it stops it unless it is no longer the warm release named in
# `warm` or serves again. Its output goes to `retire.log`; a failure also to `retire.failed`,
# which the next deploy reports. HUP is ignored (the header), so an SSH session ending does
# not cut the drain short.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
retire() {
  retiree=$1
  drain=$2
  warm_for=$3
  exec 7>>"$state"/retire.lock
  flock 7
  # A background group runs in a subshell: closing the host lock there keeps it here.
  {
    exec 9>&-
    sleep "$drain"
    if [ "$warm_for" -gt 0 ]; then
      exec 7>&-
      printf '%s %s stays running without traffic for %s s (rollback window)\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$retiree" "$warm_for"
      sleep "$warm_for"
      exec 6>>"$state"/warm.lock
      flock 6
      if [ "$(cut -d " " -f 1 "$state"/warm 2>/dev/null)" != "$retiree" ] || [ "$(cat "$state"/current 2>/dev/null)" = "$retiree" ]; then
        printf '%s the rollback window of %s ended; it is no longer the warm release, left as it is\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$retiree"
        exit 0
      fi
      rm -f "$state"/warm
    fi
    if out=$(docker stop "$retiree" 2>&1); then
      printf '%s stopped %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$retiree"
    else
      printf '%s could not stop %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$retiree" "$(last_line "$out")" | tee "$state"/retire.failed
    fi
  } </dev/null >"$state"/retire.log 2>&1 &
  printf 'stopping %s after a %s s drain and a %s s rollback window, since %s (pid %s)\n' "$retiree" "$drain" "$warm_for" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$!" > "$state"/retire.owner
  exec 7>&-
}
