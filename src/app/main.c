/* prefscope entry point: global options, subcommand dispatch. */
#include <getopt.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "core/sanitize.h"
#include "core/strbuf.h"
#include "store/store.h"

struct app_command {
    const char *name;
    const char *summary;
    int (*fn)(struct app *, int, char **);
};

static const struct app_command app_commands[] = {
#define PS_CMD_ENTRY(name, summary) {#name, summary, cmd_##name},
    PS_COMMANDS(PS_CMD_ENTRY)
#undef PS_CMD_ENTRY
};
#define N_COMMANDS (sizeof app_commands / sizeof app_commands[0])

static void
usage(FILE *f)
{
    fprintf(f, "usage: prefscope [-w WORKSPACE] [FILE|WORKSPACE]\n"
               "       prefscope COMMAND [-w WORKSPACE] [options] [args]\n"
               "\n"
               "A terminal workbench for preference data (pairs of responses and judgments).\n"
               "\n"
               "Commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-10s %s\n", app_commands[i].name, app_commands[i].summary);
    fprintf(
        f,
        "\n"
        "Global options:\n"
        "  -w, --workspace FILE  workspace file (default $PREFSCOPE_WORKSPACE or ./prefscope.db)\n"
        "  --config FILE         Lua config (default $PREFSCOPE_CONFIG, ./prefscope.lua,\n"
        "                        ~/.config/prefscope/config.lua)\n"
        "  -h, --help            this help; 'prefscope COMMAND --help' for a command\n"
        "  --version             print the version\n");
}

struct store *
app_store(struct app *app)
{
    if (app->store)
        return app->store;
    if (store_open(&app->store, store_default_path(app->workspace), &app->err) != PS_OK)
        return NULL;
    if (store_readonly(app->store)) {
        /* Said once, when the workspace is opened, on stderr so that stdout stays clean
         * for --json and exports. */
        struct strbuf path = STRBUF_INIT;
        const char *p = store_path(app->store);
        text_sanitize(p, strlen(p), &path, TEXT_SAN_ONELINE);
        fprintf(stderr, "prefscope: %s: no write access, workspace opened read-only%s\n",
                sb_str(&path),
                store_readonly(app->store) == 2 ? " (changes made meanwhile by others are not seen)"
                                                : "");
        sb_free(&path);
    }
    return app->store;
}

int
app_fail(struct app *app)
{
    /* Messages quote names, paths and values from data: every one goes through the
     * sanitizer here, once (newlines and tabs of multi-line messages are kept). */
    const char *m = app->err.msg[0] ? app->err.msg : ps_status_str(app->err.code);
    struct strbuf clean = STRBUF_INIT;
    text_sanitize(m, strlen(m), &clean, 0);
    fprintf(stderr, "prefscope: %s\n", sb_str(&clean));
    sb_free(&clean);
    return 1;
}

static int
app_wait_progress(void *ud, const char *holder, double waited)
{
    struct app *app = ud;
    if (app->wait_said >= 0 && waited - app->wait_said < 10)
        return 0;
    app->wait_said = waited;
    struct strbuf clean = STRBUF_INIT;
    fprintf(stderr, "prefscope: waiting for the workspace: %s holds it (%.0f s; Ctrl-C stops)\n",
            text_clean(&clean, holder), waited);
    sb_free(&clean);
    return 0;
}

void
app_long_writer(struct app *app, const char *what)
{
    app->wait_said = -1;
    if (app->store)
        store_set_writer(app->store, what, app_wait_progress, app);
}

void
app_print_clean(FILE *f, const char *s)
{
    struct strbuf clean = STRBUF_INIT;
    text_sanitize(s, strlen(s), &clean, 0);
    fwrite(sb_str(&clean), 1, clean.len, f);
    sb_free(&clean);
}

int
app_failf(struct app *app, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(app->err.msg, sizeof app->err.msg, fmt, ap);
    va_end(ap);
    app->err.code = PS_ERR_USAGE;
    return app_fail(app);
}

