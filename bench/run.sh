#!/usr/bin/env bash
# The price of seeing the wire, measured side by side in one run.
#
# Starts, on 127.0.0.1 and ports picked here, one shared backend and five proxies in
# front of it, then drives each with the same wrk command in short alternating rounds
# (order rotated every round, keep-alive and new-connection-per-request both) and
# reports medians:
#
#   1 backend    nginx returning a fixed 38-byte JSON body (the ceiling)
#   2 yarp       bench/BareYarp: YARP 2.3.0 and nothing else
#   3 gw-l7      src/Gateway (Release): header logging to JSON lines, KernelProbe:Mode=Off
#   4 gw-all     src/Gateway: probe On, header logging, OTLP/HTTP export to bench/OtlpSink
#   5 nginx      nginx reverse proxy, access log with the same headers (log_format)
#   6 haproxy    HAProxy, the same headers captured into its log (stdout -> file)
#   7 yarp-h2    bare YARP, the cluster asking for HTTP/2 (h2c) to the backend's HTTP/2 listener
#   8 gw-h2      the gateway as row 3 with that cluster: the HTTP/2 join's price is 8 against 3
#   9 gw-ship    the gateway with config/gateway.json as shipped (probe Auto, JSON lines, no
#                console setting) and OTLP/HTTP to the sink, as a user starts it: only the
#                routes, the listen and health addresses and the JSON-lines path are the bench's
#  10 gw-shipc   the same shipped config without OTLP: JSON lines and the console line per
#                request (stdout to a file, as a service manager takes it)
#
# Then, unless switched off: allocated bytes per request of the .NET rows
# (dotnet-counters), the BPF programs' cost per packet (BPF_PROG_TEST_RUN), and the
# BenchmarkDotNet micro-benchmarks of the per-request hot path.
#
# Every process it starts is stopped by PID at the end, also on failure or Ctrl+C;
# every generated file lives in one temp dir that is removed. Results are printed and
# kept in artifacts/bench/<time>/ (summary.md, runs.tsv, the micro-benchmark report).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

usage() {
    cat <<'EOF'
usage: bench/run.sh [--quick] [options]

  --quick            2-3 minutes: 2 rounds x 3 s, short warm-up, no allocation pass or micro-benchmarks
  --rounds N         rounds per row and connection mode (default 5)
  --duration S       seconds per wrk run (default 5)
  --warmup S         seconds of warm-up per row and mode, not measured (default 3)
  --warmup-min S     .NET rows: keep-alive warm-up of at least S seconds (default 20)
  --warmup-max S     .NET rows: then on until steady, at most S seconds (default 45)
  --connections N    wrk connections (default 32)
  --no-pin           do not pin proxies and load generator to separate cores
  --no-alloc         skip the allocation pass (dotnet-counters)
  --no-bpf           skip the BPF per-packet cost
  --no-micro         skip the BenchmarkDotNet micro-benchmarks
  --keepalive-only   measure keep-alive only (the mode the speed targets are set in), half the time
  --rows LIST        measure only these rows (comma-separated names, e.g. gw-all,gw-ship);
                     yarp and nginx, the baselines of the ratios, are always measured
EOF
}

rounds=5 duration=5 warmup=3 warmup_min=20 warmup_max=45 connections=32 pin=1 alloc=1 bpf=1 micro=1 quick=0 only= keepalive_only=0
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 rounds=2 duration=3 warmup=1 warmup_min=5 warmup_max=10 alloc=0 micro=0 ;;
        --rounds) rounds=$2; shift ;;
        --duration) duration=$2; shift ;;
        --warmup) warmup=$2; shift ;;
        --warmup-min) warmup_min=$2; shift ;;
        --warmup-max) warmup_max=$2; shift ;;
        --connections) connections=$2; shift ;;
        --no-pin) pin=0 ;;
        --no-alloc) alloc=0 ;;
        --no-bpf) bpf=0 ;;
        --no-micro) micro=0 ;;
        --rows) only=$2; shift ;;
        --keepalive-only) keepalive_only=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "bench: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
for n in "$rounds" "$duration" "$warmup" "$warmup_min" "$warmup_max" "$connections"; do
    [[ "$n" =~ ^[0-9]+$ ]] || { echo "bench: not a number: $n" >&2; exit 2; }
done

started_at=$(date +%s)
say() { printf '[bench %4ss] %s\n' "$(( $(date +%s) - started_at ))" "$*" >&2; }
is_root() { [ "$(id -u)" -eq 0 ]; }

