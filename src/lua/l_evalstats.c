/* ps.stats evaluation functions: the statistics of src/core/stats*.c for Lua, on
 * plain label lists and battles, and the full report / leaderboard of a dataset (the
 * same tables `prefscope stats --json` and `prefscope rank --json` print).  Also
 * ps.stats.parse_verdict, the judge answer parser (src/core/judge.c).
 *
 * Labels are the strings "A", "B", "tie"; "invalid" and false count as missing. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/judge.h"
#include "core/stats.h"
#include "core/stats_rank.h"
#include "core/stats_report.h"
#include "core/xalloc.h"
#include "lua/l_internal.h"
#include "store/judgments.h"

#define MAX_SEL 256

/* Class of the label at idx (missing: -1); raises on anything else. */
static int
check_label(lua_State *L, int idx, int argn)
{
    if (lua_isnoneornil(L, idx) || (lua_isboolean(L, idx) && !lua_toboolean(L, idx)))
        return -1;
    const char *s = lua_tostring(L, idx);
    int c = s ? stats_class_parse(s) : -2;
    if (c == STATS_INVALID)
        return -1;
    if (c < 0)
        luaL_argerror(L, argn,
                      lua_pushfstring(L, "label '%s' is not A, B, tie, invalid or false",
                                      s ? s : luaL_typename(L, idx)));
    return c;
}

static void
push_num(lua_State *L, double v)
{
    if (isnan(v))
        lua_pushnil(L);
    else
        lua_pushnumber(L, v);
}

/* ps.stats.cohen_kappa(labels1, labels2) -> kappa, agreement, n
 * Pairs where either label is missing are skipped; kappa is nil when undefined. */
static int
l_cohen(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_Integer n1 = luaL_len(L, 1), n2 = luaL_len(L, 2);
    if (n1 != n2)
        return luaL_error(L, "cohen_kappa: the two label lists differ in length (%d and %d)",
                          (int)n1, (int)n2);
    double t[9] = {0}, n = 0;
    for (lua_Integer i = 1; i <= n1; i++) {
        lua_geti(L, 1, i);
        lua_geti(L, 2, i);
        int a = check_label(L, -2, 1), b = check_label(L, -1, 2);
        lua_pop(L, 2);
        if (a >= 0 && b >= 0) {
            t[a * 3 + b] += 1;
            n += 1;
        }
    }
    double ag, k;
    stats_cohen(t, 3, &ag, &k);
    push_num(L, k);
    push_num(L, ag);
    lua_pushinteger(L, (lua_Integer)n);
    return 3;
}

/* Read a list of units (each a list of labels) into counts[u*3+c]. */
static double *
read_units(lua_State *L, int idx, size_t *n_units)
{
    luaL_checktype(L, idx, LUA_TTABLE);
    size_t n = (size_t)luaL_len(L, idx);
    void **slot = l_anchor(L, free);
    double *counts = xcalloc(n * 3 + 1, sizeof *counts);
    *slot = counts;
    for (size_t u = 0; u < n; u++) {
        lua_geti(L, idx, (lua_Integer)u + 1);
        luaL_argexpected(L, lua_istable(L, -1), idx, "a list of units (lists of labels)");
        lua_Integer m = luaL_len(L, -1);
        for (lua_Integer i = 1; i <= m; i++) {
            lua_geti(L, -1, i);
            int c = check_label(L, -1, idx);
            lua_pop(L, 1);
            if (c >= 0)
                counts[u * 3 + (size_t)c] += 1;
        }
        lua_pop(L, 1);
    }
    *n_units = n;
    return counts; /* stays anchored at the top of the stack */
}

/* ps.stats.fleiss_kappa(units) -> kappa, units_used
 * units: {{"A","A","B"}, {"tie","tie","tie"}, ...}, every unit with the same number of
 * valid labels (other units are skipped). */
