/* Workspaces, datasets and items: ps.open, ps.workspace and the ps.Workspace,
 * ps.Dataset and ps.Item handles.
 *
 * Handles are full userdata with checked metatables.  A Dataset or Item keeps its
 * Workspace alive through a user value, so the store pointer is valid as long as
 * the workspace is open; after ws:close() (or ds:delete(), or when the row is gone)
 * every use raises "stale handle".  Items cache their loaded row in the userdata
 * (freed by the shared __gc/__close function), so building Lua tables from it never
 * leaks on an error.  Records (responses, judgments, ratings, notes) are plain
 * tables: snapshots, not handles. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/record.h"
#include "core/xalloc.h"
#include "formats/export.h"
#include "formats/import.h"
#include "lua/l_internal.h"
#include "store/annotate.h"
#include "store/browse.h"
#include "store/join.h"
#include "store/script.h"
#include "store/store.h"

#define CURRENT_WS_KEY "ps.current_workspace"
#define PAGE 64

struct lws {
    struct store *st;
    int owned; /* opened by Lua: closed by ws:close() or the collector */
    int closed;
    int64_t *dirty; /* datasets whose cached counts need a refresh */
    int n_dirty, cap_dirty;
};

struct lds {
    int64_t id;
    int dead; /* deleted through this handle */
};

struct litem {
    int64_t id;
    int loaded; /* 0 nothing, ITEM_ROW the item's row, ITEM_FULL with children */
    struct store_item it;
};

enum { ITEM_ROW = 1, ITEM_FULL = 2 };

struct lcursor {
    int64_t ds_id;
    struct store_item_filter f;
    int64_t last_seq;
    int64_t ids[PAGE], seqs[PAGE];
    int n, pos, done;
    lua_Integer remaining; /* -1 = no limit */
};

/* ---- workspace ---- */

static void
ws_mark_dirty(struct lws *w, int64_t ds)
{
    for (int i = 0; i < w->n_dirty; i++)
        if (w->dirty[i] == ds)
            return;
    w->dirty = xgrow(w->dirty, sizeof *w->dirty, w->n_dirty, &w->cap_dirty, 8);
    w->dirty[w->n_dirty++] = ds;
}

/* Refresh the cached counts of touched datasets (outside transactions only: inside
 * one, the commit does it). */
static void
ws_flush(struct lws *w)
{
    if (w->closed || !w->st || store_in_transaction(w->st))
        return;
    struct ps_err err = {0};
    for (int i = 0; i < w->n_dirty; i++)
        store_dataset_refresh_counts(w->st, w->dirty[i], &err);
    w->n_dirty = 0;
}

static void
ws_close(struct lws *w)
{
    if (w->closed)
        return;
    ws_flush(w);
    if (w->owned && w->st) {
        store_rollback(w->st);
        store_close(w->st);
    }
    w->st = NULL;
    w->closed = 1;
    free(w->dirty);
    w->dirty = NULL;
    w->n_dirty = w->cap_dirty = 0;
}

static struct lws *
push_ws(lua_State *L, struct store *st, int owned)
{
    struct lws *w = lua_newuserdatauv(L, sizeof *w, 0);
    memset(w, 0, sizeof *w);
    w->st = st;
    w->owned = owned;
    luaL_setmetatable(L, LWS_MT);
    return w;
}

static struct lws *
check_ws(lua_State *L, int idx)
{
    struct lws *w = luaL_checkudata(L, idx, LWS_MT);
    if (w->closed)
        luaL_error(L, "stale handle: the workspace is closed");
    return w;
}

/* Push the current workspace, opening it on first use; on failure push nothing and
 * fill err. */
static struct lws *
current_ws(lua_State *L, struct ps_err *err)
{
    struct ps_lua *pl = l_engine(L);
    if (lua_getfield(L, LUA_REGISTRYINDEX, CURRENT_WS_KEY) == LUA_TUSERDATA) {
        struct lws *w = lua_touserdata(L, -1);
        if (!w->closed)
            return w;
    }
    lua_pop(L, 1);
    struct lws *w = push_ws(L, NULL, 0);
    if (pl->borrowed_store) {
        w->st = pl->borrowed_store;
    } else {
        if (store_open(&w->st, pl->workspace_path, err) != PS_OK) {
            w->st = NULL;
            w->closed = 1;
            lua_pop(L, 1);
            return NULL;
        }
        w->owned = 1;
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, CURRENT_WS_KEY);
    return w;
}

struct store *
l_current_store(lua_State *L, struct ps_err *err)
{
    struct lws *w = current_ws(L, err);
    if (!w)
        return NULL;
    lua_pop(L, 1); /* anchored in the registry */
    return w->st;
}

/* ps.open(path) -> Workspace | nil, msg */
static int
l_open(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    struct ps_err err = {0};
    struct lws *w = push_ws(L, NULL, 1);
    if (store_open(&w->st, path, &err) != PS_OK) {
        w->st = NULL;
        w->closed = 1;
        return l_fail(L, &err);
    }
    return 1;
}

/* ps.workspace() -> the current Workspace | nil, msg */
static int
l_workspace(lua_State *L)
{
    struct ps_err err = {0};
    if (!current_ws(L, &err))
        return l_fail(L, &err);
    return 1;
}

/* ps.use(ws_or_path) -> Workspace | nil, msg: make it the current workspace (the one
 * ps.datasets(), ps.dataset(), ... and ps.ui.current() use). */
static int
l_use(lua_State *L)
{
    if (lua_type(L, 1) == LUA_TSTRING) {
        lua_settop(L, 1);
        if (l_open(L) == 2)
            return 2;
        lua_replace(L, 1);
    }
    check_ws(L, 1);
    lua_settop(L, 1);
    lua_pushvalue(L, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, CURRENT_WS_KEY);
    return 1;
}

static int
ws_gc(lua_State *L)
{
    struct lws *w = luaL_checkudata(L, 1, LWS_MT);
    ws_close(w);
    return 0;
}

/* ws:close() */
static int
ws_close_m(lua_State *L)
{
    struct lws *w = luaL_checkudata(L, 1, LWS_MT);
    ws_close(w);
    return 0;
}

static int
ws_tostring(lua_State *L)
{
    struct lws *w = luaL_checkudata(L, 1, LWS_MT);
    if (w->closed)
        lua_pushliteral(L, "ps.Workspace(closed)");
    else
        lua_pushfstring(L, "ps.Workspace(%s)", store_path(w->st));
    return 1;
}

/* ---- datasets ---- */

static void
push_ds(lua_State *L, int ws_idx, int64_t id)
{
    ws_idx = lua_absindex(L, ws_idx);
    struct lds *d = lua_newuserdatauv(L, sizeof *d, 1);
    d->id = id;
    d->dead = 0;
    luaL_setmetatable(L, LDS_MT);
    lua_pushvalue(L, ws_idx);
    lua_setiuservalue(L, -2, 1);
}

/* Check a Dataset argument; returns it with its workspace's store in *st. */
static struct lds *
check_ds(lua_State *L, int idx, struct lws **wout)
{
    struct lds *d = luaL_checkudata(L, idx, LDS_MT);
    if (d->dead)
        luaL_error(L, "stale handle: dataset %d was deleted", (int)d->id);
    lua_getiuservalue(L, idx, 1);
    struct lws *w = lua_touserdata(L, -1);
    lua_pop(L, 1); /* still referenced by the dataset */
    if (!w || w->closed)
        luaL_error(L, "stale handle: the dataset's workspace is closed");
    if (wout)
        *wout = w;
    return d;
}

struct store *
l_check_dataset(lua_State *L, int idx, int64_t *id)
{
    struct lws *w;
    struct lds *d = check_ds(L, idx, &w);
    *id = d->id;
    return w->st;
}