# ---------------------------------------------------------------------------------
# 1. Tools: wrk, nginx and HAProxy from Debian, plus what the build needs.
# ---------------------------------------------------------------------------------
PATH="$PATH:/usr/sbin:/sbin"
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || missing+=(nginx)
command -v haproxy >/dev/null || missing+=(haproxy)
command -v curl >/dev/null || missing+=(curl)
command -v jq >/dev/null || missing+=(jq)
command -v taskset >/dev/null || missing+=(util-linux)
command -v ss >/dev/null || missing+=(iproute2)
if [ ${#missing[@]} -gt 0 ]; then
    if ! is_root; then
        echo "bench: missing ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
    say "installing ${missing[*]} (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
scripts/setup.sh

# ---------------------------------------------------------------------------------
# 2. Build (Release). Incremental builds take seconds.
# ---------------------------------------------------------------------------------
build() { dotnet build "$1" -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null || { echo "bench: build of $1 failed" >&2; exit 1; }; }
say "building src/Gateway, bench/BareYarp, bench/OtlpSink (Release)"
build src/Gateway/Gateway.csproj
build bench/BareYarp/BareYarp.csproj
build bench/OtlpSink/OtlpSink.csproj
if [ "$bpf" -eq 1 ] || [ "$micro" -eq 1 ]; then
    say "building bench/Gateway.Benchmarks (Release)"
    build bench/Gateway.Benchmarks/Gateway.Benchmarks.csproj
fi
gateway_dll=$repo/src/Gateway/bin/Release/net10.0/Gateway.dll
bare_dll=$repo/bench/BareYarp/bin/Release/net10.0/BareYarp.dll
sink_dll=$repo/bench/OtlpSink/bin/Release/net10.0/OtlpSink.dll
benchmarks_dll=$repo/bench/Gateway.Benchmarks/bin/Release/net10.0/Gateway.Benchmarks.dll

# ---------------------------------------------------------------------------------
# 3. Temp dir, process bookkeeping, cleanup on every exit path.
# ---------------------------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gateway-bench.XXXXXX")
declare -a started_pids=()
declare -A pid_name=()
last_pid=

stop_pid() {
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    kill -TERM "$pid" 2>/dev/null
    for i in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "bench: ${pid_name[$pid]:-pid $pid} did not stop on SIGTERM in 10 s; SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
    return 0
}

cleanup() {
    local rc=$? i
    set +e
    trap - EXIT INT TERM
    # Newest first: proxies before the backend and the OTLP sink they talk to.
    for ((i = ${#started_pids[@]} - 1; i >= 0; i--)); do
        stop_pid "${started_pids[$i]}"
    done
    if [ -n "${sink_log:-}" ] && [ -f "$sink_log" ]; then
        grep -h 'export requests' "$sink_log" >&2
    fi
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start NAME LOG CMD...: runs CMD in the background, remembers its PID in last_pid.
start() {
    local name=$1 log=$2
    shift 2
    "$@" >>"$log" 2>&1 &
    last_pid=$!
    started_pids+=("$last_pid")
    pid_name[$last_pid]=$name
}

declare -A taken_ports=()
# pick_port VAR: a port nobody listens on, below the ephemeral range (outgoing connections never take it).
pick_port() {
    local p i
    for i in $(seq 1 500); do
        p=$((20000 + RANDOM % 12000))
        [ -z "${taken_ports[$p]:-}" ] || continue
        if ! ss -Htln "sport = :$p" | grep -q .; then
            taken_ports[$p]=1
            printf -v "$1" '%s' "$p"
            return 0
        fi
    done
    echo "bench: found no free port" >&2
    exit 1
}

# discard_log FILE: frees what FILE holds without moving its end. Truncating would not
# do: the gateway's sink does not open its file with O_APPEND and would write on at its
# old offset. A hole punched over the data frees the disk space for every writer, and
# each run's volume is the growth of the file's size.
discard_log() {
    local size
    size=$(stat -c %s "$1")
    [ "$size" -gt 0 ] && fallocate --punch-hole --offset 0 --length "$size" "$1" 2>/dev/null
    return 0
}

# wait_ready NAME PID URL LOG [METHOD]: until URL answers 200 (30 s at most).
wait_ready() {
    local name=$1 pid=$2 url=$3 log=$4 method=${5:-GET} i code
    for i in $(seq 1 300); do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "bench: $name exited during start; its output:" >&2
            tail -n 30 "$log" >&2
            exit 1
        fi
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -X "$method" "$url" || true)
        [ "$code" = 200 ] && return 0
        sleep 0.1
    done
    echo "bench: $name did not answer 200 on $url within 30 s; its output:" >&2
    tail -n 30 "$log" >&2
    exit 1
}

# ---------------------------------------------------------------------------------
# 4. CPU placement. On 2+ cores every proxy gets core 0 to itself (the same one core
#    for all of them: nginx and HAProxy run one worker, .NET sees one processor);
#    wrk, the backend and the OTLP sink share the other cores.
# ---------------------------------------------------------------------------------
cores=$(nproc)
proxy_pin=() load_pin=()
placement="not pinned (--no-pin): every process may use all $cores cores"
if [ "$pin" -eq 1 ] && [ "$cores" -ge 2 ]; then
    load_cpus=$([ "$cores" -eq 2 ] && echo 1 || echo "1-$((cores - 1))")
    proxy_pin=(taskset -c 0)
    load_pin=(taskset -c "$load_cpus")
    placement="proxy under test on CPU 0; wrk, backend and OTLP sink on CPU $load_cpus (taskset)"
elif [ "$pin" -eq 1 ]; then
    placement="not pinned: one core only"
fi

# ---------------------------------------------------------------------------------
# 5. Configuration files and processes.
# ---------------------------------------------------------------------------------
pick_port backend_port
pick_port yarp_port
pick_port gw3_port
pick_port gw4_port
pick_port nginx_port
pick_port haproxy_port
pick_port sink_port
pick_port backend_h2_port
pick_port yarp_h2_port
pick_port gw_h2_port
pick_port ship_port
pick_port ship_health_port
pick_port shipc_port
pick_port shipc_health_port

mkdir -p "$tmp/nginx-backend" "$tmp/nginx-proxy" "$tmp/logs"

# The shared backend: nginx with one worker, a fixed small JSON body, no access log,
# long-lived keep-alive so that the proxies' upstream pools stay warm.
cat >"$tmp/nginx-backend/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $tmp/nginx-backend/nginx.pid;
error_log $tmp/nginx-backend/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
    client_body_temp_path $tmp/nginx-backend/body;
    proxy_temp_path $tmp/nginx-backend/proxy;
    fastcgi_temp_path $tmp/nginx-backend/fastcgi;
    uwsgi_temp_path $tmp/nginx-backend/uwsgi;
    scgi_temp_path $tmp/nginx-backend/scgi;
    server {
        listen 127.0.0.1:$backend_port backlog=4096;
        location / {
            default_type application/json;
            return 200 '{"ok":true,"service":"bench-backend"}\n';
        }
    }
    # Rows 7-8: the same answer over HTTP/2 in clear text with prior knowledge (h2c; nginx
    # 1.22 takes "http2" on a listener without ssl as exactly that).
    server {
        listen 127.0.0.1:$backend_h2_port http2 backlog=4096;
        location / {
            default_type application/json;
            return 200 '{"ok":true,"service":"bench-backend"}\n';
        }
    }
}
EOF

# Row 5: nginx as a reverse proxy. Upstream keep-alive like YARP's pool, X-Forwarded-*
# like YARP's defaults, and an access log with the headers the gateway records:
# request Host, User-Agent, Accept, X-Request-Id, Authorization (redacted), response
# Content-Type, Content-Length, Server, Date. Buffered (64 KB, flushed every second),
# as production nginx logs usually are; the gateway batches its records too.
cat >"$tmp/nginx-proxy/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $tmp/nginx-proxy/nginx.pid;
error_log $tmp/nginx-proxy/error.log warn;
events { worker_connections 4096; }
http {
    keepalive_requests 100000000;
    keepalive_timeout 300s;
    client_body_temp_path $tmp/nginx-proxy/body;
    proxy_temp_path $tmp/nginx-proxy/proxy;
    fastcgi_temp_path $tmp/nginx-proxy/fastcgi;
    uwsgi_temp_path $tmp/nginx-proxy/uwsgi;
    scgi_temp_path $tmp/nginx-proxy/scgi;
    map \$http_authorization \$authorization_logged { "" ""; default "[REDACTED]"; }
    log_format headers escape=json '{"time":"\$time_iso8601","method":"\$request_method","uri":"\$request_uri",'
        '"status":\$status,"client":"\$remote_addr:\$remote_port","server":"\$server_addr:\$server_port",'
        '"upstream":"\$upstream_addr","request_time":\$request_time,'
        '"req.host":"\$http_host","req.user-agent":"\$http_user_agent","req.accept":"\$http_accept",'
        '"req.x-request-id":"\$http_x_request_id","req.authorization":"\$authorization_logged",'
        '"res.content-type":"\$upstream_http_content_type","res.content-length":"\$upstream_http_content_length",'
        '"res.server":"\$upstream_http_server","res.date":"\$upstream_http_date"}';
    access_log $tmp/logs/nginx-access.log headers buffer=64k flush=1s;
    upstream backend {
        server 127.0.0.1:$backend_port;
        keepalive 64;
    }
    server {
        listen 127.0.0.1:$nginx_port backlog=4096;
        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_set_header X-Forwarded-Host \$http_host;
        }
    }
}
EOF

# Row 6: HAProxy, one thread, the same headers captured (capture request/response
# header) and logged one line per request to stdout, which goes to a file: no syslog
# daemon in between, every line written when the request ends.
cat >"$tmp/haproxy.cfg" <<EOF
global
    nbthread 1
    maxconn 4096
    log stdout format raw local0 info
defaults
    mode http
    log global
    option forwardfor
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-keep-alive 300s
frontend bench
    bind 127.0.0.1:$haproxy_port
    capture request header Host len 64
    capture request header User-Agent len 128
    capture request header Accept len 64
    capture request header X-Request-Id len 64
    capture response header Content-Type len 64
    capture response header Content-Length len 16
    capture response header Server len 64
    capture response header Date len 40
    http-request set-var(txn.authorization) str([REDACTED]) if { req.hdr(authorization) -m found }
    log-format "%t %ci:%cp %fi:%fp %HM %{+Q}HU %ST %B %b/%s %TR/%Tw/%Tc/%Tr/%Ta req=%hr res=%hs authorization=%[var(txn.authorization)]"
    default_backend backend
backend backend
    http-reuse always
    server backend 127.0.0.1:$backend_port
EOF

# Rows 2-4 share the ReverseProxy section; the gateway's files add its own sections.
reverse_proxy='"ReverseProxy": {
    "Routes": { "bench": { "ClusterId": "bench", "Match": { "Path": "{**catch-all}" } } },
    "Clusters": { "bench": { "Destinations": { "backend": { "Address": "http://127.0.0.1:'$backend_port'/" } } } }
  }'
printf '{\n  %s\n}\n' "$reverse_proxy" >"$tmp/bare-yarp.json"
# Rows 7-8: the cluster asks for HTTP/2 to the h2c listener, as a user fronting a gRPC or h2c backend writes it.
reverse_proxy_h2='"ReverseProxy": {
    "Routes": { "bench": { "ClusterId": "bench", "Match": { "Path": "{**catch-all}" } } },
    "Clusters": { "bench": { "HttpRequest": { "Version": "2", "VersionPolicy": "RequestVersionExact" },
      "Destinations": { "backend": { "Address": "http://127.0.0.1:'$backend_h2_port'/" } } } }
  }'
printf '{\n  %s\n}\n' "$reverse_proxy_h2" >"$tmp/bare-yarp-h2.json"
# shellcheck source=bench/gateway-config.sh
. "$repo/bench/gateway-config.sh"
gateway_config "$tmp/gateway-l7.json" Off "$tmp/logs/gw-l7.jsonl"
gateway_config "$tmp/gateway-all.json" On "$tmp/logs/gw-all.jsonl"
reverse_proxy=$reverse_proxy_h2 gateway_config "$tmp/gateway-h2.json" Off "$tmp/logs/gw-h2.jsonl"
# Rows 9-10: the shipped file itself, with only what must differ on this machine replaced.
shipped_config() {
    jq --argjson rp "{$reverse_proxy}" --arg urls "http://127.0.0.1:$2" --arg health "http://127.0.0.1:$3" --arg path "$4" \
        '.ReverseProxy = $rp.ReverseProxy | .Urls = $urls | .Health.Urls = $health | .Telemetry.JsonLines.Path = $path' \
        "$repo/config/gateway.json" >"$1"
}
shipped_config "$tmp/gateway-ship.json" "$ship_port" "$ship_health_port" "$tmp/logs/gw-ship.jsonl"
shipped_config "$tmp/gateway-shipc.json" "$shipc_port" "$shipc_health_port" "$tmp/logs/gw-shipc.jsonl"

rows=(backend yarp gw-l7 gw-all nginx haproxy yarp-h2 gw-h2 gw-ship gw-shipc)
if [ -n "$only" ]; then
    declare -A wanted=([yarp]=1 [nginx]=1)
    IFS=',' read -r -a only_rows <<<"$only"
    for r in "${only_rows[@]}"; do
        [[ " ${rows[*]} " == *" $r "* ]] || { echo "bench: unknown row $r (rows: ${rows[*]})" >&2; exit 2; }
        wanted[$r]=1
    done
    kept=()
    for r in "${rows[@]}"; do [ -z "${wanted[$r]:-}" ] || kept+=("$r"); done
    rows=("${kept[@]}")
fi
# wants ROW: whether ROW is measured in this run.
wants() { [[ " ${rows[*]} " == *" $1 "* ]]; }
declare -A row_no=([backend]=1 [yarp]=2 [gw-l7]=3 [gw-all]=4 [nginx]=5 [haproxy]=6 [yarp-h2]=7 [gw-h2]=8 [gw-ship]=9 [gw-shipc]=10)
declare -A row_label=(
    [backend]="backend alone (nginx, fixed response)"
    [yarp]="bare YARP 2.3.0, no logging"
    [gw-l7]="gateway: probe Off, header logging"
    [gw-all]="gateway: probe On, headers, OTLP"
    [nginx]="nginx proxy + header access log"
    [haproxy]="HAProxy + header capture log"
    [yarp-h2]="bare YARP, HTTP/2 (h2c) upstream"
    [gw-h2]="gateway: as row 3, HTTP/2 upstream"
    [gw-ship]="gateway: shipped config + OTLP"
    [gw-shipc]="gateway: shipped config, no OTLP (console on)"
)
declare -A row_url=(
    [backend]="http://127.0.0.1:$backend_port/api/bench"
    [yarp]="http://127.0.0.1:$yarp_port/api/bench"
    [gw-l7]="http://127.0.0.1:$gw3_port/api/bench"
    [gw-all]="http://127.0.0.1:$gw4_port/api/bench"
    [nginx]="http://127.0.0.1:$nginx_port/api/bench"
    [haproxy]="http://127.0.0.1:$haproxy_port/api/bench"
    [yarp-h2]="http://127.0.0.1:$yarp_h2_port/api/bench"
    [gw-h2]="http://127.0.0.1:$gw_h2_port/api/bench"
    [gw-ship]="http://127.0.0.1:$ship_port/api/bench"
    [gw-shipc]="http://127.0.0.1:$shipc_port/api/bench"
)
# Row 4 exports its records over OTLP only (the gateway writes JSON lines only when
# no OTLP endpoint is set, unless Telemetry:JsonLines:Enabled says otherwise).
declare -A row_log=(
    [gw-l7]="$tmp/logs/gw-l7.jsonl"
    [gw-h2]="$tmp/logs/gw-h2.jsonl"
    [gw-shipc]="$tmp/logs/gw-shipc.jsonl"
    [nginx]="$tmp/logs/nginx-access.log"
    [haproxy]="$tmp/logs/haproxy.log"
)
declare -A row_pid=()

sink_log=$tmp/otlp-sink.out
say "starting the backend, the OTLP sink and the proxies on 127.0.0.1 ($placement)"
start backend "$tmp/nginx-backend.out" "${load_pin[@]}" nginx -p "$tmp/nginx-backend" -c "$tmp/nginx-backend/nginx.conf"
row_pid[backend]=$last_pid
start otlp-sink "$sink_log" "${load_pin[@]}" dotnet "$sink_dll" --urls "http://127.0.0.1:$sink_port"
sink_pid=$last_pid
wait_ready backend "${row_pid[backend]}" "${row_url[backend]}" "$tmp/nginx-backend.out"

start yarp "$tmp/bare-yarp.out" "${proxy_pin[@]}" dotnet "$bare_dll" --config "$tmp/bare-yarp.json" --urls "http://127.0.0.1:$yarp_port"
row_pid[yarp]=$last_pid
if wants gw-l7; then
    start gw-l7 "$tmp/gw-l7.out" "${proxy_pin[@]}" dotnet "$gateway_dll" --config "$tmp/gateway-l7.json" --urls "http://127.0.0.1:$gw3_port"
    row_pid[gw-l7]=$last_pid
fi
if wants yarp-h2; then
    start yarp-h2 "$tmp/yarp-h2.out" "${proxy_pin[@]}" dotnet "$bare_dll" --config "$tmp/bare-yarp-h2.json" --urls "http://127.0.0.1:$yarp_h2_port"
    row_pid[yarp-h2]=$last_pid
fi
if wants gw-h2; then
    start gw-h2 "$tmp/gw-h2.out" "${proxy_pin[@]}" dotnet "$gateway_dll" --config "$tmp/gateway-h2.json" --urls "http://127.0.0.1:$gw_h2_port"
    row_pid[gw-h2]=$last_pid
fi
if wants gw-ship; then
    start gw-ship "$tmp/gw-ship.out" env \
        OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$sink_port" \
        OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf \
        "${proxy_pin[@]}" dotnet "$gateway_dll" --config "$tmp/gateway-ship.json"
    row_pid[gw-ship]=$last_pid
fi
if wants gw-shipc; then
    start gw-shipc "$tmp/gw-shipc.out" "${proxy_pin[@]}" dotnet "$gateway_dll" --config "$tmp/gateway-shipc.json"
    row_pid[gw-shipc]=$last_pid
fi
gw_all_note=
if ! wants gw-all; then
    :
elif is_root; then
    start gw-all "$tmp/gw-all.out" env \
        OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$sink_port" \
        OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf \
        OTEL_SERVICE_NAME=gateway-bench \
        "${proxy_pin[@]}" dotnet "$gateway_dll" --config "$tmp/gateway-all.json" --urls "http://127.0.0.1:$gw4_port"
    row_pid[gw-all]=$last_pid
else
    gw_all_note="row 4 skipped: KernelProbe:Mode=On needs root (CAP_BPF, CAP_NET_ADMIN)"
    say "$gw_all_note"
    kept=()
    for r in "${rows[@]}"; do [ "$r" = gw-all ] || kept+=("$r"); done
    rows=("${kept[@]}")
fi
: >"${row_log[haproxy]}"
start nginx "$tmp/nginx-proxy.out" "${proxy_pin[@]}" nginx -p "$tmp/nginx-proxy" -c "$tmp/nginx-proxy/nginx.conf"
row_pid[nginx]=$last_pid
if wants haproxy; then
    start haproxy "${row_log[haproxy]}" "${proxy_pin[@]}" haproxy -db -f "$tmp/haproxy.cfg"
    row_pid[haproxy]=$last_pid
fi

wait_ready "OTLP sink" "$sink_pid" "http://127.0.0.1:$sink_port/v1/metrics" "$sink_log" POST
for row in "${rows[@]}"; do
    case $row in
        yarp) out=$tmp/bare-yarp.out ;; nginx) out=$tmp/nginx-proxy.out ;; haproxy) out=${row_log[haproxy]} ;;
        *) out=$tmp/$row.out ;;
    esac
    wait_ready "$row" "${row_pid[$row]}" "${row_url[$row]}" "$out"
