/* prefscope [tui] [WORKSPACE|FILE]: open the terminal UI.
 *
 * The argument is a workspace (an sqlite file) or a data file.  A data file is
 * imported first into the workspace (-w, $PREFSCOPE_WORKSPACE or ./prefscope.db),
 * unless a dataset of that name is already there, and then opened directly; when
 * the default workspace cannot be written, a temporary one is used instead. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/app.h"
#include "app/stream.h"
#include "app/opts.h"
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
    "'prefscope import' reads) is opened directly, unless a dataset of that name\n"
    "exists already: its items show as soon as the first 200 arrive and the rest\n"
    "streams in behind a progress bar; Ctrl-C or quitting asks whether to keep what\n"
    "arrived, and reopening an incomplete one offers to resume.  Keys: ? in the UI\n"
    "lists them all (docs/keys.md).  NO_COLOR=1 for monochrome.\n"
    "\n";

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
#define TUI_OPTS(_) \
    _('d', "dataset", "NAME", "open this dataset's item list") \
    _(TUI_OPT_FEEDBACK, "feedback", "ID", "open the critique view of feedback ID (C3PO review)") \
    _(TUI_OPT_THEME, "theme", "NAME", \
      "colour theme (themes/*.lua: dark, light, high-contrast, basic16;\n" \
      "default $PREFSCOPE_THEME, the config's theme = \"NAME\", dark)") \
    _(TUI_OPT_USER, "user", "NAME", \
      "label as human:NAME (default $PREFSCOPE_USER, the config's\n" \
      "user = \"NAME\", then $USER)") \
    _(TUI_OPT_BLIND, "blind", NULL, \
      "blind labeling: sides in a random order per item, models,\n" \
      "verdicts and ratings hidden until labeled (kept in the\n" \
      "workspace; :blind off or M ends it)") \
    _(TUI_OPT_NO_MOUSE, "no-mouse", NULL, \
      "leave the mouse to the terminal, to select text as usual\n" \
      "(also the config's mouse = false, or :mouse off in the UI)") \
    _(TUI_OPT_KEYS, "print-keys", NULL, "print every command and key binding as Markdown")
APP_OPTS(tui_opts, TUI_OPTS);

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

/* A dataset whose streamed import stopped before the end (store.h): ask on the
 * terminal, before the UI starts, whether to resume it, start over or open it as it
 * is.  Returns 'r', 's' or 'o'. */
static int
tui_ask_resume(const struct store_dataset *d, const char *status, const char *file)
{
    struct strbuf n1 = STRBUF_INIT, n2 = STRBUF_INIT;
    fprintf(stderr,
            "prefscope: dataset '%s' holds the first %lld records of %s: its import was %s.\n"
            "  r: resume the import · s: start over (labels on it are lost) · o: open it as it is"
            " [r/s/o] ",
            text_clean(&n1, d->name), (long long)d->import_records, text_clean(&n2, file),
            strcmp(status, "interrupted") == 0 ? "interrupted (the process was killed)"
                                               : "stopped and what had arrived was kept");
    sb_free(&n1);
    sb_free(&n2);
    char line[64];
    for (;;) {
        if (!fgets(line, sizeof line, stdin))
            return 'o';
        char c = line[0];
        if (c == 'r' || c == 's' || c == 'o')
            return c;
        if (c == '\n')
            return 'r';
        fprintf(stderr, "  r, s or o: ");
    }
}

/* Open `file`: stream it into its dataset (stream.h) unless the dataset exists
 * complete; *name receives the dataset, *sm the running import (or NULL). */
