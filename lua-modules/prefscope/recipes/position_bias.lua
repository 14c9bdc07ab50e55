-- recipes.position_bias: judge every pair in both orders with each judge and report
-- position consistency and which slot each judge favours (MT-Bench / Chatbot Arena,
-- Zheng et al. 2023; docs/recipes.md).
local recipe = require "prefscope.recipe"

local FLIP = { A = "B", B = "A", tie = "tie", invalid = "invalid" }

-- The first judgment of `annotator` presented as (a, b) on an item, or nil.
local function verdict_of(it, annotator, a, b)
  for _, j in ipairs(it.judgments) do
    if j.annotator == annotator and j.a == a and j.b == b then return j.verdict end
  end
end

--- Position statistics of one judge over items judged in both orders (definitions
--- as `prefscope stats`: docs/evaluation.md, Position consistency).
local function audit(items, annotator)
  local r = { annotator = annotator, units = 0, consistent = 0, first_both = 0, second_both = 0,
              first_slot = 0, second_slot = 0, ties = 0, invalid = 0 }
  for _, it in ipairs(items) do
    it:refresh()
    local v12, v21 = verdict_of(it, annotator, 1, 2), verdict_of(it, annotator, 2, 1)
    for _, v in ipairs{ v12 or false, v21 or false } do
      if v == "A" then r.first_slot = r.first_slot + 1
      elseif v == "B" then r.second_slot = r.second_slot + 1
      elseif v == "tie" then r.ties = r.ties + 1
      elseif v == "invalid" then r.invalid = r.invalid + 1 end
    end
    if v12 and v21 then
      r.units = r.units + 1
      if v12 ~= "invalid" and v12 == FLIP[v21] then r.consistent = r.consistent + 1
      elseif v12 == "A" and v21 == "A" then r.first_both = r.first_both + 1
      elseif v12 == "B" and v21 == "B" then r.second_both = r.second_both + 1 end
    end
  end
  local decided = r.first_slot + r.second_slot
  r.consistency = r.units > 0 and r.consistent / r.units or ps.json.null
  r.first_shown_wins_both = r.units > 0 and r.first_both / r.units or ps.json.null
  r.second_shown_wins_both = r.units > 0 and r.second_both / r.units or ps.json.null
  r.first_slot_rate = decided > 0 and r.first_slot / decided or ps.json.null
  r.favours = decided == 0 and "none" or (r.first_slot > r.second_slot and "first")
    or (r.second_slot > r.first_slot and "second") or "neither"
  return r
end

local function pct(v) return v == ps.json.null and "-" or ("%.1f%%"):format(100 * v) end

return recipe.define{
  name = "position_bias",
  summary = "Judge every pair of a dataset in both orders with each judge; report per judge\n"
    .. "the position consistency and which slot it favours.",
  reproduces = "the position-bias analysis and swapping of MT-Bench / Chatbot Arena (Zheng et al., 2023)",
  needs = "chat completions",
  writes = "two judgments per pair and judge (presented orders 1,2 and 2,1) by the judge's\n"
    .. "annotator, the answer as rationale, meta = {recipe, params, model, template, order}",
  params = {
    { "dataset", "string", nil, "dataset of pairs (responses 1 and 2)", required = true },
    { "judges", "list", nil, "judge models (config names)", required = true },
    { "template", "string", "pairwise", "judge template (templates/judge/NAME or a file)" },
    { "annotator", "string", "llm:{model}", "annotator name of a judge ({model} = its name)" },
    { "sample", "integer", 0, "judge a seeded sample of N pairs (0 = all)", min = 0 },
    { "seed", "integer", 1, "seed of the sample" },
    { "max-tokens", "integer", 1024, "max_tokens of a judge answer", min = 1 },
  },
  run = function(ctx)
    local p = ctx.p
    local ds = ctx:dataset(p.dataset)
    local items = ctx:pairs(ds)
    local out = { dataset = ds.name, pairs = #items, judges = {} }
    for _, model in ipairs(p.judges) do
      ctx:model(model) -- fail early on an unknown judge
    end
    local pending = {}
    for _, model in ipairs(p.judges) do
      pending[#pending + 1] = recipe.judge_send(ctx, model, recipe.annotator(p.annotator, model), items,
        { orders = { { 1, 2 }, { 2, 1 } }, template = p.template, max_tokens = p.max_tokens })
    end
    ctx:write(function()
      for _, batch in ipairs(pending) do recipe.judge_store(ctx, batch) end
    end)
    if not ctx.dry_run then
      for _, j in ipairs(pending) do out.judges[#out.judges + 1] = audit(items, j.annotator) end
    end
    return out
  end,
  report = function(res)
    print(("position bias on %s: %d pairs, both orders"):format(recipe.clean(res.dataset), res.pairs))
    print(("  %-28s %6s %12s %12s %12s %12s  %s"):format("judge", "pairs", "consistent", "first-both",
      "second-both", "first-slot", "favours"))
    for _, r in ipairs(res.judges) do
      print(("  %-28s %6d %12s %12s %12s %12s  %s"):format(recipe.clean(r.annotator), r.units, pct(r.consistency),
        pct(r.first_shown_wins_both), pct(r.second_shown_wins_both), pct(r.first_slot_rate), r.favours))
    end
  end,
}
