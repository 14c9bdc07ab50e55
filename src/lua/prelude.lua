-- The part of the `ps` module written in Lua: pretty printing, gather/map and the
-- REPL's result printer.  Embedded in the binary as prelude.c (regenerate with
-- scripts/embed-lua.sh after editing); it runs once when the engine starts.
local ps = ps
local TASK_MT = debug.getregistry()["ps.Task"]

local function is_ident(s)
  return type(s) == "string" and s:match("^[%a_][%w_]*$") ~= nil
end

local function short_string(s, max)
  if #s > max then
    return string.format("%q", s:sub(1, max)) .. string.format("...(%d bytes)", #s)
  end
  return string.format("%q", s):gsub("\\\n", "\\n")
end

-- ps.inspect(value [, {depth=3, items=50, width=78, strings=200}]) -> string
-- Readable rendering of any value: tables sorted, nested up to `depth`, at most
-- `items` entries per table, long strings cut.  Never calls __tostring on tables.
function ps.inspect(v, opts)
  opts = opts or {}
  local maxdepth = opts.depth or 3
  local maxitems = opts.items or 50
  local width = opts.width or 78
  local maxstr = opts.strings or 200
  local seen = {}

  local function keyorder(a, b)
    local ta, tb = type(a), type(b)
    if ta ~= tb then return ta < tb end
    if ta == "number" or ta == "string" then return a < b end
    return tostring(a) < tostring(b)
  end

  local render
  local function render_table(t, depth, indent)
    if seen[t] then return "<cycle>" end
    if depth >= maxdepth then return "{...}" end
    seen[t] = true
    local parts, n = {}, 0
    local len = #t
    local truncated = 0
    for i = 1, len do
      n = n + 1
      if n > maxitems then truncated = truncated + 1 else
        parts[#parts + 1] = render(t[i], depth + 1, indent .. "  ")
      end
    end
    local keys = {}
    for k in next, t do
      if not (math.type(k) == "integer" and k >= 1 and k <= len) then keys[#keys + 1] = k end
    end
    table.sort(keys, keyorder)
    for _, k in ipairs(keys) do
      n = n + 1
      if n > maxitems then truncated = truncated + 1 else
        local ks = is_ident(k) and k or ("[" .. render(k, maxdepth, "") .. "]")
        parts[#parts + 1] = ks .. " = " .. render(t[k], depth + 1, indent .. "  ")
      end
    end
    seen[t] = nil
    if truncated > 0 then parts[#parts + 1] = string.format("...(%d more)", truncated) end
    if #parts == 0 then return "{}" end
    local flat = "{ " .. table.concat(parts, ", ") .. " }"
    if #flat + #indent <= width and not flat:find("\n") then return flat end
    return "{\n" .. indent .. "  " .. table.concat(parts, ",\n" .. indent .. "  ") .. "\n" .. indent .. "}"
  end

  function render(x, depth, indent)
    local tx = type(x)
    if tx == "string" then return short_string(x, maxstr)
    elseif tx == "table" then return render_table(x, depth, indent)
    elseif tx == "number" or tx == "boolean" or tx == "nil" then return tostring(x)
    else return tostring(x) end
  end
  return render(v, 0, "")
end

-- ps.gather(list [, opts]) -> results
-- Run every function of `list` as a task (Tasks already running are accepted too)
-- and wait for all.  results[i] is the first value returned by list[i] (results.n =
-- #list).  When any task raised, raises after all have finished, naming the first.
function ps.gather(list, opts)
  assert(type(list) == "table", "bad argument #1 to 'gather' (table expected)")
  local tasks, res = {}, { n = #list }
  for i, f in ipairs(list) do
    if type(f) == "function" then
      tasks[i] = ps._spawn_observed(f)
    elseif getmetatable(f) == TASK_MT then
      tasks[i] = f
    else
      error(string.format("bad argument #1 to 'gather' (item %d is a %s, expected a function or a task)", i, type(f)), 2)
    end
  end
  local first_err
  for i, t in ipairs(tasks) do
    local ok, v = pcall(t.wait, t)
    if ok then res[i] = v
    elseif not first_err then first_err = string.format("gather: task %d failed: %s", i, tostring(v)) end
  end
  if first_err then error(first_err, 0) end
  return res
end

-- ps.map(list, fn [, {concurrency=16, label="map", progress=true}]) -> results
-- Call fn(value, index) for every element with at most `concurrency` calls running
-- at once; results[i] = first value of fn(list[i], i), in input order.  A progress
-- bar (ps.progress) counts the elements done, and the tokens and cost of the calls.
function ps.map(list, fn, opts)
  assert(type(list) == "table", "bad argument #1 to 'map' (table expected)")
  assert(type(fn) == "function", "bad argument #2 to 'map' (function expected)")
  local conc = (opts and opts.concurrency) or 16
  assert(math.type(conc) == "integer" and conc >= 1, "bad argument #3 to 'map' (concurrency must be a positive integer)")
  local n, next_i, res = #list, 0, { n = #list }
  local bar = n > 0 and not (opts and opts.progress == false)
    and ps.progress((opts and opts.label) or "map", n, { delay = 0.5 }) or nil
  local function worker()
    while true do
      next_i = next_i + 1
      local i = next_i
      if i > n then return end
      local ok, v = pcall(fn, list[i], i)
      if bar then bar:add(ok and 1 or { done = 1, errors = 1 }) end
      if not ok then error(v, 0) end
      res[i] = v
    end
  end
  local workers = {}
  for w = 1, math.min(conc, n) do workers[w] = worker end
  local ok, err = pcall(ps.gather, workers)
  if bar then bar:finish() end
  if not ok then error(err, 0) end
  return res
end

-- help(): the entries of docs/lua-api.md (compiled in as ps._api_doc), so the
-- REPL's help and the documentation are one text.  An entry is a "### heading"
-- (the signature), its first paragraph (the summary) and its first lua block.
local help_entries
local function help_index()
  if help_entries then return help_entries end
  help_entries = {}
  local cur, in_code, code_lang, para_done
  for line in (ps._api_doc or ""):gmatch("([^\n]*)\n?") do
    if in_code and line:match("^##") then
      in_code = false -- an unclosed block ends at the next heading
    end
    if line:match("^```") then
      if in_code then
        in_code = false
        if cur and code_lang == "lua" then cur.example_done = cur.example ~= nil end
      else
        in_code, code_lang = true, line:match("^```(%w*)")
      end
    elseif in_code then
      if cur and code_lang == "lua" and not cur.example_done then
        cur.example = cur.example or {}
        cur.example[#cur.example + 1] = line
      end
    elseif line:match("^##") then
      local head = line:match("^###%s+(.*)$")
      cur = head and { head = head, summary = {} } or nil
      if cur then help_entries[#help_entries + 1] = cur end
      para_done = false
    elseif cur and not para_done then
      if line:match("^%s*$") then
        para_done = #cur.summary > 0
      else
        cur.summary[#cur.summary + 1] = line
      end
    end
  end
  return help_entries
end

-- The entry whose heading names `name` ("ps.model", "m:chat", "ds:items").
local function help_find(name)
  local pat = "%f[%w_.:]" .. name:gsub("%p", "%%%0") .. "%f[^%w_]"
  for _, e in ipairs(help_index()) do
    if e.head:gsub("`", ""):find(pat) then return e end
  end
end

-- "ps.model" for a function or table reachable from ps (one level of modules).
local function help_name(v)
  for k, x in pairs(ps) do
    if x == v and type(k) == "string" then return "ps." .. k end
  end
  for k, m in pairs(ps) do
    if type(m) == "table" and type(k) == "string" and k:sub(1, 1) ~= "_" then
      for k2, x in pairs(m) do
        if x == v and type(k2) == "string" then return "ps." .. k .. "." .. k2 end
      end
    end
  end
end

-- The signature of a function: its documented heading, else its parameters.
local function fn_signature(f)
  local name = help_name(f)
  local e = name and help_find(name)
  if e then return "function " .. e.head:gsub("`", "") end
  local info = debug.getinfo(f, "Su")
  if info.what == "C" then return name and ("function " .. name .. "(...)") or tostring(f) end
  local params = {}
  for i = 1, info.nparams do params[i] = debug.getlocal(f, i) end
  if info.isvararg then params[#params + 1] = "..." end
  return string.format("function %s(%s)  -- %s:%d", name or "", table.concat(params, ", "),
    info.short_src, info.linedefined)
end
ps._fn_signature = fn_signature

function ps.help(x)
  local name = type(x) == "string" and x or (x ~= nil and help_name(x)) or nil
  if x == nil then
    local heads = {}
    for _, e in ipairs(help_index()) do heads[#heads + 1] = "  " .. e.head:gsub("`", "") end
    print("help(ps.model), help(\"m:chat\") or ?ps.model show an entry of docs/lua-api.md:\n"
      .. table.concat(heads, "\n"))
    return
  end
  if not name and type(x) == "function" then
    print(fn_signature(x))
    return
  end
  local e = name and help_find(name)
  if not e then
    print(string.format("no help for %s (help() lists the topics)", tostring(name or x)))
    return
  end
  local out = { e.head:gsub("`", ""), "", table.concat(e.summary, "\n") }
  if e.example then
    out[#out + 1] = ""
    out[#out + 1] = "Example:"
    for _, l in ipairs(e.example) do out[#out + 1] = "  " .. l end
  end
  print(table.concat(out, "\n"))
end
help = ps.help

-- Used by the REPL to show the values of an expression.
function ps._repl_show(n, ...)
  local out = {}
  for i = 1, n do
    local v = select(i, ...)
    out[i] = type(v) == "string" and string.format("%q", v):gsub("\\\n", "\\n")
      or type(v) == "function" and fn_signature(v) or ps.inspect(v)
  end
  return table.concat(out, "\t")
end