static void
push_ds_info(lua_State *L, const struct store_dataset *d)
{
    lua_createtable(L, 0, 12);
    lua_pushinteger(L, d->id);
    lua_setfield(L, -2, "id");
    lua_pushstring(L, d->name);
    lua_setfield(L, -2, "name");
    lua_pushstring(L, d->source);
    lua_setfield(L, -2, "source");
    lua_pushstring(L, d->format);
    lua_setfield(L, -2, "format");
    lua_pushstring(L, d->imported_at);
    lua_setfield(L, -2, "imported_at");
    lua_pushinteger(L, d->n_items);
    lua_setfield(L, -2, "items");
    lua_pushinteger(L, d->n_responses);
    lua_setfield(L, -2, "responses");
    lua_pushinteger(L, d->n_judgments);
    lua_setfield(L, -2, "judgments");
    lua_pushinteger(L, d->n_ratings);
    lua_setfield(L, -2, "ratings");
    lua_pushinteger(L, d->n_feedback);
    lua_setfield(L, -2, "feedback");
    lua_newtable(L);
    int n = 0;
    for (const char *a = d->annotators ? d->annotators : ""; *a;) {
        const char *c = strchr(a, ',');
        size_t len = c ? (size_t)(c - a) : strlen(a);
        lua_pushlstring(L, a, len);
        lua_rawseti(L, -2, ++n);
        a += len + (c ? 1 : 0);
    }
    lua_setfield(L, -2, "annotators");
}

static void
ds_info_free(void *p)
{
    store_dataset_free(p);
    free(p);
}

/* Push the info table of dataset id, or return 0 with err set. */
static int
ds_info_push(lua_State *L, struct lws *w, int64_t id, struct ps_err *err)
{
    ws_flush(w);
    void **slot = l_anchor(L, ds_info_free);
    struct store_dataset *d = xcalloc(1, sizeof *d);
    *slot = d;
    if (store_dataset_get(w->st, id, d, err) != PS_OK) {
        lua_pop(L, 1);
        return 0;
    }
    push_ds_info(L, d);
    l_anchor_release(L, -2);
    lua_remove(L, -2);
    return 1;
}

/* ws:datasets() -> list of Dataset */
static int
ws_datasets(lua_State *L)
{
    struct lws *w = check_ws(L, 1);
    struct ps_err err = {0};
    ws_flush(w);
    struct store_dataset *list = NULL;
    int n = 0;
    if (store_dataset_list(w->st, &list, &n, &err) != PS_OK)
        return l_fail(L, &err);
    /* Copy the ids first: pushing may raise, and the list is C memory. */
    int64_t small[64], *ids = n <= 64 ? small : NULL;
    void **slot = NULL;
    if (!ids) {
        slot = l_anchor(L, free);
        ids = xcalloc((size_t)n, sizeof *ids);
        *slot = ids;
    }
    for (int i = 0; i < n; i++)
        ids[i] = list[i].id;
    store_dataset_list_free(list, n);
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        push_ds(L, 1, ids[i]);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

/* ws:dataset(name) -> Dataset | nil, msg */
static int
ws_dataset(lua_State *L)
{
    struct lws *w = check_ws(L, 1);
    const char *name = luaL_checkstring(L, 2);
    struct ps_err err = {0};
    int64_t id;
    if (store_dataset_find(w->st, name, &id, &err) != PS_OK)
        return l_fail(L, &err);
    push_ds(L, 1, id);
    return 1;
}

static const char *json_field(lua_State *L, int idx, const char *key);

/* ws:create_dataset(name [, {source=, format=, meta=}]) -> Dataset | nil, msg
 * meta (a table or JSON text) is the dataset's provenance, e.g. a recipe's parameters. */
static int
ws_create_dataset(lua_State *L)
{
    static const char *const keys[] = {"source", "format", "meta", NULL};
    struct lws *w = check_ws(L, 1);
    const char *name = luaL_checkstring(L, 2);
    const char *source = NULL, *format = "lua", *meta = NULL;
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        l_check_keys(L, 3, keys);
        source = l_opt_field_str(L, 3, "source", NULL);
        format = l_opt_field_str(L, 3, "format", format);
        meta = json_field(L, 3, "meta"); /* stays on the stack until we return */
    }
    luaL_argcheck(L, *name, 2, "dataset name must not be empty");
    struct ps_err err = {0};
    int64_t id;
    if (store_dataset_create(w->st, name, source, format, &id, &err) != PS_OK)
        return l_fail(L, &err);
    if (meta && store_dataset_set_meta(w->st, id, meta, &err) != PS_OK)
        return l_fail(L, &err);
    push_ds(L, 1, id);
    return 1;
}

/* ws:item(id) -> Item | nil, msg  (by the item's database id) */
static void push_item(lua_State *L, int ws_idx, int64_t id);

static int
ws_item(lua_State *L)
{
    struct lws *w = check_ws(L, 1);
    lua_Integer id = luaL_checkinteger(L, 2);
    struct ps_err err = {0};
    int64_t ds;
    if (store_item_dataset(w->st, id, &ds, &err) != PS_OK)
        return l_fail(L, &err);
    push_item(L, 1, id);
    return 1;
}

/* Files argument: a string or a list of strings; pushes nothing, fills a C array
 * anchored on the stack (one value pushed). */
static char **
check_files(lua_State *L, int idx, int *n)
{
    void **slot = l_anchor(L, free);
    if (lua_type(L, idx) == LUA_TSTRING) {
        char **v = xcalloc(1, sizeof *v);
        *slot = v;
        v[0] = (char *)lua_tostring(L, idx);
        *n = 1;
        return v;
    }
    luaL_argexpected(L, lua_istable(L, idx), idx, "file name or list of file names");
    int len = (int)lua_rawlen(L, idx);
    luaL_argcheck(L, len > 0, idx, "no files given");
    char **v = xcalloc((size_t)len, sizeof *v);
    *slot = v;
    for (int i = 1; i <= len; i++) {
        if (lua_rawgeti(L, idx, i) != LUA_TSTRING)
            luaL_argerror(L, idx, "file names must be strings");
        v[i - 1] = (char *)lua_tostring(L, -1); /* anchored by the table */
        lua_pop(L, 1);
    }
    *n = len;
    return v;
}

/* ws:import(files [, {name=, format=, map=, replace=, append=}]) -> Dataset, summary | nil, msg */
static int
ws_import(lua_State *L)
{
    static const char *const keys[] = {"name", "format", "map", "replace", "append", NULL};
    struct lws *w = check_ws(L, 1);
    struct import_opts o;
    memset(&o, 0, sizeof o);
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        l_check_keys(L, 3, keys);
        o.name = l_opt_field_str(L, 3, "name", NULL);
        o.format = l_opt_field_str(L, 3, "format", NULL);
        o.map = l_opt_field_str(L, 3, "map", NULL);
        o.replace = l_opt_field_bool(L, 3, "replace", 0);
        o.append = l_opt_field_bool(L, 3, "append", 0);
    }
    int n;
    char **files = check_files(L, 2, &n);
    struct ps_err err = {0};
    if (store_in_transaction(w->st)) {
        ps_error(&err, PS_ERR_USAGE, "import cannot run inside ws:transaction()");
        return l_fail(L, &err);
    }
    FILE *devnull = fopen("/dev/null", "w");
    o.out = devnull;
    struct import_result res;
    memset(&res, 0, sizeof res);
    int rc = import_files(w->st, files, n, &o, &res, &err);
    if (devnull)
        fclose(devnull);
    if (rc != PS_OK)
        return l_fail(L, &err);
    int64_t id;
    if (store_dataset_find(w->st, res.name, &id, &err) != PS_OK)
        return l_fail(L, &err);
    push_ds(L, 1, id);
    lua_createtable(L, 0, 6);
    lua_pushstring(L, res.name);
    lua_setfield(L, -2, "name");
    lua_pushinteger(L, res.records);
    lua_setfield(L, -2, "records");
    lua_pushinteger(L, res.feedback);
    lua_setfield(L, -2, "feedback");
    lua_pushinteger(L, res.skipped);
    lua_setfield(L, -2, "skipped");
    lua_pushinteger(L, res.repaired);
    lua_setfield(L, -2, "repaired");
    lua_pushstring(L, res.formats);
    lua_setfield(L, -2, "formats");
    return 2;
}