done
if [ -n "${row_pid[gw-ship]:-}" ] && is_root && ! grep -q 'wire view on' "$tmp/gw-ship.out"; then
    echo "bench: row 9 (KernelProbe:Mode Auto, as root) started without its wire view; its output:" >&2
    cat "$tmp/gw-ship.out" >&2
    exit 1
fi
if [ -n "${row_pid[gw-all]:-}" ] && ! grep -q 'wire view on' "$tmp/gw-all.out"; then
    echo "bench: row 4 started without its wire view; its output:" >&2
    cat "$tmp/gw-all.out" >&2
    exit 1
fi
# Logs of rows not measured in this run are never written: forget them.
for r in "${!row_log[@]}"; do wants "$r" || unset "row_log[$r]"; done
# The first requests above went into the logs: free them.
for f in "${row_log[@]}"; do discard_log "$f"; done

# ---------------------------------------------------------------------------------
# 6. Load. The same wrk command for every row: one thread, N connections, a request
#    with the headers every row logs. "close" adds Connection: close, so every request
#    opens a new connection (the proxies still pool their upstream connections).
# ---------------------------------------------------------------------------------
wrk_headers=(
    -H 'User-Agent: gateway-bench/1.0 (wrk)'
    -H 'Accept: application/json'
    -H 'X-Request-Id: 4bf92f35-77b3-4e2a-9a2d-5b1b0c6e7d21'
    -H 'Authorization: Bearer bench-secret-token'
)
wrk_threads=1

