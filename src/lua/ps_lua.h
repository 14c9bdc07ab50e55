/* The embedded Lua engine: the `ps` module, the coroutine scheduler, script runs and
 * the REPL evaluator shared by `prefscope repl` and the TUI's REPL pane.
 *
 * One struct ps_lua owns one lua_State.  Every chunk (a script, a REPL entry) runs as
 * a task: a coroutine resumed by ps_lua_step() from the owner's event loop.  A binding
 * that waits (ps.sleep, model calls) yields its task, so the loop keeps running while
 * the script reads as straight-line code (DESIGN.md section 4).
 *
 * Nothing here draws on the terminal: an embedding (the TUI) passes a struct
 * ps_lua_host whose callbacks receive output, status messages and progress, and
 * answer which item is on screen.  Without a host the engine is headless. */
#ifndef PS_LUA_PS_LUA_H
#define PS_LUA_PS_LUA_H

#include <stddef.h>
#include <stdint.h>

#include <lua.h>

#include "core/err.h"

struct store;
struct ps_lua;

/* Callbacks of an embedding; every member may be NULL.  `ud` is passed back. */
struct ps_lua_host {
    void *ud;
    /* Output of print() and io.write() (NULL: stdout).  Text is borrowed. */
    void (*write)(void *ud, const char *s, size_t n);
    /* ps.ui.status(msg): show a one-line message. */
    void (*status)(void *ud, const char *msg);
    /* ps.ui.current(): id of the item on screen, 0 when none. */
    int64_t (*current_item)(void *ud);
    /* ps.ui.open(view, arg): open a view; PS_OK or an error in err. */
    int (*open_view)(void *ud, const char *view, const char *arg, struct ps_err *err);
    /* The progress bar of a long operation (ps.progress, chat_many, ps.map,
     * ps.ui.progress): one sanitized line to show, at most 10 times a second; ""
     * clears it.  NULL: the line goes to stderr when that is a terminal. */
    void (*progress_line)(void *ud, const char *line);
    /* The columns the progress line may take (NULL: 80). */
    int (*progress_width)(void *ud);
    /* Called once by ps_lua_free (after the state is closed) to free `ud`. */
    void (*release)(void *ud);
};

struct ps_lua_opts {
    const char *workspace;          /* workspace path; NULL = store_default_path(NULL) */
    struct store *store;            /* an open workspace to use (borrowed), or NULL to
                                       open `workspace` lazily on first use */
    const char *config;             /* --config value, or NULL */
    const char *user;               /* ps.user = "human:<user>"; NULL = $PREFSCOPE_USER/$USER */
    const struct ps_lua_host *host; /* copied; NULL = headless */
    lua_Alloc alloc;                /* NULL = the default allocator (tests inject failures) */
    void *alloc_ud;
};

/* Create an engine with the standard libraries, `ps`, the module path and the
 * prelude.  On success *out is owned by the caller (ps_lua_free).  Fails with
 * PS_ERR_NOMEM when the allocator gives up. */
int ps_lua_new(struct ps_lua **out, const struct ps_lua_opts *opts, struct ps_err *err);

/* Pause (1) or resume (0) the drawing of progress bars: while paused, bars keep
 * counting and draw nothing (the interactive REPL at its prompt, where readline owns
 * the terminal line and background tasks may still run). */
void ps_lua_progress_pause(struct ps_lua *pl, int paused);

/* Cancel every task, close workspaces the engine opened and free everything. */
void ps_lua_free(struct ps_lua *pl);

/* Attach a host after creation (the TUI's REPL pane does this when it first opens);
 * the struct is copied.  The previous host, if any, is not released. */
void ps_lua_set_host(struct ps_lua *pl, const struct ps_lua_host *host);

/* 1 when the last output (print, io.write) did not end with a newline, so a
 * prompt should start on a fresh line; resets the indicator. */
int ps_lua_output_mid_line(struct ps_lua *pl);

/* The `ud` of the current host, or NULL when headless. */
void *ps_lua_host_ud(struct ps_lua *pl);

/* The state, for embedders that register more functions.  Borrowed. */
lua_State *ps_lua_state(struct ps_lua *pl);

/* Run a script file as the main task with `arg` = {[0]=path, argv...} and wait for it
 * and every task it spawned.  *exit_code receives the script's status: its return
 * value (integer, or true/nil = 0, false = 1), 1 after an error, 130 after an
 * interrupt.  On error err holds "path:line: message" plus a traceback. */
int ps_lua_run_file(struct ps_lua *pl, const char *path, int argc, char **argv, int *exit_code,
                    struct ps_err *err);

/* ---- scheduler (called from the owner's event loop) ---- */

/* Wait up to timeout_ms (0 = poll; -1 = until something happens) for timers and
 * pending operations, then resume every task that can run.  Returns the number of
 * live tasks. */
int ps_lua_step(struct ps_lua *pl, int timeout_ms);

/* Milliseconds until the engine needs ps_lua_step() again: 0 = now, -1 = idle. */
int ps_lua_next_timeout(struct ps_lua *pl);

/* Number of live tasks. */
int ps_lua_busy(struct ps_lua *pl);

/* Cancel every running task: running Lua code raises "interrupted" from the count
 * hook, waiting tasks are woken with that error.  Call from the loop (a TUI key). */
void ps_lua_interrupt(struct ps_lua *pl);

/* Async-signal-safe: request ps_lua_interrupt() from a SIGINT handler.  Only sets a
 * flag; the hook and the scheduler act on it. */
void ps_lua_signal_interrupt(void);

/* ---- REPL evaluator ---- */

enum ps_lua_feed {
    PS_LUA_FEED_MORE,    /* the chunk is incomplete: show the continuation prompt */
    PS_LUA_FEED_RUNNING, /* a task was started: step until ps_lua_repl_busy() is 0 */
    PS_LUA_FEED_DONE     /* nothing to run (empty line or syntax error, already printed) */
};

/* Feed one input line (lua.c rules: tried as "return <line>" first so expressions
 * print; continued while the error ends in <eof>).  Results and errors are written
 * through the host's write callback (or stdout) when the chunk finishes. */
enum ps_lua_feed ps_lua_repl_feed(struct ps_lua *pl, const char *line);

/* 1 while the chunk started by the last feed is running. */
int ps_lua_repl_busy(struct ps_lua *pl);

/* Drop a partially entered chunk (Ctrl-C at the continuation prompt). */
void ps_lua_repl_reset(struct ps_lua *pl);

/* Completion candidates for the identifier expression ending at `text` (e.g.
 * "ps.da", "ds:it", "pri").  Calls add(ud, candidate) for every full replacement of
 * the expression (e.g. "ps.datasets").  Never runs user code except __index
 * tables' lookups (no functions are called). */
void ps_lua_complete(struct ps_lua *pl, const char *text,
                     void (*add)(void *ud, const char *candidate), void *ud);

/* Path of the shared REPL history file ($XDG_STATE_HOME/prefscope/history or
 * ~/.local/state/prefscope/history) written into buf; creates the directory.
 * Returns buf, or NULL when no home is known. */
const char *ps_lua_history_path(char *buf, size_t size);

#endif
