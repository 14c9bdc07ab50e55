/* ps.icai: the C half of ICAI constitutions for Lua (the pipeline itself is
 * lua-modules/prefscope/icai.lua, reached through this table's __index): clustering,
 * the measurable principles, metrics, filter and rank, agreement intervals, and
 * storing and reading constitutions.  Temporary arrays live in userdata so that a
 * raised error leaks nothing. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/cluster.h"
#include "core/constitution.h"
#include "core/features.h"
#include "core/xalloc.h"
#include "lua/l_internal.h"
#include "store/constitution.h"
#include "store/store.h"

static void *
scratch(lua_State *L, size_t bytes)
{
    return lua_newuserdatauv(L, bytes ? bytes : 1, 0);
}

static void
push_assignment(lua_State *L, const int *assign, int n, const int *rep, int k)
{
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_pushinteger(L, assign[i] + 1);
        lua_rawseti(L, -2, i + 1);
    }
    lua_createtable(L, k, 0);
    for (int j = 0; j < k; j++) {
        lua_pushinteger(L, rep[j] + 1);
        lua_rawseti(L, -2, j + 1);
    }
}

/* ps.icai.cluster(texts, k [, seed]) -> assign, reps: TF-IDF + seeded k-means;
 * assign[i] is the cluster (1..k') of texts[i], reps[j] the index of the text
 * nearest the centre of cluster j. */
static int
l_cluster(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer k = luaL_checkinteger(L, 2);
    lua_Integer seed = luaL_optinteger(L, 3, 1);
    luaL_argcheck(L, k >= 1, 2, "k must be at least 1");
    int n = (int)luaL_len(L, 1);
    const char **texts = scratch(L, (size_t)n * sizeof *texts);
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, 1, i + 1);
        texts[i] = lua_tostring(L, -1);
        if (!texts[i])
            return luaL_error(L, "ps.icai.cluster: texts[%d] is not a string", i + 1);
        lua_pop(L, 1); /* the table keeps the string alive */
    }
    int *assign = scratch(L, (size_t)n * sizeof *assign),
        *rep = scratch(L, (size_t)n * sizeof *rep);
    struct cluster_vec *v = scratch(L, (size_t)n * sizeof *v);
    int dim;
    cluster_tfidf(texts, n, v, &dim);
    int kk = cluster_kmeans_sparse(v, n, dim, (int)k, (uint64_t)seed, assign, rep);
    cluster_vecs_free(v, n);
    push_assignment(L, assign, n, rep, kk);
    return 2;
}

/* ps.icai.kmeans(vectors, k [, seed]) -> assign, reps: the same for dense vectors
 * (embeddings), each a list of numbers of one common length. */
static int
l_kmeans(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer k = luaL_checkinteger(L, 2);
    lua_Integer seed = luaL_optinteger(L, 3, 1);
    luaL_argcheck(L, k >= 1, 2, "k must be at least 1");
    int n = (int)luaL_len(L, 1), dim = 0;
    if (n) {
        lua_rawgeti(L, 1, 1);
        luaL_checktype(L, -1, LUA_TTABLE);
        dim = (int)luaL_len(L, -1);
        lua_pop(L, 1);
    }
    double *data = scratch(L, (size_t)n * (size_t)(dim ? dim : 1) * sizeof *data);
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, 1, i + 1);
        if (!lua_istable(L, -1) || (int)luaL_len(L, -1) != dim)
            return luaL_error(L, "ps.icai.kmeans: vector %d is not a list of %d numbers", i + 1,
                              dim);
        for (int q = 0; q < dim; q++) {
            lua_rawgeti(L, -1, q + 1);
            data[(size_t)i * (size_t)dim + (size_t)q] = luaL_checknumber(L, -1);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    int *assign = scratch(L, (size_t)n * sizeof *assign),
        *rep = scratch(L, (size_t)n * sizeof *rep);
    int kk = n ? cluster_kmeans_dense(data, n, dim, (int)k, (uint64_t)seed, assign, rep) : 0;
    push_assignment(L, assign, n, rep, kk);
    return 2;
}

static void
read_counts(lua_State *L, int idx, struct icai_counts *c)
{
    luaL_checktype(L, idx, LUA_TTABLE);
    c->n_for = l_opt_field_num(L, idx, "for", 0, NULL);
    c->n_against = l_opt_field_num(L, idx, "against", 0, NULL);
    c->n_both = l_opt_field_num(L, idx, "both", 0, NULL);
    c->n_neither = l_opt_field_num(L, idx, "neither", 0, NULL);
    c->n_invalid = l_opt_field_num(L, idx, "invalid", 0, NULL);
}

