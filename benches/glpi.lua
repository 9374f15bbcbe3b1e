-- wrk script for benches/run.sh. MODE selects the request; TOKEN is a GLPI session token.
local token = os.getenv("TOKEN") or ""
local mode = os.getenv("MODE") or "health"
local maxid = tonumber(os.getenv("MAXID") or "1000")
local serials = {}
local f = io.open(os.getenv("SERIALS") or "", "r")
if f then
  for line in f:lines() do serials[#serials + 1] = line end
  f:close()
end
local uais = {}
local g = io.open(os.getenv("UAIS") or "", "r")
if g then
  for line in g:lines() do uais[#uais + 1] = line end
  g:close()
end

init = function(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

request = function()
  local path
  if mode == "health" then
    path = "/health"
  elseif mode == "item" then
    path = "/apirest.php/Computer/" .. math.random(1, maxid)
  elseif mode == "search" then
    -- a technician looking for a machine of one lycée by part of its name
    local uai = uais[math.random(1, #uais)]
    path = "/apirest.php/search/Computer?criteria[0][field]=1&criteria[0][searchtype]=contains&criteria[0][value]="
      .. uai .. "-PC-0" .. math.random(0, 3) .. "&range=0-19"
  elseif mode == "list" then
    -- pages a client walks through: the first 250 pages
    local start = 20 * math.random(0, 249)
    path = "/apirest.php/Computer?range=" .. start .. "-" .. (start + 19)
  elseif mode == "deeplist" then
    -- a random page anywhere in the fleet (OFFSET cost grows with depth)
    local start = math.random(0, maxid - 25)
    path = "/apirest.php/Computer?range=" .. start .. "-" .. (start + 19)
  elseif mode == "serial" then
    path = "/apirest.php/search/Computer?criteria[0][field]=5&criteria[0][searchtype]=contains&criteria[0][value]=^"
      .. serials[math.random(1, #serials)] .. "$&forcedisplay[0]=2"
  end
  return wrk.format("GET", path, { ["Session-Token"] = token })
end

done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout
  io.write(string.format("RESULT %-7s %8.1f req/s  p50 %7.2f ms  p95 %7.2f ms  p99 %7.2f ms  errors %d\n",
    mode, summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, errors))
end
