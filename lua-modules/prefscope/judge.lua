-- prefscope.judge: LLM-as-judge from Lua, and juries of judges.
--
--   local judge = require "prefscope.judge"
--   judge.parse("... [[B]]")                 --> "B", "brackets"
--   local sys, user = judge.prompt(item, 1, 2, "pairwise")
--   judge.run{ dataset = ds, model = "gpt", swap = true }    -- like `prefscope judge`
--   judge.jury{ dataset = ds, judges = { "llm:a", "llm:b", "llm:c" }, annotator = "jury:abc" }
--
-- Definitions (templates, the parser, how judgments are stored) are in
-- docs/evaluation.md; the statistics over the results are ps.stats.report(ds, ...).
local M = {}

local VERDICTS = { A = true, B = true, tie = true, invalid = true }

--- Parse a judge's answer: returns "A", "B", "tie" or "invalid", and the rule that
--- decided ("json", "brackets", "output", "bare", "keyword", "none").
function M.parse(text)
  assert(type(text) == "string", "judge.parse: text must be a string")
  return ps.stats.parse_verdict(text)
end

--- Majority vote of a list of labels ("A", "B", "tie"; "invalid" and false are
--- missing); a tie for most votes goes to the label voted first.  nil when none.
function M.majority(labels)
  return ps.stats.majority(labels)
end

