/* ps.model: LLM calls.  Bound to the engine of src/llm as it lands; until then
 * ps.model() reports that no engine is available. */
#include "lua/l_internal.h"

/* ps.model(name_or_table) -> Model | nil, msg */
static int
l_model(lua_State *L)
{
    luaL_argexpected(L, lua_type(L, 1) == LUA_TSTRING || lua_istable(L, 1), 1, "model name or table");
    lua_pushnil(L);
    lua_pushliteral(L, "the LLM engine is not available in this build yet");
    return 2;
}

void
l_open_model(lua_State *L)
{
    lua_pushcfunction(L, l_model);
    lua_setfield(L, -2, "model");
}
