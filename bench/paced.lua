-- wrk script of bench/paced.sh: each of wrk's connections waits between its requests so that
-- together they offer about RATE requests per second (wrk's delay() hook, in ms per connection),
-- then the same machine-readable line as wrk-report.lua. wrk times a request from its send to its
-- response, so the wait is not in the latencies. The waits are drawn from an exponential
-- distribution, so that arrivals are about as random as independent clients' (a Poisson
-- process): with a fixed wait the 32 connections fall into step and arrive as bursts of 32, and
-- each request's latency is then its place in the burst times the proxy's time per request.
local rate = tonumber(os.getenv("PACED_RATE") or "0")
local connections = tonumber(os.getenv("PACED_CONNECTIONS") or "32")
local gap = rate > 0 and connections * 1000 / rate or 0

math.randomseed(os.time())

delay = function()
  return -math.log(1 - math.random()) * gap
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
