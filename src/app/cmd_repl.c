/* prefscope repl: an interactive Lua prompt with the ps API, on GNU readline.
 *
 * Readline runs in its callback mode so tasks spawned by earlier entries keep running
 * while the prompt waits for input (one poll over stdin and the engine's timers).
 * An entry runs to completion before the next prompt; Ctrl-C interrupts it through
 * the engine's hook and returns to the prompt. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "app/app.h"
#include "lua/ps_lua.h"

static const char repl_usage[] =
    "usage: prefscope repl [-w WORKSPACE] [--config FILE]\n"
    "\n"
    "Interactive Lua 5.4 with the ps API (docs/lua-api.md).  Expressions print their\n"
    "values; an incomplete statement continues on the next line (prompt >>); Tab\n"
    "completes globals, ps.* names and methods of values; Ctrl-C interrupts the running\n"
    "entry (or drops the current input); Ctrl-D leaves.  History is kept in\n"
    "$XDG_STATE_HOME/prefscope/history (default ~/.local/state/prefscope/history),\n"
    "shared with the REPL pane of the terminal UI.\n"
    "\n"
    "  -w, --workspace FILE  workspace for ps.workspace()\n"
    "  --config FILE         Lua config with the model definitions\n";

#define REPL_HISTORY_MAX 1000

struct repl {
    struct ps_lua *pl;
    char history[4096];
    int has_history;
    int more; /* continuing an incomplete chunk */
    int eof;
    char **matches; /* completion candidates being handed to readline */
    int n_matches, cap_matches, next_match;
    struct strbuf_chunk {
        char *p;
        size_t len;
    } chunk; /* the entry so far, for the history */
};

/* Readline's callbacks carry no user data, so the active REPL is reachable through
 * this pointer while the prompt is up (set and cleared by cmd_repl only). */
static struct repl *repl_active;
/* Signal flag: Ctrl-C arrived (the engine gets its own notification too). */
static volatile sig_atomic_t repl_sigint;

static void
repl_on_sigint(int sig)
{
    (void)sig;
    repl_sigint = 1;
    ps_lua_signal_interrupt();
}

static void
chunk_add(struct repl *r, const char *line)
{
    size_t n = strlen(line), extra = r->chunk.len ? 1 : 0;
    char *p = realloc(r->chunk.p, r->chunk.len + extra + n + 1);
    if (!p)
        return;
    r->chunk.p = p;
    if (extra)
        p[r->chunk.len++] = '\n';
    memcpy(p + r->chunk.len, line, n + 1);
    r->chunk.len += n;
}

static void
chunk_done(struct repl *r)
{
    if (r->chunk.len) {
        add_history(r->chunk.p);
        if (r->has_history)
            append_history(1, r->history);
    }
    free(r->chunk.p);
    r->chunk.p = NULL;
    r->chunk.len = 0;
}

static void
run_entry(struct repl *r)
{
    while (ps_lua_repl_busy(r->pl))
        ps_lua_step(r->pl, -1);
}

/* One line from readline (NULL = Ctrl-D). */
static void
on_line(char *line)
{
    struct repl *r = repl_active;
    if (!line) {
        r->eof = 1;
        return;
    }
    chunk_add(r, line);
    enum ps_lua_feed f = ps_lua_repl_feed(r->pl, line);
    free(line);
    r->more = f == PS_LUA_FEED_MORE;
    if (r->more) {
        rl_set_prompt(">> ");
        return;
    }
    chunk_done(r);
    if (f == PS_LUA_FEED_RUNNING) {
        /* The handler stays installed: input typed meanwhile waits in the tty. */
        ps_lua_progress_pause(r->pl, 0); /* the entry owns the terminal: bars draw */
        run_entry(r);
        ps_lua_progress_pause(r->pl, 1);
        repl_sigint = 0;
    }
    if (ps_lua_output_mid_line(r->pl))
        putchar('\n'); /* io.write without a newline: the prompt starts a new line */
    rl_set_prompt("> ");
}

static void
add_match(void *ud, const char *cand)
{
    struct repl *r = ud;
    if (r->n_matches == r->cap_matches) {
        r->cap_matches = r->cap_matches ? r->cap_matches * 2 : 32;
        char **m = realloc(r->matches, (size_t)r->cap_matches * sizeof *m);
        if (!m)
            return;
        r->matches = m;
    }
    char *c = strdup(cand);
    if (c)
        r->matches[r->n_matches++] = c;
}

static char *
match_generator(const char *text, int state)
{
    struct repl *r = repl_active;
    (void)text;
    if (state == 0)
        r->next_match = 0;
    if (r->next_match < r->n_matches) {
        char *m = r->matches[r->next_match];
        r->matches[r->next_match++] = NULL; /* readline frees it */
        return m;
    }
    return NULL;
}

