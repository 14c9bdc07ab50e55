/* The Lua bindings under stress, from C:
 *
 *   1. Stack balance: every function of the ps module and every method of every
 *      handle type is called with a set of argument patterns (none, wrong types,
 *      plausible values).  Each call must come back through lua_pcall with either a
 *      few results or exactly one string error, leave the caller's stack as it was,
 *      and leave no registry references behind (checked after a full GC).
 *   2. Allocation failures: a script exercising the API runs on an engine whose
 *      allocator fails from the N-th allocation on, for N = 1, 2, ... until the script runs
 *      without reaching N.  Every run must end with success or an error message (no
 *      crash, no panic), and under ASan/LeakSanitizer nothing may leak. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>

#include "lua/config.h"
#include "lua/ps_lua.h"
#include "test.h"

/* ---- a failing allocator ---- */

struct fail_alloc {
    long count;   /* growing allocations so far */
    long fail_at; /* fail this one and every later one (0 = never); a single failure
                     would be absorbed by Lua's emergency collection and retry */
    long failed;
};

static void *
fail_alloc_fn(void *ud, void *ptr, size_t osize, size_t nsize)
{
    struct fail_alloc *fa = ud;
    if (nsize == 0) {
        free(ptr);
        return NULL;
    }
    /* Lua requires shrinking to succeed: only count requests that grow. */
    if (!ptr || nsize > osize) {
        if (++fa->count >= fa->fail_at && fa->fail_at > 0) {
            fa->failed++;
            return NULL;
        }
    }
    return realloc(ptr, nsize);
}

static const char stress_script[] =
    "local ds = assert(ps.create_dataset('s'))\n"
    "ps.transaction(function()\n"
    "  for i = 1, 6 do\n"
    "    ds:add_item{ prompt = 'p' .. i, system = 'sys', history = { { role = 'user', content = "
    "'h' } },\n"
    "      responses = { { text = 'a' .. i, model = 'm1' }, 'b' .. i },\n"
    "      judgments = { { verdict = i % 2 == 0 and 'A' or 'B', annotator = 'x' } },\n"
    "      ratings = { { response = 1, value = i } }, tags = { 't' .. (i % 2) }, meta = { k = i } "
    "}\n"
    "  end\n"
    "end)\n"
    "local n = 0\n"
    "for it in ds:items{ label = 'A', tag = 't0' } do\n"
    "  n = n + #it.responses + #it.judgments + #it.ratings + #it.tags\n"
    "  local _ = it.history[1].content .. it.prompt .. tostring(it.meta.k)\n"
    "  it:judge{ verdict = 'tie', annotator = 'y', rationale = 'r' }\n"
    "  it:tag('z'); it:note('n'); it:rate{ value = 1 }; it:untag('z')\n"
    "  local t = it:to_table()\n"
    "  assert(#t.notes == 1)\n"
    "end\n"
    "assert(ds:count{ search = 'p1' } >= 1)\n"
    "local info = ds:info()\n"
    "local c = ps.stats.counts(ds)\n"
    "local s = ps.json.encode{ info = info, c = c, l = { 1, 2.5, 'x', true } }\n"
    "local back = assert(ps.json.decode(s))\n"
    "local txt = ps.inspect(back, { depth = 4 })\n"
    "local r = ps.template.render_string('{{a}} and {{b.c}}', { a = 'x', b = { c = 2 } })\n"
    "local g = ps.gather{ function() ps.sleep(0); return 1 end, function() ps.yield(); return 2 "
    "end }\n"
    "local m = ps.map({ 1, 2, 3 }, function(v) return v * 2 end, { concurrency = 2 })\n"
    "local ok, err = pcall(ds.items, ds, { nope = 1 })\n"
    "assert(not ok)\n"
    "local t = ps.spawn(function(a) return a end, 5)\n"
    "assert(t:wait() == 5)\n"
    "return n + g[2] + m[3] + #txt + #r\n";

