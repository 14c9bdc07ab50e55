-- prefscope.c3po: the critique workbench's pipeline (C3PO / RLVF, DESIGN.md section 7).
--
--   ps.c3po.generate{ feedback = id, model = "gpt", completion_model = "local" }
--   ps.c3po.export{ feedback = { id }, format = "c3po", path = "out.jsonl" }
--   ps.c3po.evaluate{ feedback = id, candidate = "revised", judge = "gpt" }
--
-- Every stage reads what is stored and asks only for what is missing, and every call
-- goes through the workspace's LLM cache, so a run that was killed resumes where it
-- stopped.  Items are tied to their feedback and category by id; failures are stored
-- on the item (column `error`) and retried by the next run.  Templates, their
-- variables and answer shapes, the CLI and the export formats: docs/critiques.md.
local M = {}
local c3po = ps.c3po

M.DEFAULTS = {
  categories = 30, in_scope = 960, near_scope = 960, out_scope = 960, out_batch = 40,
  test_fraction = 0.1, temperature = 0.7, top_p = 0.7, list_max_tokens = 4096,
  response_max_tokens = 600, max_topups = 3, concurrency = 64, roles = {},
}

M.TEMPLATES = { "split", "categories", "in_prompts", "near_prompts", "out_prompts", "baseline",
                "revise", "in_context", "cot", "judge" }

---------------------------------------------------------------------------- parsing

local LABELS = {
  THOUGHTS = true, CATEGORIES = true, REVISED_CATEGORIES = true, PROMPTS = true,
  REVISED_PROMPTS = true, EXPLANATION = true, IMPROVED_RESPONSE = true, RESPONSE = true,
  BETTER_RESPONSE = true, DOMAIN = true, EFFECT = true,
}

-- A label at the start of a line ("REVISED_CATEGORIES:", "**Revised categories:**",
-- "## PROMPTS:"): the normalized label and the rest of the line, or nil.
local function label_of(line)
  local head, rest = line:match("^[%s#%*_]*([%a][%a _%-]-)[%s%*_]*:[%s%*_]*(.*)$")
  if not head then return nil end
  local norm = head:upper():gsub("[%s%-]+", "_")
  if LABELS[norm] then return norm, rest end
  return nil
end

