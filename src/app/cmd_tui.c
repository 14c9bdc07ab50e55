/* prefscope [tui] [WORKSPACE|FILE]: open the terminal UI.
 *
 * The argument is a workspace (an sqlite file) or a data file.  A data file is
 * imported first into the workspace (-w, $PREFSCOPE_WORKSPACE or ./prefscope.db),
 * unless a dataset of that name is already there, and then opened directly; when
 * the default workspace cannot be written, a temporary one is used instead. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/app.h"
#include "core/sanitize.h"
#include "core/strbuf.h"
#include "formats/import.h"
#include "lua/config.h"
#include "lua/ps_lua.h"
#include "store/store.h"
#include "tui/tui.h"

static const char tui_usage[] =
    "usage: prefscope [tui] [-w WORKSPACE] [options] [WORKSPACE|FILE]\n"
    "\n"
    "Open the terminal UI: dataset list -> item list -> pair view.  FILE (any format\n"
    "'prefscope import' reads) is imported into the workspace first, unless a dataset\n"
    "of that name exists already, and opened directly.\n"
    "\n"
    "  -w, --workspace F   workspace file (default $PREFSCOPE_WORKSPACE or ./prefscope.db)\n"
    "  -d, --dataset NAME  open this dataset's item list\n"
    "  --feedback ID       open the critique view of feedback ID (C3PO review)\n"
    "  --theme NAME        colour theme (themes/*.lua: dark, light, high-contrast, basic16;\n"
    "                      default $PREFSCOPE_THEME, the config's theme = \"NAME\", dark)\n"
    "  --user NAME         label as human:NAME (default $PREFSCOPE_USER, the config's\n"
    "                      user = \"NAME\", then $USER)\n"
    "  --blind             blind labeling: sides in a random order per item, models,\n"
    "                      verdicts and ratings hidden until labeled (kept in the\n"
    "                      workspace; :blind off or M ends it)\n"
    "  --no-mouse          leave the mouse to the terminal, to select text as usual\n"
    "                      (also the config's mouse = false, or :mouse off in the UI)\n"
    "  --print-keys        print every command and key binding as Markdown\n"
    "\n"
    "Keys: ? in the UI lists them all (docs/keys.md).  NO_COLOR=1 for monochrome.\n";

/* The REPL pane's view (src/tui/view_repl.c); an incomplete type here, as src/app
 * does not include curses. */
extern const struct view_ops view_repl_ops;

enum {
    TUI_OPT_THEME = APP_OPT_FIRST_FREE,
    TUI_OPT_USER,
    TUI_OPT_KEYS,
    TUI_OPT_FEEDBACK,
    TUI_OPT_BLIND,
    TUI_OPT_NO_MOUSE
};

/* 1 when path is an sqlite database (by its header), 0 otherwise. */
static int
tui_is_sqlite(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    char hdr[16];
    size_t n = fread(hdr, 1, sizeof hdr, f);
    fclose(f);
    return n == 16 && memcmp(hdr, "SQLite format 3", 16) == 0;
}

/* The user name for judgments: --user, $PREFSCOPE_USER, the config's `user`
 * (or `annotator = "human:NAME"`), $USER.  Letters, digits and ._-@ only, so it
 * is safe in an annotator id. */
static void
tui_user(const char *given, const struct config *cfg, char *out, size_t size)
{
    const char *u = given;
    if (!u || !*u)
        u = getenv("PREFSCOPE_USER");
    if ((!u || !*u) && cfg)
        u = config_get(cfg, "user");
    if ((!u || !*u) && cfg && config_get(cfg, "annotator")) {
        u = config_get(cfg, "annotator");
        if (strncmp(u, "human:", 6) == 0)
            u += 6;
    }
    if (!u || !*u)
        u = getenv("USER");
    if (!u || !*u)
        u = "me";
    size_t k = 0;
    for (const char *p = u; *p && k + 1 < size; p++) {
        char c = *p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-' || c == '@';
        out[k++] = ok ? c : '_';
    }
    out[k] = '\0';
}

