-- Spec runner: prefscope run tests/lua/runner.lua SPEC.lua
--
-- A spec is a Lua file calling test(name, fn) for each case.  Every case runs with
-- a fresh, empty workspace made current (ps.use), removed afterwards.  Helpers
-- available to specs as globals:
--   test(name, fn)              register a case
--   eq(got, want [, msg])       deep equality
--   ok(v [, msg])               truthiness; returns v
--   raises(pattern, fn, ...)    fn(...) must raise an error matching pattern (plain find)
--   fails(pattern, fn, ...)     fn(...) must return nil, msg with msg matching pattern
--   tmpdir()                    a fresh temporary directory (removed at the end)
--   fixture()                   a small dataset "demo" in the current workspace
--   skip(msg)                   skip the whole spec (exit 77)
--   env(name)                   os.getenv, but a spec needing it skips when absent
--   fake_llm([models])          start tests/e2e/fake_llm.py; returns its base URL
local spec_path = arg[1]
assert(spec_path, "usage: prefscope run runner.lua SPEC.lua")

local cases, tmpdirs = {}, {}

function test(name, fn) cases[#cases + 1] = { name = name, fn = fn } end

local function deep_eq(a, b, seen)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" then
    if type(a) == "number" and type(b) == "number" then return math.abs(a - b) < 1e-9 end
    return false
  end
  seen = seen or {}
  if seen[a] == b then return true end
  seen[a] = b
  for k, v in pairs(a) do if not deep_eq(v, b[k], seen) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

function eq(got, want, msg)
  if not deep_eq(got, want) then
    error(string.format("%sexpected %s, got %s", msg and (msg .. ": ") or "",
      ps.inspect(want), ps.inspect(got)), 2)
  end
  return got
end

function ok(v, msg)
  if not v then error(msg or "expected a true value", 2) end
  return v
end

function raises(pattern, fn, ...)
  local good, err = pcall(fn, ...)
  if good then error("expected an error matching '" .. pattern .. "', got success", 2) end
  if not tostring(err):find(pattern, 1, true) then
    error(string.format("expected an error matching '%s', got: %s", pattern, tostring(err)), 2)
  end
  return err
end

function fails(pattern, fn, ...)
  local v, msg = fn(...)
  if v ~= nil then error("expected nil, msg; got " .. ps.inspect(v), 2) end
  if type(msg) ~= "string" or not msg:find(pattern, 1, true) then
    error(string.format("expected a message matching '%s', got %s", pattern, ps.inspect(msg)), 2)
  end
  return msg
end

function tmpdir()
  local p = os.tmpname()
  os.remove(p)
  assert(os.execute("mkdir -p '" .. p .. "'"))
  tmpdirs[#tmpdirs + 1] = p
  return p
end

function skip(msg)
  io.stderr:write("SKIP: ", msg, "\n")
  os.exit(77)
end

function env(name)
  local v = os.getenv(name)
  if not v or v == "" then skip(name .. " is not set") end
  return v
end

local fake_handle
function fake_llm(models)
  if fake_handle then return fake_handle.url end
  local tests = env("PS_TESTS")
  local dir = tmpdir()
  -- The server exits when its stdin (our pipe) closes: at the end of the run.
  local h = assert(io.popen(string.format("exec python3 '%s/e2e/fake_llm.py' --models %s > '%s/ports'",
    tests, models or "fake-model,llamacpp", dir), "w"))
  local port
  for _ = 1, 100 do
    local f = io.open(dir .. "/ports")
    local line = f and f:read("l")
    if f then f:close() end
    port = line and line:match("PORTS (%d+)")
    if port then break end
    ps.sleep(50)
  end
  assert(port, "the fake LLM server did not start")
  fake_handle = { h = h, url = "http://127.0.0.1:" .. port .. "/v1" }
  return fake_handle.url
end

-- The dataset most specs and the documentation examples use: three items, two
-- annotators, a tag, a rating and a multi-turn history.
function fixture()
  local ds = assert(ps.create_dataset("demo"))
  ds:add_item{
    prompt = "Write a haiku about autumn.", system = "You are a poet.",
    responses = { { text = "Leaves fall, quiet, red.", model = "m1" },
                  { text = "Autumn is a season of the year.", model = "m2" } },
    judgments = { { verdict = "A", annotator = "dataset" }, { verdict = "A", annotator = "human:bob" } },
    tags = { "poetry" },
  }
  ds:add_item{
    prompt = "And now in French?",
    history = { { role = "user", content = "Say hello." }, { role = "assistant", content = "Hello!" } },
    responses = { { text = "Bonjour !", model = "m1" }, { text = "Hola", model = "m2" } },
    judgments = { { verdict = "A", annotator = "dataset" }, { verdict = "B", annotator = "human:bob" } },
    ratings = { { response = 1, aspect = "score", value = 9, annotator = "dataset" } },
  }
  ds:add_item{
    prompt = "2+2?",
    responses = { { text = "4", model = "m1" }, { text = "5", model = "m2" } },
  }
  return ds
end

local chunk = assert(loadfile(spec_path))
chunk()

local failed, dbs = 0, {}
for i, c in ipairs(cases) do
  local path = os.tmpname()
  dbs[#dbs + 1] = path
  local ws = assert(ps.use(path))
  local good, err = xpcall(c.fn, debug.traceback)
  ws:close()
  for _, suffix in ipairs { "", "-wal", "-shm" } do os.remove(path .. suffix) end
  if good then
    print(string.format("ok %d - %s", i, c.name))
  else
    failed = failed + 1
    print(string.format("not ok %d - %s\n  %s", i, c.name, tostring(err):gsub("\n", "\n  ")))
  end
end
if fake_handle then fake_handle.h:close() end
for _, d in ipairs(tmpdirs) do os.execute("rm -rf '" .. d .. "'") end
print(string.format("%d/%d passed", #cases - failed, #cases))
return failed == 0 and 0 or 1