int
app_bad_option(const char *cmd, char **argv)
{
    /* getopt leaves the offending word at optind - 1 */
    const char *word = optind > 0 ? argv[optind - 1] : NULL;
    if (!word || word[0] != '-')
        word = "?";
    struct strbuf clean = STRBUF_INIT;
    fprintf(stderr,
            "prefscope: %s: unknown option or missing value: '%s' (see prefscope %s --help)\n", cmd,
            text_clean(&clean, word), cmd);
    sb_free(&clean);
    return 2;
}

int
app_common_opt(struct app *app, int opt, const char *value)
{
    switch (opt) {
    case 'w': app->workspace = value; return 1;
    case APP_OPT_CONFIG: app->config = value; return 1;
    default: return 0;
    }
}

int
app_parse_plain(struct app *app, const char *cmd, const char *usage, int argc, char **argv,
                int *json)
{
    static const struct option with_json[] = {
        {"workspace", required_argument, NULL, 'w'},
        {"config", required_argument, NULL, APP_OPT_CONFIG},
        {"json", no_argument, NULL, APP_OPT_JSON},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static const struct option without_json[] = {
        {"workspace", required_argument, NULL, 'w'},
        {"config", required_argument, NULL, APP_OPT_CONFIG},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    if (json)
        *json = 0;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "w:h", json ? with_json : without_json, NULL)) != -1) {
        if (app_common_opt(app, c, optarg))
            continue;
        if (c == APP_OPT_JSON && json) {
            *json = 1;
        } else if (c == 'h') {
            fputs(usage, stdout);
            return 0;
        } else {
            return app_bad_option(cmd, argv);
        }
    }
    return -1;
}

static const struct app_command *
find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(app_commands[i].name, name) == 0)
            return &app_commands[i];
    return NULL;
}

int
main(int argc, char **argv)
{
    struct app app;
    memset(&app, 0, sizeof app);
    app.argv0 = argv[0];
    setlocale(LC_ALL, "");
    store_process_init(); /* before any other thread or sqlite call */
    if (getenv("PREFSCOPE_CONFIG"))
        app.config = getenv("PREFSCOPE_CONFIG");

    /* Global options before the command name. */
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--version") == 0) {
            printf("prefscope %s\n", PS_VERSION);
            return 0;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if ((strcmp(a, "-w") == 0 || strcmp(a, "--workspace") == 0) && i + 1 < argc) {
            app.workspace = argv[++i];
        } else if (strncmp(a, "--workspace=", 12) == 0) {
            app.workspace = a + 12;
        } else if (strcmp(a, "--config") == 0 && i + 1 < argc) {
            app.config = argv[++i];
        } else if (strncmp(a, "--config=", 9) == 0) {
            app.config = a + 9;
        } else {
            break;
        }
    }

    int rc;
    const struct app_command *cmd = i < argc ? find_command(argv[i]) : NULL;
    if (cmd) {
        rc = cmd->fn(&app, argc - i, argv + i);
    } else if (i < argc && argv[i][0] == '-') {
        struct strbuf clean = STRBUF_INIT;
        fprintf(stderr, "prefscope: unknown option '%s' (see prefscope --help)\n",
                text_clean(&clean, argv[i]));
        sb_free(&clean);
        rc = 2;
    } else {
        /* No command: open the TUI on what remains (a data file or a workspace). */
        char *targv[3] = {"tui", NULL, NULL};
        int targc = 1;
        if (i < argc)
            targv[targc++] = argv[i];
        if (i + 1 < argc) {
            struct strbuf clean = STRBUF_INIT;
            fprintf(stderr, "prefscope: unknown command '%s' (see prefscope --help)\n",
                    text_clean(&clean, argv[i]));
            sb_free(&clean);
            return 2;
        }
        rc = cmd_tui(&app, targc, targv);
    }
    store_close(app.store);
    return rc;
}
