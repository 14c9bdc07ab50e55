/* Engine lifetime, the module path, output redirection, script runs and the small
 * helpers shared by every binding file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lualib.h>

#include "core/datadir.h"
#include "core/xalloc.h"
#include "lua/l_internal.h"
#include "store/store.h"

/* ---- helpers ---- */

int
l_raise_err(lua_State *L, const struct ps_err *err)
{
    return luaL_error(L, "%s", err->msg[0] ? err->msg : ps_status_str(err->code));
}

int
l_fail(lua_State *L, const struct ps_err *err)
{
    lua_pushnil(L);
    lua_pushstring(L, err->msg[0] ? err->msg : ps_status_str(err->code));
    return 2;
}

void
l_write(struct ps_lua *pl, const char *s, size_t n)
{
    if (n > 0)
        pl->out_mid_line = s[n - 1] != '\n';
    if (pl->has_host && pl->host.write) {
        pl->host.write(pl->host.ud, s, n);
    } else {
        l_bar_clear_line(pl);
        fwrite(s, 1, n, stdout);
        fflush(stdout);
    }
}

void
l_check_keys(lua_State *L, int idx, const char *const *allowed)
{
    idx = lua_absindex(L, idx);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) {
            luaL_argerror(L, idx, "option keys must be strings");
        }
        const char *k = lua_tostring(L, -1);
        int ok = 0;
        for (int i = 0; allowed[i]; i++)
            if (strcmp(k, allowed[i]) == 0)
                ok = 1;
        if (!ok) {
            luaL_Buffer b;
            luaL_buffinit(L, &b);
            lua_pushfstring(L, "unknown option '%s' (expected one of:", k);
            luaL_addvalue(&b);
            for (int i = 0; allowed[i]; i++) {
                luaL_addchar(&b, ' ');
                luaL_addstring(&b, allowed[i]);
            }
            luaL_addchar(&b, ')');
            luaL_pushresult(&b);
            luaL_argerror(L, idx, lua_tostring(L, -1));
        }
    }
}

const char *
l_opt_field_str(lua_State *L, int idx, const char *key, const char *def)
{
    /* The string stays referenced by the table, so the pointer outlives the pop. */
    int t = lua_getfield(L, idx, key);
    const char *s = def;
    if (t == LUA_TSTRING)
        s = lua_tostring(L, -1);
    else if (t != LUA_TNIL)
        luaL_error(L, "option '%s' must be a string, got %s", key, luaL_typename(L, -1));
    lua_pop(L, 1);
    return s;
}

lua_Integer
l_opt_field_int(lua_State *L, int idx, const char *key, lua_Integer def)
{
    int t = lua_getfield(L, idx, key);
    lua_Integer v = def;
    if (t != LUA_TNIL) {
        int isnum;
        v = lua_tointegerx(L, -1, &isnum);
        if (!isnum)
            luaL_error(L, "option '%s' must be an integer, got %s", key, luaL_typename(L, -1));
    }
    lua_pop(L, 1);
    return v;
}

lua_Number
l_opt_field_num(lua_State *L, int idx, const char *key, lua_Number def, int *present)
{
    int t = lua_getfield(L, idx, key);
    lua_Number v = def;
    if (present)
        *present = t != LUA_TNIL;
    if (t != LUA_TNIL) {
        int isnum;
        v = lua_tonumberx(L, -1, &isnum);
        if (!isnum)
            luaL_error(L, "option '%s' must be a number, got %s", key, luaL_typename(L, -1));
    }
    lua_pop(L, 1);
    return v;
}

int
l_opt_field_bool(lua_State *L, int idx, const char *key, int def)
{
    int t = lua_getfield(L, idx, key);
    int v = t == LUA_TNIL ? def : lua_toboolean(L, -1);
    lua_pop(L, 1);
    return v;
}

struct l_anchor_box {
    void *p;
    void (*fn)(void *);
};

static int
anchor_gc(lua_State *L)
{
    struct l_anchor_box *a = luaL_checkudata(L, 1, LANCHOR_MT);
    if (a->p && a->fn)
        a->fn(a->p);
    a->p = NULL;
    return 0;
}

void **
l_anchor(lua_State *L, void (*fn)(void *))
{
    /* The box exists before the C object: nothing can raise between creating the
     * object and storing it in *slot, so it is never lost. */
    struct l_anchor_box *a = lua_newuserdatauv(L, sizeof *a, 0);
    a->p = NULL;
    a->fn = fn;
    luaL_setmetatable(L, LANCHOR_MT);
    return &a->p;
}