static int
l_fleiss(lua_State *L)
{
    size_t n;
    double *counts = read_units(L, 1, &n);
    size_t used = 0;
    double k = stats_fleiss(counts, NULL, n, 3, &used);
    l_anchor_release(L, -1);
    push_num(L, k);
    lua_pushinteger(L, (lua_Integer)used);
    return 2;
}

/* ps.stats.krippendorff_alpha(units) -> alpha (nominal; missing labels allowed) */
static int
l_alpha(lua_State *L)
{
    size_t n;
    double *counts = read_units(L, 1, &n);
    double a = stats_kripp_alpha_nominal(counts, NULL, n, 3);
    l_anchor_release(L, -1);
    push_num(L, a);
    return 1;
}

/* ps.stats.majority(labels) -> label | nil
 * The most frequent valid label; a tie for most votes goes to the label voted first. */
static int
l_majority(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer n = luaL_len(L, 1);
    if (n > 4096)
        return luaL_error(L, "majority: at most 4096 labels");
    int labels[4096];
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, 1, i);
        labels[i - 1] = check_label(L, -1, 1);
        lua_pop(L, 1);
    }
    int m = stats_majority(labels, (int)n, STATS_NCLASS);
    if (m < 0)
        lua_pushnil(L);
    else
        lua_pushstring(L, stats_class_name(m));
    return 1;
}

/* ps.stats.classify(reference, predicted [, {invalid="wrong"|"tie"}]) ->
 *   {n, accuracy, macro_precision, macro_recall, macro_f1,
 *    classes = {A = {precision, recall, f1, support}, B = ..., tie = ...}}
 * Pairs with a missing reference are skipped; a missing or "invalid" prediction is
 * a wrong answer (or a tie with invalid="tie"). */
static int
l_classify(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checktype(L, 2, LUA_TTABLE);
    static const char *const keys[] = {"invalid", NULL};
    int as_tie = 0;
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        l_check_keys(L, 3, keys);
        const char *inv = l_opt_field_str(L, 3, "invalid", "wrong");
        if (strcmp(inv, "tie") && strcmp(inv, "wrong"))
            return luaL_error(L, "classify: invalid must be 'wrong' or 'tie'");
        as_tie = strcmp(inv, "tie") == 0;
    }
    lua_Integer n = luaL_len(L, 1);
    if (luaL_len(L, 2) != n)
        return luaL_error(L, "classify: reference and predicted differ in length");
    double conf[12] = {0};
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, 1, i);
        lua_geti(L, 2, i);
        int t = check_label(L, -2, 1), p = check_label(L, -1, 2);
        lua_pop(L, 2);
        if (t < 0)
            continue;
        if (p < 0)
            p = as_tie ? STATS_TIE : STATS_INVALID;
        conf[t * 4 + p] += 1;
    }
    struct stats_cls m;
    stats_classify(conf, 3, 4, &m);
    lua_createtable(L, 0, 6);
    lua_pushinteger(L, (lua_Integer)m.n);
    lua_setfield(L, -2, "n");
    push_num(L, m.accuracy);
    lua_setfield(L, -2, "accuracy");
    push_num(L, m.macro_p);
    lua_setfield(L, -2, "macro_precision");
    push_num(L, m.macro_r);
    lua_setfield(L, -2, "macro_recall");
    push_num(L, m.macro_f1);
    lua_setfield(L, -2, "macro_f1");
    lua_createtable(L, 0, 3);
    for (int c = 0; c < STATS_NCLASS && m.n > 0; c++) {
        lua_createtable(L, 0, 4);
        lua_pushnumber(L, m.p[c]);
        lua_setfield(L, -2, "precision");
        lua_pushnumber(L, m.r[c]);
        lua_setfield(L, -2, "recall");
        lua_pushnumber(L, m.f1[c]);
        lua_setfield(L, -2, "f1");
        lua_pushinteger(L, (lua_Integer)m.support[c]);
        lua_setfield(L, -2, "support");
        lua_setfield(L, -2, stats_class_name(c));
    }
    lua_setfield(L, -2, "classes");
    return 1;
}

