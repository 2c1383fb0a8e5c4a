#!/usr/bin/env bash
# Runs every test: unit tests, the integration tests on SQLite and on a
# throwaway Postgres cluster started here, and the browser tests.
# Arguments go to `cargo test` (e.g. a test name filter).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/pg.sh
pg_start
trap pg_stop EXIT
export CORKBOARD_TEST_PG="$PG_URL"
cargo test "$@"
