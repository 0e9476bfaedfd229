-- SPDX-License-Identifier: Apache-2.0
-- me.lua: GET /auth/me with one valid bearer token (BENCH_TOKEN).
dofile((os.getenv("BENCH_DIR") or "bench") .. "/common.lua")

wrk.method = "GET"
wrk.path = "/auth/me"
wrk.headers["Authorization"] = "Bearer " .. assert(os.getenv("BENCH_TOKEN"), "BENCH_TOKEN unset")

function done(summary, latency, requests)
   bench_done(summary, latency)
end