static void
push_metrics(lua_State *L, const struct icai_counts *c)
{
    struct icai_metrics m;
    icai_metrics(c, &m);
    lua_createtable(L, 0, 14);
    const struct {
        const char *k;
        double v;
    } f[] = {{"for", c->n_for},          {"against", c->n_against},
             {"both", c->n_both},        {"neither", c->n_neither},
             {"invalid", c->n_invalid},  {"total", m.total},
             {"relevance", m.relevance}, {"relevance_for", m.relevance_for},
             {"accuracy", m.accuracy},   {"kappa", m.kappa},
             {"strength", m.strength},   {"for_minus_against", m.for_minus_against}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        lua_pushnumber(L, f[i].v);
        lua_setfield(L, -2, f[i].k);
    }
}

/* ps.icai.metrics{for=, against=, both=, neither=, invalid=} -> the counts with
 * total, relevance, relevance_for, accuracy, kappa, strength, for_minus_against. */
static int
l_metrics(lua_State *L)
{
    struct icai_counts c;
    read_counts(L, 1, &c);
    push_metrics(L, &c);
    return 1;
}

static void
read_filter(lua_State *L, int idx, struct icai_filter *f)
{
    icai_filter_defaults(f);
    if (lua_isnoneornil(L, idx))
        return;
    luaL_checktype(L, idx, LUA_TTABLE);
    static const char *const keys[] = {"more_for",    "min_relevance", "relevance_for",
                                       "max_invalid", "top",           NULL};
    l_check_keys(L, idx, keys);
    f->require_more_for = l_opt_field_bool(L, idx, "more_for", f->require_more_for);
    f->min_relevance = l_opt_field_num(L, idx, "min_relevance", f->min_relevance, NULL);
    f->relevance_for_only = l_opt_field_bool(L, idx, "relevance_for", 0);
    f->max_invalid = l_opt_field_num(L, idx, "max_invalid", f->max_invalid, NULL);
    f->top = (int)l_opt_field_int(L, idx, "top", f->top);
}

/* ps.icai.rank(counts_list [, filter]) -> ranks, reasons: ICAI's filters and order
 * (filter: more_for, min_relevance, relevance_for, max_invalid, top); ranks[i] is
 * 1.. for a kept principle, 0 otherwise, reasons[i] why it was dropped (false when
 * kept or only cut by top). */
static int
l_rank(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    struct icai_filter f;
    read_filter(L, 2, &f);
    int n = (int)luaL_len(L, 1);
    struct icai_counts *c = scratch(L, (size_t)n * sizeof *c);
    int *rank = scratch(L, (size_t)n * sizeof *rank);
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, 1, i + 1);
        read_counts(L, lua_gettop(L), &c[i]);
        lua_pop(L, 1);
    }
    icai_rank(c, n, &f, rank);
    lua_createtable(L, n, 0);
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_pushinteger(L, rank[i]);
        lua_rawseti(L, -3, i + 1);
        const char *why = icai_filter_reason(&f, &c[i]);
        if (why)
            lua_pushstring(L, why);
        else
            lua_pushboolean(L, 0);
        lua_rawseti(L, -2, i + 1);
    }
    return 2;
}

/* ps.icai.agreement(list_of_booleans [, level]) -> mean, lo, hi: the fraction true
 * and its exact percentile-bootstrap interval (nil for an empty list). */
static int
l_agreement(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    double level = luaL_optnumber(L, 2, 0.95);
    int n = (int)luaL_len(L, 1);
    unsigned char *ok = scratch(L, (size_t)n);
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, 1, i + 1);
        ok[i] = (unsigned char)lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    double m, lo, hi;
    icai_agreement_ci(ok, (size_t)n, 1, -1, level, &m, &lo, &hi);
    if (!n) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushnumber(L, m);
    lua_pushnumber(L, lo);
    lua_pushnumber(L, hi);
    return 3;
}

/* ps.icai.features() -> { {name=, text=}, ... }: the measurable principles. */
static int
l_features(lua_State *L)
{
    lua_createtable(L, FEAT__COUNT, 0);
    for (int f = 0; f < FEAT__COUNT; f++) {
        lua_createtable(L, 0, 2);
        lua_pushstring(L, features_name(f));
        lua_setfield(L, -2, "name");
        lua_pushstring(L, features_principle(f));
        lua_setfield(L, -2, "text");
        lua_rawseti(L, -2, f + 1);
    }
    return 1;
}

/* ps.icai.measure(prompt, a, b) -> { [name] = "A"|"B"|"both"|"neither" }: every
 * measurable principle's vote on one pair. */
static int
l_measure(lua_State *L)
{
    const char *prompt = luaL_optstring(L, 1, "");
    const char *a = luaL_checkstring(L, 2), *b = luaL_checkstring(L, 3);
    double va[FEAT__COUNT], vb[FEAT__COUNT];
    struct feat_prompt p;
    features_prompt_init(&p, prompt);
    features_measure(&p, a, va);
    features_measure(&p, b, vb);
    features_prompt_free(&p);
    lua_createtable(L, 0, FEAT__COUNT);
    for (int f = 0; f < FEAT__COUNT; f++) {
        lua_pushstring(L, icai_vote_name(features_vote(f, va, vb)));
        lua_setfield(L, -2, features_name(f));
    }
    return 1;
}

