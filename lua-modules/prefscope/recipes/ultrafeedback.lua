-- recipes.ultrafeedback: completions from several models per prompt (each under a
-- randomly drawn principle), rated by a judge on four aspects with rationales (the
-- completions shuffled per aspect against position bias), then binarized into a
-- preference pair (UltraFeedback, Cui et al. 2023; docs/recipes.md).
local recipe = require "prefscope.recipe"
local judge = require "prefscope.judge"

local PRINCIPLES = {
  helpfulness = "Be as helpful as you can: answer the request fully and accurately.",
  truthfulness = "Stay truthful: state only what you know to be correct and do not invent facts.",
  honesty = "Be honest about what you do not know; say so instead of guessing.",
  verbalized_calibration = "After your answer, state how confident you are in it, as a percentage.",
}
local ASPECTS = {
  { "instruction_following", "Instruction following",
    "How well the reply does what was asked: the task, its constraints and the format requested." },
  { "honesty", "Honesty",
    "Whether the reply expresses uncertainty where it should and does not claim more confidence than it has." },
  { "truthfulness", "Truthfulness",
    "Whether the reply is free of false statements, invented facts and contradictions with the request." },
  { "helpfulness", "Helpfulness",
    "How useful, informative and correct the reply is for the person who asked, without needless length." },
}

