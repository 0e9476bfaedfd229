-- SPDX-License-Identifier: Apache-2.0
-- common.lua: shared by the wrk scripts in bench/ (loaded with dofile).
-- bench_done prints one machine-readable line that bench/run parses:
--   BENCH requests=N duration_us=N p50_us=N p90_us=N p99_us=N max_us=N
--         connect=N read=N write=N status=N timeout=N
-- (status = responses with a status > 399, as wrk counts them).
function bench_done(summary, latency, extra)
   local e = summary.errors
   io.write(string.format(
      "BENCH requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
      "connect=%d read=%d write=%d status=%d timeout=%d%s\n",
      summary.requests, summary.duration,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      e.connect, e.read, e.write, e.status, e.timeout, extra or ""))
end
