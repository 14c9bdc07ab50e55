-- recipes.best_of_n: sample N responses per prompt, score each with a judge model
-- (a 1-10 rating) or a reward model (--scorer reward:MODEL, vLLM's /pooling), keep
-- the best and the worst as a preference pair (best-of-N / rejection sampling for DPO
-- pairs; docs/recipes.md).
local recipe = require "prefscope.recipe"
local judge = require "prefscope.judge"

return recipe.define{
  name = "best_of_n",
  summary = "Sample N responses per prompt from a generator, score each 1-10 with a judge\n"
    .. "model or with a reward model (--scorer reward:MODEL), and write the best and the\n"
    .. "worst as a labelled pair into a new dataset.",
  reproduces = "best-of-N sampling with a judge or reward model used to build DPO pairs",
  needs = "chat completions (the generator honours temperature and seed; a judge scorer answers\n"
    .. "'Rating: N'); a reward:MODEL scorer needs vLLM's Pooling API (/pooling) with a reward model",
  writes = "dataset OUTPUT: per prompt the best and the worst response (seeded order), their\n"
    .. "scores as ratings (aspect score by llm:SCORER, or aspect reward by rm:MODEL), a\n"
    .. "judgment best > worst by best-of-n:SCORER, item meta = {recipe, params, generator,\n"
    .. "scorer, scorer_kind, template, scores}",
  params = {
    { "dataset", "string", nil, "dataset whose prompts (with system and history) are used", required = true },
    { "generator", "string", nil, "model that samples the responses", required = true },
    { "scorer", "string", nil, "judge model that scores each response, or reward:MODEL for a reward model", required = true },
    { "n", "integer", 4, "responses sampled per prompt", min = 2, max = 32 },
    { "output", "string", "{dataset}-best-of-{n}", "name of the dataset written" },
    { "template", "string", "recipes/score", "scoring template (vars: instruction, response)" },
    { "temperature", "number", 1.0, "sampling temperature of the generator", min = 0 },
    { "max-tokens", "integer", 512, "max_tokens of a response", min = 1 },
    { "score-max-tokens", "integer", 512, "max_tokens of a scoring answer", min = 1 },
    { "sample", "integer", 0, "use a seeded sample of N prompts (0 = all)", min = 0 },
    { "seed", "integer", 1, "seed of the sample, the request seeds and the pair order" },
  },
  run = function(ctx)
    local p = ctx.p
    local ds = ctx:dataset(p.dataset)
    local rm = p.scorer:match("^reward:(.+)$") -- a reward model scores instead of a judge
    local scorer = rm or p.scorer
    local template = not rm and p.template or nil
    ctx:model(p.generator); ctx:model(scorer)
    if rm then recipe.check_reward(ctx, rm) end
    local out_name = p.output:gsub("{dataset}", function() return ds.name end):gsub("{n}", tostring(p.n))
    local out_ds = ps.dataset(out_name)
    local items = recipe.prompts_of(ds, p.sample, p.seed)
    local todo = {}
    for _, it in ipairs(items) do
      if not (out_ds and out_ds:find(it.ext_id or it.key)) then todo[#todo + 1] = it end
    end
    -- stage 1: N samples per prompt (distinct seeds, so each is cached apart)
    local reqs = {}
    for _, it in ipairs(todo) do
      for k = 1, p.n do
        reqs[#reqs + 1] = recipe.chat_request(it, { temperature = p.temperature, max_tokens = p.max_tokens,
                                                    seed = p.seed * 1000 + k, sample = k })
      end
    end
    local gens = ctx:chat_many(p.generator, reqs)
    -- stage 2: score every response that came back
    local jobs = {}
    for i, it in ipairs(todo) do
      for k = 1, p.n do
        local g = gens[(i - 1) * p.n + k]
        if g.ok and g.text and g.text ~= "" then jobs[#jobs + 1] = { i = i, k = k, item = it, text = g.text } end
      end
    end
    local per = {}
    local function put(job, v) per[job.i] = per[job.i] or {}; per[job.i][job.k] = v or false end
    if rm then
      for j, v in ipairs(recipe.reward_texts(ctx, rm, jobs)) do put(jobs[j], v) end
    else
      local sreqs = {}
      for j, job in ipairs(jobs) do
        local vars = { instruction = judge.instruction(job.item), response = job.text }
        local system = assert(ps.template.render(p.template, vars, "system"))
        local user = assert(ps.template.render(p.template, vars, "user"))
        sreqs[j] = { system = system, messages = { { role = "user", content = user } },
                     temperature = 0, max_tokens = p.score_max_tokens }
      end
      local scores = ctx:chat_many(p.scorer, sreqs)
      for j, job in ipairs(jobs) do
        put(job, scores[j].ok and recipe.parse_rating(scores[j].text or "", 1, 10) or nil)
      end
    end
    local res = { dataset = ds.name, output = out_name, prompts = #items, skipped_done = #items - #todo,
                  written = 0, all_equal = 0, too_few = 0 }
    if ctx.dry_run then return res end
    local rnd = recipe.rng(p.seed)
    ctx:write(function()
      local prov = { generator = p.generator, scorer = scorer, scorer_kind = rm and "reward" or "judge",
                     template = template }
      out_ds = ctx:output(out_ds, out_name, ds, prov)
      for i, it in ipairs(todo) do
        local sc = per[i] or {}
        local best, worst, valid = nil, nil, 0
        for k = 1, p.n do
          local v = sc[k]
          if v then
            valid = valid + 1
            if not best or v > sc[best] then best = k end
            if not worst or v < sc[worst] then worst = k end
          end
        end
        if valid < 2 then
          res.too_few = res.too_few + 1
        elseif sc[best] == sc[worst] then
          res.all_equal = res.all_equal + 1
        else
          local first_best = rnd(2) == 1
          local order = first_best and { best, worst } or { worst, best }
          local responses, ratings = {}, {}
          for slot, k in ipairs(order) do
            responses[slot] = { text = gens[(i - 1) * p.n + k].text, model = p.generator,
                                meta = { sample = k, score = sc[k], role = k == best and "best" or "worst" } }
            ratings[slot] = { response = slot, aspect = rm and "reward" or "score", value = sc[k],
                              annotator = (rm and "rm:" or "llm:") .. scorer }
          end
          local all = {}
          for k = 1, p.n do all[k] = sc[k] or ps.json.null end
          assert(out_ds:add_item{ key = it.ext_id or it.key, ext_id = it.ext_id, prompt = it.prompt, system = it.system, history = it.history,
            responses = responses, ratings = ratings,
            judgments = { { a = 1, b = 2, verdict = first_best and "A" or "B", annotator = "best-of-n:" .. p.scorer,
                            rationale = ("%s %s vs %s"):format(rm and "reward" or "score", sc[best], sc[worst]),
                            meta = ctx:meta(prov) } },
            meta = ctx:meta{ generator = p.generator, scorer = scorer, scorer_kind = prov.scorer_kind,
                             template = template, scores = all, source_item = it.id } })
          res.written = res.written + 1
        end
      end
    end)
    return res
  end,
  report = function(res)
    print(("best-of-n: %d prompts of %s -> %d pairs in %s (%d already there, %d all scores equal, %d with < 2 scores)")
      :format(res.prompts, recipe.clean(res.dataset), res.written, recipe.clean(res.output), res.skipped_done,
              res.all_equal, res.too_few))
  end,
}