/* Import `file` unless its dataset already exists; *name receives the dataset. */
static int
tui_import(struct app *app, const char *file, char *name, size_t size)
{
    struct store *st = app_store(app);
    if (!st)
        return PS_ERR;
    import_default_name(file, name, size);
    int64_t id;
    struct ps_err ignore = {0, ""};
    if (store_dataset_find(st, name, &id, &ignore) == PS_OK) {
        fprintf(stderr, "prefscope: opening dataset '%s' (already in %s)\n", name, store_path(st));
        return PS_OK;
    }
    struct import_opts io;
    memset(&io, 0, sizeof io);
    io.name = name;
    io.out = stderr;
    struct import_result res;
    memset(&res, 0, sizeof res);
    char *files[1] = {(char *)file};
    if (import_files(st, files, 1, &io, &res, &app->err) != PS_OK)
        return app->err.code;
    snprintf(name, size, "%s", res.name);
    struct strbuf n1 = STRBUF_INIT, n2 = STRBUF_INIT;
    fprintf(stderr, "prefscope: imported %ld records into '%s' (%s)\n", res.records,
            text_clean(&n1, res.name), text_clean(&n2, store_path(st)));
    sb_free(&n1);
    sb_free(&n2);
    return PS_OK;
}

/* Ctrl-C in the main view with the REPL pane closed: tasks started from the pane
 * keep running in the background, so stop them here too. */
static void
tui_cancel_lua(struct tui *tui, void *ud)
{
    struct ps_lua *pl = ud;
    if (ps_lua_busy(pl)) {
        ps_lua_interrupt(pl);
        tui_msg(tui, "Lua tasks interrupted");
    }
}