/* Battles {{a=, b=, winner="a"|"b"|"tie" | score=, weight=}, ...} into players (a
 * name -> index table at `names`) and a C array (anchored on the stack). */
static struct stats_battle *
read_battles(lua_State *L, int idx, int names, int *n_players, size_t *nb)
{
    luaL_checktype(L, idx, LUA_TTABLE);
    static const char *const keys[] = {"a", "b", "winner", "score", "weight", NULL};
    size_t n = (size_t)luaL_len(L, idx);
    void **slot = l_anchor(L, free);
    struct stats_battle *b = xcalloc(n + 1, sizeof *b);
    *slot = b;
    for (size_t e = 0; e < n; e++) {
        lua_geti(L, idx, (lua_Integer)e + 1);
        int t = lua_gettop(L);
        luaL_argexpected(L, lua_istable(L, t), idx, "a list of battles {a=, b=, winner=}");
        l_check_keys(L, t, keys);
        int side[2];
        for (int k = 0; k < 2; k++) {
            lua_getfield(L, t, k ? "b" : "a");
            const char *name = lua_tostring(L, -1);
            if (!name)
                luaL_error(L, "battle %d: '%s' must name a player", (int)e + 1, k ? "b" : "a");
            if (lua_getfield(L, names, name) == LUA_TNIL) {
                lua_pop(L, 1);
                lua_pushinteger(L, ++*n_players);
                lua_setfield(L, names, name);
                side[k] = *n_players - 1;
            } else {
                side[k] = (int)lua_tointeger(L, -1) - 1;
                lua_pop(L, 1);
            }
            lua_pop(L, 1);
        }
        if (side[0] == side[1])
            luaL_error(L, "battle %d: a player cannot battle itself", (int)e + 1);
        int has_score;
        double s = l_opt_field_num(L, t, "score", 0, &has_score);
        if (!has_score) {
            const char *w = l_opt_field_str(L, t, "winner", NULL);
            if (!w)
                luaL_error(L, "battle %d: give winner ('a', 'b', 'tie') or score", (int)e + 1);
            s = strcmp(w, "a") == 0     ? 1
                : strcmp(w, "b") == 0   ? 0
                : strcmp(w, "tie") == 0 ? 0.5
                                        : -1;
            if (s < 0)
                luaL_error(L, "battle %d: winner must be 'a', 'b' or 'tie'", (int)e + 1);
        } else if (s < 0 || s > 1) {
            luaL_error(L, "battle %d: score must be in [0, 1]", (int)e + 1);
        }
        double w = l_opt_field_num(L, t, "weight", 1, NULL);
        if (!(w > 0))
            luaL_error(L, "battle %d: weight must be positive", (int)e + 1);
        b[e] = (struct stats_battle){side[0], side[1], s, w};
        lua_pop(L, 1);
    }
    *nb = n;
    return b;
}

/* Push {name = rating} from ratings[] and the names table at `names`. */
static void
push_ratings(lua_State *L, int names, const double *r)
{
    lua_newtable(L);
    lua_pushnil(L);
    while (lua_next(L, names)) {
        int i = (int)lua_tointeger(L, -1) - 1;
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        push_num(L, r[i]);
        lua_settable(L, -4);
    }
}

/* Common to bt and elo: stack 1 = battles, 2 = options; pushes 3 = names table,
 * 4 = battles anchor, 5 = ratings anchor, and returns the ratings array. */
static double *
prepare_battles(lua_State *L, struct stats_battle **b, size_t *nb, int *np)
{
    lua_settop(L, 2);
    lua_newtable(L); /* 3: names */
    *np = 0;
    *b = read_battles(L, 1, 3, np, nb); /* 4 */
    void **slot = l_anchor(L, free);    /* 5 */
    double *r = xcalloc((size_t)*np + 1, sizeof *r);
    *slot = r;
    return r;
}