static int
tx_finish(lua_State *L, int status, lua_KContext ctx)
{
    (void)ctx;
    struct ps_lua *pl = l_engine(L);
    if (pl->current && pl->current->co == L && pl->current->in_tx > 0)
        pl->current->in_tx--;
    struct lws *w = luaL_checkudata(L, 1, LWS_MT);
    if (w->closed)
        return luaL_error(L, "stale handle: the workspace was closed inside its transaction");
    if (status == LUA_OK || status == LUA_YIELD) {
        struct ps_err err = {0};
        if (store_commit(w->st, &err) != PS_OK) {
            store_rollback(w->st);
            return l_raise_err(L, &err);
        }
        ws_flush(w);
        return lua_gettop(L) - 1;
    }
    store_rollback(w->st);
    w->n_dirty = 0; /* nothing changed after all */
    return lua_error(L);
}

/* ws:transaction(fn, ...) -> fn's results.  Everything fn writes is committed at
 * once, or rolled back when fn raises (the error is re-raised). */
static int
ws_transaction(lua_State *L)
{
    struct lws *w = check_ws(L, 1);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    if (store_in_transaction(w->st))
        return luaL_error(L, "transactions do not nest (a transaction is already open)");
    struct ps_err err = {0};
    ws_flush(w);
    if (store_begin(w->st, &err) != PS_OK)
        return l_raise_err(L, &err);
    int nargs = lua_gettop(L) - 2;
    struct ps_lua *pl = l_engine(L);
    if (pl->current && pl->current->co == L)
        pl->current->in_tx++;
    return tx_finish(L, lua_pcallk(L, nargs, LUA_MULTRET, 0, 0, tx_finish), 0);
}

/* ---- dataset methods ---- */

static int ds_index(lua_State *L);

/* ds:info() -> {id, name, source, format, imported_at, items, responses, judgments,
 * ratings, feedback, annotators} | nil, msg */
static int
ds_info(lua_State *L)
{
    struct lws *w;
    struct lds *d = check_ds(L, 1, &w);
    struct ps_err err = {0};
    if (!ds_info_push(L, w, d->id, &err))
        return l_fail(L, &err);
    return 1;
}

static void
check_filter(lua_State *L, int idx, struct store_item_filter *f, int64_t *from, lua_Integer *limit)
{
    static const char *const keys[] = {"label",    "annotator", "tag",   "model", "search",
                                       "disagree", "from",      "limit", NULL};
    memset(f, 0, sizeof *f);
    *from = -1;
    *limit = -1;
    if (lua_isnoneornil(L, idx))
        return;
    luaL_checktype(L, idx, LUA_TTABLE);
    l_check_keys(L, idx, keys);
    f->label = l_opt_field_str(L, idx, "label", NULL);
    f->annotator = l_opt_field_str(L, idx, "annotator", NULL);
    f->tag = l_opt_field_str(L, idx, "tag", NULL);
    f->model = l_opt_field_str(L, idx, "model", NULL);
    f->search = l_opt_field_str(L, idx, "search", NULL);
    f->disagree = l_opt_field_bool(L, idx, "disagree", 0);
    /* `from` is an item number (1-based, as it.seq); the cursor starts after from - 1,
     * i.e. after the stored position from - 2 */
    *from = l_opt_field_int(L, idx, "from", 1) - 2;
    *limit = l_opt_field_int(L, idx, "limit", -1);
    struct ps_err err = {0};
    if (store_filter_check(f, &err) != PS_OK)
        luaL_argerror(L, idx, err.msg);
}

static struct lcursor *
check_cursor(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, LCURSOR_MT);
}

/* The iterator function of ds:items(): upvalue 1 is the cursor. */
static int
cursor_next(lua_State *L)
{
    struct lcursor *c = check_cursor(L, lua_upvalueindex(1));
    if (c->done)
        return 0;
    lua_getiuservalue(L, lua_upvalueindex(1), 1); /* ws */
    struct lws *w = lua_touserdata(L, -1);
    if (!w || w->closed)
        return luaL_error(L, "stale handle: the workspace was closed during iteration");
    if (c->remaining == 0) {
        c->done = 1;
        return 0;
    }
    if (c->pos == c->n) {
        struct ps_err err = {0};
        if (store_item_page(w->st, c->ds_id, &c->f, c->last_seq, PAGE, c->ids, c->seqs, &c->n,
                            &err) != PS_OK)
            return l_raise_err(L, &err);
        c->pos = 0;
        if (c->n == 0) {
            c->done = 1;
            return 0;
        }
        c->last_seq = c->seqs[c->n - 1];
    }
    int64_t id = c->ids[c->pos++];
    if (c->remaining > 0)
        c->remaining--;
    push_item(L, -1, id);
    return 1;
}

/* ds:items([filter]) -> iterator over Items in seq order, fetched lazily in pages.
 * filter: {label=, annotator=, tag=, model=, search=, disagree=, from=, limit=} */
static int
ds_items(lua_State *L)
{
    struct lws *w;
    struct lds *d = check_ds(L, 1, &w);
    struct store_item_filter f;
    int64_t from;
    lua_Integer limit;
    check_filter(L, 2, &f, &from, &limit);
    (void)w;
    struct lcursor *c = lua_newuserdatauv(L, sizeof *c, 2);
    memset(c, 0, sizeof *c);
    c->ds_id = d->id;
    c->f = f;
    c->last_seq = from;
    c->remaining = limit;
    luaL_setmetatable(L, LCURSOR_MT);
    lua_getiuservalue(L, 1, 1);
    lua_setiuservalue(L, -2, 1); /* the workspace */
    if (lua_istable(L, 2)) {
        lua_pushvalue(L, 2);
        lua_setiuservalue(L, -2, 2); /* keeps the filter strings alive */
    }
    lua_pushcclosure(L, cursor_next, 1);
    return 1;
}

/* ds:count([filter]) -> integer */
static int
ds_count(lua_State *L)
{
    struct lws *w;
    struct lds *d = check_ds(L, 1, &w);
    struct store_item_filter f;
    int64_t from;
    lua_Integer limit;
    check_filter(L, 2, &f, &from, &limit);
    struct ps_err err = {0};
    int64_t n;
    if (store_item_count(w->st, d->id, &f, &n, &err) != PS_OK)
        return l_raise_err(L, &err);
    lua_pushinteger(L, n);
    return 1;
}

static int
ds_len(lua_State *L)
{
    struct lws *w;
    struct lds *d = check_ds(L, 1, &w);
    struct ps_err err = {0};
    int64_t n;
    if (store_item_count(w->st, d->id, NULL, &n, &err) != PS_OK)
        return l_raise_err(L, &err);
    lua_pushinteger(L, n);
    return 1;
}

/* ds:item(seq) -> Item | nil, msg  (seq: the item number, 1-based, as the TUI and
 * `prefscope show` count; the stored position is seq - 1) */