# run_wrk ROW MODE SECONDS OUT: one bounded wrk run (wrk stops itself; timeout is the backstop).
run_wrk() {
    local row=$1 mode=$2 seconds=$3 out=$4 extra=()
    [ "$mode" = close ] && extra=(-H 'Connection: close')
    timeout --kill-after=5 $((seconds + 30)) "${load_pin[@]}" wrk -t "$wrk_threads" -c "$connections" -d "${seconds}s" \
        --timeout 5s --latency "${wrk_headers[@]}" "${extra[@]}" -s "$repo/bench/wrk-report.lua" "${row_url[$row]}" >"$out" 2>&1 || {
        echo "bench: wrk failed on $row ($mode):" >&2
        cat "$out" >&2
        exit 1
    }
}

field() { sed -n "s/.*[ ]$1=\([0-9.]*\).*/\1/p" "$2" | head -n 1; }

runs=$tmp/runs.tsv
printf 'mode\trow\tround\trequests_per_s\tp50_us\tp99_us\terrors\trequests\tlog_bytes\tlog_lines\tloadavg\n' >"$runs"

# measure ROW MODE ROUND: one measured run, appended to runs.tsv.
measure() {
    local row=$1 mode=$2 round=$3 out=$tmp/wrk.out log=${row_log[$1]:-} requests elapsed_us errors bytes=0 lines=0 load before=0 after
    load=$(cut -d' ' -f1 /proc/loadavg)
    [ -n "$log" ] && before=$(stat -c %s "$log")
    run_wrk "$row" "$mode" "$duration" "$out"
    # Let batched log writers (the gateway's 100 ms export, nginx's buffer) catch up.
    sleep 0.6
    if [ -n "$log" ]; then
        after=$(stat -c %s "$log")
        bytes=$((after - before))
        lines=$(tail -c +$((before + 1)) "$log" | tr -cd '\n' | wc -c)
        discard_log "$log"
    fi
    requests=$(field requests "$out")
    elapsed_us=$(field duration_us "$out")
    errors=$(sed -n 's/.*connect=\([0-9]*\) read=\([0-9]*\) write=\([0-9]*\) status=\([0-9]*\) timeout=\([0-9]*\).*/\1 \2 \3 \4 \5/p' "$out" | awk '{print $1+$2+$3+$4+$5}')
    if [ -z "$requests" ] || [ "$requests" -eq 0 ]; then
        echo "bench: no request completed on $row ($mode)" >&2
        cat "$out" >&2
        exit 1
    fi
    awk -v m="$mode" -v r="$row" -v n="$round" -v req="$requests" -v d="$elapsed_us" \
        -v p50="$(field p50_us "$out")" -v p99="$(field p99_us "$out")" -v e="$errors" -v b="$bytes" -v l="$lines" -v la="$load" \
        'BEGIN { printf "%s\t%s\t%s\t%.1f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m, r, n, req / (d / 1e6), p50, p99, e, req, b, l, la }' >>"$runs"
    tail -n 1 "$runs" | awk -F'\t' '{ printf "  %-6s %-8s round %s: %9.0f req/s  p50 %6.2f ms  p99 %7.2f ms  errors %s\n", $1, $2, $3, $4, $5/1000, $6/1000, $7 }' >&2
    note_output "$row" "$requests"
}

