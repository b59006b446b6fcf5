# shellcheck shell=sh
# The canary walk (canary-script.ts), after the new release is healthy and its routes (with
# the split handler) are loaded, before the switch; only when a release of before serves
# (its upstream file names another container). For each step (`canary_step <n>`): the
# step's split file (`split_text`, its stand-ins replaced by the new release's and the old
# one's dial addresses) renamed into `split/<service>`, which the edge reads per request
# (no reload); the counters read once they have the new split (`split_stats`, kept in
# "$tmp"), `pause` seconds, the counters' flush, then the edge's Caddy judges the new
# release's side (`split_judge`, exit 0 passed, 1 failed). A failed step removes the split
# file at once (every request to the old release again: its upstream file never changed),
# lets the new release drain, removes it and fails with the verdict, naming the release (the
# CLI records a digest that failed its canary as failed on the stack: promote refuses it). After the last step
# the switch (deploy-switch.sh) renames the upstream file to the new release, then removes
# the split file. A release this host ran before (a kept or the warm one: a rollback) switches
# at once, as Argo Rollouts does within its rollback window. A `slipway rollback` that finds the
# walk holding the lock writes `canary-abort` in the state directory (warm-switch.sh): the walk
# checks it every second of a pause and aborts as a failed step does, naming who stopped it.
# Header: split_flush, container_port, drain_seconds.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
canary_from=
if [ "$mode" = new ] && [ -s "$edge"/upstreams/"$service" ]; then
  canary_from=$(head -n 1 "$edge"/upstreams/"$service")
fi
# A split file of an earlier run that was killed mid-walk: the walk starts again from step 1.
rm -f "$edge"/split/"$service" "$state"/canary-abort
if [ -n "$canary_from" ] && [ "$canary_from" != "$name:$container_port" ] && [ -f "$tmp"/served-before ]; then
  say "release $digest served on this host before ($name, kept for rollback): switching without a canary"
elif [ -n "$canary_from" ] && [ "$canary_from" != "$name:$container_port" ]; then
  next_dials="$name:$container_port"
  if [ -n "$current_digest" ]; then back="release $current_digest ($canary_from)"; else back=$canary_from; fi
  canary_abort() {
    rm -f "$edge"/split/"$service" "$state"/canary-abort
    sleep "$drain_seconds"
    docker rm --force "$name" >/dev/null 2>&1 || true
    fail "$1; every request went back to $back at once, removed $name"
  }
  if ! (umask 022 && mkdir -p "$edge"/split) 2>/dev/null; then
    docker rm --force "$name" >/dev/null 2>&1 || true
    fail "cannot create $edge/split (the canary's split file) as $(id -un); removed $name, nothing was switched"
  fi
  step=1
  while canary_step "$step"; do
    if ! printf '%s' "$split_text" | sed -e "s/^@next /$next_dials /" -e "s/^@previous /$canary_from /" > "$tmp"/split 2>/dev/null; then
      canary_abort "canary $weight%: cannot write the split file under $state (disk full?)"
    fi
    chmod 644 "$tmp"/split
    mv -f "$tmp"/split "$edge"/split/"$service"
    say "canary $weight%: $weight% of the requests go to $name for $pause s"
    sleep "$split_flush"
    if ! split_stats > "$tmp"/split-start.json 2> "$tmp"/split.err; then
      canary_abort "canary $weight%: cannot read the split counters in $caddy: $(last_line "$(cat "$tmp"/split.err)")"
    fi
    waited=0
    while [ "$waited" -lt "$pause" ]; do
      if [ -f "$state"/canary-abort ]; then
        canary_abort "canary $weight%: stopped by $(cat "$state"/canary-abort 2>/dev/null)"
      fi
      sleep 1
      waited=$((waited + 1))
    done
    sleep "$split_flush"
    judged=0
    verdict=$(split_judge < "$tmp"/split-start.json 2> "$tmp"/split.err) || judged=$?
    case $judged in
      0) say "$verdict" ;;
      1) canary_abort "release $digest failed its canary: $verdict" ;;
      *) canary_abort "canary $weight%: $caddy could not judge the step: $(last_line "$(cat "$tmp"/split.err)")" ;;
    esac
    step=$((step + 1))
  done
  say "canary: every step passed; switching every request to $name"
fi