int
cmd_tui(struct app *app, int argc, char **argv)
{
    static const struct option opts[] = {
        {"workspace", required_argument, NULL, 'w'},
        {"config", required_argument, NULL, APP_OPT_CONFIG},
        {"dataset", required_argument, NULL, 'd'},
        {"feedback", required_argument, NULL, TUI_OPT_FEEDBACK},
        {"theme", required_argument, NULL, TUI_OPT_THEME},
        {"user", required_argument, NULL, TUI_OPT_USER},
        {"print-keys", no_argument, NULL, TUI_OPT_KEYS},
        {"blind", no_argument, NULL, TUI_OPT_BLIND},
        {"no-mouse", no_argument, NULL, TUI_OPT_NO_MOUSE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    long long t0 = tui_clock_ms();
    const char *dataset = NULL, *theme = NULL, *user = NULL;
    long long feedback = 0;
    int blind = 0, no_mouse = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "w:d:h", opts, NULL)) != -1) {
        if (app_common_opt(app, c, optarg))
            continue;
        switch (c) {
        case 'd': dataset = optarg; break;
        case TUI_OPT_FEEDBACK:
            feedback = atoll(optarg);
            if (feedback <= 0)
                return app_failf(app, "tui: --feedback expects a feedback id, not '%s'", optarg);
            break;
        case TUI_OPT_THEME: theme = optarg; break;
        case TUI_OPT_USER: user = optarg; break;
        case TUI_OPT_BLIND: blind = 1; break;
        case TUI_OPT_NO_MOUSE: no_mouse = 1; break;
        case TUI_OPT_KEYS: tui_print_keys(stdout); return 0;
        case 'h': fputs(tui_usage, stdout); return 0;
        default: fputs(tui_usage, stderr); return 2;
        }
    }
    if (optind + 1 < argc)
        return app_failf(app, "tui: expected one WORKSPACE or FILE, got '%s' too",
                         argv[optind + 1]);

    char name[256] = "";
    char tmpdir[64] = "";
    char tmpws[96] = "";
    if (optind < argc) {
        const char *path = argv[optind];
        struct stat sb;
        if (stat(path, &sb) != 0)
            return app_failf(app, "'%s': %s", path, strerror(errno));
        if (S_ISDIR(sb.st_mode))
            return app_failf(app, "'%s' is a directory; give a workspace or a data file", path);
        /* Before importing anything: a UI without a terminal is a mistake. */
        if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
            return app_failf(app, "the terminal UI needs a terminal (stdin and stdout); "
                                  "'prefscope import' imports without one");
        if (tui_is_sqlite(path)) {
            app->workspace = path;
        } else {
            const char *ws = store_default_path(app->workspace);
            /* The default workspace may sit in an unwritable directory: fall back
             * to a temporary workspace rather than refusing to show the file. */
            if (access(ws, W_OK) != 0 && access(".", W_OK) != 0 && !app->workspace &&
                !getenv("PREFSCOPE_WORKSPACE")) {
                const char *t = getenv("TMPDIR");
                snprintf(tmpdir, sizeof tmpdir, "%s/prefscope.XXXXXX",
                         t && strlen(t) < 40 ? t : "/tmp");
                if (!mkdtemp(tmpdir))
                    return app_failf(app, "cannot create a temporary workspace: %s",
                                     strerror(errno));
                snprintf(tmpws, sizeof tmpws, "%s/prefscope.db", tmpdir);
                app->workspace = tmpws;
                fprintf(stderr, "prefscope: using the temporary workspace %s\n", tmpws);
            }
            if (tui_import(app, path, name, sizeof name) != PS_OK)
                return app_fail(app);
            dataset = name;
        }
    }
    struct store *st = app_store(app);
    if (!st)
        return app_fail(app);
    if (dataset) {
        int64_t id;
        if (store_dataset_find(st, dataset, &id, &app->err) != PS_OK)
            return app_fail(app);
    }
    /* The user's config names the labeler and the theme; a broken config must
     * not keep the UI from opening, so its error goes to the status line. */
    struct config *cfg = NULL;
    struct ps_err cerr = {0, ""};
    if (config_load(&cfg, app->config, store_path(st), &cerr) != PS_OK)
        cfg = NULL;
    /* Asked (or not) once, before the screen is taken: later loads of the config
     * (models from the REPL pane) must not prompt over the UI. */
    setenv("PREFSCOPE_NO_TRUST_PROMPT", "1", 1);
    char uname[128];
    tui_user(user, cfg, uname, sizeof uname);
    if (!theme || !*theme)
        theme = getenv("PREFSCOPE_THEME");
    if ((!theme || !*theme) && cfg)
        theme = config_get(cfg, "theme");
    struct tui_opts to;
    memset(&to, 0, sizeof to);
    to.workspace = store_path(st);
    to.user = uname;
    to.theme = theme;
    to.dataset = dataset;
    to.feedback = feedback;
    to.blind = blind;
    /* mouse = false (or off, no, 0) in the config: as --no-mouse */
    const char *mouse = cfg ? config_get(cfg, "mouse") : NULL;
    to.no_mouse = no_mouse || (mouse && (!strcmp(mouse, "false") || !strcmp(mouse, "off") ||
                                         !strcmp(mouse, "no") || !strcmp(mouse, "0")));
    /* double_click_ms = 600: for slow hands or a link with jitter (100 to 5000) */
    const char *dc = cfg ? config_get(cfg, "double_click_ms") : NULL;
    if (dc && atoi(dc) >= 100 && atoi(dc) <= 5000)
        to.double_click_ms = atoi(dc);
    to.t0_ms = t0;
    to.notice = cerr.msg[0] ? cerr.msg : NULL;
    /* The REPL pane (src/tui/view_repl.c) runs on this engine, bound to the UI's
     * workspace; without it the pane reports that it is unavailable. */
    struct ps_lua *pl = NULL;
    struct ps_lua_opts lo;
    memset(&lo, 0, sizeof lo);
    lo.store = st;
    lo.workspace = store_path(st);
    lo.config = app->config;
    lo.user = uname; /* ps.user labels as the UI does */
    struct ps_err lerr = {0, ""};
    if (ps_lua_new(&pl, &lo, &lerr) == PS_OK) {
        to.repl_ops = &view_repl_ops;
        to.repl_ctx = pl;
        to.on_cancel = tui_cancel_lua;
        to.hook_ud = pl;
    }
    int rc = tui_run(st, &to, &app->err);
    ps_lua_free(pl);
    config_free(cfg);
    return rc != PS_OK ? app_fail(app) : 0;
}