--- The labelled parts of an answer: { LABEL = text, ... } plus order = { labels }.
--- Text before the first label is under "".
function M.parse_sections(text)
  local out, order, cur, buf = {}, {}, "", {}
  local function flush()
    local s = table.concat(buf, "\n"):gsub("^%s+", ""):gsub("%s+$", "")
    if out[cur] == nil then out[cur] = s; order[#order + 1] = cur end
  end
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    local lab, rest = label_of(line)
    if lab then
      flush()
      cur, buf = lab, { rest }
    else
      buf[#buf + 1] = line
    end
  end
  flush()
  out.order = order
  return out
end

local function clean_item(s)
  s = s:gsub("^%s+", ""):gsub("%s+$", "")
  s = s:gsub("^%*%*(.-)%*%*$", "%1")
  s = s:gsub('^"(.*)"$', "%1"):gsub("^“(.*)”$", "%1")
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

-- Items of a list: numbered ("1." "1)" "(1)" "1:"), bulleted, or one per line when
-- nothing is numbered.  Continuation lines of a numbered item are joined to it.
local function list_items(s)
  local items, numbered = {}, false
  for line in (s .. "\n"):gmatch("([^\n]*)\n") do
    if line:match("^%s*%(?%d+[%.%):]%s+%S") or line:match("^%s*[%-%*]%s+%S") or line:match("^%s*•%s*%S") then
      numbered = true
      break
    end
  end
  for line in (s .. "\n"):gmatch("([^\n]*)\n") do
    local body = line:match("^%s*%(?%d+[%.%):]%s+(.-)%s*$") or line:match("^%s*[%-%*]%s+(.-)%s*$")
      or line:match("^%s*•%s*(.-)%s*$")
    if body then
      items[#items + 1] = clean_item(body)
    elseif numbered and #items > 0 and line:match("%S") then
      items[#items] = items[#items] .. " " .. clean_item(line)
    elseif not numbered and line:match("%S") then
      items[#items + 1] = clean_item(line)
    end
  end
  local out = {}
  for _, it in ipairs(items) do if it ~= "" then out[#out + 1] = it end end
  return out
end

--- The list under the first label of `labels` that the answer has (e.g.
--- {"REVISED_PROMPTS", "PROMPTS"}); without any of them, the numbered lines of the
--- whole answer.  Returns the items and the label used ("" for the fallback).
function M.parse_list(text, labels)
  local sec = M.parse_sections(text or "")
  for _, lab in ipairs(labels) do
    if sec[lab] and sec[lab] ~= "" then
      local items = list_items(sec[lab])
      if #items > 0 then return items, lab end
    end
  end
  local items = {}
  for line in ((text or "") .. "\n"):gmatch("([^\n]*)\n") do
    local body = line:match("^%s*%(?%d+[%.%):]%s+(.-)%s*$")
    if body and not label_of(line) then items[#items + 1] = clean_item(body) end
  end
  return items, ""
end

--- EXPLANATION: then IMPROVED_RESPONSE: -> critique, revised | nil, msg.
--- Everything after the IMPROVED_RESPONSE label is the response (it may contain
--- lines that look like labels).
function M.parse_revision(text, label)
  label = label or "IMPROVED_RESPONSE"
  text = text or ""
  local pos, rest_start
  for s, line, e in text:gmatch("()([^\n]*)()") do
    local lab, rest = label_of(line)
    if lab == label then pos = s; rest_start = e - #rest; break end
  end
  if not pos then return nil, "no " .. label .. ": in the answer" end
  local response = text:sub(rest_start):gsub("^%s+", ""):gsub("%s+$", "")
  if response == "" then return nil, "empty " .. label end
  local sec = M.parse_sections(text:sub(1, pos - 1))
  local critique = sec.EXPLANATION or sec[""] or ""
  return critique, response
end

--- BETTER_RESPONSE: n -> n (1..5), explanation | nil, msg
function M.parse_judge(text)
  local sec = M.parse_sections(text or "")
  local v = sec.BETTER_RESPONSE and sec.BETTER_RESPONSE:match("([1-5])")
  if not v then return nil, "no BETTER_RESPONSE: 1-5 in the answer" end
  return tonumber(v), sec.EXPLANATION or ""
end

--- DOMAIN: / EFFECT: -> domain, effect | nil, msg
function M.parse_split(text)
  local sec = M.parse_sections(text or "")
  local d, e = sec.DOMAIN and clean_item(sec.DOMAIN:match("[^\n]*")), sec.EFFECT and clean_item(sec.EFFECT:match("[^\n]*"))
  if not d or d == "" or not e or e == "" then return nil, "no DOMAIN: and EFFECT: lines in the answer" end
  return d, e
end

---------------------------------------------------------------------------- a run

local function opt(opts, k) if opts[k] ~= nil then return opts[k] end return M.DEFAULTS[k] end

local function model_of(m, what)
  if m == nil then return nil end
  if type(m) == "string" or (type(m) == "table" and getmetatable(m) == nil) then
    local obj, err = ps.model(m)
    if not obj then error("c3po: " .. what .. " " .. tostring(m) .. ": " .. tostring(err), 3) end
    return obj
  end
  return m
end

local function template_name(run, name)
  if run.templates then
    local path = run.templates .. "/" .. name .. ".txt"
    local f = io.open(path, "r")
    if f then f:close(); return path end
  end
  return "c3po/" .. name
end

-- A template's sections, read once per run: { system = text|nil, user = text }, the
-- same split as ps.template (lines "--- name ---"; one newline before a header is
-- trimmed; a blank part before the first header is dropped).
local function template_parts(run, tn)
  local parts = run.tcache[tn]
  if parts then return parts end
  local text = assert(ps.template.load(tn))
  local secs, order, cur, buf = {}, {}, "", {}
  local function flush()
    local body = table.concat(buf, "\n")
    if cur ~= "" or body:match("%S") then secs[cur] = body; order[#order + 1] = cur end
  end
  local lines = {}
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do lines[#lines + 1] = line end
  for _, line in ipairs(lines) do
    local name = line:gsub("\r$", ""):match("^%-%-%- ([%w_%-%.]+) %-%-%-$")
    if name then
      flush()
      cur, buf = name, {}
    else
      buf[#buf + 1] = line
    end
  end
  flush()
  parts = { system = secs.system, user = secs.user or secs[""] }
  if not parts.user then error("c3po: template " .. tn .. " has no user part", 0) end
  run.tcache[tn] = parts
  return parts
end

local function render(run, name, vars)
  local tn = template_name(run, name)
  local parts = template_parts(run, tn)
  local system = parts.system and ps.template.render_string(parts.system, vars) or nil
  return system, ps.template.render_string(parts.user, vars), tn
end

--- The system and user messages of template `name` (c3po/<name>, or DIR/<name>.txt
--- with `templates`) for `vars`, as the pipeline sends them.
function M.render(name, vars, templates)
  return render({ templates = templates, tcache = {} }, name, vars)
end

local function fnv(s)
  local h = 2166136261
  for i = 1, #s do h = ((h ~ s:byte(i)) * 16777619) & 0xffffffff end
  return h
end

local function split_of(run, prompt)
  local key = prompt:lower():gsub("%s+", " ")
  return (fnv(key) % 1000) < run.test_fraction * 1000 and "test" or "train"
end

local function new_run(opts)
  local run = {
    opts = opts, templates = opts.templates, concurrency = opt(opts, "concurrency"),
    test_fraction = opt(opts, "test_fraction"), max_topups = opt(opts, "max_topups"),
    calls = 0, cached = 0, errors = 0, tokens = 0, cost = 0, has_cost = false,
    t0 = ps.now(), failures = {}, stage = "", stage_total = 0, stage_done = 0, stages = {},
    tcache = {},
  }
  return run
end

local function progress(run)
  if run.quiet then return end
  -- the bar (ps.progress) adds rate, ETA, tokens, cost and errors of the calls itself
  ps.ui.progress(run.stage_done, run.stage_total, "c3po " .. run.stage)
end

-- Start a stage: the progress bar's label and total, and the time per stage
-- (summary.stages) so a slow stage shows.
local function stage(run, name, total)
  local now = ps.now()
  local last = run.stages[#run.stages]
  if last and not last.seconds then last.seconds = (now - last.t0) / 1000; last.t0 = nil; last.calls = run.calls - last.calls end
  run.stages[#run.stages + 1] = { stage = name, t0 = now, calls = run.calls }
  run.stage, run.stage_total, run.stage_done = name, total, 0
  if total > 0 then progress(run) end
end

local function stages_done(run)
  stage(run, "end", 0)
  run.stages[#run.stages] = nil
  return run.stages
end

-- One chat call.  Returns text, provenance | nil, error message (class: message).
local function call(run, model, tmpl, vars, sampling)
  local system, user, tn = render(run, tmpl, vars)
  local req = {
    system = system, messages = { { role = "user", content = user } },
    temperature = sampling.temperature, top_p = sampling.top_p, max_tokens = sampling.max_tokens,
    sample = sampling.sample,
  }
  local res, err, full = model:chat(req)
  run.calls = run.calls + 1
  run.stage_done = run.stage_done + 1
  local r = res or full
  if r and r.usage then run.tokens = run.tokens + (r.usage.total_tokens or 0) end
  if r and r.cost then run.cost = run.cost + r.cost; run.has_cost = true end
  if res and res.cached then run.cached = run.cached + 1 end
  local prov = {
    model = model.name, model_id = model.model, template = tn, temperature = sampling.temperature,
    top_p = sampling.top_p, max_tokens = sampling.max_tokens, sample = sampling.sample,
    call_id = r and r.call_id or nil,
  }
  if not res then
    run.errors = run.errors + 1
    progress(run)
    return nil, string.format("%s: %s", full and full.kind or "error", tostring(err)), prov
  end
  progress(run)
  return res.text or "", prov
end

local function fail(run, stage_name, what, msg, item)
  run.failures[#run.failures + 1] = { stage = stage_name, what = what, error = msg, item = item }
end

local function avoid_text(list)
  if #list == 0 then return "(none)" end
  local parts = {}
  for i, s in ipairs(list) do parts[i] = "- " .. s end
  return "\n" .. table.concat(parts, "\n")
end

local function list_sampling(run)
  return { temperature = opt(run.opts, "temperature"), top_p = opt(run.opts, "top_p"),
           max_tokens = opt(run.opts, "list_max_tokens") }
end

local function response_sampling(run)
  return { temperature = opt(run.opts, "temperature"), top_p = opt(run.opts, "top_p"),
           max_tokens = opt(run.opts, "response_max_tokens") }
end

local function texts(rows, field)
  local out = {}
  for i, r in ipairs(rows) do out[i] = r[field] end
  return out
end

---------------------------------------------------------------------------- stages

-- Domain and effect proposed by the LLM when either is missing (recorded as an edit
-- by llm:<model>, so the user's later edits and the proposal are both kept).
local function stage_split(run, fb)
  if fb.domain and fb.domain ~= "" and fb.effect and fb.effect ~= "" then return fb end
  stage(run, "split", 1)
  local text, prov = call(run, run.model, "split", { feedback = fb.feedback }, list_sampling(run))
  if not text then fail(run, "split", "feedback " .. fb.id, prov); return nil end
  local d, e = M.parse_split(text)
  if not d then fail(run, "split", "feedback " .. fb.id, "parse: " .. e); return nil end
  local author = "llm:" .. run.model.name
  if not fb.domain or fb.domain == "" then assert(c3po.feedback_edit(fb.id, "domain", d, author)) end
  if not fb.effect or fb.effect == "" then assert(c3po.feedback_edit(fb.id, "effect", e, author)) end
  return assert(c3po.feedback(fb.id))
end

local function stage_categories(run, fb)
  local want = opt(run.opts, "categories")
  local cats = c3po.categories(fb.id)
  stage(run, "categories", want > #cats and 1 or 0)
  local attempt = 0
  while #cats < want and attempt <= run.max_topups do
    local need = want - #cats
    local sampling = list_sampling(run)
    sampling.sample = attempt > 0 and attempt or nil
    local text, prov = call(run, run.model, "categories", {
      domain = fb.domain, effect = fb.effect, content = fb.feedback, count = tostring(need),
      avoid = avoid_text(texts(cats, "text")) }, sampling)
    if not text then fail(run, "categories", "feedback " .. fb.id, prov); return cats end
    local items = M.parse_list(text, { "REVISED_CATEGORIES", "CATEGORIES" })
    local added = 0
    for _, s in ipairs(items) do
      if added >= need then break end
      local _, is_new = assert(c3po.category_add(fb.id, s, { provenance = prov }))
      if is_new then added = added + 1 end
    end
    cats = c3po.categories(fb.id)
    attempt = attempt + 1
    if #cats < want and attempt <= run.max_topups then run.stage_total = run.stage_total + 1 end
  end
  if #cats < want then
    fail(run, "categories", "feedback " .. fb.id,
         string.format("short list: %d of %d categories after %d follow-up calls", #cats, want, run.max_topups))
  end
  return cats
end

-- How many prompts each category gets: `total` spread evenly, the first ones one more.
local function quotas(cats, total)
  local q, n = {}, #cats
  if n == 0 then return q end
  local base, extra = total // n, total % n
  for i, c in ipairs(cats) do q[c.id] = base + (i <= extra and 1 or 0) end
  return q
end

-- Add parsed prompts (up to `need` new ones) in one transaction; returns the new
-- prompts.  Duplicates of any prompt of the feedback are skipped by the store.
local function add_prompts(run, fb, scope, cat_id, items, need, prov)
  local added = {}
  ps.transaction(function()
    for _, p in ipairs(items) do
      if #added >= need then break end
      local _, is_new = assert(c3po.item_add{ feedback = fb.id, scope = scope, category = cat_id, prompt = p,
                                              split = split_of(run, p), meta = { provenance = { prompt = prov } } })
      if is_new then added[#added + 1] = p end
    end
  end)
  return added
end

local function stage_scoped_prompts(run, fb, cats, scope)
  local total = opt(run.opts, scope == "in" and "in_scope" or "near_scope")
  local tmpl = scope == "in" and "in_prompts" or "near_prompts"
  local q = quotas(cats, total)
  local mine_by = {}
  for _, it in ipairs(c3po.items(fb.id, { scope = scope })) do
    if it.category_id then
      mine_by[it.category_id] = mine_by[it.category_id] or {}
      table.insert(mine_by[it.category_id], it.prompt)
    end
  end
  local todo = {}
  for _, c in ipairs(cats) do
    mine_by[c.id] = mine_by[c.id] or {}
    if #mine_by[c.id] < q[c.id] then todo[#todo + 1] = c end
  end
  stage(run, scope .. "-scope prompts", #todo)
  ps.map(todo, function(c)
    local mine = mine_by[c.id]
    for attempt = 0, run.max_topups do
      local need = q[c.id] - #mine
      if need <= 0 then return end
      if attempt > 0 then run.stage_total = run.stage_total + 1 end
      local sampling = list_sampling(run)
      sampling.sample = attempt > 0 and attempt or nil
      local text, prov = call(run, run.model, tmpl, {
        domain = fb.domain, effect = fb.effect, content = fb.feedback, category = c.text,
        count = tostring(need), avoid = avoid_text(mine) }, sampling)
      if not text then fail(run, scope .. " prompts", "category " .. c.id, prov); return end
      local items = M.parse_list(text, { "REVISED_PROMPTS", "PROMPTS" })
      for _, p in ipairs(add_prompts(run, fb, scope, c.id, items, need, prov)) do mine[#mine + 1] = p end
    end
    if #mine < q[c.id] then
      fail(run, scope .. " prompts", "category " .. c.id,
           string.format("short list: %d of %d prompts after %d follow-up calls", #mine, q[c.id], run.max_topups))
    end
  end, { concurrency = run.concurrency })
end

local function stage_out_prompts(run, fb)
  local total = opt(run.opts, "out_scope")
  local have = #c3po.items(fb.id, { scope = "out" })
  if have >= total then stage(run, "out-of-scope prompts", 0); return end
  if run.opts.out_from then
    -- sampled from a dataset's prompts (seeded); the list is the same for every
    -- feedback given the same dataset and seed, the responses are per feedback
    local ds = run.opts.out_from
    if type(ds) == "string" then
      local d, err = ps.dataset(ds)
      if not d then fail(run, "out prompts", "dataset " .. ds, err); return end
      ds = d
    end
    local seqs = {}
    for i = 1, #ds do seqs[i] = i end
    local util = require "prefscope.util"
    seqs = util.shuffle(seqs, run.opts.seed or 42)
    stage(run, "out-of-scope prompts", 0)
    ps.transaction(function()
      for _, seq in ipairs(seqs) do
        if have >= total then break end
        local it = ds:item(seq)
        if it and it.prompt and it.prompt:match("%S") then
          local _, is_new = assert(c3po.item_add{ feedback = fb.id, scope = "out", prompt = it.prompt,
                                                  split = split_of(run, it.prompt),
                                                  meta = { provenance = { prompt = { dataset = ds.name, item = it.id } } } })
          if is_new then have = have + 1 end
        end
      end
    end)
    if have < total then
      fail(run, "out prompts", "dataset " .. ds.name, string.format("only %d usable prompts of %d wanted", have, total))
    end
    return
  end
  -- generated in batches: batch k is the request with sample index k, the same for
  -- every feedback (the requests do not mention it), so the list is shared through
  -- the cache; the first batches go out at once, top-ups follow one by one
  local batch = opt(run.opts, "out_batch")
  local first = math.ceil(total / batch)
  local function ask(k)
    local sampling = list_sampling(run)
    sampling.sample = k > 0 and k or nil
    local text, prov = call(run, run.model, "out_prompts", { count = tostring(batch), avoid = "(none)" }, sampling)
    return { text = text, prov = prov }
  end
  local ks = {}
  for k = 0, first - 1 do ks[#ks + 1] = k end
  stage(run, "out-of-scope prompts", #ks)
  local res = ps.map(ks, ask, { concurrency = run.concurrency })
  local k = first
  local i = 1
  while have < total do
    local r
    if i <= #res then
      r = res[i]
      i = i + 1
    elseif k < first + run.max_topups then
      run.stage_total = run.stage_total + 1
      r = ask(k)
      k = k + 1
    else
      break
    end
    if not r.text then fail(run, "out prompts", "feedback " .. fb.id, r.prov); return end
    local items = M.parse_list(r.text, { "REVISED_PROMPTS", "PROMPTS" })
    have = have + #add_prompts(run, fb, "out", nil, items, total - have, r.prov)
  end
  if have < total then
    fail(run, "out prompts", "feedback " .. fb.id,
         string.format("short list: %d of %d prompts after %d follow-up calls", have, total, run.max_topups))
  end
end

-- The completion stages: which column, template, variables and parser.
local ROLES = {
  baseline = { field = "baseline", template = "baseline",
               vars = function(fb, it) return { prompt = it.prompt } end },
  revised = { field = "revised", template = "revise", needs = "baseline",
              vars = function(fb, it) return { prompt = it.prompt, response = it.baseline, effect = fb.effect,
                                               domain = fb.domain, content = fb.feedback } end,
              parse = function(text) return M.parse_revision(text, "IMPROVED_RESPONSE") end },
  in_context = { field = "in_context", template = "in_context",
                 vars = function(fb, it) return { prompt = it.prompt, content = fb.feedback, effect = fb.effect } end },
  cot = { field = "cot", template = "cot",
          vars = function(fb, it) return { prompt = it.prompt, content = fb.feedback, effect = fb.effect } end,
          parse = function(text) return M.parse_revision(text, "RESPONSE") end },
}

local function complete_one(run, fb, it, role, sample)
  local r = ROLES[role]
  local sampling = response_sampling(run)
  sampling.sample = sample
  local text, prov = call(run, run.completion, r.template, r.vars(fb, it), sampling)
  if not text then return nil, role .. ": " .. prov end
  local critique, value = nil, text
  if r.parse then
    local a, b = r.parse(text)
    if not a then return nil, role .. ": parse: " .. b end
    critique, value = a, b
  end
  return { value = value, critique = critique, prov = prov, raw = text }
end

local function store_role(it, role, out, author)
  local r = ROLES[role]
  local set = author and c3po.item_edit or c3po.item_set
  assert(set(it.id, r.field, out.value, author))
  if role == "revised" then assert(set(it.id, "critique", out.critique, author)) end
  if role == "cot" then assert(c3po.item_meta(it.id, { cot_explanation = out.critique })) end
  assert(c3po.item_meta(it.id, { provenance = { [role] = out.prov } }))
end

local function stage_role(run, fb, role)
  local r = ROLES[role]
  local todo = {}
  for _, it in ipairs(c3po.items(fb.id)) do
    if (it[r.field] == nil or it[r.field] == "") and (not r.needs or (it[r.needs] and it[r.needs] ~= "")) then
      todo[#todo + 1] = it
    end
  end
  stage(run, role, #todo)
  local results = ps.map(todo, function(it)
    local out, err = complete_one(run, fb, it, role, nil)
    return out or { err = err }
  end, { concurrency = run.concurrency })
  ps.transaction(function()
    for i, it in ipairs(todo) do
      local out = results[i]
      if out.err then
        assert(c3po.item_set(it.id, "error", out.err))
        fail(run, role, "item " .. it.id, out.err, it.id)
      else
        store_role(it, role, out)
        if it.error and it.error:sub(1, #role + 1) == role .. ":" then assert(c3po.item_set(it.id, "error", nil)) end
      end
    end
  end)
end

---------------------------------------------------------------------------- plan (dry run)

local function estimate_tokens(run, tmpl, vars)
  local ok, system, user = pcall(render, run, tmpl, vars)
  if not ok then return 0 end
  return math.ceil(((system and #system or 0) + #user) / 4)
end

local function plan(run, fb)
  local cats = c3po.categories(fb.id)
  local ncat = opt(run.opts, "categories")
  local items = c3po.items(fb.id)
  local by = { ["in"] = 0, near = 0, out = 0 }
  local have_role = { baseline = 0, revised = 0, in_context = 0, cot = 0 }
  for _, it in ipairs(items) do
    by[it.scope] = by[it.scope] + 1
    for role, r in pairs(ROLES) do if it[r.field] and it[r.field] ~= "" then have_role[role] = have_role[role] + 1 end end
  end
  local want = { ["in"] = opt(run.opts, "in_scope"), near = opt(run.opts, "near_scope"), out = opt(run.opts, "out_scope") }
  local total_prompts = want["in"] + want.near + want.out
  local per_cat = math.ceil(want["in"] / math.max(ncat, 1))
  local lst = opt(run.opts, "list_max_tokens")
  local rsp = opt(run.opts, "response_max_tokens")
  local sample_vars = { domain = fb.domain or fb.feedback, effect = fb.effect or fb.feedback, content = fb.feedback,
                        category = "a category of about forty characters here", count = tostring(per_cat),
                        avoid = "(none)", prompt = string.rep("x", 200), response = string.rep("x", 4 * rsp / 2),
                        feedback = fb.feedback }
  local stages = {}
  local function add(name, model, calls, tmpl, out_tokens)
    if calls <= 0 then return end
    local tin = estimate_tokens(run, tmpl, sample_vars)
    stages[#stages + 1] = { stage = name, model = model.name, calls = calls, input_tokens = calls * tin,
                            output_tokens = calls * out_tokens,
                            cost = model.price_in and (calls * (tin * model.price_in + out_tokens * model.price_out) / 1e6) or nil }
  end
  if not (fb.domain and fb.domain ~= "" and fb.effect and fb.effect ~= "") then add("split", run.model, 1, "split", 40) end
  if #cats < ncat then add("categories", run.model, 1, "categories", 12 * (ncat - #cats) * 2 + 150) end
  local ncat_eff = math.max(#cats, ncat)
  if by["in"] < want["in"] then add("in-scope prompts", run.model, ncat_eff, "in_prompts", per_cat * 35 * 2 + 150) end
  if by.near < want.near then add("near-scope prompts", run.model, ncat_eff, "near_prompts", per_cat * 35 * 2 + 150) end
  if by.out < want.out and not run.opts.out_from then
    local b = opt(run.opts, "out_batch")
    add("out-of-scope prompts", run.model, math.ceil((want.out - by.out) / b), "out_prompts", b * 35 * 2)
  end
  local n = math.max(total_prompts, #items)
  add("baseline", run.completion, n - have_role.baseline, "baseline", rsp // 2)
  add("revised", run.completion, n - have_role.revised, "revise", rsp // 2 + 80)
  for _, role in ipairs(run.roles) do
    if role ~= "baseline" and role ~= "revised" then
      add(role, run.completion, n - have_role[role], ROLES[role].template, rsp // 2)
    end
  end
  local tot = { calls = 0, input_tokens = 0, output_tokens = 0, cost = 0, cost_known = true }
  for _, s in ipairs(stages) do
    tot.calls = tot.calls + s.calls
    tot.input_tokens = tot.input_tokens + s.input_tokens
    tot.output_tokens = tot.output_tokens + s.output_tokens
    if s.cost then tot.cost = tot.cost + s.cost else tot.cost_known = false end
  end
  if not tot.cost_known then tot.cost = nil end
  tot.cost_known = nil
  return { feedback = fb.id, stages = stages, total = tot }
end

---------------------------------------------------------------------------- generate

--- Run the chain for one feedback (or a list): split (when domain or effect is
--- missing), categories, in/near/out-of-scope prompts, baselines, revisions, and the
--- optional roles ("in_context", "cot").  Options: feedback (id or list), model
--- (categories and prompts), completion_model (responses; default model),
--- categories, in_scope, near_scope, out_scope, out_batch, out_from (a dataset whose
--- prompts are sampled for out-of-scope), seed, roles, temperature, top_p,
--- list_max_tokens, response_max_tokens, max_topups, concurrency, test_fraction,
--- templates (a directory overriding templates by file name), stages (a list of
--- stage names to run), dry_run (returns the plan: calls, tokens, cost per stage),
--- quiet.  Returns a summary table (per feedback: counts, calls, failures).
function M.generate(opts)
  assert(type(opts) == "table", "c3po.generate: options table expected")
  local ids = type(opts.feedback) == "table" and opts.feedback or { opts.feedback }
  assert(#ids > 0 and ids[1], "c3po.generate: feedback (an id or a list of ids) is required")
  local run = new_run(opts)
  run.quiet = opts.quiet
  run.model = model_of(assert(opts.model, "c3po.generate: model is required"), "model")
  run.completion = model_of(opts.completion_model, "completion_model") or run.model
  run.roles = opts.roles or {}
  for _, role in ipairs(run.roles) do
    if not ROLES[role] then error("c3po.generate: unknown role '" .. tostring(role) .. "' (in_context, cot)", 2) end
  end
  local want_stage
  if opts.stages then
    want_stage = {}
    for _, s in ipairs(opts.stages) do want_stage[s] = true end
  end
  local function runs(s) return not want_stage or want_stage[s] end
  local out = { feedback = {}, calls = 0, cached = 0, errors = 0, tokens = 0, cost = nil, failures = run.failures }
  for _, id in ipairs(ids) do
    local fb = c3po.feedback(id)
    if not fb then error("c3po.generate: no feedback with id " .. tostring(id), 2) end
    if opts.dry_run then
      out.feedback[#out.feedback + 1] = plan(run, fb)
    else
      if runs("split") then fb = stage_split(run, fb) end
      if fb and fb.domain and fb.effect then
        local cats = runs("categories") and stage_categories(run, fb) or c3po.categories(fb.id)
        if runs("prompts") or runs("in") then stage_scoped_prompts(run, fb, cats, "in") end
        if runs("prompts") or runs("near") then stage_scoped_prompts(run, fb, cats, "near") end
        if runs("prompts") or runs("out") then stage_out_prompts(run, fb) end
        if runs("baseline") then stage_role(run, fb, "baseline") end
        if runs("revised") then stage_role(run, fb, "revised") end
        for _, role in ipairs(run.roles) do if runs(role) then stage_role(run, fb, role) end end
        local f = assert(c3po.feedback(fb.id))
        out.feedback[#out.feedback + 1] = {
          id = f.id, categories = f.n_categories, ["in"] = f.n_in, near = f.n_near, out = f.n_out, failed = f.failed,
        }
      elseif fb == nil then
        out.feedback[#out.feedback + 1] = { id = id, failed = 1 }
      else
        fail(run, "split", "feedback " .. id, "no domain or effect (edit the feedback or run the split stage)")
      end
    end
  end
  if not run.quiet and not opts.dry_run then ps.ui.progress(0, 0) end
  out.calls, out.cached, out.errors, out.tokens = run.calls, run.cached, run.errors, run.tokens
  if run.has_cost then out.cost = run.cost end
  out.seconds = (ps.now() - run.t0) / 1000
  if not opts.dry_run then out.stages = stages_done(run) end
  return out
end

--- Regenerate one item's baseline and revision (a fresh sample, not the cached
--- answer); the previous texts stay in the edit history (author regenerate:<user>).
--- The item goes back to pending.  Returns true | nil, msg.
function M.regenerate(opts)
  local it = assert(c3po.item(assert(opts.item, "c3po.regenerate: item is required")))
  local fb = assert(c3po.feedback(it.feedback_id))
  local run = new_run(opts)
  run.quiet = true
  run.model = model_of(assert(opts.model, "c3po.regenerate: model is required"), "model")
  run.completion = model_of(opts.completion_model, "completion_model") or run.model
  local author = "regenerate:" .. (opts.author or ps.user)
  local n = 0
  for _, e in ipairs(c3po.edits("critique", it.id)) do
    if e.author:sub(1, 11) == "regenerate:" and e.field == "baseline" then n = n + 1 end
  end
  local sample = 1000 + n -- never the sample a generation run used
  local base, err = complete_one(run, fb, it, "baseline", sample)
  if not base then c3po.item_set(it.id, "error", err); return nil, err end
  store_role(it, "baseline", base, author)
  it = assert(c3po.item(it.id))
  local rev, err2 = complete_one(run, fb, it, "revised", sample)
  if not rev then c3po.item_set(it.id, "error", err2); return nil, err2 end
  store_role(it, "revised", rev, author)
  if it.status ~= "pending" then assert(c3po.item_edit(it.id, "status", "pending", author)) end
  if it.error then c3po.item_set(it.id, "error", nil) end
  return true
end

---------------------------------------------------------------------------- export

local function user_msg(text) return { { role = "user", content = text } } end
local function asst_msg(text) return { { role = "assistant", content = text } } end

M.EXPORT_FORMATS = { c3po = true, dpo = true, sft = true, combined = true }

--- Write accepted items as JSONL.  Options: feedback (id or list), format ("c3po",
--- "dpo", "sft", "combined"), path ("-" = stdout), split ("train" default for the
--- training formats, "all" default for combined; "test", "all"), flip (dpo: add
--- near- and out-of-scope rows with chosen = baseline, rejected = revision).
--- Returns {rows=, items=, skipped=, by_scope={in=,near=,out=}}.
function M.export(opts)
  local fmt = opts.format or "c3po"
  if not M.EXPORT_FORMATS[fmt] then return nil, "unknown export format '" .. tostring(fmt) .. "' (c3po, dpo, sft, combined)" end
  local ids = type(opts.feedback) == "table" and opts.feedback or { opts.feedback }
  local split = opts.split or (fmt == "combined" and "all" or "train")
  if split ~= "train" and split ~= "test" and split ~= "all" then return nil, "split must be train, test or all" end
  local rows, summary = {}, { rows = 0, items = 0, skipped = 0, by_scope = { ["in"] = 0, near = 0, out = 0 } }
  for _, id in ipairs(ids) do
    local fb = c3po.feedback(id)
    if not fb then return nil, "no feedback with id " .. tostring(id) end
    local by = { ["in"] = {}, near = {}, out = {} }
    for _, it in ipairs(c3po.items(id, { status = "accepted", split = split ~= "all" and split or nil })) do
      local has_base = it.baseline ~= nil and it.baseline ~= ""
      local has_rev = it.revised ~= nil and it.revised ~= ""
      local usable = has_base and (it.scope ~= "in" or has_rev)
      if fmt == "dpo" and opts.flip and it.scope ~= "in" then usable = usable and has_rev end
      if usable then by[it.scope][#by[it.scope] + 1] = it else summary.skipped = summary.skipped + 1 end
    end
    for s, l in pairs(by) do summary.by_scope[s] = summary.by_scope[s] + #l end
    if fmt == "c3po" then
      local n = math.min(#by["in"], #by.near, #by.out)
      for i = 1, n do
        local a, h, o = by["in"][i], by.near[i], by.out[i]
        rows[#rows + 1] = {
          prompt = user_msg(a.prompt), chosen = asst_msg(a.revised), rejected = asst_msg(a.baseline),
          hard_negative = { { role = "user", content = h.prompt }, { role = "assistant", content = h.baseline } },
          soft_negative = { { role = "user", content = o.prompt }, { role = "assistant", content = o.baseline } },
        }
      end
      summary.items = summary.items + 3 * n
      summary.skipped = summary.skipped + (#by["in"] - n) + (#by.near - n) + (#by.out - n)
    elseif fmt == "dpo" then
      for _, it in ipairs(by["in"]) do
        rows[#rows + 1] = { prompt = user_msg(it.prompt), chosen = asst_msg(it.revised), rejected = asst_msg(it.baseline) }
      end
      summary.items = summary.items + #by["in"]
      if opts.flip then
        for _, s in ipairs({ "near", "out" }) do
          for _, it in ipairs(by[s]) do
            rows[#rows + 1] = { prompt = user_msg(it.prompt), chosen = asst_msg(it.baseline), rejected = asst_msg(it.revised) }
          end
          summary.items = summary.items + #by[s]
        end
      else
        summary.skipped = summary.skipped + #by.near + #by.out
      end
    elseif fmt == "sft" then
      for _, s in ipairs({ "in", "near", "out" }) do
        for _, it in ipairs(by[s]) do
          rows[#rows + 1] = { prompt = user_msg(it.prompt), completion = asst_msg(s == "in" and it.revised or it.baseline) }
        end
        summary.items = summary.items + #by[s]
      end
    else
      for _, s in ipairs({ "in", "near", "out" }) do
        for _, it in ipairs(by[s]) do
          rows[#rows + 1] = {
            feedback_id = fb.id, feedback = fb.feedback, domain = fb.domain, effect = fb.effect,
            feedback_scope = fb.scope, feedback_type = fb.type, metric = fb.metric,
            id = it.id, scope = it.scope, category = it.category, category_id = it.category_id,
            prompt = it.prompt, baseline = it.baseline, revised = it.revised, critique = it.critique,
            in_context = it.in_context, cot = it.cot, split = it.split, status = it.status,
            edits = it.n_edits, provenance = type(it.meta) == "table" and it.meta.provenance or nil,
            messages = { prompt = user_msg(it.prompt), chosen = asst_msg(s == "in" and it.revised or it.baseline),
                         rejected = asst_msg(s == "in" and it.baseline or it.revised) },
          }
        end
        summary.items = summary.items + #by[s]
      end
    end
  end
  local f, close = io.stdout, false
  if opts.path and opts.path ~= "-" then
    local err
    f, err = io.open(opts.path, "w")
    if not f then return nil, err end
    close = true
  end
  for _, r in ipairs(rows) do f:write(ps.json.encode(r), "\n") end
  if close then f:close() else f:flush() end
  summary.rows = #rows
  summary.format, summary.split = fmt, split
  return summary
end

---------------------------------------------------------------------------- evaluate

local function metric_of(fb)
  if fb.type ~= "quantitative" then return nil end
  if fb.metric and fb.metric ~= "" then return c3po.metric(fb.metric) end
  if type(fb.meta) == "table" and fb.meta.metric then return c3po.metric(fb.meta) end
  return nil, "quantitative feedback without a metric"
end

--- Compare a candidate's responses with the baselines on the held-out prompts of
--- each scope.  Options: feedback (id), candidate ("revised" default, "in_context",
--- "cot", or "model:NAME" to have a model answer the prompts), judge (a model, for
--- qualitative feedback), split ("test" default, "train", "all"), run (a name for
--- the stored results, default the candidate), limit (prompts per scope),
--- concurrency, templates, dry_run.  Quantitative feedback is scored by its metric
--- (ties count as success); qualitative feedback by the judge in both orders at
--- temperature 0, with consistency.  Returns the scoreboard.
function M.evaluate(opts)
  local fb = assert(c3po.feedback(assert(opts.feedback, "c3po.evaluate: feedback is required")))
  local candidate = opts.candidate or "revised"
  local run = new_run(opts)
  run.quiet = opts.quiet
  local split = opts.split or "test"
  local name = opts.run or candidate
  local metric, merr = metric_of(fb)
  if fb.type == "quantitative" and not metric then return nil, merr end
  local judge = not metric and model_of(opts.judge, "judge") or nil
  if not metric and not judge and not opts.dry_run then return nil, "qualitative feedback needs a judge model" end
  local cand_model
  if candidate:sub(1, 6) == "model:" then cand_model = model_of(candidate:sub(7), "candidate model")
  elseif not ROLES[candidate] or candidate == "baseline" then
    return nil, "candidate must be revised, in_context, cot or model:NAME"
  end
  local items = {}
  local per = { ["in"] = 0, near = 0, out = 0 }
  for _, it in ipairs(c3po.items(fb.id, { split = split ~= "all" and split or nil })) do
    if it.baseline and it.baseline ~= "" and (not opts.limit or per[it.scope] < opts.limit) then
      per[it.scope] = per[it.scope] + 1
      items[#items + 1] = it
    end
  end
  if opts.dry_run then
    local calls = (cand_model and #items or 0) + (judge and 2 * #items or 0)
    return { feedback = fb.id, dry_run = true, items = #items, calls = calls,
             candidate_calls = cand_model and #items or 0, judge_calls = judge and 2 * #items or 0 }
  end
  -- candidate texts
  local cand = {}
  local warnings = {}
  if cand_model then
    run.completion = cand_model
    stage(run, "candidate", #items)
    local res = ps.map(items, function(it)
      local sampling = { temperature = 0, max_tokens = opt(opts, "response_max_tokens") }
      local text, prov = call(run, cand_model, "baseline", { prompt = it.prompt }, sampling)
      return { text = text, err = not text and prov or nil, prov = text and prov or nil }
    end, { concurrency = run.concurrency })
    for i, it in ipairs(items) do cand[it.id] = res[i] end
  else
    for _, it in ipairs(items) do
      local t = it[ROLES[candidate].field]
      cand[it.id] = t and { text = t, prov = type(it.meta) == "table" and it.meta.provenance and it.meta.provenance[candidate] }
        or { err = "no " .. candidate .. " text" }
    end
  end
  -- decoding mismatch (reference bug 5): warn when candidate and baseline decoding differ
  for _, it in ipairs(items) do
    local bp = type(it.meta) == "table" and it.meta.provenance and it.meta.provenance.baseline
    local cp = cand[it.id].prov
    if bp and cp and (bp.temperature ~= cp.temperature or bp.max_tokens ~= cp.max_tokens) then
      warnings[#warnings + 1] = string.format("decoding differs between baseline (temperature %s, max_tokens %s) and candidate (temperature %s, max_tokens %s)",
        tostring(bp.temperature), tostring(bp.max_tokens), tostring(cp.temperature), tostring(cp.max_tokens))
      break
    end
  end
  local board = { feedback = fb.id, run = name, candidate = candidate, split = split,
                  kind = metric and "quantitative" or "qualitative", judge = judge and judge.name or nil,
                  scopes = {}, errors = 0, warnings = warnings }
  for _, s in ipairs({ "in", "near", "out" }) do
    board.scopes[s] = { n = 0, success = 0, ties = 0, consistent = 0, judged = 0, score_sum = 0 }
  end
  if metric then
    ps.transaction(function()
      for _, it in ipairs(items) do
        local c = cand[it.id]
        local sc = board.scopes[it.scope]
        if c.text then
          local ok = metric:score(it.baseline, c.text)
          local bv, cv = metric:values(it.baseline), metric:values(c.text)
          sc.n = sc.n + 1
          if ok then sc.success = sc.success + 1 end
          local tie = true
          for k = 1, #bv do if bv[k] ~= cv[k] then tie = false end end
          if tie then sc.ties = sc.ties + 1 end
          assert(c3po.eval_put{ critique = it.id, run = name, candidate = candidate, kind = "quantitative",
                                success = ok, baseline_metric = bv[1], candidate_metric = cv[1],
                                meta = { candidate_text = cand_model and c.text or nil, baseline_values = bv, candidate_values = cv } })
        else
          board.errors = board.errors + 1
        end
      end
    end)
  else
    local tasks = {}
    for _, it in ipairs(items) do
      if cand[it.id].text then
        tasks[#tasks + 1] = { it = it, swap = false }
        tasks[#tasks + 1] = { it = it, swap = true }
      else
        board.errors = board.errors + 1
      end
    end
    stage(run, "judge", #tasks)
    local res = ps.map(tasks, function(t)
      local c = cand[t.it.id].text
      local vars = { prompt = t.it.prompt, effect = fb.effect, content = fb.feedback, domain = fb.domain,
                     response_1 = t.swap and c or t.it.baseline, response_2 = t.swap and t.it.baseline or c }
      local text, prov = call(run, judge, "judge", vars, { temperature = 0, max_tokens = 1024 })
      if not text then return { err = prov } end
      local score, expl = M.parse_judge(text)
      if not score then return { err = "parse: " .. expl, text = text } end
      -- normalized: 5 = the candidate applies the feedback much more than the baseline
      return { score = score, norm = t.swap and (6 - score) or score, text = text, prov = prov }
    end, { concurrency = run.concurrency })
    local pairs_ = {}
    ps.transaction(function()
      for i, t in ipairs(tasks) do
        local r = res[i]
        if r.err then
          board.errors = board.errors + 1
          assert(c3po.eval_put{ critique = t.it.id, run = name, candidate = candidate, kind = "qualitative",
                                swap = t.swap, rationale = r.text, judge = judge.name, meta = { error = r.err } })
        else
          assert(c3po.eval_put{ critique = t.it.id, run = name, candidate = candidate, kind = "qualitative",
                                swap = t.swap, score = r.norm, success = r.norm > 3, rationale = r.text,
                                judge = judge.name,
                                meta = { raw_score = r.score, candidate_text = cand_model and cand[t.it.id].text or nil,
                                         provenance = r.prov } })
          local p = pairs_[t.it.id] or { scope = t.it.scope }
          pairs_[t.it.id] = p
          p[t.swap and 2 or 1] = r.norm
        end
      end
    end)
    for _, p in pairs(pairs_) do
      local sc = board.scopes[p.scope]
      for k = 1, 2 do
        if p[k] then
          sc.judged = sc.judged + 1
          sc.score_sum = sc.score_sum + p[k]
          if p[k] > 3 then sc.success = sc.success + 1 elseif p[k] == 3 then sc.ties = sc.ties + 1 end
        end
      end
      if p[1] and p[2] then
        sc.n = sc.n + 1
        local function sign(x) return x > 3 and 1 or x < 3 and -1 or 0 end
        if sign(p[1]) == sign(p[2]) then sc.consistent = sc.consistent + 1 end
      end
    end
  end
  for _, s in ipairs({ "in", "near", "out" }) do
    local sc = board.scopes[s]
    if metric then
      sc.rate = sc.n > 0 and sc.success / sc.n or nil
    else
      sc.rate = sc.judged > 0 and sc.success / sc.judged or nil
      sc.mean_score = sc.judged > 0 and sc.score_sum / sc.judged or nil
      sc.consistency = sc.n > 0 and sc.consistent / sc.n or nil
      sc.tie_rate = sc.judged > 0 and sc.ties / sc.judged or nil
    end
    sc.score_sum = nil
  end
  board.adherence = board.scopes["in"].rate
  board.overgeneralization_near = board.scopes.near.rate
  board.overgeneralization_out = board.scopes.out.rate
  board.calls, board.cached = run.calls, run.cached
  if not run.quiet then ps.ui.progress(0, 0) end
  return board
end

return M
