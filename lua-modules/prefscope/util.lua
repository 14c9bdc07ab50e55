-- prefscope.util: small helpers for scripts.
--
--   local util = require "prefscope.util"
--   local items = util.collect(ds:items{ label = "unlabeled" })
--   local picked = util.sample(items, 100, 42)
--   util.write_jsonl("out.jsonl", rows)
local M = {}

--- Collect the values of an iterator (e.g. ds:items{...}) into a list; at most
--- `limit` of them when given.  (For generic-for triples such as ipairs(t), the
--- first value each step is collected.)
function M.collect(iter, limit, state, init)
  assert(type(iter) == "function", "util.collect: expected an iterator function")
  if type(limit) ~= "number" then limit, state, init = nil, limit, state end
  local out = {}
  for v in iter, state, init do
    out[#out + 1] = v
    if limit and #out >= limit then break end
  end
  return out
end

--- Count the values of an iterator (or a generic-for triple such as ipairs(t)).
function M.count(iter, state, init)
  assert(type(iter) == "function", "util.count: expected an iterator function")
  local n = 0
  for _ in iter, state, init do n = n + 1 end
  return n
end

-- A small deterministic PRNG (xorshift64*), so that samples are the same on every
-- machine and Lua build for a given seed.
local function rng(seed)
  local s = (math.tointeger(seed) or 1) ~ 0x9E3779B97F4A7C15
  if s == 0 then s = 1 end
  return function(n) -- uniform integer in 1..n
    s = s ~ (s >> 12); s = s ~ (s << 25); s = s ~ (s >> 27)
    local x = (s * 0x2545F4914F6CDD1D) >> 11 -- 53 random bits, non-negative
    return x % n + 1
  end
end

--- A new list with the elements of `list` in a seeded random order.
function M.shuffle(list, seed)
  local out, rand = {}, rng(seed or 1)
  for i, v in ipairs(list) do out[i] = v end
  for i = #out, 2, -1 do
    local j = rand(i)
    out[i], out[j] = out[j], out[i]
  end
  return out
end

--- `k` elements of `list` drawn without replacement (seeded), in list order.
function M.sample(list, k, seed)
  assert(math.type(k) == "integer" and k >= 0, "util.sample: k must be a non-negative integer")
  local idx = {}
  for i = 1, #list do idx[i] = i end
  idx = M.shuffle(idx, seed)
  local chosen = {}
  for i = 1, math.min(k, #idx) do chosen[#chosen + 1] = idx[i] end
  table.sort(chosen)
  local out = {}
  for i, j in ipairs(chosen) do out[i] = list[j] end
  return out
end

--- Write a list of tables as JSON lines.  Returns true or nil, msg.
function M.write_jsonl(path, rows)
  local f, err = io.open(path, "w")
  if not f then return nil, err end
  for _, row in ipairs(rows) do f:write(ps.json.encode(row), "\n") end
  f:close()
  return true
end

--- Read a JSON-lines file into a list of tables.  Returns the list or nil, msg
--- (naming the line of a malformed record).
function M.read_jsonl(path)
  local f, err = io.open(path, "r")
  if not f then return nil, err end
  local out, n = {}, 0
  for line in f:lines() do
    n = n + 1
    if line:match("%S") then
      local v, msg = ps.json.decode(line)
      if v == nil then
        f:close()
        return nil, string.format("%s:%d: %s", path, n, msg)
      end
      out[#out + 1] = v
    end
  end
  f:close()
  return out
end

return M
