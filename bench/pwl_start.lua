-- SPDX-License-Identifier: Apache-2.0
-- pwl_start.lua: POST /auth/passwordless/start, cycling over BENCH_USERS
-- users named <BENCH_USER_PREFIX><i> (each wrk thread starts at its own offset).
dofile((os.getenv("BENCH_DIR") or "bench") .. "/common.lua")

local n = tonumber(os.getenv("BENCH_USERS") or "16")
local prefix = os.getenv("BENCH_USER_PREFIX") or "otp"
local client, secret = os.getenv("BENCH_CLIENT_ID"), os.getenv("BENCH_CLIENT_SECRET")
local i = 0
local threads = 0

function setup(thread)
   thread:set("i", threads * 7)
   threads = threads + 1
end

function request()
   i = i + 1
   local body = string.format('{"client_id":"%s","client_secret":"%s","key":"%s%d"}',
                              client, secret, prefix, i % n)
   return wrk.format("POST", "/auth/passwordless/start",
                     {["Content-Type"] = "application/json"}, body)
end

function done(summary, latency, requests)
   bench_done(summary, latency)
end
