#!/usr/bin/env bash
# Telemetry bytes per request, measured on the running gateway: what a collector tier
# receives for each request, and what the JSON-lines file takes on disk.
#
# Starts an nginx backend (bench/lib.sh), bench/OtlpSink counting items
# (--CountItems=true: spans by kind, log records by event name, metrics and data points,
# bytes as sent and after gunzip), then, once per connection mode and OTLP compression,
# the real gateway (src/Gateway, Release) with config/gateway.json as shipped except:
# the route to the backend, the listen and health addresses, KernelProbe:Mode On (the
# probe must run: as root), OTLP/HTTP protobuf traces + logs + metrics to the sink
# (OTEL_* variables), and the JSON-lines file on beside OTLP (Telemetry:JsonLines:Enabled:
# its lines are the same records; the OTLP items do not depend on it). The access record
# is the shipped default, Telemetry:AccessRecord Auto: core form beside the exported span.
#
# Each gateway gets a fixed number of requests (curl, N in all, P connections at a time,
# the bench's four request headers: bench/lib.sh), then SIGTERM, so that its last batches
# flush; the figures are the sink's counts before and after that gateway, divided by N.
# Sizes, not times: they do not depend on the machine's load.
#
# Bounded: every wait has a limit; every process started here is stopped by its PID at
# the end, also on failure or Ctrl+C, and the temp dir is removed. The gateway detaches
# its programs when it stops (scripts/check-leftovers.sh checks).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

usage() {
    cat <<'EOF'
usage: bench/telemetry-bytes.sh [options]            (as root: KernelProbe:Mode On)

  --requests N        requests per gateway run (default 20000)
  --parallel P        connections at a time (curl --parallel-max, default 8)
  --modes LIST        keepalive,close (default both): close sends Connection: close
  --compression LIST  none,gzip (default both): OTEL_EXPORTER_OTLP_COMPRESSION; none is the default
  --metric-interval MS  OTEL_METRIC_EXPORT_INTERVAL for the run (default 5000; the shipped default
                        is 60000, so the run sees several exports; bytes/s are given for 60000)
  --no-build          use the Release build already there
  --keep DIR          copy the gateways' and the sink's output and the JSON-lines files into DIR
EOF
}

requests=20000 parallel=8 modes=keepalive,close compressions=none,gzip metric_interval=5000 build=1 keep=
while [ $# -gt 0 ]; do
    case "$1" in
        --requests) requests=$2; shift ;;
        --parallel) parallel=$2; shift ;;
        --modes) modes=$2; shift ;;
        --compression) compressions=$2; shift ;;
        --metric-interval) metric_interval=$2; shift ;;
        --no-build) build=0 ;;
        --keep) keep=$2; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "telemetry-bytes: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
for n in "$requests" "$parallel" "$metric_interval"; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "telemetry-bytes: not a positive number: $n" >&2; exit 2; }
done
IFS=',' read -r -a mode_list <<<"$modes"
IFS=',' read -r -a compression_list <<<"$compressions"
for m in "${mode_list[@]}"; do [[ "$m" =~ ^(keepalive|close)$ ]] || { echo "telemetry-bytes: unknown mode $m" >&2; exit 2; }; done
for c in "${compression_list[@]}"; do [[ "$c" =~ ^(none|gzip)$ ]] || { echo "telemetry-bytes: unknown compression $c" >&2; exit 2; }; done

[ "$(id -u)" -eq 0 ] || { echo "telemetry-bytes: run as root (KernelProbe:Mode On loads BPF programs)" >&2; exit 1; }
PATH="$PATH:/usr/sbin:/sbin"
for tool in curl jq nginx ss taskset awk; do
    command -v "$tool" >/dev/null || { echo "telemetry-bytes: $tool is missing (scripts/setup.sh, or apt-get install it)" >&2; exit 1; }
done

say() { printf '[telemetry-bytes] %s\n' "$*" >&2; }

if [ "$build" -eq 1 ]; then
    for project in src/Gateway/Gateway.csproj bench/OtlpSink/OtlpSink.csproj; do
        say "building $project (Release)"
        dotnet build "$project" -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null || { echo "telemetry-bytes: build of $project failed" >&2; exit 1; }
    done
fi
gateway_dll=$repo/src/Gateway/bin/Release/net10.0/Gateway.dll
sink_dll=$repo/bench/OtlpSink/bin/Release/net10.0/OtlpSink.dll
[ -f "$gateway_dll" ] && [ -f "$sink_dll" ] || { echo "telemetry-bytes: build first (no --no-build)" >&2; exit 1; }

