#!/usr/bin/env bash
# Where the gateway's price over bare YARP comes from: the same gateway build in four
# configurations, next to bare YARP, measured in one run (keep-alive):
#
#   yarp        bench/BareYarp: YARP and nothing else
#   full        the gateway with everything on: probe, header logging, OTLP/HTTP export to bench/OtlpSink
#   no-probe    full with KernelProbe:Mode=Off
#   no-export   full with no sink at all (no OTLP, no JSON lines): records are built, then dropped
#   bare        no probe and no sink: the gateway's middleware and record building only
#   baseline    full, run from another build of the gateway (BASELINE=path/to/Gateway.dll):
#               an A/B of two builds in the same run, e.g. main against a change
#
# ROWS picks the rows (default: all of the above that apply), e.g. ROWS="yarp full baseline".
#
# All five run at once on CPU 0 (idle while another is measured); nginx (fixed response),
# the OTLP sink and wrk run on CPU 1. After a warm-up of each, they are driven in turn
# for ROUNDS rounds of DURATION seconds, the order rotated every round, and the medians
# are reported with the microseconds of CPU 0 per request each adds to bare YARP.
# Differences between rows split the price: probe = no-export - bare, export = no-probe - bare.
#
# Every process it starts is stopped by PID at the end, also on failure or Ctrl+C; the
# generated files live in one temp dir that is removed. Needs root (the probe).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

rounds=${ROUNDS:-6} duration=${DURATION:-5} warm=${WARMUP:-30}
baseline=${BASELINE:-}
rows=${ROWS:-yarp full no-probe no-export bare${baseline:+ baseline}}
usage() {
    echo "usage: bench/ablation.sh   (ROUNDS=6 DURATION=5 WARMUP=30 ROWS=\"yarp full no-probe no-export bare\" BASELINE=other/Gateway.dll; root; about 5 minutes with the defaults)"
}
case "${1:-}" in -h|--help) usage; exit 0 ;; "") ;; *) usage >&2; exit 2 ;; esac
for n in "$rounds" "$duration" "$warm"; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "ablation: not a positive number: $n" >&2; exit 2; }
done
for row in $rows; do
    case "$row" in yarp|full|no-probe|no-export|bare) ;; baseline) [ -f "$baseline" ] || { echo "ablation: row baseline needs BASELINE=path/to/Gateway.dll (not a file: '$baseline')" >&2; exit 2; } ;;
        *) echo "ablation: unknown row '$row' (yarp, full, no-probe, no-export, bare, baseline)" >&2; exit 2 ;; esac
done
[[ " $rows " == *" yarp "* ]] || { echo "ablation: ROWS must include yarp (every ratio is against it)" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "ablation: run as root (KernelProbe:Mode=On needs CAP_BPF and CAP_NET_ADMIN)" >&2; exit 2; }
[ "$(nproc)" -ge 2 ] || { echo "ablation: needs 2 cores (proxies on CPU 0, load on CPU 1)" >&2; exit 2; }
PATH="$PATH:/usr/sbin:/sbin"
missing=()
for tool in wrk nginx taskset ss; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
    pkgs=()
    for tool in "${missing[@]}"; do case "$tool" in taskset) pkgs+=(util-linux) ;; ss) pkgs+=(iproute2) ;; *) pkgs+=("$tool") ;; esac; done
    echo "ablation: installing ${pkgs[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
fi
scripts/setup.sh

# shellcheck source=bench/lib.sh
. "$repo/bench/lib.sh"
build_release ablation src/Gateway/Gateway.csproj bench/BareYarp/BareYarp.csproj bench/OtlpSink/OtlpSink.csproj

start_backend_and_sink