void
l_anchor_release(lua_State *L, int idx)
{
    struct l_anchor_box *a = luaL_checkudata(L, idx, LANCHOR_MT);
    if (a->p && a->fn)
        a->fn(a->p);
    a->p = NULL;
}

double
l_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

const char *
l_default_annotator(lua_State *L)
{
    lua_getglobal(L, "ps");
    const char *s = NULL;
    if (lua_istable(L, -1) && lua_getfield(L, -1, "user") == LUA_TSTRING) {
        s = lua_tostring(L, -1); /* anchored by the ps table */
        lua_pop(L, 1);
    } else if (lua_istable(L, -1)) {
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return s ? s : "human:me";
}

void
l_push_sorted_keys(lua_State *L, int set)
{
    set = lua_absindex(L, set);
    lua_newtable(L);
    int n = 0;
    lua_pushnil(L);
    while (lua_next(L, set)) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        lua_rawseti(L, -3, ++n);
    }
    lua_getglobal(L, "table");
    lua_getfield(L, -1, "sort");
    lua_pushvalue(L, -3);
    lua_call(L, 1, 0);
    lua_pop(L, 1);
}

/* ---- output ---- */

static int
l_print(lua_State *L)
{
    struct ps_lua *pl = l_engine(L);
    int n = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        size_t len;
        const char *s = luaL_tolstring(L, i, &len);
        if (i > 1)
            luaL_addchar(&b, '\t');
        luaL_addvalue(&b);
        (void)s;
        (void)len;
    }
    luaL_addchar(&b, '\n');
    luaL_pushresult(&b);
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    l_write(pl, s, len);
    return 0;
}

/* io.write replacement used when a host receives the output (the TUI pane). */
static int
l_io_write(lua_State *L)
{
    struct ps_lua *pl = l_engine(L);
    int n = lua_gettop(L);
    for (int i = 1; i <= n; i++) {
        size_t len;
        const char *s = luaL_checklstring(L, i, &len);
        l_write(pl, s, len);
    }
    lua_getglobal(L, "io");
    lua_getfield(L, -1, "stdout");
    return 1;
}

/* ---- module path ---- */

static int
dir_exists(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* Append "<dir>/?.lua;<dir>/?/init.lua;" when dir exists. */
static void
path_add(luaL_Buffer *b, const char *dir)
{
    if (!dir || !*dir || !dir_exists(dir))
        return;
    luaL_addstring(b, dir);
    luaL_addstring(b, "/?.lua;");
    luaL_addstring(b, dir);
    luaL_addstring(b, "/?/init.lua;");
}

static const char *
user_lua_dir(char *buf, size_t size)
{
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    if (xdg && *xdg)
        snprintf(buf, size, "%s/prefscope/lua", xdg);
    else if (home && *home)
        snprintf(buf, size, "%s/.config/prefscope/lua", home);
    else
        return NULL;
    return buf;
}

/* package.path: $PS_LUA_PATH, the shipped lua-modules (next to the binary, then the
 * source tree and the install prefix: core/datadir.h), the user's
 * ~/.config/prefscope/lua, then Lua's default.  ps.module_dirs lists the same
 * directories for template lookup. */
static void
set_module_path(lua_State *L)
{
    char user[4096];
    char shipped[DATADIR_MAX][DATADIR_PATH];
    int nshipped = datadir_list("lua-modules", shipped);
    const char *dirs[DATADIR_MAX + 1];
    int ndirs = 0;
    for (int i = 0; i < nshipped; i++)
        dirs[ndirs++] = shipped[i];
    dirs[ndirs++] = user_lua_dir(user, sizeof user);
    luaL_Buffer b;
    lua_getglobal(L, "package");
    int pkg = lua_gettop(L);
    /* The buffer owns the stack top until luaL_pushresult (a placeholder from 5.4.3
     * on, a box once it grows in 5.4.0-5.4.2, as in Debian 11's glibc 2.31 bundle):
     * reach package by absolute index. */
    luaL_buffinit(L, &b);
    const char *env = getenv("PS_LUA_PATH");
    if (env && *env) {
        luaL_addstring(&b, env);
        luaL_addchar(&b, ';');
    }
    for (int i = 0; i < ndirs; i++)
        path_add(&b, dirs[i]);
    lua_getfield(L, pkg, "path");
    luaL_addvalue(&b);
    luaL_pushresult(&b);
    lua_setfield(L, pkg, "path");
    lua_pop(L, 1);

    /* ps.module_dirs: template search order (shipped first, then the user's). */
    lua_getglobal(L, "ps");
    lua_newtable(L);
    int n = 0;
    for (int i = 0; i < ndirs; i++) {
        if (dirs[i] && dir_exists(dirs[i])) {
            lua_pushstring(L, dirs[i]);
            lua_rawseti(L, -2, ++n);
        }
    }
    lua_setfield(L, -2, "module_dirs");
    lua_pop(L, 1);
}

/* ---- state setup ---- */

static void *
l_default_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)ud;
    (void)osize;
    if (nsize == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, nsize);
}

