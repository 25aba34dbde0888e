#!/usr/bin/env bash
# Where the gateway's CPU goes, next to bare YARP's: perf profiles of both under the
# same keep-alive wrk load, and the allocation rate of each.
#
# For each of the two proxies (bare YARP, then the gateway with everything on: probe,
# header logging, OTLP/HTTP export to bench/OtlpSink) it starts the proxy on CPU 0 and
# nginx (fixed response), the OTLP sink and wrk on CPU 1, warms up, records
# `perf record -g` of CPU 0 (the proxy and the kernel work it causes there) for a few seconds of load, reads the allocated bytes
# with dotnet-counters, and stops everything it started (by PID, also on failure).
# The runtime writes its perf map (DOTNET_PerfMapEnabled=1, W^X off) so JIT-compiled
# frames have names; tier-up is not delayed (DOTNET_TC_CallCountingDelayMs=0) so that
# a short warm-up reaches optimized code.
#
# Results in artifacts/profile/<time>/: perf-yarp.data, perf-gateway.data, the
# folded text of both (perf script), and summary.txt: requests/s, bytes allocated per
# request, and the gateway's frames that cost the most per request beyond bare YARP.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

warm=${PROFILE_WARMUP:-40}
record=${PROFILE_SECONDS:-10}
usage() {
    echo "usage: bench/profile.sh   (PROFILE_WARMUP=40 PROFILE_SECONDS=10; needs root for the probe and perf)"
}
case "${1:-}" in -h|--help) usage; exit 0 ;; "") ;; *) usage >&2; exit 2 ;; esac
[ "$(id -u)" -eq 0 ] || { echo "profile: run as root (KernelProbe:Mode=On and perf)" >&2; exit 2; }
PATH="$PATH:/usr/sbin:/sbin"
missing=()
for tool in wrk nginx perf taskset; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
    echo "profile: installing ${missing[*]}" >&2
    pkgs=()
    for tool in "${missing[@]}"; do case "$tool" in perf) pkgs+=(linux-perf) ;; taskset) pkgs+=(util-linux) ;; *) pkgs+=("$tool") ;; esac; done
    apt-get install -y -qq "${pkgs[@]}" >/dev/null
fi
[ "$(nproc)" -ge 2 ] || { echo "profile: needs 2 cores (proxy on CPU 0, load on CPU 1)" >&2; exit 2; }

for project in src/Gateway/Gateway.csproj bench/BareYarp/BareYarp.csproj bench/OtlpSink/OtlpSink.csproj; do
    dotnet build "$project" -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
done
counters=$repo/artifacts/tools/dotnet-counters
[ -x "$counters" ] || dotnet tool install dotnet-counters --tool-path "$repo/artifacts/tools" >/dev/null

out=$repo/artifacts/profile/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"
# shellcheck source=bench/lib.sh
. "$repo/bench/lib.sh"
backend_port=$(port); sink_port=$(port); proxy_port=$(port)
reverse_proxy=$(reverse_proxy_json "$backend_port")
printf '{\n  %s\n}\n' "$reverse_proxy" >"$tmp/yarp.json"
cat >"$tmp/gateway.json" <<EOF
{
  "Logging": { "LogLevel": { "Default": "Information", "Microsoft.AspNetCore": "Warning", "Microsoft.Hosting.Lifetime": "Warning", "Yarp": "Warning" } },
  $reverse_proxy,
  "HeaderLogging": { "Request": { "Mode": "All" }, "Response": { "Mode": "All" }, "MaxValueBytes": 1024, "MaxHeaders": 64 },
  "KernelProbe": { "Mode": "On", "Interfaces": [ "lo" ] },
  "Telemetry": { "JsonLines": { "Path": "$tmp/gateway.jsonl" }, "Console": false }
}
EOF

start_backend "$backend_port"
taskset -c 1 dotnet bench/OtlpSink/bin/Release/net10.0/OtlpSink.dll --urls "http://127.0.0.1:$sink_port" >"$tmp/sink.out" 2>&1 & pids+=($!)

