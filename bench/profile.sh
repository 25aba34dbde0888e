#!/usr/bin/env bash
# Where the gateway's CPU goes, next to bare YARP's: one perf recording of CPU 0 while the
# proxies take turns under the same keep-alive wrk load, and the allocation rate of each.
#
# The rows (ROWS, default "yarp gateway"), all running at the same time on CPU 0:
#   yarp        bench/BareYarp: YARP and nothing else
#   yarp-quiet  bench/BareYarp with Microsoft.AspNetCore.Hosting.Diagnostics off, as the
#               gateway has it: without the Activity and log scope ASP.NET Core makes per
#               request for that category, which bare YARP (logging at Warning) still gets
#   gateway     the gateway with everything on: probe, header logging, OTLP/HTTP export of
#               spans and access records to bench/OtlpSink
#   logs        gateway with OTEL_TRACES_EXPORTER=none: the access records go, the spans do not
#   no-probe    gateway with KernelProbe:Mode=Off
#   l7          gateway as bench/run.sh's row gw-l7: probe off, no OTLP, records to JSON lines
#               (a file in the temp dir): l7 minus bare is what writing JSON lines costs
#   rules       gateway as row gateway plus the ten typical rules of RuleBenchmarks
#               (bench/Gateway.Benchmarks/TypicalRules.cs, each tag + alert, none matching):
#               rules minus gateway is what ten rules cost per request in the real process
#   no-export   gateway with no sink at all: records are built, then dropped
#   bare        no probe and no sink: the gateway's middleware and record building only
#   baseline    gateway run from another build (BASELINE=path/to/Gateway.dll): an A/B of a
#               change, frame by frame, at a resolution of about 0.1 us per request
# nginx (fixed response), the OTLP sink and wrk run on CPU 1. After a warm-up of each
# row, one `perf record -g -C 0` covers PROFILE_ROUNDS rounds in which every row is
# driven for PROFILE_BURST seconds in turn. The machine's speed drifts by a third from
# one minute to the next here (a shared VM): taking turns inside one recording spreads
# that drift over every row alike, where profiling one after the other measured the
# drift (the same build came out at 0.86x and 0.55x of bare YARP in two sequential
# runs). Each sample is charged to the process it interrupted, so a row's CPU per
# request is its samples times the sampling period over the requests it served: no
# ratio of throughputs involved, and the split by frame is as steady as the total.
#
# The runtime writes its perf map (DOTNET_PerfMapEnabled=1, W^X off) so JIT-compiled
# frames have names; tier-up is not delayed (DOTNET_TC_CallCountingDelayMs=0) so that
# the warm-up reaches optimized code. Every process it starts is stopped by PID at the
# end, also on failure or Ctrl+C.
#
# Results in artifacts/profile/<time>/: perf.data, perf.txt (perf script), requests.tsv
# (requests served per burst) and summary.txt: CPU of CPU 0 per request of every row and
# what each adds to bare YARP, bytes allocated per request, and for the gateway (and
# BASELINE) the split by binary, assembly and frame against bare YARP.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

warm=${PROFILE_WARMUP:-25}
rounds=${PROFILE_ROUNDS:-8}
burst=${PROFILE_BURST:-3}
baseline=${BASELINE:-}
rows=${ROWS:-yarp gateway${baseline:+ baseline}}
usage() {
    echo "usage: bench/profile.sh   (ROWS=\"yarp yarp-quiet gateway rules logs no-probe l7 no-export bare baseline\" PROFILE_WARMUP=25 PROFILE_ROUNDS=8 PROFILE_BURST=3 BASELINE=other/Gateway.dll; root, for the probe and perf; about 3 minutes for two rows)"
}
case "${1:-}" in -h|--help) usage; exit 0 ;; "") ;; *) usage >&2; exit 2 ;; esac
for n in "$warm" "$rounds" "$burst"; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "profile: not a positive number: $n" >&2; exit 2; }
done
for row in $rows; do
    case "$row" in yarp|yarp-quiet|gateway|rules|logs|no-probe|l7|no-export|bare) ;; baseline) [ -f "$baseline" ] || { echo "profile: row baseline needs BASELINE=path/to/Gateway.dll (not a file: '$baseline')" >&2; exit 2; } ;;
        *) echo "profile: unknown row '$row' (yarp, yarp-quiet, gateway, rules, logs, no-probe, l7, no-export, bare, baseline)" >&2; exit 2 ;; esac