# note_output ROW REQUESTS: what a gateway row wrote to its stdout during the run just measured:
# its console lines (one per request where they are on) and its latest telemetry-loss warning.
declare -A out_seen=() console_lines=() console_requests=() dropped_note=()
note_output() {
    local row=$1 file=$tmp/$1.out size new warning
    case $row in gw-*) ;; *) return 0 ;; esac
    [ -f "$file" ] || return 0
    size=$(stat -c %s "$file")
    new=$(tail -c +$((${out_seen[$row]:-0} + 1)) "$file" | tr -d '\0')
    out_seen[$row]=$size
    console_lines[$row]=$(( ${console_lines[$row]:-0} + $(printf '%s' "$new" | grep -c ' -> [0-9]' || true) ))
    console_requests[$row]=$(( ${console_requests[$row]:-0} + $2 ))
    warning=$(printf '%s' "$new" | grep -o 'Telemetry dropped: .*' | tail -n 1 || true)
    [ -z "$warning" ] || dropped_note[$row]=$warning
    # The console lines can reach hundreds of MB in a run: free them, keeping the file's end.
    discard_log "$file"
}

# rate OUT: requests per second of a wrk run.
rate() { awk -v r="$(field requests "$1")" -v d="$(field duration_us "$1")" 'BEGIN { printf "%.0f", (d > 0 ? r / (d / 1e6) : 0) }'; }

