-- wrk script for prefork-bench: after the run, write wrk's own summary as
-- JSON to the file named by PREFORK_BENCH_REPORT (harness/measure/wrk_report.cpp
-- reads it). Nothing is printed, so wrk's standard output stays exactly as
-- without the script.
--
-- With PREFORK_BENCH_PIPELINE unset or 1 (no pipelining), only done() is
-- defined: a request() or response() function would make wrk call into Lua
-- for every request and slow it down. With N > 1 (scenario key
-- [wrk] pipeline; the harness sets it for wrk's process), init() builds one
-- string of N requests and request() returns it, as TechEmpower's
-- pipeline.lua does: wrk writes the N requests at once and waits for N
-- responses before the next write. wrk takes one script only, hence both
-- jobs in this one.
--
-- wrk 4.1.0 facts this relies on (src/stats.c, src/script.c, src/wrk.c, src/wrk.lua):
--  * every time is in microseconds; summary.duration too;
--  * an empty stats object reports min = 2^64 - 1, so it is written as 0
--    (#stats is the number of distinct values recorded, 0 when empty);
--  * stats:percentile(100) returns 0 (its rank is count + 1, never reached),
--    so the 100th percentile is the maximum;
--  * `requests` holds each thread's request rate (req/s), sampled every 100 ms;
--  * wrk.format() builds a request from wrk.method, wrk.path (the URL's path)
--    and wrk.headers (every -H, and Host), so the pipelined requests are the
--    ones wrk would send without a script;
--  * the pipeline depth is the number of requests wrk's parser finds in the
--    string request() returns (script_verify_request); summary.requests
--    counts every response, but a latency sample is one write's N
--    responses, from the write to the last of them;
--  * pipelined, the latency statistics are wrong: the coordinated-omission
--    correction (stats_correct) takes one response per sample, adds samples
--    below the minimum that no percentile reaches, so most percentiles are 0
--    (wg/wrk#236). They are still written here; results_writer.cpp leaves
--    them out of runs.csv and latency.csv;
--  * a global request() makes wrk "dynamic": it calls request() once per
--    write, that is once per N requests.

local percentiles = {}
for p = 1, 99 do percentiles[#percentiles + 1] = p end
for _, p in ipairs({ 99.9, 99.99, 99.999, 100 }) do percentiles[#percentiles + 1] = p end

-- Counts are whole numbers held in doubles; %.0f keeps them exact up to 2^53
-- where %d would depend on LuaJIT's integer conversion.
local function integer(x)
   return string.format("%.0f", x)
end

local function real(x)
   if x ~= x or x == math.huge or x == -math.huge then return "0" end -- JSON has no NaN or inf
   return string.format("%.17g", x)
end

local function empty(stats)
   return #stats == 0
end

local function minimum(stats)
   if empty(stats) then return 0 end
   return stats.min
end

local function percentile(stats, p)
   if empty(stats) then return 0 end
   if p >= 100 then return stats.max end
   return stats:percentile(p)
end

local function stats_object(stats, format_value)
   return string.format('{"min": %s, "mean": %s, "stdev": %s, "max": %s}',
      format_value(minimum(stats)), real(stats.mean), real(stats.stdev), format_value(stats.max))
end

local function percentile_array(latency)
   local rows = {}
   for i, p in ipairs(percentiles) do
      -- %g writes 99.9, not 99.900000000000006, so the reader can match it exactly.
      rows[i] = string.format("[%g, %s]", p, integer(percentile(latency, p)))
   end
   return "[" .. table.concat(rows, ", ") .. "]"
end

local function report_json(summary, latency, requests)
   local e = summary.errors
   return table.concat({
      "{",
      string.format('"duration_us": %s, ', integer(summary.duration)),
      string.format('"requests": %s, ', integer(summary.requests)),
      string.format('"bytes": %s, ', integer(summary.bytes)),
      string.format('"errors": {"connect": %s, "read": %s, "write": %s, "status": %s, "timeout": %s}, ',
         integer(e.connect), integer(e.read), integer(e.write), integer(e.status), integer(e.timeout)),
      string.format('"latency_us": %s, ', stats_object(latency, integer)),
      string.format('"percentiles": %s, ', percentile_array(latency)),
      string.format('"requests_per_thread_rate": %s', stats_object(requests, integer)),
      "}\n",
   })
end

-- Written beside the target and renamed, so a reader never sees half a file.
local function write_file(path, text)
   local temporary = path .. ".tmp"
   local file, open_error = io.open(temporary, "w")
   if not file then
      io.stderr:write("report.lua: cannot write ", tostring(open_error), "\n")
      return
   end
   local ok, write_error = file:write(text)
   file:close()
   if not ok then
      io.stderr:write("report.lua: cannot write ", temporary, ": ", tostring(write_error), "\n")
      os.remove(temporary)
      return
   end
   local renamed, rename_error = os.rename(temporary, path)
   if not renamed then
      io.stderr:write("report.lua: cannot rename ", temporary, " to ", path, ": ", tostring(rename_error), "\n")
   end
end

local depth = tonumber(os.getenv("PREFORK_BENCH_PIPELINE") or "") or 1
if depth > 1 then
   local batch

   function init(args)
      local copies = {}
      for i = 1, depth do copies[i] = wrk.format() end
      batch = table.concat(copies)
   end

   function request()
      return batch
   end
end

function done(summary, latency, requests)
   local path = os.getenv("PREFORK_BENCH_REPORT")
   if path == nil or path == "" then return end
   write_file(path, report_json(summary, latency, requests))
end
