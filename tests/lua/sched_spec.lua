-- Tasks: ps.sleep, ps.spawn, ps.gather, ps.map, ps.yield, cancellation.

test("ps.sleep waits and other tasks run meanwhile", function()
  local t0 = ps.now()
  local order = {}
  local a = ps.spawn(function() ps.sleep(60); order[#order + 1] = "a"; return "A" end)
  local b = ps.spawn(function() ps.sleep(20); order[#order + 1] = "b"; return "B" end)
  eq(a.status, "ready")
  eq({ a:wait() }, { "A" })
  eq(b:wait(), "B")
  eq(order, { "b", "a" })
  local dt = ps.now() - t0
  ok(dt >= 55 and dt < 1000, "elapsed " .. dt)
  ok(a:done())
  eq(a.status, "done")
  raises("must be >= 0", ps.sleep, -1)
end)

test("gather runs calls concurrently, results in input order", function()
  local t0 = ps.now()
  local fns = {}
  for i = 1, 20 do fns[i] = function() ps.sleep(50 - i * 2); return i * i end end
  local r = ps.gather(fns)
  eq(r.n, 20)
  for i = 1, 20 do eq(r[i], i * i) end
  ok(ps.now() - t0 < 500, "concurrent")
end)

test("gather raises the first failure after all finished", function()
  local finished = 0
  raises("gather: task 2 failed", ps.gather, {
    function() ps.sleep(10); finished = finished + 1 end,
    function() error("nope") end,
    function() ps.sleep(30); finished = finished + 1 end,
  })
  eq(finished, 2)
  raises("item 1 is a number", ps.gather, { 42 })
end)

test("gather accepts running tasks", function()
  local t = ps.spawn(function(x) return x + 1 end, 41)
  eq(ps.gather{ t }[1], 42)
end)

test("map keeps order and respects concurrency", function()
  local running, peak = 0, 0
  local r = ps.map({ 5, 4, 3, 2, 1, 0 }, function(v, i)
    running = running + 1
    if running > peak then peak = running end
    ps.sleep(v * 5)
    running = running - 1
    return v * 10 + i
  end, { concurrency = 2 })
  eq({ r[1], r[2], r[6] }, { 51, 42, 6 })
  eq(peak, 2)
  raises("concurrency", ps.map, { 1 }, print, { concurrency = 0 })
end)

test("wait re-raises a task's error with its traceback", function()
  local t = ps.spawn(function() error("inner failure") end)
  local err = raises("inner failure", t.wait, t)
  ok(err:find("stack traceback", 1, true))
  eq(t.status, "failed")
end)

test("cancel stops a sleeping task", function()
  local t = ps.spawn(function() ps.sleep(10000); return "late" end)
  ps.sleep(5)
  ok(t:cancel())
  raises("cancelled", t.wait, t)
  eq(t:cancel(), false)
end)

test("cancel stops a task that keeps computing between yields", function()
  local t = ps.spawn(function() while true do for _ = 1, 1e4 do end ps.yield() end end)
  ps.yield()
  ok(t:cancel())
  raises("cancelled", t.wait, t)
end)

test("yield lets other tasks progress", function()
  local log = {}
  local a = ps.spawn(function() for i = 1, 3 do log[#log + 1] = "a" .. i; ps.yield() end end)
  local b = ps.spawn(function() for i = 1, 3 do log[#log + 1] = "b" .. i; ps.yield() end end)
  ps.gather{ a, b }
  eq(#log, 6)
  ok(log[2] ~= "a2", "interleaved: " .. table.concat(log, ","))
end)

test("waiting works where yielding is impossible", function()
  -- inside a table.sort comparator (a C call that cannot yield) and a coroutine
  local t = ps.spawn(function() ps.sleep(10); return 7 end)
  local x = { 2, 1 }
  table.sort(x, function(a, b) ps.sleep(1); return a < b end)
  eq(x, { 1, 2 })
  local co = coroutine.wrap(function() return t:wait() end)
  eq(co(), 7)
end)

test("a task cannot wait for itself", function()
  local self_task
  self_task = ps.spawn(function() ps.sleep(5); return self_task:wait() end)
  raises("cannot wait for itself", self_task.wait, self_task)
end)

test("task handles", function()
  local t = ps.spawn(function() return 1, 2, 3 end)
  ok(tostring(t):find("ps.Task", 1, true))
  ok(math.type(t.id) == "integer")
  eq({ t:wait() }, { 1, 2, 3 })
  eq({ t:wait() }, { 1, 2, 3 })
  raises("bad argument #1", ps.spawn, 1)
end)

test("a task that computes is time-sliced: others still run", function()
  local done = false
  local spinner = ps.spawn(function()
    local t0 = ps.now()
    while ps.now() - t0 < 300 do end
    return done
  end)
  ps.spawn(function() ps.sleep(10); done = true end)
  eq(spinner:wait(), true)
end)

test("cancel stops a pure busy loop", function()
  local t = ps.spawn(function() while true do end end)
  ps.sleep(30)
  ok(t:cancel())
  raises("cancelled", t.wait, t)
end)
