#!/bin/bash
# Starts PostgreSQL 15 with milvus_fdw (docker/Dockerfile).  The first start
# initialises $PGDATA (password authentication over TCP with
# $POSTGRES_PASSWORD), creates the database $POSTGRES_DB (default milvus_fdw)
# with the extension, and runs /docker-entrypoint-initdb.d/*.sql and *.sh.
# Arguments are passed to postgres (e.g. -c milvus_fdw.log_stats=on).
# PGPORT (default 5432), POSTGRES_SOCKET_DIR and INITDB_DIR exist so that
# test/test_docker.py can run this script outside a container.
set -euo pipefail

PGDATA=${PGDATA:-/var/lib/postgresql/data}
POSTGRES_DB=${POSTGRES_DB:-milvus_fdw}
SOCKET_DIR=${POSTGRES_SOCKET_DIR:-/var/run/postgresql}
INITDB_DIR=${INITDB_DIR:-/docker-entrypoint-initdb.d}
export PGPORT=${PGPORT:-5432}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "docker-entrypoint.sh: set POSTGRES_PASSWORD (the postgres user's password)" >&2
    exit 1
  fi
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  initdb -D "$PGDATA" -U postgres --pwfile="$pwfile" --encoding=UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  cat >> "$PGDATA/postgresql.conf" <<CONF
# docker/docker-entrypoint.sh
listen_addresses = '*'
unix_socket_directories = '$SOCKET_DIR'
CONF
  # Set up over the socket only, then start for real.
  pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
  psql=(psql -X -q -v ON_ERROR_STOP=1 -h "$SOCKET_DIR" -U postgres)
  if [ "$POSTGRES_DB" != postgres ]; then
    "${psql[@]}" -d postgres -c "CREATE DATABASE \"$POSTGRES_DB\""
  fi
  "${psql[@]}" -d "$POSTGRES_DB" -c "CREATE EXTENSION milvus_fdw"
  for f in "$INITDB_DIR"/*; do
    case "$f" in
      *.sql) echo "docker-entrypoint.sh: running $f"; "${psql[@]}" -d "$POSTGRES_DB" -f "$f" ;;
      *.sh) echo "docker-entrypoint.sh: running $f"; bash "$f" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo "docker-entrypoint.sh: database $POSTGRES_DB with milvus_fdw is ready"
fi

exec postgres -D "$PGDATA" "$@"
