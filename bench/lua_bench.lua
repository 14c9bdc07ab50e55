-- Lua API throughput: prefscope -w /tmp/bench.db run bench/lua_bench.lua [N]
-- Writes N items (in one transaction), iterates them lazily (all / filtered, reading
-- fields), edits 10% of them, and runs N/10 tasks through ps.gather and ps.map.
local N = math.tointeger(tonumber(arg[1] or "100000"))
local function timed(label, n, f)
  local t0 = ps.now()
  f()
  local ms = ps.now() - t0
  print(string.format("%-34s %8d in %8.1f ms  %10.0f /s", label, n, ms, n / (ms / 1000)))
end
local ds = ps.dataset("bench")
if ds then ds:delete() end
ds = assert(ps.create_dataset("bench"))
timed("add_item (one transaction)", N, function()
  ps.transaction(function()
    for i = 1, N do
      ds:add_item{ prompt = "prompt number " .. i, responses = { "answer a " .. i, "answer b " .. i },
                   judgments = i % 2 == 0 and { { verdict = "A", annotator = "dataset" } } or nil }
    end
  end)
end)
timed("items() + it.prompt", N, function()
  local n = 0
  for it in ds:items() do n = n + #it.prompt end
end)
timed("items{label='unlabeled'} + responses", N // 2, function()
  for it in ds:items{ label = "unlabeled" } do local _ = it.responses[2].text end
end)
timed("judge + tag (one transaction)", N // 10, function()
  ps.transaction(function()
    for it in ds:items{ limit = N // 10 } do it:judge{ verdict = "B", annotator = "bench" }; it:tag("seen") end
  end)
end)
timed("ps.gather of sleeping tasks", N // 10, function()
  local fns = {}
  for i = 1, N // 10 do fns[i] = function() ps.sleep(1); return i end end
  assert(ps.gather(fns)[N // 10] == N // 10)
end)
timed("ps.map (concurrency 64)", N // 10, function()
  ps.map(ps.gather{ function() local t = {}; for i = 1, N // 10 do t[i] = i end; return t end }[1],
    function(v) ps.yield(); return v end, { concurrency = 64 })
end)
