#!/usr/bin/env bash
# Runs every test: unit tests, the integration tests on SQLite and on a
# throwaway Postgres cluster started here, and the browser tests.
# Arguments go to `cargo test` (e.g. a test name filter); with arguments the
# browser tests are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/pg.sh
# What the tests leave in the temporary directory (SQLite databases, browser
# profiles and their databases) goes with the run.
TEST_TMP=$(mktemp -d /tmp/corkboard-test.XXXXXX)
export TMPDIR=$TEST_TMP
trap 'pg_stop; rm -rf "$TEST_TMP"' EXIT
pg_start
export CORKBOARD_TEST_PG="$PG_URL"
cargo test "$@"

# The board page in real headless Chromium (Debian's package), driven by
# playwright-core against the server binary `cargo test` just built.
if [ $# -eq 0 ]; then
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error && node --test --test-concurrency=1)
fi