static int
ds_item(lua_State *L)
{
    struct lws *w;
    struct lds *d = check_ds(L, 1, &w);
    lua_Integer seq = luaL_checkinteger(L, 2);
    struct ps_err err = {0};
    struct store_item_filter f;
    memset(&f, 0, sizeof f);
    int64_t id, s;
    int n;
    if (store_item_page(w->st, d->id, &f, seq - 2, 1, &id, &s, &n, &err) != PS_OK)
        return l_raise_err(L, &err);
    if (n == 0 || s != seq - 1) {
        ps_error(&err, PS_ERR_NOTFOUND, "no item %lld (items are numbered from 1)", (long long)seq);
        return l_fail(L, &err);
    }
    lua_getiuservalue(L, 1, 1);
    push_item(L, -1, id);
    return 1;
}

/* ds:find(key) -> Item | nil, msg */
static int
ds_find(lua_State *L)
{
    struct lws *w;
    struct lds *d = check_ds(L, 1, &w);
    const char *key = luaL_checkstring(L, 2);
    struct ps_err err = {0};
    int64_t id;
    if (store_item_find_key(w->st, d->id, key, &id, &err) != PS_OK) {
        ps_error(&err, err.code, "no item with key '%s'", key);
        return l_fail(L, &err);
    }
    lua_getiuservalue(L, 1, 1);
    push_item(L, -1, id);
    return 1;
}

static const char *
check_verdict(lua_State *L, const char *v, int idx)
{
    static const char *const ok[] = {"A", "B", "tie", "invalid", NULL};
    for (int i = 0; ok[i]; i++)
        if (strcmp(v, ok[i]) == 0)
            return ok[i];
    luaL_argerror(L, idx,
                  lua_pushfstring(L, "unknown verdict '%s' (expected A, B, tie or invalid)", v));
    return NULL;
}

static double
verdict_p(const char *v, int *has_p)
{
    *has_p = 1;
    if (strcmp(v, "A") == 0)
        return 1.0;
    if (strcmp(v, "B") == 0)
        return 0.0;
    if (strcmp(v, "tie") == 0)
        return 0.5;
    *has_p = 0;
    return 0;
}

/* Read one judgment table {a=, b=, verdict=, p_a=, annotator=, rationale=} at idx. */
static void
read_judgment(lua_State *L, int idx, int n_resp, struct ps_rec_judgment *j)
{
    static const char *const keys[] = {"a",         "b",         "verdict", "p_a",
                                       "annotator", "rationale", "meta",    NULL};
    idx = lua_absindex(L, idx);
    luaL_checktype(L, idx, LUA_TTABLE);
    l_check_keys(L, idx, keys);
    memset(j, 0, sizeof *j);
    j->a = (int)l_opt_field_int(L, idx, "a", 1) - 1;
    j->b = (int)l_opt_field_int(L, idx, "b", 2) - 1;
    if (n_resp >= 0 && (j->a < 0 || j->a >= n_resp || j->b < 0 || j->b >= n_resp || j->a == j->b))
        luaL_error(L, "judgment: a and b must be two different responses in 1..%d", n_resp);
    int has_p_field;
    double p = l_opt_field_num(L, idx, "p_a", 0, &has_p_field);
    const char *v = l_opt_field_str(L, idx, "verdict", NULL);
    if (v) {
        j->verdict = check_verdict(L, v, idx);
        j->p_a = verdict_p(j->verdict, &j->has_p);
        if (has_p_field) {
            j->p_a = p;
            j->has_p = 1;
        }
    } else if (has_p_field) {
        if (p < 0 || p > 1)
            luaL_error(L, "judgment: p_a must be in [0, 1]");
        j->p_a = p;
        j->has_p = 1;
        j->verdict = ps_verdict_from_p(p);
    } else {
        luaL_error(L, "judgment: give a verdict (A, B, tie, invalid) or p_a");
    }
    j->annotator = l_opt_field_str(L, idx, "annotator", NULL);
    if (!j->annotator)
        j->annotator = l_default_annotator(L);
    j->rationale = l_opt_field_str(L, idx, "rationale", NULL);
    j->weight = 1.0;
    /* meta: a table is stored back as its JSON text so the string lives as long as
     * the judgment table (the caller's stack stays balanced) */
    const char *meta = json_field(L, idx, "meta");
    if (meta) {
        lua_setfield(L, idx, "meta");
        lua_getfield(L, idx, "meta");
        j->meta_json = lua_tostring(L, -1);
    }
    lua_pop(L, 1);
}

/* A JSON text for a field that may be a table or already a string; the result is
 * kept alive on the stack (one value pushed, possibly nil). */
static const char *
json_field(lua_State *L, int idx, const char *key)
{
    int t = lua_getfield(L, idx, key);
    if (t == LUA_TNIL)
        return NULL;
    if (t == LUA_TSTRING)
        return lua_tostring(L, -1);
    if (t != LUA_TTABLE)
        luaL_error(L, "'%s' must be a table or a JSON string", key);
    l_json_encode(L, -1);
    lua_remove(L, -2);
    return lua_tostring(L, -1);
}

/* ds:add_item{prompt=, system=, history=, responses=, judgments=, ratings=, tags=,
 *             key=, ext_id=, meta=} -> Item | nil, msg */
