#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for the test run on a free 127.0.0.1 port and prints its Npgsql
# connection string; `scripts/test-postgres.sh stop DIR` stops it and removes its data directory; `pause DIR` stops
# it keeping its data and `resume DIR` starts it again on the same port (the outage tests).
# Used by scripts/test.sh. Needs Debian's postgresql package (installed here with apt when missing; .ci/run too).
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bin" ] && [ -z "${1:-}" ] && command -v apt-get >/dev/null && [ "$(id -u)" -eq 0 ]; then
  echo "Installing PostgreSQL for the storage tests (apt)…" >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } >&2
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
[ -n "$bin" ] && [ -x "$bin/initdb" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }

# initdb refuses to run as root: the server then runs as the package's postgres user.
as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

start() { # DIR PORT
  as_owner "$bin/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t 30 \
    -o "-p $2 -k $1 -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null || { cat "$1/server.log" >&2; exit 1; }
}

case "${1:-}" in
  stop)
    as_owner "$bin/pg_ctl" -D "$2/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$2"
    exit 0 ;;
  pause) # a clean stop: this throwaway server commits asynchronously, so a crash-like stop would lose its last commits
    as_owner "$bin/pg_ctl" -D "$2/data" -m fast -w stop >/dev/null
    exit 0 ;;
  resume)
    start "$2" "$(cat "$2/port")"
    exit 0 ;;
esac

dir=$(mktemp -d /tmp/switchyard-pg.XXXXXX)
chmod 755 "$dir"
[ "$(id -u)" -eq 0 ] && chown postgres "$dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null \
  || echo $((20000 + RANDOM % 20000)))
as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
echo "$port" >"$dir/port"
start "$dir" "$port"
echo "$dir Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