/* ps.stats.bt(battles [, {prior=0.01, center=1000}]) -> {player = rating}, converged */
static int
l_bt(lua_State *L)
{
    static const char *const keys[] = {"prior", "center", NULL};
    double prior = 0.01, center = 1000;
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        l_check_keys(L, 2, keys);
        prior = l_opt_field_num(L, 2, "prior", prior, NULL);
        center = l_opt_field_num(L, 2, "center", center, NULL);
    }
    struct stats_battle *b;
    size_t nb;
    int np;
    double *r = prepare_battles(L, &b, &nb, &np);
    int its = stats_bt(b, nb, np, prior, center, r);
    push_ratings(L, 3, r);
    lua_pushboolean(L, its >= 0);
    return 2;
}

/* ps.stats.elo(battles [, {k=4, init=1000}]) -> {player = rating} (battles in order) */
static int
l_elo(lua_State *L)
{
    static const char *const keys[] = {"k", "init", NULL};
    double k = 4, init = 1000;
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        l_check_keys(L, 2, keys);
        k = l_opt_field_num(L, 2, "k", k, NULL);
        init = l_opt_field_num(L, 2, "init", init, NULL);
    }
    struct stats_battle *b;
    size_t nb;
    int np;
    double *r = prepare_battles(L, &b, &nb, &np);
    stats_elo(b, nb, np, k, init, r);
    push_ratings(L, 3, r);
    return 1;
}

/* ps.stats.percentile_ci(values [, level=0.95]) -> lo, hi (nil when no finite value) */
static int
l_percentile_ci(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    double level = luaL_optnumber(L, 2, 0.95);
    luaL_argcheck(L, level > 0 && level < 1, 2, "level must be in (0, 1)");
    size_t n = (size_t)luaL_len(L, 1);
    void **slot = l_anchor(L, free);
    double *v = xcalloc(n + 1, sizeof *v);
    *slot = v;
    for (size_t i = 0; i < n; i++) {
        lua_geti(L, 1, (lua_Integer)i + 1);
        v[i] = lua_isnumber(L, -1) ? lua_tonumber(L, -1) : NAN;
        lua_pop(L, 1);
    }
    double lo, hi;
    stats_percentile_ci(v, n, level, &lo, &hi);
    push_num(L, lo);
    push_num(L, hi);
    return 2;
}

/* ps.stats.parse_verdict(text) -> "A"|"B"|"tie"|"invalid", rule */
static int
l_parse_verdict(lua_State *L)
{
    const char *text = luaL_checkstring(L, 1);
    struct judge_parse p;
    judge_parse_verdict(text, &p);
    lua_pushstring(L, stats_class_name(p.verdict));
    lua_pushstring(L, p.rule);
    return 2;
}

/* ---- dataset-level report and leaderboard ---- */

static void
table_free(void *p)
{
    if (p) {
        stats_table_free(p);
        free(p);
    }
}

/* Resolve an annotator option (a string pattern or a list of patterns) into sel[]. */
static int
resolve_annots(lua_State *L, int idx, const char *key, const struct stats_table *t, int *sel,
               int *n, struct ps_err *err)
{
    int ty = lua_getfield(L, idx, key);
    int rc = PS_OK;
    if (ty == LUA_TSTRING) {
        const char *full = lua_tostring(L, -1);
        const char *list = strncmp(full, "majority:", 9) == 0 ? full + 9 : full;
        char *copy = xstrdup(list);
        for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok && rc == PS_OK;
             tok = strtok_r(NULL, ",", &save))
            if (!stats_table_match(t, tok, sel, n, MAX_SEL))
                rc = ps_error(err, PS_ERR_NOTFOUND, "no annotator '%s' in this dataset", tok);
        free(copy);
    } else if (ty == LUA_TTABLE) {
        for (lua_Integer i = 1; rc == PS_OK && lua_geti(L, -1, i) == LUA_TSTRING; i++) {
            if (!stats_table_match(t, lua_tostring(L, -1), sel, n, MAX_SEL))
                rc = ps_error(err, PS_ERR_NOTFOUND, "no annotator '%s' in this dataset",
                              lua_tostring(L, -1));
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    } else if (ty != LUA_TNIL) {
        lua_pop(L, 1);
        luaL_error(L, "option '%s' must be an annotator name, a pattern or a list of them", key);
    }
    lua_pop(L, 1);
    return rc;
}

