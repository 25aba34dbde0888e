#!/usr/bin/env bash
# The one way to start the Aspire Dashboard (an OTLP backend with a trace and
# log viewer) for ./run.sh --dashboard, scripts/screenshots.sh and the tests.
#
# It comes from NuGet (package Aspire.Dashboard.Sdk.linux-x64, version named in
# tools/AspireDashboard/AspireDashboard.csproj) through the normal restore; this
# script restores that project if the package is missing, then replaces itself
# with the dashboard (exec), so the caller's PID is the dashboard's.
#
# Loopback only and unauthenticated (ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS):
# that also turns on its telemetry HTTP API (/api/telemetry/resources, /traces,
# /logs, /spans). Ports come from DASHBOARD_UI_PORT, DASHBOARD_OTLP_GRPC_PORT and
# DASHBOARD_OTLP_HTTP_PORT; unset or 0 lets the kernel pick a free one. The
# dashboard prints the ports it got, one per line:
#   Now listening on: http://127.0.0.1:PORT        (the UI and the API)
#   OTLP/gRPC listening on: http://127.0.0.1:PORT
#   OTLP/HTTP listening on: http://127.0.0.1:PORT
# Extra arguments go to the dashboard (e.g. --Dashboard:TelemetryLimits:MaxTraceCount=500).
#
#   scripts/dashboard.sh --path    prints the binary's path and exits
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
project="$root/tools/AspireDashboard/AspireDashboard.csproj"
package=aspire.dashboard.sdk.linux-x64

version="$(sed -n 's/.*Include="Aspire.Dashboard.Sdk.linux-x64" Version="\[\([^]]*\)\]".*/\1/p' "$project")"
if [ -z "$version" ]; then
    echo "dashboard: no version of Aspire.Dashboard.Sdk.linux-x64 in $project" >&2
    exit 1
fi

find_binary() {
    local folder
    for folder in "${NUGET_PACKAGES:-}" "$HOME/.nuget/packages" \
        "$(dotnet nuget locals global-packages --list 2>/dev/null | sed -n 's/^global-packages: //p')"; do
        [ -n "$folder" ] || continue
        if [ -x "${folder%/}/$package/$version/tools/Aspire.Dashboard" ]; then
            echo "${folder%/}/$package/$version/tools/Aspire.Dashboard"
            return 0
        fi
    done
    return 1
}

binary="$(find_binary || true)"
if [ -z "$binary" ]; then
    echo "dashboard: restoring $package $version from NuGet" >&2
    dotnet restore "$project" -nologo -v quiet >&2
    binary="$(find_binary || true)"
fi
if [ -z "$binary" ]; then
    echo "dashboard: $package $version not found in the NuGet package folder after restoring $project" >&2
    exit 1
fi

if [ "${1:-}" = "--path" ]; then
    echo "$binary"
    exit 0
fi

export ASPNETCORE_URLS="http://127.0.0.1:${DASHBOARD_UI_PORT:-0}"
export ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL="http://127.0.0.1:${DASHBOARD_OTLP_GRPC_PORT:-0}"
export ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL="http://127.0.0.1:${DASHBOARD_OTLP_HTTP_PORT:-0}"
export ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS=true
export DOTNET_NOLOGO=1
# The dashboard must not export its own telemetry anywhere (the caller's OTEL_* are the gateway's).
unset OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_PROTOCOL OTEL_SERVICE_NAME OTEL_RESOURCE_ATTRIBUTES
exec "$binary" "$@"
