# shellcheck shell=sh
# The host's supervisor (supervisor.ts): one loop per state root that starts again a container
# the records name when it exited, under that directory's deploy lock, and notes each restart
# (its own and Docker's restart policy's) in the directory's `events`. Header: root (the state
# root), dir (its `_supervisor` directory), tick (seconds between two looks), events_kept.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
self="$dir"/supervisor.sh
# One supervisor per root; an exec'd newer text keeps fd 9, so it keeps the lock.
exec 9>>"$dir"/lock
flock -n 9 || exit 0
printf '%s\n' "$$" > "$dir"/pid
version=$(cksum < "$self")
counts=
# event DIR TEXT: one line in DIR's events (the last ones kept) and in the log.
event() {
  line="$(date -u +%Y-%m-%dT%H:%M:%SZ) $2"
  printf '%s\n' "$line"
  { tail -n "$((events_kept - 1))" "$1"/events 2>/dev/null; printf '%s\n' "$line"; } > "$1"/events.tmp &&
    mv -f "$1"/events.tmp "$1"/events
}
# wanted: `<dir> <container>` for each container the records say should run.
wanted() {
  for f in "$root"/*/current; do
    if [ -s "$f" ]; then printf '%s %s\n' "${f%/current}" "$(cat "$f")"; fi
  done
  for d in "$root"/_accessories/* "$root"/_edge/*; do
    if [ -d "$d" ]; then printf '%s %s\n' "$d" "${d##*/}"; fi
  done
  for f in "$root"/_edge/*/caddy; do
    if [ -s "$f" ]; then printf '%s %s\n' "${f%/caddy}" "$(cat "$f")"; fi
  done
}
# revive DIR NAME CODE FINISHED: under DIR's deploy lock, if the record still names it.
revive() {
  (
    name=$2
    exec 8>>"$1"/lock 2>/dev/null || exit 0
    flock -n 8 || exit 0
    # Who holds the lock: a deploy that finds it held waits for the supervisor (lock.sh).
    printf 'the supervisor of %s (pid %s), starting %s again, since %s\n' "$root" "$$" "$2" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$1"/lock.owner
    if [ "${1##*/}" != "$2" ] && ! cat "$1"/current "$1"/caddy 2>/dev/null | grep -qxF -- "$2"; then exit 0; fi
    if [ "$(docker container inspect --format '{{.State.Status}}' "$name" 2>/dev/null)" != exited ]; then exit 0; fi
    if ! out=$(docker start "$name" 2>&1); then
      event "$1" "$2 exited with code $3 at $4; the supervisor could not start it again: $(printf '%s\n' "$out" | tail -n 1)"
      exit 0
    fi
    event "$1" "$2 exited with code $3 at $4; the supervisor started it again"
    # The edge's holder: its Caddy ran in the namespace that ended with it.
    caddy=$(cat "$1"/caddy 2>/dev/null || true)
    if [ "${1##*/}" = "$2" ] && [ -n "$caddy" ]; then
      docker restart "$caddy" >/dev/null 2>&1 || true
      event "$1" "$caddy restarted in the network of $2"
    fi
  )
}
while [ -f "$self" ]; do
  if [ "$(cksum < "$self" 2>/dev/null)" != "$version" ]; then exec sh "$self"; fi
  list=$(wanted)
  seen=
  if [ -n "$list" ]; then
    # Container names are single words: the list splits into arguments as it should.
    # shellcheck disable=SC2046
    seen=$(docker container inspect --format '{{.Name}} {{.State.Status}} {{.RestartCount}} {{.State.ExitCode}} {{.State.FinishedAt}}' $(printf '%s\n' "$list" | cut -d ' ' -f 2) 2>/dev/null)
  fi
  was=$counts
  counts=
  while read -r d name; do
    [ -n "$name" ] || continue
    got=$(printf '%s\n' "$seen" | awk -v n="/$name" '$1 == n { print $2, $3, $4, $5 }')
    [ -n "$got" ] || continue
    status=${got%% *}; rest=${got#* }; restarts=${rest%% *}; rest=${rest#* }; code=${rest%% *}; finished=${rest#* }
    # One `<name> <restart count>` line each, to tell a restart by Docker's policy next time.
    counts="$counts$name $restarts
"
    before=$(printf '%s' "$was" | awk -v n="$name" '$1 == n { print $2 }')
    if [ -n "$before" ] && [ "$restarts" -gt "$before" ]; then
      # Running again, Docker reports exit code 0: only the time of the exit is known.
      event "$d" "$name exited at $finished; the restart policy of Docker started it again"
    fi
    if [ "$status" = exited ]; then revive "$d" "$name" "$code" "$finished"; fi
  done <<EOF
$list
EOF
  sleep "$tick"
done