done
[[ " $rows " == *" yarp "* ]] || { echo "profile: ROWS must include yarp (every row is compared with it)" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "profile: run as root (KernelProbe:Mode=On and perf)" >&2; exit 2; }
PATH="$PATH:/usr/sbin:/sbin"
missing=()
for tool in wrk nginx perf taskset ss jq; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
    pkgs=()
    for tool in "${missing[@]}"; do case "$tool" in perf) pkgs+=(linux-perf) ;; taskset) pkgs+=(util-linux) ;; ss) pkgs+=(iproute2) ;; *) pkgs+=("$tool") ;; esac; done
    echo "profile: installing ${pkgs[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
fi
[ "$(nproc)" -ge 2 ] || { echo "profile: needs 2 cores (proxies on CPU 0, load on CPU 1)" >&2; exit 2; }
scripts/setup.sh

projects=(src/Gateway/Gateway.csproj bench/BareYarp/BareYarp.csproj bench/OtlpSink/OtlpSink.csproj)
[[ " $rows " != *" rules "* ]] || projects+=(bench/Gateway.Benchmarks/Gateway.Benchmarks.csproj)
# shellcheck source=bench/lib.sh
. "$repo/bench/lib.sh"
build_release profile "${projects[@]}"
counters=$repo/artifacts/tools/dotnet-counters
[ -x "$counters" ] || dotnet tool install dotnet-counters --tool-path "$repo/artifacts/tools" >/dev/null

out=$repo/artifacts/profile/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"
start_backend_and_sink

