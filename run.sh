#!/usr/bin/env bash
# Runs the gateway on http://localhost:8080 in front of its built-in demo
# backend. Extra arguments go to the gateway (e.g. --urls, --config).
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
# dotnet run starts in src/Gateway; keep the demo's records at the repo's logs/.
export Telemetry__JsonLines__Path="${Telemetry__JsonLines__Path:-$PWD/logs/access.jsonl}"
exec dotnet run --project src/Gateway -c Release -- --demo "$@"
