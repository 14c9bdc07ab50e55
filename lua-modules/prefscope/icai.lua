-- prefscope.icai: Inverse Constitutional AI from Lua (docs/icai.md).
--
--   local r = ps.icai.run{ dataset = "orthogonal", model = "gpt", top = 5 }
--   print(r.id, r.constitution[1])
--
-- Stages: generate (principles per labelled pair) -> cluster (TF-IDF or an
-- embedding model, seeded k-means, one representative per cluster) -> vote (one
-- call per pair and 40 principles, order shuffled, positions flipped at random and
-- mapped back) -> filter and rank (ICAI's rules, ps.icai.rank) -> evaluate (a judge
-- with the constitution against the same judge without it, on the training and the
-- held-out pairs).  Every call goes through the workspace's LLM cache and every
-- random choice is derived from the run's seed, so a rerun renders the same
-- requests and sends only those that never finished.  The C half (clustering,
-- metrics, storage) is src/lua/l_icai.c; ps.icai.X finds this module's X.
local util = require "prefscope.util"

local M = {}

M.DEFAULTS = {
  per_pair = 3, top = 5, seeds = 1, combine = "unanimous", test_split = 0.2, seed = 1,
  batch = 40, max_tokens = 1000, vote_max_tokens = 3000, min_relevance = 0.1,
  max_invalid = 0.5, more_for = true, relevance_for = false,
}

local TEMPLATES = { "generate", "vote", "judge_constitution", "judge_baseline", "summarize" }

-- ---------------------------------------------------------------- parsing

local function strip_fences(text)
  local inner = text:match("```[%w_-]*%s*\n(.-)```")
  return inner or text
end

-- The outermost {...} of a reply (text around it ignored).
local function object_text(text)
  local s = strip_fences(text)
  local a = s:find("{", 1, true)
  if not a then return nil end
  local b
  for i = #s, a, -1 do
    if s:sub(i, i) == "}" then b = i; break end
  end
  return b and s:sub(a, b) or nil
end

