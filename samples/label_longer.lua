-- A rule-based annotator: label every pair of a dataset by which response is longer,
-- as the annotator "rule:longer", then report how often it agrees with the others.
--
--   prefscope -w ws.db run samples/label_longer.lua DATASET
local name = arg[1] or "tour"
local ds = assert(ps.dataset(name))
local n = 0
ps.transaction(function()
  for it in ds:items() do
    local r = it.responses
    if #r >= 2 and r[1].text and r[2].text then
      it:unjudge("rule:longer")
      local a, b = utf8.len(r[1].text) or #r[1].text, utf8.len(r[2].text) or #r[2].text
      it:judge{ verdict = a > b and "A" or (b > a and "B" or "tie"), annotator = "rule:longer" }
      n = n + 1
    end
  end
end)
print(string.format("labelled %d pairs of %s", n, name))
for annotator, c in pairs(ps.stats.counts(ds).annotators) do
  print(string.format("  %-20s A=%d B=%d tie=%d", annotator, c.A or 0, c.B or 0, c.tie or 0))
end
