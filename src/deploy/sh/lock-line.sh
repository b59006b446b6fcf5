# shellcheck shell=sh
# `lock_line KIND NAME DIR` (host-locks.ts): `<lock_mark><TAB>kind<TAB>name<TAB>state<TAB>owner
# <TAB>command`, state `none` (no lock file: never deployed), `free` or `held`; the owner line
# as its holder wrote it; for a held lock the title line of the script that holds it.
# Header: lock_mark.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
lock_line() {
  owner=$(head -n 1 "$3"/lock.owner 2>/dev/null | tr "\t" " ")
  what=
  if [ ! -e "$3"/lock ]; then
    st=none
  elif flock -n "$3"/lock true 2>/dev/null; then
    st=free
  else
    st=held
    pid=$(printf '%s' "$owner" | sed -n 's/.*pid \([0-9][0-9]*\).*/\1/p')
    if [ -n "$pid" ] && [ -r /proc/"$pid"/cmdline ]; then
      file=$(tr '\000' '\n' < /proc/"$pid"/cmdline | sed -n 2p)
      what=$(sed -n '2s/^# //p' "$file" 2>/dev/null | tr '\t' ' ')
    fi
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$lock_mark" "$1" "$2" "$st" "$owner" "$what"
}