static char **
repl_complete(const char *text, int start, int end)
{
    struct repl *r = repl_active;
    (void)start;
    (void)end;
    rl_attempted_completion_over = 1;      /* never fall back to file names */
    rl_completion_append_character = '\0'; /* readline resets it before every attempt */
    for (int i = 0; i < r->n_matches; i++)
        free(r->matches[i]);
    r->n_matches = 0;
    ps_lua_complete(r->pl, text, add_match, r);
    if (r->n_matches == 0)
        return NULL;
    return rl_completion_matches(text, match_generator);
}

/* Non-interactive input (a pipe or file): plain lines, no prompts or readline. */
static int
repl_batch(struct repl *r)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) >= 0) {
        if (n > 0 && line[n - 1] == '\n')
            line[n - 1] = '\0';
        if (ps_lua_repl_feed(r->pl, line) == PS_LUA_FEED_RUNNING)
            run_entry(r);
    }
    free(line);
    while (ps_lua_busy(r->pl))
        ps_lua_step(r->pl, -1);
    return 0;
}

static void
repl_interactive(struct repl *r)
{
    rl_readline_name = "prefscope";
    rl_catch_signals = 0; /* our handler; readline must not re-raise SIGINT */
    rl_attempted_completion_function = repl_complete;
    rl_completer_word_break_characters = " \t\n\"'`@$><=;|&{(,[+-*/%^~#";
    rl_completion_append_character = '\0';
    using_history();
    stifle_history(REPL_HISTORY_MAX);
    /* A multi-line entry is one history entry, as in lua.c, also in the file: each
     * entry follows a "#<time>" line, and the lines up to the next one are its own
     * (the TUI's REPL pane reads the file the same way). */
    history_write_timestamps = 1;
    history_multiline_entries = 1;
    history_comment_char = '#'; /* what starts the time lines (default: none written) */
    if (ps_lua_history_path(r->history, sizeof r->history)) {
        r->has_history = 1;
        /* append_history needs an existing file */
        FILE *f = fopen(r->history, "a");
        if (f)
            fclose(f);
        read_history(r->history);
    }
    printf("prefscope %s, Lua 5.4 — the ps API is in docs/lua-api.md; Ctrl-D leaves.\n",
           PS_VERSION);
    rl_callback_handler_install("> ", on_line);
    /* at the prompt readline owns the line: background tasks' bars stay silent */
    ps_lua_progress_pause(r->pl, 1);
    while (!r->eof) {
        int busy = ps_lua_busy(r->pl);
        int timeout = busy ? ps_lua_next_timeout(r->pl) : -1;
        struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
        int n = poll(&pfd, 1, timeout);
        if (n < 0 && errno != EINTR)
            break;
        if (repl_sigint) {
            /* Ctrl-C at the prompt: drop the current input, fresh prompt. */
            repl_sigint = 0;
            ps_lua_repl_reset(r->pl);
            free(r->chunk.p);
            r->chunk.p = NULL;
            r->chunk.len = 0;
            r->more = 0;
            rl_free_line_state();
            rl_callback_sigcleanup();
            rl_replace_line("", 0);
            printf("^C\n");
            rl_set_prompt("> ");
            rl_on_new_line();
            rl_redisplay();
        }
        if (n > 0 && (pfd.revents & (POLLIN | POLLHUP)))
            rl_callback_read_char();
        if (ps_lua_busy(r->pl))
            ps_lua_step(r->pl, 0);
    }
    rl_callback_handler_remove();
    printf("\n");
    if (r->has_history)
        history_truncate_file(r->history, REPL_HISTORY_MAX);
}

int
cmd_repl(struct app *app, int argc, char **argv)
{
    static const struct option opts[] = {
        {"workspace", required_argument, NULL, 'w'},
        {"config", required_argument, NULL, APP_OPT_CONFIG},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "w:h", opts, NULL)) != -1) {
        if (app_common_opt(app, c, optarg))
            continue;
        if (c == 'h') {
            fputs(repl_usage, stdout);
            return 0;
        }
        fputs(repl_usage, stderr);
        return 2;
    }
    if (optind < argc)
        return app_failf(app, "repl: unexpected argument '%s'", argv[optind]);

    struct ps_lua_opts lo;
    memset(&lo, 0, sizeof lo);
    lo.workspace = app->workspace;
    lo.config = app->config;
    struct repl r;
    memset(&r, 0, sizeof r);
    if (ps_lua_new(&r.pl, &lo, &app->err) != PS_OK)
        return app_fail(app);

    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = repl_on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);

    repl_active = &r;
    if (isatty(STDIN_FILENO))
        repl_interactive(&r);
    else
        repl_batch(&r);
    repl_active = NULL;

    sigaction(SIGINT, &old, NULL);
    for (int i = 0; i < r.n_matches; i++)
        free(r.matches[i]);
    free(r.matches);
    free(r.chunk.p);
    ps_lua_free(r.pl);
    return 0;
}