# Warm-up, not measured. A .NET process pinned to one core sees one processor, and
# the runtime then delays tiered compilation (its single-processor multiplier): under
# full load the gateway takes tens of seconds to reach optimized code (2.4k -> 11k
# req/s over 70 s in one trace). So the .NET rows are driven in 5 s keep-alive chunks
# for at least --warmup-min s (on a loaded machine a stalled tier-up once looked steady
# after 15 s) and until two chunks in a row agree within 5% (at most --warmup-max s);
# every row then gets --warmup s per mode.
declare -A warmup_note=()
warm_dotnet() {
    local row=$1 spent=0 previous=0 current trail=""
    while [ "$spent" -lt "$warmup_max" ]; do
        run_wrk "$row" keepalive 5 "$tmp/warmup.out"
        spent=$((spent + 5))
        current=$(rate "$tmp/warmup.out")
        trail="$trail $current"
        if [ "$spent" -ge "$warmup_min" ] && [ "$previous" -gt 0 ] && awk -v a="$previous" -v b="$current" 'BEGIN { d = (b - a) / a; exit !(d < 0.05 && d > -0.05) }'; then
            break
        fi
        previous=$current
    done
    warmup_note[$row]="${spent} s (req/s per 5 s:$trail)"
    say "  warm-up $row: ${warmup_note[$row]}"
}

dotnet_rows="yarp gw-l7 gw-all yarp-h2 gw-h2 gw-ship gw-shipc"
modes=(keepalive close)
if [ "$keepalive_only" -eq 1 ]; then modes=(keepalive); fi
say "warm-up: .NET rows until steady (${warmup_min}-${warmup_max} s each), then ${warmup} s per row and mode; not measured"
for row in $dotnet_rows; do
    if [ -n "${row_pid[$row]:-}" ] && [ "$warmup_max" -gt 0 ]; then warm_dotnet "$row"; fi
done
if [ "$warmup" -gt 0 ]; then
    for mode in "${modes[@]}"; do
        for row in "${rows[@]}"; do
            run_wrk "$row" "$mode" "$warmup" "$tmp/warmup.out"
        done
    done
fi
for f in "${row_log[@]}"; do discard_log "$f"; done
# What the gateways wrote to stdout during the warm-up is not the measured runs' (note_output).
for row in "${rows[@]}"; do
    if [ -f "$tmp/$row.out" ]; then out_seen[$row]=$(stat -c %s "$tmp/$row.out"); fi
done

say "measuring: $rounds rounds x ${#rows[@]} rows x ${#modes[@]} modes x ${duration} s (order rotated every round)"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
for ((round = 1; round <= rounds; round++)); do
    # Rotate the row order and alternate which mode goes first, so drift spreads evenly.
    order=("${rows[@]:$(( (round - 1) % ${#rows[@]} ))}" "${rows[@]:0:$(( (round - 1) % ${#rows[@]} ))}")
    if ((round % 2)) || [ "${#modes[@]}" -eq 1 ]; then round_modes=("${modes[@]}"); else round_modes=(close keepalive); fi
    for mode in "${round_modes[@]}"; do
        for row in "${order[@]}"; do
            measure "$row" "$mode" "$round"
        done
    done
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# Peak resident set of each row's serving process (nginx: master + worker).
declare -A row_rss_kb=()
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
for row in "${rows[@]}"; do
    pid=${row_pid[$row]}
    total=$(hwm_kb "$pid")
    for child in $(ps -o pid= --ppid "$pid" 2>/dev/null); do
        total=$((total + $(hwm_kb "$child")))
    done
    row_rss_kb[$row]=$total
