#!/usr/bin/env bash
# A throwaway PostgreSQL cluster from Debian's binaries, run as the
# unprivileged user `postgres` when we are root.
#   source scripts/pg.sh; pg_start [PORT]; ...; pg_stop
# pg_start exports PG_URL (the admin URL), PG_DIR and PGBIN.

pg_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

pg_as() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start() {
  PGBIN=$(pg_bin)
  if [ ! -x "$PGBIN/initdb" ]; then
    echo "PostgreSQL server binaries are missing: apt-get install postgresql" >&2
    return 1
  fi
  local port=${1:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin postgres
  fi
  PG_DIR=$(mktemp -d /tmp/corkboard-pg.XXXXXX)
  chmod 755 "$PG_DIR"
  install -d -m 700 "$PG_DIR/data" "$PG_DIR/sock"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$PG_DIR/data" "$PG_DIR/sock"
  pg_as "$PGBIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --no-locale >"$PG_DIR/initdb.log" 2>&1 \
    || { cat "$PG_DIR/initdb.log" >&2; return 1; }
  touch "$PG_DIR/log"; [ "$(id -u)" = 0 ] && chown postgres:postgres "$PG_DIR/log"
  pg_as "$PGBIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 30 \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $PG_DIR/sock -c max_connections=1000" start >/dev/null \
    || { cat "$PG_DIR/log" >&2; return 1; }
  PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
  export PG_URL PG_DIR PGBIN
}

pg_stop() {
  [ -n "${PG_DIR:-}" ] || return 0
  pg_as "$PGBIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
