-- recipes.selfie: self-annotation from logits (Selfie / SPA, Kim et al. 2024): the
-- policy labels pairs of its own samples by its implicit DPO reward,
-- beta * (log pi_policy(y|x) - log pi_ref(y|x)); pairs below a margin are dropped
-- (docs/recipes.md).
local recipe = require "prefscope.recipe"
local judge = require "prefscope.judge"

local label_of = recipe.label_of

return recipe.define{
  name = "selfie",
  summary = "Label pairs with the policy's own implicit reward: for every prompt two responses\n"
    .. "(the item's responses 1 and 2, or two samples of the policy), each scored by\n"
    .. "beta * (log pi_policy - log pi_ref); the higher wins; pairs with a margin below\n"
    .. "--min-margin are dropped.  Reports agreement with the seed labels where there are any.",
  reproduces = "Selfie / Spread Preference Annotation's self-annotation round (Kim, Lee, Shin, Kim, 2024)",
  needs = "the log-likelihood of given text under both checkpoints: vLLM prompt_logprobs or\n"
    .. "/v1/completions with echo + logprobs; chat with temperature and seed to sample",
  writes = "dataset OUTPUT: per kept prompt the pair, a judgment by selfie:POLICY (p_a = sigmoid of\n"
    .. "the reward difference), meta = {recipe, params, policy, reference, round, margin, rewards}",
  params = {
    { "dataset", "string", nil, "dataset of prompts (pairs are used as they are)", required = true },
    { "policy", "string", nil, "the current policy (the model that annotates)", required = true },
    { "reference", "string", nil, "the reference checkpoint of the implicit reward", required = true },
    { "round", "integer", 1, "the self-annotation round, recorded in the output", min = 1 },
    { "beta", "number", 0.1, "beta of the implicit reward", min = 0 },
    { "min-margin", "number", 0, "drop pairs whose reward difference is smaller", min = 0 },
    { "regenerate", "flag", false, "sample two new responses even where the item has a pair" },
    { "seed-labels", "string", "dataset", "annotator of the seed labels agreement is reported against" },
    { "output", "string", "{dataset}-selfie-r{round}", "name of the dataset written" },
    { "template", "string", "recipes/cdr", "prompt template of the scoring calls (vars: criteria, instruction)" },
    { "temperature", "number", 1.0, "sampling temperature", min = 0 },
    { "max-tokens", "integer", 512, "max_tokens of a sample", min = 1 },
    { "concurrency", "integer", 16, "scoring calls in flight", min = 1 },
    { "sample", "integer", 0, "use a seeded sample of N prompts (0 = all)", min = 0 },
    { "seed", "integer", 1, "seed of the sample and of the generation requests" },
  },
  run = function(ctx)
    local p = ctx.p
    local ds = ctx:dataset(p.dataset)
    ctx:model(p.policy); ctx:model(p.reference)
    local ann = "selfie:" .. p.policy
    local out_name = p.output:gsub("{dataset}", function() return ds.name end):gsub("{round}", tostring(p.round))
    local out_ds = ps.dataset(out_name)
    local todo = {}
    for _, it in ipairs(recipe.prompts_of(ds, p.sample, p.seed)) do
      if not (out_ds and out_ds:find(it.ext_id or it.key)) then todo[#todo + 1] = it end
    end
    if #todo > 0 then
      recipe.check_scoring(ctx, p.policy, "Selfie")
      recipe.check_scoring(ctx, p.reference, "Selfie")
    end
    -- the two responses: the item's pair, else two samples of the policy
    local texts, gen_reqs, gen_at = {}, {}, {}
    for i, it in ipairs(todo) do
      local r = it.responses
      if not p.regenerate and #r >= 2 and r[1].text and r[2].text then
        texts[i] = { r[1].text, r[2].text, own = true }
      else
        texts[i] = {}
        for k = 1, 2 do
          gen_reqs[#gen_reqs + 1] = recipe.chat_request(it, { temperature = p.temperature, max_tokens = p.max_tokens,
                                                              seed = p.seed * 1000 + k, sample = k })
          gen_at[#gen_reqs] = { i = i, k = k }
        end
      end
    end
    local gens = ctx:chat_many(p.policy, gen_reqs)
    for j, at in ipairs(gen_at) do
      texts[at.i][at.k] = (gens[j].ok and gens[j].text) or false
    end
    local jobs = {}
    for i, it in ipairs(todo) do
      if texts[i][1] and texts[i][2] then
        local prompt = assert(ps.template.render(p.template, { criteria = "", instruction = judge.instruction(it) }))
        prompt = prompt:gsub("%s+$", "")
        for k = 1, 2 do
          for _, m in ipairs{ p.policy, p.reference } do
            jobs[#jobs + 1] = { i = i, k = k, model = m, prompt = prompt, text = " " .. texts[i][k] }
          end
        end
      end
    end
    local scores = recipe.score_texts(ctx, jobs, p.concurrency)
    local res = { dataset = ds.name, output = out_name, round = p.round, prompts = #todo, written = 0,
                  below_margin = 0, failed = 0 }
    if ctx.dry_run then return res end
    local got = {}
    for j, job in ipairs(jobs) do
      got[job.i] = got[job.i] or { {}, {} }
      got[job.i][job.k][job.model == p.policy and "policy" or "ref"] = scores[j]
    end
    local mine, seed = {}, {}
    ctx:write(function()
      for i, it in ipairs(todo) do
        local g = got[i]
        local ok = g and g[1].policy and g[1].ref and g[2].policy and g[2].ref
        if not ok then
          res.failed = res.failed + 1
        else
          local rw = { p.beta * (g[1].policy.score - g[1].ref.score), p.beta * (g[2].policy.score - g[2].ref.score) }
          local d = rw[1] - rw[2]
          if math.abs(d) < p.min_margin then
            res.below_margin = res.below_margin + 1
          else
            out_ds = ctx:output(out_ds, out_name, ds,
              { policy = p.policy, reference = p.reference, round = p.round, template = p.template })
            local v = d > 0 and "A" or (d < 0 and "B" or "tie")
            local meta = ctx:meta{ policy = p.policy, reference = p.reference, round = p.round, template = p.template,
                                   margin = math.abs(d), rewards = rw, own_pair = texts[i].own or false }
            local src = it.responses
            assert(out_ds:add_item{ key = it.ext_id or it.key, ext_id = it.ext_id, prompt = it.prompt, system = it.system,
              history = it.history,
              responses = {
                { text = texts[i][1], model = texts[i].own and src[1].model or p.policy },
                { text = texts[i][2], model = texts[i].own and src[2].model or p.policy } },
              judgments = { { a = 1, b = 2, verdict = v, p_a = 1 / (1 + math.exp(-d)), annotator = ann,
                              rationale = ("implicit reward %.4f vs %.4f"):format(rw[1], rw[2]), meta = meta } },
              meta = meta })
            res.written = res.written + 1
            if texts[i].own then
              mine[#mine + 1], seed[#seed + 1] = v, label_of(it, p.seed_labels)
            end
          end
        end
      end
    end)
    local kappa, agreement, n = ps.stats.cohen_kappa(mine, seed)
    res.seed_labels, res.n, res.agreement, res.kappa = p.seed_labels, n, agreement or ps.json.null, kappa or ps.json.null
    return res
  end,
  report = function(res)
    print(("selfie round %d: %d prompts of %s -> %d pairs in %s (%d below the margin, %d failed)"):format(res.round,
      res.prompts, recipe.clean(res.dataset), res.written, recipe.clean(res.output), res.below_margin, res.failed))
    print(("  vs seed labels of %s: n %d, agreement %s, kappa %s"):format(recipe.clean(res.seed_labels), res.n,
      res.agreement == ps.json.null and "-" or ("%.1f%%"):format(100 * res.agreement),
      res.kappa == ps.json.null and "-" or ("%.3f"):format(res.kappa)))
  end,
}
