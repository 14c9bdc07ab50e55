-- prefscope.recipe: the small framework every recipe (prefscope/recipes/*.lua) is
-- built on, so that each recipe is only its experiment.
--
--   local recipe = require "prefscope.recipe"
--   return recipe.define{
--     name = "position_bias", summary = "...", reproduces = "...", needs = "chat",
--     params = { { "dataset", "string", nil, "dataset to audit", required = true }, ... },
--     run = function(ctx) ... end,          -- ctx.p holds the parsed parameters
--   }
--
-- define() returns a module with main(...) (for `prefscope run -m recipes.NAME`),
-- run(params) (from Lua; params is a table, dry_run = true for the estimate), help()
-- and the spec.  The framework gives every recipe:
--   * the parameter table -> argument parsing (--name value, --name=value, flags)
--     with a one-line error for an unknown option or a bad value, and --help;
--   * --dry-run: ctx:chat_many() sends nothing and answers with placeholders of
--     max_tokens tokens, counting calls and estimated tokens (characters / 4 in,
--     max_tokens out: an upper bound) and cost per model, so multi-stage recipes
--     estimate every stage; writes are skipped (recipes write at the end, through
--     ctx:write(fn), which runs fn in one transaction unless dry);
--   * provenance: ctx:meta{...} is the table stored with every judgment and item a
--     recipe writes (recipe, parameters, model, template, prefscope version);
--   * accounting of real calls (sent, cached, failed, tokens, cost) and --json.
-- Resuming is the LLM cache's job: requests are deterministic (seeded shuffles,
-- `sample` indices), so a rerun after an interruption answers the finished calls
-- from the workspace cache and only the missing ones are sent.
local M = {}

local TYPES = { string = true, number = true, integer = true, flag = true, list = true }
local COMMON = {
  { "dry-run", "flag", false, "print the calls, estimated tokens and cost; send and write nothing" },
  { "json", "flag", false, "print the summary (or the estimate) as JSON" },
  { "help", "flag", false, "show this help" },
}

local function key_of(name) return (name:gsub("-", "_")) end

local function clean(s) -- text for a terminal: no control characters
  return (tostring(s):gsub("[%c\127]", "?"))
end
M.clean = clean

local function fail(spec, msg)
  error({ recipe_error = "recipes." .. spec.name .. ": " .. msg }, 0)
end

--- Raise the one-line error the CLI prints (no traceback).
function M.fail(ctx, msg) fail(ctx.spec, msg) end

local function all_params(spec)
  local out = {}
  for _, p in ipairs(spec.params) do out[#out + 1] = p end
  for _, p in ipairs(COMMON) do out[#out + 1] = p end
  return out
end

local function show_default(p)
  local d = p[3]
  if p.required then return "required" end
  if d == nil then return "none" end
  if type(d) == "table" then return table.concat(d, ",") end
  return tostring(d)
end

function M.help(spec)
  local lines = {
    ("usage: prefscope run -m recipes.%s [--PARAM VALUE ...]"):format(spec.name), "",
    spec.summary or "", "",
  }
  if spec.reproduces then lines[#lines + 1] = "Reproduces: " .. spec.reproduces end
  lines[#lines + 1] = "Needs: " .. (spec.needs or "chat completions")
  lines[#lines + 1] = ""
  lines[#lines + 1] = "Parameters (default in brackets):"
  for _, p in ipairs(all_params(spec)) do
    local arg = p[2] == "flag" and "" or (" " .. (p[2] == "list" and "A,B,..." or p[2]:upper()))
    lines[#lines + 1] = ("  --%-24s %s [%s]"):format(p[1] .. arg, p[4], show_default(p))
  end
  if spec.writes then lines[#lines + 1] = ""; lines[#lines + 1] = "Writes: " .. spec.writes end
  return table.concat(lines, "\n") .. "\n"
end

local function convert(spec, p, v)
  local t = p[2]
  if t == "string" then return v end
  if t == "list" then
    local out = {}
    for part in v:gmatch("[^,]+") do
      part = part:gsub("^%s+", ""):gsub("%s+$", "")
      if part ~= "" then out[#out + 1] = part end
    end
    if #out == 0 then fail(spec, ("--%s expects a comma-separated list"):format(p[1])) end
    return out
  end
  local n = tonumber(v)
  if not n or n ~= n or n == math.huge or n == -math.huge then
    fail(spec, ("--%s expects %s, not '%s'"):format(p[1], t == "integer" and "an integer" or "a number", clean(v)))
  end
  if t == "integer" then
    n = math.tointeger(n)
    if not n then fail(spec, ("--%s expects an integer, not '%s'"):format(p[1], clean(v))) end
  end
  if p.min and n < p.min then fail(spec, ("--%s must be >= %s"):format(p[1], p.min)) end
  if p.max and n > p.max then fail(spec, ("--%s must be <= %s"):format(p[1], p.max)) end
  return n
end

--- Parse command-line arguments into a parameter table (defaults filled in).
function M.parse_args(spec, argv)
  local by = {}
  for _, p in ipairs(all_params(spec)) do by[p[1]] = p end
  local out = {}
  local i = 1
  while i <= #argv do
    local a = argv[i]
    local name, val = a:match("^%-%-([%w%-_]+)=(.*)$")
    if not name then name = a:match("^%-%-([%w%-_]+)$") end
    if not name then
      fail(spec, ("unexpected argument '%s' (parameters are --NAME VALUE; see --help)"):format(clean(a)))
    end
    local p = by[name] or by[name:gsub("_", "-")]
    if not p then fail(spec, ("unknown parameter --%s (see --help)"):format(clean(name))) end
    if p[2] == "flag" then
      if val ~= nil then fail(spec, ("--%s takes no value"):format(p[1])) end
      out[key_of(p[1])] = true
      i = i + 1
    else
      if val == nil then
        val = argv[i + 1]
        if val == nil then fail(spec, ("--%s needs a value"):format(p[1])) end
        i = i + 2
      else
        i = i + 1
      end
      out[key_of(p[1])] = convert(spec, p, val)
    end
  end
  return out
end

-- Fill defaults and check required parameters and types of a Lua-given table.
local function complete(spec, given)
  local p = {}
  for k, v in pairs(given or {}) do p[key_of(k)] = v end
  for _, d in ipairs(all_params(spec)) do
    local k = key_of(d[1])
    if p[k] == nil then
      if d.required and not p.help then fail(spec, ("--%s is required (see --help)"):format(d[1])) end
      local def = d[3]
      if type(def) == "table" then def = table.move(def, 1, #def, 1, {}) end
      p[k] = def
    elseif d[2] == "list" and type(p[k]) == "string" then
      p[k] = convert(spec, d, p[k])
    elseif (d[2] == "number" or d[2] == "integer") and type(p[k]) == "string" then
      p[k] = convert(spec, d, p[k])
    end
  end
  local known = {}
  for _, d in ipairs(all_params(spec)) do known[key_of(d[1])] = true end
  for k in pairs(p) do
    if not known[k] then fail(spec, ("unknown parameter %s"):format(clean(k))) end
  end
  return p
end

-- ---------------------------------------------------------------- the context
local Ctx = {}
Ctx.__index = Ctx

--- A model handle by config name; a clear error when the config lacks it.
function Ctx:model(name)
  local cache = self.models
  if cache[name] then return cache[name] end
  local m, err = ps.model(name)
  if not m then fail(self.spec, ("model '%s': %s (see prefscope models)"):format(clean(name), clean(err))) end
  cache[name] = m
  return m
end

--- The dataset named by a parameter; a clear error when it does not exist.
function Ctx:dataset(name)
  local ds, err = ps.dataset(name)
  if not ds then fail(self.spec, ("dataset '%s': %s"):format(clean(name), clean(err))) end
  return ds
end

--- The dataset's pairs (M.pairs_of) under the recipe's --sample and --seed; a clear
--- error when there is none.
function Ctx:pairs(ds)
  local items = M.pairs_of(ds, self.p.sample, self.p.seed)
  if #items == 0 then fail(self.spec, ("dataset '%s' has no pairs with text"):format(clean(ds.name))) end
  return items
end

local function acct(self, model_name)
  local a = self.per_model[model_name]
  if not a then
    a = { calls = 0, cached = 0, errors = 0, tokens_in = 0, tokens_out = 0, cost = 0, priced = true }
    self.per_model[model_name] = a
    self.model_order[#self.model_order + 1] = model_name
  end
  return a
end

local function req_chars(req)
  local n = #(req.system or "") + #(req.prompt or "")
  for _, m in ipairs(req.messages or {}) do n = n + #(m.content or "") end
  return n
end

--- Send a list of chat requests to a model (by name) and wait for all: results[i]
--- answers reqs[i] (failed ones have ok = false).  Dry run: nothing is sent; every
--- answer is a placeholder of max_tokens tokens (`placeholder = true`).
function Ctx:chat_many(model_name, reqs)
  local m = self:model(model_name)
  local a = acct(self, model_name)
  if #reqs == 0 then return { n = 0 } end
  if self.dry_run then
    local out = { n = #reqs }
    for i, r in ipairs(reqs) do
      local mt = r.max_tokens or 256
      a.calls = a.calls + 1
      a.tokens_in = a.tokens_in + math.ceil(req_chars(r) / 4)
      a.tokens_out = a.tokens_out + mt
      if m.price_in and m.price_out then
        a.cost = a.cost + (math.ceil(req_chars(r) / 4) * m.price_in + mt * m.price_out) / 1e6
      else
        a.priced = false
      end
      out[i] = { ok = true, placeholder = true, text = string.rep("x ", mt // 2), choices = {} }
    end
    return out
  end
  ps.ui.status(("%s: %d calls to %s"):format(self.spec.name, #reqs, model_name))
  local rs = m:chat_many(reqs)
  for i = 1, #reqs do
    local r = rs[i]
    a.calls = a.calls + 1
    if r.cached then a.cached = a.cached + 1 end
    if not r.ok then
      a.errors = a.errors + 1
      self.first_error = self.first_error or clean(r.error or r.kind or "error")
    end
    if r.usage then
      a.tokens_in = a.tokens_in + (r.usage.prompt_tokens or 0)
      a.tokens_out = a.tokens_out + (r.usage.completion_tokens or 0)
    end
    if r.cost then a.cost = a.cost + r.cost elseif not r.cached then a.priced = m.price_in ~= nil and a.priced end
  end
  return rs
end

--- Note a call made outside chat_many (e.g. m:score) for the accounting; in a dry
--- run, count it with the given estimate instead.
function Ctx:count_call(model_name, res, est_in, est_out)
  local a = acct(self, model_name)
  local m = self:model(model_name)
  a.calls = a.calls + 1
  if self.dry_run then
    a.tokens_in = a.tokens_in + (est_in or 0)
    a.tokens_out = a.tokens_out + (est_out or 0)
    if m.price_in and m.price_out then
      a.cost = a.cost + ((est_in or 0) * m.price_in + (est_out or 0) * m.price_out) / 1e6
    else
      a.priced = false
    end
    return
  end
  if not res or res.ok == false then
    a.errors = a.errors + 1
    self.first_error = self.first_error or clean(res and (res.error or res.kind) or "error")
    return
  end
  if res.cached then a.cached = a.cached + 1 end
  if res.usage then
    a.tokens_in = a.tokens_in + (res.usage.prompt_tokens or 0)
    a.tokens_out = a.tokens_out + (res.usage.completion_tokens or 0)
  end
  if res.cost then a.cost = a.cost + res.cost end
end

--- The provenance stored with what the recipe writes: recipe, parameters, the
--- fields of `extra` (model, template, ...) and the prefscope version.
function Ctx:meta(extra)
  local params = {}
  for k, v in pairs(self.p) do
    if k ~= "dry_run" and k ~= "json" and k ~= "help" then params[k] = v end
  end
  local t = { recipe = self.spec.name, params = params, prefscope = ps.version }
  for k, v in pairs(extra or {}) do t[k] = v end
  return t
end

--- The dataset a recipe writes to: `existing` when there is one, else a new dataset
--- `name` with source "recipes.NAME from FROM", format "recipe" and meta =
--- ctx:meta(extra).
function Ctx:output(existing, name, from, extra)
  if existing then return existing end
  local ds, err = ps.create_dataset(name, { source = ("recipes.%s from %s"):format(self.spec.name, from.name),
                                            format = "recipe", meta = self:meta(extra) })
  if not ds then fail(self.spec, ("output dataset '%s': %s"):format(clean(name), clean(err))) end
  return ds
end

--- Run fn() in one transaction, unless this is a dry run (then nothing happens).
function Ctx:write(fn)
  if self.dry_run then return end
  return ps.transaction(fn)
end

local function totals(ctx)
  local t = { calls = 0, cached = 0, errors = 0, tokens_in = 0, tokens_out = 0, cost = 0, priced = true }
  local per = {}
  for _, name in ipairs(ctx.model_order) do
    local a = ctx.per_model[name]
    for _, k in ipairs{ "calls", "cached", "errors", "tokens_in", "tokens_out", "cost" } do t[k] = t[k] + a[k] end
    t.priced = t.priced and a.priced
    per[#per + 1] = { model = name, calls = a.calls, cached = a.cached, errors = a.errors,
                      tokens_in = a.tokens_in, tokens_out = a.tokens_out,
                      cost = a.priced and a.cost or ps.json.null }
  end
  return t, per
end

local function fmt_cost(c, priced)
  return priced and ("$%.4f"):format(c) or "unknown (no price_in/price_out in the config)"
end

local function print_calls(ctx, dry)
  local t, per = totals(ctx)
  for _, a in ipairs(per) do
    print(("  %s: %d calls%s, %s%d tokens in, %s%d out, cost %s"):format(clean(a.model), a.calls,
      dry and "" or (" (%d from cache, %d failed)"):format(a.cached, a.errors),
      dry and "~" or "", a.tokens_in, dry and "<=" or "", a.tokens_out,
      fmt_cost(a.cost ~= ps.json.null and a.cost or 0, a.cost ~= ps.json.null)))
  end
  print(("  total: %d calls, %d tokens in, %d out, cost %s"):format(t.calls, t.tokens_in, t.tokens_out,
    fmt_cost(t.cost, t.priced)))
end

--- Run a recipe with a parameter table; returns the summary table (for a dry run
--- {dry_run = true, calls =, tokens_in =, tokens_out =, cost =, models = {...}}).
local function run(spec, given, quiet)
  local p = complete(spec, given)
  local ctx = setmetatable({ spec = spec, p = p, dry_run = p.dry_run and true or false, models = {},
                             per_model = {}, model_order = {} }, Ctx)
  local result = spec.run(ctx) or {}
  local t, per = totals(ctx)
  result.recipe = spec.name
  result.calls = { total = t.calls, cached = t.cached, errors = t.errors, tokens_in = t.tokens_in,
                   tokens_out = t.tokens_out, cost = t.priced and t.cost or ps.json.null, models = per }
  result.first_error = ctx.first_error
  if ctx.dry_run then result.dry_run = true end
  if not quiet then
    if p.json then
      print(ps.json.encode(result))
    else
      if ctx.dry_run then
        print(("recipes.%s: dry run, nothing sent or written"):format(spec.name))
        print_calls(ctx, true)
        print("  (tokens in ~ characters / 4; tokens out counted at max_tokens: an upper bound)")
      else
        if spec.report then spec.report(result, ctx) end
        print("calls:")
        print_calls(ctx, false)
      end
    end
  end
  return result, ctx
end

--- Define a recipe: validates the spec and returns the module.
function M.define(spec)
  assert(type(spec.name) == "string" and type(spec.run) == "function", "recipe.define: name and run")
  for _, p in ipairs(spec.params) do
    assert(TYPES[p[2]], "recipe.define: bad type of parameter " .. tostring(p[1]))
  end
  local mod = { spec = spec }
  function mod.help() return M.help(spec) end
  --- From Lua: recipes.NAME.run{dataset = "x", judges = {"a", "b"}, dry_run = true}
  function mod.run(params, quiet)
    local ok, res = pcall(run, spec, params, quiet == nil and true or quiet)
    if ok then return res end
    if type(res) == "table" and res.recipe_error then return nil, res.recipe_error end
    error(res, 0)
  end
  function mod.main(...)
    local argv = { ... }
    local ok, res = pcall(function()
      local p = M.parse_args(spec, argv)
      if p.help then
        io.write(M.help(spec))
        return { exit = 0 }
      end
      return run(spec, p, false)
    end)
    if not ok then
      if type(res) == "table" and res.recipe_error then
        io.stderr:write("prefscope: ", res.recipe_error, "\n")
        return 2
      end
      error(res, 0)
    end
    if res.exit then return res.exit end
    if res.calls and res.calls.errors > 0 then
      io.stderr:write(("prefscope: recipes.%s: %d calls failed (first: %s); run the same command again to retry them\n")
        :format(spec.name, res.calls.errors, tostring(res.first_error)))
      return 1
    end
    return 0
  end
  return mod
end

-- ------------------------------------------------------------- shared helpers

--- A seeded generator (the same stream on every platform): rng(n) -> 1..n.
function M.rng(seed)
  local state = (seed or 1) & 0x7fffffffffffffff
  return function(n)
    state = (state * 6364136223846793005 + 1442695040888963407) & 0x7fffffffffffffff
    return (state >> 16) % n + 1
  end
end

--- The items of a dataset with at least two responses with text, optionally a seeded
--- sample of `n` of them (0 or nil = all), in dataset order.
function M.pairs_of(ds, n, seed)
  local items = {}
  for it in ds:items() do
    local r = it.responses
    if #r >= 2 and r[1].text and r[2].text then items[#items + 1] = it end
  end
  return M.sample_list(items, n, seed)
end

--- A seeded sample of n elements of a list, kept in list order (n = 0 or nil: all).
function M.sample_list(items, n, seed)
  if n and n > 0 and n < #items then
    local rnd = M.rng(seed)
    local idx = {}
    for k = 1, #items do idx[k] = k end
    for k = 1, n do
      local j = k - 1 + rnd(#items - k + 1)
      idx[k], idx[j] = idx[j], idx[k]
    end
    local pick = {}
    for k = 1, n do pick[k] = idx[k] end
    table.sort(pick)
    local out = {}
    for k, i in ipairs(pick) do out[k] = items[i] end
    items = out
  end
  return items
end

--- Whether an item already holds a judgment by `annotator` presented as (a, b).
function M.has_judgment(it, annotator, a, b)
  for _, j in ipairs(it.judgments) do
    if j.annotator == annotator and j.a == a and j.b == b then return true end
  end
  return false
end

--- An annotator's label of an item's pair (1, 2) as `prefscope stats` reads it: its
--- first judgment presented as (1, 2), else its first as (2, 1) turned around.
--- Invalid and absent labels are false.
function M.label_of(it, annotator)
  local flip = { A = "B", B = "A", tie = "tie", invalid = "invalid" }
  local rev
  for _, j in ipairs(it.judgments) do
    if j.annotator == annotator then
      if j.a == 1 and j.b == 2 then return j.verdict ~= "invalid" and j.verdict or false end
      if j.a == 2 and j.b == 1 and rev == nil then rev = flip[j.verdict] end
    end
  end
  return (rev and rev ~= "invalid") and rev or false
end

--- Judge items with a pairwise judge model: every presentation of `orders` (default
--- {{1, 2}}) the annotator has not judged yet is sent (temperature 0, opts.template,
--- opts.max_tokens); returns a batch for judge_store.
function M.judge_send(ctx, model, annotator, items, opts)
  local judge = require "prefscope.judge"
  local tasks, reqs = {}, {}
  for _, it in ipairs(items) do
    for _, o in ipairs(opts.orders or { { 1, 2 } }) do
      if not M.has_judgment(it, annotator, o[1], o[2]) then
        local system, user = judge.prompt(it, o[1], o[2], opts.template)
        tasks[#tasks + 1] = { item = it, a = o[1], b = o[2] }
        reqs[#reqs + 1] = { system = system, messages = { { role = "user", content = user } },
                            temperature = 0, max_tokens = opts.max_tokens }
      end
    end
  end
  return { model = model, annotator = annotator, template = opts.template, tasks = tasks,
           results = ctx:chat_many(model, reqs) }
end

--- Store the verdicts of a judge_send batch (call inside ctx:write): the answer as
--- rationale, meta = provenance with model, template (and order when swapped ones
--- exist).  Failed calls are skipped (the rerun retries them).
function M.judge_store(ctx, batch)
  local judge = require "prefscope.judge"
  for k, t in ipairs(batch.tasks) do
    local r = batch.results[k]
    if r.ok then
      local v = judge.parse(r.text or "")
      assert(t.item:judge{ a = t.a, b = t.b, verdict = v, p_a = M.verdict_p(v), annotator = batch.annotator,
        rationale = r.text, meta = ctx:meta{ model = batch.model, template = batch.template,
                                             order = t.a < t.b and "original" or "swapped" } })
    end
  end
end

--- p_a of a verdict (nil for invalid).
function M.verdict_p(v)
  if v == "A" then return 1 elseif v == "B" then return 0 elseif v == "tie" then return 0.5 end
  return nil
end

--- A rating in an answer: the last "Rating: N" (any case; "N/A" gives nil, "n/a"),
--- else the last "[[N]]"; nil, "none" when there is none and nil, "range" outside
--- lo..hi.
function M.parse_rating(text, lo, hi)
  local last
  for v in text:gmatch("[Rr][Aa][Tt][Ii][Nn][Gg]%s*:%s*%**%s*([%-%w/%.]+)") do last = v end
  if not last then
    for v in text:gmatch("%[%[%s*([%d%.]+)%s*%]%]") do last = v end
  end
  if not last then return nil, "none" end
  if last:upper() == "N/A" or last:upper() == "NA" then return nil, "n/a" end
  local n = tonumber((last:gsub("%.$", "")))
  if not n then return nil, "none" end
  if n < lo or n > hi then return nil, "range" end
  return n
end

--- Split an answer rating several texts ("Text 1 / Rating: N / Rationale: ..."
--- blocks) into {[k] = {rating = n | nil, na = bool, rationale = s}}.
function M.parse_rating_blocks(text, lo, hi)
  local out, cur = {}, nil
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    local k = line:match("^%s*[#*%s]*[Tt]ext%s+(%d+)")
    if k then
      cur = { rationale = "" }
      out[tonumber(k)] = out[tonumber(k)] or cur
    elseif cur then
      local r = line:match("^%s*%**[Rr]ating%**%s*:%s*%**%s*(.-)%s*$")
      local why = line:match("^%s*%**[Rr]ationale%**%s*:%s*(.-)%s*$")
      if r then
        local v, why_not = M.parse_rating("Rating: " .. r, lo, hi)
        cur.rating, cur.na = v, why_not == "n/a"
      elseif why then
        cur.rationale = why
      elseif line:match("%S") and cur.rationale ~= "" then
        cur.rationale = cur.rationale .. " " .. line:gsub("^%s+", "")
      end
    end
  end
  return out
end

--- The chat request that continues an item's conversation (system, earlier turns,
--- the prompt), with the fields of `extra`.
function M.chat_request(item, extra)
  local msgs = {}
  for _, turn in ipairs(type(item.history) == "table" and item.history or {}) do
    if type(turn) == "table" and type(turn.content) == "string" then
      msgs[#msgs + 1] = { role = turn.role == "assistant" and "assistant" or "user", content = turn.content }
    end
  end
  msgs[#msgs + 1] = { role = "user", content = item.prompt or "" }
  local req = { messages = msgs }
  if item.system and item.system ~= "" then req.system = item.system end
  for k, v in pairs(extra or {}) do req[k] = v end
  return req
end

--- The items of a dataset with a prompt, optionally a seeded sample (see pairs_of).
function M.prompts_of(ds, n, seed)
  local items = {}
  for it in ds:items() do
    if it.prompt and it.prompt ~= "" then items[#items + 1] = it end
  end
  return M.sample_list(items, n, seed)
end

--- Stop with the feature error unless the model can score given text (one probe
--- call; skipped in a dry run).  `why` names the recipe's need.
function M.check_scoring(ctx, model_name, why)
  if ctx.dry_run then return end
  local r, msg, full = ctx:model(model_name):score{ prompt = "The sky is", completion = " blue." }
  if not r then
    fail(ctx.spec, ("model '%s' cannot score given text (%s): %s needs vLLM prompt_logprobs or "
      .. "/v1/completions with echo + logprobs"):format(clean(model_name),
      clean(full and full.error or msg or "no logprobs"), why))
  end
end

--- Log-likelihoods of texts after prompts: jobs = {{model=, prompt=, text=}, ...};
--- returns a list of {score=, tokens=} or false (failed; counted as an error), all
--- sent at most `concurrency` at a time.  Dry run: counted, all false.
function M.score_texts(ctx, jobs, concurrency)
  return ps.map(jobs, function(j)
    if ctx.dry_run then
      ctx:count_call(j.model, nil, math.ceil((#j.prompt + #j.text) / 4), 1)
      return false
    end
    local res, _, full = ctx:model(j.model):score{ prompt = j.prompt, completion = j.text }
    ctx:count_call(j.model, res or full)
    return res and { score = res.score, tokens = res.tokens } or false
  end, { concurrency = concurrency or 16 })
end

--- Stop with the feature error unless the model answers reward scores (vLLM's
--- /pooling; one probe call, cached; skipped in a dry run).
function M.check_reward(ctx, model_name)
  if ctx.dry_run then return end
  local r, msg, full = ctx:model(model_name):reward{ prompt = "Say hi.", response = "Hi!" }
  if not r then
    fail(ctx.spec, ("model '%s' gives no reward scores: %s"):format(clean(model_name),
      clean(full and full.error or msg or "no reward")))
  end
end

--- Reward-model scores of responses: jobs = {{item=, text=}, ...} (the item's
--- conversation with text as the assistant's answer); returns a list of scores or
--- false (failed; counted as an error), at most the model's concurrency at a time.
--- Dry run: counted with an estimate, all false.
function M.reward_texts(ctx, model_name, jobs)
  local m = ctx:model(model_name)
  return ps.map(jobs, function(j)
    local req = M.chat_request(j.item, { response = j.text })
    if ctx.dry_run then
      ctx:count_call(model_name, nil, math.ceil((#(j.item.prompt or "") + #j.text) / 4), 0)
      return false
    end
    local res, _, full = m:reward(req)
    ctx:count_call(model_name, res or full)
    return res and res.reward or false
  end, { concurrency = m.concurrency or 16, label = "reward " .. model_name })
end

--- The annotator name of a judge model: pattern with {model} replaced.
function M.annotator(pattern, model)
  return (pattern:gsub("{model}", function() return model end))
end

return M