# bench/lib.sh: tmp, pids, port, start_backend, reverse_proxy_json.
# shellcheck source=bench/lib.sh
. "$repo/bench/lib.sh"

# stop_pid PID: SIGTERM, up to 30 s to exit (a gateway drains and flushes within its
# Telemetry:DrainTimeoutSeconds, 5 s), then SIGKILL. Returns 1 when it had to kill.
stop_pid() {
    local pid=$1 i
    if ! kill -TERM "$pid" 2>/dev/null; then
        wait "$pid" 2>/dev/null || true
        return 0
    fi
    for i in $(seq 1 300); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "telemetry-bytes: PID $pid did not stop within 30 s of SIGTERM; SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        return 1
    fi
    wait "$pid" 2>/dev/null || true
    return 0
}
# Replaces lib.sh's cleanup (the trap calls it by name): newest first, each stop bounded.
cleanup() {
    local i
    set +e
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do stop_pid "${pids[$i]}"; done
    if [ -n "$keep" ]; then
        mkdir -p "$keep" && cp "$tmp"/*.out "$tmp"/*.jsonl "$tmp"/*.json "$keep"/ 2>/dev/null
    fi
    rm -rf "$tmp"
}

# free_port: a port nothing listens on and this script has not handed out yet.
declare -A handed=()
free_port() {
    local p
    while :; do
        p=$(port)
        [ -z "${handed[$p]:-}" ] && { handed[$p]=1; echo "$p"; return; }
    done
}

# wait_200 NAME PID URL LOG: until URL answers 200 (60 s at most) while PID lives.
wait_200() {
    local name=$1 pid=$2 url=$3 log=$4 i
    for i in $(seq 1 600); do
        kill -0 "$pid" 2>/dev/null || { echo "telemetry-bytes: $name exited during start:" >&2; tail -n 30 "$log" >&2; exit 1; }
        [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)" = 200 ] && return 0
        sleep 0.1
    done
    echo "telemetry-bytes: $name did not answer 200 on $url within 60 s:" >&2
    tail -n 30 "$log" >&2
    exit 1
}

backend_port=$(free_port)
sink_port=$(free_port)
start_backend "$backend_port"
backend_pid=${pids[-1]}
taskset -c 1 dotnet "$sink_dll" --urls "http://127.0.0.1:$sink_port" --CountItems=true >"$tmp/sink.out" 2>&1 &
sink_pid=$!
pids+=("$sink_pid")
wait_200 "the OTLP sink" "$sink_pid" "http://127.0.0.1:$sink_port/stats" "$tmp/sink.out"
wait_200 "the backend" "$backend_pid" "http://127.0.0.1:$backend_port/" "$tmp/nginx-error.log"

# The bench's request headers (bench/lib.sh, wrk_load; bench/run.sh).
wrk_headers=(
    -H 'User-Agent: gateway-bench/1.0 (wrk)'
    -H 'Accept: application/json'
    -H 'X-Request-Id: 4bf92f35-77b3-4e2a-9a2d-5b1b0c6e7d21'
    -H 'Authorization: Bearer bench-secret-token'
)

# The curl configuration: N transfers of the bench's URL, each body to /dev/null.
url_list() { seq "$requests" | awk -v u="http://127.0.0.1:$1/api/bench" '{ print "url = \"" u "\""; print "output = \"/dev/null\"" }'; }

failed=0
results=()
for compression in "${compression_list[@]}"; do
    for mode in "${mode_list[@]}"; do
        name=$mode-$compression
        gw_port=$(free_port)
        health_port=$(free_port)
        jq --argjson rp "{$(reverse_proxy_json "$backend_port")}" \
            --arg urls "http://127.0.0.1:$gw_port" --arg health "http://127.0.0.1:$health_port" --arg path "$tmp/$name.jsonl" \
            '.ReverseProxy = $rp.ReverseProxy | .Urls = $urls | .Health.Urls = $health | .KernelProbe.Mode = "On"
             | .Telemetry.JsonLines.Path = $path | .Telemetry.JsonLines.Enabled = true' \
            config/gateway.json >"$tmp/$name.json"
        url_list "$gw_port" >"$tmp/$name.curl"

        before=$(curl -sf --max-time 5 "http://127.0.0.1:$sink_port/stats")
        say "$name: gateway (probe On, OTLP http/protobuf, compression $compression), $requests requests, $parallel at a time"
        started=$(date +%s.%N)
        env OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$sink_port" \
            OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf \
            OTEL_EXPORTER_OTLP_COMPRESSION="$compression" \
            OTEL_METRIC_EXPORT_INTERVAL="$metric_interval" \
            taskset -c 0 dotnet "$gateway_dll" --config "$tmp/$name.json" >"$tmp/$name.out" 2>&1 &
        gw_pid=$!
        pids+=("$gw_pid")
        wait_200 "gateway ($name)" "$gw_pid" "http://127.0.0.1:$health_port/readyz" "$tmp/$name.out"
        grep -q 'Wire view on:' "$tmp/$name.out" || { echo "telemetry-bytes: the gateway started without its wire view:" >&2; cat "$tmp/$name.out" >&2; exit 1; }

        close=()
        [ "$mode" = close ] && close=(-H 'Connection: close')
        timeout --kill-after=5 300 taskset -c 1 curl -sS --no-progress-meter -Z --parallel-max "$parallel" -K "$tmp/$name.curl" --max-time 10 \
            -w '%{http_code}\n' "${wrk_headers[@]}" "${close[@]}" >"$tmp/$name.codes" 2>"$tmp/$name.curl-errors" || true
        answered=$(grep -c '^200$' "$tmp/$name.codes" || true)
        stop_pid "$gw_pid" || { echo "telemetry-bytes: $name: the gateway was killed, its last batches are lost" >&2; failed=1; }
        seconds=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
        after=$(curl -sf --max-time 5 "http://127.0.0.1:$sink_port/stats")

        jsonl=$tmp/$name.jsonl
        [ -f "$jsonl" ] || : >"$jsonl"
        # Lines and bytes per event (the event is the second key of every line: JsonLineFormatter).
        lines_by_event=$(awk '{ if (match($0, /"event":"[^"]*"/)) { e = substr($0, RSTART + 9, RLENGTH - 10) } else { e = "(none)" }
                                 n[e]++; b[e] += length($0) + 1 }
                               END { printf "{"; s = ""; for (e in n) { printf "%s\"%s\":{\"lines\":%d,\"bytes\":%d}", s, e, n[e], b[e]; s = "," } print "}" }' "$jsonl")
        # Spans or log records lost make the run invalid; metric points lost at the stop are said (see below).
        dropped=$(grep -cE 'Telemetry dropped.*(traces|logs)/' "$tmp/$name.out" || true)
        metrics_dropped=$(sed -n 's/.*Telemetry dropped.*metrics\/otlp\/[a-z_]*=\([0-9]*\).*/\1/p' "$tmp/$name.out" | awk '{ n += $1 } END { print n + 0 }')
        [ "$metrics_dropped" -eq 0 ] || say "$name: the gateway reported $metrics_dropped metric point(s) not delivered (gateway.telemetry.dropped, metrics)"

        results+=("$(jq -n --arg name "$name" --arg mode "$mode" --arg compression "$compression" \
            --argjson sent "$requests" --argjson answered "$answered" --argjson seconds "$seconds" \
            --argjson before "$before" --argjson after "$after" --argjson jsonl "$lines_by_event" --argjson dropped "$dropped" '
            def delta(s): {
                requests: ($after[s].requests - $before[s].requests),
                wire: ($after[s].wire_bytes - $before[s].wire_bytes),
                raw: ($after[s].uncompressed_bytes - $before[s].uncompressed_bytes),
                largest: $after[s].largest_request_wire_bytes,
                undecodable: ($after[s].undecodable_requests - $before[s].undecodable_requests),
                items: ($after[s].items | with_entries(.value -= ($before[s].items[.key] // 0)))
            };
            { name: $name, mode: $mode, compression: $compression, sent: $sent, answered: $answered, seconds: $seconds,
              traces: delta("traces"), logs: delta("logs"), metrics: delta("metrics"), jsonl: $jsonl, dropped_warnings: $dropped }')")
        r=${results[-1]}
        # A few transfers curl itself gives up on (under Connection: close it can fail to start one)
        # never reach the gateway: the figures are per request answered, which the checks below tie to
        # the spans and records received.
        [ "$answered" -eq "$requests" ] || say "$name: $((requests - answered)) of $requests transfers failed in curl: $(sort "$tmp/$name.curl-errors" | uniq -c | head -n 2 | tr -s ' \n' ' ')"
        # The run is only valid when every request was answered and recorded once, and nothing was lost.
        check=$(jq -r '
            [ (if .answered < .sent * 0.99 then "\(.sent - .answered) request(s) not answered 200" else empty end),
              (if (.traces.items["span.server"] // 0) != .answered then "server spans \(.traces.items["span.server"] // 0) != requests \(.answered)" else empty end),
              (if (.logs.items["log.gateway.access"] // 0) != .answered then "access records \(.logs.items["log.gateway.access"] // 0) != requests \(.answered)" else empty end),
              (if ((.jsonl["gateway.access"].lines) // 0) != .answered then "JSON-lines access records \((.jsonl["gateway.access"].lines) // 0) != requests \(.answered)" else empty end),
              (if .dropped_warnings > 0 then "the gateway reported dropped spans or log records" else empty end),
              (if (.traces.undecodable + .logs.undecodable + .metrics.undecodable) > 0 then "the sink could not decode some export requests" else empty end)
            ] | join("; ")' <<<"$r")
        if [ -n "$check" ]; then
            echo "telemetry-bytes: $name: $check" >&2
            grep -h 'could not be counted' "$tmp/sink.out" >&2 || true
            grep -h -A3 'Telemetry dropped\|failed' "$tmp/$name.out" | head -n 20 >&2 || true
            head -n 5 "$tmp/$name.curl-errors" >&2
            failed=1
        fi
        say "$name: $answered answered in ${seconds}s (gateway start to stop); traces $(jq .traces.requests <<<"$r") + logs $(jq .logs.requests <<<"$r") + metrics $(jq .metrics.requests <<<"$r") export requests"
    done
done

# The table: one column per run; per request unless said otherwise.
printf '%s\n' "${results[@]}" | jq -s -r --argjson interval "$metric_interval" '
    def per(x): (x / .answered);
    def f(x): if x >= 100 then (x | round | tostring) elif x >= 1 then ((x * 100 | round) / 100 | tostring) else ((x * 10000 | round) / 10000 | tostring) end;
    def item(s; k): (.[s].items[k] // 0);
    def otlp: (.traces.wire + .logs.wire);
    def otlp_raw: (.traces.raw + .logs.raw);
    def items: (([.traces.items[]] | add // 0) + ([.logs.items[]] | add // 0));
    def jl(e): (.jsonl[e] // {lines: 0, bytes: 0});
    def rows: [
        ["requests answered 200 (= server spans = access records)", (.answered | tostring)],
        ["downstream connections (`wire.connection` records)", (item("logs"; "log.wire.connection") | tostring)],
        ["OTLP traces, bytes/request as sent", f(per(.traces.wire))],
        ["OTLP logs, bytes/request as sent", f(per(.logs.wire))],
        ["**OTLP traces + logs, bytes/request as sent**", ("**" + f(per(otlp)) + "**")],
        ["OTLP traces + logs, bytes/request before compression", f(per(otlp_raw))],
        ["export requests (traces + logs), requests/export", f(.answered / (.traces.requests + .logs.requests))],
        ["spans/request: server", f(per(item("traces"; "span.server")))],
        ["spans/request: client", f(per(item("traces"; "span.client")))],
        ["log records/request: `gateway.access` (core form)", f(per(item("logs"; "log.gateway.access")))],
        ["log records/request: `wire.connection`", f(per(item("logs"; "log.wire.connection")))],
        ["log records/request: others", f(per(([.logs.items | to_entries[] | select(.key != "log.gateway.access" and .key != "log.wire.connection") | .value] | add // 0)))],
        ["items/request (spans + log records)", f(per(items))],
        ["metrics: exports in the run / largest export, bytes as sent", ((.metrics.requests | tostring) + " / " + (.metrics.largest | tostring))],
        ["metrics: data points per export (mean)", f((item("metrics"; "metric.data_points")) / ([.metrics.requests, 1] | max))],
        ["metrics: bytes/s at the shipped 60 s interval (largest export / 60)", f(.metrics.largest / 60)],
        ["JSON lines: bytes/request (all lines)", f(per(([.jsonl[].bytes] | add // 0)))],
        ["JSON lines: bytes per `gateway.access` line (full form)", f(jl("gateway.access").bytes / ([jl("gateway.access").lines, 1] | max))],
        ["JSON lines: bytes per `wire.connection` line", f(jl("wire.connection").bytes / ([jl("wire.connection").lines, 1] | max))],
        ["collector per 10k req/s: OTLP MB/s as sent (traces + logs)", f(per(otlp) * 10000 / 1e6)],
        ["collector per 10k req/s: items/s (spans + log records)", f(per(items) * 10000)]
    ];
    (map(.name) as $names
     | "| per request unless said | " + ($names | join(" | ")) + " |",
       "|---|" + ($names | map("---:") | join("|")) + "|"),
    ([.[] | rows] | transpose | map("| " + .[0][0] + " | " + (map(.[1]) | join(" | ")) + " |") | .[])'
say "reproduce: bench/telemetry-bytes.sh --requests $requests --parallel $parallel --modes $modes --compression $compressions --metric-interval $metric_interval"
exit "$failed"