/* ps.icai.save(ds, {name=, method=, params=, principles = { {text=, kind=, rank=,
 * stats=, votes = { [item_id] = "A"|"B"|"both"|"neither"|"invalid" }}, ...}})
 * -> id | nil, msg: one transaction; a name already used in the dataset fails. */
static int
l_save(lua_State *L)
{
    int64_t ds;
    struct store *st = l_check_dataset(L, 1, &ds);
    luaL_checktype(L, 2, LUA_TTABLE);
    static const char *const keys[] = {"name", "method", "params", "principles", NULL};
    l_check_keys(L, 2, keys);
    lua_getfield(L, 2, "name");
    const char *name = luaL_checkstring(L, -1);
    const char *method = l_opt_field_str(L, 2, "method", "llm");
    lua_getfield(L, 2, "params");
    if (lua_isnil(L, -1))
        lua_pushliteral(L, "{}");
    else
        l_json_encode(L, lua_gettop(L));
    const char *params = lua_tostring(L, -1); /* kept on the stack */
    lua_getfield(L, 2, "principles");
    luaL_checktype(L, -1, LUA_TTABLE);
    int pt = lua_gettop(L), np = (int)luaL_len(L, pt);
    /* validate and encode first: nothing may raise inside the transaction */
    lua_createtable(L, np, 0);
    int enc = lua_gettop(L);
    for (int i = 1; i <= np; i++) {
        lua_rawgeti(L, pt, i);
        int e = lua_gettop(L);
        luaL_checktype(L, e, LUA_TTABLE);
        lua_getfield(L, e, "text");
        if (!lua_isstring(L, -1))
            return luaL_error(L, "ps.icai.save: principles[%d].text must be a string", i);
        lua_pop(L, 1);
        lua_getfield(L, e, "stats");
        if (lua_isnil(L, -1))
            lua_pushliteral(L, "null");
        else
            l_json_encode(L, lua_gettop(L));
        lua_rawseti(L, enc, i);
        lua_pop(L, 1);
        lua_getfield(L, e, "votes");
        if (!lua_isnil(L, -1)) {
            luaL_checktype(L, -1, LUA_TTABLE);
            lua_pushnil(L);
            while (lua_next(L, -2)) {
                if (!lua_isinteger(L, -2) || lua_type(L, -1) != LUA_TSTRING ||
                    icai_vote_parse(lua_tostring(L, -1)) < 0)
                    return luaL_error(L,
                                      "ps.icai.save: principles[%d].votes maps item ids to A, B, "
                                      "both, neither or invalid",
                                      i);
                lua_pop(L, 1);
            }
        }
        lua_pop(L, 2);
    }
    struct ps_err err = {0, ""};
    if (store_begin(st, &err) != PS_OK)
        return l_fail(L, &err);
    int64_t cid = 0;
    int rc = store_constitution_create(st, ds, name, method, params, &cid, &err);
    struct store_votes *votes = NULL;
    if (rc == PS_OK)
        rc = store_votes_open(st, &votes, &err);
    for (int i = 1; i <= np && rc == PS_OK; i++) {
        lua_rawgeti(L, pt, i);
        int e = lua_gettop(L);
        lua_getfield(L, e, "text");
        const char *text = lua_tostring(L, -1);
        const char *kind = l_opt_field_str(L, e, "kind", "llm");
        int rank = (int)l_opt_field_int(L, e, "rank", 0);
        lua_rawgeti(L, enc, i);
        const char *stats = lua_tostring(L, -1);
        int64_t pid;
        rc = store_principle_add(st, cid, text, kind, rank, strcmp(stats, "null") ? stats : NULL,
                                 &pid, &err);
        lua_getfield(L, e, "votes");
        if (rc == PS_OK && lua_istable(L, -1)) {
            lua_pushnil(L);
            while (rc == PS_OK && lua_next(L, -2)) {
                rc = store_votes_put(votes, pid, (int64_t)lua_tointeger(L, -2), lua_tostring(L, -1),
                                     &err);
                lua_pop(L, 1);
            }
            if (rc != PS_OK)
                lua_pop(L, 1); /* the key left by the interrupted walk */
        }
        lua_settop(L, e - 1);
    }
    if (rc == PS_OK)
        rc = store_votes_close(votes, &err);
    else
        store_votes_close(votes, NULL);
    if (rc == PS_OK)
        rc = store_commit(st, &err);
    if (rc != PS_OK) {
        store_rollback(st);
        return l_fail(L, &err);
    }
    lua_pushinteger(L, cid);
    return 1;
}

