-- Copy a seeded random sample of a dataset into a new dataset (for a pilot
-- annotation round), keeping prompts, responses and the existing judgments.
--
--   prefscope -w ws.db run samples/sample_subset.lua DATASET N [SEED]
local util = require "prefscope.util"
local src = assert(ps.dataset(arg[1] or "tour"))
local n, seed = tonumber(arg[2]) or 10, tonumber(arg[3]) or 1
local picked = util.sample(util.collect(src:items()), math.tointeger(n), math.tointeger(seed))
local name = string.format("%s-sample%d", src.name, #picked)
local dst = assert(ps.create_dataset(name, { source = src.name }))
ps.transaction(function()
  for _, it in ipairs(picked) do
    local t = it:to_table()
    local judgments = {}
    for _, j in ipairs(t.judgments) do
      judgments[#judgments + 1] = { a = j.a, b = j.b, verdict = j.verdict, annotator = j.annotator, rationale = j.rationale }
    end
    local responses = {}
    for i, r in ipairs(t.responses) do responses[i] = { text = r.text, model = r.model } end
    dst:add_item{ key = t.key, prompt = t.prompt, system = t.system, history = t.history,
                  responses = responses, judgments = judgments, tags = t.tags }
  end
end)
print(string.format("%s: %d items", name, #dst))
return 0
