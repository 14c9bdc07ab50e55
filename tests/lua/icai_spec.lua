-- ps.icai: the tolerant reply parsers, the C half (metrics, rank, clustering,
-- measurable principles, agreement), saving and reading a constitution, and a run
-- with hooks whose principle source is the measurable features (no LLM calls).
local icai = require "prefscope.icai"

test("generation replies: JSON, fences, text around, Python dicts, bare lines", function()
  local want = { "Select the response that is shorter", "Select the response that uses a list" }
  local replies = {
    '{"principles": ["Select the response that is shorter", "Select the response that uses a list"]}',
    '```json\n{"principles": ["Select the response that is shorter",\n "Select the response that uses a list"]}\n```',
    'Sure! Here they are:\n{"principles": ["Select the response that is shorter", "Select the response that uses a list"]}\nDone.',
    "{'principles': ['Select the response that is shorter', 'Select the response that uses a list']}",
    "1. Select the response that is shorter\n2. Select the response that uses a list",
    '{"principles": ["is shorter", "uses a list"]}', -- the prefix is added
  }
  for i, r in ipairs(replies) do
    local got = assert(icai.parse_principles(r), "reply " .. i)
    eq(got, want)
  end
  eq(icai.parse_principles('{"principles": ["Select the response whose pet is a cat"]}')[1],
     "Select the response whose pet is a cat")
  local none, why = icai.parse_principles("I cannot help with that.")
  eq(none, nil)
  ok(why:find("no principles", 1, true))
  eq(icai.parse_principles("{'principles': ['It\\'s about \"cats\"']}")[1],
     "Select the response that it's about \"cats\"")
end)

test("vote replies: integer or string keys, every shape, missing and unknown values", function()
  local shapes = {
    '{"1": "A", "2": "B", "3": "Both", "4": "None"}',
    "{1: 'A', 2: 'B', 3: 'Both', 4: 'None'}",
    '```\n{"1": "a", "2": "b", "3": "both", "4": "neither"}\n```',
    'My votes: {"1": "A", "2": "B", "3": "Both", "4": "None"} -- thanks',
  }
  for _, s in ipairs(shapes) do
    local v, any = icai.parse_votes(s, 4)
    ok(any)
    eq(v, { "A", "B", "both", "neither" })
  end
  local v = icai.parse_votes('{"1": "A", "3": "maybe", "9": "B"}', 3)
  eq(v, { "A", "invalid", "invalid" })
  local all, any = icai.parse_votes("no idea", 2)
  eq(all, { "invalid", "invalid" })
  eq(any, false)
  eq(icai.parse_choice("Output (b)"), "B")
  eq(icai.parse_choice("I would say Output (a) is better"), "A")
  eq(icai.parse_choice("both are fine"), "invalid")
end)

test("votes of several seeds combine unanimously or by majority", function()
  eq(icai.combine({ "A" }, "unanimous"), "A")
  eq(icai.combine({ "A", "A", "A" }, "unanimous"), "A")
  eq(icai.combine({ "A", "A", "B" }, "unanimous"), "neither")
  eq(icai.combine({ "A", "A", "B" }, "majority"), "A")
  eq(icai.combine({ "A", "B" }, "majority"), "neither")
  eq(icai.combine({ "both", "invalid", "both" }, "majority"), "both")
end)

test("metrics, rank and agreement from the C core", function()
  local m = ps.icai.metrics{ ["for"] = 6, against = 2, both = 1, neither = 1 }
  eq(m.relevance, 0.8)
  eq(m.accuracy, 0.75)
  ok(math.abs(m.kappa - 0.5) < 1e-12)
  ok(math.abs(m.strength - 0.4) < 1e-12)
  local ranks, reasons = ps.icai.rank({
    { ["for"] = 10, against = 2 }, { ["for"] = 30, against = 10 }, { ["for"] = 1, against = 5 },
  }, { top = 5 })
  eq(ranks, { 2, 1, 0 })
  eq(reasons[3], "for <= against")
  raises("unknown option", ps.icai.rank, {}, { nope = 1 })
  local mean, lo, hi = ps.icai.agreement{ true, true, true, false }
  eq(mean, 0.75)
  ok(lo <= mean and mean <= hi)
  eq(ps.icai.agreement{}, nil)
end)