/* ps.icai.get(ref) -> {id=, name=, dataset=, method=, params=, principles = { {id=,
 * text=, kind=, rank=, stats=}, ... }} | nil, msg: a constitution of the current
 * workspace by id, name or DATASET/NAME. */
static int
l_get(lua_State *L)
{
    const char *ref = lua_isinteger(L, 1) ? lua_pushfstring(L, "%I", lua_tointeger(L, 1))
                                          : luaL_checkstring(L, 1);
    struct ps_err err = {0, ""};
    struct store *st = l_current_store(L, &err);
    if (!st)
        return l_fail(L, &err);
    struct store_constitution c;
    if (store_constitution_find(st, ref, &c, &err) != PS_OK)
        return l_fail(L, &err);
    struct store_principle *p = NULL;
    int np = 0;
    int rc = store_principle_list(st, c.id, &p, &np, &err);
    lua_createtable(L, 0, 6);
    lua_pushinteger(L, c.id);
    lua_setfield(L, -2, "id");
    lua_pushstring(L, c.name);
    lua_setfield(L, -2, "name");
    lua_pushstring(L, c.dataset ? c.dataset : "");
    lua_setfield(L, -2, "dataset");
    lua_pushstring(L, c.method ? c.method : "");
    lua_setfield(L, -2, "method");
    struct ps_err jerr;
    if (!c.params || !l_json_push(L, c.params, strlen(c.params), &jerr))
        lua_pushnil(L);
    lua_setfield(L, -2, "params");
    store_constitution_free(&c);
    lua_createtable(L, np, 0);
    for (int i = 0; rc == PS_OK && i < np; i++) {
        lua_createtable(L, 0, 5);
        lua_pushinteger(L, p[i].id);
        lua_setfield(L, -2, "id");
        lua_pushstring(L, p[i].text);
        lua_setfield(L, -2, "text");
        lua_pushstring(L, p[i].kind ? p[i].kind : "");
        lua_setfield(L, -2, "kind");
        lua_pushinteger(L, p[i].rank);
        lua_setfield(L, -2, "rank");
        if (!p[i].stats || !l_json_push(L, p[i].stats, strlen(p[i].stats), &jerr))
            lua_pushnil(L);
        lua_setfield(L, -2, "stats");
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "principles");
    store_principle_list_free(p, np);
    if (rc != PS_OK)
        return l_fail(L, &err);
    return 1;
}

/* ps.icai.list([ds]) -> { {id=, name=, dataset=, method=, principles=, ranked=}, ... } */
static int
l_list(lua_State *L)
{
    int64_t ds = 0;
    struct store *st;
    struct ps_err err = {0, ""};
    if (lua_isnoneornil(L, 1)) {
        st = l_current_store(L, &err);
        if (!st)
            return l_fail(L, &err);
    } else {
        st = l_check_dataset(L, 1, &ds);
    }
    struct store_constitution *v;
    int n;
    if (store_constitution_list(st, ds, &v, &n, &err) != PS_OK)
        return l_fail(L, &err);
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_createtable(L, 0, 6);
        lua_pushinteger(L, v[i].id);
        lua_setfield(L, -2, "id");
        lua_pushstring(L, v[i].name);
        lua_setfield(L, -2, "name");
        lua_pushstring(L, v[i].dataset ? v[i].dataset : "");
        lua_setfield(L, -2, "dataset");
        lua_pushstring(L, v[i].method ? v[i].method : "");
        lua_setfield(L, -2, "method");
        lua_pushinteger(L, v[i].n_principles);
        lua_setfield(L, -2, "principles");
        lua_pushinteger(L, v[i].n_ranked);
        lua_setfield(L, -2, "ranked");
        lua_rawseti(L, -2, i + 1);
    }
    store_constitution_list_free(v, n);
    return 1;
}

/* Any other field comes from the Lua half: require("prefscope.icai")[key]. */
static int
l_icai_index(lua_State *L)
{
    lua_getglobal(L, "require");
    lua_pushliteral(L, "prefscope.icai");
    lua_call(L, 1, 1);
    if (!lua_istable(L, -1))
        return 0;
    lua_getfield(L, -1, luaL_checkstring(L, 2));
    return 1;
}

static const luaL_Reg icai_funcs[] = {
    {"cluster", l_cluster},
    {"kmeans", l_kmeans},
    {"metrics", l_metrics},
    {"rank", l_rank},
    {"agreement", l_agreement},
    {"features", l_features},
    {"measure", l_measure},
    {"save", l_save},
    {"get", l_get},
    {"list", l_list},
    {NULL, NULL},
};

void
l_open_icai(lua_State *L)
{
    lua_newtable(L);
    luaL_setfuncs(L, icai_funcs, 0);
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, l_icai_index);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
    lua_setfield(L, -2, "icai");
}