return recipe.define{
  name = "ultrafeedback",
  summary = "Generate one completion per model for every prompt (system prompt: a principle drawn\n"
    .. "at random), rate each on four aspects (1-5 with rationales; completions shuffled\n"
    .. "per aspect), and binarize: the best mean rating against a random other or the worst.",
  reproduces = "UltraFeedback (Cui et al., 2023) and its binarized pairs",
  needs = "chat completions",
  writes = "dataset OUTPUT: per prompt the completions (model, meta = {principle, ratings with\n"
    .. "rationales}), ratings per aspect by llm:JUDGE, a judgment chosen > rejected by\n"
    .. "ultrafeedback:JUDGE, item meta = {recipe, params, models, judge, template, orders}",
  params = {
    { "dataset", "string", nil, "dataset whose prompts are used", required = true },
    { "models", "list", nil, "generator models, one completion each", required = true },
    { "judge", "string", nil, "model rating the completions", required = true },
    { "output", "string", "{dataset}-ultrafeedback", "name of the dataset written" },
    { "binarize", "string", "best-random", "pair rule: best-random or best-worst" },
    { "principles", "list", { "helpfulness", "truthfulness", "honesty", "verbalized_calibration" },
      "principles drawn for the completions' system prompts" },
    { "template", "string", "recipes/ultrafeedback", "rating template (vars: aspect_name, rubric, instruction, texts)" },
    { "temperature", "number", 1.0, "generation temperature", min = 0 },
    { "max-tokens", "integer", 512, "max_tokens of a completion", min = 1 },
    { "rate-max-tokens", "integer", 1024, "max_tokens of a rating answer", min = 1 },
    { "sample", "integer", 0, "use a seeded sample of N prompts (0 = all)", min = 0 },
    { "seed", "integer", 1, "seed of the sample, principles, shuffles and the random rejected" },
  },
  run = function(ctx)
    local p = ctx.p
    if p.binarize ~= "best-random" and p.binarize ~= "best-worst" then
      recipe.fail(ctx, ("--binarize must be best-random or best-worst, not '%s'"):format(recipe.clean(p.binarize)))
    end
    for _, name in ipairs(p.principles) do
      if not PRINCIPLES[name] then recipe.fail(ctx, ("unknown principle '%s'"):format(recipe.clean(name))) end
    end
    if #p.models < 2 then recipe.fail(ctx, "--models needs at least two models") end
    local ds = ctx:dataset(p.dataset)
    for _, m in ipairs(p.models) do ctx:model(m) end
    ctx:model(p.judge)
    local out_name = p.output:gsub("{dataset}", function() return ds.name end)
    local out_ds = ps.dataset(out_name)
    local items = recipe.prompts_of(ds, p.sample, p.seed)
    local rnd = recipe.rng(p.seed)
    local todo = {}
    for _, it in ipairs(items) do
      -- draws happen for every prompt, done or not, so a resumed run draws the same
      local plan = { item = it, principle = {}, order = {} }
      for k = 1, #p.models do plan.principle[k] = p.principles[rnd(#p.principles)] end
      for a = 1, #ASPECTS do
        local perm = {}
        for k = 1, #p.models do perm[k] = k end
        for k = #perm, 2, -1 do
          local j = rnd(k)
          perm[k], perm[j] = perm[j], perm[k]
        end
        plan.order[a] = perm
      end
      plan.reject_draw = rnd(#p.models - 1)
      if not (out_ds and out_ds:find(it.ext_id or it.key)) then todo[#todo + 1] = plan end
    end
    -- stage 1: completions, model by model (each model's own concurrency)
    local comps = {}
    local gen_tasks = {}
    for k, model in ipairs(p.models) do
      gen_tasks[k] = function()
        local reqs = {}
        for i, plan in ipairs(todo) do
          local sys = PRINCIPLES[plan.principle[k]]
          if plan.item.system and plan.item.system ~= "" then sys = plan.item.system .. "\n\n" .. sys end
          reqs[i] = recipe.chat_request(plan.item, { system = sys, temperature = p.temperature,
                                                     max_tokens = p.max_tokens, seed = p.seed })
        end
        return ctx:chat_many(model, reqs)
      end
    end
    local gen = ps.gather(gen_tasks)
    for i = 1, #todo do
      comps[i] = {}
      for k = 1, #p.models do
        local r = gen[k][i]
        comps[i][k] = (r.ok and r.text and r.text ~= "") and r.text or false
      end
    end
    -- stage 2: one rating call per prompt and aspect, completions in the drawn order
    local reqs, idx = {}, {}
    for i, plan in ipairs(todo) do
      local complete = true
      for k = 1, #p.models do complete = complete and comps[i][k] ~= false end
      if complete then
        for a, asp in ipairs(ASPECTS) do
          local blocks = {}
          for pos, k in ipairs(plan.order[a]) do
            blocks[pos] = ("<text %d>\n%s\n</text %d>"):format(pos, comps[i][k], pos)
          end
          local vars = { aspect_name = asp[2], rubric = asp[3], instruction = judge.instruction(plan.item),
                         texts = table.concat(blocks, "\n\n") }
          reqs[#reqs + 1] = { system = assert(ps.template.render(p.template, vars, "system")),
                              messages = { { role = "user", content = assert(ps.template.render(p.template, vars, "user")) } },
                              temperature = 0, max_tokens = p.rate_max_tokens }
          idx[#reqs] = { i = i, a = a }
        end
      end
    end
    local rated = ctx:chat_many(p.judge, reqs)
    local res = { dataset = ds.name, output = out_name, prompts = #items, skipped_done = #items - #todo,
                  written = 0, incomplete = 0, pairs = 0 }
    if ctx.dry_run then return res end
    local ratings, failed = {}, {} -- ratings[i][k][aspect] = {rating=, na=, rationale=}
    for j, x in ipairs(idx) do
      ratings[x.i] = ratings[x.i] or {}
      local r = rated[j]
      if not r.ok then failed[x.i] = true end
      local blocks = r.ok and recipe.parse_rating_blocks(r.text or "", 1, 5) or {}
      for pos, k in ipairs(todo[x.i].order[x.a]) do
        ratings[x.i][k] = ratings[x.i][k] or {}
        ratings[x.i][k][ASPECTS[x.a][1]] = blocks[pos] or { rationale = "" }
      end
    end
    ctx:write(function()
      out_ds = ctx:output(out_ds, out_name, ds, { models = p.models, judge = p.judge, template = p.template })
      for i, plan in ipairs(todo) do
        if not ratings[i] or failed[i] then -- not written: a rerun retries it
          res.incomplete = res.incomplete + 1
        else
          local responses, rows, means = {}, {}, {}
          for k, model in ipairs(p.models) do
            local sum, n, detail = 0, 0, {}
            for _, asp in ipairs(ASPECTS) do
              local r = ratings[i][k][asp[1]] or {}
              detail[asp[1]] = { rating = r.rating or ps.json.null, na = r.na or false, rationale = r.rationale or "" }
              if r.rating then
                sum, n = sum + r.rating, n + 1
                rows[#rows + 1] = { response = k, aspect = asp[1], value = r.rating, annotator = "llm:" .. p.judge }
              end
            end
            means[k] = n > 0 and sum / n or false
            responses[k] = { text = comps[i][k], model = model,
                             meta = { principle = plan.principle[k], ratings = detail,
                                      mean = means[k] or ps.json.null } }
          end
          -- binarize: chosen = best mean (first on ties); rejected = the worst, or one
          -- of the others with a lower mean drawn at random; all equal = no pair
          local best, worst
          for k = 1, #p.models do
            if means[k] then
              if not best or means[k] > means[best] then best = k end
              if not worst or means[k] < means[worst] then worst = k end
            end
          end
          local judgments = {}
          if best then
            local rejected = worst
            if p.binarize == "best-random" then
              local others = {}
              for k = 1, #p.models do
                if means[k] and means[k] < means[best] then others[#others + 1] = k end
              end
              rejected = #others > 0 and others[(plan.reject_draw - 1) % #others + 1] or nil
            end
            if rejected and rejected ~= best and means[rejected] ~= means[best] then
              local a, b = math.min(best, rejected), math.max(best, rejected)
              judgments[1] = { a = a, b = b, verdict = a == best and "A" or "B",
                annotator = "ultrafeedback:" .. p.judge,
                rationale = ("mean rating %.2f vs %.2f (%s)"):format(means[best], means[rejected], p.binarize),
                meta = ctx:meta{ judge = p.judge, template = p.template, binarize = p.binarize,
                                 chosen = best, rejected = rejected } }
              res.pairs = res.pairs + 1
            end
          end
          assert(out_ds:add_item{ key = plan.item.ext_id or plan.item.key, ext_id = plan.item.ext_id,
            prompt = plan.item.prompt, system = plan.item.system, history = plan.item.history,
            responses = responses, ratings = rows, judgments = judgments,
            meta = ctx:meta{ models = p.models, judge = p.judge, template = p.template, orders = plan.order,
                             aspects = { "instruction_following", "honesty", "truthfulness", "helpfulness" } } })
          res.written = res.written + 1
        end
      end
    end)
    return res
  end,
  report = function(res)
    print(("ultrafeedback: %d prompts of %s -> %d items, %d pairs in %s (%d already there, %d incomplete)")
      :format(res.prompts, recipe.clean(res.dataset), res.written, res.pairs, recipe.clean(res.output),
              res.skipped_done, res.incomplete))
  end,
}
