/* Fuzz target for the ICAI answer parsers (lua-modules/prefscope/icai.lua, run in
 * the embedded Lua engine as `prefscope icai` runs them): parse_principles,
 * parse_votes, parse_summary and parse_choice on input-made model replies.  The
 * input is one byte choosing the number of rules a vote covers (1..48), then the
 * reply.  Checks, in Lua (CHECKS below):
 *   - no parser raises an error, and each is deterministic;
 *   - principles are a non-empty list of strings that start "Select the response",
 *     with whitespace collapsed, and the list written back as JSON parses to itself;
 *   - votes are exactly n, each A, B, both, neither or invalid; nothing parsed means
 *     all invalid; the valid votes written back as JSON (string keys) and as a Python
 *     dict (integer keys) parse to the same list;
 *   - a summary is nil or a normalized principle; a choice is A, B or invalid.
 * The judge's verdict parser has its own target (fuzz_judge).
 * Driver: tests/fuzz/driver.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "driver.h"
#include "lua/ps_lua.h"

static const char CHECKS[] =
    "local icai = require 'prefscope.icai'\n"
    "local VOTE = { A = true, B = true, both = true, neither = true, invalid = true }\n"
    "local function principle_ok(p)\n"
    "  if type(p) ~= 'string' then return 'a principle is not a string' end\n"
    "  if p:sub(1, 19):lower() ~= 'select the response' then\n"
    "    return 'a principle lacks the prefix: ' .. p:sub(1, 40) end\n"
    "  if p:find('%s%s') or p:find('^%s') or p:find('%s$') or p:find('[\\t\\n\\r\\v\\f]') then\n"
    "    return 'a principle keeps raw whitespace' end\n"
    "end\n"
    "local function same(a, b)\n"
    "  if #a ~= #b then return false end\n"
    "  for i = 1, #a do if a[i] ~= b[i] then return false end end\n"
    "  return true\n"
    "end\n"
    "return function(text, n)\n"
    "  local list, why = icai.parse_principles(text)\n"
    "  local list2 = icai.parse_principles(text)\n"
    "  if list == nil then\n"
    "    if type(why) ~= 'string' or why == '' then return 'no principles and no reason' end\n"
    "    if list2 ~= nil then return 'parse_principles is not deterministic' end\n"
    "  else\n"
    "    if type(list) ~= 'table' or #list == 0 then return 'an empty principle list' end\n"
    "    if not list2 or not same(list, list2) then return 'parse_principles is not deterministic' "
    "end\n"
    "    for _, p in ipairs(list) do\n"
    "      local bad = principle_ok(p)\n"
    "      if bad then return bad end\n"
    "    end\n"
    "    local ok, js = pcall(ps.json.encode, { principles = list })\n"
    "    if ok then\n"
    "      local again = icai.parse_principles(js)\n"
    "      if not again or not same(again, list) then\n"
    "        return 'principles do not survive a JSON round trip: ' .. js:sub(1, 80) end\n"
    "    end\n"
    "  end\n"
    "  local votes, any = icai.parse_votes(text, n)\n"
    "  if type(votes) ~= 'table' or #votes ~= n then return 'not n votes' end\n"
    "  if type(any) ~= 'boolean' then return 'parse_votes: any is not a boolean' end\n"
    "  local js, py = {}, {}\n"
    "  for i, v in ipairs(votes) do\n"
    "    if not VOTE[v] then return 'an unknown vote value ' .. tostring(v) end\n"
    "    if not any and v ~= 'invalid' then return 'a vote parsed from nothing' end\n"
    "    if v ~= 'invalid' then\n"
    "      js[#js + 1] = string.format('\"%d\": \"%s\"', i, v)\n"
    "      py[#py + 1] = string.format(\"%d: '%s'\", i, v)\n"
    "    end\n"
    "  end\n"
    "  if not same(icai.parse_votes('{' .. table.concat(js, ', ') .. '}', n), votes) then\n"
    "    return 'votes do not survive a JSON round trip' end\n"
    "  if not same(icai.parse_votes('```python\\n{' .. table.concat(py, ', ') .. '}\\n```', n), "
    "votes) then\n"
    "    return 'votes do not survive a Python-dict round trip' end\n"
    "  local s = icai.parse_summary(text)\n"
    "  if s ~= nil then\n"
    "    local bad = principle_ok(s)\n"
    "    if bad then return 'summary: ' .. bad end\n"
    "  end\n"
    "  local c = icai.parse_choice(text)\n"
    "  if c ~= 'A' and c ~= 'B' and c ~= 'invalid' then return 'a choice out of range' end\n"
    "  if icai.parse_choice(text) ~= c then return 'parse_choice is not deterministic' end\n"
    "end\n";

/* One engine for the whole run (the checks are pure functions of the input); the
 * check function lives in the registry.  Freed at exit so leak checkers stay quiet. */
static struct ps_lua *fuzz_pl;
static int fuzz_check_ref = LUA_NOREF;

static void
fuzz_icai_free(void)
{
    ps_lua_free(fuzz_pl);
}

static lua_State *
fuzz_icai_state(void)
{
    if (fuzz_pl)
        return ps_lua_state(fuzz_pl);
    struct ps_lua_opts opts = {0};
    struct ps_err err = {0, ""};
    opts.workspace = "/nonexistent/fuzz_icai.db"; /* opened lazily, never used */
    if (ps_lua_new(&fuzz_pl, &opts, &err) != PS_OK) {
        fprintf(stderr, "fuzz_icai: %s\n", err.msg);
        exit(2);
    }
    lua_State *L = ps_lua_state(fuzz_pl);
    if (luaL_loadbuffer(L, CHECKS, sizeof CHECKS - 1, "=fuzz_icai") != LUA_OK ||
        lua_pcall(L, 0, 1, 0) != LUA_OK) {
        fprintf(stderr, "fuzz_icai: %s\n", lua_tostring(L, -1));
        exit(2);
    }
    fuzz_check_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    atexit(fuzz_icai_free);
    return L;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    lua_State *L = fuzz_icai_state();
    int rules = n ? 1 + data[0] % 48 : 1;
    int top = lua_gettop(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, fuzz_check_ref);
    lua_pushlstring(L, n ? (const char *)data + 1 : "", n ? n - 1 : 0);
    lua_pushinteger(L, rules);
    if (lua_pcall(L, 2, 1, 0) != LUA_OK) {
        char what[300];
        snprintf(what, sizeof what, "a parser raised: %.250s", lua_tostring(L, -1));
        fuzz_fail("fuzz_icai", what, data, n);
    }
    if (lua_isstring(L, -1)) {
        char what[300];
        snprintf(what, sizeof what, "%.290s", lua_tostring(L, -1));
        fuzz_fail("fuzz_icai", what, data, n);
    }
    lua_settop(L, top);
    /* the replies are garbage at once; keep the heap small between inputs */
    lua_gc(L, LUA_GCSTEP, 0);
    return 0;
}

#ifndef PS_LIBFUZZER
int
main(int argc, char **argv)
{
    return fuzz_main(argc, argv, "fuzz_icai");
}
#endif
