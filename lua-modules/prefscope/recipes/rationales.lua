-- recipes.rationales: add a model's rationale to every labelled pair of a dataset
-- (rationale-enriched preference data, Just et al. 2025; docs/recipes.md).  The
-- preferred response is shown in a seeded random slot, against position bias.
local recipe = require "prefscope.recipe"
local judge = require "prefscope.judge"

local FLIP = { A = "B", B = "A" }

return recipe.define{
  name = "rationales",
  summary = "Ask a model why the preferred response of every labelled pair is better, and store\n"
    .. "the answer as the rationale of a copy of the label.",
  reproduces = "rationale-enriched preference data (Just et al., COLM 2025)",
  needs = "chat completions",
  writes = "per labelled pair a judgment by rationale:MODEL with the source label's verdict, the\n"
    .. "model's answer as rationale, meta = {recipe, params, model, template, source_annotator,\n"
    .. "source_judgment, preferred_slot}; `prefscope export --annotator rationale:MODEL` keeps it",
  params = {
    { "dataset", "string", nil, "dataset of labelled pairs", required = true },
    { "model", "string", nil, "model writing the rationales", required = true },
    { "source", "string", "dataset", "annotator whose A/B labels are explained (ties are skipped)" },
    { "annotator", "string", "rationale:{model}", "annotator of the written judgments" },
    { "template", "string", "recipes/rationale", "template (vars: instruction, a, b, preferred)" },
    { "max-tokens", "integer", 400, "max_tokens of a rationale", min = 1 },
    { "sample", "integer", 0, "use a seeded sample of N pairs (0 = all)", min = 0 },
    { "seed", "integer", 1, "seed of the sample and of the slots" },
  },
  run = function(ctx)
    local p = ctx.p
    local ds = ctx:dataset(p.dataset)
    ctx:model(p.model)
    local ann = recipe.annotator(p.annotator, p.model)
    local rnd = recipe.rng(p.seed)
    local tasks, reqs = {}, {}
    local res = { dataset = ds.name, annotator = ann, labelled = 0, skipped_done = 0, written = 0 }
    for _, it in ipairs(recipe.pairs_of(ds, p.sample, p.seed)) do
      for _, j in ipairs(it.judgments) do
        if j.annotator == p.source and (j.verdict == "A" or j.verdict == "B") then
          res.labelled = res.labelled + 1
          local chosen = j.verdict == "A" and j.a or j.b
          local other = j.verdict == "A" and j.b or j.a
          local slot = rnd(2) == 1 and "A" or "B" -- drawn for every label, so reruns agree
          if recipe.has_judgment(it, ann, j.a, j.b) then
            res.skipped_done = res.skipped_done + 1
          else
            local ia, ib = chosen, other
            if slot == "B" then ia, ib = other, chosen end
            local ra, rb = it.responses[ia], it.responses[ib]
            local vars = { instruction = judge.instruction(it), a = ra.text or "", b = rb.text or "", preferred = "reply " .. slot }
            tasks[#tasks + 1] = { item = it, j = j, slot = slot }
            reqs[#reqs + 1] = { system = assert(ps.template.render(p.template, vars, "system")),
                                messages = { { role = "user", content = assert(ps.template.render(p.template, vars, "user")) } },
                                temperature = 0, max_tokens = p.max_tokens }
          end
          break -- one label per pair: the source's first
        end
      end
    end
    if res.labelled == 0 then
      recipe.fail(ctx, ("no A/B label by '%s' in %s (choose --source)"):format(recipe.clean(p.source), recipe.clean(ds.name)))
    end
    local rs = ctx:chat_many(p.model, reqs)
    ctx:write(function()
      for k, t in ipairs(tasks) do
        local r = rs[k]
        if r.ok and r.text and r.text:match("%S") then
          assert(t.item:judge{ a = t.j.a, b = t.j.b, verdict = t.j.verdict, annotator = ann,
            rationale = (r.text:gsub("^%s+", ""):gsub("%s+$", "")),
            meta = ctx:meta{ model = p.model, template = p.template, source_annotator = p.source,
                             source_judgment = t.j.id, preferred_slot = t.slot } })
          res.written = res.written + 1
        end
      end
    end)
    return res
  end,
  report = function(res)
    print(("rationales: %d labelled pairs of %s, %d rationales written by %s (%d already had one)")
      :format(res.labelled, recipe.clean(res.dataset), res.written, recipe.clean(res.annotator), res.skipped_done))
  end,
}
