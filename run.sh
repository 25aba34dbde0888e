#!/usr/bin/env bash
# Runs the gateway on http://localhost:8080 in front of its built-in demo
# backend. Extra arguments go to the gateway (e.g. --urls, --config).
#
#   ./run.sh --dashboard   also starts the Aspire Dashboard on loopback
#                          (scripts/dashboard.sh), exports the gateway's traces
#                          and logs to it over OTLP and prints its URL. Ctrl-C or
#                          SIGTERM stops the gateway (which detaches what it
#                          attached in the kernel), the demo backend in it and
#                          the dashboard. The URLs are written to logs/dashboard.env
#                          for scripts/screenshots.sh.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
# dotnet run starts in src/Gateway; keep the demo's records at the repo's logs/.
export Telemetry__JsonLines__Path="${Telemetry__JsonLines__Path:-$PWD/logs/access.jsonl}"

dashboard=false
args=()
for arg in "$@"; do
    if [ "$arg" = "--dashboard" ]; then dashboard=true; else args+=("$arg"); fi
done
if ! $dashboard; then
    exec dotnet run --project src/Gateway -c Release -- --demo "$@"
fi

mkdir -p logs
dotnet build src/Gateway -c Release -nologo -v quiet -clp:ErrorsOnly -clp:NoSummary

dashboard_log="$PWD/logs/dashboard.log"
dashboard_env="$PWD/logs/dashboard.env"
rm -f "$dashboard_env"
dashboard_pid=""
gateway_pid=""

stop() {
    trap - INT TERM EXIT
    # The gateway first: it drains requests, flushes telemetry into the
    # dashboard and detaches its kernel programs before the dashboard goes.
    if [ -n "$gateway_pid" ] && kill -0 "$gateway_pid" 2>/dev/null; then
        kill -TERM "$gateway_pid" 2>/dev/null || true
        wait "$gateway_pid" 2>/dev/null || true
    fi
    if [ -n "$dashboard_pid" ] && kill -0 "$dashboard_pid" 2>/dev/null; then
        kill -TERM "$dashboard_pid" 2>/dev/null || true
        wait "$dashboard_pid" 2>/dev/null || true
    fi
    rm -f "$dashboard_env"
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

scripts/dashboard.sh >"$dashboard_log" 2>&1 &
dashboard_pid=$!

listening() { sed -n "s#^ *$1 listening on: \(http://[^ ]*\).*#\1#p" "$dashboard_log" | head -n 1; }
ui="" grpc=""
for _ in $(seq 1 600); do
    ui="$(listening Now)"
    grpc="$(listening OTLP/gRPC)"
    [ -n "$ui" ] && [ -n "$grpc" ] && break
    if ! kill -0 "$dashboard_pid" 2>/dev/null; then
        echo "run.sh: the Aspire Dashboard did not start:" >&2
        cat "$dashboard_log" >&2
        exit 1
    fi
    sleep 0.1
done
if [ -z "$ui" ] || [ -z "$grpc" ]; then
    echo "run.sh: the Aspire Dashboard did not report its ports within 60 s (see $dashboard_log)" >&2
    exit 1
fi

export OTEL_EXPORTER_OTLP_ENDPOINT="$grpc"
export OTEL_EXPORTER_OTLP_PROTOCOL=grpc
# Batches every second instead of every five, so a request shows up while you look.
export OTEL_BSP_SCHEDULE_DELAY="${OTEL_BSP_SCHEDULE_DELAY:-1000}"
export OTEL_BLRP_SCHEDULE_DELAY="${OTEL_BLRP_SCHEDULE_DELAY:-1000}"

dotnet src/Gateway/bin/Release/net10.0/Gateway.dll --demo ${args[@]+"${args[@]}"} &
gateway_pid=$!

{
    echo "DASHBOARD_URL=$ui"
    echo "OTLP_GRPC_URL=$grpc"
    echo "GATEWAY_PID=$gateway_pid"
} >"$dashboard_env"
echo "Aspire Dashboard: $ui  (traces and structured logs of the gateway; OTLP/gRPC at $grpc; its output in logs/dashboard.log)"

wait "$gateway_pid" || status=$?
gateway_pid=""
exit "${status:-0}"
