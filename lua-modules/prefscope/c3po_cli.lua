-- The Lua half of `prefscope critique gen|export|eval|review --regenerate`
-- (src/app/cmd_critique.c parses and checks the options, then runs this script with
-- the subcommand and key=value arguments).  Prints the summary (text, or JSON with
-- json=1) and returns the exit status.
local c3po = require "prefscope.c3po"
local sub = arg[1]
local o = {}
for i = 2, #arg do
  local k, v = arg[i]:match("^([%w_]+)=(.*)$")
  assert(k, "c3po_cli: bad argument " .. tostring(arg[i]))
  if o[k] ~= nil then
    if type(o[k]) ~= "table" then o[k] = { o[k] } end
    table.insert(o[k], v)
  else
    o[k] = v
  end
end
local function list(v) if v == nil then return nil end return type(v) == "table" and v or { v } end
local function int(v) return v and math.tointeger(tonumber(v)) or nil end
local function num(v) return v and tonumber(v) or nil end
local function ids(v)
  local out = {}
  for _, s in ipairs(list(v) or {}) do out[#out + 1] = int(s) end
  return out
end
local function model_opt(name)
  if not name then return nil end
  if o.base_url then
    return { name = name, provider = o.provider or "openai", base_url = o.base_url, model = o.model_id or name,
             concurrency = int(o.concurrency) or 64, api_key_env = o.api_key_env }
  end
  return name
end
local json = o.json == "1"
local function fmt_num(x) if x == nil then return "-" end return string.format("%.3f", x) end

if sub == "gen" or sub == "plan" then
  local r = c3po.generate{
    feedback = ids(o.feedback), model = model_opt(o.model), completion_model = model_opt(o.completion_model),
    categories = int(o.categories), in_scope = int(o.in_scope), near_scope = int(o.near_scope),
    out_scope = int(o.out_scope), out_batch = int(o.out_batch), out_from = o.out_from, seed = int(o.seed),
    roles = list(o.role), temperature = num(o.temperature), top_p = num(o.top_p),
    response_max_tokens = int(o.max_tokens), list_max_tokens = int(o.list_max_tokens),
    max_topups = int(o.max_topups), concurrency = int(o.concurrency), test_fraction = num(o.test_fraction),
    templates = o.templates, stages = list(o.stage), dry_run = o.dry_run == "1", quiet = o.quiet == "1",
  }
  if json then print(ps.json.encode(r)) return (#r.failures > 0) and 1 or 0 end
  if o.dry_run == "1" then
    for _, f in ipairs(r.feedback) do
      print(string.format("feedback %d: %d calls, ~%d input + ~%d output tokens, cost %s", f.feedback,
        f.total.calls, f.total.input_tokens, f.total.output_tokens,
        f.total.cost and string.format("~%.4f", f.total.cost) or "unknown (no price configured)"))
      for _, s in ipairs(f.stages) do
        print(string.format("  %-22s %-14s %6d calls  ~%8d in  ~%8d out  %s", s.stage, s.model, s.calls,
          s.input_tokens, s.output_tokens, s.cost and string.format("%.4f", s.cost) or "-"))
      end
    end
    return 0
  end
  for _, f in ipairs(r.feedback) do
    print(string.format("feedback %d: %s categories, %s in / %s near / %s out of scope, %s failed",
      f.id, tostring(f.categories or 0), tostring(f["in"] or 0), tostring(f.near or 0), tostring(f.out or 0), tostring(f.failed or 0)))
  end
  print(string.format("%d calls (%d from cache), %d errors, %d tokens%s, %.1f s", r.calls, r.cached, r.errors,
    r.tokens, r.cost and string.format(", cost %.4f", r.cost) or "", r.seconds))
  for i, f in ipairs(r.failures) do
    if i > 20 then io.stderr:write(string.format("... and %d more\n", #r.failures - 20)) break end
    io.stderr:write(string.format("failed: %s %s: %s\n", f.stage, f.what, (tostring(f.error):gsub("[%c]", " "))))
  end
  if #r.failures > 0 then
    io.stderr:write(string.format("prefscope: critique gen: %d failures; run the same command again to retry them\n", #r.failures))
    return 1
  end
  return 0
elseif sub == "export" then
  local r, err = c3po.export{ feedback = ids(o.feedback), format = o.format, path = o.output or "-",
                              split = o.split, flip = o.flip == "1" }
  if not r then io.stderr:write("prefscope: critique export: ", err, "\n") return 1 end
  local line = string.format("%d rows (%s, split %s) from %d accepted items; %d skipped", r.rows, r.format, r.split,
    r.items, r.skipped)
  if json then io.stderr:write(ps.json.encode(r), "\n") else io.stderr:write(line, "\n") end
  return 0
elseif sub == "eval" then
  local r, err = c3po.evaluate{ feedback = int(o.feedback), candidate = o.candidate, judge = model_opt(o.judge),
                                split = o.split, run = o.run, limit = int(o.limit), concurrency = int(o.concurrency),
                                templates = o.templates, dry_run = o.dry_run == "1", quiet = o.quiet == "1",
                                response_max_tokens = int(o.max_tokens) }
  if not r then io.stderr:write("prefscope: critique eval: ", err, "\n") return 1 end
  if json then print(ps.json.encode(r)) return r.errors and r.errors > 0 and 1 or 0 end
  if r.dry_run then
    print(string.format("feedback %d: %d prompts, %d calls (%d candidate, %d judge)", r.feedback, r.items, r.calls,
      r.candidate_calls, r.judge_calls))
    return 0
  end
  print(string.format("feedback %d, candidate %s, %s (%s), split %s", r.feedback, r.candidate, r.kind,
    r.judge or "metric", r.split))
  print(string.format("  %-6s %5s %8s %8s %8s %8s", "scope", "n", "rate", "ties", "mean", "consist"))
  for _, s in ipairs({ "in", "near", "out" }) do
    local sc = r.scopes[s]
    print(string.format("  %-6s %5d %8s %8d %8s %8s", s, sc.n, fmt_num(sc.rate), sc.ties, fmt_num(sc.mean_score),
      fmt_num(sc.consistency)))
  end
  print(string.format("adherence %s, overgeneralization near %s, out %s", fmt_num(r.adherence),
    fmt_num(r.overgeneralization_near), fmt_num(r.overgeneralization_out)))
  for _, w in ipairs(r.warnings) do io.stderr:write("warning: ", w, "\n") end
  if r.errors > 0 then
    io.stderr:write(string.format("prefscope: critique eval: %d prompts or judgments failed; run again to retry them\n", r.errors))
    return 1
  end
  return 0
elseif sub == "regenerate" then
  local bad = 0
  for _, id in ipairs(ids(o.item)) do
    local ok, err = c3po.regenerate{ item = id, model = model_opt(o.model), completion_model = model_opt(o.completion_model),
                                     templates = o.templates, author = o.author }
    if ok then print("item " .. id .. ": regenerated") else
      bad = bad + 1
      io.stderr:write("prefscope: critique review: item ", id, ": ", (tostring(err):gsub("[%c]", " ")), "\n")
    end
  end
  return bad > 0 and 1 or 0
end
error("c3po_cli: unknown subcommand " .. tostring(sub))