-- The request as the annotator saw it: system prompt, earlier turns, final prompt.
local function instruction(item)
  local parts, context = {}, false
  if item.system and item.system ~= "" then
    parts[#parts + 1] = "[system]\n" .. item.system .. "\n\n"
    context = true
  end
  for _, turn in ipairs(type(item.history) == "table" and item.history or {}) do
    if type(turn) == "table" and type(turn.content) == "string" then
      parts[#parts + 1] = "[" .. tostring(turn.role or "turn") .. "]\n" .. turn.content .. "\n\n"
      context = true
    end
  end
  if context then parts[#parts + 1] = "[user]\n" end
  parts[#parts + 1] = item.prompt or ""
  return table.concat(parts)
end

--- The system prompt and user message of a pairwise template for responses i and j
--- (1-based) of an item, presented in that order.  template: a name under
--- templates/judge/ ("pairwise", "pairwise_cot", "pairwise_json", "pairwise_strict")
--- or a file path.
function M.prompt(item, i, j, template)
  template = template or "pairwise"
  local name = template:find("/", 1, true) and template or ("judge/" .. template)
  local ri, rj = item.responses[i], item.responses[j]
  assert(ri and rj, "judge.prompt: the item has no responses " .. tostring(i) .. " and " .. tostring(j))
  local vars = {
    instruction = instruction(item), prompt = item.prompt or "", system = item.system or "",
    a = ri.text or "", b = rj.text or "",
  }
  local sections = assert(ps.template.sections(name))
  local has = {}
  for _, s in ipairs(sections) do has[s] = true end
  local system = has.system and assert(ps.template.render(name, vars, "system")) or nil
  local user = assert(ps.template.render(name, vars, has.user and "user" or nil))
  return system, user
end

local function model_of(m)
  if type(m) == "string" or (type(m) == "table" and getmetatable(m) == nil) then
    local obj, err = ps.model(m)
    if not obj then error("judge: model " .. tostring(m) .. ": " .. tostring(err), 3) end
    return obj
  end
  return m
end

local function verdict_p(v)
  if v == "A" then return 1 elseif v == "B" then return 0 elseif v == "tie" then return 0.5 end
  return nil
end

-- Ask the model about one presented pair; returns verdict, rule, text | nil, err.
local function ask(model, item, i, j, opts)
  local system, user = M.prompt(item, i, j, opts.template)
  local res, err = model:chat{
    system = system, messages = { { role = "user", content = user } },
    temperature = 0, max_tokens = opts.max_tokens or 1024,
  }
  if not res then return nil, err end
  if res.error then return nil, res.error.message or tostring(res.error) end
  local verdict, rule = M.parse(res.text or "")
  return verdict, rule, res.text
end

--- Judge one pair of an item (i, j default 1, 2); with swap = true also the reversed
--- order.  Returns a list of {a=, b=, verdict=, rule=, text=} in presented order,
--- or nil, err.  Nothing is stored.
function M.pair(opts)
  local model = model_of(opts.model)
  local item, i, j = opts.item, opts.a or 1, opts.b or 2
  local out = {}
  local orders = opts.swap and { { i, j }, { j, i } } or { { i, j } }
  for _, o in ipairs(orders) do
    local v, rule, text = ask(model, item, o[1], o[2], opts)
    if not v then return nil, rule end
    out[#out + 1] = { a = o[1], b = o[2], verdict = v, rule = rule, text = text, swap = o[1] > o[2] }
  end
  return out
end

--- Judge a dataset like `prefscope judge`: every item's responses 1 and 2 (with
--- swap = true in both orders), stored as judgments of `annotator` (default
--- "llm:<model name>") in presented order, the answer as rationale.  Items already
--- judged by the annotator in that order are skipped.  sample = N judges N items drawn
--- with a seeded shuffle (seed, default 1).  Calls run concurrently (ps.map).
--- Returns {requests=, judged=, A=, B=, tie=, invalid=, errors=, first_error=}.
function M.run(opts)
  local ds = assert(opts.dataset, "judge.run: dataset is required")
  if type(ds) == "string" then ds = assert(ps.dataset(ds)) end
  local model = model_of(assert(opts.model, "judge.run: model is required"))
  local annotator = opts.annotator
    or ("llm:" .. (type(opts.model) == "string" and opts.model or tostring(model.name or "model")))
  local chosen
  if opts.sample then
    local n = #ds
    local idx = {}
    for k = 1, n do idx[k] = k end
    local rng_state = opts.seed or 1
    local function rnd(m) -- a small LCG: reproducible across runs, not across tools
      rng_state = (rng_state * 6364136223846793005 + 1442695040888963407) & 0x7fffffffffffffff
      return (rng_state >> 16) % m
    end
    chosen = {}
    for k = 1, math.min(opts.sample, n) do
      local r = k + rnd(n - k + 1)
      idx[k], idx[r] = idx[r], idx[k]
      chosen[idx[k]] = true
    end
  end
  local tasks = {}
  for it in ds:items() do
    if (not chosen or chosen[it.seq]) and #it.responses >= 2 and it.responses[1].text and it.responses[2].text then
      local done = {}
      for _, jd in ipairs(it.judgments) do
        if jd.annotator == annotator then done[jd.a .. ":" .. jd.b] = true end
      end
      local orders = opts.swap and { { 1, 2 }, { 2, 1 } } or { { 1, 2 } }
      for _, o in ipairs(orders) do
        if not done[o[1] .. ":" .. o[2]] then tasks[#tasks + 1] = { item = it, a = o[1], b = o[2] } end
      end
    end
  end
  local summary = { requests = #tasks, judged = 0, A = 0, B = 0, tie = 0, invalid = 0, errors = 0 }
  local results = ps.map(tasks, function(t)
    local v, rule, text = ask(model, t.item, t.a, t.b, opts)
    if v == "invalid" then ps.progress.note{ invalid = 1 } end -- shown on the bar
    return { v = v, rule = rule, text = text }
  end, { label = "judge " .. annotator })
  for k, t in ipairs(tasks) do
    local r = results[k]
    if r and r.v then
      t.item:judge{ a = t.a, b = t.b, verdict = r.v, p_a = verdict_p(r.v), annotator = annotator,
                    rationale = r.text }
      summary.judged = summary.judged + 1
      summary[r.v] = summary[r.v] + 1
    else
      summary.errors = summary.errors + 1
      summary.first_error = summary.first_error or (r and r.rule) or "error"
    end
  end
  return summary
end

--- A jury: the majority vote of several annotators' stored judgments, written as
--- judgments of `annotator` (default "jury"), one per unit (pair of responses) in
--- canonical order (lower response index first).  Each judge's label on a unit is
--- its first judgment in canonical order, else its first judgment turned around
--- (the same rule as ps.stats.report); invalid labels do not vote.  A tie for most
--- votes goes to the judge listed first.  Units no judge labelled are skipped.
--- Returns {units=, written=, unanimous=, split=}.
function M.jury(opts)
  local ds = assert(opts.dataset, "judge.jury: dataset is required")
  if type(ds) == "string" then ds = assert(ps.dataset(ds)) end
  local judges = assert(opts.judges, "judge.jury: judges (a list of annotator names) is required")
  assert(#judges >= 1, "judge.jury: at least one judge")
  local annotator = opts.annotator or "jury"
  local flip = { A = "B", B = "A", tie = "tie", invalid = "invalid" }
  local out = { units = 0, written = 0, unanimous = 0, split = 0 }
  for it in ds:items() do
    local units, order = {}, {}
    for _, jd in ipairs(it.judgments) do
      local lo, hi = math.min(jd.a, jd.b), math.max(jd.a, jd.b)
      local key = lo .. ":" .. hi
      if not units[key] then units[key] = { lo = lo, hi = hi, labels = {}, rev = {} }; order[#order + 1] = key end
      local u = units[key]
      local canon = jd.a < jd.b
      local v = canon and jd.verdict or flip[jd.verdict]
      if u.labels[jd.annotator] == nil or (u.rev[jd.annotator] and canon) then
        u.labels[jd.annotator] = v
        u.rev[jd.annotator] = not canon
      end
    end
    for _, key in ipairs(order) do
      local u = units[key]
      local votes, any = {}, false
      for k, name in ipairs(judges) do
        local v = u.labels[name]
        votes[k] = (v and v ~= "invalid") and v or false
        any = any or votes[k] ~= false
      end
      if any then
        out.units = out.units + 1
        local v = M.majority(votes)
        local agree = true
        for _, x in ipairs(votes) do if x and x ~= v then agree = false end end
        if agree then out.unanimous = out.unanimous + 1 else out.split = out.split + 1 end
        if not opts.dry_run then
          assert(it:judge{ a = u.lo, b = u.hi, verdict = v, p_a = verdict_p(v), annotator = annotator,
                           rationale = "majority of " .. table.concat(judges, ", ") })
          out.written = out.written + 1
        end
      end
    end
  end
  return out
end

M.VERDICTS = VERDICTS
--- The request as the annotator saw it (system prompt, earlier turns, final prompt).
M.instruction = instruction
return M
