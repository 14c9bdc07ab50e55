-- prefscope.c3po: the lenient answer parsers (randomized answer shapes checked against
-- the lists that produced them), the template rendering the pipeline uses (the same
-- text as ps.template), --templates overrides, and the store's dedupe and edits.
local c3po = require "prefscope.c3po"

local function rng(seed)
  local s = seed
  return function(n)
    s = (s * 1103515245 + 12345) % 2147483648
    return s % n + 1
  end
end

local NUMBERING = {
  function(i, s) return i .. ". " .. s end,
  function(i, s) return i .. ") " .. s end,
  function(i, s) return "(" .. i .. ") " .. s end,
  function(i, s) return i .. ": " .. s end,
  function(_, s) return "- " .. s end,
  function(_, s) return "* " .. s end,
  function(_, s) return "• " .. s end,
  function(i, s) return "  " .. i .. ".  **" .. s .. "**" end,
  function(i, s) return i .. '. "' .. s .. '"' end,
}
local LABELS = {
  function(l) return l .. ":" end,
  function(l) return "**" .. l .. ":**" end,
  function(l) return "## " .. l:gsub("_", " ") .. ":" end,
  function(l) return l:lower() .. ":" end,
  function(l) return l:gsub("_", " ") .. ": " end,
}

test("list answers in any numbering and label style parse to the revised list", function()
  local r = rng(7)
  for round = 1, 300 do
    local n = r(12)
    local first, revised = {}, {}
    for i = 1, n do
      first[i] = "draft item " .. round .. "." .. i .. " with words"
      revised[i] = "final item " .. round .. "." .. i .. (r(3) == 1 and ": with a colon" or "")
    end
    local num, lab = NUMBERING[r(#NUMBERING)], LABELS[r(#LABELS)]
    local parts = {}
    if r(2) == 1 then parts[#parts + 1] = lab("THOUGHTS") .. " some thoughts\nover two lines" end
    local function list(l)
      local out = {}
      for i, s in ipairs(l) do out[i] = num(i, s) end
      return table.concat(out, r(4) == 1 and "\n\n" or "\n")
    end
    parts[#parts + 1] = lab("PROMPTS") .. "\n" .. list(first)
    local with_revised = r(5) ~= 1
    if with_revised then parts[#parts + 1] = lab("REVISED_PROMPTS") .. "\n" .. list(revised) end
    local text = table.concat(parts, "\n\n")
    local items, used = c3po.parse_list(text, { "REVISED_PROMPTS", "PROMPTS" })
    eq(items, with_revised and revised or first, text)
    eq(used, with_revised and "REVISED_PROMPTS" or "PROMPTS")
  end
  -- no labels at all: the numbered lines
  eq(c3po.parse_list("Sure! Here you go:\n1. one\n2. two\nHope this helps.", { "PROMPTS" }), { "one", "two" })
  -- continuation lines join their item
  eq(c3po.parse_list("PROMPTS:\n1. a long\n   prompt\n2. b", { "PROMPTS" }), { "a long prompt", "b" })
  eq(c3po.parse_list("", { "PROMPTS" }), {})
end)

test("revision, judge and split answers", function()
  local r = rng(3)
  for _ = 1, 200 do
    local crit = "The response misses point " .. r(1000) .. "."
    local resp = "Line one\nRESPONSE: a line that looks like a label\n\n" .. ("x"):rep(r(50))
    local lab = LABELS[r(#LABELS)]
    local text = (r(2) == 1 and lab("EXPLANATION") .. " " or "") .. crit .. "\n" ..
      lab("IMPROVED_RESPONSE") .. "\n" .. resp .. "\n"
    local c, v = c3po.parse_revision(text)
    eq(v, resp, text)
    eq(c, crit, text)
  end
  local none, msg = c3po.parse_revision("EXPLANATION: fine as is.")
  eq(none, nil)
  ok(msg:find("IMPROVED_RESPONSE", 1, true))
  eq(select(2, c3po.parse_revision("EXPLANATION: x\nRESPONSE: the cot answer", "RESPONSE")), "the cot answer")
  for n = 1, 5 do
    eq(c3po.parse_judge("EXPLANATION: because.\n**BETTER_RESPONSE:** " .. n), n)
    eq(c3po.parse_judge("EXPLANATION: because.\nBetter response: Response " .. n .. " is better"), n)
  end
  eq(c3po.parse_judge("EXPLANATION: both are fine"), nil)
  eq(c3po.parse_judge("BETTER_RESPONSE: 7"), nil)
  eq({ c3po.parse_split("DOMAIN: emails to Jared\nEFFECT: be concise") }, { "emails to Jared", "be concise" })
  eq(c3po.parse_split("DOMAIN: only"), nil)
end)

test("the pipeline renders templates exactly as ps.template does; --templates overrides by name", function()
  local v = {}
  for _, k in ipairs{ "feedback", "domain", "effect", "content", "count", "avoid", "category", "prompt",
                      "response", "response_1", "response_2" } do
    v[k] = "<" .. k .. " {{not a var}}>"
  end
  for _, name in ipairs(c3po.TEMPLATES) do
    local tn = "c3po/" .. name
    local has = {}
    for _, s in ipairs(assert(ps.template.sections(tn))) do has[s] = true end
    local sys = has.system and assert(ps.template.render(tn, v, "system")) or nil
    local user = assert(ps.template.render(tn, v, has.user and "user" or nil))
    local s2, u2, used = c3po.render(name, v)
    eq(s2, sys, name)
    eq(u2, user, name)
    eq(used, tn)
  end
  local dir = tmpdir()
  local f = assert(io.open(dir .. "/revise.txt", "w"))
  f:write("--- system ---\nbe nice\n--- user ---\nP={{prompt}} R={{response}} E={{effect}}\n")
  f:close()
  local s, u, used = c3po.render("revise", { prompt = "p", response = "r", effect = "e" }, dir)
  eq({ s, u, used }, { "be nice", "P=p R=r E=e\n", dir .. "/revise.txt" })
  -- other templates stay the defaults
  eq(select(3, c3po.render("judge", v, dir)), "c3po/judge")
  raises("prompt", c3po.render, "baseline", {}, dir)
end)

test("items are deduplicated per feedback, edits keep the original, undo walks back", function()
  local fb = ps.c3po.feedback_add{ feedback = "x", domain = "d", effect = "e" }
  local other = ps.c3po.feedback_add{ feedback = "y", domain = "d", effect = "e" }
  local a = assert(ps.c3po.item_add{ feedback = fb, scope = "in", prompt = "Write a poem." })
  eq({ select(2, ps.c3po.item_add{ feedback = fb, scope = "out", prompt = "  write A poem " }) }, { false })
  eq({ select(2, ps.c3po.item_add{ feedback = other, scope = "in", prompt = "Write a poem." }) }, { true })
  fails("scope", ps.c3po.item_add, { feedback = fb, scope = "sideways", prompt = "z" })
  fails("status", ps.c3po.item_edit, a, "status", "maybe")
  fails("editable field", ps.c3po.item_edit, a, "feedback_id", "3")
  ps.c3po.item_set(a, "revised", "generated")
  for i = 1, 5 do ps.c3po.item_edit(a, "revised", "edit " .. i, "human:t") end
  eq(ps.c3po.edits("critique", a)[1].old_value, "generated")
  for i = 4, 1, -1 do
    eq(ps.c3po.undo("critique", a, "human:t"), "revised")
    eq(ps.c3po.item(a).revised, "edit " .. i)
  end
  eq(ps.c3po.undo("critique", a), "revised")
  eq(ps.c3po.item(a).revised, "generated")
  eq(ps.c3po.undo("critique", a), false)
  -- a hostile value is stored and read back as is
  local hostile = "'); DROP TABLE critique; --\27[31m\u{202e}"
  ok(ps.c3po.item_edit(a, "critique", hostile))
  eq(ps.c3po.item(a).critique, hostile)
end)
