-- recipes.label_noise: rDPO-style label-noise injection (Chowdhury et al. 2024): copies
-- of a labelled dataset with A/B labels flipped at given rates, each flip recorded,
-- and optionally how a judge's agreement with the labels degrades with the rate
-- (docs/recipes.md).
local recipe = require "prefscope.recipe"

local FLIP = { A = "B", B = "A" }
local SCALE = 1 << 30

local function source_judgment(it, annotator)
  for _, j in ipairs(it.judgments) do
    if j.annotator == annotator then return j end
  end
end

return recipe.define{
  name = "label_noise",
  summary = "Write copies of a labelled dataset whose A/B labels are flipped at each given rate\n"
    .. "(seeded; the flips are nested: a label flipped at 0.1 is flipped at 0.2 too) and, with\n"
    .. "--judge, report the judge's agreement and kappa with the labels at every rate.",
  reproduces = "the noisy-label setting of rDPO (Chowdhury, Kini, Natarajan, 2024)",
  needs = "nothing (chat completions with --judge)",
  writes = "dataset OUTPUT per rate: the pairs with the source label (annotator unchanged), judgment\n"
    .. "meta = {recipe, params, rate, flipped, original}, tag `flipped` on flipped items, dataset\n"
    .. "meta with the rate; with --judge its verdicts on the source dataset (llm:MODEL)",
  params = {
    { "dataset", "string", nil, "dataset of labelled pairs", required = true },
    { "source", "string", "dataset", "annotator whose labels are copied and flipped (ties are kept)" },
    { "rates", "list", { "0.1", "0.2", "0.3", "0.4" }, "flip rates in [0, 0.5]" },
    { "output", "string", "{dataset}-noise-{rate}", "name of each dataset written" },
    { "judge", "string", nil, "judge model whose agreement with the noisy labels is reported" },
    { "template", "string", "pairwise", "judge template" },
    { "max-tokens", "integer", 1024, "max_tokens of a judge answer", min = 1 },
    { "seed", "integer", 1, "seed of the flips" },
  },
  run = function(ctx)
    local p = ctx.p
    local rates = {}
    for k, r in ipairs(p.rates) do
      local v = tonumber(r)
      if not v or v < 0 or v > 0.5 then
        recipe.fail(ctx, ("--rates: '%s' is not a rate in [0, 0.5]"):format(recipe.clean(r)))
      end
      rates[k] = v
    end
    local ds = ctx:dataset(p.dataset)
    local items, labels = {}, {}
    for _, it in ipairs(recipe.pairs_of(ds)) do
      local j = source_judgment(it, p.source)
      if j then items[#items + 1] = it; labels[#items] = j end
    end
    if #items == 0 then
      recipe.fail(ctx, ("no pair has a label by '%s' (choose --source)"):format(recipe.clean(p.source)))
    end
    -- one uniform draw per pair, so the flips are nested across rates
    local rnd = recipe.rng(p.seed)
    local u = {}
    for i = 1, #items do u[i] = (rnd(SCALE) - 1) / SCALE end
    local res = { dataset = ds.name, pairs = #items, rates = {} }
    local jlabels
    if p.judge then
      ctx:model(p.judge)
      local batch = recipe.judge_send(ctx, p.judge, "llm:" .. p.judge, items,
        { template = p.template, max_tokens = p.max_tokens })
      ctx:write(function() recipe.judge_store(ctx, batch) end)
      if not ctx.dry_run then
        jlabels = {}
        for i, it in ipairs(items) do
          it:refresh()
          jlabels[i] = recipe.label_of(it, "llm:" .. p.judge)
        end
      end
    end
    for k, rate in ipairs(rates) do
      local name = p.output:gsub("{dataset}", function() return ds.name end):gsub("{rate}", function() return p.rates[k] end)
      local row = { rate = rate, dataset = name, flipped = 0, written = false }
      local noisy = {}
      for i, j in ipairs(labels) do
        local flip = FLIP[j.verdict] ~= nil and u[i] < rate
        noisy[i] = { verdict = flip and FLIP[j.verdict] or j.verdict, flipped = flip }
        if flip then row.flipped = row.flipped + 1 end
      end
      if not ctx.dry_run and not ps.dataset(name) then
        ctx:write(function()
          local out = ctx:output(nil, name, ds, { rate = rate, source_annotator = p.source })
          for i, it in ipairs(items) do
            local j, n = labels[i], noisy[i]
            local resp = {}
            for r, x in ipairs(it.responses) do resp[r] = { text = x.text, model = x.model } end
            assert(out:add_item{ key = it.ext_id or it.key, ext_id = it.ext_id, prompt = it.prompt, system = it.system,
              history = it.history, responses = resp, tags = n.flipped and { "flipped" } or nil,
              judgments = { { a = j.a, b = j.b, verdict = n.verdict, annotator = j.annotator,
                meta = ctx:meta{ rate = rate, flipped = n.flipped, original = j.verdict } } } })
          end
        end)
        row.written = true
      end
      if jlabels then
        local ref = {}
        for i, j in ipairs(labels) do
          -- the noisy label of the pair (1, 2): turned around when presented as (2, 1)
          local v = noisy[i].verdict
          if j.a > j.b then v = FLIP[v] or v end
          ref[i] = v ~= "invalid" and v or false
        end
        local kappa, agreement, n = ps.stats.cohen_kappa(jlabels, ref)
        row.judge_n, row.agreement, row.kappa = n, agreement or ps.json.null, kappa or ps.json.null
      end
      res.rates[k] = row
    end
    res.judge = p.judge
    return res
  end,
  report = function(res)
    print(("label noise on %s: %d labelled pairs"):format(recipe.clean(res.dataset), res.pairs))
    print(("  %-6s %-32s %8s %10s %8s"):format("rate", "dataset", "flipped", res.judge and "agreement" or "", res.judge and "kappa" or ""))
    for _, r in ipairs(res.rates) do
      local ag = r.agreement and (r.agreement == ps.json.null and "-" or ("%.1f%%"):format(100 * r.agreement)) or ""
      local ka = r.kappa and (r.kappa == ps.json.null and "-" or ("%.3f"):format(r.kappa)) or ""
      print(("  %-6s %-32s %8d %10s %8s"):format(tostring(r.rate), recipe.clean(r.dataset), r.flipped, ag, ka))
    end
  end,
}
