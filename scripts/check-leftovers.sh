#!/usr/bin/env bash
# Fails when the tests left kernel state behind: a TC filter of ours on lo,
# a test network namespace, or a crash-recovery record of a process that is
# gone. Only this project's own names are looked at.
set -uo pipefail
status=0
if tc filter show dev lo egress 2>/dev/null | grep -q 'gw_tc_egress'; then
    # A gateway the developer runs by hand may legitimately be attached.
    for f in /run/kernel-header-gateway/tc-*.json; do
        [ -e "$f" ] || continue
        pid=$(basename "$f" | cut -d- -f2)
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "leftover: $f records a TC filter of dead process $pid" >&2
            status=1
        fi
    done
    if ! ls /run/kernel-header-gateway/tc-*.json >/dev/null 2>&1; then
        echo "leftover: gw_tc_egress is attached to lo egress with no live owner" >&2
        status=1
    fi
fi
if ip netns list 2>/dev/null | grep -q '^khg-test-'; then
    echo "leftover: test network namespaces: $(ip netns list | grep '^khg-test-' | tr '\n' ' ')" >&2
    status=1
fi
[ $status -eq 0 ] && echo "leftovers: none (no filters, namespaces or records of ours)"
exit $status
