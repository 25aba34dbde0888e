#!/usr/bin/env bash
# Fails when the tests left kernel state behind: a BPF program or TC filter of
# ours with no live gateway owning it, a crash-recovery record of a dead
# process, or a test network namespace. Only this project's own names are
# looked at. Usage: scripts/check-leftovers.sh [Configuration]
set -uo pipefail
cd "$(dirname "$0")/.."
config=${1:-Release}
status=0

if ! dotnet "src/KernelProbe.Cli/bin/$config/net10.0/kernel-probe.dll" leftovers; then
    status=1
fi
if ! ls /run/kernel-header-gateway/tc-*.json >/dev/null 2>&1 \
    && tc filter show dev lo egress 2>/dev/null | grep -q 'gw_tc_egress'; then
    echo "leftover: gw_tc_egress is attached to lo egress and no gateway recorded it" >&2
    status=1
fi
# A clsact qdisc a gateway created is marked hook-<ifindex>.created until the last gateway removes it.
if ls /run/kernel-header-gateway/hook-*.created >/dev/null 2>&1 \
    && ! ls /run/kernel-header-gateway/tc-*.json >/dev/null 2>&1; then
    echo "leftover: clsact qdisc created by a gateway, no gateway attached: $(ls /run/kernel-header-gateway/hook-*.created | tr '\n' ' ')" >&2
    status=1
fi
if ip netns list 2>/dev/null | grep -q '^khg-test-'; then
    echo "leftover: test network namespaces: $(ip netns list | grep '^khg-test-' | tr '\n' ' ')" >&2
    status=1
fi
[ $status -eq 0 ] && echo "leftovers: none (no programs, filters, qdiscs, records or namespaces of ours; nothing of ours is pinned)"
exit $status
