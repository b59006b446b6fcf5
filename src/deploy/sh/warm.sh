# shellcheck shell=sh
# `$state/warm` names the replaced release kept running for the rollback window and when the
# window ends: `<container> <epoch seconds>`. `keep_warm <container> <drain> <window>` writes
# it (atomically); `warm_name` is what it names now (empty: none).
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
keep_warm() {
  printf '%s %s\n' "$1" "$(( $(date +%s) + $2 + $3 ))" > "$state"/warm.tmp
  chmod 644 "$state"/warm.tmp
  mv -f "$state"/warm.tmp "$state"/warm
}
warm_name=
if [ -f "$state"/warm ]; then read -r warm_name _ < "$state"/warm || true; fi
