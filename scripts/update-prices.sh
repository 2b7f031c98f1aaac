#!/usr/bin/env bash
# Regenerates the bundled price table (src/Switchyard/Tenancy/Pricing/prices.json) from the npm package
# @pydantic/genai-prices. Usage: scripts/update-prices.sh [version]   (default: the version recorded in the file)
set -euo pipefail
cd "$(dirname "$0")/.."
out=src/Switchyard/Tenancy/Pricing/prices.json
version=${1:-$(node -e "console.log(require('./$out').version)" 2>/dev/null || echo latest)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "@pydantic/genai-prices@$version" >/dev/null && tar xzf pydantic-genai-prices-*.tgz)
node scripts/update-prices.mjs "$work/package" "$out"
