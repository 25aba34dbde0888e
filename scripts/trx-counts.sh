#!/usr/bin/env bash
# Sums the Counters of every TRX file under $1: prints "passed failed skipped".
set -euo pipefail
passed=0 failed=0 skipped=0
shopt -s nullglob globstar
for trx in "$1"/**/*.trx; do
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
    get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
    passed=$((passed + $(get passed)))
    failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
    skipped=$((skipped + $(get notExecuted)))
done
echo "$passed $failed $skipped"
