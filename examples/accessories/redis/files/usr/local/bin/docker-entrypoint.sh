#!/bin/sh
# Slipway's Redis entrypoint, in POSIX sh (dash).
#
#   REDIS_PASSWORD / REDIS_PASSWORD_FILE  optional password (`requirepass`); the _FILE
#                                         form reads it from a file (a Docker secret)
#
# Writes /etc/redis/redis.conf (mode 0600, owned by 999): port 6379 on every interface,
# data in /data with appendonly yes, and the password when one is set - so the password
# is never on redis-server's command line. Then runs redis-server as uid 999 (redis),
# dropped from root with setpriv. Extra arguments go to redis-server after the file.
set -eu

if [ "${1#-}" != "${1:-}" ] || [ $# -eq 0 ]; then
  set -- redis-server "$@"
fi
if [ "$1" != redis-server ]; then
  exec "$@"
fi
shift
case "${1:-}" in
  -v | --version | -h | --help) exec redis-server "$@" ;;
esac

password="${REDIS_PASSWORD:-}"
if [ -n "${REDIS_PASSWORD_FILE:-}" ]; then
  [ -z "$password" ] || { echo "error: both REDIS_PASSWORD and REDIS_PASSWORD_FILE are set" >&2; exit 1; }
  password="$(cat "$REDIS_PASSWORD_FILE")"
fi

conf=/etc/redis/redis.conf
umask 077
{
  printf '%s\n' 'port 6379' 'bind * -::*' 'protected-mode no' 'dir /data' \
    'appendonly yes' 'save 60 1'
  if [ -n "$password" ]; then
    # A quoted string in redis.conf: backslash and double quote escaped.
    escaped="$(printf '%s' "$password" | sed 's/\\/\\\\/g; s/"/\\"/g')"
    printf 'requirepass "%s"\n' "$escaped"
  fi
} >"$conf.tmp"
mv -f "$conf.tmp" "$conf"
unset password escaped REDIS_PASSWORD

if [ "$(id -u)" = 0 ]; then
  chown 999:999 "$conf"
  if [ "$(stat -c %u /data)" != 999 ]; then
    chown -R 999:999 /data
  fi
  exec setpriv --reuid=999 --regid=999 --clear-groups -- redis-server "$conf" "$@"
fi
exec redis-server "$conf" "$@"
