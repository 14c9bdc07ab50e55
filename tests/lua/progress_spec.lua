-- ps.progress: the counts a bar keeps, what every open bar gets from LLM calls and
-- ps.progress.note, ps.map's bar, and closed bars.  (Drawing is tested in a terminal
-- by tests/tui/progress.sh; here stderr is not one, so nothing is drawn.)

test("a bar counts items, errors, invalid answers and tokens", function()
  local bar = ps.progress("spec", 10)
  eq(bar.total, 10)
  eq(bar.done, 0)
  bar:add()
  bar:add(3)
  bar:add{ done = 1, errors = 1, invalid = 2, tokens = 7 }
  eq(bar.done, 5); eq(bar.errors, 1); eq(bar.invalid, 2); eq(bar.tokens, 7)
  ok(tostring(bar):find("spec .*5/10 .*tok 7 .*err 1 invalid 2"), tostring(bar))
  bar:update{ done = 2, tokens = 1 } -- absolute counts
  eq(bar.done, 2); eq(bar.tokens, 1); eq(bar.errors, 0)
  bar:finish()
  eq(bar.done, nil)
  eq(tostring(bar), "Progress(finished)")
  bar:add() -- a finished bar ignores counts
  bar:finish()
end)

test("note adds to every open bar; a <close> variable finishes its bar", function()
  local outer = ps.progress("outer", 3)
  do
    local inner <close> = ps.progress("inner", 2)
    ps.progress.note{ invalid = 1, tokens = 5 }
    eq(inner.invalid, 1); eq(inner.tokens, 5)
  end
  eq(outer.invalid, 1); eq(outer.tokens, 5)
  ps.progress.note{ errors = 2 }
  eq(outer.errors, 2)
  outer:finish()
  ps.progress.note{ errors = 1 } -- no bar open: nothing happens
end)

test("ps.map: notes reach the outer bar, an error in fn still raises", function()
  local seen -- elements run before the error
  local bar = ps.progress("around", 1)
  local r = ps.map({ 1, 2, 3, 4 }, function(x)
    ps.progress.note{ tokens = x }
    return x * 2
  end, { label = "m" })
  eq(r[4], 8)
  eq(bar.tokens, 10) -- the outer bar saw the map's notes
  local ok_, err = pcall(ps.map, { 1, 2, 3 }, function(x)
    if x == 2 then error("two") end
    seen = (seen or 0) + 1
  end, { concurrency = 1 })
  ok(not ok_ and tostring(err):find("two"), tostring(err))
  eq(seen, 1) -- concurrency 1: the third element never ran
  bar:finish()
end)

test("chat_many and single calls add their tokens and errors to the open bars", function()
  local m = assert(ps.model{ provider = "openai", base_url = fake_llm(), model = "fake-model",
                            name = "prog", max_retries = 0 })
  local bar = ps.progress("calls", 3)
  local rs = m:chat_many({ "one two", "three @@fail:1:400@@", { prompt = "four", max_tokens = 3 } })
  local tokens = 0
  for _, r in ipairs(rs) do
    if r.ok then tokens = tokens + r.usage.prompt_tokens + r.usage.completion_tokens end
  end
  ok(tokens > 0)
  eq(bar.tokens, tokens)
  eq(bar.errors, 1)
  local r = assert(m:chat{ prompt = "one two" }) -- from the cache: not new tokens
  ok(r.cached)
  eq(bar.tokens, tokens)
  bar:finish()
end)

test("ps.progress checks its arguments", function()
  raises("bad argument", ps.progress)
  raises("unknown option", ps.progress, "x", 1, { nope = 1 })
  raises("bad argument", ps.progress.note)
end)
