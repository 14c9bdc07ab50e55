-- ps.stats evaluation functions and require "prefscope.judge" (hand-computed cases;
-- the arithmetic is the same as in tests/unit/test_stats*.c).
local judge = require "prefscope.judge"

local function near(got, want, tol)
  ok(type(got) == "number" and math.abs(got - want) <= (tol or 1e-9),
     ("got %s, want %s"):format(tostring(got), tostring(want)))
end

test("cohen_kappa, fleiss_kappa, krippendorff_alpha, majority", function()
  -- rows A: 4 1 0 / B: 1 3 1 / tie: 0 0 2  ->  po = 0.75, kappa = 19/31
  local r1, r2 = {}, {}
  local function add(a, b, n) for _ = 1, n do r1[#r1 + 1] = a; r2[#r2 + 1] = b end end
  add("A", "A", 4); add("A", "B", 1); add("B", "A", 1); add("B", "B", 3); add("B", "tie", 1); add("tie", "tie", 2)
  add("A", false, 3); add("invalid", "B", 2) -- missing labels are skipped
  local k, ag, n = ps.stats.cohen_kappa(r1, r2)
  near(k, 19 / 31); near(ag, 0.75); eq(n, 12)
  raises("differ in length", ps.stats.cohen_kappa, { "A" }, {})
  raises("is not A, B, tie", ps.stats.cohen_kappa, { "C" }, { "A" })
  -- units [3 0 0] [2 1 0] [0 3 0] [1 1 1]: Fleiss 11/41, Krippendorff 27/82
  local units = { { "A", "A", "A" }, { "A", "A", "B" }, { "B", "B", "B" }, { "A", "B", "tie" } }
  local fk, used = ps.stats.fleiss_kappa(units)
  near(fk, 11 / 41); eq(used, 4)
  near(ps.stats.krippendorff_alpha(units), 27 / 82)
  units[5] = { "A" }; units[6] = { "A", "B", false }
  near(ps.stats.krippendorff_alpha(units), 19 / 110)
  eq(ps.stats.majority({ "B", "tie", "A" }), "B")
  eq(ps.stats.majority({ "tie", "A", "A" }), "A")
  eq(ps.stats.majority({ false, "invalid" }), nil)
end)

test("classify against a reference", function()
  -- reference A x7 (5 A, 1 B, 1 invalid), B x8 (2 A, 6 B), tie x4 (A, B, tie, invalid)
  local ref, pred = {}, {}
  local function add(t, p, n) for _ = 1, n do ref[#ref + 1] = t; pred[#pred + 1] = p end end
  add("A", "A", 5); add("A", "B", 1); add("A", "invalid", 1)
  add("B", "A", 2); add("B", "B", 6)
  add("tie", "A", 1); add("tie", "B", 1); add("tie", "tie", 1); add("tie", false, 1)
  local m = ps.stats.classify(ref, pred)
  eq(m.n, 19)
  near(m.accuracy, 12 / 19); near(m.macro_precision, 19 / 24); near(m.macro_recall, 4 / 7)
  near(m.macro_f1, 109 / 180); near(m.classes.tie.recall, 0.25); eq(m.classes.B.support, 8)
  -- invalid as tie: the tie row's invalid becomes correct, A's invalid a wrong tie
  local t = ps.stats.classify(ref, pred, { invalid = "tie" })
  near(t.accuracy, 13 / 19)
  raises("unknown option", ps.stats.classify, ref, pred, { nope = 1 })
end)

test("bt, elo, percentile_ci, parse_verdict", function()
  -- x beats y 3 times and loses once: gap 400*log10(3)
  local battles = { { a = "x", b = "y", winner = "a", weight = 3 }, { a = "y", b = "x", winner = "a" } }
  local r, conv = ps.stats.bt(battles, { prior = 0 })
  ok(conv)
  near(r.x - r.y, 400 * math.log(3, 10), 1e-6); near(r.x + r.y, 2000, 1e-6)
  local lone, conv0 = ps.stats.bt({ { a = "x", b = "y", winner = "a" } }, { prior = 0 })
  eq(conv0, false) -- y never wins: no MLE
  ok(ps.stats.bt({ { a = "x", b = "y", winner = "a" } }).y < 1000)
  local e = ps.stats.elo({ { a = "p", b = "q", winner = "a" }, { a = "q", b = "p", score = 1 } })
  near(e.q, 998 + 4 * (1 - 1 / (1 + 10 ^ 0.01)), 1e-9)
  raises("winner must be", ps.stats.elo, { { a = "p", b = "q", winner = "x" } })
  raises("cannot battle itself", ps.stats.bt, { { a = "p", b = "p", winner = "a" } })
  local lo, hi = ps.stats.percentile_ci({ 5, 1, 3, 2, 4 }, 0.5)
  near(lo, 2); near(hi, 4)
  eq({ ps.stats.parse_verdict("My verdict: [[B]]") }, { "B", "brackets" })
  eq({ judge.parse("{\"winner\": \"tie\"}") }, { "tie", "json" })
  eq({ judge.parse("no idea") }, { "invalid", "none" })
end)

-- three items, m1 vs m2; gold "dataset" and a judge that saw both orders
local function tiny()
  local ds = assert(ps.create_dataset("tiny"))
  local function add(prompt, t1, t2, gold, fwd, rev)
    local it = assert(ds:add_item{ prompt = prompt,
      responses = { { text = t1, model = "m1" }, { text = t2, model = "m2" } },
      judgments = { { verdict = gold, annotator = "dataset" } } })
    assert(it:judge{ a = 1, b = 2, verdict = fwd, annotator = "llm:j" })
    assert(it:judge{ a = 2, b = 1, verdict = rev, annotator = "llm:j" })
    return it
  end
  add("p1", "aa", "bbbb", "A", "A", "B")
  add("p2", "ccc", "d", "B", "tie", "A")
  add("p3", "e", "ff", "A", "invalid", "A")
  return ds
end

test("report and rank of a dataset", function()
  local ds = tiny()
  -- three items: below the default minimum n every figure is withheld with a reason
  local small = assert(ps.stats.report(ds, { against = "dataset", bootstrap = 0 }))
  eq(small.min_n, 10)
  eq(small.annotators[1].winrate_b.value, ps.json.null)
  eq(small.annotators[1].winrate_b.reason, "n too small")
  eq(small.agreement[1].cohen_kappa.reason, "n too small")
  local r = assert(ps.stats.report(ds, { against = "dataset", bootstrap = 50, seed = 3, min_n = 0 }))
  local by = {}
  for _, a in ipairs(r.annotators) do by[a.annotator] = a end
  near(by["llm:j"].winrate_b.value, 0.3)
  near(by["llm:j"].position.consistency.value, 1 / 3)
  near(by["llm:j"].length.longer_wins.value, 0.3)
  near(by["llm:j"].vs_reference.accuracy.value, 0.5)
  near(by["llm:j"].vs_reference.macro_f1.value, 7 / 18)
  eq(by["llm:j"].invalid, 1)
  near(r.agreement[1].cohen_kappa.value, 1 / 3)
  near(r.krippendorff_alpha.alpha.value, 0.4)
  local lo, hi = table.unpack(by["llm:j"].winrate_b.ci)
  ok(lo <= 0.3 and 0.3 <= hi)
  local only = assert(ps.stats.report(ds, { annotators = "llm:*", bootstrap = 0, min_n = 0 }))
  eq(#only.annotators, 1)
  near(only.annotators[1].vs_reference.accuracy.value, 0.5) -- "dataset" is the default reference
  local noref = assert(ps.stats.report(ds, { against = "none", bootstrap = 0 }))
  eq(noref.reference, ps.json.null)
  fails("no annotator 'nobody'", ps.stats.report, ds, { against = "nobody" })
  raises("unknown option", ps.stats.report, ds, { sauce = 1 })
  local lb = assert(ps.stats.rank(ds, { bootstrap = 20, annotators = { "dataset" } }))
  eq(lb.models[1].model, "m1") -- gold: m1 wins 2 of 3
  eq(lb.battles, 3)
  fails("no model 'zz'", ps.stats.rank, ds, { anchor = "zz" })
end)

test("judge.prompt renders the shipped templates", function()
  local ds = tiny()
  local it = ds:item(1)
  local sys, user = judge.prompt(it, 2, 1, "pairwise")
  ok(sys:find("[[A]]", 1, true))
  ok(user:find("# Reply A\nbbbb", 1, true), user)
  ok(user:find("# Reply B\naa", 1, true), user)
  local _, u2 = judge.prompt(it, 1, 2, "pairwise_json")
  ok(u2:find("# Request\np1", 1, true))
  raises("no responses", judge.prompt, it, 1, 3)
end)

test("judge.jury writes the majority of several judges", function()
  local ds = assert(ps.create_dataset("jury"))
  local function add(votes)
    local it = assert(ds:add_item{ prompt = "p", responses = { "x", "y" } })
    for name, v in pairs(votes) do
      if type(v) == "table" then -- presented reversed
        assert(it:judge{ a = 2, b = 1, verdict = v[1], annotator = name })
      else
        assert(it:judge{ a = 1, b = 2, verdict = v, annotator = name })
      end
    end
  end
  add{ j1 = "A", j2 = "A", j3 = "B" }        -- A (2 of 3)
  add{ j1 = "B", j2 = { "A" }, j3 = "tie" }  -- j2 saw it reversed: A there = B here -> B
  add{ j1 = "tie", j2 = "A", j3 = "B" }      -- all differ: j1 (listed first) -> tie
  add{ j1 = "invalid", j2 = "B" }            -- only j2 votes -> B
  add{ other = "A" }                         -- no judge voted: skipped
  local out = judge.jury{ dataset = ds, judges = { "j1", "j2", "j3" }, annotator = "jury:3" }
  eq(out, { units = 4, written = 4, unanimous = 1, split = 3 })
  local got = {}
  for it in ds:items() do got[#got + 1] = it:label("jury:3") or "-" end
  eq(got, { "A", "B", "tie", "B", "-" })
  local dry = judge.jury{ dataset = ds, judges = { "j1" }, dry_run = true }
  eq(dry.written, 0)
end)

-- The fake server answers "reply to: <user message>", so the verdict is whatever
-- marker the echoed pair carries (see tests/e2e/eval_judge_fake.sh).
local function judge_fixture()
  local ds = assert(ps.create_dataset("judged"))
  assert(ds:add_item{ prompt = "Q1", responses = { "alpha [[A]]", "beta [[B]]" } })  -- r2 wins both ways
  assert(ds:add_item{ prompt = "Q2 [[A]]", responses = { "one", "two" } })           -- first shown wins
  assert(ds:add_item{ prompt = "Q3", responses = { "x", "y" } })                     -- invalid
  return ds
end

test("judge.pair asks a model in both orders", function()
  local m = assert(ps.model{ provider = "openai", base_url = fake_llm(), model = "fake-model", name = "fj" })
  local ds = judge_fixture()
  local out = assert(judge.pair{ model = m, item = ds:item(1), swap = true })
  eq(#out, 2)
  eq({ out[1].a, out[1].b, out[1].verdict, out[1].rule }, { 1, 2, "B", "brackets" })
  eq({ out[2].a, out[2].b, out[2].verdict, out[2].swap }, { 2, 1, "A", true })
  ok(out[1].text:find("reply to:", 1, true))
end)

test("judge.run stores judgments, skips done work, and the report sees them", function()
  local m = assert(ps.model{ provider = "openai", base_url = fake_llm(), model = "fake-model", name = "fj2" })
  local ds = judge_fixture()
  local s = judge.run{ dataset = ds, model = m, swap = true, annotator = "llm:fj" }
  eq({ s.requests, s.judged, s.A, s.B, s.tie, s.invalid, s.errors }, { 6, 6, 3, 1, 0, 2, 0 })
  local again = judge.run{ dataset = ds, model = m, swap = true, annotator = "llm:fj" }
  eq(again.requests, 0)
  local r = assert(ps.stats.report(ds, { annotators = "llm:fj", bootstrap = 0, min_n = 0 }))
  local a = r.annotators[1]
  eq(a.n, 6); eq(a.invalid, 2)
  near(a.position.consistency.value, 1 / 3) -- only item 1 agrees across orders
  local sampled = judge.run{ dataset = ds, model = m, sample = 2, seed = 4, annotator = "llm:sample" }
  eq(sampled.requests, 2)
  local dead = assert(ps.model{ base_url = "http://127.0.0.1:1/v1", model = "x", max_retries = 0 })
  local failed = judge.run{ dataset = ds, model = dead, annotator = "llm:dead" }
  eq(failed.errors, 3); eq(failed.judged, 0)
  ok(#failed.first_error > 0)
end)
