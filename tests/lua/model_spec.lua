-- Models against the loopback fake server (tests/e2e/fake_llm.py).

local function model(extra)
  local t = { provider = "openai", base_url = fake_llm(), model = "fake-model", concurrency = 8 }
  for k, v in pairs(extra or {}) do t[k] = v end
  return assert(ps.model(t))
end

test("chat returns text, choices, usage, latency and the cache flag", function()
  local m = model{ name = "fake" }
  eq(m.name, "fake")
  eq(m.provider, "openai")
  local r = assert(m:chat{ messages = { { role = "user", content = "Say hi" } }, temperature = 0, max_tokens = 20 })
  eq(r.ok, true)
  ok(type(r.text) == "string" and #r.text > 0, "text")
  eq(r.choices[1].text, r.text)
  ok(r.usage.prompt_tokens >= 0)
  ok(r.latency_ms >= 0)
  eq(r.cached, false)
  local again = assert(m:chat{ messages = { { role = "user", content = "Say hi" } }, temperature = 0, max_tokens = 20 })
  eq(again.cached, true)
  eq(again.text, r.text)
  local fresh = assert(m:chat{ prompt = "Say hi", temperature = 0, max_tokens = 20, sample = 1 })
  eq(fresh.cached, false)
end)

test("a priced answer from the cache costs nothing new and says what it cost first", function()
  local m = model{ name = "priced", price_in = 1000, price_out = 2000 }
  local q = { prompt = "price me " .. tostring(os.time()) .. tostring(math.random()), max_tokens = 20 }
  local r = assert(m:chat(q))
  eq(r.cached, false)
  local want = (r.usage.prompt_tokens * 1000 + r.usage.completion_tokens * 2000) / 1e6
  ok(math.abs(r.cost - want) < 1e-12 and r.cost > 0, "cost of a sent call")
  eq(r.cached_cost, nil)
  local again = assert(m:chat(q))
  eq(again.cached, true)
  eq(again.cost, 0)
  ok(math.abs(again.cached_cost - r.cost) < 1e-12, "cached_cost")
end)

test("n, system, seed, stop, logprobs and streaming", function()
  local m = model()
  local r = assert(m:chat{ system = "be brief", prompt = "count", n = 3, seed = 1, stop = { "\n\n" } })
  eq(#r.choices, 3)
  local lp = assert(m:chat{ prompt = "lp", logprobs = true, top_logprobs = 2 })
  ok(#lp.logprobs > 0, "logprobs")
  ok(lp.logprobs[1].token and lp.logprobs[1].logprob)
  local s = assert(m:chat{ prompt = "stream me", stream = true })
  ok(#s.text > 0)
end)

test("errors come back as values", function()
  local m = model{ max_retries = 0 }
  local r, msg, res = m:chat{ prompt = "x @@fail:5:500@@" }
  eq(r, nil)
  ok(msg:find("500", 1, true) or msg:find("server", 1, true), msg)
  eq(res.ok, false)
  eq(res.http_status, 500)
  eq(res.kind, "server")
  local dead = assert(ps.model{ base_url = "http://127.0.0.1:1/v1", model = "x", max_retries = 0 })
  local r2, msg2 = dead:chat{ prompt = "hello" }
  eq(r2, nil)
  ok(#msg2 > 0)
  raises("unknown option 'temprature'", m.chat, m, { prompt = "x", temprature = 1 })
  raises("chat needs messages= or prompt=", m.chat, m, {})
  fails("no model 'nope'", ps.model, "nope")
end)

test("chat_many keeps input order and runs concurrently", function()
  local m = model()
  local list = {}
  for i = 1, 12 do list[i] = { prompt = string.format("item %d @@delay:%d@@", i, (13 - i) * 100) } end
  list[13] = "plain string prompt"
  local t0 = ps.now()
  local rs = m:chat_many(list, { temperature = 0 })
  eq(rs.n, 13)
  for i = 1, 12 do
    eq(rs[i].ok, true)
    ok(rs[i].text:find("item " .. i, 1, true), "order: " .. rs[i].text)
  end
  -- one after another the delays add up to 7.8 s; overlapped they take ~1.2 s
  ok(ps.now() - t0 < 5000, "concurrent: " .. (ps.now() - t0))
  local bad = m:chat_many({ { prompt = "ok" }, { prompt = "@@fail:9:400@@" } }, { max_tokens = 5 })
  eq(bad[1].ok, true)
  eq(bad[2].ok, false)
end)

test("tasks make model calls concurrently", function()
  local m = model()
  local t0 = ps.now()
  local rs = ps.map({ 1, 2, 3, 4, 5, 6 }, function(i)
    return m:chat{ prompt = "task " .. i .. " @@delay:1000@@", no_cache = true }.text
  end, { concurrency = 6 })
  eq(#rs, 6)
  -- sequential would take 6 s; the margin keeps a loaded CI box from failing it
  ok(ps.now() - t0 < 4000, "six 1 s calls overlapped: " .. (ps.now() - t0))
end)

test("complete, score and embed", function()
  local m = model()
  local c = assert(m:complete{ prompt = "Once upon", max_tokens = 5 })
  ok(#c.text > 0)
  local s = assert(m:score{ prompt = "The sky is", completion = " blue" })
  ok(type(s.score) == "number" and s.score <= 0, "score")
  ok(s.tokens >= 1)
  local e = assert(m:embed{ "a", "bb" })
  eq(#e.embeddings, 2)
  ok(#e.embeddings[1] > 0)
  local e2 = assert(m:embed{ texts = { "c" } })
  eq(#e2.embeddings, 1)
  raises("score needs completion=", m.score, m, { prompt = "x" })
end)

test("models from the config file", function()
  local dir = tmpdir()
  local f = assert(io.open(dir .. "/config.lua", "w"))
  f:write(string.format('models = { judge = { base_url = %q, model = "fake-model" } }\n', fake_llm()))
  f:close()
  -- a fresh engine reading that config: run a child prefscope
  local bin = env("PS_BIN")
  local out = assert(io.popen(string.format(
    "'%s' --config '%s/config.lua' -w '%s/w.db' run - 2>&1 <<'LUA'\n" ..
    "local m = assert(ps.model('judge'))\nprint(ps.models()[1], m.model, m:chat{prompt='hi'}.ok)\nLUA",
    bin, dir, dir)))
  local text = out:read("a")
  out:close()
  eq(text, "judge\tfake-model\ttrue\n")
end)

test("an interrupted call is cancelled cleanly", function()
  local m = model()
  local t = ps.spawn(function() return m:chat{ prompt = "slow @@delay:10000@@", no_cache = true } end)
  ps.sleep(100)
  t:cancel()
  local t0 = ps.now()
  raises("cancelled", t.wait, t)
  ok(ps.now() - t0 < 5000, "cancel is prompt (the call would take 10 s)")
end)

test("keys: an unset api_key_env fails naming it, api_key_env = false needs none", function()
  local m = model{ name = "needs_key", api_key_env = "PS_LUA_SURELY_UNSET_KEY" }
  fails("model needs_key: $PS_LUA_SURELY_UNSET_KEY is not set", m.chat, m, { prompt = "hi" })
  raises("PS_LUA_SURELY_UNSET_KEY is not set", m.chat_many, m, { "a", "b" })
  local free = model{ name = "no_key", api_key_env = false }
  eq(assert(free:chat{ prompt = "no key here" }).text, "reply to: no key here")
  fails("api_key_env must name a variable, or be false", ps.model,
        { base_url = fake_llm(), model = "fake-model", api_key_env = true })
  -- a server elsewhere must say how it authenticates
  fails("not on this machine and no key is configured", ps.model,
        { base_url = "https://llm.example.com/v1", model = "x" })
  ok(ps.model{ base_url = "https://llm.example.com/v1", model = "x", api_key_env = false })
end)

test("a base_url with credentials is refused without repeating them", function()
  local r, msg = ps.model{ base_url = "http://ann:pw-LUA-SECRET@127.0.0.1:9/v1", model = "x" }
  eq(r, nil)
  ok(msg:find("base_url http://***@127.0.0.1:9 holds credentials", 1, true), msg)
  ok(not msg:find("LUA-SECRET", 1, true) and not msg:find("ann", 1, true), msg)
end)

test("cache_id keeps the cache when the server moves", function()
  local a = model{ name = "cid_a", cache_id = "lua-box" }
  local p = "cache id lua " .. os.time() .. " " .. math.random(1e9)  -- fresh per run
  local r = assert(a:chat{ prompt = p })
  eq(r.cached, false)
  -- the same server under another spelling of its URL: a different base_url
  local b = model{ name = "cid_b", cache_id = "lua-box", base_url = fake_llm():gsub("127.0.0.1", "localhost") }
  eq(assert(b:chat{ prompt = p }).cached, true)
  local c = model{ name = "cid_c", base_url = fake_llm():gsub("127.0.0.1", "localhost") }
  eq(assert(c:chat{ prompt = p }).cached, false)
  fails("cache_id must be a string", ps.model, { base_url = fake_llm(), model = "x", cache_id = 3 })
end)