export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 DOTNET_TC_CallCountingDelayMs=0
names=() ports=() procs=()
# start NAME COMMAND...: on CPU 0, on a port of its own.
start() {
    local name=$1 p
    shift
    p=$(port)
    taskset -c 0 "$@" --urls "http://127.0.0.1:$p" >"$tmp/$name.out" 2>&1 &
    pids+=($!)
    names+=("$name") ports+=("$p") procs+=($!)
}
# gateway NAME PROBE(On/Off) OTLP(all/logs/none) [DLL]: the gateway's configuration for one row (when ROWS has it).
gateway() {
    local name=$1 probe=$2 otlp=$3 dll=${4:-src/Gateway/bin/Release/net10.0/Gateway.dll}
    [[ " $rows " == *" $name "* ]] || return 0
    local jsonl=
    [ "$name" != l7 ] || jsonl=$tmp/l7.jsonl
    gateway_config "$tmp/$name.json" "$probe" $jsonl
    if [ "$name" = rules ]; then
        # Without the perf map the rows are started with: this short-lived process would leave its map in /tmp.
        DOTNET_PerfMapEnabled=0 dotnet bench/Gateway.Benchmarks/bin/Release/net10.0/Gateway.Benchmarks.dll rules-json >"$tmp/typical-rules.json"
        jq --slurpfile rules "$tmp/typical-rules.json" '. + { Rules: $rules[0] }' "$tmp/$name.json" >"$tmp/$name.with-rules.json"
        mv "$tmp/$name.with-rules.json" "$tmp/$name.json"
    fi
    local -a export_env=()
    [ "$otlp" = none ] || export_env=(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$sink_port" OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf)
    [ "$otlp" = logs ] && export_env+=(OTEL_TRACES_EXPORTER=none)
    start "$name" env "${export_env[@]}" dotnet "$dll" --config "$tmp/$name.json"
}
start yarp dotnet bench/BareYarp/bin/Release/net10.0/BareYarp.dll --config "$tmp/yarp.json"
[[ " $rows " != *" yarp-quiet "* ]] || start yarp-quiet dotnet bench/BareYarp/bin/Release/net10.0/BareYarp.dll --config "$tmp/yarp.json" \
    --Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics=None
gateway gateway On all
gateway rules On all
gateway logs On logs
gateway no-probe Off all
gateway l7 Off none
gateway no-export On none
gateway bare Off none
gateway baseline On all "$baseline"

rows_ready profile "$warm"

# The clock perf stamps its samples with (-k CLOCK_MONOTONIC), in seconds: each burst's start and end go
# next to its requests, so that a row's samples split into those taken while it was driven and those
# taken while the other rows were (its timers, its exporter catching up, interrupts it happened to take).
monotonic() { python3 -c 'import time; print(f"{time.clock_gettime(time.CLOCK_MONOTONIC):.6f}")'; }

n=${#names[@]}
echo "profile: recording CPU 0 for $rounds rounds x $n proxies x $burst s" >&2
perf record -F 1999 -g -C 0 -k CLOCK_MONOTONIC -o "$out/perf.data" -- sleep $((rounds * n * (burst + 1) + 3)) >/dev/null 2>&1 &
perf_pid=$!
pids+=("$perf_pid")
sleep 1
: >"$out/requests.tsv"
for round in $(seq 1 "$rounds"); do
    for k in $(seq 0 $((n - 1))); do
        i=$(( (k + round) % n ))
        from=$(monotonic)
        served=$(wrk_load "${ports[$i]}" "$burst" | awk '/requests in/ { print $1 }')
        printf '%s\t%s\t%s\t%s\t%s\n' "${names[$i]}" "${procs[$i]}" "$served" "$from" "$(monotonic)" >>"$out/requests.tsv"
        sleep 0.5
    done
done
wait "$perf_pid" || true
perf script -i "$out/perf.data" -F comm,pid,tid,time,ip,sym,dso >"$out/perf.txt" 2>/dev/null
# The runtime's perf maps and jitdumps in /tmp were for perf script only.
for p in "${procs[@]}"; do rm -f "/tmp/perf-$p.map" "/tmp/perfinfo-$p.map" "/tmp/jit-$p.dump"; done

# Allocations: one proxy at a time (bytes per request do not depend on the machine's speed).
: >"$tmp/alloc.tsv"
for i in "${!names[@]}"; do
    rm -f "$tmp/alloc.csv"
    DOTNET_PerfMapEnabled=0 timeout 60 "$counters" collect -p "${procs[$i]}" --counters 'System.Runtime[dotnet.gc.heap.total_allocated]' --refresh-interval 1 \
        --format csv -o "$tmp/alloc.csv" --duration 00:00:00:08 >/dev/null 2>&1 &
    counters_pid=$!
    sleep 1.5
    served=$(wrk_load "${ports[$i]}" 5 | awk '/requests in/ { print $1 }')
    wait "$counters_pid" || true
    bytes=$(awk -F, 'NR > 1 && $3 ~ /total_allocated/ { s += $5 } END { printf "%.0f", s }' "$tmp/alloc.csv")
    printf '%s\t%s\n' "${names[$i]}" "$((bytes / served))" >>"$tmp/alloc.tsv"
done

python3 - "$out" "$tmp/alloc.tsv" >"$out/summary.txt" <<'EOF'
import collections, re, sys
out, alloc_path = sys.argv[1], sys.argv[2]
period_us = 1e6 / 1999
served, name_of, bursts = collections.Counter(), {}, collections.defaultdict(list)
for line in open(f"{out}/requests.tsv"):
    name, pid, count, start, end = line.rstrip('\n').split('\t')
    served[name] += int(count or 0)
    name_of[pid] = name
    bursts[name].append((float(start), float(end), int(count or 0)))
alloc = dict(line.rstrip('\n').split('\t') for line in open(alloc_path))
names = list(dict.fromkeys(name_of.values()))

# perf script: a header line "comm pid/tid", then the call chain, leaf first, "addr symbol (dso)".
samples = collections.defaultdict(list)
# Per row: samples taken while another row was driven (or between bursts), not while its own load ran.
aside = collections.Counter()
# Per row and burst (in the order driven): the samples taken while that burst ran.
in_burst = collections.defaultdict(collections.Counter)
threads = collections.defaultdict(collections.Counter)
pid, when, comm, chain = None, None, None, []
def flush():
    if pid in name_of:
        name = name_of[pid]
        samples[name].append(chain)
        threads[name][comm] += 1
        k = next((k for k, (start, end, _) in enumerate(bursts[name]) if start <= when <= end), None) if when is not None else None
        if k is None:
            aside[name] += 1
        else:
            in_burst[name][k] += 1
for line in open(f"{out}/perf.txt", errors='replace'):
    line = line.rstrip('\n')
    if not line.strip():
        flush()
        pid, when, comm, chain = None, None, None, []
    elif line[0] in ' \t':
        m = re.match(r'\s*[0-9a-f]+ (.*) \((.*)\)$', line)
        if m:
            chain.append((m.group(1), m.group(2)))
    else:
        # "comm pid/tid time:" (comm may hold spaces)
        m = re.search(r'\s(\d+)/\d+\s+(\d+\.\d+):\s*$', line)
        pid, when = (m.group(1), float(m.group(2))) if m else (None, None)
        comm = re.sub(r'\d+', 'N', line[:m.start()].strip()) if m else None
        chain = []
flush()

def clean(symbol):
    symbol = re.sub(r'\[Optimized[^\]]*\]|\[QuickJitted\]|\[Tier0\]|\[Tier1\]', '', symbol)
    return re.sub(r'\(.*', '', symbol).strip()[-120:]
def binary(dso):
    return 'JIT-compiled code' if re.search(r'perf-\d+\.map|\[JIT\]', dso) else dso.split('/')[-1]
def assembly(symbol, dso):
    m = re.search(r'\[([\w.]+)\] ', symbol)
    return m.group(1) if m else binary(dso)

def per_request(name, key):
    counts = collections.Counter(key(chain[0]) for chain in samples[name] if chain)
    scale = period_us / max(1, served[name])
    return {k: v * scale for k, v in counts.items()}

def us(count, name):
    return count * period_us / max(1, served[name])
total = {n: us(len(samples[n]), n) for n in names}
print(f"CPU 0 per request, from {sum(len(s) for s in samples.values())} samples at 1999 Hz over the bursts (rows taking turns):")
print()
print("| row | requests | us of CPU 0 per request | of which while other rows ran | beyond bare YARP | bare YARP's CPU per request / the row's | B allocated per request |")
print("|---|---:|---:|---:|---:|---:|---:|")
for n in names:
    extra = '-' if n == 'yarp' else f"{total[n] - total['yarp']:+.1f}"
    idle = us(aside[n], n)
    print(f"| {n} | {served[n]} | {total[n]:.1f} | {idle:.1f} | {extra} | {total['yarp'] / total[n]:.2f} | {alloc.get(n, '?')} |")

def table(title, key, against, name='gateway', top=25, fewer=0):
    mine, theirs = per_request(name, key), per_request(against, key)
    ranked = sorted(set(mine) | set(theirs), key=lambda k: -(mine.get(k, 0) - theirs.get(k, 0)))
    print()
    print(f"{title}: us per request, {name} against {against}")
    for k in ranked[:top] + (['...'] if fewer else []) + (ranked[-fewer:] if fewer else []):
        if k == '...':
            print("  ...")
            continue
        print(f"  {mine.get(k, 0) - theirs.get(k, 0):+6.2f}  {theirs.get(k, 0):6.2f} -> {mine.get(k, 0):6.2f}  {k}")

if 'gateway' in names:
    table('by binary', lambda f: binary(f[1]), 'yarp', top=8)
    table('by assembly (leaf frame)', lambda f: assembly(*f), 'yarp', top=15)
    table('by frame (self time)', lambda f: clean(f[0]), 'yarp', top=40)
def paired(mine, theirs):
    # Round by round: each row's CPU per request in its own burst, and the difference of the two
    # bursts of one round, which were driven within seconds of each other, so the machine's drift
    # (a third from one minute to the next here) mostly cancels. The median of the rounds and a
    # distribution-free 95% interval for it (order statistics of a binomial(n, 1/2)).
    rows = []
    for k, ((_, _, a_served), (_, _, b_served)) in enumerate(zip(bursts[mine], bursts[theirs])):
        if a_served and b_served:
            rows.append(in_burst[mine][k] * period_us / a_served - in_burst[theirs][k] * period_us / b_served)
    if len(rows) < 2:
        return
    rows.sort()
    n, j = len(rows), 0
    from math import comb
    while sum(comb(n, i) for i in range(j + 1)) / 2 ** n <= 0.025:
        j += 1
    median = (rows[(n - 1) // 2] + rows[n // 2]) / 2
    interval = f"95% interval {rows[j - 1]:+.2f} to {rows[n - j]:+.2f}" if j > 0 else "too few rounds for a 95% interval"
    print(f"{mine} against {theirs}, round by round (own bursts only): median {median:+.2f} us per request over {n} rounds, "
          f"{interval}; each round: {' '.join(f'{d:+.1f}' for d in rows)}")

if 'rules' in names and 'gateway' in names:
    print()
    paired('rules', 'gateway')
    print(f"the rules row against the gateway row: {total['rules'] - total['gateway']:+.2f} us per request "
          f"({us(aside['rules'], 'rules') - us(aside['gateway'], 'gateway'):+.2f} of it while other rows ran)")
    print("by thread: us per request, rules against gateway")
    for comm in sorted(set(threads['rules']) | set(threads['gateway']), key=lambda c: us(threads['gateway'][c], 'gateway') - us(threads['rules'][c], 'rules')):
        mine, theirs = us(threads['rules'][comm], 'rules'), us(threads['gateway'][comm], 'gateway')
        print(f"  {mine - theirs:+6.2f}  {theirs:6.2f} -> {mine:6.2f}  {comm}")
    # The rules' own frames, inclusive: every sample of the rules row with a frame of the rules' code on its stack
    # (their reads of Kestrel's headers and of the wire included). Unlike the row difference, this does not move with
    # the machine's drift between bursts, only with its speed; samples whose leaf is in the kernel are interrupts and
    # switches that happened to land in the rules' code.
    rule_frame = re.compile(r'\[Gateway\] Gateway\.(Rules[.:]|Requests\.(RequestRules|RuleAttribute))')
    under = [c for c in samples['rules'] if any(rule_frame.search(f[0]) for f in c)]
    kernel = sum(1 for c in under if c[0][1].endswith('kernel.kallsyms]'))
    print(f"the rules' own frames, inclusive: {us(len(under), 'rules'):.2f} us per request, of which {us(kernel, 'rules'):.2f} "
          f"with the kernel at the leaf (interrupts landing there); by leaf frame:")
    # The client verdict the rules resolve (client.address, gateway.forwarded.*) is the one the record takes from them
    # (RuleAttributes.SharedVerdict) instead of resolving it again: work the gateway row does too, elsewhere.
    verdict = sum(1 for c in under if any('RuleAttributes::Verdict' in f[0] for f in c))
    print(f"  of it under RuleAttributes::Verdict (the client verdict, which the record then reuses): {us(verdict, 'rules'):.2f} us per request")
    # The same count for the request headers' capture in the gateway row (it runs just before the rules, on every
    # request): a control for how much of a request's early work has the kernel at the leaf anyway (the wake-ups of
    # the load's next requests land there), whatever the code.
    capture = [c for c in samples['gateway'] if any('HeaderCapturePolicy::Capture' in f[0] for f in c) and any('RequestHeaderCaptureMiddleware' in f[0] for f in c)]
    capture_kernel = sum(1 for c in capture if c[0][1].endswith('kernel.kallsyms]'))
    print(f"  control: the header capture's frames in the gateway row, inclusive: {us(len(capture), 'gateway'):.2f} us per request, "
          f"of which {us(capture_kernel, 'gateway'):.2f} with the kernel at the leaf ({100 * capture_kernel / max(1, len(capture)):.0f}%, "
          f"against {100 * kernel / max(1, len(under)):.0f}% in the rules' frames)")
    for frame, count in collections.Counter(clean(c[0][0]) for c in under).most_common(15):
        print(f"  {us(count, 'rules'):6.3f}  {frame}")
    table('by assembly (leaf frame)', lambda f: assembly(*f), 'gateway', name='rules', top=10, fewer=5)
    table('by frame (self time)', lambda f: clean(f[0]), 'gateway', name='rules', top=20, fewer=10)
if 'l7' in names and 'bare' in names:
    print(f"\nthe l7 row (JSON lines) against the bare row (no sink): {total['l7'] - total['bare']:+.2f} us per request")
    paired('l7', 'bare')
    table('by binary', lambda f: binary(f[1]), 'bare', name='l7', top=8)
    table('by frame (self time)', lambda f: clean(f[0]), 'bare', name='l7', top=30, fewer=5)
if 'baseline' in names and 'gateway' in names:
    print(f"\nthis build against BASELINE: {total['gateway'] - total['baseline']:+.2f} us per request")
    paired('gateway', 'baseline')
    table('by frame (self time)', lambda f: clean(f[0]), 'baseline', top=20, fewer=20)
EOF
cat "$out/summary.txt"
echo "profile: perf data and summary in $out" >&2
