-- wrk script for the Zipf phase of scripts/bench.sh: each request asks for one of N prompts, prompt
-- k (1..N) with probability proportional to 1 / k^s. Use with ONE wrk thread:
--   wrk -t1 -c16 -d<max seconds>s -s scripts/bench/zipf.lua URL -- N S REQUESTS SEED PATH_FORMAT
-- PATH_FORMAT holds one %d for the prompt number, e.g. /zipf/generate?prompt=zipf-7-%d&w=256&h=256&seed=1.
-- The run stops after REQUESTS responses (-d bounds it in time): the thread stops its event loop and
-- sends SIGINT to its own wrk process, because wrk's main thread otherwise sleeps the whole -d. The random
-- generator is seeded with SEED, so both servers get the same sequence of prompts. done() prints
--   ZIPF responses=R ok=O sent=Q distinct=D hit=H miss=M coalesced=C stale=S other=X
-- where hit/miss/... count the X-Cache header of 200 answers (nginx: HIT, MISS, UPDATING -> stale,
-- EXPIRED -> miss; gencache: HIT, MISS, COALESCED, STALE) and distinct the prompts requested.

local ffi = require("ffi")
ffi.cdef[[
int getpid(void);
int kill(int pid, int sig);
]]
local SIGINT = 2

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local cdf, n, limit, fmt
local seen = {}
responses, ok, sent, distinct, hit, miss, coalesced, stale, other = 0, 0, 0, 0, 0, 0, 0, 0, 0

function init(args)
  n = tonumber(args[1]) or 1000
  local s = tonumber(args[2]) or 1.0
  limit = tonumber(args[3]) or 20000
  math.randomseed(tonumber(args[4]) or 42)
  fmt = args[5] or "/generate?prompt=zipf-%d&w=256&h=256&seed=1"
  cdf = {}
  local sum = 0
  for k = 1, n do
    sum = sum + 1 / k ^ s
    cdf[k] = sum
  end
  for k = 1, n do
    cdf[k] = cdf[k] / sum
  end
end

-- Smallest k with cdf[k] >= u (binary search).
local function sample()
  local u = math.random()
  local lo, hi = 1, n
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cdf[mid] < u then lo = mid + 1 else hi = mid end
  end
  return lo
end

function request()
  local k = sample()
  sent = sent + 1
  if not seen[k] then
    seen[k] = true
    distinct = distinct + 1
  end
  return wrk.format("GET", string.format(fmt, k))
end

function response(status, headers, body)
  responses = responses + 1
  if status == 200 then
    ok = ok + 1
    local xc
    for name, value in pairs(headers) do
      if string.lower(name) == "x-cache" then xc = string.upper(value) end
    end
    if xc == "HIT" then hit = hit + 1
    elseif xc == "MISS" or xc == "EXPIRED" then miss = miss + 1
    elseif xc == "COALESCED" then coalesced = coalesced + 1
    elseif xc == "STALE" or xc == "UPDATING" then stale = stale + 1
    else other = other + 1 end
  end
  if responses == limit then
    wrk.thread:stop()
    ffi.C.kill(ffi.C.getpid(), SIGINT)  -- wrk's own handler: ends the -d sleep, then the usual report
  end
end

function done(summary, latency, requests)
  local t = threads[1]
  local function g(name) return t:get(name) or 0 end
  io.write(string.format("ZIPF responses=%d ok=%d sent=%d distinct=%d hit=%d miss=%d coalesced=%d stale=%d other=%d\n",
    g("responses"), g("ok"), g("sent"), g("distinct"), g("hit"), g("miss"), g("coalesced"), g("stale"), g("other")))
end
