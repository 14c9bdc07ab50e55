/* ps.c3po: the critique workbench's store access and the quantitative metrics.  The
 * generation, export and evaluation pipeline is lua-modules/prefscope/c3po.lua; its
 * functions are reachable as ps.c3po.* too (looked up lazily on first use).
 * docs/lua-api.md and docs/critiques.md describe the API. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/metric.h"
#include "core/xalloc.h"
#include "lua/l_internal.h"
#include "store/critique.h"

#define LMETRIC_MT "ps.Metric"

static struct store *
need_store(lua_State *L)
{
    struct ps_err err = {0, ""};
    struct store *st = l_current_store(L, &err);
    if (!st)
        l_raise_err(L, &err);
    return st;
}

/* ---------------------------------------------------------------- metrics */

static void
metric_gc_free(void *p)
{
    metric_spec_free(p);
    free(p);
}

/* Add the check `name` with the value at idx (nil, a string, or a list of strings). */
static int
add_check(lua_State *L, struct metric_spec *s, const char *name, int idx, struct ps_err *err)
{
    idx = lua_absindex(L, idx);
    const char *vals[256];
    int n = 0;
    if (lua_type(L, idx) == LUA_TSTRING) {
        vals[n++] = lua_tostring(L, idx);
    } else if (lua_istable(L, idx)) {
        int len = (int)luaL_len(L, idx);
        if (len > 256)
            return ps_error(err, PS_ERR_USAGE, "metric %s: at most 256 values", name);
        for (int i = 1; i <= len; i++) {
            lua_rawgeti(L, idx, i);
            if (lua_type(L, -1) != LUA_TSTRING)
                return ps_error(err, PS_ERR_USAGE, "metric %s: value %d is not a string", name, i);
            vals[n++] = lua_tostring(L, -1);
            lua_pop(L, 1); /* the table still holds it */
        }
    } else if (!lua_isnil(L, idx) && lua_toboolean(L, idx)) {
        return ps_error(err, PS_ERR_USAGE, "metric %s: values must be strings", name);
    }
    return metric_spec_add(s, name, vals, n, err);
}

/* A spec from the reference's fields {metric=, metric_value=, comparison=} at idx. */
static int
spec_from_table(lua_State *L, int idx, struct metric_spec *s, struct ps_err *err)
{
    idx = lua_absindex(L, idx);
    int top = lua_gettop(L);
    int rc = PS_OK;
    lua_getfield(L, idx, "comparison");
    const char *cmp = lua_tostring(L, -1);
    if (cmp && strcmp(cmp, "greater_eq_than") && strcmp(cmp, "less_eq_than") && strcmp(cmp, ">=") &&
        strcmp(cmp, "<="))
        rc = ps_error(err, PS_ERR_USAGE,
                      "comparison must be greater_eq_than or less_eq_than, not '%.40s'", cmp);
    s->cmp =
        cmp && (strcmp(cmp, "less_eq_than") == 0 || strcmp(cmp, "<=") == 0) ? METRIC_LE : METRIC_GE;
    lua_getfield(L, idx, "metric");
    lua_getfield(L, idx, "metric_value");
    int mi = top + 2, vi = top + 3;
    if (rc == PS_OK && lua_type(L, mi) == LUA_TSTRING) {
        rc = add_check(L, s, lua_tostring(L, mi), vi, err);
    } else if (rc == PS_OK && lua_istable(L, mi)) {
        int n = (int)luaL_len(L, mi);
        for (int i = 1; i <= n && rc == PS_OK; i++) {
            lua_rawgeti(L, mi, i);
            const char *name = lua_tostring(L, -1);
            if (lua_istable(L, vi))
                lua_rawgeti(L, vi, i);
            else
                lua_pushnil(L);
            rc = name ? add_check(L, s, name, -1, err)
                      : ps_error(err, PS_ERR_USAGE, "metric %d is not a name", i);
            lua_pop(L, 2);
        }
    } else if (rc == PS_OK) {
        rc = ps_error(err, PS_ERR_USAGE, "no metric (a name or a list of names)");
    }
    lua_settop(L, top);
    return rc;
}

/* ps.c3po.metric(spec) -> Metric | nil, msg.  spec: DSL text, or a table with the
 * reference's fields, or a feedback row (its metric column, else its meta). */
