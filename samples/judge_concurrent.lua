-- Ask a model (from your config) to judge the unlabeled pairs of a dataset, many
-- requests at once, and store the verdicts as "llm:<model>".
--
--   prefscope -w ws.db run samples/judge_concurrent.lua DATASET MODEL [CONCURRENCY]
local judge = require "prefscope.judge"
local util = require "prefscope.util"
local ds = assert(ps.dataset(arg[1] or "tour"))
local m = assert(ps.model(arg[2] or "local"))
local items = util.collect(ds:items{ label = "unlabeled" })
local done, invalid = 0, 0
ps.map(items, function(it)
  local sys, user = judge.prompt(it, 1, 2, "pairwise")
  local r = m:chat{ system = sys, prompt = user, temperature = 0, max_tokens = 16 }
  local verdict = r and judge.parse(r.text) or "invalid"
  if verdict == "invalid" then invalid = invalid + 1 end
  it:judge{ verdict = verdict, annotator = "llm:" .. m.name }
  done = done + 1
  ps.ui.progress(done, #items, "judging")
end, { concurrency = tonumber(arg[3]) or 8 })
print(string.format("%d pairs judged, %d invalid answers", done, invalid))
