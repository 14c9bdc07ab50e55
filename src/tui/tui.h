/* The terminal UI: public entry point and extension points.
 *
 * This header is curses-free so src/app can include it; everything that needs
 * curses lives in src/tui/view.h and the .c files next to it.
 *
 * Structure
 *   display.c   terminal setup/teardown, signals, the event loop (one poll()),
 *               layout (main view + optional bottom pane + status bar), mouse
 *               (clicks go to the view's ops->mouse), and the watch on the
 *               workspace: other processes' commits make the views re-read
 *               (ops->reread), checked once a second with PRAGMA data_version.
 *   keys.c      the command table (TUI_CMDS) and key table (TUI_KEYS), both
 *               X-macros in keys.h; key names parsed once; `?` help and `:`
 *               completion are generated from these tables.
 *   theme.c     semantic roles (TUI_ROLES) and themes/ *.lua (read in a fresh
 *               lua_State with no libraries; the file returns a table).
 *   draw.c      every string that reaches the screen goes through draw_text(),
 *               which sanitizes (core/sanitize.h) and measures (core/width.h).
 *   prompt.c    the one-line editor used by `:` and `/`, with completion.
 *   view_*.c    one file per view; a view is a struct view_ops vtable (view.h).
 *
 * Extension points (for the REPL pane and the job engine)
 *   1. A new view: define `const struct view_ops view_foo_ops` in view_foo.c and
 *      push it with tui_view_push() (full screen) or tui_pane_open() (bottom
 *      split, 1/3 of the height, focus toggled with tui_pane_focus()).  A view
 *      that edits text sets `ops->key` to receive raw keys before the keymap.
 *      The REPL pane is opened by the `repl-toggle` command (` and F12): it uses
 *      tui_opts.repl_ops / repl_ctx, so the Lua side plugs in without editing
 *      display.c (repl_ops == NULL shows "REPL not available").  src/app, which
 *      may not include curses, takes the address of the incomplete type:
 *          extern const struct view_ops view_repl_ops;   (src/tui/view_repl.c)
 *          to.repl_ops = &view_repl_ops; to.repl_ctx = <the Lua context>;
 *      in cmd_tui.c.  The pane gets the focus when opened; Tab moves the focus,
 *      the mouse wheel scrolls the pane under the pointer.
 *   2. Extra file descriptors (libcurl multi sockets, a Lua job pipe):
 *      tui_fd_watch(tui, fd, POLLIN|POLLOUT, fn, ud) / tui_fd_unwatch(tui, fd).
 *      The callback runs from the loop, on the UI thread; it may call
 *      tui_redraw() to request a repaint.
 *   3. Timers: tui_timer_add(tui, ms, fn, ud) returns an id, one-shot; re-arm
 *      from the callback; tui_timer_cancel(tui, id).  The poll timeout is the
 *      nearest timer, so an idle UI only wakes for the workspace watch (one
 *      PRAGMA a second) and draws nothing unless something changed.
 *   4. Messages: tui_msg(tui, fmt, ...) / tui_err(tui, fmt, ...) set the
 *      status line (errors in the status_error role); tui_progress() shows a
 *      job's progress.
 *   5. Lifetime: tui_opts.on_start / on_stop run once the UI exists and before
 *      it is torn down; the Lua host's callbacks (ps.ui.*) map onto
 *      tui_msg, tui_current_item, tui_open_view and tui_progress.
 */
#ifndef PS_TUI_TUI_H
#define PS_TUI_TUI_H

#include <stdio.h>

#include "core/err.h"

struct store;
struct tui;
struct view_ops;

