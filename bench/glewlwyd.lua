-- SPDX-License-Identifier: Apache-2.0
-- glewlwyd.lua: Glewlwyd's side of bench/peer-glewlwyd, one of (GLW_MODE)
--   userinfo  GET /api/oidc/userinfo with one bearer token (BENCH_TOKEN)
--   login     POST /api/oidc/token, grant_type=password (client_secret_basic)
--   refresh   POST /api/oidc/token, grant_type=refresh_token; each refresh
--             token used once: a thread's queue starts with its slice of
--             BENCH_REFRESH_SEEDS (one token per line) and every 200 pushes
--             the rolled token it returned (as refresh.lua does for authsvc)
dofile((os.getenv("BENCH_DIR") or "bench") .. "/common.lua")

local mode = os.getenv("GLW_MODE") or "userinfo"
local counter = 0
local threads = {}
ok = 0
bad = 0
local queue, head, tail = {}, 1, 0
local stopping = false

local function b64(s)
   local t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
   return ((s:gsub(".", function(x)
      local r, byte = "", x:byte()
      for i = 8, 1, -1 do r = r .. (byte % 2 ^ i - byte % 2 ^ (i - 1) > 0 and "1" or "0") end
      return r
   end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(x)
      if #x < 6 then return "" end
      local c = 0
      for i = 1, 6 do c = c + (x:sub(i, i) == "1" and 2 ^ (6 - i) or 0) end
      return t:sub(c + 1, c + 1)
   end) .. ({ "", "==", "=" })[#s % 3 + 1])
end

local basic = "Basic " .. b64((os.getenv("BENCH_CLIENT_ID") or "") .. ":" ..
   (os.getenv("BENCH_CLIENT_SECRET") or ""))

function setup(thread)
   thread:set("tid", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

function init(args)
   if mode ~= "refresh" then
      return
   end
   local nthreads = tonumber(os.getenv("BENCH_THREADS") or "2")
   local path = assert(os.getenv("BENCH_REFRESH_SEEDS"), "BENCH_REFRESH_SEEDS unset")
   local f = assert(io.open(path, "r"))
   local i = 0
   for line in f:lines() do
      if i % nthreads == tid and line:match("^%S+$") then
         tail = tail + 1
         queue[tail] = line
      end
      i = i + 1
   end
   f:close()
end

function request()
   if mode == "userinfo" then
      return wrk.format("GET", "/api/oidc/userinfo",
         { ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN") })
   end
   local body
   if mode == "login" then
      body = "grant_type=password&scope=openid&username=" .. os.getenv("BENCH_USER") ..
         "&password=" .. os.getenv("BENCH_PASSWORD")
   else
      if head > tail then
         stopping = true
         wrk.thread:stop()
         return wrk.format("GET", "/api/oidc/jwks")
      end
      body = "grant_type=refresh_token&refresh_token=" .. queue[head]
      queue[head] = nil
      head = head + 1
   end
   return wrk.format("POST", "/api/oidc/token", {
      ["Authorization"] = basic,
      ["Content-Type"] = "application/x-www-form-urlencoded",
   }, body)
end

function response(status, headers, body)
   if stopping then
      return
   end
   if status ~= 200 then
      bad = bad + 1
      return
   end
   ok = ok + 1
   if mode == "refresh" then
      local r = body:match('"refresh_token"%s*:%s*"([^"]+)"')
      if r then
         tail = tail + 1
         queue[tail] = r
      end
   end
end

function done(summary, latency, requests)
   local tok, tbad = 0, 0
   for _, t in ipairs(threads) do
      tok = tok + t:get("ok")
      tbad = tbad + t:get("bad")
   end
   bench_done(summary, latency, string.format(" ok=%d bad=%d", tok, tbad))
end
