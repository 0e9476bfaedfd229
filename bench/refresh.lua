-- SPDX-License-Identifier: Apache-2.0
-- refresh.lua: POST /auth/token-refresh, each token pair used exactly once.
--
-- Every refresh needs the CURRENT refresh token plus the access token paired
-- with it, and rotates both, so a request cannot be replayed. Each wrk thread
-- takes its slice of the seed file BENCH_REFRESH_SEEDS (lines
-- "<accessToken> <refreshToken>", made by bench/run with /auth/login-token)
-- into a queue; each request pops one pair, and each 200 pushes the pair it
-- returned. So every request carries a fresh, never-used pair, as a client
-- refreshing its own session would. A non-200 loses its pair; the seeds hold
-- spares (more pairs than connections). When a thread's queue is empty it
-- stops (wrk.thread:stop) instead of sending anything else.
dofile((os.getenv("BENCH_DIR") or "bench") .. "/common.lua")

local counter = 0
local threads = {}

function setup(thread)
   thread:set("tid", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

-- per-thread globals (read back with thread:get in done)
ok = 0           -- 200 with a new pair
bad = 0          -- non-200, or 200 without a pair
codes = ""       -- "status:count ..." of the non-200s
exhausted = 0    -- 1 when this thread ran out of pairs
first_bad = ""   -- status and body of the first non-200 (for the report)
local code_count = {}
local queue, head, tail = {}, 1, 0
local stopping = false

function init(args)
   local nthreads = tonumber(os.getenv("BENCH_THREADS") or "2")
   local path = assert(os.getenv("BENCH_REFRESH_SEEDS"), "BENCH_REFRESH_SEEDS unset")
   local f = assert(io.open(path, "r"))
   local i = 0
   for line in f:lines() do
      if i % nthreads == tid then
         local a, r = line:match("^(%S+)%s+(%S+)$")
         if a then
            tail = tail + 1
            queue[tail] = { a, r }
         end
      end
      i = i + 1
   end
   f:close()
end

function request()
   if head > tail then
      -- No unused pair left: stop this thread. wrk still wants a request
      -- string; the loop ends before it matters and its answer is not counted.
      stopping = true
      exhausted = 1
      wrk.thread:stop()
      return wrk.format("GET", "/health")
   end
   local p = queue[head]
   queue[head] = nil
   head = head + 1
   return wrk.format("POST", "/auth/token-refresh", {
      ["Authorization"] = "Bearer " .. p[1],
      ["Content-Type"] = "application/json",
   }, '{"refreshToken":"' .. p[2] .. '"}')
end

function response(status, headers, body)
   if stopping then
      return
   end
   if status == 200 then
      local a = body:match('"accessToken"%s*:%s*"([^"]+)"')
      local r = body:match('"refreshToken"%s*:%s*"([^"]+)"')
      if a and r then
         ok = ok + 1
         tail = tail + 1
         queue[tail] = { a, r }
         return
      end
   end
   bad = bad + 1
   if first_bad == "" then
      first_bad = status .. ":" .. string.gsub(string.sub(body or "", 1, 160), "%s", "_")
   end
   code_count[status] = (code_count[status] or 0) + 1
   local parts = {}
   for k, v in pairs(code_count) do
      table.insert(parts, k .. ":" .. v)
   end
   codes = table.concat(parts, ",")
end

function done(summary, latency, requests)
   local tok, tbad, tex, tcodes, fb = 0, 0, 0, {}, "-"
   for _, t in ipairs(threads) do
      tok = tok + t:get("ok")
      tbad = tbad + t:get("bad")
      tex = tex + t:get("exhausted")
      local f = t:get("first_bad")
      if f ~= nil and f ~= "" and fb == "-" then
         fb = f
      end
      local c = t:get("codes")
      if c ~= nil and c ~= "" then
         table.insert(tcodes, c)
      end
   end
   local cs = table.concat(tcodes, ",")
   if cs == "" then cs = "-" end
   bench_done(summary, latency, string.format(" ok=%d bad=%d exhausted_threads=%d codes=%s first_bad=%s",
      tok, tbad, tex, cs, fb))
end
