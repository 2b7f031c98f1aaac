#!/usr/bin/env bash
# Benchmarks Switchyard against the floor hop and the Portkey gateway in one run, on this machine, over 127.0.0.1 only.
# Usage: bash bench/run.sh [--quick] [--streams | --requests]      (not part of the test run; results in bench/results/)
#        bash bench/run.sh --soak [--minutes 30]                  (mixed traffic with upstream faults; RSS, descriptors, threads)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
if command -v node >/dev/null && ! cmp -s bench/peer/package.json bench/peer/node_modules/.installed-package.json 2>/dev/null; then
  (cd bench/peer && npm install --no-audit --no-fund --loglevel=error && cp package.json node_modules/.installed-package.json) || echo "peer gateway not installed: running without it"
fi
dotnet build src/Switchyard -c Release -nologo -clp:ErrorsOnly
dotnet build bench/Switchyard.Bench -c Release -nologo -clp:ErrorsOnly
exec dotnet bench/Switchyard.Bench/bin/Release/net10.0/Switchyard.Bench.dll "$@"
