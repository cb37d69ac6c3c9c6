-- wrk script: every connection is one scraper that scrapes every 500 ms.
--
--   wrk -t1 -cN -s scripts/scrapers.lua URL -- spread N     (or lockstep)
--
-- spread: each scraper starts at a random point of the period, as
-- independent Prometheus servers do (each offsets a target's scrapes by a
-- hash of it). lockstep: all N scrape at the same instant, a worst case that
-- measures queueing behind one another more than the daemon.
-- done() prints one line the bench script parses.
local period = 500
local mode, scrapers, started = "spread", 0, 0

function init(args)
  mode = args[1] or mode
  scrapers = tonumber(args[2] or "0")
end

function delay()
  if started < scrapers then
    -- The first delay of each connection, before its first scrape.
    started = started + 1
    if mode == "spread" then
      return math.random(0, period - 1)
    end
    return 0
  end
  return period
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("scrapes=%d p50_us=%d p99_us=%d p999_us=%d max_us=%d errors=%d non2xx=%d\n",
    summary.requests, latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    latency.max, e.connect + e.read + e.write + e.timeout, e.status))
end
