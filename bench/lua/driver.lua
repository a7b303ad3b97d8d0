-- One wrk script for every scenario of the harness (bench/harness.py writes its spec).
--
-- BENCH_WRK_SPEC names a Lua file that returns a table:
--   requests      list of {method, path, headers = {...}, body = "..." or body_file = "path"};
--                 one request is sent over and over, several are sent in turn
--   max_requests  stop a thread after this many responses (0: run for the whole -d)
--   chain         {path, headers, body_format, pattern, tokens = {...}}: each wrk thread starts
--                 with its own token, sends body_format with the token, and takes the next token
--                 from the response (refresh-token rotation); use one connection per thread
--   out_file      where done() writes the summary as JSON
--
-- Globals `request` and `response` are defined only when a scenario needs them, so the plain
-- scenarios run wrk's fast static path (no Lua call per request, no body copied into Lua).

local spec = dofile(os.getenv("BENCH_WRK_SPEC"))
local threads = {}

local function read_file(path)
   local handle = assert(io.open(path, "rb"))
   local data = handle:read("*a")
   handle:close()
   return data
end

local function body_of(r)
   if r.body_file then
      return read_file(r.body_file)
   end
   return r.body
end

function setup(thread)
   table.insert(threads, thread)
   thread:set("thread_no", #threads)
end

-- Per-thread state (every thread has its own Lua state).
statuses = {}
responses = 0
token = nil
local prepared = {}
local next_index = 0

function init(args)
   for i, r in ipairs(spec.requests or {}) do
      prepared[i] = wrk.format(r.method, r.path, r.headers, body_of(r))
   end
   if #prepared == 1 and not spec.chain then
      -- wrk's static path sends this same request every time.
      wrk.method = spec.requests[1].method
      wrk.path = spec.requests[1].path
      wrk.headers = spec.requests[1].headers or {}
      wrk.body = body_of(spec.requests[1])
   end
   if spec.chain then
      token = spec.chain.tokens[thread_no]
   end
end

if spec.chain then
   function request()
      local c = spec.chain
      return wrk.format("POST", c.path, c.headers, string.format(c.body_format, token))
   end
elseif #(spec.requests or {}) > 1 then
   function request()
      next_index = next_index % #prepared + 1
      return prepared[next_index]
   end
end

if spec.chain or (spec.max_requests or 0) > 0 then
   function response(status, headers, body)
      responses = responses + 1
      statuses[status] = (statuses[status] or 0) + 1
      if spec.chain and status == 200 then
         local found = string.match(body, spec.chain.pattern)
         if found then
            token = found
         end
      end
      if (spec.max_requests or 0) > 0 and responses >= spec.max_requests then
         wrk.thread:stop()
      end
   end
end

local function json_string(s)
   return '"' .. string.gsub(tostring(s), '[%c"\\]', function(ch)
      return string.format("\\u%04x", string.byte(ch))
   end) .. '"'
end

function done(summary, latency, requests)
   local counted = {}
   for _, thread in ipairs(threads) do
      local seen = thread:get("statuses")
      if type(seen) == "table" then
         for status, count in pairs(seen) do
            counted[status] = (counted[status] or 0) + count
         end
      end
   end
   local parts = {}
   for status, count in pairs(counted) do
      table.insert(parts, json_string(status) .. ": " .. count)
   end
   local e = summary.errors
   local out = assert(io.open(spec.out_file, "w"))
   out:write("{")
   out:write(string.format('"requests": %d, "duration_us": %d, "bytes": %d, ',
      summary.requests, summary.duration, summary.bytes))
   out:write(string.format(
      '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ',
      e.connect, e.read, e.write, e.status, e.timeout))
   out:write(string.format(
      '"latency_us": {"min": %d, "mean": %.1f, "p50": %d, "p90": %d, "p99": %d, "max": %d}, ',
      latency.min, latency.mean, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max))
   out:write('"statuses": {' .. table.concat(parts, ", ") .. '}, ')
   out:write(string.format('"threads": %d', #threads))
   out:write("}\n")
   out:close()
end