static struct stats_table *
load_table(lua_State *L, int idx, struct ps_err *err)
{
    int64_t ds;
    struct store *st = l_check_dataset(L, idx, &ds);
    void **slot = l_anchor(L, table_free);
    struct stats_table *t = xcalloc(1, sizeof *t);
    *slot = t;
    if (store_judgment_table(st, ds, t, err) != PS_OK)
        return NULL;
    return t;
}

/* Argument 2 is an options table (checked against keys) or absent (made empty). */
static void
opts_table(lua_State *L, const char *const *keys)
{
    lua_settop(L, 2);
    if (!lua_isnil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        l_check_keys(L, 2, keys);
    } else {
        lua_newtable(L);
        lua_replace(L, 2);
    }
}

/* Push the JSON in sb as a Lua value (frees sb); nil, msg when it does not parse. */
static int
push_json_sb(lua_State *L, struct strbuf *sb)
{
    struct ps_err err = {0};
    int ok = l_json_push(L, sb->p, sb->len, &err);
    sb_free(sb);
    return ok ? 1 : l_fail(L, &err);
}

/* ds-level report: ps.stats.report(ds [, {annotators=, against=, invalid=, bootstrap=,
 * seed=, level=, min_n=}]) -> the table of `prefscope stats --json` ("report"; null values are
 * ps.json.null) | nil, msg */
static int
l_report(lua_State *L)
{
    static const char *const keys[] = {"annotators", "against", "invalid", "bootstrap",
                                       "seed",       "level",   "min_n",   NULL};
    opts_table(L, keys);
    struct stats_opts o = {0};
    const char *inv = l_opt_field_str(L, 2, "invalid", "wrong");
    if (strcmp(inv, "wrong") && strcmp(inv, "tie"))
        return luaL_error(L, "report: invalid must be 'wrong' or 'tie'");
    o.invalid_as_tie = strcmp(inv, "tie") == 0;
    lua_Integer b = l_opt_field_int(L, 2, "bootstrap", 1000);
    luaL_argcheck(L, b >= 0 && b <= 1000000, 2, "bootstrap must be in 0..1000000");
    o.bootstrap = (int)b;
    o.seed = (uint64_t)l_opt_field_int(L, 2, "seed", 1);
    o.level = l_opt_field_num(L, 2, "level", 0.95, NULL);
    luaL_argcheck(L, o.level > 0 && o.level < 1, 2, "level must be in (0, 1)");
    o.min_n = l_opt_field_num(L, 2, "min_n", STATS_MIN_N, NULL);
    luaL_argcheck(L, o.min_n >= 0, 2, "min_n must be >= 0");
    struct ps_err err = {0};
    struct stats_table *t = load_table(L, 1, &err); /* 3: anchor */
    if (!t)
        return l_fail(L, &err);
    int sel[MAX_SEL], n_sel = 0, ref[MAX_SEL], n_ref = 0;
    /* like the CLI: the dataset's own labels are the default reference; "none" = none */
    int against = lua_getfield(L, 2, "against");
    int none = against == LUA_TSTRING && strcmp(lua_tostring(L, -1), "none") == 0;
    lua_pop(L, 1);
    if (resolve_annots(L, 2, "annotators", t, sel, &n_sel, &err) != PS_OK ||
        (!none && resolve_annots(L, 2, "against", t, ref, &n_ref, &err) != PS_OK))
        return l_fail(L, &err);
    if (against == LUA_TNIL && (ref[0] = stats_table_find_annot(t, "dataset")) >= 0)
        n_ref = 1;
    o.annots = n_sel ? sel : NULL;
    o.n_annots = n_sel;
    o.ref = ref;
    o.n_ref = n_ref;
    struct stats_report r;
    stats_report_compute(t, &o, &r);
    struct strbuf sb = STRBUF_INIT;
    stats_report_json(&r, &sb);
    stats_report_free(&r);
    return push_json_sb(L, &sb);
}

