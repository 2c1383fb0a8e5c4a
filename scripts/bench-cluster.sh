#!/usr/bin/env bash
# One edits load (the bench kit's load generator) against N corkboard nodes
# behind HAProxy (deploy/haproxy.cfg), or against one node directly with
# N=0: the CPU the nodes use for the same load (docs/PERFORMANCE.md).
#
#   scripts/bench-cluster.sh N [BIN] [loadgen edits options...]
#   scripts/bench-cluster.sh 3 target/release/corkboard --boards 50 --members 10 --rate 4
#
# Needs root-or-not Postgres binaries (scripts/pg.sh), haproxy, and the bench
# kit's load generator (../shared/bench/loadgen). Prints the load
# generator's JSON line, then each node's share of the CPU over its run.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:?N nodes (0: one node, no balancer)}
BIN=${2:-target/release/corkboard}
shift $(( $# >= 2 ? 2 : $# ))
LOADGEN=${LOADGEN:-../shared/bench/loadgen/target/release/loadgen}
HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)

source scripts/pg.sh
DIR=$(mktemp -d /tmp/corkboard-bench-cluster.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pg_stop
  rm -rf "$DIR"
}
trap cleanup EXIT
pg_start
DB="${PG_URL%/postgres}/postgres"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

nodes=$(( N == 0 ? 1 : N ))
PORTS=()
for i in $(seq 1 "$nodes"); do
  port=$(pg_free_port)
  PORTS+=("$port")
  CORKBOARD_NODE_ID=n$i CORKBOARD_BIND=127.0.0.1:$port DATABASE_URL=$DB RUST_LOG=warn \
    CORKBOARD_RATE_PER_S=10000 CORKBOARD_RATE_BURST=10000 \
    "$BIN" serve 2>"$DIR/n$i.log" &
  PIDS+=("$!")
  # the first migrates; the others start once it answers
  until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.1; done
done
BASE="http://127.0.0.1:${PORTS[0]}"
if [ "$N" -gt 0 ]; then
  LB=$(pg_free_port)
  cfg=$(sed -e "s/127.0.0.1:8080/127.0.0.1:$LB/" -e "s#/tmp/corkboard-haproxy.sock#$DIR/haproxy.sock#" deploy/haproxy.cfg)
  # the shipped config names three nodes: keep the first N
  for i in 1 2 3; do
    if [ "$i" -le "$N" ]; then cfg=${cfg//127.0.0.1:808$i/127.0.0.1:${PORTS[$((i-1))]}}
    else cfg=$(printf '%s\n' "$cfg" | grep -v "server n$i "); fi
  done
  printf '%s\n' "$cfg" >"$DIR/haproxy.cfg"
  "$HAPROXY" -f "$DIR/haproxy.cfg" -db 2>"$DIR/haproxy.log" &
  PIDS+=("$!")
  sleep 2
  BASE="http://127.0.0.1:$LB"
fi

declare -a before
for i in $(seq 0 $((nodes - 1))); do before[$i]=$(cpu_ticks "${PIDS[$i]}"); done
start=$(date +%s.%N)
"$LOADGEN" edits --base "$BASE" --server-pid "${PIDS[0]}" --db-pid "$(head -1 "$PG_DIR/data/postmaster.pid")" "$@"
end=$(date +%s.%N)
hz=$(getconf CLK_TCK)
for i in $(seq 0 $((nodes - 1))); do
  after=$(cpu_ticks "${PIDS[$i]}")
  echo "node n$((i+1)): $(echo "scale=3; ($after - ${before[$i]}) / $hz / ($end - $start)" | bc) cores over the whole run (setup and warm-up included)"
done