-- Python literal -> JSON for the shapes models write: single-quoted strings, True,
-- False, None.  Double-quoted strings pass through unchanged.
local function python_to_json(s)
  local out, i, n = {}, 1, #s
  while i <= n do
    local c = s:sub(i, i)
    if c == '"' or c == "'" then
      local q, j, buf = c, i + 1, {}
      while j <= n do
        local d = s:sub(j, j)
        if d == "\\" then
          local e = s:sub(j + 1, j + 1)
          buf[#buf + 1] = (e == "'" and "'") or ("\\" .. e)
          j = j + 2
        elseif d == q then
          break
        else
          if d == '"' then d = '\\"' end
          buf[#buf + 1] = d
          j = j + 1
        end
      end
      out[#out + 1] = '"' .. table.concat(buf) .. '"'
      i = j + 1
    else
      local word = s:match("^%a+", i)
      if word then
        out[#out + 1] = ({ True = "true", False = "false", None = "null" })[word] or word
        i = i + #word
      else
        out[#out + 1] = c
        i = i + 1
      end
    end
  end
  return table.concat(out)
end

local function decode_object(text)
  local obj = object_text(text)
  if not obj then return nil end
  local v = ps.json.decode(obj)
  if type(v) ~= "table" then v = ps.json.decode(python_to_json(obj)) end
  return type(v) == "table" and v or nil
end

local PREFIX = "Select the response that"

-- Invalid UTF-8 (a reply cut inside a character) becomes U+FFFD, byte by byte, as
-- ps.json.encode writes it: the principle stored is the one the vote prompts quote.
local function valid_utf8(s)
  if utf8.len(s) then return s end
  local out, i = {}, 1
  while i <= #s do
    local _, bad = utf8.len(s, i)
    if not bad then
      out[#out + 1] = s:sub(i)
      break
    end
    out[#out + 1] = s:sub(i, bad - 1) .. "\u{FFFD}"
    i = bad + 1
  end
  return table.concat(out)
end

local function normalize_principle(p)
  if type(p) ~= "string" then return nil end
  -- a NUL would cut the text wherever C reads it; JSON cannot carry it back either
  p = valid_utf8(p):gsub("%z", ""):gsub("%s+", " "):gsub("^%s+", ""):gsub("%s+$", "")
  if p == "" then return nil end
  -- "Select the response that/whose/which ..." stays as written; anything else
  -- gets the prefix
  if p:sub(1, 19):lower() ~= "select the response" then
    p = PREFIX .. " " .. p:sub(1, 1):lower() .. p:sub(2)
  end
  return p
end

--- Parse a generation reply: a list of principles, or nil, why.  Accepts JSON or a
--- Python dict, in code fences or with text around it; as a last resort the lines
--- that start with "Select the response that".
function M.parse_principles(text)
  if type(text) ~= "string" then return nil, "no text" end
  local v = decode_object(text)
  local list = v and (v.principles or v.Principles or v.rules)
  local out = {}
  if type(list) == "table" then
    for _, p in ipairs(list) do out[#out + 1] = normalize_principle(p) end
  else
    for line in strip_fences(text):gmatch("[^\n]+") do
      local p = line:match("(" .. PREFIX .. "[^\"']*)")
      if p then out[#out + 1] = normalize_principle(p) end
    end
  end
  if #out == 0 then return nil, "no principles in the reply" end
  return out
end

local VOTE_VALUES = { a = "A", b = "B", both = "both", none = "neither", neither = "neither" }

--- Parse a voting reply for rules 1..n: a list of "A", "B", "both", "neither" or
--- "invalid" (a missing number or an unknown value is invalid; an unparseable reply
--- makes every vote invalid).  Keys may be integers or strings, the object JSON or a
--- Python dict.  Returns the list and whether anything parsed.
function M.parse_votes(text, n)
  local votes, any = {}, false
  for i = 1, n do votes[i] = "invalid" end
  local obj = type(text) == "string" and object_text(text)
  if obj then
    for k, v in obj:gmatch("[\"']?(%d+)[\"']?%s*:%s*[\"']?([%a]+)[\"']?") do
      local i = tonumber(k)
      if i and i >= 1 and i <= n then
        votes[i] = VOTE_VALUES[v:lower()] or "invalid"
        any = true
      end
    end
  end
  return votes, any
end

--- Parse a summarizing reply ({"principle": "..."}, JSON or a Python dict): the
--- principle, normalized, or nil.
function M.parse_summary(text)
  local v = type(text) == "string" and decode_object(text)
  return v and normalize_principle(v.principle) or nil
end

--- The judge's choice: "A", "B" or "invalid" (Output (a) / Output (b), tolerant).
function M.parse_choice(text)
  local v = ps.stats.parse_verdict(text or "")
  if v == "A" or v == "B" then return v end
  return "invalid"
end

-- ---------------------------------------------------------------- helpers

-- splitmix64 of a few integers: the per-call random choices (principle order, A/B
-- flip) depend only on the run's seed and the call's identity, so a rerun renders
-- exactly the same requests and the cache answers them.
local function mix(...)
  local h = 0x9E3779B97F4A7C15
  for _, x in ipairs({ ... }) do
    h = h ~ (math.tointeger(x) or 0)
    h = (h ~ (h >> 30)) * 0xBF58476D1CE4E5B9
    h = (h ~ (h >> 27)) * 0x94D049BB133111EB
    h = h ~ (h >> 31)
  end
  return h & 0x7fffffffffffffff
end

local instruction = require("prefscope.judge").instruction

-- The annotator's label of responses 1 and 2: "A" (1 preferred), "B", "tie",
-- "invalid" or nil when the annotator did not judge the pair.
local function label_of(item, annotator)
  for _, j in ipairs(item.judgments) do
    if j.annotator == annotator and ((j.a == 1 and j.b == 2) or (j.a == 2 and j.b == 1)) then
      local v = j.verdict
      if j.a == 2 and (v == "A" or v == "B") then v = (v == "A") and "B" or "A" end
      return v
    end
  end
  return nil
end

local function default_annotator(ds)
  local counts = ps.stats.counts(ds)
  local best, n = nil, -1
  for name, c in pairs(counts.annotators or {}) do
    local total = c.total or 0
    if name == "dataset" then total = math.huge end
    if total > n or (total == n and name < best) then best, n = name, total end
  end
  return best
end

-- A template by file name: DIR/<name>.txt when the user gave a directory holding
-- one, else the shipped icai/<name>.
local function template_ref(opts, name)
  if opts.templates then
    local path = opts.templates .. "/" .. name .. ".txt"
    local f = io.open(path, "r")
    if f then f:close(); return path end
  end
  return "icai/" .. name
end

local function render(opts, name, vars)
  local ref = template_ref(opts, name)
  local sections = assert(ps.template.sections(ref))
  local has = {}
  for _, s in ipairs(sections) do has[s] = true end
  local system = has.system and assert(ps.template.render(ref, vars, "system")) or nil
  local user = assert(ps.template.render(ref, vars, has.user and "user" or nil))
  return system, user
end

-- Counts of a stage's calls, tokens, cost, shown as a progress bar with an ETA
-- (ps.progress) unless opts.progress is false; counted either way.
local function bar(opts, label, total)
  local b = opts.progress ~= false and ps.progress(label, total) or nil
  local state = { done = 0, tokens = 0, cost = 0, has_cost = false, errors = 0, cached = 0, calls = 0 }
  function state.add(res)
    state.done = state.done + 1
    if res and res.ok ~= false then
      state.calls = state.calls + 1
      if res.cached then state.cached = state.cached + 1 end
      if res.usage then state.tokens = state.tokens + (res.usage.total_tokens or 0) end
      if res.cost then state.cost = state.cost + res.cost; state.has_cost = true end
    else
      state.errors = state.errors + 1
    end
    if b then b:update(state) end
  end
  function state.finish() if b then b:finish(state) end end
  return state
end

-- A finished stage's counts into the report (calls per stage, tokens, cost, cached).
local function account(report, stage, b)
  report.calls[stage] = (report.calls[stage] or 0) + b.calls
  report.tokens, report.cost, report.cached = report.tokens + b.tokens, report.cost + b.cost, report.cached + b.cached
end

local function chat(model, opts, system, user, max_tokens, sample)
  local res, err, full = model:chat{
    system = system, messages = { { role = "user", content = user } },
    temperature = 0, max_tokens = max_tokens, sample = sample,
  }
  if not res then return nil, err, full end
  if res.choices and res.choices[1] and res.choices[1].finish_reason == "length" then
    res.truncated = true -- the reply ran out of tokens: a distinct failure, counted
  end
  return res
end

-- ---------------------------------------------------------------- stages

local function collect_pairs(ds, annotator, opts)
  local all, stats = {}, { pairs = 0, labelled = 0, ties = 0, invalid_labels = 0, unlabelled = 0 }
  for it in ds:items() do
    local r1, r2 = it.responses[1], it.responses[2]
    if r1 and r2 and r1.text and r2.text then
      stats.pairs = stats.pairs + 1
      local l = label_of(it, annotator)
      local p = { id = it.id, seq = it.seq, instruction = instruction(it), a = r1.text, b = r2.text, label = l }
      all[#all + 1] = p
    end
  end
  if opts.sample and opts.sample < #all then all = util.sample(all, opts.sample, opts.seed) end
  stats.pairs = #all
  local labelled = {}
  for _, p in ipairs(all) do
    if p.label == "A" or p.label == "B" then labelled[#labelled + 1] = p
    elseif p.label == "tie" then stats.ties = stats.ties + 1
    elseif p.label == "invalid" then stats.invalid_labels = stats.invalid_labels + 1
    else stats.unlabelled = stats.unlabelled + 1 end
  end
  stats.labelled = #labelled
  local n_test = math.floor(opts.test_split * #labelled + 0.5)
  if n_test >= #labelled then n_test = 0 end
  local shuffled = util.shuffle(labelled, mix(opts.seed, 1))
  local train, test = {}, {}
  for i, p in ipairs(shuffled) do
    if i <= n_test then test[#test + 1] = p else train[#train + 1] = p end
  end
  table.sort(train, function(x, y) return x.seq < y.seq end)
  table.sort(test, function(x, y) return x.seq < y.seq end)
  stats.train, stats.test = #train, #test
  return all, train, test, stats
end

local function generate(model, opts, train, report)
  local b = bar(opts, "generate", #train)
  local results = ps.map(train, function(p)
    local system, user = render(opts, "generate", {
      instruction = p.instruction, n = tostring(opts.per_pair),
      selected = p.label == "A" and p.a or p.b, other = p.label == "A" and p.b or p.a,
    })
    local res, err = chat(model, opts, system, user, opts.max_tokens)
    local list, why
    if res then list, why = M.parse_principles(res.text) end
    if res and not list then
      -- a reply that does not parse is recorded and retried once in a fresh cache slot
      report.generate_parse_failures = report.generate_parse_failures + 1
      local again = chat(model, opts, system, user, opts.max_tokens, 1)
      report.calls.generate_retry = (report.calls.generate_retry or 0) + 1
      if again then list = M.parse_principles(again.text) end
    end
    b.add(res)
    if not res then return { error = err } end
    return { principles = list or {}, failed = not list, why = why }
  end, { concurrency = opts.concurrency })
  b.finish()
  local candidates = {}
  for i, r in ipairs(results) do
    if r.error then
      report.errors = report.errors + 1
      report.first_error = report.first_error or r.error
    end
    for k, text in ipairs(r.principles or {}) do
      if k <= opts.per_pair then candidates[#candidates + 1] = { text = text, pair = train[i].id } end
    end
  end
  account(report, "generate", b)
  return candidates
end

local function default_k(n_unique)
  local k = math.floor(n_unique / 3 + 0.5)
  k = math.max(k, math.min(n_unique, 8))
  return math.min(k, 160, n_unique)
end

local function cluster(model, opts, candidates, report)
  -- exact duplicates (case and spacing aside) merge first
  local unique, seen, size = {}, {}, {}
  for _, c in ipairs(candidates) do
    local key = c.text:lower():gsub("%s+", " ")
    if not seen[key] then
      unique[#unique + 1] = c.text
      seen[key] = #unique
    end
    size[seen[key]] = (size[seen[key]] or 0) + 1
  end
  report.candidates, report.unique = #candidates, #unique
  if #unique == 0 then return {} end
  local k = math.min(opts.clusters or default_k(#unique), #unique)
  report.clusters = k
  local assign, reps
  if opts.embed_model then
    local em = type(opts.embed_model) == "string" and assert(ps.model(opts.embed_model)) or opts.embed_model
    local res = assert(em:embed{ texts = unique })
    assign, reps = ps.icai.kmeans(res.embeddings, k, opts.seed)
    report.representation = "embeddings"
  else
    assign, reps = ps.icai.cluster(unique, k, opts.seed)
    report.representation = "tf-idf"
  end
  local members = {}
  for i, c in ipairs(assign) do
    members[c] = members[c] or {}
    table.insert(members[c], i)
  end
  local out = {}
  for c, rep in ipairs(reps) do
    local n = 0
    for _, i in ipairs(members[c] or {}) do n = n + size[i] end
    out[#out + 1] = { text = unique[rep], cluster = c, cluster_size = n, members = #(members[c] or {}) }
  end
  if opts.summarize then
    local b = bar(opts, "summarize", #out)
    ps.map(out, function(p)
      local list = {}
      for _, i in ipairs(members[p.cluster] or {}) do list[#list + 1] = "- " .. unique[i] end
      local system, user = render(opts, "summarize", { principles = table.concat(list, "\n") })
      local res = chat(model, opts, system, user, opts.max_tokens)
      b.add(res)
      local s = res and M.parse_summary(res.text)
      if s then p.representative, p.text = p.text, s end
    end, { concurrency = opts.concurrency })
    b.finish()
    account(report, "summarize", b)
  end
  return out
end

local function rules_json(list)
  local parts = {}
  for i, text in ipairs(list) do parts[#parts + 1] = string.format("  %q: %s", tostring(i), ps.json.encode(text)) end
  return "{\n" .. table.concat(parts, ",\n") .. "\n}"
end

local FLIP = { A = "B", B = "A", both = "both", neither = "neither", invalid = "invalid" }

-- votes[p][pair id] for one seed: relative to response 1 ("A") and 2 ("B").
local function vote_seed(model, opts, principles, pairs_, s, report, b)
  -- tasks hold only (pair, chunk start): the shuffled order is recomputed inside the
  -- call from the seed, and votes are recorded as replies arrive, so memory stays
  -- proportional to the votes themselves
  local tasks = {}
  for _, p in ipairs(pairs_) do
    for c = 1, #principles, opts.batch do tasks[#tasks + 1] = { pair = p, c = c } end
  end
  local votes = {}
  for i = 1, #principles do votes[i] = {} end
  ps.map(tasks, function(t)
    local p = t.pair
    local order = {}
    for i = 1, #principles do order[i] = i end
    order = util.shuffle(order, mix(opts.seed, s, p.id))
    local chunk, texts = {}, {}
    for i = t.c, math.min(t.c + opts.batch - 1, #order) do
      chunk[#chunk + 1] = order[i]
      texts[#texts + 1] = principles[order[i]].text
    end
    local flip = mix(opts.seed, s, p.id, t.c, 7) % 2 == 1
    local system, user = render(opts, "vote", {
      instruction = p.instruction, rules = rules_json(texts),
      a = flip and p.b or p.a, b = flip and p.a or p.b,
    })
    local res, err = chat(model, opts, system, user, opts.vote_max_tokens)
    b.add(res)
    if not res then
      report.errors = report.errors + 1
      report.first_error = report.first_error or err
      return
    end
    local list, any = M.parse_votes(res.text, #chunk)
    if not any then report.vote_parse_failures = report.vote_parse_failures + 1 end
    if res.truncated then report.truncated = report.truncated + 1 end
    for k, i in ipairs(chunk) do
      local v = list[k]
      votes[i][p.id] = flip and FLIP[v] or v -- undo the position flip
    end
  end, { concurrency = opts.concurrency })
  return votes
end

--- Combine one pair's votes from several seeds: "unanimous" keeps a vote all seeds
--- agree on, else "neither"; "majority" keeps the most frequent, "neither" on a tie.
function M.combine(list, how)
  if #list == 1 then return list[1] end
  local count, best, n = {}, nil, 0
  for _, v in ipairs(list) do count[v] = (count[v] or 0) + 1 end
  for v, c in pairs(count) do
    if c > n or (c == n and v < best) then best, n = v, c end
  end
  if how == "unanimous" then return n == #list and best or "neither" end
  local ties = 0
  for _, c in pairs(count) do if c == n then ties = ties + 1 end end
  return ties == 1 and best or "neither"
end

local function vote(model, opts, principles, train, report)
  local per_seed = math.ceil(#principles / opts.batch) * #train
  local b = bar(opts, "vote", per_seed * opts.seeds)
  local seeds = {}
  for s = 1, opts.seeds do seeds[s] = vote_seed(model, opts, principles, train, s, report, b) end
  b.finish()
  account(report, "vote", b)
  for i, p in ipairs(principles) do
    p.votes = {}
    for _, pair in ipairs(train) do
      local list = {}
      for s = 1, opts.seeds do
        if seeds[s][i][pair.id] then list[#list + 1] = seeds[s][i][pair.id] end
      end
      if #list > 0 then p.votes[pair.id] = M.combine(list, opts.combine) end
    end
  end
end

local function count_votes(p, pairs_)
  local c = { ["for"] = 0, against = 0, both = 0, neither = 0, invalid = 0 }
  for _, pair in ipairs(pairs_) do
    local v = p.votes[pair.id]
    if v == "A" or v == "B" then
      if v == pair.label then c["for"] = c["for"] + 1 else c.against = c.against + 1 end
    elseif v then
      c[v] = c[v] + 1
    end
  end
  return c
end

local function evaluate(model, opts, constitution, split, label, report)
  if #split == 0 then return nil end
  local list = {}
  for i, text in ipairs(constitution) do list[i] = i .. ". " .. text end
  local rules = table.concat(list, "\n")
  local tasks = {}
  for _, p in ipairs(split) do
    for _, kind in ipairs({ "judge_constitution", "judge_baseline" }) do
      tasks[#tasks + 1] = { pair = p, kind = kind, flip = mix(opts.seed, p.id, 11) % 2 == 1 }
    end
  end
  local b = bar(opts, "evaluate " .. label, #tasks)
  local results = ps.map(tasks, function(t)
    local p = t.pair
    local system, user = render(opts, t.kind, {
      instruction = p.instruction, constitution = rules,
      a = t.flip and p.b or p.a, b = t.flip and p.a or p.b,
    })
    local res, err = chat(model, opts, system, user, opts.max_tokens)
    b.add(res)
    if not res then return { error = err } end
    local v = M.parse_choice(res.text)
    if t.flip and v ~= "invalid" then v = FLIP[v] end
    return { choice = v }
  end, { concurrency = opts.concurrency })
  b.finish()
  account(report, "evaluate", b)
  local ok = { judge_constitution = {}, judge_baseline = {} }
  local invalid = { judge_constitution = 0, judge_baseline = 0 }
  for i, r in ipairs(results) do
    local t = tasks[i]
    if r.error then
      report.errors = report.errors + 1
      report.first_error = report.first_error or r.error
    else
      if r.choice == "invalid" then invalid[t.kind] = invalid[t.kind] + 1 end
      table.insert(ok[t.kind], r.choice == t.pair.label)
    end
  end
  local m, lo, hi = ps.icai.agreement(ok.judge_constitution)
  local bm, blo, bhi = ps.icai.agreement(ok.judge_baseline)
  return {
    pairs = #split, constitutional = m, constitutional_ci = { lo, hi }, baseline = bm,
    baseline_ci = { blo, bhi }, invalid = invalid.judge_constitution,
    baseline_invalid = invalid.judge_baseline, baseline_kind = "same judge without the constitution",
  }
end

local function estimate(opts, train, test, report)
  -- tokens ~ characters / 4; replies: ~25 tokens per principle, ~8 per vote, 5 per judgment
  local chars = 0
  for _, p in ipairs(train) do chars = chars + #p.instruction + #p.a + #p.b end
  local per_pair = chars / math.max(#train, 1)
  local k = opts.clusters or default_k(#train * opts.per_pair)
  local chunks = math.ceil(math.max(k, 1) / opts.batch)
  local gen_in = #train * (per_pair + 900) / 4
  local vote_in = opts.seeds * #train * chunks * (per_pair + 700 + math.min(k, opts.batch) * 60) / 4
  local eval_pairs = #train + #test
  local eval_in = eval_pairs * 2 * (per_pair + 500 + opts.top * 60) / 4
  local tin = math.floor(gen_in + vote_in + eval_in)
  local tout = math.floor(#train * opts.per_pair * 25 + opts.seeds * #train * math.min(k, opts.batch) * 8
    + eval_pairs * 2 * 5)
  report.calls = { generate = #train, vote = opts.seeds * #train * chunks, evaluate = eval_pairs * 2,
    summarize = opts.summarize and k or nil }
  report.calls_total = 0
  for _, n in pairs(report.calls) do report.calls_total = report.calls_total + n end
  report.clusters = k
  report.tokens_in, report.tokens_out = tin, tout
  if opts.price_in and opts.price_out then
    report.cost = (tin * opts.price_in + tout * opts.price_out) / 1e6
  else
    report.cost = nil
  end
  report.calls_per_pair = report.calls_total / math.max(#train + #test, 1)
  return report
end

--- Run the whole pipeline.  opts: dataset (name or Dataset), model (name, table or
--- Model), embed_model, per_pair (3), clusters (scaled to the pool), top (5; 0 = all),
--- seeds (1), combine ("unanimous" | "majority"), sample, test_split (0.2), seed (1),
--- templates (a directory), annotator, name, min_relevance (0.1), relevance_for
--- (false), max_invalid (0.5), more_for (true), batch (40), max_tokens (1000),
--- vote_max_tokens (3000), concurrency, summarize (false), principles (extra
--- principles to test), dry_run, progress (true), price_in/price_out (dry-run cost),
--- hooks = { principles = fn(candidates, ctx) -> candidates,
---           filter = fn(principles, ctx) (may change p.rank), stage = fn(name, info) }.
--- Returns the report: id, name, constitution (ranked texts), principles, counts,
--- calls, tokens, cost, evaluation {train=, test=}.
function M.run(opts)
  opts = opts or {}
  for k, v in pairs(M.DEFAULTS) do if opts[k] == nil then opts[k] = v end end
  local ds = assert(opts.dataset, "icai.run: dataset is required")
  if type(ds) == "string" then ds = assert(ps.dataset(ds)) end
  local hooks = opts.hooks or {}
  local annotator = opts.annotator or default_annotator(ds)
  assert(annotator, "icai.run: the dataset has no judgments to learn from")
  for _, name in ipairs(TEMPLATES) do
    assert(ps.template.sections(template_ref(opts, name)), "icai.run: template " .. name .. " not found")
  end
  local all, train, test, stats = collect_pairs(ds, annotator, opts)
  local report = {
    dataset = ds.name, annotator = annotator, seed = opts.seed, per_pair = opts.per_pair,
    seeds = opts.seeds, combine = opts.combine, test_split = opts.test_split,
    calls = {}, tokens = 0, cost = 0, cached = 0, errors = 0, truncated = 0,
    generate_parse_failures = 0, vote_parse_failures = 0, templates = opts.templates,
  }
  for k, v in pairs(stats) do report[k] = v end
  if opts.dry_run then return estimate(opts, train, test, report) end
  if #train == 0 then error("icai.run: no labelled pairs to learn from (annotator " .. annotator .. ")") end
  local model = opts.model
  if type(model) == "string" or (type(model) == "table" and getmetatable(model) == nil) then
    model = assert(ps.model(model))
  end
  -- as many calls in flight as the model allows (ps.map's default is 16)
  opts.concurrency = opts.concurrency or model.concurrency or 16
  local function stage(name, info)
    -- a failed call leaves a hole: stop before storing anything; a rerun resumes
    -- from the cache and sends only the calls that did not finish
    if report.errors > 0 then
      error(string.format("icai.run: %d calls failed in %s (first: %s); run the same command again to retry them",
        report.errors, name, tostring(report.first_error)), 0)
    end
    if hooks.stage then hooks.stage(name, info) end
  end

  local candidates = {}
  if opts.generate ~= false then candidates = generate(model, opts, train, report) end
  stage("generate", candidates)
  for _, extra in ipairs(opts.principles or {}) do candidates[#candidates + 1] = { text = extra, extra = true } end
  if hooks.principles then candidates = hooks.principles(candidates, { dataset = ds, train = train }) or candidates end
  local principles
  if opts.generate == false then
    -- Feedback Forensics' mode: test the given principles as they are
    principles = {}
    for _, c in ipairs(candidates) do principles[#principles + 1] = { text = c.text, extra = c.extra, cluster_size = 1 } end
    report.candidates, report.unique, report.clusters = #candidates, #candidates, nil
  else
    principles = cluster(model, opts, candidates, report)
  end
  if #principles == 0 then error("icai.run: no principles to test (every generation reply failed to parse?)", 0) end
  stage("cluster", principles)
  vote(model, opts, principles, train, report)
  stage("vote", principles)
  local counts = {}
  for i, p in ipairs(principles) do counts[i] = count_votes(p, train) end
  local recluster = opts.recluster and opts.top > 0
  local ranks, reasons = ps.icai.rank(counts, {
    more_for = opts.more_for, min_relevance = opts.min_relevance, relevance_for = opts.relevance_for,
    max_invalid = opts.max_invalid, top = recluster and math.ceil(opts.top * 1.5) or opts.top,
  })
  for i, p in ipairs(principles) do
    p.rank, p.reason, p.counts = ranks[i], reasons[i] or nil, counts[i]
  end
  if recluster then
    -- ICAI's last step: the top 1.5 n into n clusters, the best-ranked of each kept
    local kept = {}
    for _, p in ipairs(principles) do if p.rank > 0 then kept[#kept + 1] = p end end
    table.sort(kept, function(x, y) return x.rank < y.rank end)
    if #kept > opts.top then
      local texts = {}
      for j, p in ipairs(kept) do texts[j] = p.text end
      local assign = ps.icai.cluster(texts, opts.top, opts.seed)
      local taken, r = {}, 0
      for j, p in ipairs(kept) do
        if taken[assign[j]] then
          p.rank, p.reason = 0, "merged by re-clustering"
        else
          taken[assign[j]] = true
          r = r + 1
          p.rank = r
        end
      end
    end
  end
  if hooks.filter then hooks.filter(principles, { dataset = ds, train = train, counts = counts }) end
  local ranked = {}
  for _, p in ipairs(principles) do if p.rank and p.rank > 0 then ranked[#ranked + 1] = p end end
  table.sort(ranked, function(x, y) return x.rank < y.rank end)
  local constitution = {}
  for i, p in ipairs(ranked) do constitution[i] = p.text end
  stage("filter", ranked)

  report.evaluation = {
    train = evaluate(model, opts, constitution, train, "train", report),
    test = evaluate(model, opts, constitution, test, "test", report),
  }
  stage("evaluate", report.evaluation)
  local calls = 0
  for _, n in pairs(report.calls) do calls = calls + n end
  report.calls_total = calls
  report.calls_per_pair = calls / math.max(#train + #test, 1)

  -- store: every tested principle with its metrics and votes
  local name = opts.name
  if not name then
    local taken = {}
    for _, c in ipairs(ps.icai.list(ds)) do taken[c.name] = true end
    local k = 1
    while taken["llm-" .. k] do k = k + 1 end
    name = "llm-" .. k
  end
  local rows = {}
  for _, p in ipairs(principles) do
    local m = ps.icai.metrics(p.counts)
    m.kept = (p.rank or 0) > 0
    m.reason = p.reason or nil
    m.cluster_size = p.cluster_size
    rows[#rows + 1] = { text = p.text, kind = p.extra and "user" or "llm", rank = p.rank or 0, stats = m, votes = p.votes }
  end
  local params = {}
  for k, v in pairs(report) do params[k] = v end
  params.filter = { more_for_than_against = opts.more_for, min_relevance = opts.min_relevance,
    relevance = opts.relevance_for and "for/total" or "(for+against)/total", max_invalid = opts.max_invalid,
    top = opts.top }
  params.model = type(opts.model) == "string" and opts.model or tostring(model.name)
  params.embed_model = type(opts.embed_model) == "string" and opts.embed_model or nil
  params.calls_detail = report.calls
  params.calls = calls
  local id, err = ps.icai.save(ds, { name = name, method = "llm", params = params, principles = rows })
  if not id then error("icai.run: " .. tostring(err)) end
  report.id, report.name, report.constitution, report.principles = id, name, constitution, principles
  return report
end

return M