struct tui_opts {
    const char *workspace;           /* shown in the title; borrowed */
    const char *user;                /* judgments are stored as "human:<user>"; borrowed */
    const char *theme;               /* theme name or path; NULL = $PREFSCOPE_THEME, else "dark" */
    const char *dataset;             /* open this dataset's item list directly; NULL = list */
    long long feedback;              /* > 0: open this feedback's critique view (C3PO) */
    const struct view_ops *repl_ops; /* the REPL pane view, or NULL */
    void *repl_ctx;                  /* handed to repl_ops->open as its argument */
    long long t0_ms;     /* process start on tui_now_ms's clock, for PS_TUI_BENCH (0 = unknown) */
    int blind;           /* --blind: turn blind labeling on (docs/keys.md "Blind labeling") */
    int no_mouse;        /* --no-mouse / mouse = false: leave the mouse to the terminal */
    int double_click_ms; /* two clicks on a row within this make a double-click (0: 400) */
    const char *notice;  /* shown on the status line at start (e.g. a config error), or NULL */
    /* Called once the UI exists (before the first key) and just before it goes
     * away: the place to hand `tui` to a Lua host (struct ps_lua_host.ud) and to
     * register job fds and timers.  Either may be NULL. */
    void (*on_start)(struct tui *tui, void *ud);
    void (*on_stop)(struct tui *tui, void *ud);
    /* Ctrl-C with no REPL pane open (the pane handles it itself when open): the place
     * to stop background work such as Lua tasks.  May be NULL. */
    void (*on_cancel)(struct tui *tui, void *ud);
    /* The user asked to quit (q, :quit; not a signal): return nonzero to stay (the
     * hook may ask a question with tui_ask and quit from its answer).  May be NULL. */
    int (*on_quit)(struct tui *tui, void *ud);
    void *hook_ud;
};

/* Run the UI on an open workspace until the user quits.  `st` is borrowed and
 * must stay open.  Returns PS_OK, or an error (terminal could not be set up)
 * with the terminal already restored. */
int tui_run(struct store *st, const struct tui_opts *opts, struct ps_err *err);

/* Print the command and key tables as Markdown (docs/keys.md is made from it). */
void tui_print_keys(FILE *out);

/* Event-loop extension points (see the header comment). */
typedef void (*tui_fd_fn)(struct tui *tui, int fd, short revents, void *ud);
typedef void (*tui_timer_fn)(struct tui *tui, void *ud);

/* Watch `fd` for `events` (poll flags).  Replaces an existing watch of the same
 * fd.  `ud` is borrowed.  Returns PS_OK or PS_ERR_NOMEM. */
int tui_fd_watch(struct tui *tui, int fd, short events, tui_fd_fn fn, void *ud);
void tui_fd_unwatch(struct tui *tui, int fd);
/* One-shot timer firing after `ms` milliseconds; returns its id (> 0). */
int tui_timer_add(struct tui *tui, long ms, tui_timer_fn fn, void *ud);
void tui_timer_cancel(struct tui *tui, int id);
/* Ask for a full repaint before the next poll. */
void tui_redraw(struct tui *tui);
/* Status-line messages (printf-like; the text is sanitized when drawn). */
void tui_msg(struct tui *tui, const char *fmt, ...) PS_PRINTF(2, 3);
void tui_err(struct tui *tui, const char *fmt, ...) PS_PRINTF(2, 3);
/* ---- for the Lua host (ps.ui.*, struct ps_lua_host in src/lua/ps_lua.h) ---- */

/* The id of the item on screen (the pair view's item, else the item list's
 * cursor), 0 when none. */
long long tui_current_item(struct tui *tui);
/* Open a view by name: "datasets", "items" (arg: dataset name), "pair" (arg: an
 * item id; opens its dataset's list at that item, then the pair), "help",
 * "stats"/"rank" (arg: dataset name or NULL).  PS_OK or an error in err. */
int tui_open_view(struct tui *tui, const char *view, const char *arg, struct ps_err *err);
/* A job's progress bar on the status line (one line, sanitized here; "" clears it).
 * tui_progress_width: the columns it may take. */
void tui_progress(struct tui *tui, const char *line);
int tui_progress_width(const struct tui *tui);

/* The workspace changed underneath the views (rows added by an import streaming
 * in): the item and dataset lists re-read their counts and rows, keeping the
 * cursor. */
void tui_data_changed(struct tui *tui);
/* Ask a yes/no question on the status line; the next key answers it: y -> fn(1),
 * n -> fn(0), Esc / Ctrl-C / Ctrl-G -> fn(-1); other keys leave it asked.  One
 * question at a time: PS_ERR_BUSY while another is open.  `question` is copied,
 * `ud` borrowed. */
typedef void (*tui_answer_fn)(struct tui *tui, int answer, void *ud);
int tui_ask(struct tui *tui, const char *question, tui_answer_fn fn, void *ud);
/* Labels made while the workspace was busy and not saved yet (they are retried). */
int tui_pending_labels(const struct tui *tui);
/* Leave the UI after the current key, as q at the top would (on_quit is not asked). */
void tui_quit(struct tui *tui);

/* Milliseconds on the monotonic clock tui_bench uses. */
long long tui_clock_ms(void);
/* The workspace the UI runs on (borrowed). */
struct store *tui_store(struct tui *tui);

#endif
