-- `prefscope run -m NAME [ARGS...]`: cmd_run.c runs this launcher with the module
-- name and the module's arguments; it calls require(NAME).main(ARGS...) and returns
-- its exit status.  A name not found as given is tried under "prefscope."
-- (recipes.position_bias = prefscope.recipes.position_bias).
local name = ...
local args = table.pack(select(2, ...))
local function found(n) return (package.searchpath(n, package.path)) end
local mod = name
if not found(mod) and found("prefscope." .. name) then mod = "prefscope." .. name end
if not found(mod) then
  io.stderr:write("prefscope: run: no Lua module '", (tostring(name):gsub("%c", "?")),
    "' (recipes are run as `prefscope run -m recipes.NAME`, see docs/recipes.md)\n")
  return 2
end
local m = require(mod)
if type(m) ~= "table" or type(m.main) ~= "function" then
  io.stderr:write("prefscope: run: module '", mod, "' has no main function\n")
  return 2
end
return m.main(table.unpack(args, 1, args.n))