static const luaL_Reg anchor_meta[] = {{"__gc", anchor_gc}, {NULL, NULL}};

static int
l_init(lua_State *L)
{
    struct ps_lua *pl = l_engine(L);
    luaL_openlibs(L);
    luaL_newmetatable(L, LANCHOR_MT);
    luaL_setfuncs(L, anchor_meta, 0);
    lua_pop(L, 1);

    lua_newtable(L); /* ps */
    lua_pushliteral(L, PS_VERSION);
    lua_setfield(L, -2, "version");
    {
        const char *u = pl->user;
        if (!u || !*u)
            u = getenv("PREFSCOPE_USER");
        if (!u || !*u)
            u = getenv("USER");
        lua_pushfstring(L, "human:%s", u && *u ? u : "me");
        lua_setfield(L, -2, "user");
    }
    lua_pushboolean(L, !pl->has_host);
    lua_setfield(L, -2, "headless");
    l_open_store(L);
    l_open_sched(L);
    l_open_json(L);
    l_open_template(L);
    l_open_ui(L);
    l_open_progress(L);
    l_open_stats(L);
    l_open_evalstats(L);
    l_open_model(L);
    l_open_critique(L);
    l_open_icai(L);
    lua_pushvalue(L, -1);
    lua_setglobal(L, "ps");
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, "ps");
    lua_pop(L, 2);

    lua_pushcfunction(L, l_print);
    lua_setglobal(L, "print");
    /* io.write goes through the host too (to the TUI pane when one is attached). */
    lua_getglobal(L, "io");
    lua_pushcfunction(L, l_io_write);
    lua_setfield(L, -2, "write");
    lua_pop(L, 1);
    set_module_path(L);

    /* docs/lua-api.md, for help() (prelude.lua). */
    lua_getglobal(L, "ps");
    lua_pushstring(L, l_api_doc);
    lua_setfield(L, -2, "_api_doc");
    lua_pop(L, 1);
    if (luaL_loadbuffer(L, l_prelude_src, strlen(l_prelude_src), "=prelude") != LUA_OK)
        return lua_error(L);
    lua_call(L, 0, 0);
    return 0;
}

int
ps_lua_new(struct ps_lua **out, const struct ps_lua_opts *opts, struct ps_err *err)
{
    struct ps_lua *pl = xcalloc(1, sizeof *pl);
    lua_State *L = lua_newstate(opts->alloc ? opts->alloc : l_default_alloc,
                                opts->alloc ? opts->alloc_ud : NULL);
    if (!L) {
        free(pl);
        return ps_error(err, PS_ERR_NOMEM, "cannot create the Lua state: not enough memory");
    }
    pl->L = L;
    *(struct ps_lua **)lua_getextraspace(L) = pl;
    if (opts->host) {
        pl->host = *opts->host;
        pl->has_host = 1;
    }
    pl->workspace_path = xstrdup(store_default_path(opts->workspace));
    pl->borrowed_store = opts->store;
    pl->config_path = opts->config ? xstrdup(opts->config) : NULL;
    pl->user = opts->user ? xstrdup(opts->user) : NULL;
    pl->next_task_id = 1;

    lua_pushcfunction(L, l_init);
    if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
        const char *m = lua_tostring(L, -1);
        int code = m && strstr(m, "not enough memory") ? PS_ERR_NOMEM : PS_ERR;
        ps_error(err, code, "Lua setup failed: %s", m ? m : "unknown error");
        ps_lua_free(pl);
        return code;
    }
    l_install_hook(L);
    *out = pl;
    return PS_OK;
}

void
ps_lua_free(struct ps_lua *pl)
{
    if (!pl)
        return;
    /* Output after this point (errors of collected tasks) goes to stderr: the host may
     * already be tearing down. */
    struct ps_lua_host host = pl->host;
    int had_host = pl->has_host;
    l_bar_close_all(pl, 1);
    pl->has_host = 0;
    l_sched_free(pl);
    lua_close(pl->L);
    if (pl->llm_free)
        pl->llm_free(pl);
    if (had_host && host.release)
        host.release(host.ud);
    sb_free(&pl->repl_buf);
    free(pl->workspace_path);
    free(pl->config_path);
    free(pl->user);
    free(pl);
}