static int
ds_add_item(lua_State *L)
{
    static const char *const keys[] = {"prompt",    "system",  "history", "responses",
                                       "judgments", "ratings", "tags",    "key",
                                       "ext_id",    "meta",    NULL};
    struct lws *w;
    struct lds *d = check_ds(L, 1, &w);
    luaL_checktype(L, 2, LUA_TTABLE);
    l_check_keys(L, 2, keys);
    lua_settop(L, 2);
    /* A record is ~14 KB: keep it off the C stack of deep coroutine calls. */
    void **slot = l_anchor(L, free); /* 3 */
    struct ps_record *rec = xcalloc(1, sizeof *rec);
    *slot = rec;
    rec->prompt = l_opt_field_str(L, 2, "prompt", NULL);
    rec->system = l_opt_field_str(L, 2, "system", NULL);
    rec->key = l_opt_field_str(L, 2, "key", NULL);
    rec->ext_id = l_opt_field_str(L, 2, "ext_id", NULL);
    rec->history_json = json_field(L, 2, "history");   /* 4 */
    rec->meta_json = json_field(L, 2, "meta");         /* 5 */
    if (lua_getfield(L, 2, "responses") != LUA_TTABLE) /* 6 */
        return luaL_error(
            L, "add_item: 'responses' must be a list of strings or {text=, model=} tables");
    int nr = (int)lua_rawlen(L, 6);
    if (nr < 1 || nr > PS_REC_MAX_RESP)
        return luaL_error(L, "add_item: give 1 to %d responses", PS_REC_MAX_RESP);
    for (int i = 1; i <= nr; i++) {
        int t = lua_rawgeti(L, 6, i);
        struct ps_rec_response *r = &rec->resp[i - 1];
        if (t == LUA_TSTRING) {
            r->text = lua_tostring(L, -1);
        } else if (t == LUA_TTABLE) {
            static const char *const rkeys[] = {"text", "model", "meta", NULL};
            l_check_keys(L, -1, rkeys);
            r->text = l_opt_field_str(L, -1, "text", NULL);
            r->model = l_opt_field_str(L, -1, "model", NULL);
            if (lua_getfield(L, -1, "meta") == LUA_TTABLE) {
                l_json_encode(L, -1);
                lua_remove(L, -2);
                lua_setfield(L, -2, "meta"); /* keep the text alive in the response table */
                lua_getfield(L, -1, "meta");
            }
            r->meta_json = lua_tostring(L, -1);
            lua_pop(L, 1);
        } else {
            return luaL_error(L, "add_item: response %d must be a string or a table", i);
        }
        lua_pop(L, 1);
    }
    rec->n_resp = nr;
    if (lua_getfield(L, 2, "judgments") == LUA_TTABLE) { /* 7 */
        int nj = (int)lua_rawlen(L, 7);
        if (nj > PS_REC_MAX_JUDG)
            return luaL_error(L, "add_item: at most %d judgments", PS_REC_MAX_JUDG);
        for (int i = 1; i <= nj; i++) {
            lua_rawgeti(L, 7, i);
            read_judgment(L, -1, nr, &rec->judg[i - 1]);
            lua_pop(L, 1);
        }
        rec->n_judg = nj;
    }
    if (lua_getfield(L, 2, "ratings") == LUA_TTABLE) { /* 8 */
        int nx = (int)lua_rawlen(L, 8);
        if (nx > PS_REC_MAX_RATING)
            return luaL_error(L, "add_item: at most %d ratings", PS_REC_MAX_RATING);
        for (int i = 1; i <= nx; i++) {
            static const char *const xkeys[] = {"response", "aspect", "value", "annotator", NULL};
            lua_rawgeti(L, 8, i);
            luaL_checktype(L, -1, LUA_TTABLE);
            l_check_keys(L, -1, xkeys);
            struct ps_rec_rating *x = &rec->rating[i - 1];
            x->resp = (int)l_opt_field_int(L, -1, "response", 1) - 1;
            if (x->resp < 0 || x->resp >= nr)
                return luaL_error(L, "add_item: rating %d refers to response %d of %d", i,
                                  x->resp + 1, nr);
            x->aspect = l_opt_field_str(L, -1, "aspect", "score");
            int present;
            x->value = l_opt_field_num(L, -1, "value", 0, &present);
            if (!present)
                return luaL_error(L, "add_item: rating %d has no value", i);
            x->annotator = l_opt_field_str(L, -1, "annotator", NULL);
            if (!x->annotator)
                x->annotator = l_default_annotator(L);
            lua_pop(L, 1);
        }
        rec->n_rating = nx;
    }
    if (lua_getfield(L, 2, "tags") == LUA_TTABLE) { /* 9 */
        int nt = (int)lua_rawlen(L, 9);
        if (nt > PS_REC_MAX_TAGS)
            return luaL_error(L, "add_item: at most %d tags", PS_REC_MAX_TAGS);
        for (int i = 1; i <= nt; i++) {
            if (lua_rawgeti(L, 9, i) != LUA_TSTRING)
                return luaL_error(L, "add_item: tags must be strings");
            rec->tags[rec->n_tags++] = lua_tostring(L, -1);
            lua_pop(L, 1);
        }
    }
    struct ps_err err = {0};
    int64_t id;
    if (store_put_record(w->st, d->id, rec, &err) != PS_OK)
        return l_fail(L, &err);
    ws_mark_dirty(w, d->id);
    int found = rec->key ? store_item_find_key(w->st, d->id, rec->key, &id, &err)
                         : store_item_last(w->st, d->id, &id, &err);
    if (found != PS_OK)
        return l_fail(L, &err);
    lua_getiuservalue(L, 1, 1);
    push_item(L, -1, id);
    return 1;
}

/* ds:delete(): remove the dataset and everything in it; the handle becomes stale. */
static int
ds_delete(lua_State *L)
{
    struct lws *w;
    struct lds *d = check_ds(L, 1, &w);
    struct ps_err err = {0};
    if (store_dataset_delete(w->st, d->id, &err) != PS_OK)
        return l_fail(L, &err);
    d->dead = 1;
    lua_pushboolean(L, 1);
    return 1;
}

/* ds:export(path [, {format=, annotator=}]) -> summary | nil, msg ("-" = stdout) */
static int
ds_export(lua_State *L)
{
    static const char *const keys[] = {"format", "annotator", NULL};
    struct lws *w;
    struct lds *d = check_ds(L, 1, &w);
    const char *path = luaL_checkstring(L, 2);
    struct export_opts o = {"jsonl", NULL};
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        l_check_keys(L, 3, keys);
        o.format = l_opt_field_str(L, 3, "format", "jsonl");
        o.annotator = l_opt_field_str(L, 3, "annotator", NULL);
    }
    struct ps_err err = {0};
    struct export_result res;
    memset(&res, 0, sizeof res);
    int to_stdout = strcmp(path, "-") == 0;
    FILE *f = to_stdout ? stdout : fopen(path, "w");
    if (!f) {
        ps_error(&err, PS_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
        return l_fail(L, &err);
    }
    ws_flush(w);
    int rc = export_dataset(w->st, d->id, &o, f, &res, &err);
    if (to_stdout)
        fflush(f);
    else if (fclose(f) != 0 && rc == PS_OK)
        rc = ps_error(&err, PS_ERR_IO, "%s: write failed", path);
    if (rc != PS_OK)
        return l_fail(L, &err);
    lua_createtable(L, 0, 5);
    lua_pushinteger(L, res.items);
    lua_setfield(L, -2, "items");
    lua_pushinteger(L, res.rows);
    lua_setfield(L, -2, "rows");
    lua_pushinteger(L, res.ties + res.invalid);
    lua_setfield(L, -2, "skipped_ties");
    lua_pushinteger(L, res.unlabeled);
    lua_setfield(L, -2, "skipped_unlabeled");
    lua_pushstring(L, res.annotator);
    lua_setfield(L, -2, "annotator");
    return 1;
}

static int
ds_tostring(lua_State *L)
{
    struct lds *d = luaL_checkudata(L, 1, LDS_MT);
    lua_pushfstring(L, "ps.Dataset(%d)", (int)d->id);
    return 1;
}

static int
ds_eq(lua_State *L)
{
    struct lds *a = luaL_checkudata(L, 1, LDS_MT), *b = luaL_checkudata(L, 2, LDS_MT);
    lua_getiuservalue(L, 1, 1);
    lua_getiuservalue(L, 2, 1);
    lua_pushboolean(L, a->id == b->id && lua_rawequal(L, -1, -2));
    return 1;
}

/* ---- items ---- */

static void
push_item(lua_State *L, int ws_idx, int64_t id)
{
    ws_idx = lua_absindex(L, ws_idx);
    struct litem *li = lua_newuserdatauv(L, sizeof *li, 1);
    memset(li, 0, sizeof *li);
    li->id = id;
    luaL_setmetatable(L, LITEM_MT);
    lua_pushvalue(L, ws_idx);
    lua_setiuservalue(L, -2, 1);
}

int
l_push_item_current(lua_State *L, int64_t item_id)
{
    struct ps_err err = {0};
    if (!current_ws(L, &err))
        return l_fail(L, &err);
    push_item(L, -1, item_id);
    lua_remove(L, -2);
    return 1;
}

static struct litem *
check_item(lua_State *L, int idx, struct lws **wout)
{
    struct litem *li = luaL_checkudata(L, idx, LITEM_MT);
    lua_getiuservalue(L, idx, 1);
    struct lws *w = lua_touserdata(L, -1);
    lua_pop(L, 1);
    if (!w || w->closed)
        luaL_error(L, "stale handle: the item's workspace is closed");
    if (wout)
        *wout = w;
    return li;
}

static void
item_unload(struct litem *li)
{
    if (li->loaded)
        store_item_free(&li->it);
    li->loaded = 0;
}

/* Load the item (cached) at least to `level`: ITEM_ROW reads only the item's own
 * row (prompt, system, ...; one indexed lookup), ITEM_FULL also its responses,
 * judgments, ratings and tags.  Raises "stale handle" when the item is gone. */