names=() ports=()
# start NAME [ENV=VALUE...] -- COMMAND...: on CPU 0, on a port of its own.
start() {
    local name=$1 p
    shift
    p=$(port)
    names+=("$name") ports+=("$p")
    env "$@" --urls "http://127.0.0.1:$p" >"$tmp/$name.out" 2>&1 &
    pids+=($!)
}
# gateway NAME PROBE(On/Off) OTLP(1/0) [DLL]: the gateway's configuration for one row (when ROWS has it).
gateway() {
    local name=$1 probe=$2 otlp=$3 dll=${4:-src/Gateway/bin/Release/net10.0/Gateway.dll}
    [[ " $rows " == *" $name "* ]] || return 0
    gateway_config "$tmp/$name.json" "$probe"
    local -a export_env=()
    [ "$otlp" = 1 ] && export_env=(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$sink_port" OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf)
    start "$name" "${export_env[@]}" taskset -c 0 dotnet "$dll" --config "$tmp/$name.json"
}

# Tier-up is not delayed, so that the warm-up reaches optimized code in every process.
export DOTNET_TC_CallCountingDelayMs=0
start yarp taskset -c 0 dotnet bench/BareYarp/bin/Release/net10.0/BareYarp.dll --config "$tmp/yarp.json"
gateway full On 1
gateway no-probe Off 1
gateway no-export On 0
gateway bare Off 0
gateway baseline On 1 "$baseline"

rows_ready ablation "$warm"
echo "ablation: $rounds rounds x ${#names[@]} rows x $duration s" >&2
n=${#names[@]}
for round in $(seq 1 "$rounds"); do
    for k in $(seq 0 $((n - 1))); do
        i=$(( (k + round) % n ))
        out=$(wrk_load "${ports[$i]}" "$duration" --latency)
        printf '%s\t%s\t%s\t%s\n' "${names[$i]}" \
            "$(awk '/Requests\/sec/ { print $2 }' <<<"$out")" \
            "$(awk '$1 == "99%" { print $2 }' <<<"$out")" \
            "$(awk '/Non-2xx|Socket errors/ { print "errors" }' <<<"$out")" >>"$tmp/runs.tsv"
    done
done

python3 - "$tmp/runs.tsv" "${names[@]}" <<'EOF'
import statistics, sys
def ms(text):
    for unit, scale in (('us', 0.001), ('ms', 1.0), ('s', 1000.0)):
        if text.endswith(unit):
            return float(text[:-len(unit)]) * scale
    raise ValueError(text)
runs = {}
errors = set()
for line in open(sys.argv[1]):
    name, rps, p99, error = (line.rstrip('\n').split('\t') + [''])[:4]
    runs.setdefault(name, []).append((float(rps), ms(p99)))
    if error:
        errors.add(name)
median = {n: (statistics.median(r for r, _ in v), statistics.median(p for _, p in v)) for n, v in runs.items()}
base = median['yarp']
# Paired: each row against the row it is compared with in the same round (the rows of a round run
# back to back), then the median over rounds; steadier than a ratio of medians when the machine's
# speed drifts from round to round.
def paired(name, against):
    return statistics.median(a[0] / b[0] for a, b in zip(runs[name], runs[against]))
print('| row | req/s | us of CPU 0 per request | beyond bare YARP | req/s vs YARP | paired vs YARP | p99 ms | p99 vs YARP | every round (req/s) |')
print('|---|---:|---:|---:|---:|---:|---:|---:|---|')
for name in sys.argv[2:]:
    rps, p99 = median[name]
    us = 1e6 / rps
    extra = us - 1e6 / base[0]
    print(f"| {name}{' (errors!)' if name in errors else ''} | {rps:.0f} | {us:.1f} | {'-' if name == 'yarp' else f'{extra:+.1f}'} "
          f"| {rps / base[0]:.2f} | {paired(name, 'yarp'):.2f} | {p99:.2f} | {p99 / base[1]:.2f} | {' '.join(f'{r:.0f}' for r, _ in runs[name])} |")
us = {n: 1e6 / median[n][0] for n in median}
print()
if 'baseline' in us and 'full' in us:
    print(f"this build (full) against BASELINE: {median['full'][0] / median['baseline'][0]:.3f}x the requests/s (paired by round: {paired('full', 'baseline'):.3f}x), "
          f"{us['full'] - us['baseline']:+.1f} us per request")
if not all(k in us for k in ('full', 'no-probe', 'no-export', 'bare')):
    sys.exit(0)
print(f"probe (no-export - bare): {us['no-export'] - us['bare']:+.1f} us; export (no-probe - bare): {us['no-probe'] - us['bare']:+.1f} us; "
      f"both together (full - bare): {us['full'] - us['bare']:+.1f} us; the gateway without either (bare - yarp): {us['bare'] - us['yarp']:+.1f} us")
EOF
