/* prefscope run: execute a Lua script headless with the ps API. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>

#include "app/app.h"
#include "app/opts.h"
#include "lua/ps_lua.h"

static const char run_usage[] =
    "usage: prefscope run [-w WORKSPACE] [--config FILE] SCRIPT.lua|- [ARGS...]\n"
    "       prefscope run [-w WORKSPACE] [--config FILE] -m MODULE [ARGS...]\n"
    "\n"
    "Run a Lua script (- = read it from stdin) with the ps API (docs/lua-api.md),\n"
    "without the terminal UI.  -m runs a module's main(...) instead: the recipes\n"
    "are `prefscope run -m recipes.NAME --help` (docs/recipes.md); a name not found\n"
    "as given is looked up under prefscope. (recipes.x = prefscope.recipes.x).\n"
    "The script sees its arguments in the global table `arg` (arg[0] = SCRIPT) and as\n"
    "`...`.  The exit status is the script's return value (an integer; true or nothing\n"
    "= 0, false = 1) or the code given to os.exit; 1 after an error (reported with a\n"
    "traceback naming script:line); 130 after Ctrl-C.\n"
    "\n";
#define RUN_OPTS(_) \
    _('m', "module", "NAME", \
      "run require(NAME).main(ARGS...); everything after NAME\n" \
      "goes to the module")
APP_OPTS(run_opts, RUN_OPTS);

/* Signal flag for a forced exit: the third Ctrl-C ends the process even when the
 * script sits in a long C call that never reaches the interrupt hook. */
static volatile sig_atomic_t run_sigint_count;

/* The path of the launcher of -m (lua-modules/prefscope/run_module.lua), found on the
 * engine's module path so an installed copy and $PS_LUA_PATH work like require. */
static int
run_find_launcher(struct ps_lua *pl, char *buf, size_t size)
{
    lua_State *L = ps_lua_state(pl);
    int top = lua_gettop(L);
    int ok = 0;
    if (lua_getglobal(L, "package") == LUA_TTABLE &&
        lua_getfield(L, -1, "searchpath") == LUA_TFUNCTION) {
        lua_pushstring(L, "prefscope.run_module");
        lua_getfield(L, -3, "path");
        if (lua_pcall(L, 2, 1, 0) == LUA_OK && lua_isstring(L, -1)) {
            snprintf(buf, size, "%s", lua_tostring(L, -1));
            ok = 1;
        }
    }
    lua_settop(L, top);
    return ok;
}

static void
run_on_sigint(int sig)
{
    (void)sig;
    if (++run_sigint_count >= 3)
        _exit(130);
    ps_lua_signal_interrupt();
}

int
cmd_run(struct app *app, int argc, char **argv)
{
    int c;
    const char *module = NULL;
    struct app_optparse p;
    app_opt_begin(&p, app, "run", run_usage, run_opts, argc, argv);
    /* stop at the script name, so its own options reach the script; likewise after
     * -m NAME */
    app_opt_in_order(&p);
    while (!module && (c = app_opt_next(&p)) != APP_OPT_END) {
        if (c == APP_OPT_EXIT)
            return p.status;
        if (c == 'm')
            module = optarg;
    }
    if (!module && optind >= argc)
        return app_failf(app, "run: which script? (prefscope run SCRIPT.lua [ARGS...])");
    const char *script = module ? NULL : argv[optind];
    if (script && strcmp(script, "-") != 0 && access(script, R_OK) != 0)
        return app_failf(app, "run: cannot read '%s'", script);

    struct ps_lua_opts lo;
    memset(&lo, 0, sizeof lo);
    lo.workspace = app->workspace;
    lo.config = app->config;
    struct ps_lua *pl;
    if (ps_lua_new(&pl, &lo, &app->err) != PS_OK)
        return app_fail(app);

    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = run_on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);

    int code = 1;
    int rc;
    if (module) {
        /* the launcher gets the module name, then the module's own arguments:
         * argv[optind - 1] is NAME (getopt left optind just past it) */
        char launcher[4096];
        if (!run_find_launcher(pl, launcher, sizeof launcher)) {
            ps_lua_free(pl);
            sigaction(SIGINT, &old, NULL);
            return app_failf(app,
                             "run: the -m launcher (prefscope/run_module.lua) is not installed");
        }
        argv[optind - 1] = (char *)module;
        rc = ps_lua_run_file(pl, launcher, argc - optind + 1, argv + optind - 1, &code, &app->err);
    } else {
        rc = ps_lua_run_file(pl, script, argc - optind - 1, argv + optind + 1, &code, &app->err);
    }
    ps_lua_free(pl);
    sigaction(SIGINT, &old, NULL);
    fflush(stdout);
    if (rc != PS_OK) {
        app_fail(app);
        return code ? code : 1;
    }
    return code;
}