static void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void
test_alloc_failures(const char *script_path)
{
    int completed = 0, errors = 0, new_failures = 0;
    long n;
    for (n = 1; n < 200000 && !completed; n += n < 800 ? 2 : 3) {
        struct fail_alloc fa = {0, n, 0};
        struct ps_lua_opts o;
        memset(&o, 0, sizeof o);
        o.workspace = ":memory:";
        o.alloc = fail_alloc_fn;
        o.alloc_ud = &fa;
        struct ps_lua *pl = NULL;
        struct ps_err err = {0, ""};
        if (ps_lua_new(&pl, &o, &err) != PS_OK) {
            CHECK(err.msg[0] != '\0');
            CHECK(strstr(err.msg, "memory") != NULL);
            new_failures++;
            continue;
        }
        int code = -1;
        int rc = ps_lua_run_file(pl, script_path, 0, NULL, &code, &err);
        if (rc != PS_OK) {
            errors++;
            if (err.msg[0] == '\0')
                fprintf(stderr, "N=%ld: error without a message\n", n);
            CHECK(err.msg[0] != '\0');
        }
        ps_lua_free(pl);
        if (fa.failed == 0) {
            /* The script ran without reaching the N-th allocation: done. */
            CHECK_EQ(rc, PS_OK);
            CHECK(code > 0);
            completed = 1;
        }
    }
    fprintf(stderr, "allocation failures: %ld points tried, %d in setup, %d script errors\n", n - 1,
            new_failures, errors);
    CHECK(completed);
    CHECK(new_failures > 10);
    CHECK(errors > 50);
}

/* ---- stack balance ---- */

static int
registry_size(lua_State *L)
{
    int n = 0;
    lua_pushnil(L);
    while (lua_next(L, LUA_REGISTRYINDEX)) {
        lua_pop(L, 1);
        n++;
    }
    return n;
}

static int calls;