static int
tui_import(struct app *app, const char *file, char *name, size_t size, struct stream **sm)
{
    struct store *st = app_store(app);
    *sm = NULL;
    if (!st)
        return PS_ERR;
    import_default_name(file, name, size);
    int64_t id;
    struct ps_err ignore = {0, ""};
    struct stream_opts so;
    memset(&so, 0, sizeof so);
    so.st = st;
    so.file = file;
    so.name = name;
    if (store_dataset_find(st, name, &id, &ignore) == PS_OK) {
        struct store_dataset d;
        if (store_dataset_get(st, id, &d, &app->err) != PS_OK)
            return app->err.code;
        const char *status = store_dataset_import_status(&d);
        int choice = 'o';
        if (status && strcmp(status, "importing") != 0)
            choice = tui_ask_resume(&d, status, file);
        so.skip = choice == 'r' ? (long)d.import_records : 0;
        so.replace = choice == 's';
        store_dataset_free(&d);
        if (choice == 'o') {
            struct strbuf n1 = STRBUF_INIT;
            fprintf(stderr, "prefscope: opening dataset '%s' (already in %s%s)\n",
                    text_clean(&n1, name), store_path(st), status ? ", not complete" : "");
            sb_free(&n1);
            return PS_OK;
        }
    }
    return stream_start(sm, &so, &app->err);
}

/* The UI's hooks: the REPL's Lua engine and the import streaming in, either may be
 * NULL. */
struct tui_hooks {
    struct ps_lua *pl;
    struct stream *sm;
};

static void
tui_hook_start(struct tui *tui, void *ud)
{
    struct tui_hooks *h = ud;
    if (h->sm)
        stream_attach(h->sm, tui);
}

static int
tui_hook_quit(struct tui *tui, void *ud)
{
    struct tui_hooks *h = ud;
    return h->sm ? stream_quit(h->sm, tui) : 0;
}

/* Ctrl-C in the main view with the REPL pane closed: tasks started from the pane
 * keep running in the background, so stop them here too. */
static void
tui_cancel_lua(struct tui *tui, void *ud)
{
    struct tui_hooks *h = ud;
    if (h->sm && stream_cancel(h->sm, tui))
        return; /* Ctrl-C during an import asks about the import first */
    struct ps_lua *pl = h->pl;
    if (pl && ps_lua_busy(pl)) {
        ps_lua_interrupt(pl);
        tui_msg(tui, "Lua tasks interrupted");
    }
}

int
cmd_tui(struct app *app, int argc, char **argv)
{
    long long t0 = tui_clock_ms();
    const char *dataset = NULL, *theme = NULL, *user = NULL;
    long long feedback = 0;
    int blind = 0, no_mouse = 0;
    int c;
    struct app_optparse p;
    app_opt_begin(&p, app, "tui", tui_usage, tui_opts, argc, argv);
    while ((c = app_opt_next(&p)) != APP_OPT_END) {
        switch (c) {
        case APP_OPT_EXIT: return p.status;
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
        }
    }
    if (optind + 1 < argc)
        return app_failf(app, "tui: expected one WORKSPACE or FILE, got '%s' too",
                         argv[optind + 1]);

    struct tui_hooks hooks = {NULL, NULL};
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
        /* (a pipe is data: reading its first bytes here would lose them) */
        if (S_ISREG(sb.st_mode) && tui_is_sqlite(path)) {
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
            if (tui_import(app, path, name, sizeof name, &hooks.sm) != PS_OK)
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
    }
    hooks.pl = pl;
    to.on_start = tui_hook_start;
    to.on_cancel = tui_cancel_lua;
    to.on_quit = tui_hook_quit;
    to.hook_ud = &hooks;
    int rc = tui_run(st, &to, &app->err);
    if (hooks.sm) {
        /* stopped by a signal or a failed UI: what arrived is kept, marked */
        const char *said;
        stream_stop(hooks.sm, &said);
        struct strbuf clean = STRBUF_INIT;
        if (*said)
            fprintf(stderr, "prefscope: %s\n", text_clean(&clean, said));
        sb_free(&clean);
        stream_free(hooks.sm);
    }
    ps_lua_free(pl);
    config_free(cfg);
    return rc != PS_OK ? app_fail(app) : 0;
}
