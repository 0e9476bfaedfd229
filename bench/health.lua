-- SPDX-License-Identifier: Apache-2.0
-- health.lua: GET /health, the HTTP floor: what the event loops, the kernel's
-- loopback TCP and wrk cost for a request that does no work.
dofile((os.getenv("BENCH_DIR") or "bench") .. "/common.lua")

wrk.method = "GET"
wrk.path = "/health"

function done(summary, latency, requests)
   bench_done(summary, latency)
end
