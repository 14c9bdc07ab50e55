-- recipes.cdr: density-ratio rewards (CDR / Dr.SoW, Xu et al. 2024): the reward of a
-- response is log p_strong(response | prompt) - log p_weak(response | prompt), read
-- from prompt logprobs (vLLM) or echo + logprobs on /v1/completions (docs/recipes.md).
local recipe = require "prefscope.recipe"
local judge = require "prefscope.judge"

local label_of = recipe.label_of

return recipe.define{
  name = "cdr",
  summary = "Score both responses of every pair by their log-likelihood under a strong and a weak\n"
    .. "model; the reward is the log-ratio, the label the response with the higher reward;\n"
    .. "report agreement with the existing labels.",
  reproduces = "CDR / Dr.SoW density-ratio rewards (Xu et al., 2024)",
  needs = "the log-likelihood of given text: vLLM prompt_logprobs or /v1/completions with echo + logprobs\n"
    .. "(hosted chat APIs cannot; the recipe stops with an error naming the model)",
  writes = "ratings per response: logp:STRONG, logp:WEAK (sums of token logprobs) and cdr (the reward)\n"
    .. "by the annotator; a judgment (p_a = sigmoid of the reward difference) with meta =\n"
    .. "{recipe, params, strong, weak, template, rewards, tokens}",
  params = {
    { "dataset", "string", nil, "dataset of pairs", required = true },
    { "strong", "string", nil, "the better-aligned model (e.g. the DPO checkpoint)", required = true },
    { "weak", "string", nil, "the reference model (e.g. the SFT checkpoint)", required = true },
    { "template", "string", "recipes/cdr", "prompt template (vars: criteria, instruction)" },
    { "criteria", "string", "", "text prepended to the strong model's prompt (customized CDR)" },
    { "normalize", "flag", false, "length-normalized rewards (mean logprob per token)" },
    { "annotator", "string", "cdr:{strong}/{weak}", "annotator of the ratings and judgments" },
    { "reference", "string", "dataset", "annotator whose labels the rewards are compared with" },
    { "concurrency", "integer", 16, "scoring calls in flight", min = 1 },
    { "sample", "integer", 0, "use a seeded sample of N pairs (0 = all)", min = 0 },
    { "seed", "integer", 1, "seed of the sample" },
  },
  run = function(ctx)
    local p = ctx.p
    local ds = ctx:dataset(p.dataset)
    ctx:model(p.strong); ctx:model(p.weak)
    local ann = p.annotator:gsub("{strong}", function() return p.strong end):gsub("{weak}", function() return p.weak end)
    local items = ctx:pairs(ds)
    local function prompt_for(it, criteria)
      -- trailing white space is dropped: the response follows as " " .. text
      local text = assert(ps.template.render(p.template, { criteria = criteria, instruction = judge.instruction(it) }))
      return (text:gsub("%s+$", ""))
    end
    local todo = {}
    for _, it in ipairs(items) do
      if not recipe.has_judgment(it, ann, 1, 2) then todo[#todo + 1] = it end
    end
    -- the feature check: one scoring call per model before anything else
    if #todo > 0 then
      recipe.check_scoring(ctx, p.strong, "CDR")
      recipe.check_scoring(ctx, p.weak, "CDR")
    end
    local calls = {}
    for i, it in ipairs(todo) do
      for r = 1, 2 do
        calls[#calls + 1] = { i = i, r = r, which = "strong", prompt = prompt_for(it, p.criteria ~= "" and (p.criteria .. "\n\n") or "") }
        calls[#calls + 1] = { i = i, r = r, which = "weak", prompt = prompt_for(it, "") }
      end
    end
    for _, c in ipairs(calls) do
      c.model = c.which == "strong" and p.strong or p.weak
      c.text = " " .. (todo[c.i].responses[c.r].text or "")
    end
    local scores = recipe.score_texts(ctx, calls, p.concurrency)
    local res = { dataset = ds.name, annotator = ann, pairs = #items, skipped_done = #items - #todo, written = 0 }
    if ctx.dry_run then return res end
    local got = {}
    for k, c in ipairs(calls) do
      got[c.i] = got[c.i] or {}
      got[c.i][c.r] = got[c.i][c.r] or {}
      got[c.i][c.r][c.which] = scores[k]
    end
    ctx:write(function()
      for i, it in ipairs(todo) do
        local g, rewards, ok = got[i], {}, true
        for r = 1, 2 do
          local s, w = g[r].strong, g[r].weak
          if not (s and w) then ok = false; break end
          if p.normalize then
            rewards[r] = s.score / math.max(s.tokens, 1) - w.score / math.max(w.tokens, 1)
          else
            rewards[r] = s.score - w.score
          end
        end
        if ok then
          for r = 1, 2 do
            assert(it:rate{ response = r, aspect = "logp:" .. p.strong, value = g[r].strong.score, annotator = ann })
            assert(it:rate{ response = r, aspect = "logp:" .. p.weak, value = g[r].weak.score, annotator = ann })
            assert(it:rate{ response = r, aspect = "cdr", value = rewards[r], annotator = ann })
          end
          local d = rewards[1] - rewards[2]
          local v = d > 0 and "A" or (d < 0 and "B" or "tie")
          local pa = 1 / (1 + math.exp(-d))
          assert(it:judge{ a = 1, b = 2, verdict = v, p_a = pa, annotator = ann,
            rationale = ("reward %.4f vs %.4f"):format(rewards[1], rewards[2]),
            meta = ctx:meta{ strong = p.strong, weak = p.weak, template = p.template, rewards = rewards,
                             tokens = { g[1].strong.tokens, g[2].strong.tokens } } })
          res.written = res.written + 1
        end
      end
    end)
    local mine, ref = {}, {}
    for i, it in ipairs(items) do
      it:refresh()
      mine[i], ref[i] = label_of(it, ann), label_of(it, p.reference)
    end
    local kappa, agreement, n = ps.stats.cohen_kappa(mine, ref)
    res.reference, res.n, res.agreement, res.kappa = p.reference, n, agreement or ps.json.null, kappa or ps.json.null
    return res
  end,
  report = function(res)
    print(("cdr on %s: %d pairs, %d scored now (%d already), by %s"):format(recipe.clean(res.dataset), res.pairs,
      res.written, res.skipped_done, recipe.clean(res.annotator)))
    print(("  vs %s: n %d, agreement %s, kappa %s"):format(recipe.clean(res.reference), res.n,
      res.agreement == ps.json.null and "-" or ("%.1f%%"):format(100 * res.agreement),
      res.kappa == ps.json.null and "-" or ("%.3f"):format(res.kappa)))
  end,
}
