-- wrk script for bench/mixed.py: replays a sequence of paths (one a line, drawn by
-- mixed.py with Zipf weights) and counts answers by status and X-Page-Cache.
--
--   wrk -t2 -c10 -d20s -s bench/mixed.lua http://127.0.0.1:PORT -- /path/to/paths.txt "User-Agent"
--
-- Each thread starts at its own offset in the sequence and cycles through it. done()
-- prints one JSON line prefixed "MIXED " that mixed.py parses.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local user_agent = args[2] or "Mozilla/5.0"
  requests_ = {}
  for line in io.lines(args[1]) do
    if line ~= "" then
      requests_[#requests_ + 1] = wrk.format("GET", line, { ["User-Agent"] = user_agent })
    end
  end
  position = math.floor(#requests_ * id / 8) -- up to 8 threads start apart
  ok = 0
  redirects = 0
  client_errors = 0
  server_errors = 0
  hits = 0
  misses = 0
end

function request()
  position = position + 1
  if position > #requests_ then
    position = 1
  end
  return requests_[position]
end

function response(status, headers, body)
  if status < 300 then
    ok = ok + 1
  elseif status < 400 then
    redirects = redirects + 1
  elseif status < 500 then
    client_errors = client_errors + 1
  else
    server_errors = server_errors + 1
  end
  local cache = headers["X-Page-Cache"]
  if cache == "hit" then
    hits = hits + 1
  elseif cache == "miss" then
    misses = misses + 1
  end
end

function done(summary, latency, requests)
  local totals = { ok = 0, redirects = 0, client_errors = 0, server_errors = 0, hits = 0, misses = 0 }
  for _, thread in ipairs(threads) do
    for key, _ in pairs(totals) do
      totals[key] = totals[key] + (thread:get(key) or 0)
    end
  end
  local e = summary.errors
  io.write(string.format(
    'MIXED {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"ok": %d, "redirects": %d, "client_errors": %d, "server_errors": %d, "hits": %d, "misses": %d, ' ..
    '"socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, totals.ok, totals.redirects, totals.client_errors,
    totals.server_errors, totals.hits, totals.misses,
    e.connect + e.read + e.write + e.timeout))
end