/* Call the function at `fi` with the values at args[0..nargs) (stack indices). */
static void
call_checked(lua_State *L, const char *name, int fi, const int *args, int nargs)
{
    int base = lua_gettop(L);
    lua_pushvalue(L, fi);
    for (int i = 0; i < nargs; i++)
        lua_pushvalue(L, args[i]);
    int status = lua_pcall(L, nargs, LUA_MULTRET, 0);
    int nres = lua_gettop(L) - base;
    calls++;
    if (status == LUA_OK) {
        if (!(nres >= 0 && nres <= 4))
            fprintf(stderr, "%s/%d args: %d results\n", name, nargs, nres);
        CHECK(nres >= 0 && nres <= 4);
    } else {
        CHECK_EQ(nres, 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            fprintf(stderr, "%s/%d args: error of type %s\n", name, nargs, luaL_typename(L, -1));
        CHECK(lua_type(L, -1) == LUA_TSTRING);
    }
    lua_settop(L, base);
    CHECK_EQ(lua_gettop(L), base);
}

static const char *const skip[] = {"close", "delete", "use", "_spawn_observed", NULL};

static int
skipped(const char *name)
{
    for (int i = 0; skip[i]; i++)
        if (strcmp(name, skip[i]) == 0)
            return 1;
    return 0;
}

/* Call every function in the table at `t` with the argument patterns; `self` (0 =
 * none) is passed first. */
static void
call_all(lua_State *L, int t, int self, const int *vals, int nvals, const char *what)
{
    t = lua_absindex(L, t);
    lua_pushnil(L);
    while (lua_next(L, t)) {
        if (lua_type(L, -2) == LUA_TSTRING && lua_isfunction(L, -1) &&
            !skipped(lua_tostring(L, -2))) {
            char name[128];
            snprintf(name, sizeof name, "%s.%s", what, lua_tostring(L, -2));
            int fi = lua_gettop(L);
            int args[3];
            int n0 = 0;
            if (self)
                args[n0++] = self;
            call_checked(L, name, fi, args, n0);
            for (int i = 0; i < nvals; i++) {
                args[n0] = vals[i];
                call_checked(L, name, fi, args, n0 + 1);
                for (int j = 0; j < nvals; j += 2) {
                    args[n0 + 1] = vals[j];
                    call_checked(L, name, fi, args, n0 + 2);
                }
            }
        }
        lua_pop(L, 1);
    }
}

static void
test_stack_balance(void)
{
    struct ps_lua_opts o;
    memset(&o, 0, sizeof o);
    o.workspace = ":memory:";
    struct ps_lua *pl = NULL;
    struct ps_err err = {0, ""};
    CHECK_EQ(ps_lua_new(&pl, &o, &err), PS_OK);
    if (!pl)
        return;
    lua_State *L = ps_lua_state(pl);
    /* Handles of every type, kept in globals; a finished task; a model that fails fast. */
    CHECK(ps_lua_repl_feed(pl,
                           "H = {}; H.ws = ps.workspace(); H.ds = ps.create_dataset('demo');"
                           "H.it = H.ds:add_item{ prompt = 'p', responses = { 'a', 'b' },"
                           "  judgments = { { verdict = 'A' } } };"
                           "H.task = ps.spawn(function() return 1 end);"
                           "H.model = ps.model{ base_url = 'http://127.0.0.1:1/v1', model = 'x',"
                           "  max_retries = 0, connect_timeout = 1 }") == PS_LUA_FEED_RUNNING);
    while (ps_lua_busy(pl))
        ps_lua_step(pl, -1);
    lua_settop(L, 0);
    lua_gc(L, LUA_GCCOLLECT, 0);
    int reg0 = registry_size(L);

    /* Argument values: a string, an empty table, a number, a boolean, a plausible
     * option table, a function, nil. */
    lua_pushliteral(L, "x"); /* 1 */
    lua_newtable(L);         /* 2 */
    lua_pushinteger(L, 1);   /* 3 */
    lua_pushboolean(L, 1);   /* 4 */
    luaL_dostring(L, "return { label = 'A', verdict = 'B', prompt = 'q', responses = { 'r' }, "
                     "value = 2 }");                    /* 5 */
    luaL_dostring(L, "return function() return 7 end"); /* 6 */
    lua_pushnil(L);                                     /* 7 */
    int vals[] = {1, 2, 3, 4, 5, 6, 7};
    int nvals = 7;

    lua_getglobal(L, "ps");
    int ps = lua_gettop(L);
    call_all(L, ps, 0, vals, nvals, "ps");
    static const char *const subs[] = {"json", "template", "ui", "stats", NULL};
    for (int i = 0; subs[i]; i++) {
        lua_getfield(L, ps, subs[i]);
        call_all(L, -1, 0, vals, nvals, subs[i]);
        lua_pop(L, 1);
    }
    static const struct {
        const char *handle, *mt;
    } types[] = {{"ws", "ps.Workspace"},
                 {"ds", "ps.Dataset"},
                 {"it", "ps.Item"},
                 {"task", "ps.Task"},
                 {"model", "ps.Model"}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        lua_getglobal(L, "H");
        lua_getfield(L, -1, types[i].handle);
        int self = lua_gettop(L);
        CHECK(lua_type(L, self) == LUA_TUSERDATA);
        luaL_getmetatable(L, types[i].mt);
        lua_getfield(L, -1, "methods");
        call_all(L, -1, self, vals, nvals, types[i].mt);
        /* metamethods too (__index with every key, __tostring, __len, __eq) */
        call_all(L, -2, self, vals, nvals, types[i].mt);
        lua_settop(L, self - 2);
    }
    lua_settop(L, 0);
    while (ps_lua_busy(pl))
        ps_lua_step(pl, -1);
    lua_gc(L, LUA_GCCOLLECT, 0);
    int reg1 = registry_size(L);
    if (reg1 != reg0)
        fprintf(stderr, "registry: %d entries before, %d after\n", reg0, reg1);
    CHECK(reg1 <= reg0 + 1); /* the current workspace may have been replaced */
    fprintf(stderr, "stack balance: %d calls\n", calls);
    CHECK(calls > 1000);
    ps_lua_free(pl);
}

/* ---- interrupts from C ---- */

static void
on_alarm(int sig)
{
    (void)sig;
    ps_lua_signal_interrupt();
}

static void
test_interrupt(void)
{
    struct ps_lua_opts o;
    memset(&o, 0, sizeof o);
    o.workspace = ":memory:";
    struct ps_lua *pl = NULL;
    struct ps_err err = {0, ""};
    CHECK_EQ(ps_lua_new(&pl, &o, &err), PS_OK);
    if (!pl)
        return;
    /* A busy loop and a sleeper, both cancelled by one interrupt. */
    CHECK(ps_lua_repl_feed(pl, "ps.spawn(function() ps.sleep(60000) end); while true do end") ==
          PS_LUA_FEED_RUNNING);
    /* The loop never waits: it is time-sliced back to us, and the interrupt comes
     * from a signal handler, as Ctrl-C does. */
    signal(SIGALRM, on_alarm);
    alarm(1);
    double t0 = 0;
    for (int i = 0; i < 500 && ps_lua_busy(pl); i++) {
        ps_lua_step(pl, 10);
        t0 += 1;
    }
    alarm(0);
    CHECK_EQ(ps_lua_busy(pl), 0);
    CHECK(t0 > 5); /* the slices came back to the loop before the interrupt */
    /* The same with ps_lua_interrupt (a TUI key). */
    CHECK(ps_lua_repl_feed(pl, "while true do end") == PS_LUA_FEED_RUNNING);
    ps_lua_step(pl, 0);
    CHECK_EQ(ps_lua_busy(pl), 1);
    ps_lua_interrupt(pl);
    for (int i = 0; i < 100 && ps_lua_busy(pl); i++)
        ps_lua_step(pl, 10);
    CHECK_EQ(ps_lua_busy(pl), 0);
    CHECK_EQ(ps_lua_repl_busy(pl), 0);
    /* The engine is usable afterwards. */
    CHECK(ps_lua_repl_feed(pl, "x = 1 + 1") == PS_LUA_FEED_RUNNING);
    while (ps_lua_busy(pl))
        ps_lua_step(pl, -1);
    lua_getglobal(ps_lua_state(pl), "x");
    CHECK_EQ(lua_tointeger(ps_lua_state(pl), -1), 2);
    lua_pop(ps_lua_state(pl), 1);
    ps_lua_free(pl);
}

/* Top-level settings: strings, numbers (as text) and booleans; tables are not
 * settings. */
static void
test_config_settings(const char *dir)
{
    char path[300];
    snprintf(path, sizeof path, "%s/settings.lua", dir);
    write_file(path, "user = 'bob'\nmouse = false\nblind = true\ndouble_click_ms = 600\n"
                     "ratio = 0.5\nnested = { a = 1 }\n");
    struct config *c = NULL;
    struct ps_err err = {0, ""};
    CHECK_EQ(config_load_file(&c, path, &err), PS_OK);
    const char *v;
    CHECK((v = config_get(c, "user")) && strcmp(v, "bob") == 0);
    CHECK((v = config_get(c, "mouse")) && strcmp(v, "false") == 0);
    CHECK((v = config_get(c, "blind")) && strcmp(v, "true") == 0);
    CHECK((v = config_get(c, "double_click_ms")) && strcmp(v, "600") == 0);
    CHECK((v = config_get(c, "ratio")) && strcmp(v, "0.5") == 0);
    CHECK(config_get(c, "nested") == NULL);
    CHECK(config_get(c, "absent") == NULL);
    config_free(c);
}

int
main(void)
{
    char dir[] = "/tmp/ps_lua_bindings.XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    if (chdir(dir) != 0)
        return 1;
    /* Output of the bindings (print, ui.status) is noise here. */
    if (!freopen("/dev/null", "w", stdout))
        return 1;
    char script[256];
    snprintf(script, sizeof script, "%s/stress.lua", dir);
    write_file(script, stress_script);
    test_interrupt();
    test_stack_balance();
    test_alloc_failures(script);
    test_config_settings(dir);
    int rc = system("true");
    (void)rc;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    rc = system(cmd);
    (void)rc;
    return test_summary();
}