static struct litem *
load_item_level(lua_State *L, int idx, int level, struct lws **wout)
{
    struct lws *w;
    struct litem *li = check_item(L, idx, &w);
    if (li->loaded < level) {
        struct ps_err err = {0};
        item_unload(li);
        int rc = level == ITEM_ROW ? store_item_get_row(w->st, li->id, &li->it, &err)
                                   : store_item_get_by_id(w->st, li->id, &li->it, &err);
        if (rc == PS_ERR_NOTFOUND)
            luaL_error(L, "stale handle: item %d no longer exists", (int)li->id);
        if (rc != PS_OK)
            l_raise_err(L, &err);
        li->loaded = level;
    }
    if (wout)
        *wout = w;
    return li;
}

static struct litem *
load_item(lua_State *L, int idx, struct lws **wout)
{
    return load_item_level(L, idx, ITEM_FULL, wout);
}

static int
item_gc(lua_State *L)
{
    struct litem *li = luaL_checkudata(L, 1, LITEM_MT);
    item_unload(li);
    return 0;
}

static void
setfield_str(lua_State *L, const char *k, const char *v)
{
    if (!v)
        return;
    lua_pushstring(L, v);
    lua_setfield(L, -2, k);
}

/* Push decoded JSON text, or nil when absent; malformed text is pushed as a string. */
static void
push_json_or_nil(lua_State *L, const char *s)
{
    struct ps_err err = {0};
    if (!s)
        lua_pushnil(L);
    else if (!l_json_push(L, s, strlen(s), &err))
        lua_pushstring(L, s);
}

static void
push_responses(lua_State *L, const struct store_item *it)
{
    lua_createtable(L, it->n_resp, 0);
    for (int i = 0; i < it->n_resp; i++) {
        const struct store_response *r = &it->resp[i];
        lua_createtable(L, 0, 5);
        lua_pushinteger(L, i + 1);
        lua_setfield(L, -2, "index");
        lua_pushinteger(L, r->id);
        lua_setfield(L, -2, "id");
        setfield_str(L, "text", r->text);
        setfield_str(L, "model", r->model);
        push_json_or_nil(L, r->meta);
        lua_setfield(L, -2, "meta");
        lua_rawseti(L, -2, i + 1);
    }
}

static void
push_judgments(lua_State *L, const struct store_item *it)
{
    lua_createtable(L, it->n_judg, 0);
    for (int i = 0; i < it->n_judg; i++) {
        const struct store_judgment *j = &it->judg[i];
        lua_createtable(L, 0, 9);
        lua_pushinteger(L, j->id);
        lua_setfield(L, -2, "id");
        lua_pushinteger(L, j->a + 1);
        lua_setfield(L, -2, "a");
        lua_pushinteger(L, j->b + 1);
        lua_setfield(L, -2, "b");
        setfield_str(L, "annotator", j->annotator);
        setfield_str(L, "verdict", j->verdict);
        if (j->has_p) {
            lua_pushnumber(L, j->p_a);
            lua_setfield(L, -2, "p_a");
        }
        lua_pushnumber(L, j->weight);
        lua_setfield(L, -2, "weight");
        setfield_str(L, "rationale", j->rationale);
        push_json_or_nil(L, j->meta);
        lua_setfield(L, -2, "meta");
        setfield_str(L, "created_at", j->created_at);
        lua_rawseti(L, -2, i + 1);
    }
}

static void
push_ratings(lua_State *L, const struct store_item *it)
{
    lua_createtable(L, it->n_rating, 0);
    for (int i = 0; i < it->n_rating; i++) {
        const struct store_rating *x = &it->rating[i];
        lua_createtable(L, 0, 5);
        lua_pushinteger(L, x->id);
        lua_setfield(L, -2, "id");
        lua_pushinteger(L, x->resp + 1);
        lua_setfield(L, -2, "response");
        setfield_str(L, "aspect", x->aspect);
        lua_pushnumber(L, x->value);
        lua_setfield(L, -2, "value");
        setfield_str(L, "annotator", x->annotator);
        lua_rawseti(L, -2, i + 1);
    }
}

static void
notes_free(void *p)
{
    /* The anchor holds a struct with the array and its length. */
    struct {
        struct store_note *v;
        int n;
    } *box = p;
    store_notes_free(box->v, box->n);
    free(box);
}

static void
push_notes(lua_State *L, struct lws *w, int64_t item_id)
{
    struct note_box {
        struct store_note *v;
        int n;
    };
    void **slot = l_anchor(L, notes_free);
    struct note_box *box = xcalloc(1, sizeof *box);
    *slot = box;
    struct ps_err err = {0};
    if (store_note_list(w->st, item_id, &box->v, &box->n, &err) != PS_OK)
        l_raise_err(L, &err);
    lua_createtable(L, box->n, 0);
    for (int i = 0; i < box->n; i++) {
        lua_createtable(L, 0, 4);
        lua_pushinteger(L, box->v[i].id);
        lua_setfield(L, -2, "id");
        setfield_str(L, "author", box->v[i].author);
        setfield_str(L, "text", box->v[i].text);
        setfield_str(L, "created_at", box->v[i].created_at);
        lua_rawseti(L, -2, i + 1);
    }
    l_anchor_release(L, -2);
    lua_remove(L, -2);
}

static void
push_tags(lua_State *L, const struct store_item *it)
{
    lua_createtable(L, it->n_tags, 0);
    for (int i = 0; i < it->n_tags; i++) {
        lua_pushstring(L, it->tags[i]);
        lua_rawseti(L, -2, i + 1);
    }
}

static const char *const item_fields[] = {
    "id",        "seq",       "key",     "ext_id", "system", "prompt",  "history", "meta",
    "responses", "judgments", "ratings", "tags",   "notes",  "dataset", NULL,
};

/* Push field k of the item at idx; returns 0 when k is not a field. */
static int
item_field(lua_State *L, int idx, const char *k)
{
    struct lws *w;
    if (strcmp(k, "id") == 0) {
        lua_pushinteger(L, check_item(L, idx, NULL)->id);
        return 1;
    }
    static const char *const row_fields[] = {"seq",     "key",  "ext_id",  "system", "prompt",
                                             "history", "meta", "dataset", "notes",  NULL};
    int level = ITEM_FULL;
    for (int i = 0; row_fields[i]; i++)
        if (strcmp(k, row_fields[i]) == 0)
            level = ITEM_ROW;
    struct litem *li = load_item_level(L, idx, level, &w);
    const struct store_item *it = &li->it;
    if (strcmp(k, "seq") == 0)
        lua_pushinteger(L, it->seq + 1); /* the item number users see */
    else if (strcmp(k, "key") == 0)
        lua_pushstring(L, it->key);
    else if (strcmp(k, "ext_id") == 0)
        lua_pushstring(L, it->ext_id);
    else if (strcmp(k, "system") == 0)
        lua_pushstring(L, it->system);
    else if (strcmp(k, "prompt") == 0)
        lua_pushstring(L, it->prompt);
    else if (strcmp(k, "history") == 0) {
        push_json_or_nil(L, it->history);
        if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            lua_newtable(L);
        }
    } else if (strcmp(k, "meta") == 0)
        push_json_or_nil(L, it->meta);
    else if (strcmp(k, "responses") == 0)
        push_responses(L, it);
    else if (strcmp(k, "judgments") == 0)
        push_judgments(L, it);
    else if (strcmp(k, "ratings") == 0)
        push_ratings(L, it);
    else if (strcmp(k, "tags") == 0)
        push_tags(L, it);
    else if (strcmp(k, "notes") == 0)
        push_notes(L, w, li->id);
    else if (strcmp(k, "dataset") == 0) {
        int64_t ds = it->dataset_id;
        lua_getiuservalue(L, idx, 1);
        push_ds(L, -1, ds);
        lua_remove(L, -2);
    } else
        return 0;
    return 1;
}

