#!/usr/bin/env bash
# Runs every Switchyard test suite and prints the totals as its last line: "N passed, M failed".
# First installs the real clients the end-to-end tests drive (npm, into tests/clients/node_modules) and, when missing,
# Debian's Chromium for the console's browser tests.
set -uo pipefail
cd "$(dirname "$0")/.."

# (Re)install when the lock file changed since the last install.
if ! cmp -s tests/clients/package-lock.json tests/clients/node_modules/.installed-lock.json 2>/dev/null; then
  echo "Installing the npm test clients (tests/clients)…"
  (cd tests/clients && npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.installed-lock.json) \
    || { echo "npm install of the test clients failed"; echo "0 passed, 1 failed"; exit 1; }
fi

# Debian's Chromium for the web console's browser tests (Playwright drives it; no browser download).
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null && [ "$(id -u)" -eq 0 ]; then
  echo "Installing Chromium for the browser tests (apt)…"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null 2>&1 \
    || echo "Chromium could not be installed: the browser tests will fail"
fi

# Debian's redis-server for the cluster tests (each test starts its own on a free loopback port).
if ! command -v redis-server >/dev/null && command -v apt-get >/dev/null && [ "$(id -u)" -eq 0 ]; then
  echo "Installing redis-server for the cluster tests (apt)…"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; } >/dev/null 2>&1 \
    || echo "redis-server could not be installed: the cluster tests will fail"
fi

# Debian's nginx for the sample config of docs/scaling.md (the test starts its own on a free loopback port).
if [ ! -x /usr/sbin/nginx ] && command -v apt-get >/dev/null && [ "$(id -u)" -eq 0 ]; then
  echo "Installing nginx for the load-balancer test (apt)…"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq nginx-light; pkill -x nginx || true; } >/dev/null 2>&1 \
    || echo "nginx could not be installed: the load-balancer test will fail"
fi

results=$(mktemp -d)
pg_dir=""
trap 'rm -rf "$results"; [ -n "$pg_dir" ] && bash scripts/test-postgres.sh stop "$pg_dir"' EXIT

# A throwaway PostgreSQL server for the storage tests (they fail, naming this, when it could not start).
if pg=$(bash scripts/test-postgres.sh); then
  pg_dir=${pg%% *}
  export SWITCHYARD_TEST_PG=${pg#* }
else
  echo "PostgreSQL could not be started: the PostgreSQL storage tests will fail"
fi

if ! dotnet build Switchyard.slnx -c Release -nologo -clp:ErrorsOnly; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

status=0
for project in tests/Switchyard.Protocols.Tests tests/Switchyard.Tests; do
  name=$(basename "$project")
  dotnet test "$project" -c Release --no-build --nologo \
    --logger "trx;LogFileName=$name.trx" --results-directory "$results" || status=1
done

passed=0
failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  e=$(sed -n 's/.* error="\([0-9]*\)".*/\1/p' <<<"$counters")
  # Name each failed test (the console output above may be long).
  grep -o '<UnitTestResult [^>]*outcome="Failed"[^>]*>' "$trx" | sed -n 's/.*testName="\([^"]*\)".*/FAILED: \1/p'
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0} + ${e:-0}))
done
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
  failed=1 # no test ran: that is a failure, not a pass
fi
[ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
