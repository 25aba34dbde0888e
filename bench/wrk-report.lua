-- wrk script of bench/run.sh: adds nothing to the requests (headers come from -H) and
-- prints one machine-readable line at the end, with latencies in microseconds taken
-- from wrk's own histogram (the same numbers --latency prints, without rounding).
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
