-- ps.json, ps.inspect, templates and prefscope.util beyond the documented examples.
local util = require "prefscope.util"

test("json round trip and edge cases", function()
  local v = { s = "é\n\"\\", n = -3, f = 0.5, b = false, l = { 1, { x = ps.json.null } }, e = {} }
  local back = assert(ps.json.decode(ps.json.encode(v)))
  eq(back.s, v.s)
  eq(back.l[2].x, ps.json.null)
  eq(ps.json.encode({}), "[]")
  eq(ps.json.encode("\0x"), '"\\u0000x"')
  raises("cannot encode", ps.json.encode, { f = print })
  raises("keys", ps.json.encode, { [true] = 1 })
  raises("nested too deeply", function()
    local t = {}
    t.t = t
    return ps.json.encode(t)
  end)
  raises("cannot encode", ps.json.encode, 0 / 0)
  local nothing, msg = ps.json.decode("[1,")
  eq(nothing, nil)
  ok(msg:find("malformed JSON", 1, true))
  eq(ps.json.decode("12"), 12)
  eq(math.type(ps.json.decode("12")), "integer")
  eq(ps.json.decode("1.5"), 1.5)
end)

test("inspect limits depth, items and string length", function()
  local deep = { a = { b = { c = { d = 1 } } } }
  eq(ps.inspect(deep, { depth = 2 }), "{ a = { b = {...} } }")
  local many = {}
  for i = 1, 100 do many[i] = i end
  ok(ps.inspect(many, { items = 5 }):find("...(95 more)", 1, true))
  ok(ps.inspect(string.rep("x", 500)):find("(500 bytes)", 1, true))
  local cyc = {}
  cyc.self = cyc
  ok(ps.inspect(cyc, { depth = 5 }):find("<cycle>", 1, true))
  eq(ps.inspect({ ["key with space"] = 1 }), '{ ["key with space"] = 1 }')
  ok(ps.inspect(many):find("\n", 1, true), "long tables break lines")
end)

test("templates: missing values raise, sections, files by path", function()
  raises("no value for {{who}}", ps.template.render_string, "hi {{who}}", {})
  raises("is a table", ps.template.render_string, "hi {{who}}", { who = {} })
  eq(ps.template.render_string("{{ a }}{{b}}", { a = 1, b = true }), "1true")
  eq(ps.template.render_string("{{unclosed", {}), "{{unclosed")
  local dir = tmpdir()
  local f = assert(io.open(dir .. "/t.txt", "w"))
  f:write("--- system ---\nS {{x}}\n--- user ---\nU {{x}}\n")
  f:close()
  eq(ps.template.sections(dir .. "/t.txt"), { "system", "user" })
  eq(ps.template.render(dir .. "/t.txt", { x = 1 }, "user"), "U 1\n")
  eq(ps.template.render(dir .. "/t.txt", { x = 1 }, "system"), "S 1")
  raises("has sections", ps.template.render, dir .. "/t.txt", { x = 1 })
  fails("has no section 'other'", ps.template.render, dir .. "/t.txt", { x = 1 }, "other")
  fails("not found", ps.template.render, "no/such", {})
  fails("not found", ps.template.find, "../no-such-template")
  local names = ps.template.list()
  ok(#names >= 1 and names[1]:find("/", 1, true))
end)

test("util: collect, count, sample, shuffle, jsonl", function()
  local ds = fixture()
  eq(#util.collect(ds:items(), 2), 2)
  eq(util.count(ds:items{ label = "labeled" }), 2)
  local l = {}
  for i = 1, 50 do l[i] = i end
  local a, b = util.sample(l, 10, 7), util.sample(l, 10, 7)
  eq(a, b)
  ok(not pcall(util.sample, l, -1))
  local s = util.shuffle(l, 3)
  eq(#s, 50)
  table.sort(s)
  eq(s, l)
  local path = tmpdir() .. "/x.jsonl"
  ok(util.write_jsonl(path, { { a = 1 }, { b = "two" } }))
  eq(util.read_jsonl(path), { { a = 1 }, { b = "two" } })
  local f = assert(io.open(path, "a"))
  f:write("{broken\n")
  f:close()
  local none, msg = util.read_jsonl(path)
  eq(none, nil)
  ok(msg:find("x.jsonl:3:", 1, true), msg)
end)

test("ui functions are headless here", function()
  eq(ps.ui.headless(), true)
  eq(ps.headless, true)
  fails("needs the TUI", ps.ui.current)
  fails("needs the TUI", ps.ui.open, "items", "demo")
  ps.ui.progress(1, 2, "x")
  ps.ui.progress(0, 0)
  -- 0/0 from a script is its bug: said at once, never drawn as "-nan%"
  raises("done must be a finite number", ps.ui.progress, 0 / 0, 5)
  raises("total must be a finite number", ps.ui.progress, 1, 0 / 0)
  raises("total must be a finite number", ps.ui.progress, 1, math.huge)
end)
