/* The REPL evaluator shared by `prefscope repl` and the TUI pane: lua.c's rules for
 * incomplete chunks and expression printing, plus completion candidates. */
#include <ctype.h>
#include <string.h>

#include "core/sanitize.h"
#include "lua/l_internal.h"

#define REPL_CHUNKNAME "=stdin"

/* Results and error values echo data (error(item.prompt)): they are written through
 * the sanitizer, so an escape sequence in a value never reaches the terminal. */
static void
repl_out(struct ps_lua *pl, const char *s, size_t n)
{
    struct strbuf clean = STRBUF_INIT;
    text_sanitize(s, n, &clean, 0);
    l_write(pl, sb_str(&clean), clean.len);
    sb_free(&clean);
}

static int
incomplete(lua_State *L, int status)
{
    if (status != LUA_ERRSYNTAX)
        return 0;
    size_t len;
    const char *msg = lua_tolstring(L, -1, &len);
    static const char eof[] = "<eof>";
    return len >= sizeof eof - 1 && strcmp(msg + len - (sizeof eof - 1), eof) == 0;
}

/* Compile the buffered chunk: "return <chunk>" first, so expressions print. */
static int
compile(struct ps_lua *pl, const char *src, size_t n)
{
    lua_State *L = pl->L;
    lua_pushliteral(L, "return ");
    lua_pushlstring(L, src, n);
    lua_concat(L, 2);
    size_t rn;
    const char *r = lua_tolstring(L, -1, &rn);
    int status = luaL_loadbuffer(L, r, rn, REPL_CHUNKNAME);
    lua_remove(L, -2);
    if (status == LUA_OK)
        return LUA_OK;
    lua_pop(L, 1);
    return luaL_loadbuffer(L, src, n, REPL_CHUNKNAME);
}

static int
feed(lua_State *L)
{
    struct ps_lua *pl = l_engine(L);
    size_t n = pl->repl_buf.len;
    const char *src = sb_str(&pl->repl_buf);
    int status = compile(pl, src, n);
    if (status == LUA_OK) {
        struct ltask *t = l_task_start(L, 0, 0);
        t->observed = 1;
        t->repl = 1;
        pl->repl_task = t;
        lua_pushinteger(L, PS_LUA_FEED_RUNNING);
    } else if (incomplete(L, status)) {
        lua_pop(L, 1);
        lua_pushinteger(L, PS_LUA_FEED_MORE);
    } else {
        lua_pushliteral(L, "\n");
        lua_concat(L, 2);
        size_t len;
        const char *m = lua_tolstring(L, -1, &len);
        repl_out(pl, m, len);
        lua_pop(L, 1);
        lua_pushinteger(L, PS_LUA_FEED_DONE);
    }
    return 1;
}

enum ps_lua_feed
ps_lua_repl_feed(struct ps_lua *pl, const char *line)
{
    lua_State *L = pl->L;
    char helpline[160];
    if (pl->repl_buf.len == 0) {
        const char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        if (!*p)
            return PS_LUA_FEED_DONE;
        l_clear_interrupt(pl);
        /* `?ps.model` is help("ps.model"); `?` alone lists the topics. */
        if (*p == '?') {
            const char *name = p + 1;
            while (isspace((unsigned char)*name))
                name++;
            size_t n = strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                    "0123456789_.:");
            size_t rest = n + strspn(name + n, " \t\r\n");
            if (name[rest] == '\0' && n < 100) {
                snprintf(helpline, sizeof helpline, "ps.help(%s%.*s%s)", n ? "\"" : "", (int)n,
                         name, n ? "\"" : "");
                line = helpline;
            }
        }
    } else {
        sb_putc(&pl->repl_buf, '\n');
    }
    sb_puts(&pl->repl_buf, line);
    lua_pushcfunction(L, feed);
    enum ps_lua_feed r = PS_LUA_FEED_DONE;
    if (lua_pcall(L, 0, 1, 0) != LUA_OK) {
        size_t len;
        const char *m = lua_tolstring(L, -1, &len);
        repl_out(pl, m ? m : "error", m ? len : 5);
        l_write(pl, "\n", 1);
    } else {
        r = (enum ps_lua_feed)lua_tointeger(L, -1);
    }
    lua_pop(L, 1);
    if (r != PS_LUA_FEED_MORE)
        sb_reset(&pl->repl_buf);
    return r;
}

