#!/usr/bin/env bash
# Runs a command against a throw-away PostgreSQL cluster, removed afterwards.
# Where PostgreSQL is not installed the command runs on SQLite, and says so.
set -euo pipefail

find_pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [[ -x "$dir/initdb" ]] && { echo "$dir"; return; }
  done
  command -v initdb >/dev/null 2>&1 && dirname "$(command -v initdb)"
}

PG_BIN=$(find_pg_bin || true)
if [[ -z "${PG_BIN}" || -n "${DATABASE_URL:-}" ]]; then
  if [[ -z "${DATABASE_URL:-}" ]]; then
    echo "with_postgres: PostgreSQL is not installed here, so this run uses SQLite." >&2
  fi
  exec "$@"
fi

CLUSTER=$(mktemp -d /tmp/escalation-pg.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
AS=()
if [[ $(id -u) -eq 0 ]]; then
  # initdb refuses to run as root: the cluster belongs to the postgres user.
  chown postgres "$CLUSTER"
  AS=(runuser -u postgres --)
fi

cleanup() {
  "${AS[@]}" "$PG_BIN/pg_ctl" -D "$CLUSTER/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$CLUSTER"
}
trap cleanup EXIT

"${AS[@]}" "$PG_BIN/initdb" -D "$CLUSTER/data" -U postgres -A trust -E UTF8 --no-sync >/dev/null
"${AS[@]}" "$PG_BIN/pg_ctl" -D "$CLUSTER/data" -l "$CLUSTER/log" -w \
  -o "-p $PORT -k $CLUSTER -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null
echo "with_postgres: throw-away PostgreSQL on 127.0.0.1:$PORT ($("$PG_BIN/postgres" --version))" >&2

export DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/escalation"
"${AS[@]}" "$PG_BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres escalation
set +e
"$@"
status=$?
set -e
exit $status
