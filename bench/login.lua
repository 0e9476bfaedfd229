-- SPDX-License-Identifier: Apache-2.0
-- login.lua: POST /auth/login-token with the real password (argon2id verify
-- at the configured cost on every request). Credentials come from the
-- environment: BENCH_CLIENT_ID, BENCH_CLIENT_SECRET, BENCH_USER, BENCH_PASSWORD.
dofile((os.getenv("BENCH_DIR") or "bench") .. "/common.lua")

local function env(k)
   return assert(os.getenv(k), k .. " unset")
end

wrk.method = "POST"
wrk.path = "/auth/login-token"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format(
   '{"client_id":"%s","client_secret":"%s","username":"%s","password":"%s"}',
   env("BENCH_CLIENT_ID"), env("BENCH_CLIENT_SECRET"), env("BENCH_USER"), env("BENCH_PASSWORD"))

function done(summary, latency, requests)
   bench_done(summary, latency)
end
