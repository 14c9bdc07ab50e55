-- recipes.jury: several LLM judges and their majority vote, each compared with the
-- human labels by agreement and Cohen's kappa ("The Fellowship of the LLMs", Arif et
-- al. 2024; docs/recipes.md).  Runs on any labelled workspace dataset, e.g. PandaLM or
-- LLMBar imported with `prefscope import`.
local recipe = require "prefscope.recipe"

local label_of = recipe.label_of

local function num(v) return v == nil and ps.json.null or v end

return recipe.define{
  name = "jury",
  summary = "Judge every pair with several LLM judges, write their majority vote as a jury,\n"
    .. "and compare each judge and the jury with the human labels (agreement, Cohen's kappa).",
  reproduces = "the judge-vs-jury evaluation of \"The Fellowship of the LLMs\" (Arif et al., 2024)",
  needs = "chat completions",
  writes = "one judgment per pair and judge (order 1,2) by the judge's annotator and one by the\n"
    .. "jury annotator (the majority), each with meta = {recipe, params, model(s), template}",
  params = {
    { "dataset", "string", nil, "dataset of labelled pairs (responses 1 and 2)", required = true },
    { "judges", "list", nil, "judge models (config names); the jury is their majority", required = true },
    { "reference", "string", "dataset", "annotator of the human labels compared with" },
    { "template", "string", "pairwise", "judge template (templates/judge/NAME or a file)" },
    { "annotator", "string", "llm:{model}", "annotator name of a judge ({model} = its name)" },
    { "jury-annotator", "string", "jury", "annotator name of the majority vote" },
    { "sample", "integer", 0, "judge a seeded sample of N pairs (0 = all)", min = 0 },
    { "seed", "integer", 1, "seed of the sample" },
    { "max-tokens", "integer", 1024, "max_tokens of a judge answer", min = 1 },
  },
  run = function(ctx)
    local p = ctx.p
    local ds = ctx:dataset(p.dataset)
    local items = ctx:pairs(ds)
    for _, model in ipairs(p.judges) do ctx:model(model) end
    -- the reference is checked before anything is spent
    local ref, labelled = {}, 0
    for i, it in ipairs(items) do
      ref[i] = label_of(it, p.reference)
      if ref[i] then labelled = labelled + 1 end
    end
    if labelled == 0 then
      recipe.fail(ctx, ("no pair has a label by '%s' (choose --reference)"):format(recipe.clean(p.reference)))
    end
    local anns, pending = {}, {}
    for k, model in ipairs(p.judges) do
      anns[k] = recipe.annotator(p.annotator, model)
      pending[k] = recipe.judge_send(ctx, model, anns[k], items, { template = p.template, max_tokens = p.max_tokens })
    end
    local out = { dataset = ds.name, pairs = #items, reference = p.reference, labelled = labelled, annotators = {} }
    ctx:write(function()
      for k = 1, #p.judges do recipe.judge_store(ctx, pending[k]) end
      -- the jury: majority of the judges' labels (a tie for most votes goes to the
      -- judge listed first; no valid vote = no jury judgment)
      for _, it in ipairs(items) do
        it:refresh()
        if not recipe.has_judgment(it, p.jury_annotator, 1, 2) then
          local votes = {}
          for k = 1, #anns do votes[k] = label_of(it, anns[k]) end
          local v = ps.stats.majority(votes)
          if v then
            assert(it:judge{ a = 1, b = 2, verdict = v, p_a = recipe.verdict_p(v), annotator = p.jury_annotator,
              rationale = "majority of " .. table.concat(anns, ", "),
              meta = ctx:meta{ models = p.judges, judges = anns, votes = votes, template = p.template } })
          end
        end
      end
    end)
    if ctx.dry_run then return out end
    local list = {}
    for k = 1, #anns do list[k] = anns[k] end
    list[#list + 1] = p.jury_annotator
    for _, ann in ipairs(list) do
      local labels = {}
      for i, it in ipairs(items) do labels[i] = label_of(it, ann) end
      local kappa, agreement, n = ps.stats.cohen_kappa(labels, ref)
      out.annotators[#out.annotators + 1] = { annotator = ann, n = n, agreement = num(agreement), kappa = num(kappa) }
    end
    return out
  end,
  report = function(res)
    print(("judges vs %s on %s: %d pairs, %d labelled"):format(recipe.clean(res.reference),
      recipe.clean(res.dataset), res.pairs, res.labelled))
    print(("  %-28s %6s %10s %8s"):format("annotator", "n", "agreement", "kappa"))
    for _, a in ipairs(res.annotators) do
      print(("  %-28s %6d %10s %8s"):format(recipe.clean(a.annotator), a.n,
        a.agreement == ps.json.null and "-" or ("%.1f%%"):format(100 * a.agreement),
        a.kappa == ps.json.null and "-" or ("%.3f"):format(a.kappa)))
    end
  end,
}