test("clustering: planted groups, dense vectors, errors", function()
  local texts = { "cat over dog", "blue over green", "a cat not a dog", "blue not green" }
  local assign, reps = ps.icai.cluster(texts, 2, 1)
  eq(assign[1], assign[3])
  eq(assign[2], assign[4])
  ok(assign[1] ~= assign[2])
  eq(#reps, 2)
  local a2 = ps.icai.kmeans({ { 1, 0 }, { 0, 1 }, { 0.9, 0.1 }, { 0.1, 0.9 } }, 2, 7)
  eq(a2[1], a2[3])
  eq(a2[2], a2[4])
  raises("not a list of 2 numbers", ps.icai.kmeans, { { 1, 0 }, { 1 } }, 2)
  raises("k must be at least 1", ps.icai.cluster, texts, 0)
end)

test("measurable principles vote on a pair", function()
  local names = {}
  for _, f in ipairs(ps.icai.features()) do names[#names + 1] = f.name end
  ok(#names >= 15)
  local v = ps.icai.measure("Tell me about cats", "Cats!\n- one\n- two", "No.")
  eq(v.longer, "A")
  eq(v.shorter, "B")
  eq(v.list_items, "A")
  eq(v.exclamations, "A")
  eq(v.emoji, "neither")
end)

test("save, get and list a constitution; a bad vote stores nothing", function()
  local ws = assert(ps.open(":memory:"))
  ps.use(ws)
  local ds = assert(ps.create_dataset("d"))
  for i = 1, 12 do
    local long = string.rep("more words here ", i % 3 + 1)
    local it = assert(ds:add_item{ prompt = "q" .. i, responses = { "short", long } })
    assert(it:judge{ verdict = "B", annotator = "dataset" }) -- the longer one wins
  end
  local items = {}
  for it in ds:items() do items[#items + 1] = it end
  local id = assert(ps.icai.save(ds, { name = "hand", method = "user", params = { note = "x" },
    principles = { { text = "Select the response that is longer", rank = 1, stats = { ["for"] = 12 },
                     votes = { [items[1].id] = "B", [items[2].id] = "both" } },
                   { text = "Select the response that rhymes", rank = 0 } } }))
  local c = assert(ps.icai.get(id))
  eq(c.name, "hand")
  eq(c.params.note, "x")
  eq(c.principles[1].rank, 1)
  eq(c.principles[1].stats["for"], 12)
  eq(#ps.icai.list(ds), 1)
  local dup, msg = ps.icai.save(ds, { name = "hand", principles = {} })
  eq(dup, nil)
  ok(msg:find("already exists", 1, true))
  raises("votes maps item ids", ps.icai.save, ds, { name = "bad", principles = {
    { text = "x", votes = { [items[1].id] = "maybe" } } } })
  eq(#ps.icai.list(ds), 1) -- nothing of the bad one was stored
  ws:close()
end)

test("run with hooks: a custom principle source, a filter and the stages", function()
  local ws = assert(ps.open(":memory:"))
  ps.use(ws)
  local ds = assert(ps.create_dataset("h"))
  for i = 1, 6 do
    local it = assert(ds:add_item{ prompt = "q" .. i, responses = { "short", "a longer answer " .. i } })
    assert(it:judge{ verdict = "B", annotator = "dataset" })
  end
  local m = assert(ps.model{ name = "fake", base_url = fake_llm(), model = "fake-model", max_retries = 0 })
  local stages, seen = {}, nil
  local r = ps.icai.run{
    dataset = ds, model = m, test_split = 0, progress = false, top = 0,
    hooks = {
      principles = function(candidates, ctx)
        seen = #ctx.train
        ok(type(candidates) == "table")
        -- whatever the (echoing) fake server proposed, the hook's principles are tested
        return { { text = "Select the response that is longer" }, { text = "Select the response that is shorter" } }
      end,
      filter = function(list)
        for _, p in ipairs(list) do p.rank = p.text:find("longer", 1, true) and 1 or 0 end
      end,
      stage = function(name) stages[#stages + 1] = name end,
    },
  }
  eq(seen, 6)
  eq(stages, { "generate", "cluster", "vote", "filter", "evaluate" })
  eq(r.constitution, { "Select the response that is longer" })
  local c = assert(ps.icai.get(r.id))
  eq(#c.principles, 2)
  eq(c.principles[1].rank, 1)
  eq(c.principles[1].text, "Select the response that is longer")
  eq(c.principles[1].stats.total, 6) -- one vote per training pair
  eq(c.params.train, 6)
  ws:close()
end)