/* ps.stats.rank(ds [, {annotators=, bootstrap=, seed=, level=, prior=, anchor="M=R",
 * elo_k=}]) -> the table of `prefscope rank --json` ("leaderboard") | nil, msg */
static int
l_rank(lua_State *L)
{
    static const char *const keys[] = {"annotators", "bootstrap", "seed",  "level",
                                       "prior",      "anchor",    "elo_k", NULL};
    opts_table(L, keys);
    struct stats_rank_opts o;
    stats_rank_opts_init(&o);
    lua_Integer b = l_opt_field_int(L, 2, "bootstrap", 1000);
    luaL_argcheck(L, b >= 0 && b <= 1000000, 2, "bootstrap must be in 0..1000000");
    o.bootstrap = (int)b;
    o.seed = (uint64_t)l_opt_field_int(L, 2, "seed", 1);
    o.level = l_opt_field_num(L, 2, "level", 0.95, NULL);
    o.prior = l_opt_field_num(L, 2, "prior", o.prior, NULL);
    o.elo_k = l_opt_field_num(L, 2, "elo_k", o.elo_k, NULL);
    luaL_argcheck(L, o.level > 0 && o.level < 1 && o.prior >= 0, 2,
                  "level must be in (0, 1), prior >= 0");
    const char *anchor = l_opt_field_str(L, 2, "anchor", NULL);
    struct ps_err err = {0};
    struct stats_table *t = load_table(L, 1, &err);
    if (!t)
        return l_fail(L, &err);
    int sel[MAX_SEL], n_sel = 0;
    if (resolve_annots(L, 2, "annotators", t, sel, &n_sel, &err) != PS_OK)
        return l_fail(L, &err);
    o.annots = n_sel ? sel : NULL;
    o.n_annots = n_sel;
    if (anchor) {
        const char *eq = strrchr(anchor, '=');
        size_t len = eq ? (size_t)(eq - anchor) : strlen(anchor);
        if (eq)
            o.anchor_rating = atof(eq + 1);
        for (int m = 0; m < t->n_models; m++)
            if (strlen(t->models[m]) == len && strncmp(t->models[m], anchor, len) == 0)
                o.anchor = m;
        if (o.anchor < 0) {
            ps_error(&err, PS_ERR_NOTFOUND, "anchor: no model '%.*s' in this dataset", (int)len,
                     anchor);
            return l_fail(L, &err);
        }
    }
    struct stats_rank r;
    stats_rank_compute(t, &o, &r);
    struct strbuf sb = STRBUF_INIT;
    stats_rank_json(&r, t, &o, &sb);
    stats_rank_free(&r);
    return push_json_sb(L, &sb);
}

static const luaL_Reg evalstats_funcs[] = {
    {"cohen_kappa", l_cohen},
    {"fleiss_kappa", l_fleiss},
    {"krippendorff_alpha", l_alpha},
    {"majority", l_majority},
    {"classify", l_classify},
    {"bt", l_bt},
    {"elo", l_elo},
    {"percentile_ci", l_percentile_ci},
    {"parse_verdict", l_parse_verdict},
    {"report", l_report},
    {"rank", l_rank},
    {NULL, NULL},
};

void
l_open_evalstats(lua_State *L)
{
    if (lua_getfield(L, -1, "stats") != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, -3, "stats");
    }
    luaL_setfuncs(L, evalstats_funcs, 0);
    lua_pop(L, 1);
}
