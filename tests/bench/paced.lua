-- wrk script: each connection waits WRK_DELAY_MS (default 20) after every answer
-- before its next request, so wrk -c32 offers about 32 / (delay + latency) requests/s
-- (~1,400/s at 20 ms + 3 ms): latency at the target rate, not at saturation.
local delay_ms = tonumber(os.getenv("WRK_DELAY_MS") or "20")

function delay()
  return delay_ms
end
