-- wrk script of bench/paced.sh: each of wrk's connections waits between its requests so that
-- together they offer about RATE requests per second (wrk's delay() hook, in ms per connection),
-- then wrk-report.lua's machine-readable line. wrk times a request from its send to its
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

-- The report line: wrk takes one script, so the bench's report comes in from its own file.
dofile("bench/wrk-report.lua")
