#!/usr/bin/env bash
# Throwaway PostgreSQL clusters from Debian's binaries, run as the
# unprivileged user `postgres` when we are root.
#
# As a library:  source scripts/pg.sh; pg_start; …; pg_stop
#   pg_start exports PG_URL (the admin URL), PG_DIR and PGBIN.
# As a command (the outage test uses it):
#   scripts/pg.sh new          start a new cluster; prints "DIR URL"
#   scripts/pg.sh stop DIR     stop it (fast shutdown)
#   scripts/pg.sh start DIR    start it again on the same port
#   scripts/pg.sh destroy DIR  stop it and remove it

pg_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

pg_as() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# pg_ctl start of the cluster in $1 (its port is in $1/port)
pg_up() {
  local dir=$1
  pg_as "$(pg_bin)/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 30 \
    -o "-p $(cat "$dir/port") -c listen_addresses=127.0.0.1 -k $dir/sock -c max_connections=1000" start >/dev/null \
    || { cat "$dir/log" >&2; return 1; }
}

pg_down() {
  pg_as "$(pg_bin)/pg_ctl" -D "$1/data" -m fast -w stop >/dev/null 2>&1 || true
}

pg_start() {
  PGBIN=$(pg_bin)
  if [ ! -x "$PGBIN/initdb" ]; then
    echo "PostgreSQL server binaries are missing: apt-get install postgresql" >&2
    return 1
  fi
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin postgres
  fi
  PG_DIR=$(mktemp -d /tmp/corkboard-pg.XXXXXX)
  chmod 755 "$PG_DIR"
  install -d -m 700 "$PG_DIR/data" "$PG_DIR/sock"
  touch "$PG_DIR/log"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$PG_DIR/data" "$PG_DIR/sock" "$PG_DIR/log"; fi
  pg_free_port >"$PG_DIR/port"
  pg_as "$PGBIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --no-locale >"$PG_DIR/initdb.log" 2>&1 \
    || { cat "$PG_DIR/initdb.log" >&2; return 1; }
  pg_up "$PG_DIR"
  PG_URL="postgres://postgres@127.0.0.1:$(cat "$PG_DIR/port")/postgres"
  export PG_URL PG_DIR PGBIN
}

pg_stop() {
  [ -n "${PG_DIR:-}" ] || return 0
  pg_down "$PG_DIR"
  rm -rf "$PG_DIR"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  case "${1:-}" in
    new) pg_start >&2 && echo "$PG_DIR $PG_URL" ;;
    stop) pg_down "$2" ;;
    start) pg_up "$2" ;;
    destroy) PG_DIR=$2 pg_stop ;;
    *) echo "usage: $0 new | stop DIR | start DIR | destroy DIR" >&2; exit 2 ;;
  esac
fi
