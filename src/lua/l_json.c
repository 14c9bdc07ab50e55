/* ps.json: JSON encoding (sorted keys, so equal tables give equal text) and decoding
 * (cJSON), with ps.json.null standing for JSON null. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/xalloc.h"
#include "formats/jsonstream.h"
#include "lua/l_internal.h"

#define JSON_MAX_DEPTH 200

/* ---- decoding ---- */

static void
push_json(lua_State *L, const cJSON *v, int depth)
{
    if (depth > JSON_MAX_DEPTH)
        luaL_error(L, "JSON nested too deeply");
    luaL_checkstack(L, 4, "JSON nested too deeply");
    if (cJSON_IsNull(v)) {
        lua_pushlightuserdata(L, NULL);
    } else if (cJSON_IsBool(v)) {
        lua_pushboolean(L, cJSON_IsTrue(v));
    } else if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d == floor(d) && fabs(d) < 9.007199254740992e15)
            lua_pushinteger(L, (lua_Integer)d);
        else
            lua_pushnumber(L, d);
    } else if (cJSON_IsString(v)) {
        lua_pushstring(L, v->valuestring);
    } else if (cJSON_IsArray(v)) {
        lua_createtable(L, cJSON_GetArraySize(v), 0);
        int i = 0;
        for (const cJSON *c = v->child; c; c = c->next) {
            push_json(L, c, depth + 1);
            lua_rawseti(L, -2, ++i);
        }
    } else if (cJSON_IsObject(v)) {
        lua_newtable(L);
        for (const cJSON *c = v->child; c; c = c->next) {
            push_json(L, c, depth + 1);
            lua_setfield(L, -2, c->string);
        }
    } else {
        lua_pushnil(L);
    }
}

static void
json_delete(void *p)
{
    cJSON_Delete(p);
}

int
l_json_push(lua_State *L, const char *s, size_t n, struct ps_err *err)
{
    long nul = js_find_nul_escape(s, n);
    if (nul >= 0) {
        ps_error(err, PS_ERR_PARSE,
                 "JSON string holds \\u0000 at byte %ld (a NUL character, which would cut "
                 "the text short)",
                 nul);
        return 0;
    }
    void **slot = l_anchor(L, json_delete); /* anchor */
    cJSON *doc = cJSON_ParseWithLength(s, n);
    *slot = doc;
    if (!doc) {
        lua_pop(L, 1);
        const char *at = cJSON_GetErrorPtr();
        long off = at && at >= s && at <= s + n ? (long)(at - s) : -1;
        ps_error(err, PS_ERR_PARSE, "malformed JSON%s%ld", off >= 0 ? " at byte " : "",
                 off >= 0 ? off : 0L);
        if (off < 0)
            ps_error(err, PS_ERR_PARSE, "malformed JSON");
        return 0;
    }
    push_json(L, doc, 0); /* anchor value */
    lua_insert(L, -2);
    l_anchor_release(L, -1);
    lua_pop(L, 1);
    return 1;
}

/* ps.json.decode(text) -> value | nil, msg */
static int
l_decode(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    struct ps_err err = {0};
    if (!l_json_push(L, s, n, &err))
        return l_fail(L, &err);
    return 1;
}

/* ---- encoding ---- */

static void
sb_box_free(void *p)
{
    sb_free(p);
    free(p);
}

static void
encode_string(struct strbuf *sb, const char *s, size_t n)
{
    sb_json_str(sb, s, n);
}

static int
is_array(lua_State *L, int idx, lua_Integer *len)
{
    lua_Integer n = (lua_Integer)lua_rawlen(L, idx), count = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > n) {
            lua_pop(L, 1);
            return 0;
        }
        count++;
    }
    *len = n;
    return count == n;
}

static void
encode(lua_State *L, int idx, struct strbuf *sb, int depth)
{
    idx = lua_absindex(L, idx);
    if (depth > JSON_MAX_DEPTH)
        luaL_error(L, "cannot encode JSON: nested too deeply (a cycle?)");
    luaL_checkstack(L, 6, "JSON nested too deeply");
    switch (lua_type(L, idx)) {
    case LUA_TNIL: sb_puts(sb, "null"); break;
    case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(L, idx) != NULL)
            luaL_error(L, "cannot encode a light userdata as JSON");
        sb_puts(sb, "null");
        break;
    case LUA_TBOOLEAN: sb_puts(sb, lua_toboolean(L, idx) ? "true" : "false"); break;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            sb_printf(sb, "%lld", (long long)lua_tointeger(L, idx));
        } else {
            double d = lua_tonumber(L, idx);
            if (!isfinite(d))
                luaL_error(L, "cannot encode %f as JSON", d);
            sb_printf(sb, "%.17g", d);
        }
        break;
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        encode_string(sb, s, n);
        break;
    }
    case LUA_TTABLE: {
        lua_Integer n;
        if (is_array(L, idx, &n)) {
            sb_putc(sb, '[');
            for (lua_Integer i = 1; i <= n; i++) {
                if (i > 1)
                    sb_putc(sb, ',');
                lua_rawgeti(L, idx, i);
                encode(L, -1, sb, depth + 1);
                lua_pop(L, 1);
            }
            sb_putc(sb, ']');
            break;
        }
        /* Objects: string keys, sorted for a canonical text. */
        lua_newtable(L);
        int keys = lua_gettop(L), nk = 0;
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            lua_pop(L, 1);
            if (lua_type(L, -1) != LUA_TSTRING)
                luaL_error(L, "cannot encode a table with %s keys as JSON", luaL_typename(L, -1));
            lua_pushvalue(L, -1);
            lua_rawseti(L, keys, ++nk);
        }
        lua_getglobal(L, "table");
        lua_getfield(L, -1, "sort");
        lua_pushvalue(L, keys);
        lua_call(L, 1, 0);
        lua_pop(L, 1);
        sb_putc(sb, '{');
        for (int i = 1; i <= nk; i++) {
            if (i > 1)
                sb_putc(sb, ',');
            lua_rawgeti(L, keys, i);
            size_t kl;
            const char *k = lua_tolstring(L, -1, &kl);
            encode_string(sb, k, kl);
            sb_putc(sb, ':');
            lua_rawget(L, idx);
            encode(L, -1, sb, depth + 1);
            lua_pop(L, 1);
        }
        sb_putc(sb, '}');
        lua_pop(L, 1);
        break;
    }
    default: luaL_error(L, "cannot encode a %s as JSON", luaL_typename(L, idx));
    }
}

void
l_json_encode(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    void **slot = l_anchor(L, sb_box_free);
    struct strbuf *sb = xcalloc(1, sizeof *sb);
    *slot = sb;
    encode(L, idx, sb, 0);
    lua_pushlstring(L, sb->p ? sb->p : "", sb->len);
    l_anchor_release(L, -2);
    lua_remove(L, -2);
}

/* ps.json.encode(value) -> string */
static int
l_encode(lua_State *L)
{
    luaL_checkany(L, 1);
    l_json_encode(L, 1);
    return 1;
}

static const luaL_Reg json_funcs[] = {
    {"encode", l_encode},
    {"decode", l_decode},
    {NULL, NULL},
};

void
l_open_json(lua_State *L)
{
    luaL_newlib(L, json_funcs);
    lua_pushlightuserdata(L, NULL);
    lua_setfield(L, -2, "null");
    lua_setfield(L, -2, "json");
}