# profile NAME DLL CONFIG [ENV...]: warm up, perf + allocation pass, stop.
profile() {
    local name=$1 dll=$2 config=$3 pid wrk_pid requests bytes
    shift 3
    env "$@" DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 DOTNET_TC_CallCountingDelayMs=0 \
        taskset -c 0 dotnet "$dll" --config "$config" --urls "http://127.0.0.1:$proxy_port" >"$tmp/$name.out" 2>&1 &
    pid=$!
    pids+=("$pid")
    for _ in $(seq 1 100); do ss -Htln "sport = :$proxy_port" | grep -q . && break; sleep 0.1; done
    echo "profile: $name warming up for $warm s" >&2
    wrk_load "$proxy_port" "$warm" >/dev/null
    wrk_load "$proxy_port" $((record + 4)) >"$tmp/wrk-$name.out" &
    wrk_pid=$!
    sleep 2
    perf record -F 1999 -g -C 0 -o "$out/perf-$name.data" -- sleep "$record" >/dev/null 2>&1
    wait "$wrk_pid"
    rm -f "$tmp/alloc.csv"
    timeout 60 "$counters" collect -p "$pid" --counters 'System.Runtime[dotnet.gc.heap.total_allocated]' --refresh-interval 1 \
        --format csv -o "$tmp/alloc.csv" --duration 00:00:00:09 >/dev/null 2>&1 &
    local counters_pid=$!
    sleep 1.5
    wrk_load "$proxy_port" 6 >"$tmp/alloc-$name.out"
    wait "$counters_pid" || true
    requests=$(awk '/requests in/ { print $1 }' "$tmp/alloc-$name.out")
    bytes=$(awk -F, 'NR > 1 && $3 ~ /total_allocated/ { s += $5 } END { printf "%.0f", s }' "$tmp/alloc.csv")
    printf '%s\t%s\t%s\n' "$name" "$(awk '/Requests\/sec/ { print $2 }' "$tmp/wrk-$name.out")" "$((bytes / requests))" >>"$tmp/rates.tsv"
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null || true
    perf script -i "$out/perf-$name.data" -F comm,tid,ip,sym >"$out/perf-$name.txt" 2>/dev/null
}

profile yarp bench/BareYarp/bin/Release/net10.0/BareYarp.dll "$tmp/yarp.json"
profile gateway src/Gateway/bin/Release/net10.0/Gateway.dll "$tmp/gateway.json" \
    OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$sink_port" OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf

python3 - "$out" "$tmp/rates.tsv" >"$out/summary.txt" <<'EOF'
import collections, re, sys
out, rates_path = sys.argv[1], sys.argv[2]
rates = {}
for line in open(rates_path):
    name, rps, alloc = line.split('\t')
    rates[name] = (float(rps), int(alloc))

def load(path):
    samples, cur = [], []
    for line in open(path, errors='replace'):
        line = line.rstrip('\n')
        if not line.strip():
            if cur:
                samples.append(cur)
            cur = []
        elif line[0] in ' \t':
            parts = line.strip().split(' ', 1)
            frame = re.sub(r'\(.*', '', parts[-1])
            cur.append(re.sub(r'\[Optimized.*?\]', '', frame)[-110:])
        else:
            cur = []
    if cur:
        samples.append(cur)
    return samples

def per_request(name):
    samples = load(f"{out}/perf-{name}.txt")
    scale = 1e6 / rates[name][0] / max(1, len(samples))
    own = collections.Counter(s[0] for s in samples)
    return {k: v * scale for k, v in own.items()}

yarp, gateway = per_request('yarp'), per_request('gateway')
print(f"bare YARP: {rates['yarp'][0]:.0f} req/s, {1e6 / rates['yarp'][0]:.1f} us of CPU 0 per request, {rates['yarp'][1]} B allocated per request")
print(f"gateway:   {rates['gateway'][0]:.0f} req/s, {1e6 / rates['gateway'][0]:.1f} us of CPU 0 per request, {rates['gateway'][1]} B allocated per request")
print(f"ratio {rates['gateway'][0] / rates['yarp'][0]:.2f}x; allocation {rates['gateway'][1] - rates['yarp'][1]:+d} B per request")
print()
print("frames (self time) costing the gateway the most per request beyond bare YARP:")
diff = {k: gateway.get(k, 0) - yarp.get(k, 0) for k in set(yarp) | set(gateway)}
for frame, us in sorted(diff.items(), key=lambda x: -x[1])[:40]:
    print(f"{us:7.2f} us  {frame}")
EOF
cat "$out/summary.txt"
echo "profile: perf data and summary in $out" >&2
