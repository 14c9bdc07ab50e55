-- recipes.synthetic_users: FSPO-style synthetic users (Singh et al. 2025): generate
-- personas, then a few preferences per persona from a judge conditioned on the
-- persona; a per-user dataset with the persona kept as metadata (docs/recipes.md).
local recipe = require "prefscope.recipe"
local judge = require "prefscope.judge"

local FIELDS = { "name", "age", "occupation", "expertise", "style", "values" }

-- The persona object in a model's answer (the first {...} that decodes), or nil.
local function parse_persona(text)
  local s = text:find("{", 1, true)
  while s do
    local depth, e = 0, nil
    for k = s, #text do
      local ch = text:sub(k, k)
      if ch == "{" then depth = depth + 1 elseif ch == "}" then depth = depth - 1 end
      if depth == 0 then e = k; break end
    end
    if not e then return nil end
    local v = ps.json.decode(text:sub(s, e))
    if type(v) == "table" and v.name ~= nil then return v end
    s = text:find("{", s + 1, true)
  end
end

local function describe(p)
  local lines = {}
  for _, f in ipairs(FIELDS) do
    local v = p[f]
    if v ~= nil and v ~= ps.json.null then
      if type(v) == "table" then v = table.concat(v, ", ") end
      lines[#lines + 1] = ("%s: %s"):format(f, tostring(v))
    end
  end
  return table.concat(lines, "\n")
end

return recipe.define{
  name = "synthetic_users",
  summary = "Generate personas, then for each persona a few questions of a dataset with two\n"
    .. "sampled answers each, labelled by a judge that speaks for the persona.  Writes one\n"
    .. "dataset with an annotator and a tag per synthetic user and the persona in the item meta.",
  reproduces = "the synthetic users of FSPO (Singh, Hsu, ... Finn, 2025)",
  needs = "chat completions (the generator honours seed)",
  writes = "dataset OUTPUT: per user and question the two answers, a judgment by user:N (the\n"
    .. "persona's preference), tag user-N, item meta = {recipe, params, persona, persona_text, user}",
  params = {
    { "dataset", "string", nil, "dataset whose prompts are the questions", required = true },
    { "generator", "string", nil, "model inventing personas and answering the questions", required = true },
    { "judge", "string", nil, "model labelling pairs on behalf of each persona", required = true },
    { "users", "integer", 4, "personas to generate", min = 1 },
    { "per-user", "integer", 3, "questions (labelled pairs) per persona", min = 1 },
    { "output", "string", "{dataset}-users", "name of the dataset written" },
    { "persona-template", "string", "recipes/persona", "persona template (vars: index, total)" },
    { "template", "string", "recipes/persona_judge", "judge template (vars: persona, instruction, a, b)" },
    { "temperature", "number", 1.0, "temperature of personas and answers", min = 0 },
    { "max-tokens", "integer", 512, "max_tokens of an answer and of a persona", min = 1 },
    { "seed", "integer", 1, "seed of the question draws and the request seeds" },
  },
  run = function(ctx)
    local p = ctx.p
    local ds = ctx:dataset(p.dataset)
    ctx:model(p.generator); ctx:model(p.judge)
    local questions = recipe.prompts_of(ds)
    if #questions == 0 then recipe.fail(ctx, ("dataset '%s' has no prompts"):format(recipe.clean(p.dataset))) end
    local out_name = p.output:gsub("{dataset}", function() return ds.name end)
    local out_ds = ps.dataset(out_name)
    -- stage 1: personas
    local preqs = {}
    for u = 1, p.users do
      local vars = { index = tostring(u), total = tostring(p.users) }
      preqs[u] = { system = assert(ps.template.render(p.persona_template, vars, "system")),
                   messages = { { role = "user", content = assert(ps.template.render(p.persona_template, vars, "user")) } },
                   temperature = p.temperature, max_tokens = p.max_tokens, seed = p.seed * 1000 + u }
    end
    local pres = ctx:chat_many(p.generator, preqs)
    local personas = {}
    for u = 1, p.users do
      local v = pres[u].placeholder and { name = "placeholder" } or (pres[u].ok and parse_persona(pres[u].text or ""))
      personas[u] = v or false
    end
    -- stage 2: per persona, per-user questions (seeded draw) and two answers each
    local units, greqs = {}, {}
    for u = 1, p.users do
      local qs = recipe.sample_list(questions, math.min(p.per_user, #questions), p.seed * 7919 + u)
      for _, q in ipairs(qs) do
        local key = ("user-%d/%s"):format(u, q.ext_id or q.key)
        if personas[u] and not (out_ds and out_ds:find(key)) then
          units[#units + 1] = { u = u, q = q, key = key }
          for k = 1, 2 do
            greqs[#greqs + 1] = recipe.chat_request(q, { temperature = p.temperature, max_tokens = p.max_tokens,
                                                         seed = p.seed * 1000 + k, sample = k })
          end
        end
      end
    end
    local gens = ctx:chat_many(p.generator, greqs)
    -- stage 3: the persona-conditioned judge
    local jreqs, jat = {}, {}
    for n, unit in ipairs(units) do
      local a, b = gens[2 * n - 1], gens[2 * n]
      if a.ok and b.ok and a.text and b.text then
        unit.a, unit.b = a.text, b.text
        local vars = { persona = describe(personas[unit.u]), instruction = judge.instruction(unit.q), a = a.text, b = b.text }
        jreqs[#jreqs + 1] = { system = assert(ps.template.render(p.template, vars, "system")),
                              messages = { { role = "user", content = assert(ps.template.render(p.template, vars, "user")) } },
                              temperature = 0, max_tokens = 16 }
        jat[#jreqs] = n
      end
    end
    local verdicts = ctx:chat_many(p.judge, jreqs)
    local res = { dataset = ds.name, output = out_name, users = 0, persona_failures = 0, written = 0 }
    for u = 1, p.users do
      if personas[u] then res.users = res.users + 1 else res.persona_failures = res.persona_failures + 1 end
    end
    if ctx.dry_run then return res end
    ctx:write(function()
      for j, n in ipairs(jat) do
        local r, unit = verdicts[j], units[n]
        if r.ok then
          out_ds = ctx:output(out_ds, out_name, ds, { generator = p.generator, judge = p.judge, template = p.template })
          local v = judge.parse(r.text or "")
          local persona = personas[unit.u]
          assert(out_ds:add_item{ key = unit.key, prompt = unit.q.prompt, system = unit.q.system, history = unit.q.history,
            responses = { { text = unit.a, model = p.generator }, { text = unit.b, model = p.generator } },
            judgments = { { a = 1, b = 2, verdict = v, p_a = recipe.verdict_p(v), annotator = ("user:%d"):format(unit.u),
                            rationale = r.text,
                            meta = ctx:meta{ judge = p.judge, template = p.template, user = unit.u } } },
            tags = { ("user-%d"):format(unit.u) },
            meta = ctx:meta{ persona = persona, persona_text = describe(persona), user = unit.u,
                             generator = p.generator, judge = p.judge, template = p.template } })
          res.written = res.written + 1
        end
      end
    end)
    return res
  end,
  report = function(res)
    print(("synthetic users: %d personas (%d failed to parse), %d labelled pairs in %s")
      :format(res.users, res.persona_failures, res.written, recipe.clean(res.output)))
  end,
}
