# shellcheck shell=sh
# After the lock: waits for the background stop of a previous release (retire.sh) to end, so
# nothing else touches the service's containers meanwhile, and says how the last one ended
# when it failed. A retire takes at most the drain (<= 600 s) and `docker stop`: 660 s is the
# longest a deploy or a stop waits.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
exec 7>>"$state"/retire.lock
if ! flock -w 660 7; then
  fail "the previous release of $service is still being stopped after 660 s: $(cat "$state"/retire.owner 2>/dev/null || echo 'holder unknown'); see $state/retire.log"
fi
exec 7>&-
if [ -s "$state"/retire.failed ]; then
  retire_failed=$(head -c 300 "$state"/retire.failed | tr -d '\n')
  say "the last background stop failed: $retire_failed"
  rm -f "$state"/retire.failed
fi