void
ps_lua_set_host(struct ps_lua *pl, const struct ps_lua_host *host)
{
    pl->host = *host;
    pl->has_host = 1;
    lua_getglobal(pl->L, "ps");
    if (lua_istable(pl->L, -1)) {
        lua_pushboolean(pl->L, 0);
        lua_setfield(pl->L, -2, "headless");
    }
    lua_pop(pl->L, 1);
}

int
ps_lua_output_mid_line(struct ps_lua *pl)
{
    int r = pl->out_mid_line;
    pl->out_mid_line = 0;
    return r;
}

void *
ps_lua_host_ud(struct ps_lua *pl)
{
    return pl->has_host ? pl->host.ud : NULL;
}

lua_State *
ps_lua_state(struct ps_lua *pl)
{
    return pl->L;
}

/* ---- scripts ---- */

struct run_ctx {
    const char *path;
    int argc;
    char **argv;
    struct ltask *t;
    int ref;
};

/* Protected part of ps_lua_run_file: the arg table, loading, the main task. */
static int
run_setup(lua_State *L)
{
    struct run_ctx *rc = lua_touserdata(L, 1);
    lua_createtable(L, rc->argc, 1);
    lua_pushstring(L, rc->path);
    lua_rawseti(L, -2, 0);
    for (int i = 0; i < rc->argc; i++) {
        lua_pushstring(L, rc->argv[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setglobal(L, "arg");
    /* "-" reads the script from stdin */
    if (luaL_loadfile(L, strcmp(rc->path, "-") == 0 ? NULL : rc->path) != LUA_OK)
        return lua_error(L);
    luaL_checkstack(L, rc->argc, "too many arguments");
    for (int i = 0; i < rc->argc; i++)
        lua_pushstring(L, rc->argv[i]);
    rc->t = l_task_start(L, rc->argc, 1);
    rc->t->observed = 1;
    rc->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

int
ps_lua_run_file(struct ps_lua *pl, const char *path, int argc, char **argv, int *exit_code,
                struct ps_err *err)
{
    lua_State *L = pl->L;
    struct run_ctx rc = {path, argc, argv, NULL, LUA_NOREF};
    *exit_code = 1;
    lua_pushcfunction(L, run_setup);
    lua_pushlightuserdata(L, &rc);
    int status = lua_pcall(L, 1, 0, 0);
    if (status != LUA_OK) {
        const char *m = lua_tostring(L, -1);
        ps_error(err, status == LUA_ERRMEM ? PS_ERR_NOMEM : PS_ERR_USAGE, "%s",
                 m ? m : "not enough memory");
        lua_pop(L, 1);
        /* A task that was started before the failure still runs to its end. */
        while (ps_lua_busy(pl))
            ps_lua_step(pl, -1);
        return err->code;
    }
    while (ps_lua_busy(pl))
        ps_lua_step(pl, -1);

    int rcode = PS_OK;
    lua_rawgeti(L, LUA_REGISTRYINDEX, rc.ref);
    luaL_unref(L, LUA_REGISTRYINDEX, rc.ref);
    struct ltask *t = rc.t;
    lua_getiuservalue(L, -1, 2); /* results table or error message */
    if (!t->ok) {
        const char *m = lua_tostring(L, -1);
        *exit_code = t->interrupted ? 130 : 1;
        rcode = ps_error(err, t->interrupted ? PS_ERR_CANCELLED : PS_ERR, "%s",
                         m ? m : "not enough memory");
    } else if (lua_istable(L, -1)) {
        lua_rawgeti(L, -1, 1);
        if (lua_isinteger(L, -1))
            *exit_code = (int)lua_tointeger(L, -1);
        else if (lua_isboolean(L, -1))
            *exit_code = lua_toboolean(L, -1) ? 0 : 1;
        else
            *exit_code = 0;
        lua_pop(L, 1);
    }
    lua_pop(L, 2);
    return rcode;
}

const char *
ps_lua_history_path(char *buf, size_t size)
{
    const char *xdg = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    char dir[4096];
    if (xdg && *xdg)
        snprintf(dir, sizeof dir, "%s/prefscope", xdg);
    else if (home && *home)
        snprintf(dir, sizeof dir, "%s/.local/state/prefscope", home);
    else
        return NULL;
    /* mkdir -p, one component at a time. */
    for (char *p = dir + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(dir, 0700);
            *p = '/';
        }
    }
    mkdir(dir, 0700);
    snprintf(buf, size, "%s/history", dir);
    return buf;
}
