#!/usr/bin/env bash
# The latency the gateway adds at the same offered load, next to bare YARP's.
#
# bench/run.sh measures p99 with wrk's 32 connections each sending its next request as soon as
# the last one is answered: the proxy is saturated, and by Little's law its latency is then
# 32 over its throughput, so a p99 ratio there restates the throughput ratio (2026-12-06: the
# gateway's p50 ratio matched 1 / its throughput ratio within 8% in five runs). This drives bare
# YARP and the gateway with everything on (probe, header logging, OTLP/HTTP to bench/OtlpSink)
# at the same offered rate, below what either serves, with random (Poisson) arrivals, and
# compares their latencies there. wrk keeps a connection's next request until its answer came,
# so the rate each proxy actually took is reported next to the one offered.
#
# Placement as bench/run.sh: the proxies on CPU 0, wrk, the backend (nginx) and the sink on
# CPU 1. The rate (PACED_RATE, req/s) defaults to PACED_SHARE (default 0.5) of what bare YARP
# served in its last warm-up burst. PACED_ROUNDS rounds (default 6) drive each proxy for
# PACED_SECONDS (default 10) in turn, the order alternating; the report gives each round and
# the medians. PACED_GATEWAY picks the gateway's row: all (the default, as above), l7 (probe
# off, records to JSON lines, no OTLP: bench/run.sh's gw-l7) or no-export (probe on, records
# built and dropped). Every process started is stopped by PID at the end, also on failure or Ctrl+C.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

rounds=${PACED_ROUNDS:-6}
seconds=${PACED_SECONDS:-10}
warm=${PACED_WARMUP:-25}
share=${PACED_SHARE:-0.5}
rate=${PACED_RATE:-}
row=${PACED_GATEWAY:-all}
case "${1:-}" in
    -h|--help) echo "usage: bench/paced.sh   (PACED_RATE=req/s or PACED_SHARE=0.5 of bare YARP's, PACED_ROUNDS=6 PACED_SECONDS=10 PACED_WARMUP=25; root, for the probe)"; exit 0 ;;
    "") ;;
    *) echo "paced: no arguments (see --help)" >&2; exit 2 ;;
esac
for n in "$rounds" "$seconds" "$warm" ${rate:+"$rate"}; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "paced: not a positive whole number: $n" >&2; exit 2; }
done
case "$row" in all|l7|no-export) ;; *) echo "paced: PACED_GATEWAY is all, l7 or no-export, not '$row'" >&2; exit 2 ;; esac
[[ "$share" =~ ^0?\.[0-9]+$ ]] || { echo "paced: PACED_SHARE must be a fraction below 1: $share" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "paced: run as root (KernelProbe:Mode=On)" >&2; exit 2; }
[ "$(nproc)" -ge 2 ] || { echo "paced: needs 2 cores (proxies on CPU 0, load on CPU 1)" >&2; exit 2; }
for tool in wrk nginx taskset ss; do command -v "$tool" >/dev/null || { echo "paced: needs $tool (bench/run.sh installs it)" >&2; exit 2; }; done
scripts/setup.sh
# shellcheck source=bench/lib.sh
. "$repo/bench/lib.sh"
build_release paced src/Gateway/Gateway.csproj bench/BareYarp/BareYarp.csproj bench/OtlpSink/OtlpSink.csproj

start_backend_and_sink
export_env=()
case "$row" in
    all) gateway_config "$tmp/gateway.json" On; export_env=(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$sink_port" OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf) ;;
    l7) gateway_config "$tmp/gateway.json" Off "$tmp/gateway.jsonl" ;;
    no-export) gateway_config "$tmp/gateway.json" On ;;
esac

names=(yarp gateway) ports=("$(port)" "$(port)")
taskset -c 0 dotnet bench/BareYarp/bin/Release/net10.0/BareYarp.dll --config "$tmp/yarp.json" --urls "http://127.0.0.1:${ports[0]}" >"$tmp/yarp.out" 2>&1 & pids+=($!)
taskset -c 0 env "${export_env[@]}" dotnet src/Gateway/bin/Release/net10.0/Gateway.dll --config "$tmp/gateway.json" --urls "http://127.0.0.1:${ports[1]}" >"$tmp/gateway.out" 2>&1 & pids+=($!)
rows_ready paced "$warm"

field() { sed -n "s/.*[ ]$1=\([0-9.]*\).*/\1/p"; }
if [ -z "$rate" ]; then
    served=$(wrk_load "${ports[0]}" 5 | awk '/requests in/ { print $1 }')
    rate=$(awk -v s="$served" -v f="$share" 'BEGIN { printf "%d", s / 5 * f }')
    echo "paced: bare YARP served $((served / 5)) req/s saturated; offering $rate req/s ($share of it)" >&2
fi

: >"$tmp/rounds.tsv"
for round in $(seq 1 "$rounds"); do
    order=(0 1)
    [ $((round % 2)) -eq 0 ] && order=(1 0)
    for i in "${order[@]}"; do
        line=$(PACED_RATE=$rate wrk_load "${ports[$i]}" "$seconds" -s bench/paced.lua | grep '^BENCH')
        requests=$(field requests <<<"$line") duration=$(field duration_us <<<"$line")
        errors=$(( $(field connect <<<"$line") + $(field read <<<"$line") + $(field write <<<"$line") + $(field status <<<"$line") + $(field timeout <<<"$line") ))
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "${names[$i]}" "$(awk -v r="$requests" -v d="$duration" 'BEGIN { printf "%.0f", r / d * 1e6 }')" \
            "$(field p50_us <<<"$line")" "$(field p90_us <<<"$line")" "$(field p99_us <<<"$line")" "$errors" >>"$tmp/rounds.tsv"
    done
done

out=$repo/artifacts/bench/paced-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"
cp "$tmp/rounds.tsv" "$out/rounds.tsv"
python3 - "$tmp/rounds.tsv" "$rate" "$row" <<'PY' | tee "$out/summary.md"
import statistics, sys
rows = [line.rstrip('\n').split('\t') for line in open(sys.argv[1])]
print(f"Offered {sys.argv[2]} req/s to bare YARP and to the gateway (row {sys.argv[3]}), wrk -t1 -c32 with Poisson arrivals, {len(rows) // 2} rounds; latencies in ms.")
print()
print("| round | yarp req/s | gateway req/s | yarp p50 | gateway p50 | yarp p99 | gateway p99 | p99 gateway / yarp | errors |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
by = {}
for r, name, rps, p50, p90, p99, errors in rows:
    by.setdefault(r, {})[name] = (int(rps), float(p50) / 1000, float(p99) / 1000, int(errors))
ratios = []
for r in sorted(by, key=int):
    y, g = by[r]['yarp'], by[r]['gateway']
    ratios.append(g[2] / y[2])
    print(f"| {r} | {y[0]} | {g[0]} | {y[1]:.3f} | {g[1]:.3f} | {y[2]:.3f} | {g[2]:.3f} | {ratios[-1]:.2f} | {y[3] + g[3]} |")
med = lambda name, k: statistics.median(by[r][name][k] for r in by)
print(f"| median | {med('yarp', 0):.0f} | {med('gateway', 0):.0f} | {med('yarp', 1):.3f} | {med('gateway', 1):.3f} | "
      f"{med('yarp', 2):.3f} | {med('gateway', 2):.3f} | {statistics.median(ratios):.2f} | |")
PY
echo "paced: results in $out" >&2