int
ps_lua_repl_busy(struct ps_lua *pl)
{
    return pl->repl_task != NULL;
}

void
ps_lua_repl_reset(struct ps_lua *pl)
{
    sb_reset(&pl->repl_buf);
}

static int
show_results(lua_State *L)
{
    /* results table at 1 */
    struct ps_lua *pl = l_engine(L);
    lua_getfield(L, 1, "n");
    int n = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    if (n == 0)
        return 0;
    lua_getglobal(L, "ps");
    lua_getfield(L, -1, "_repl_show");
    lua_pushinteger(L, n);
    luaL_checkstack(L, n, "too many results");
    for (int i = 1; i <= n; i++)
        lua_rawgeti(L, 1, i);
    lua_call(L, n + 1, 1);
    lua_pushliteral(L, "\n");
    lua_concat(L, 2);
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    repl_out(pl, s, len);
    return 0;
}

/* Called by the scheduler when the REPL chunk finished; the Task is at the top of
 * the stack of pl->L. */
void ps_lua_repl_task_done(struct ps_lua *pl, struct ltask *t);

void
ps_lua_repl_task_done(struct ps_lua *pl, struct ltask *t)
{
    lua_State *L = pl->L;
    pl->repl_task = NULL;
    lua_getiuservalue(L, -1, 2);
    if (t->ok) {
        lua_pushcfunction(L, show_results);
        lua_insert(L, -2);
        if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
            size_t len;
            const char *m = lua_tolstring(L, -1, &len);
            repl_out(pl, m, len);
            l_write(pl, "\n", 1);
            lua_pop(L, 1);
        }
    } else {
        size_t len;
        const char *m = lua_tolstring(L, -1, &len);
        repl_out(pl, m ? m : "error", m ? len : 5);
        l_write(pl, "\n", 1);
        lua_pop(L, 1);
    }
}

/* ---- completion ---- */

static const char *const lua_keywords[] = {
    "and",      "break",  "do",   "else", "elseif", "end",   "false", "for",
    "function", "goto",   "if",   "in",   "local",  "nil",   "not",   "or",
    "repeat",   "return", "then", "true", "until",  "while", NULL,
};

/* Add keys of the table at idx that start with prefix (and, when methods_only, whose
 * values are functions) to the result table at res as base..key. */
static void
add_keys(lua_State *L, int idx, const char *base, size_t baselen, const char *prefix,
         int methods_only, int res)
{
    size_t plen = strlen(prefix);
    idx = lua_absindex(L, idx);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) == LUA_TSTRING && (!methods_only || lua_isfunction(L, -1))) {
            const char *k = lua_tostring(L, -2);
            if (strncmp(k, prefix, plen) == 0 && k[0] != '_') {
                lua_pushlstring(L, base, baselen);
                lua_pushstring(L, k);
                lua_concat(L, 2);
                lua_pushboolean(L, 1);
                lua_rawset(L, res);
            }
        }
        lua_pop(L, 1);
    }
}