done

# ---------------------------------------------------------------------------------
# 7. Allocated bytes per request of the .NET rows (keep-alive), from the runtime's own
#    counter dotnet.gc.heap.total_allocated, read by dotnet-counters (a NuGet tool,
#    installed into artifacts/tools on first use). A separate pass: the counter session
#    costs a little, so these runs are not part of the table above.
# ---------------------------------------------------------------------------------
declare -A row_alloc=()
if [ "$alloc" -eq 1 ]; then
    counters=$repo/artifacts/tools/dotnet-counters
    if [ ! -x "$counters" ]; then
        say "installing dotnet-counters into artifacts/tools"
        dotnet tool install dotnet-counters --tool-path "$repo/artifacts/tools" >/dev/null 2>&1 || true
    fi
    if [ -x "$counters" ]; then
        say "allocation pass: dotnet-counters on the .NET rows, ${duration} s of keep-alive load each"
        for row in $dotnet_rows; do
            [ -n "${row_pid[$row]:-}" ] || continue
            csv=$tmp/alloc-$row.csv
            timeout $((duration + 30)) "${load_pin[@]}" "$counters" collect -p "${row_pid[$row]}" \
                --counters 'System.Runtime[dotnet.gc.heap.total_allocated]' --refresh-interval 1 \
                --format csv -o "$csv" --duration "00:00:00:$(printf '%02d' $((duration + 3)))" >"$tmp/counters.out" 2>&1 &
            counters_pid=$!
            started_pids+=("$counters_pid")
            pid_name[$counters_pid]=dotnet-counters
            sleep 1.5
            run_wrk "$row" keepalive "$duration" "$tmp/alloc-wrk.out"
            wait "$counters_pid" 2>/dev/null || true
            requests=$(field requests "$tmp/alloc-wrk.out")
            bytes=$(awk -F, 'NR > 1 && $3 ~ /total_allocated/ { s += $5 } END { printf "%.0f", s }' "$csv" 2>/dev/null || echo 0)
            if [ -n "$requests" ] && [ "$requests" -gt 0 ] && [ "${bytes:-0}" -gt 0 ]; then
                row_alloc[$row]=$((bytes / requests))
            fi
            for f in "${row_log[@]}"; do discard_log "$f"; done
        done
    else
        say "dotnet-counters could not be installed: allocation pass skipped"
    fi
fi

# ---------------------------------------------------------------------------------
# 8. Report.
# ---------------------------------------------------------------------------------
stamp=$(date -u +%Y%m%dT%H%M%SZ)
results=$repo/artifacts/bench/$stamp
mkdir -p "$results"
cp "$runs" "$results/runs.tsv"
summary=$results/summary.md

rss_tsv=$tmp/rss.tsv
: >"$rss_tsv"
for row in "${rows[@]}"; do
    printf '%s\t%s\t%s\t%s\t%s\n' "$row" "${row_no[$row]}" "${row_label[$row]}" "${row_rss_kb[$row]}" "${row_alloc[$row]:-}" >>"$rss_tsv"
done

cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
{
    echo "## Side by side ($(date -u '+%Y-%m-%d %H:%M UTC'))"
    echo
    echo "Machine: $cores cores ($(nproc --all) online), $cpu_model, kernel $(uname -r)."
    echo "Load average (1/5/15 min) at the start of the measured rounds: $load_start; at the end: $load_end."
    echo "Placement: $placement."
    echo "Load: wrk -t$wrk_threads -c$connections, ${duration} s per run, $rounds rounds per row and mode, order rotated; medians. Warm-up ${warmup} s per row and mode."
    for row in $dotnet_rows; do
        if [ -n "${warmup_note[$row]:-}" ]; then echo "Warm-up of $row before that: ${warmup_note[$row]}."; fi
    done
    if [ -n "$gw_all_note" ]; then echo "Note: $gw_all_note."; fi
    echo
    awk -F'\t' -v rssfile="$rss_tsv" -v measured_modes="${modes[*]}" '
        function median(list,   n, a, i, j, t) {
            n = split(list, a, " ")
            for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
            return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
        }
        function ratio(a, b) { return b > 0 ? sprintf("%.2f", a / b) : "n/a" }
        BEGIN {
            while ((getline line < rssfile) > 0) {
                split(line, f, "\t"); order[++nrows] = f[1]; no[f[1]] = f[2]; label[f[1]] = f[3]; rss[f[1]] = f[4]; alloc[f[1]] = f[5]
            }
        }
        NR > 1 {
            key = $1 SUBSEP $2
            rps[key] = rps[key] " " $4; p50[key] = p50[key] " " $5; p99[key] = p99[key] " " $6
            err[key] += $7; req[key] += $8; bytes[key] += $9; lines[key] += $10
        }
        END {
            nmodes = split(measured_modes, modes, " ")
            title["keepalive"] = "Keep-alive (connections reused)"
            title["close"] = "New connection per request (Connection: close)"
            for (m = 1; m <= nmodes; m++) {
                mode = modes[m]
                for (i = 1; i <= nrows; i++) {
                    r = order[i]; key = mode SUBSEP r
                    mr[r] = median(rps[key]); m50[r] = median(p50[key]); m99[r] = median(p99[key])
                }
                printf "### %s\n\n", title[mode]
                print "| # | row | req/s | p50 ms | p99 ms | peak RSS MB | req/s vs 2 | p99 vs 2 | req/s vs 5 | p99 vs 5 | log B/req | errors |"
                print "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
                for (i = 1; i <= nrows; i++) {
                    r = order[i]; key = mode SUBSEP r
                    logcol = bytes[key] > 0 ? sprintf("%.0f", bytes[key] / req[key]) : "-"
                    printf "| %s | %s | %.0f | %.2f | %.2f | %.0f | %s | %s | %s | %s | %s | %d |\n",
                        no[r], label[r], mr[r], m50[r] / 1000, m99[r] / 1000, rss[r] / 1024,
                        ratio(mr[r], mr["yarp"]), ratio(m99[r], m99["yarp"]),
                        ratio(mr[r], mr["nginx"]), ratio(m99[r], m99["nginx"]), logcol, err[key]
                    if (bytes[key] > 0 && lines[key] < 0.95 * req[key])
                        warn = warn sprintf("\nWarning: %s (%s) logged %d lines for %d requests: records were lost.", label[r], mode, lines[key], req[key])
                }
                print ""
                if (mode == "keepalive") {
                    ka_rps = ratio(mr["gw-all"], mr["yarp"]); ka_p99 = ratio(m99["gw-all"], m99["yarp"])
                }
            }
            if (warn != "") print warn "\n"
            if (mr["gw-all"] > 0)
                printf "Gateway with everything on vs bare YARP, keep-alive: %sx throughput (target >= 0.90), %sx p99 (target <= 1.25).\n\n", ka_rps, ka_p99
            if (alloc["yarp"] != "") {
                print "### Allocated per request (keep-alive, dotnet.gc.heap.total_allocated / requests)"
                print ""
                print "| # | row | bytes/request | beyond bare YARP |"
                print "|---|---|---:|---:|"
                for (i = 1; i <= nrows; i++) {
                    r = order[i]
                    if (alloc[r] == "") continue
                    printf "| %s | %s | %d | %s |\n", no[r], label[r], alloc[r], r == "yarp" ? "-" : sprintf("%+d", alloc[r] - alloc["yarp"])
                }
                print ""
            }
        }' "$runs"
    if wants gw-ship; then
        awk -F'\t' 'NR > 1 && $1 == "keepalive" { r[$2] = r[$2] " " $4; p[$2] = p[$2] " " $6 }
            function median(list,   n, a, i, j, t) {
                n = split(list, a, " ")
                for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
                return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
            }
            END { printf "Shipped config with OTLP vs bare YARP, keep-alive: %.2fx throughput, %.2fx p99.\n\n", median(r["gw-ship"]) / median(r["yarp"]), median(p["gw-ship"]) / median(p["yarp"]) }' "$runs"
    fi
    echo "### What the gateway rows wrote to stdout during the measured runs"
    echo
    echo "| row | console lines per request | latest telemetry-loss warning |"
    echo "|---|---:|---|"
    for row in "${rows[@]}"; do
        case $row in gw-*) ;; *) continue ;; esac
        per=$(awk -v l="${console_lines[$row]:-0}" -v r="${console_requests[$row]:-0}" 'BEGIN { printf "%.3f", (r > 0 ? l / r : 0) }')
        printf '| %s | %s | %s |\n' "$row" "$per" "${dropped_note[$row]:-none}"
    done
    echo
} >"$summary"
cat "$summary"

# ---------------------------------------------------------------------------------
# 9. BPF cost per packet and micro-benchmarks (same artifacts folder).
# ---------------------------------------------------------------------------------
if [ "$bpf" -eq 1 ]; then
    if is_root; then
        say "BPF per-packet cost (BPF_PROG_TEST_RUN)"
        repeat=$([ "$quick" -eq 1 ] && echo 100000 || echo 1000000)
        "${load_pin[@]}" dotnet "$benchmarks_dll" bpf --repeat "$repeat" --runs 7 | tee "$results/bpf.md" | tee -a "$summary"
    else
        echo "BPF per-packet cost skipped: BPF_PROG_TEST_RUN needs root (CAP_BPF)." | tee -a "$summary"
    fi
fi
if [ "$micro" -eq 1 ]; then
    say "micro-benchmarks (BenchmarkDotNet, in-process, short job)"
    # Pinned to one core the runtime delays tier-up (see the warm-up above): the short job's few warm-up
    # iterations then measured tier-0 code (RuleBenchmarks 1.57 us +- 0.82 against 0.40 us +- 0.04 with
    # call counting at once, the same build, 2026-12-05).
    DOTNET_TC_CallCountingDelayMs=0 "${load_pin[@]}" dotnet "$benchmarks_dll" micro --artifacts "$tmp/bdn" --filter '*' >"$tmp/bdn.out" 2>&1 || {
        echo "bench: micro-benchmarks failed; their output:" >&2
        tail -n 40 "$tmp/bdn.out" >&2
        exit 1
    }
    report=$(ls "$tmp"/bdn/results/*-report-github.md 2>/dev/null | head -n 1 || true)
    {
        echo
        echo "### Micro-benchmarks of the per-request hot path (BenchmarkDotNet)"
        echo
        for f in "$tmp"/bdn/results/*-report-github.md; do
            [ -f "$f" ] && sed -n '/^|/p' "$f" && echo
        done
        grep -h '^Skipped:' "$tmp/bdn.out" || true
    } | tee "$results/micro.md" | tee -a "$summary"
    [ -n "$report" ] || echo "bench: BenchmarkDotNet wrote no report" >&2
fi

say "done in $(( $(date +%s) - started_at )) s; results in ${results#"$repo"/}/"