static int
item_index(lua_State *L)
{
    luaL_checkudata(L, 1, LITEM_MT);
    const char *k = luaL_checkstring(L, 2);
    luaL_getmetatable(L, LITEM_MT);
    if (lua_getfield(L, -1, "methods") == LUA_TTABLE && lua_getfield(L, -1, k) != LUA_TNIL)
        return 1;
    lua_settop(L, 2);
    if (item_field(L, 1, k))
        return 1;
    return luaL_error(L, "ps.Item has no field '%s'", k);
}

/* it:to_table() -> a plain table with every field (a snapshot) */
static int
item_to_table(lua_State *L)
{
    load_item(L, 1, NULL);
    lua_createtable(L, 0, 14);
    for (int i = 0; item_fields[i]; i++) {
        if (strcmp(item_fields[i], "dataset") == 0)
            continue;
        item_field(L, 1, item_fields[i]);
        lua_setfield(L, -2, item_fields[i]);
    }
    return 1;
}

/* it:refresh(): drop the cached row; the next read loads it again. */
static int
item_refresh(lua_State *L)
{
    struct litem *li = check_item(L, 1, NULL);
    item_unload(li);
    lua_settop(L, 1);
    return 1;
}

/* After an edit: forget the cached row and mark the dataset's counts. */
static void
item_touched(struct lws *w, struct litem *li, int64_t dataset_id)
{
    item_unload(li);
    ws_mark_dirty(w, dataset_id);
}

static int64_t
item_dataset(lua_State *L, struct lws *w, struct litem *li)
{
    struct ps_err err = {0};
    int64_t ds;
    if (store_item_dataset(w->st, li->id, &ds, &err) != PS_OK)
        luaL_error(L, "stale handle: item %d no longer exists", (int)li->id);
    return ds;
}

/* it:judge{verdict=|p_a=, a=1, b=2, annotator=ps.user, rationale=} -> true | nil, msg */
static int
item_judge(lua_State *L)
{
    struct lws *w;
    struct litem *li = check_item(L, 1, &w);
    if (lua_type(L, 2) == LUA_TSTRING) {
        /* it:judge("A" [, opts]) shorthand */
        lua_newtable(L);
        if (lua_istable(L, 3)) {
            lua_pushnil(L);
            while (lua_next(L, 3)) {
                lua_pushvalue(L, -2);
                lua_insert(L, -2);
                lua_settable(L, -4);
            }
        }
        lua_pushvalue(L, 2);
        lua_setfield(L, -2, "verdict");
        lua_replace(L, 2);
    }
    luaL_checktype(L, 2, LUA_TTABLE);
    struct ps_rec_judgment j;
    read_judgment(L, 2, -1, &j);
    if (j.a < 0 || j.b < 0 || j.a == j.b)
        return luaL_error(L, "judge: a and b must be two different response indices (1-based)");
    int64_t ds = item_dataset(L, w, li);
    struct ps_err err = {0};
    load_item(L, 1, NULL);
    int n_resp = li->it.n_resp;
    if (j.a >= n_resp || j.b >= n_resp) {
        ps_error(&err, PS_ERR_NOTFOUND, "the item has no response %d (it has %d)",
                 (j.a >= n_resp ? j.a : j.b) + 1, n_resp);
        return l_fail(L, &err);
    }
    if (store_add_judgment(w->st, li->id, &j, &err) != PS_OK)
        return l_fail(L, &err);
    item_touched(w, li, ds);
    lua_pushboolean(L, 1);
    return 1;
}

/* it:unjudge([annotator]) -> number of judgments removed (all annotators when nil) */
static int
item_unjudge(lua_State *L)
{
    struct lws *w;
    struct litem *li = check_item(L, 1, &w);
    const char *ann = luaL_optstring(L, 2, NULL);
    int64_t ds = item_dataset(L, w, li);
    struct ps_err err = {0};
    int n;
    if (store_judgment_delete(w->st, li->id, ann, &n, &err) != PS_OK)
        return l_fail(L, &err);
    item_touched(w, li, ds);
    lua_pushinteger(L, n);
    return 1;
}

/* it:label([annotator]) -> verdict of the annotator's latest judgment, or nil.
 * Without an annotator: the latest judgment of anyone. */
static int
item_label(lua_State *L)
{
    struct litem *li = load_item(L, 1, NULL);
    const char *ann = luaL_optstring(L, 2, NULL);
    for (int i = li->it.n_judg - 1; i >= 0; i--) {
        const struct store_judgment *j = &li->it.judg[i];
        if (!ann || (j->annotator && strcmp(j->annotator, ann) == 0)) {
            lua_pushstring(L, j->verdict);
            return 1;
        }
    }
    lua_pushnil(L);
    return 1;
}

/* it:rate{response=1, aspect="score", value=, annotator=ps.user} -> rating id | nil, msg */
static int
item_rate(lua_State *L)
{
    static const char *const keys[] = {"response", "aspect", "value", "annotator", NULL};
    struct lws *w;
    struct litem *li = check_item(L, 1, &w);
    luaL_checktype(L, 2, LUA_TTABLE);
    l_check_keys(L, 2, keys);
    int resp = (int)l_opt_field_int(L, 2, "response", 1) - 1;
    const char *aspect = l_opt_field_str(L, 2, "aspect", "score");
    int present;
    double value = l_opt_field_num(L, 2, "value", 0, &present);
    if (!present)
        return luaL_argerror(L, 2, "'value' is required");
    const char *ann = l_opt_field_str(L, 2, "annotator", NULL);
    if (!ann)
        ann = l_default_annotator(L);
    int64_t ds = item_dataset(L, w, li);
    struct ps_err err = {0};
    int64_t id;
    if (store_rating_add(w->st, li->id, resp, aspect, value, ann, &id, &err) != PS_OK)
        return l_fail(L, &err);
    item_touched(w, li, ds);
    lua_pushinteger(L, id);
    return 1;
}

static int
item_tag_edit(lua_State *L, int add)
{
    struct lws *w;
    struct litem *li = check_item(L, 1, &w);
    const char *tag = luaL_checkstring(L, 2);
    luaL_argcheck(L, *tag, 2, "tag must not be empty");
    int64_t ds = item_dataset(L, w, li);
    struct ps_err err = {0};
    if ((add ? store_tag_add : store_tag_remove)(w->st, li->id, tag, NULL, &err) != PS_OK)
        return l_fail(L, &err);
    item_touched(w, li, ds);
    lua_pushboolean(L, 1);
    return 1;
}

/* it:tag(name) / it:untag(name) -> true | nil, msg */
static int
item_tag(lua_State *L)
{
    return item_tag_edit(L, 1);
}

static int
item_untag(lua_State *L)
{
    return item_tag_edit(L, 0);
}

/* it:note(text [, {author=}]) -> note id | nil, msg */
static int
item_note(lua_State *L)
{
    static const char *const keys[] = {"author", NULL};
    struct lws *w;
    struct litem *li = check_item(L, 1, &w);
    const char *text = luaL_checkstring(L, 2);
    const char *author = NULL;
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        l_check_keys(L, 3, keys);
        author = l_opt_field_str(L, 3, "author", NULL);
    }
    if (!author)
        author = l_default_annotator(L);
    int64_t ds = item_dataset(L, w, li);
    (void)ds;
    struct ps_err err = {0};
    int64_t id;
    if (store_note_add(w->st, li->id, author, text, &id, &err) != PS_OK)
        return l_fail(L, &err);
    item_unload(li);
    lua_pushinteger(L, id);
    return 1;
}