/* Add the list of names at idx (a sequence of strings). */
static void
add_list(lua_State *L, int idx, const char *base, size_t baselen, const char *prefix, int res)
{
    size_t plen = strlen(prefix);
    idx = lua_absindex(L, idx);
    for (int i = 1; lua_rawgeti(L, idx, i) == LUA_TSTRING; i++) {
        const char *k = lua_tostring(L, -1);
        if (strncmp(k, prefix, plen) == 0) {
            lua_pushlstring(L, base, baselen);
            lua_pushvalue(L, -2);
            lua_concat(L, 2);
            lua_pushboolean(L, 1);
            lua_rawset(L, res);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

/* Add the members of the value at idx: table keys; for values with a metatable, its
 * `methods` table, `fields` list and a table __index (strings: the string library). */
static void
add_members(lua_State *L, int idx, const char *base, size_t baselen, const char *prefix, int colon,
            int res)
{
    idx = lua_absindex(L, idx);
    if (lua_istable(L, idx))
        add_keys(L, idx, base, baselen, prefix, colon, res);
    if (lua_getmetatable(L, idx)) {
        if (lua_getfield(L, -1, "methods") == LUA_TTABLE)
            add_keys(L, -1, base, baselen, prefix, 1, res);
        lua_pop(L, 1);
        if (!colon) {
            if (lua_getfield(L, -1, "fields") == LUA_TTABLE)
                add_list(L, -1, base, baselen, prefix, res);
            lua_pop(L, 1);
        }
        if (lua_getfield(L, -1, "__index") == LUA_TTABLE)
            add_keys(L, -1, base, baselen, prefix, colon, res);
        lua_pop(L, 2);
    }
}

/* Look up member `k` of the value at the top, replacing it; only raw table access
 * and table __index / methods, never functions. */
static void
member(lua_State *L, const char *k, size_t klen)
{
    int v = lua_gettop(L);
    lua_pushnil(L); /* v+1: the result */
    if (lua_istable(L, v)) {
        lua_pushlstring(L, k, klen);
        if (lua_rawget(L, v) != LUA_TNIL)
            lua_replace(L, v + 1);
        else
            lua_pop(L, 1);
    }
    if (lua_isnil(L, v + 1) && lua_getmetatable(L, v)) { /* v+2: metatable */
        static const char *const where[] = {"methods", "__index"};
        for (int i = 0; i < 2 && lua_isnil(L, v + 1); i++) {
            if (lua_getfield(L, v + 2, where[i]) == LUA_TTABLE) {
                lua_pushlstring(L, k, klen);
                if (lua_rawget(L, -2) != LUA_TNIL) {
                    lua_replace(L, v + 1);
                    lua_pop(L, 1);
                    continue;
                }
                lua_pop(L, 1);
            }
            lua_pop(L, 1);
        }
    }
    lua_settop(L, v + 1);
    lua_replace(L, v);
}

static int
complete(lua_State *L)
{
    const char *text = lua_tostring(L, 1);
    lua_newtable(L); /* 2: results as a set */
    int res = 2;
    /* The expression: identifiers separated by '.' or ':' at the end of text. */
    size_t len = strlen(text), start = len;
    while (start > 0 && (isalnum((unsigned char)text[start - 1]) || text[start - 1] == '_' ||
                         text[start - 1] == '.' || text[start - 1] == ':'))
        start--;
    const char *expr = text + start;
    const char *last = NULL;
    for (const char *p = expr; *p; p++)
        if (*p == '.' || *p == ':')
            last = p;
    if (!last) {
        lua_pushglobaltable(L);
        add_keys(L, -1, text, start, expr, 0, res);
        lua_pop(L, 1);
        for (int i = 0; lua_keywords[i]; i++) {
            if (strncmp(lua_keywords[i], expr, strlen(expr)) == 0) {
                lua_pushlstring(L, text, start);
                lua_pushstring(L, lua_keywords[i]);
                lua_concat(L, 2);
                lua_pushboolean(L, 1);
                lua_rawset(L, res);
            }
        }
    } else {
        lua_pushglobaltable(L);
        const char *seg = expr;
        while (seg < last && !lua_isnil(L, -1)) {
            const char *end = seg;
            while (end < last && *end != '.' && *end != ':')
                end++;
            member(L, seg, (size_t)(end - seg));
            seg = end + 1;
        }
        if (lua_type(L, -1) == LUA_TSTRING) {
            lua_pop(L, 1);
            lua_getglobal(L, "string");
        }
        if (!lua_isnil(L, -1))
            add_members(L, -1, text, (size_t)(last + 1 - text), last + 1, *last == ':', res);
        lua_pop(L, 1);
    }
    l_push_sorted_keys(L, res);
    return 1;
}

void
ps_lua_complete(struct ps_lua *pl, const char *text, void (*add)(void *ud, const char *candidate),
                void *ud)
{
    lua_State *L = pl->L;
    lua_pushcfunction(L, complete);
    lua_pushstring(L, text);
    /* Completion runs between chunks; keep the interrupt hook from firing in it. */
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
        lua_pop(L, 1);
        return;
    }
    for (int i = 1; lua_rawgeti(L, -1, i) == LUA_TSTRING; i++) {
        add(ud, lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    lua_pop(L, 2);
}
