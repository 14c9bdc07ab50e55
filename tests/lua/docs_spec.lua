-- Every ```lua block of docs/lua-api.md runs, in a fresh workspace holding the
-- dataset "demo" (fixture()), with the model name "local" bound to the fake server.
local src = env("PS_SRC")
local f = assert(io.open(src .. "/docs/lua-api.md"))
local doc = f:read("a")
f:close()

local local_model
local real_model = ps.model
local function docs_model(spec)
  if spec == "local" then
    local_model = local_model or assert(real_model{ name = "local", base_url = fake_llm(),
      model = "fake-model", max_retries = 0 })
    return local_model
  end
  return real_model(spec)
end

local n, line = 0, 1
local pos = 1
while true do
  local s, e, body = doc:find("```lua\n(.-)\n```", pos)
  if not s then break end
  local _, lines_before = doc:sub(1, s):gsub("\n", "")
  local at = lines_before + 1
  -- the heading the block belongs to, for the test name
  local heading = doc:sub(1, s):match(".*\n#+ ([^\n]*)") or "?"
  n = n + 1
  test(string.format("docs/lua-api.md:%d (%s)", at, heading), function()
    fixture()
    ps.model = docs_model
    local chunk = assert(load(body, "=docs/lua-api.md:" .. at))
    local ok, err = pcall(chunk)
    ps.model = real_model
    if not ok then error(err, 0) end
  end)
  pos = e + 1
end
test("the documentation has examples", function() ok(n >= 50, "only " .. n .. " examples") end)