static int
l_metric(lua_State *L)
{
    struct metric_spec **slot = (struct metric_spec **)l_anchor(L, metric_gc_free);
    *slot = xcalloc(1, sizeof **slot);
    struct ps_err err = {0, ""};
    int rc;
    if (lua_type(L, 1) == LUA_TSTRING) {
        rc = metric_spec_parse(lua_tostring(L, 1), *slot, &err);
    } else {
        luaL_checktype(L, 1, LUA_TTABLE);
        lua_getfield(L, 1, "metric");
        int dsl = lua_type(L, -1) == LUA_TSTRING && strchr(lua_tostring(L, -1), '(');
        if (dsl) {
            rc = metric_spec_parse(lua_tostring(L, -1), *slot, &err);
        } else {
            lua_getfield(L, 1, "meta");
            rc = spec_from_table(L, lua_istable(L, -1) ? -1 : 1, *slot, &err);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    if (rc != PS_OK) {
        l_anchor_release(L, -1);
        return l_fail(L, &err);
    }
    struct metric_spec **ud = lua_newuserdatauv(L, sizeof *ud, 0);
    *ud = *slot;
    *slot = NULL;
    lua_remove(L, -2);
    luaL_setmetatable(L, LMETRIC_MT);
    return 1;
}

static struct metric_spec *
check_metric(lua_State *L)
{
    struct metric_spec **ud = luaL_checkudata(L, 1, LMETRIC_MT);
    return *ud;
}

/* m:values(text) -> { value per check } */
static int
l_metric_values(lua_State *L)
{
    struct metric_spec *s = check_metric(L);
    size_t n;
    const char *t = luaL_checklstring(L, 2, &n);
    lua_createtable(L, s->n, 0);
    for (int i = 0; i < s->n; i++) {
        double v = metric_check_value(&s->checks[i], t, n);
        if (v == floor(v))
            lua_pushinteger(L, (lua_Integer)v);
        else
            lua_pushnumber(L, v);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

/* m:score(baseline, revised) -> boolean (ties count as success) */
static int
l_metric_score(lua_State *L)
{
    struct metric_spec *s = check_metric(L);
    lua_pushboolean(L, metric_spec_success(s, luaL_checkstring(L, 2), luaL_checkstring(L, 3)));
    return 1;
}

static int
l_metric_dsl(lua_State *L)
{
    struct metric_spec *s = check_metric(L);
    struct strbuf sb = STRBUF_INIT;
    metric_spec_format(s, &sb);
    lua_pushlstring(L, sb_str(&sb), sb.len);
    sb_free(&sb);
    return 1;
}

static int
l_metric_gc(lua_State *L)
{
    struct metric_spec **ud = luaL_checkudata(L, 1, LMETRIC_MT);
    if (*ud) {
        metric_spec_free(*ud);
        free(*ud);
        *ud = NULL;
    }
    return 0;
}

static int
l_detect_language(lua_State *L)
{
    size_t n;
    const char *t = luaL_checklstring(L, 1, &n);
    lua_pushstring(L, metric_detect_language(t, n));
    return 1;
}

/* ps.c3po.regex_search(pattern, text) -> boolean | nil, msg */
static int
l_regex_search(lua_State *L)
{
    const char *pat = luaL_checkstring(L, 1);
    size_t n;
    const char *t = luaL_checklstring(L, 2, &n);
    struct metric_regex *re;
    struct ps_err err = {0, ""};
    if (metric_regex_compile(pat, &re, &err) != PS_OK)
        return l_fail(L, &err);
    int m = metric_regex_search(re, t, n);
    metric_regex_free(re);
    lua_pushboolean(L, m);
    return 1;
}

/* ---------------------------------------------------------------- rows */

static const char *const numeric_cols[] = {
    "id",       "feedback_id", "category_id", "n_in",   "n_near",       "n_out",
    "accepted", "rejected",    "pending",     "failed", "n_categories", "n_edits",
    "swap",     "success",     "target_id",   "undone", "critique_id",  NULL};
static const char *const float_cols[] = {"score", "baseline_metric", "candidate_metric", NULL};

static int
in_names(const char *name, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(name, list[i]) == 0)
            return 1;
    return 0;
}

static int
push_row(void *ud, const struct store_row *row)
{
    lua_State *L = ud;
    lua_createtable(L, 0, row->n);
    for (int i = 0; i < row->n; i++) {
        const char *v = row->vals[i];
        if (!v)
            continue;
        if (in_names(row->names[i], numeric_cols))
            lua_pushinteger(L, (lua_Integer)strtoll(v, NULL, 10));
        else if (in_names(row->names[i], float_cols))
            lua_pushnumber(L, strtod(v, NULL));
        else if (strcmp(row->names[i], "meta") == 0) {
            struct ps_err err = {0, ""};
            if (!l_json_push(L, v, strlen(v), &err))
                lua_pushstring(L, v);
        } else
            lua_pushstring(L, v);
        lua_setfield(L, -2, row->names[i]);
    }
    lua_rawseti(L, -2, (lua_Integer)luaL_len(L, -2) + 1);
    return 0;
}

/* Call a list function; leaves the list on the stack or raises. */
#define LIST_CALL(L, call) \
    do { \
        struct ps_err err_ = {0, ""}; \
        lua_newtable(L); \
        if ((call) != PS_OK) \
            return l_fail(L, &err_); \
    } while (0)

/* Encode an optional table/string argument as JSON text (pushed, or nil). */
static const char *
opt_json(lua_State *L, int idx)
{
    if (lua_isnoneornil(L, idx)) {
        lua_pushnil(L);
        return NULL;
    }
    if (lua_type(L, idx) == LUA_TSTRING) {
        lua_pushvalue(L, idx);
        return lua_tostring(L, -1);
    }
    l_json_encode(L, idx);
    return lua_tostring(L, -1);
}

/* ps.c3po.feedback_add{feedback=, domain=, effect=, scope=, type=, metric=, meta=} -> id */
static int
l_feedback_add(lua_State *L)
{
    static const char *const keys[] = {"feedback", "domain", "effect",  "scope", "type",
                                       "metric",   "meta",   "dataset", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    l_check_keys(L, 1, keys);
    struct store *st = need_store(L);
    int64_t id = 0, ds = 0;
    lua_getfield(L, 1, "dataset");
    if (!lua_isnil(L, -1))
        l_check_dataset(L, lua_gettop(L), &ds);
    lua_pop(L, 1);
    lua_getfield(L, 1, "meta");
    const char *meta = opt_json(L, lua_gettop(L));
    struct ps_err err = {0, ""};
    if (store_crit_feedback_add(
            st, ds, l_opt_field_str(L, 1, "feedback", NULL), l_opt_field_str(L, 1, "domain", NULL),
            l_opt_field_str(L, 1, "effect", NULL), l_opt_field_str(L, 1, "scope", "regional"),
            l_opt_field_str(L, 1, "type", "qualitative"), l_opt_field_str(L, 1, "metric", NULL),
            meta, &id, &err) != PS_OK)
        return l_fail(L, &err);
    lua_pushinteger(L, id);
    return 1;
}

/* ps.c3po.feedbacks() -> list; ps.c3po.feedback(id) -> row | nil, msg */
static int
l_feedbacks(lua_State *L)
{
    LIST_CALL(L, store_crit_feedback_list(need_store(L), 0, push_row, L, &err_));
    return 1;
}

static int
l_feedback(lua_State *L)
{
    lua_Integer id = luaL_checkinteger(L, 1);
    LIST_CALL(L, store_crit_feedback_list(need_store(L), id > 0 ? id : -1, push_row, L, &err_));
    lua_rawgeti(L, -1, 1);
    if (lua_isnil(L, -1)) {
        lua_pushnil(L);
        lua_pushfstring(L, "no feedback with id %I", id);
        return 2;
    }
    return 1;
}

/* set(id, field, value [, author]): a generated value without author; an edit with. */
static int
set_common(lua_State *L, int is_item, int edit)
{
    lua_Integer id = luaL_checkinteger(L, 1);
    const char *field = luaL_checkstring(L, 2);
    const char *value = lua_isnil(L, 3) ? NULL : luaL_checkstring(L, 3);
    const char *author = edit ? luaL_optstring(L, 4, l_default_annotator(L)) : NULL;
    struct ps_err err = {0, ""};
    int rc = is_item ? store_crit_item_set(need_store(L), id, field, value, author, &err)
                     : store_crit_feedback_set(need_store(L), id, field, value, author, &err);
    if (rc != PS_OK)
        return l_fail(L, &err);
    lua_pushboolean(L, 1);
    return 1;
}

static int
l_feedback_set(lua_State *L)
{
    return set_common(L, 0, 0);
}
static int
l_feedback_edit(lua_State *L)
{
    return set_common(L, 0, 1);
}
static int
l_item_set(lua_State *L)
{
    return set_common(L, 1, 0);
}
static int
l_item_edit(lua_State *L)
{
    return set_common(L, 1, 1);
}

/* ps.c3po.category_add(feedback_id, text [, meta]) -> id, is_new */
static int
l_category_add(lua_State *L)
{
    lua_Integer fb = luaL_checkinteger(L, 1);
    const char *text = luaL_checkstring(L, 2);
    const char *meta = opt_json(L, 3);
    int64_t id = 0;
    int is_new = 0;
    struct ps_err err = {0, ""};
    if (store_crit_category_add(need_store(L), fb, text, meta, &id, &is_new, &err) != PS_OK)
        return l_fail(L, &err);
    lua_pushinteger(L, id);
    lua_pushboolean(L, is_new);
    return 2;
}

static int
l_categories(lua_State *L)
{
    lua_Integer fb = luaL_checkinteger(L, 1);
    LIST_CALL(L, store_crit_category_list(need_store(L), fb, push_row, L, &err_));
    return 1;
}

/* ps.c3po.item_add{feedback=, scope=, category=, prompt=, split=, meta=} -> id, is_new */
static int
l_item_add(lua_State *L)
{
    static const char *const keys[] = {"feedback", "scope", "category", "prompt",
                                       "split",    "meta",  NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    l_check_keys(L, 1, keys);
    lua_getfield(L, 1, "meta");
    const char *meta = opt_json(L, lua_gettop(L));
    int64_t id = 0;
    int is_new = 0;
    struct ps_err err = {0, ""};
    if (store_crit_item_add(
            need_store(L), l_opt_field_int(L, 1, "feedback", 0),
            l_opt_field_str(L, 1, "scope", NULL), l_opt_field_int(L, 1, "category", 0),
            l_opt_field_str(L, 1, "prompt", NULL), l_opt_field_str(L, 1, "split", "train"), meta,
            &id, &is_new, &err) != PS_OK)
        return l_fail(L, &err);
    lua_pushinteger(L, id);
    lua_pushboolean(L, is_new);
    return 2;
}

/* ps.c3po.items(feedback_id [, {scope=, status=, split=}]) -> list */
static int
l_items(lua_State *L)
{
    static const char *const keys[] = {"scope", "status", "split", NULL};
    lua_Integer fb = luaL_checkinteger(L, 1);
    const char *scope = NULL, *status = NULL, *split = NULL;
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        l_check_keys(L, 2, keys);
        scope = l_opt_field_str(L, 2, "scope", NULL);
        status = l_opt_field_str(L, 2, "status", NULL);
        split = l_opt_field_str(L, 2, "split", NULL);
    }
    LIST_CALL(L,
              store_crit_item_list(need_store(L), fb, 0, scope, status, split, push_row, L, &err_));
    return 1;
}

static int
l_item(lua_State *L)
{
    lua_Integer id = luaL_checkinteger(L, 1);
    LIST_CALL(L, store_crit_item_list(need_store(L), 0, id > 0 ? id : -1, NULL, NULL, NULL,
                                      push_row, L, &err_));
    lua_rawgeti(L, -1, 1);
    if (lua_isnil(L, -1)) {
        lua_pushnil(L);
        lua_pushfstring(L, "no critique item with id %I", id);
        return 2;
    }
    return 1;
}

/* ps.c3po.item_meta(id, table) merges into the item's meta */
static int
l_item_meta(lua_State *L)
{
    lua_Integer id = luaL_checkinteger(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    const char *patch = opt_json(L, 2);
    struct ps_err err = {0, ""};
    if (store_crit_item_meta(need_store(L), id, patch, &err) != PS_OK)
        return l_fail(L, &err);
    lua_pushboolean(L, 1);
    return 1;
}

/* ps.c3po.undo(target, id [, author]) -> field | false */
static int
l_undo(lua_State *L)
{
    const char *target = luaL_checkstring(L, 1);
    lua_Integer id = luaL_checkinteger(L, 2);
    const char *author = luaL_optstring(L, 3, l_default_annotator(L));
    char *field = NULL;
    struct ps_err err = {0, ""};
    if (store_crit_undo(need_store(L), target, id, author, &field, &err) != PS_OK)
        return l_fail(L, &err);
    if (field)
        lua_pushstring(L, field);
    else
        lua_pushboolean(L, 0);
    free(field);
    return 1;
}

static int
l_edits(lua_State *L)
{
    const char *target = luaL_checkstring(L, 1);
    lua_Integer id = luaL_checkinteger(L, 2);
    LIST_CALL(L, store_crit_edits(need_store(L), target, id, push_row, L, &err_));
    return 1;
}

/* ps.c3po.eval_put{critique=, run=, candidate=, kind=, swap=, score=, success=,
 *   baseline_metric=, candidate_metric=, rationale=, judge=, meta=} */
static int
l_eval_put(lua_State *L)
{
    static const char *const keys[] = {"critique", "run",   "candidate",       "kind",
                                       "swap",     "score", "success",         "rationale",
                                       "judge",    "meta",  "baseline_metric", "candidate_metric",
                                       NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    l_check_keys(L, 1, keys);
    lua_getfield(L, 1, "meta");
    const char *meta = opt_json(L, lua_gettop(L));
    struct store_crit_eval e;
    memset(&e, 0, sizeof e);
    int present;
    e.critique_id = l_opt_field_int(L, 1, "critique", 0);
    e.run = l_opt_field_str(L, 1, "run", "default");
    e.candidate = l_opt_field_str(L, 1, "candidate", NULL);
    e.kind = l_opt_field_str(L, 1, "kind", "qualitative");
    e.swap = l_opt_field_bool(L, 1, "swap", 0);
    e.score = l_opt_field_num(L, 1, "score", 0, &present);
    if (!present)
        e.score = NAN;
    e.baseline_metric = l_opt_field_num(L, 1, "baseline_metric", 0, &present);
    if (!present)
        e.baseline_metric = NAN;
    e.candidate_metric = l_opt_field_num(L, 1, "candidate_metric", 0, &present);
    if (!present)
        e.candidate_metric = NAN;
    lua_getfield(L, 1, "success");
    e.success = lua_isnil(L, -1) ? -1 : lua_toboolean(L, -1);
    lua_pop(L, 1);
    e.rationale = l_opt_field_str(L, 1, "rationale", NULL);
    e.judge = l_opt_field_str(L, 1, "judge", NULL);
    e.meta_json = meta;
    struct ps_err err = {0, ""};
    if (store_crit_eval_put(need_store(L), &e, &err) != PS_OK)
        return l_fail(L, &err);
    lua_pushboolean(L, 1);
    return 1;
}

static int
l_evals(lua_State *L)
{
    lua_Integer fb = luaL_checkinteger(L, 1);
    const char *run = luaL_optstring(L, 2, NULL);
    LIST_CALL(L, store_crit_eval_list(need_store(L), fb, run, push_row, L, &err_));
    return 1;
}

/* Names not defined here come from the Lua module prefscope.c3po. */
static int
l_c3po_index(lua_State *L)
{
    lua_getglobal(L, "require");
    lua_pushliteral(L, "prefscope.c3po");
    lua_call(L, 1, 1);
    lua_pushvalue(L, 2);
    lua_gettable(L, -2);
    return 1;
}

static const luaL_Reg metric_methods[] = {
    {"values", l_metric_values}, {"score", l_metric_score}, {"dsl", l_metric_dsl}, {NULL, NULL}};

static const luaL_Reg c3po_funcs[] = {
    {"metric", l_metric},
    {"detect_language", l_detect_language},
    {"regex_search", l_regex_search},
    {"feedback_add", l_feedback_add},
    {"feedbacks", l_feedbacks},
    {"feedback", l_feedback},
    {"feedback_set", l_feedback_set},
    {"feedback_edit", l_feedback_edit},
    {"category_add", l_category_add},
    {"categories", l_categories},
    {"item_add", l_item_add},
    {"items", l_items},
    {"item", l_item},
    {"item_set", l_item_set},
    {"item_edit", l_item_edit},
    {"item_meta", l_item_meta},
    {"undo", l_undo},
    {"edits", l_edits},
    {"eval_put", l_eval_put},
    {"evals", l_evals},
    {NULL, NULL},
};

void
l_open_critique(lua_State *L)
{
    luaL_newmetatable(L, LMETRIC_MT);
    lua_newtable(L);
    luaL_setfuncs(L, metric_methods, 0);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_metric_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);

    lua_newtable(L);
    luaL_setfuncs(L, c3po_funcs, 0);
    lua_newtable(L);
    lua_pushcfunction(L, l_c3po_index);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
    lua_setfield(L, -2, "c3po");
}