/* it:add_response{text=, model=, meta=} (or a string) -> response index (1-based) | nil, msg */
static int
item_add_response(lua_State *L)
{
    static const char *const keys[] = {"text", "model", "meta", NULL};
    struct lws *w;
    struct litem *li = check_item(L, 1, &w);
    const char *text = NULL, *model = NULL, *meta = NULL;
    lua_settop(L, 2);
    if (lua_type(L, 2) == LUA_TSTRING) {
        text = lua_tostring(L, 2);
    } else {
        luaL_checktype(L, 2, LUA_TTABLE);
        l_check_keys(L, 2, keys);
        text = l_opt_field_str(L, 2, "text", NULL);
        model = l_opt_field_str(L, 2, "model", NULL);
        meta = json_field(L, 2, "meta");
    }
    int64_t ds = item_dataset(L, w, li);
    struct ps_err err = {0};
    int idx;
    if (store_response_add(w->st, li->id, text, model, meta, &idx, NULL, &err) != PS_OK)
        return l_fail(L, &err);
    item_touched(w, li, ds);
    lua_pushinteger(L, idx + 1);
    return 1;
}

static int
item_tostring(lua_State *L)
{
    struct litem *li = luaL_checkudata(L, 1, LITEM_MT);
    lua_pushfstring(L, "ps.Item(%d)", (int)li->id);
    return 1;
}

static int
item_eq(lua_State *L)
{
    struct litem *a = luaL_checkudata(L, 1, LITEM_MT), *b = luaL_checkudata(L, 2, LITEM_MT);
    lua_getiuservalue(L, 1, 1);
    lua_getiuservalue(L, 2, 1);
    lua_pushboolean(L, a->id == b->id && lua_rawequal(L, -1, -2));
    return 1;
}

/* ---- shortcuts on the current workspace: ps.datasets(), ps.dataset(name), ... ---- */

static int
call_on_current(lua_State *L, lua_CFunction f)
{
    struct ps_err err = {0};
    if (!current_ws(L, &err))
        return l_fail(L, &err);
    lua_insert(L, 1);
    return f(L);
}

static int
l_datasets(lua_State *L)
{
    return call_on_current(L, ws_datasets);
}
static int
l_dataset(lua_State *L)
{
    return call_on_current(L, ws_dataset);
}
static int
l_create_dataset(lua_State *L)
{
    return call_on_current(L, ws_create_dataset);
}
static int
l_import(lua_State *L)
{
    return call_on_current(L, ws_import);
}
static int
l_item(lua_State *L)
{
    return call_on_current(L, ws_item);
}

static int
l_transaction(lua_State *L)
{
    struct ps_err err = {0};
    if (!current_ws(L, &err))
        return l_raise_err(L, &err);
    lua_insert(L, 1);
    return ws_transaction(L);
}

/* ---- registration ---- */

static int
ws_index(lua_State *L)
{
    struct lws *w = luaL_checkudata(L, 1, LWS_MT);
    const char *k = luaL_checkstring(L, 2);
    if (strcmp(k, "path") == 0) {
        if (w->closed)
            return luaL_error(L, "stale handle: the workspace is closed");
        lua_pushstring(L, store_path(w->st));
        return 1;
    }
    luaL_getmetatable(L, LWS_MT);
    lua_getfield(L, -1, "methods");
    if (lua_getfield(L, -1, k) != LUA_TNIL)
        return 1;
    return luaL_error(L, "ps.Workspace has no field '%s'", k);
}

static int
ds_index(lua_State *L)
{
    struct lws *w;
    struct lds *d = luaL_checkudata(L, 1, LDS_MT);
    const char *k = luaL_checkstring(L, 2);
    luaL_getmetatable(L, LDS_MT);
    lua_getfield(L, -1, "methods");
    if (lua_getfield(L, -1, k) != LUA_TNIL)
        return 1;
    lua_settop(L, 2);
    if (strcmp(k, "id") == 0) {
        lua_pushinteger(L, d->id);
        return 1;
    }
    check_ds(L, 1, &w);
    if (strcmp(k, "name") == 0 || strcmp(k, "format") == 0 || strcmp(k, "source") == 0) {
        struct ps_err err = {0};
        if (!ds_info_push(L, w, d->id, &err))
            luaL_error(L, "stale handle: %s", err.msg);
        lua_getfield(L, -1, k);
        return 1;
    }
    return luaL_error(L, "ps.Dataset has no field '%s'", k);
}

static const luaL_Reg ws_methods[] = {
    {"datasets", ws_datasets},
    {"dataset", ws_dataset},
    {"create_dataset", ws_create_dataset},
    {"item", ws_item},
    {"import", ws_import},
    {"transaction", ws_transaction},
    {"close", ws_close_m},
    {NULL, NULL},
};

static const luaL_Reg ds_methods[] = {
    {"info", ds_info},     {"items", ds_items},   {"count", ds_count},
    {"item", ds_item},     {"find", ds_find},     {"add_item", ds_add_item},
    {"delete", ds_delete}, {"export", ds_export}, {NULL, NULL},
};

static const luaL_Reg item_methods[] = {
    {"judge", item_judge},
    {"unjudge", item_unjudge},
    {"label", item_label},
    {"rate", item_rate},
    {"tag", item_tag},
    {"untag", item_untag},
    {"note", item_note},
    {"add_response", item_add_response},
    {"refresh", item_refresh},
    {"to_table", item_to_table},
    {NULL, NULL},
};

static const luaL_Reg store_funcs[] = {
    {"open", l_open},
    {"workspace", l_workspace},
    {"use", l_use},
    {"datasets", l_datasets},
    {"dataset", l_dataset},
    {"create_dataset", l_create_dataset},
    {"import", l_import},
    {"item", l_item},
    {"transaction", l_transaction},
    {NULL, NULL},
};

/* Create metatable `name` with __index, __gc/__close (one function, liolib style),
 * __tostring, a `methods` table and a `fields` list (used by REPL completion). */
static void
new_class(lua_State *L, const char *name, lua_CFunction index, lua_CFunction gc,
          lua_CFunction tostring, const luaL_Reg *methods, const char *const *fields)
{
    luaL_newmetatable(L, name);
    lua_pushcfunction(L, index);
    lua_setfield(L, -2, "__index");
    if (gc) {
        lua_pushcfunction(L, gc);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, gc);
        lua_setfield(L, -2, "__close");
    }
    lua_pushcfunction(L, tostring);
    lua_setfield(L, -2, "__tostring");
    lua_newtable(L);
    if (methods)
        luaL_setfuncs(L, methods, 0);
    lua_setfield(L, -2, "methods");
    lua_newtable(L);
    for (int i = 0; fields && fields[i]; i++) {
        lua_pushstring(L, fields[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "fields");
}

void
l_open_store(lua_State *L)
{
    static const char *const ws_fields[] = {"path", NULL};
    static const char *const ds_fields[] = {"id", "name", "format", "source", NULL};
    new_class(L, LWS_MT, ws_index, ws_gc, ws_tostring, ws_methods, ws_fields);
    lua_pop(L, 1);
    new_class(L, LDS_MT, ds_index, NULL, ds_tostring, ds_methods, ds_fields);
    lua_pushcfunction(L, ds_len);
    lua_setfield(L, -2, "__len");
    lua_pushcfunction(L, ds_eq);
    lua_setfield(L, -2, "__eq");
    lua_pop(L, 1);
    new_class(L, LITEM_MT, item_index, item_gc, item_tostring, item_methods, item_fields);
    lua_pushcfunction(L, item_eq);
    lua_setfield(L, -2, "__eq");
    lua_pop(L, 1);
    luaL_newmetatable(L, LCURSOR_MT);
    lua_pop(L, 1);
    luaL_setfuncs(L, store_funcs, 0);
}
