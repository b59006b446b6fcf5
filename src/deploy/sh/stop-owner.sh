# shellcheck shell=sh
# After the lock (stop-script.ts): a service another stack owns is left alone.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
owner=$(head -c 100 "$state"/owner 2>/dev/null | head -n 1 || true)
if [ -n "$owner" ] && [ "$owner" != "$stack" ]; then
  say "$service on this host belongs to stack $owner; left as it is"
  exit 0
fi
