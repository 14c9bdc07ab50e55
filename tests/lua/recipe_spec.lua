-- prefscope.recipe: parameter parsing, the rating parsers and the seeded helpers,
-- with randomized inputs checked against a direct construction of the answer.
local recipe = require "prefscope.recipe"

local SPEC = { name = "t", params = {
  { "dataset", "string", nil, "d", required = true },
  { "n", "integer", 4, "n", min = 2, max = 32 },
  { "rate", "number", 0.5, "r" },
  { "models", "list", { "a" }, "m" },
  { "swap", "flag", false, "s" },
} }

local function parse_err(argv)
  local okk, err = pcall(recipe.parse_args, SPEC, argv)
  assert(not okk and type(err) == "table", "expected a recipe error")
  return err.recipe_error
end

test("parse_args: forms, types and one-line errors", function()
  local p = recipe.parse_args(SPEC, { "--dataset", "x", "--n=7", "--rate", "0.25", "--models", " a, b ,,c ", "--swap" })
  eq(p.dataset, "x"); eq(p.n, 7); eq(p.rate, 0.25); eq(p.models, { "a", "b", "c" }); eq(p.swap, true)
  ok(parse_err({ "--n", "x" }):find("expects an integer, not 'x'", 1, true))
  ok(parse_err({ "--n", "1" }):find("--n must be >= 2", 1, true))
  ok(parse_err({ "--n", "2.5" }):find("expects an integer", 1, true))
  ok(parse_err({ "--rate", "nan" }):find("expects a number", 1, true))
  ok(parse_err({ "--bogus" }):find("unknown parameter --bogus", 1, true))
  ok(parse_err({ "--swap=1" }):find("takes no value", 1, true))
  ok(parse_err({ "--dataset" }):find("needs a value", 1, true))
  ok(parse_err({ "x" }):find("unexpected argument 'x'", 1, true))
  local hostile = parse_err({ "--n", "\27[2J" })
  ok(not hostile:find("\27", 1, true) and not hostile:find("\n", 1, true))
  local help = recipe.help(SPEC)
  ok(help:find("--n INTEGER", 1, true) and help:find("[4]", 1, true) and help:find("[required]", 1, true))
end)

test("parse_rating and parse_rating_blocks on random answers", function()
  math.randomseed(ps.now() // 1)
  for _ = 1, 200 do
    local n = math.random(1, 6)
    local want, parts = {}, {}
    for k = 1, n do
      local r = math.random(0, 6) -- 0 = N/A, 6 = out of range
      want[k] = (r >= 1 and r <= 5) and r or nil
      local shown = r == 0 and (math.random(2) == 1 and "N/A" or "n/a") or tostring(r)
      local head = ({ "Text %d", "### Text %d", "**Text %d**" })[math.random(3)]:format(k)
      local rating = ({ "Rating: %s", "**Rating:** %s", "rating : %s" })[math.random(3)]:format(shown)
      parts[#parts + 1] = head .. "\n" .. rating .. "\nRationale: because " .. k .. "\ncontinued"
    end
    local got = recipe.parse_rating_blocks(table.concat(parts, "\n\n"), 1, 5)
    for k = 1, n do
      eq(got[k].rating, want[k])
      eq(got[k].rationale, "because " .. k .. " continued")
    end
    local v = math.random(-2, 12)
    local text = ("chatter Rating: 3\nmore\nRating: %d\n"):format(v)
    eq(recipe.parse_rating(text, 1, 10), (v >= 1 and v <= 10) and v or nil)
  end
  eq(recipe.parse_rating("I give it [[7]].", 1, 10), 7)
  eq(select(2, recipe.parse_rating("no score", 1, 10)), "none")
  eq(select(2, recipe.parse_rating("Rating: N/A", 1, 5)), "n/a")
end)

test("sample_list is a seeded, ordered sample without repeats", function()
  local items = {}
  for k = 1, 50 do items[k] = k end
  for seed = 1, 20 do
    local n = seed * 2
    local s1, s2 = recipe.sample_list(items, n, seed), recipe.sample_list(items, n, seed)
    eq(s1, s2)
    eq(#s1, n)
    for k = 2, #s1 do ok(s1[k - 1] < s1[k]) end
  end
  eq(#recipe.sample_list(items, 0, 1), 50)
  eq(#recipe.sample_list(items, 80, 1), 50)
  local rnd = recipe.rng(3)
  for _ = 1, 1000 do local v = rnd(7); ok(v >= 1 and v <= 7 and math.type(v) == "integer") end
end)
