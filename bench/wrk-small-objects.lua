-- wrk script for the 4 KiB objects of `npm run bench`: wrk -s wrk-small-objects.lua URL -- METHOD PREFIX [KEYS]
-- An upload (PUT or POST) writes new keys PREFIX<thread>-<n>, each body different (its first 16 bytes name
-- the key), and reports in `least` how many answers the slowest thread got; a GET run reads keys 1..KEYS of
-- each thread round and round (wrk builds one request at start that it never sends, so key 0 may be absent).
local threads = {}
local nextid = 0
function setup(thread)
  thread:set("id", nextid)
  nextid = nextid + 1
  table.insert(threads, thread)
end
function init(args)
  method = args[1]; prefix = args[2]; keys = tonumber(args[3] or "0")
  sent = 0; answered = 0; bad = 0
  if method ~= "GET" then
    local t = {}
    for i = 1, 4096 do t[i] = string.char(math.random(0, 255)) end
    body = table.concat(t)
  end
end
function request()
  local n = sent
  sent = sent + 1
  if method == "GET" then return wrk.format("GET", prefix .. id .. "-" .. (1 + n % keys)) end
  local tag = string.format("%-16s", id .. "-" .. n)
  return wrk.format(method, prefix .. id .. "-" .. n, { ["Content-Length"] = "4096" }, tag .. body:sub(17))
end
function response(status, headers, body)
  answered = answered + 1
  if status >= 300 then bad = bad + 1 end
end
function done(summary, latency, requests)
  local b, least = 0, nil
  for _, t in ipairs(threads) do
    b = b + t:get("bad")
    local a = t:get("answered")
    if least == nil or a < least then least = a end
  end
  io.write(string.format("RESULT requests=%d seconds=%f bad=%d least=%d\n", summary.requests, summary.duration / 1e6, b, least))
end
