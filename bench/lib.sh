# Shared by bench/profile.sh and bench/ablation.sh (sourced, not run): one temp dir and the
# processes started, both cleaned up on exit (by PID, also on failure or Ctrl+C); free ports;
# the backend (nginx returning a fixed 38-byte JSON body, on CPU 1); the YARP route to it;
# the wrk load every proxy gets, with the bench's four request headers; and the wait for the
# rows to listen, with their warm-up. The gateway's configuration is in gateway-config.sh.

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gateway-bench.XXXXXX")
declare -a pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# build_release TOOL PROJECT...: each project in Release, quietly; on a failure TOOL says which and the script exits.
build_release() {
    local tool=$1 project
    shift
    for project in "$@"; do
        dotnet build "$project" -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null || { echo "$tool: build of $project failed" >&2; exit 1; }
    done
}

# A TCP port nothing listens on now.
port() { local p; while :; do p=$((20000 + RANDOM % 12000)); ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }; done; }

# start_backend PORT: nginx, one worker on CPU 1, answering every request with the same body.
start_backend() {
    cat >"$tmp/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    server {
        listen 127.0.0.1:$1;
        location / { default_type application/json; return 200 '{"message":"hello from the backend!!"}'; }
    }
}
NGINX
    taskset -c 1 nginx -c "$tmp/nginx.conf" &
    pids+=($!)
}

# reverse_proxy_json PORT: the ReverseProxy section routing everything to the backend on PORT.
reverse_proxy_json() {
    printf '%s' '"ReverseProxy": {
    "Routes": { "bench": { "ClusterId": "bench", "Match": { "Path": "{**catch-all}" } } },
    "Clusters": { "bench": { "Destinations": { "backend": { "Address": "http://127.0.0.1:'"$1"'/" } } } }
  }'
}

# start_backend_and_sink: on free ports, the backend (start_backend) and bench/OtlpSink on CPU 1;
# sets backend_port, sink_port, reverse_proxy (the ReverseProxy section to the backend) and
# writes bare YARP's configuration to $tmp/yarp.json.
start_backend_and_sink() {
    backend_port=$(port)
    sink_port=$(port)
    reverse_proxy=$(reverse_proxy_json "$backend_port")
    printf '{\n  %s\n}\n' "$reverse_proxy" >"$tmp/yarp.json"
    start_backend "$backend_port"
    taskset -c 1 dotnet bench/OtlpSink/bin/Release/net10.0/OtlpSink.dll --urls "http://127.0.0.1:$sink_port" >"$tmp/sink.out" 2>&1 &
    pids+=($!)
}

# wrk_load PORT SECONDS [WRK OPTION...]: wrk on CPU 1, 32 connections, the bench's headers.
wrk_load() {
    local port=$1 seconds=$2
    shift 2
    timeout $((seconds + 30)) taskset -c 1 wrk -t1 -c32 -d"$seconds"s --timeout 5s "$@" \
        -H 'User-Agent: gateway-bench/1.0 (wrk)' -H 'Accept: application/json' \
        -H 'X-Request-Id: 4bf92f35-77b3-4e2a-9a2d-5b1b0c6e7d21' -H 'Authorization: Bearer bench-secret-token' \
        "http://127.0.0.1:$port/api/bench"
}

# rows_ready TOOL SECONDS: waits until every row's port (the caller's names and ports arrays)
# accepts connections, or exits with the row's last output; then warms each row up for SECONDS.
rows_ready() {
    local tool=$1 seconds=$2 i p
    for i in "${!ports[@]}"; do
        for _ in $(seq 1 200); do ss -Htln "sport = :${ports[$i]}" | grep -q . && break; sleep 0.1; done
        ss -Htln "sport = :${ports[$i]}" | grep -q . || { echo "$tool: ${names[$i]} did not start:" >&2; tail -5 "$tmp/${names[$i]}.out" >&2; exit 1; }
    done
    echo "$tool: warming up each of ${names[*]} for $seconds s" >&2
    for p in "${ports[@]}"; do wrk_load "$p" "$seconds" >/dev/null; done
}

# shellcheck source=bench/gateway-config.sh
. "$(dirname "${BASH_SOURCE[0]}")/gateway-config.sh"
