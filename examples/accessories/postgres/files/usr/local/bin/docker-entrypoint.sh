#!/bin/sh
# Slipway's PostgreSQL entrypoint: the official postgres image's environment contract,
# in POSIX sh (dash), for a rootfs without bash or perl.
#
#   POSTGRES_PASSWORD / POSTGRES_PASSWORD_FILE  superuser password (required on first
#                              start unless POSTGRES_HOST_AUTH_METHOD=trust); the _FILE
#                              form reads it from a file (a Docker secret)
#   POSTGRES_USER              superuser name (default postgres)
#   POSTGRES_DB                database created on first start (default: POSTGRES_USER)
#   POSTGRES_INITDB_ARGS       extra initdb arguments (split on spaces)
#   POSTGRES_HOST_AUTH_METHOD  pg_hba method for the network (default scram-sha-256)
#   PGDATA                     data directory (default /var/lib/postgresql/data)
#
# On an empty data directory: initdb (the password goes through a 0600 file, never a
# command line), `host all all all <method>` in pg_hba.conf, the database, then the
# scripts in /docker-entrypoint-initdb.d (*.sh sourced, *.sql run), on a server that
# listens only on its unix socket. Then the server runs as uid 999 (postgres), dropped
# from root with setpriv. `docker stop` sends SIGINT (the image's STOPSIGNAL): a fast
# shutdown.
set -eu

: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA

# file_env VAR: VAR from VAR_FILE when that is set (both set is an error).
file_env() {
  eval "value=\${$1:-}; file=\${$1_FILE:-}"
  if [ -n "$value" ] && [ -n "$file" ]; then
    echo "error: both $1 and $1_FILE are set (but are exclusive)" >&2
    exit 1
  fi
  if [ -n "$file" ]; then
    value="$(cat "$file")"
  fi
  eval "$1=\$value"
  export "$1"
  unset "$1_FILE" value file
}

if [ "${1#-}" != "${1:-}" ] || [ $# -eq 0 ]; then
  set -- postgres "$@"
fi
if [ "$1" != postgres ]; then
  exec "$@"
fi
# `postgres --version` and friends only print: no data directory, no initialization.
for arg in "$@"; do
  case "$arg" in
    -'?' | --help | --describe-config | -V | --version | -C) exec "$@" ;;
  esac
done

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /run/postgresql
  # A fresh named volume already belongs to 999 (the image's directory); a bind mount
  # or an older volume may not.
  if [ "$(stat -c %u "$PGDATA")" != 999 ]; then
    chown -R 999:999 "$PGDATA"
  fi
  chmod 0700 "$PGDATA"
  chown 999:999 /run/postgresql
  chmod 2775 /run/postgresql
  exec setpriv --reuid=999 --regid=999 --clear-groups -- "$0" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  file_env POSTGRES_PASSWORD
  : "${POSTGRES_USER:=postgres}"
  : "${POSTGRES_DB:=$POSTGRES_USER}"
  : "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
  if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    cat >&2 <<'EOF'
error: the database is not initialized and no superuser password is set.
  Set POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE) to a non-empty value, from a
  secret: `docker run --env-file <0600 file>` or a mounted file, never a command line.
EOF
    exit 1
  fi

  umask 077
  pwfile=""
  if [ -n "$POSTGRES_PASSWORD" ]; then
    pwfile="$(mktemp)"
    trap 'rm -f "$pwfile"' EXIT
    # printf is a shell builtin: the password is on no process's command line.
    printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  fi
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of arguments
  initdb --username="$POSTGRES_USER" ${pwfile:+--pwfile="$pwfile"} \
    --auth-local=trust --auth-host="$POSTGRES_HOST_AUTH_METHOD" \
    --encoding=UTF8 --locale=C.UTF-8 --locale-provider=builtin --builtin-locale=C.UTF-8 \
    ${POSTGRES_INITDB_ARGS:-}
  if [ -n "$pwfile" ]; then
    rm -f "$pwfile"
    trap - EXIT
  fi
  umask 022
  printf '\n# Slipway: every other client, over the network\nhost all all all %s\n' \
    "$POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"

  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -c unix_socket_directories=/run/postgresql" -w start
  if [ "$POSTGRES_DB" != postgres ]; then
    psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password --username "$POSTGRES_USER" \
      --dbname postgres --set db="$POSTGRES_DB" <<'EOSQL'
SELECT format('CREATE DATABASE %I', :'db') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db')\gexec
EOSQL
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh) echo "running $f" && . "$f" ;;
      *.sql) echo "running $f" && psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password \
        --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -f "$f" ;;
      *) ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop
  echo "PostgreSQL init process complete; ready for start up."
fi

unset POSTGRES_PASSWORD
exec "$@"
