/* ps.stats: dataset statistics.  Counts live here; the evaluation statistics (win
 * rates, agreement, rankings) are bound as they land in src/core. */
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "lua/l_internal.h"
#include "store/script.h"
#include "store/store.h"

struct verdict_row {
    char *annotator, *verdict;
    int64_t n;
};

struct verdict_rows {
    struct verdict_row *v;
    int n, cap;
};

static void
rows_free(void *p)
{
    struct verdict_rows *r = p;
    for (int i = 0; i < r->n; i++) {
        free(r->v[i].annotator);
        free(r->v[i].verdict);
    }
    free(r->v);
    free(r);
}

static int
collect(void *ud, const char *annotator, const char *verdict, int64_t n)
{
    struct verdict_rows *r = ud;
    r->v = xgrow(r->v, sizeof *r->v, r->n, &r->cap, 16);
    r->v[r->n].annotator = xstrdup(annotator ? annotator : "");
    r->v[r->n].verdict = xstrdup(verdict ? verdict : "");
    r->v[r->n].n = n;
    r->n++;
    return PS_OK;
}

/* ps.stats.counts(ds) -> {items, responses, judgments, ratings, labeled, unlabeled,
 *   verdicts = {A=, B=, tie=, invalid=}, annotators = {[name] = {A=, B=, tie=, invalid=, total=}}}
 */
static int
l_counts(lua_State *L)
{
    luaL_checkudata(L, 1, LDS_MT);
    lua_settop(L, 1);
    lua_getfield(L, 1, "info");
    lua_pushvalue(L, 1);
    lua_call(L, 1, 2); /* info, msg */
    if (lua_isnil(L, 2))
        return 2;
    lua_pop(L, 1); /* 2: info */
    lua_getfield(L, 1, "count");
    lua_pushvalue(L, 1);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "labeled");
    lua_setfield(L, -2, "label");
    lua_call(L, 2, 1);
    lua_Integer labeled = lua_tointeger(L, -1);
    lua_pop(L, 1);

    lua_createtable(L, 0, 10); /* 3: result */
    static const char *const copy[] = {"items",   "responses", "judgments",
                                       "ratings", "feedback",  NULL};
    for (int i = 0; copy[i]; i++) {
        lua_getfield(L, 2, copy[i]);
        lua_setfield(L, 3, copy[i]);
    }
    lua_getfield(L, 2, "items");
    lua_Integer items = lua_tointeger(L, -1);
    lua_pop(L, 1);
    lua_pushinteger(L, labeled);
    lua_setfield(L, 3, "labeled");
    lua_pushinteger(L, items - labeled);
    lua_setfield(L, 3, "unlabeled");

    int64_t ds_id;
    struct store *st = l_check_dataset(L, 1, &ds_id);
    struct ps_err err = {0};
    void **slot = l_anchor(L, rows_free); /* 4 */
    struct verdict_rows *rows = xcalloc(1, sizeof *rows);
    *slot = rows;
    if (store_verdict_counts(st, ds_id, collect, rows, &err) != PS_OK)
        return l_fail(L, &err);
    lua_createtable(L, 0, 4); /* 5: verdicts */
    lua_createtable(L, 0, 4); /* 6: annotators */
    for (int i = 0; i < rows->n; i++) {
        const struct verdict_row *r = &rows->v[i];
        lua_getfield(L, 5, r->verdict);
        lua_pushinteger(L, lua_tointeger(L, -1) + r->n);
        lua_setfield(L, 5, r->verdict);
        lua_pop(L, 1);
        if (lua_getfield(L, 6, r->annotator) != LUA_TTABLE) {
            lua_pop(L, 1);
            lua_createtable(L, 0, 5);
            lua_pushinteger(L, 0);
            lua_setfield(L, -2, "total");
            lua_pushvalue(L, -1);
            lua_setfield(L, 6, r->annotator);
        }
        lua_pushinteger(L, r->n);
        lua_setfield(L, -2, r->verdict);
        lua_getfield(L, -1, "total");
        lua_pushinteger(L, lua_tointeger(L, -1) + r->n);
        lua_setfield(L, -3, "total");
        lua_pop(L, 2);
    }
    lua_setfield(L, 3, "annotators");
    lua_setfield(L, 3, "verdicts");
    l_anchor_release(L, 4);
    lua_settop(L, 3);
    return 1;
}

static const luaL_Reg stats_funcs[] = {
    {"counts", l_counts},
    {NULL, NULL},
};

void
l_open_stats(lua_State *L)
{
    luaL_newlib(L, stats_funcs);
    lua_setfield(L, -2, "stats");
}
