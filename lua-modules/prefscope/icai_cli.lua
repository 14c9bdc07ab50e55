-- `prefscope icai DATASET --model M ...`: the LLM pipeline as a command.  cmd_icai.c
-- validates the options and runs this script with the dataset and the options as
-- given ("--top", "5", "--dry-run", ...); the constitution is printed by the C side
-- from the global ICAI_RESULT_ID, a dry run's estimate here.
local icai = require "prefscope.icai"
local args = { ... }
local opts = { dataset = args[1] }
local NUM = { ["per-pair"] = "per_pair", clusters = "clusters", top = "top", seeds = "seeds",
  sample = "sample", ["test-split"] = "test_split", seed = "seed", ["min-relevance"] = "min_relevance",
  ["max-invalid"] = "max_invalid", concurrency = "concurrency", ["max-tokens"] = "max_tokens",
  ["price-in"] = "price_in", ["price-out"] = "price_out" }
local STR = { model = "model", ["embed-model"] = "embed_model", combine = "combine",
  templates = "templates", annotator = "annotator", name = "name" }
local FLAG = { ["relevance-for"] = "relevance_for", ["dry-run"] = "dry_run", json = "json",
  summarize = "summarize", recluster = "recluster" }
local json = false
local i = 2
while i <= #args do
  local k = args[i]
  if NUM[k] then
    local v = tonumber(args[i + 1])
    opts[NUM[k]] = math.tointeger(v) or v
    i = i + 2
  elseif STR[k] then
    opts[STR[k]] = args[i + 1]
    i = i + 2
  elseif FLAG[k] then
    opts[FLAG[k]] = true
    i = i + 1
  elseif k == "keep-against" then
    opts.more_for = false
    i = i + 1
  elseif k == "no-generate" then
    opts.generate = false
    i = i + 1
  elseif k == "principles" then
    opts.principles = {}
    for line in io.lines(args[i + 1]) do
      line = line:gsub("^%s+", ""):gsub("%s+$", "")
      if line ~= "" and not line:find("^#") then opts.principles[#opts.principles + 1] = line end
    end
    i = i + 2
  else
    i = i + 1 -- options that only matter to the C side (offline, format, ...)
  end
end
json, opts.json = opts.json, nil
if opts.max_tokens then opts.vote_max_tokens = opts.max_tokens end
local ok, r = pcall(icai.run, opts)
if not ok then
  local msg = tostring(r):gsub("^[^:\n]*:%d+: ", ""):gsub("^icai%.run: ", ""):gsub("\n.*", "")
  io.stderr:write("prefscope: icai: ", msg, "\n")
  return 1
end
if opts.dry_run then
  if json then
    print(ps.json.encode{ dataset = r.dataset, annotator = r.annotator, pairs = r.pairs,
      labelled = r.labelled, ties = r.ties, train = r.train, test = r.test, clusters = r.clusters,
      calls = r.calls, calls_total = r.calls_total, calls_per_pair = r.calls_per_pair,
      tokens_in = r.tokens_in, tokens_out = r.tokens_out, cost = r.cost or ps.json.null })
  else
    print(string.format("%s: %d pairs (%d labelled, %d ties skipped; train %d, test %d), labels of %s",
      r.dataset, r.pairs, r.labelled, r.ties, r.train, r.test, r.annotator))
    print(string.format("  calls: %d generate + %d vote + %d evaluate = %d (%.1f per pair), k = %d clusters",
      r.calls.generate, r.calls.vote, r.calls.evaluate, r.calls_total, r.calls_per_pair, r.clusters))
    print(string.format("  estimated tokens: %d in, %d out; cost: %s", r.tokens_in, r.tokens_out,
      r.cost and string.format("%.4f", r.cost) or "unknown (no price_in/price_out in the config)"))
  end
  return 0
end
ICAI_RESULT_ID = r.id
if r.errors > 0 then
  io.stderr:write(string.format("prefscope: icai: %d calls failed (first: %s); run the same command again to retry them\n",
    r.errors, tostring(r.first_error)))
  return 1
end
return 0
