#!/usr/bin/env bash
# Runs every test: unit tests, the integration tests on SQLite and on a
# throwaway Postgres cluster started here, and the browser tests.
# Arguments go to `cargo test` (e.g. a test name filter); with arguments the
# browser tests are skipped.
#
# On a machine with only the Rust toolchain it first installs the Debian
# packages the tests need when run as root, or says which are missing and how
# to install them when not.
set -euo pipefail
cd "$(dirname "$0")/.."

# The Debian packages the tests need and this machine lacks, one a line. With
# arguments ($1 > 0) the browser tests are skipped: no Chromium, no Node.
missing_packages() {
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || echo postgresql
  command -v python3 >/dev/null || echo python3   # pg.sh picks free ports with it
  type -P kill >/dev/null || echo procps          # tests/api signal the server with kill
  command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || echo haproxy  # tests/api/cluster.rs: the balancer
  [ "$(id -u)" != 0 ] || command -v runuser >/dev/null || echo util-linux  # pg.sh, as root
  [ "$1" -eq 0 ] || return 0
  [ -x "${CHROMIUM:-/usr/bin/chromium}" ] || echo chromium
  [ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || echo fonts-dejavu-core
  if ! command -v node >/dev/null; then printf '%s\n' nodejs npm
  elif ! command -v npm >/dev/null; then echo npm
  fi
}

apt_install() {
  [ $# -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

# Installs what is missing when root, else says what and how, and exits.
install_missing() {
  local need pkg first=()
  mapfile -t need < <(missing_packages "$1")
  [ ${#need[@]} -gt 0 ] || return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "scripts/test.sh: missing Debian packages: ${need[*]}" >&2
    echo "install them with:  sudo apt-get install --no-install-recommends ${need[*]}" >&2
    echo "(or run scripts/test.sh as root, which installs them)" >&2
    exit 1
  fi
  echo "scripts/test.sh: installing ${need[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -q
  # npm after nodejs and only if still missing: NodeSource's nodejs brings its
  # own npm and conflicts with Debian's.
  for pkg in "${need[@]}"; do [ "$pkg" = npm ] || first+=("$pkg"); done
  apt_install "${first[@]}"
  mapfile -t need < <(missing_packages "$1")
  apt_install "${need[@]}"
  mapfile -t need < <(missing_packages "$1")
  if [ ${#need[@]} -gt 0 ]; then
    echo "scripts/test.sh: still missing after apt-get install: ${need[*]}" >&2
    exit 1
  fi
}
install_missing $#

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
