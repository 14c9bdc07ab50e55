/* Terminal setup and teardown, the view stack, layout and the event loop. */
#include <errno.h>
#include <langinfo.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "core/sanitize.h"
#include "core/stats.h"
#include "core/xalloc.h"
#include "store/annotate.h"
#include "store/store.h"
#include "tui/view.h"

static int tui_blind_cmd(struct tui *tui, const char *arg);
static void tui_refresh_views(struct tui *tui, int force);
static void tui_mouse_set(struct tui *tui, int on);

/* Signal flags and the terminal-restore hook are the only file-scope state. */
static volatile sig_atomic_t tui_sig_quit;
static volatile sig_atomic_t tui_screen_active;

static void
tui_on_term(int sig)
{
    tui_sig_quit = sig;
}

static void
tui_on_fatal(int sig)
{
    /* endwin is not async-signal-safe, but leaving the terminal in raw mode
     * after a crash is worse; this is what htop and tig do too. */
    if (tui_screen_active) {
        endwin();
        tui_term_wipe();
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void
tui_restore_atexit(void)
{
    if (tui_screen_active) {
        tui_screen_active = 0;
        endwin();
        tui_term_wipe();
    }
}

int64_t
tui_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double
tui_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

void
tui_bench(struct tui *tui, const char *what, int64_t t0_ms)
{
    if (!tui->bench)
        return;
    fprintf(tui->bench, "%s %lld\n", what, (long long)(tui_now_ms() - t0_ms));
    fflush(tui->bench);
}

/* ---- messages ---- */

static void
tui_vmsg(struct tui *tui, int is_err, const char *fmt, va_list ap)
{
    vsnprintf(tui->msg, sizeof tui->msg, fmt, ap);
    tui->msg_err = is_err;
    tui->dirty = 1;
}

void
tui_msg(struct tui *tui, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tui_vmsg(tui, 0, fmt, ap);
    va_end(ap);
}

void
tui_err(struct tui *tui, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tui_vmsg(tui, 1, fmt, ap);
    va_end(ap);
}

void
tui_redraw(struct tui *tui)
{
    tui->dirty = 1;
}

struct store *
tui_store(struct tui *tui)
{
    return tui->st;
}

static void tui_refresh_views(struct tui *tui, int force);

void
tui_data_changed(struct tui *tui)
{
    /* The same re-read as for another process's writes (tui_watch), at once. */
    tui_refresh_views(tui, 1);
}

int
tui_ask(struct tui *tui, const char *question, tui_answer_fn fn, void *ud)
{
    if (tui->ask_fn)
        return PS_ERR_BUSY;
    snprintf(tui->ask, sizeof tui->ask, "%s", question);
    tui->ask_fn = fn;
    tui->ask_ud = ud;
    tui->dirty = 1;
    return PS_OK;
}

int
tui_pending_labels(const struct tui *tui)
{
    return tui->n_pending;
}

void
tui_quit(struct tui *tui)
{
    tui->quit = 2; /* 2: not asked again through on_quit */
}

/* The answer to tui_ask's question, or 0 for a key that does not answer it. */
static int
tui_ask_key(struct tui *tui, int key)
{
    int answer = key == 'y' || key == 'Y'            ? 1
                 : key == 'n' || key == 'N'          ? 0
                 : key == 27 || key == 3 || key == 7 ? -1
                                                     : -2;
    if (answer == -2)
        return 0;
    tui_answer_fn fn = tui->ask_fn;
    tui->ask_fn = NULL;
    tui->ask[0] = '\0';
    tui->dirty = 1;
    fn(tui, answer, tui->ask_ud);
    return 1;
}

/* ---- fds and timers ---- */

int
tui_fd_watch(struct tui *tui, int fd, short events, tui_fd_fn fn, void *ud)
{
    for (int i = 0; i < tui->n_fds; i++)
        if (tui->fds[i].fd == fd) {
            tui->fds[i] = (struct tui_fdw){fd, events, fn, ud};
            return PS_OK;
        }
    tui->fds = xgrow(tui->fds, sizeof *tui->fds, tui->n_fds, &tui->cap_fds, 8);
    tui->fds[tui->n_fds++] = (struct tui_fdw){fd, events, fn, ud};
    return PS_OK;
}

void
tui_fd_unwatch(struct tui *tui, int fd)
{
    for (int i = 0; i < tui->n_fds; i++)
        if (tui->fds[i].fd == fd) {
            tui->fds[i] = tui->fds[--tui->n_fds];
            return;
        }
}

int
tui_timer_add(struct tui *tui, long ms, tui_timer_fn fn, void *ud)
{
    tui->timers = xgrow(tui->timers, sizeof *tui->timers, tui->n_timers, &tui->cap_timers, 8);
    int id = ++tui->next_timer_id;
    tui->timers[tui->n_timers++] = (struct tui_timer){id, tui_now_ms() + ms, fn, ud};
    return id;
}

void
tui_timer_cancel(struct tui *tui, int id)
{
    for (int i = 0; i < tui->n_timers; i++)
        if (tui->timers[i].id == id) {
            tui->timers[i] = tui->timers[--tui->n_timers];
            return;
        }
}

static void
tui_run_timers(struct tui *tui)
{
    int64_t now = tui_now_ms();
    for (int i = 0; i < tui->n_timers;) {
        if (tui->timers[i].due_ms <= now) {
            struct tui_timer t = tui->timers[i];
            tui->timers[i] = tui->timers[--tui->n_timers];
            t.fn(tui, t.ud);
            i = 0; /* the callback may have changed the array */
            now = tui_now_ms();
        } else {
            i++;
        }
    }
}

static int
tui_poll_timeout(struct tui *tui)
{
    if (!tui->n_timers)
        return -1;
    int64_t now = tui_now_ms(), best = INT64_MAX;
    for (int i = 0; i < tui->n_timers; i++)
        if (tui->timers[i].due_ms < best)
            best = tui->timers[i].due_ms;
    return best <= now ? 0 : (int)(best - now > 60000 ? 60000 : best - now);
}

/* ---- view stack ---- */

static struct view *
tui_view_new(struct tui *tui, const struct view_ops *ops, void *arg, struct view *parent)
{
    struct view *v = xcalloc(1, sizeof *v);
    v->ops = ops;
    v->parent = parent;
    v->priv = ops->private_size ? xcalloc(1, ops->private_size) : NULL;
    struct ps_err err = {0, ""};
    if (ops->open && ops->open(tui, v, arg, &err) != PS_OK) {
        tui_err(tui, "%s", err.msg[0] ? err.msg : ps_status_str(err.code));
        if (ops->done)
            ops->done(tui, v);
        free(v->priv);
        free(v);
        return NULL;
    }
    return v;
}

static void
tui_view_free(struct tui *tui, struct view *v)
{
    if (v->ops->done)
        v->ops->done(tui, v);
    free(v->priv);
    free(v);
}

int
tui_view_push(struct tui *tui, const struct view_ops *ops, void *arg)
{
    if (tui->depth == TUI_MAX_VIEWS)
        return PS_ERR;
    struct view *v = tui_view_new(tui, ops, arg, tui->depth ? tui->stack[tui->depth - 1] : NULL);
    if (!v)
        return PS_ERR;
    tui->stack[tui->depth++] = v;
    tui->pane_focus = 0;
    tui->dirty = 1;
    return PS_OK;
}

void
tui_view_pop(struct tui *tui)
{
    if (!tui->depth)
        return;
    tui_view_free(tui, tui->stack[--tui->depth]);
    struct view *top = tui_view_top(tui);
    if (top && top->ops->resume)
        top->ops->resume(tui, top);
    tui->dirty = 1;
}

struct view *
tui_view_top(struct tui *tui)
{
    return tui->depth ? tui->stack[tui->depth - 1] : NULL;
}

int
tui_pane_open(struct tui *tui, const struct view_ops *ops, void *arg)
{
    tui_pane_close(tui);
    tui->pane = tui_view_new(tui, ops, arg, NULL);
    tui->pane_focus = tui->pane != NULL;
    tui->dirty = 1;
    return tui->pane ? PS_OK : PS_ERR;
}

void
tui_pane_close(struct tui *tui)
{
    if (tui->pane)
        tui_view_free(tui, tui->pane);
    tui->pane = NULL;
    tui->pane_focus = 0;
    tui->dirty = 1;
}

static struct view *
tui_focused(struct tui *tui)
{
    if (tui->pane && tui->pane_focus)
        return tui->pane;
    return tui_view_top(tui);
}

/* ---- layout and painting ---- */

static void
tui_layout(struct tui *tui)
{
    int body = tui->rows - 1; /* the last row is the status bar */
    struct view *top = tui_view_top(tui);
    if (tui->pane) {
        int ph = body / 3 < 3 ? 3 : body / 3;
        tui->pane->area = (struct rect){body - ph, 0, ph, tui->cols};
        body -= ph;
    }
    if (top)
        top->area = (struct rect){0, 0, body, tui->cols};
}

static void
tui_draw_status(struct tui *tui)
{
    int y = tui->rows - 1;
    if (tui->prompt.active) {
        prompt_draw(tui, y);
        return;
    }
    draw_fill(tui, y, 0, tui->cols, ROLE_STATUS);
    if (tui->ask_fn) {
        draw_text(tui, y, 0, tui->cols, ROLE_PROMPT, tui->ask, strlen(tui->ask), 1);
        return;
    }
    struct strbuf sb = STRBUF_INIT;
    struct view *v = tui_focused(tui);
    if (v) {
        sb_printf(&sb, "[%s] ", v->ops->name);
        if (tui->n_pending)
            sb_printf(&sb, "[%d label%s pending] ", tui->n_pending, tui->n_pending == 1 ? "" : "s");
        if (v->ops->status)
            v->ops->status(tui, v, &sb);
    }
    /* A view's status is "position\thints": a message replaces the hints. */
    char *tab = memchr(sb_str(&sb), '\t', sb.len);
    size_t shown = sb.len;
    if (tab && (tui->msg[0] || tui->progress[0])) /* a message or a job's bar beats hints */
        shown = (size_t)(tab - sb.p);
    else if (tab)
        *tab = ' ';
    int x = draw_text(tui, y, 0, tui->cols, ROLE_STATUS, sb_str(&sb), shown, 1);
    if (tui->msg[0] && x + 3 < tui->cols) {
        x += 2;
        int room = tui->cols - x;
        if (tui->progress[0]) /* the progress keeps its place at the right */
            room -= draw_width(tui->progress, strlen(tui->progress)) + 3;
        if (room > 0)
            draw_text(tui, y, x, room, tui->msg_err ? ROLE_STATUS_ERR : ROLE_STATUS, tui->msg,
                      strlen(tui->msg), 1);
    }
    if (tui->progress[0]) {
        /* Right-aligned, left of any pending keys; on a narrow terminal cut at the right
         * (label, bar and done/total come first), never dropped while 12 columns are free */
        int w = draw_width(tui->progress, strlen(tui->progress));
        int end = tui->cols - (tui->n_pend || tui->counting ? 20 : 1);
        int px = end - w < x + 2 ? x + 2 : end - w;
        if (end - px >= 12)
            draw_text(tui, y, px, end - px, ROLE_ACCENT, tui->progress, strlen(tui->progress), 1);
    }
    if (tui->n_pend || tui->counting) {
        char keys[48] = "Keys: ";
        if (tui->counting && tui->count)
            snprintf(keys + 6, sizeof keys - 6, "%lld", (long long)tui->count);
        else if (tui->counting)
            snprintf(keys + 6, sizeof keys - 6, "#");
        for (int i = 0; i < tui->n_pend && i < KEY_SEQ_MAX; i++) {
            size_t l = strlen(keys);
            keys[l] = tui->pend[i] < 127 && tui->pend[i] >= 32 ? (char)tui->pend[i] : '?';
            keys[l + 1] = '\0';
        }
        int w = (int)strlen(keys);
        if (w < tui->cols)
            draw_text(tui, y, tui->cols - w, w, ROLE_STATUS, keys, (size_t)w, 0);
    }
    sb_free(&sb);
}

static void
tui_paint(struct tui *tui)
{
    tui->dirty = 0;
    erase();
    if (tui->rows < 5 || tui->cols < 24) {
        draw_text(tui, 0, 0, tui->cols, ROLE_DEFAULT, "terminal too small", 18, 1);
    } else {
        tui_layout(tui);
        struct view *top = tui_view_top(tui);
        if (top)
            top->ops->draw(tui, top);
        if (tui->pane)
            tui->pane->ops->draw(tui, tui->pane);
        tui_draw_status(tui);
    }
    wnoutrefresh(stdscr);
    doupdate();
}

/* ---- dispatch ---- */

static void
tui_apply(struct tui *tui, struct view *v, int r)
{
    if (r & TUI_R_REDRAW)
        tui->dirty = 1;
    if (r & TUI_R_QUIT)
        tui->quit = 1;
    if (r & TUI_R_CLOSE) {
        if (v == tui->pane)
            tui_pane_close(tui);
        else if (tui->depth > 1 && v == tui_view_top(tui))
            tui_view_pop(tui);
        else if (v == tui_view_top(tui))
            tui->quit = 1;
    }
}

static int
tui_switch_theme(struct tui *tui, const char *name)
{
    struct ps_err err = {0, ""};
    if (theme_load(&tui->theme, name, tui->tier, &err) != PS_OK) {
        tui_err(tui, "%s", err.msg);
        return TUI_R_HANDLED;
    }
    bkgdset(' ' | tui->theme.attr[ROLE_DEFAULT]);
    clearok(curscr, TRUE);
    tui_msg(tui, "theme %s", tui->theme.name);
    return TUI_R_HANDLED | TUI_R_REDRAW;
}

int
tui_dispatch(struct tui *tui, enum tui_cmd cmd, const char *arg)
{
    struct view *v = tui_focused(tui);
    if (v && v->ops->request) {
        int r = v->ops->request(tui, v, cmd, arg);
        if (r & TUI_R_HANDLED) {
            tui_apply(tui, v, r);
            return r;
        }
    }
    const struct tui_cmd_info *info = keys_cmd_info(cmd);
    switch (cmd) {
    case CMD_QUIT: tui->quit = 1; return TUI_R_HANDLED;
    case CMD_CLOSE:
        if (v)
            tui_apply(tui, v, TUI_R_CLOSE);
        return TUI_R_HANDLED;
    case CMD_HELP:
        tui_view_push(tui, &view_help_ops, v ? (void *)v->ops : NULL);
        return TUI_R_HANDLED;
    case CMD_MOUSE:
        if (arg && strcmp(arg, "on") && strcmp(arg, "off")) {
            tui_err(tui, "mouse: on or off; no argument toggles (now %s)",
                    tui->mouse ? "on" : "off");
            return TUI_R_HANDLED;
        }
        tui_mouse_set(tui, arg ? strcmp(arg, "on") == 0 : !tui->mouse);
        tui_msg(tui, "%s",
                tui->mouse ? "mouse on: click selects, double-click opens, the wheel scrolls"
                           : "mouse off: the terminal selects text (the wheel scrolls it)");
        return TUI_R_HANDLED;
    case CMD_REDRAW:
        clearok(curscr, TRUE);
        tui_refresh_views(tui, 1);
        return TUI_R_HANDLED;
    case CMD_PROMPT: prompt_open(tui, ":", CMD_NONE, arg); return TUI_R_HANDLED;
    case CMD_OPEN: {
        if (!arg || !*arg)
            break;
        char name[32];
        size_t l = strcspn(arg, " ");
        snprintf(name, sizeof name, "%.*s", (int)(l < 31 ? l : 31), arg);
        const char *rest = arg + l;
        while (*rest == ' ')
            rest++;
        struct ps_err err = {0, ""};
        if (tui_open_view(tui, name, *rest ? rest : NULL, &err) != PS_OK)
            tui_err(tui, "open: %s", err.msg);
        return TUI_R_HANDLED | TUI_R_REDRAW;
    }
    case CMD_SUSPEND:
        /* In raw mode ^Z is a key: stop ourselves.  ncurses' SIGTSTP handler
         * leaves curses mode first and restores it when continued. */
        endwin();
        raise(SIGTSTP);
        getmaxyx(stdscr, tui->rows, tui->cols);
        clearok(curscr, TRUE);
        tui->dirty = 1;
        return TUI_R_HANDLED;
    case CMD_THEME:
        if (!arg || !*arg) {
            prompt_open(tui, "theme: ", CMD_THEME, NULL);
            return TUI_R_HANDLED;
        }
        return tui_switch_theme(tui, arg);
    case CMD_REPL:
        if (tui->pane) {
            tui_pane_close(tui);
        } else if (tui->opts->repl_ops) {
            tui_pane_open(tui, tui->opts->repl_ops, tui->opts->repl_ctx);
        } else {
            tui_err(tui, "the Lua REPL pane is not available in this build");
        }
        return TUI_R_HANDLED;
    case CMD_PANE_FOCUS:
        if (tui->pane) {
            tui->pane_focus = !tui->pane_focus;
            tui->dirty = 1;
        }
        return TUI_R_HANDLED;
    case CMD_UNDO: return tui_undo(tui, NULL);
    case CMD_ADVANCE:
        if (arg && *arg && strcmp(arg, "on") != 0 && strcmp(arg, "off") != 0) {
            tui_err(tui, "advance: on or off (no argument toggles)");
            return TUI_R_HANDLED;
        }
        tui->advance = arg && *arg ? strcmp(arg, "on") == 0 : !tui->advance;
        tui_msg(tui, "label and advance %s",
                tui->advance ? "on: a label moves to the next unlabeled item" : "off");
        return TUI_R_HANDLED | TUI_R_REDRAW;
    case CMD_BLIND: return tui_blind_cmd(tui, arg);
    case CMD_STATS:
    case CMD_RANK: return view_eval_open(tui, cmd, arg);
    case CMD_COUNT:
        tui->counting = 1;
        tui->count = 0;
        return TUI_R_HANDLED;
    case CMD_CONSTITUTION: return view_constitution_open(tui, arg);
    case CMD_CANCEL:
        tui->n_pend = 0;
        tui->counting = 0;
        tui_msg(tui, "cancelled");
        /* Lua tasks started from the REPL pane stop too (the pane interrupts them). */
        if (tui->pane && tui->pane->ops->request)
            tui->pane->ops->request(tui, tui->pane, CMD_CANCEL, NULL);
        else if (!tui->pane && tui->opts->on_cancel)
            tui->opts->on_cancel(tui, tui->opts->hook_ud);
        return TUI_R_HANDLED;
    default: break;
    }
    if (info->takes_arg && !arg) {
        char label[48];
        snprintf(label, sizeof label, "%s: ", info->name);
        prompt_open(tui, label, cmd, NULL);
        return TUI_R_HANDLED;
    }
    tui_err(tui, "%s: not available in this view", info->name);
    return TUI_R_HANDLED;
}

/* ---- the workspace changing under the UI ---- */

/* How often the UI looks for other processes' writes (labels of another annotator,
 * a script, an import): PRAGMA data_version, which costs no I/O. */
#define TUI_WATCH_MS 1000

/* Let every view on the stack re-read the workspace; `force` also when nothing
 * changed (C-l). */
static void
tui_refresh_views(struct tui *tui, int force)
{
    int64_t v = store_data_version(tui->st);
    if (!force && v == tui->data_version)
        return;
    tui->data_version = v;
    for (int i = 0; i < tui->depth; i++) {
        struct view *view = tui->stack[i];
        if (view->ops->reread)
            view->ops->reread(tui, view);
    }
    tui->dirty = 1;
}

static void
tui_watch(struct tui *tui, void *ud)
{
    (void)ud;
    tui_refresh_views(tui, 0);
    tui_timer_add(tui, TUI_WATCH_MS, tui_watch, NULL);
}

/* ---- input ---- */

/* Two clicks on one row within this many ms make a double-click, unless the
 * config's double_click_ms says otherwise. */
#define TUI_DOUBLE_CLICK_MS 400

static void
tui_mouse(struct tui *tui)
{
    MEVENT ev;
    if (getmouse(&ev) != OK || !tui->mouse)
        return;
    enum tui_cmd cmd = CMD_NONE;
    if (ev.bstate & BUTTON4_PRESSED)
        cmd = CMD_MOVE_UP;
#ifdef BUTTON5_PRESSED
    else if (ev.bstate & BUTTON5_PRESSED)
        cmd = CMD_MOVE_DOWN;
#endif
    /* Clicks and the wheel act on the pane under the pointer, which gets the focus. */
    int in_pane = tui->pane && ev.y >= tui->pane->area.y;
    if (tui->pane)
        tui->pane_focus = in_pane;
    if (cmd != CMD_NONE) {
        for (int i = 0; i < 3; i++)
            tui_dispatch(tui, cmd, NULL);
        return;
    }
    if (!(ev.bstate & BUTTON1_PRESSED) || tui->prompt.active)
        return;
    struct view *v = in_pane ? tui->pane : tui_view_top(tui);
    int64_t now = tui_now_ms();
    int64_t dc = tui->opts->double_click_ms > 0 ? tui->opts->double_click_ms : TUI_DOUBLE_CLICK_MS;
    int clicks = now - tui->click_ms <= dc && ev.y == tui->click_y ? 2 : 1;
    /* A third click starts over: a double-click opens one view, not two. */
    tui->click_ms = clicks == 2 ? 0 : now;
    tui->click_y = ev.y;
    tui->dirty = 1;
    if (v && v->ops->mouse && ev.y >= v->area.y && ev.y < v->area.y + v->area.h)
        tui_apply(tui, v, v->ops->mouse(tui, v, ev.y, ev.x, clicks));
}

/* Ask the terminal for mouse reports, or stop (text selection is then the
 * terminal's again). */
static void
tui_mouse_set(struct tui *tui, int on)
{
    tui->mouse = on;
    /* Presses only: curses hands over one event per read, the last, so a press and
     * its release arriving together (a slow link) must leave the press. */
    mmask_t m = BUTTON1_PRESSED | BUTTON4_PRESSED;
#ifdef BUTTON5_PRESSED
    m |= BUTTON5_PRESSED;
#endif
    mousemask(on ? m : 0, NULL);
}

/* 1 when a key of `km` (or generic) is a digit: there digits are label keys. */
static int
tui_digits_bound(enum tui_keymap km)
{
    for (int d = '0'; d <= '9'; d++) {
        int seq[1] = {d};
        if (keys_lookup(km, seq, 1) != CMD_NONE)
            return 1;
    }
    return 0;
}

/* Counts before motions (docs/keys.md "Counts").  A label key acts at once,
 * always, so a digit bound to a command is never taken for a count: bare digits
 * start a count only in views without digit bindings (5j, 10G in the dataset list,
 * help, stats); elsewhere `#` starts one (#10G), and digits after it are the
 * count's.  Returns 1 when the key was consumed here. */
static int
tui_count_key(struct tui *tui, struct view *v, int key)
{
    int digit = key >= '0' && key <= '9';
    if (tui->counting) {
        if (digit) {
            if (tui->count < 100000000000LL)
                tui->count = tui->count * 10 + (key - '0');
            return 1;
        }
        if (key == 27 || key == 3 || key == 7) { /* Esc, Ctrl-C, Ctrl-G */
            tui->counting = 0;
            tui->count = 0;
            tui_msg(tui, "count cancelled");
            return 1;
        }
        if (key == KEYC_FN(KEY_BACKSPACE) || key == 127 || key == 8) {
            tui->count /= 10;
            return 1;
        }
        return 0;
    }
    if (!digit)
        return 0;
    enum tui_keymap km = v ? v->ops->keymap : KM_GENERIC;
    int seq[1] = {key};
    if (keys_lookup(km, seq, 1) != CMD_NONE || key == '0')
        return 0;
    if (tui_digits_bound(km)) {
        tui_msg(tui,
                "digits label here: type a count as #%c then the motion (#%cj), or :N to go "
                "to item N",
                key, key);
        return 1;
    }
    tui->counting = 1;
    tui->count = key - '0';
    return 1;
}

/* Run a command from a key, with the count typed before it. */
static void
tui_dispatch_counted(struct tui *tui, enum tui_cmd cmd)
{
    int64_t count = tui->counting ? tui->count : 0;
    tui->counting = 0;
    tui->count = 0;
    if (count > 0 && (cmd == CMD_FIRST || cmd == CMD_LAST)) {
        /* 10G and 10gg go to item (line) 10, as in vim. */
        char arg[32];
        snprintf(arg, sizeof arg, "%lld", (long long)count);
        tui_dispatch(tui, CMD_GOTO, arg);
        return;
    }
    if (count > 0 && !keys_cmd_counts(cmd) && cmd != CMD_COUNT)
        tui_msg(tui, "%s takes no count (ignored)", keys_cmd_info(cmd)->name);
    tui->rep = count > 0 && keys_cmd_counts(cmd) ? count : 1;
    tui_dispatch(tui, cmd, NULL);
    tui->rep = 1;
}

static void
tui_key(struct tui *tui, int key)
{
    if (key == KEYC_FN(KEY_RESIZE)) {
        getmaxyx(stdscr, tui->rows, tui->cols);
        tui->dirty = 1;
        return;
    }
    if (key == KEYC_FN(KEY_MOUSE)) {
        tui_mouse(tui);
        return;
    }
    if (tui->prompt.active) {
        tui_apply(tui, tui_focused(tui), prompt_key(tui, key));
        tui->dirty = 1;
        return;
    }
    if (tui->ask_fn) {
        /* A question the user raised (Ctrl-C during an import): keys answer it
         * or are ignored until it is answered. */
        if (!tui_ask_key(tui, key))
            tui->dirty = 1;
        return;
    }
    struct view *v = tui_focused(tui);
    if (v && v->ops->key && !tui->n_pend) {
        int r = v->ops->key(tui, v, key);
        if (r & TUI_R_HANDLED) {
            tui_apply(tui, v, r);
            return;
        }
    }
    if (!tui->n_pend && tui_count_key(tui, v, key)) {
        tui->dirty = 1;
        return;
    }
    if (tui->n_pend >= KEY_SEQ_MAX)
        tui->n_pend = 0;
    tui->pend[tui->n_pend++] = key;
    int cmd = keys_lookup(v ? v->ops->keymap : KM_GENERIC, tui->pend, tui->n_pend);
    if (cmd == -1) {
        tui->dirty = 1;
        return;
    }
    int n = tui->n_pend;
    tui->n_pend = 0;
    if (cmd == CMD_NONE && n > 1) {
        /* An abandoned prefix: try the last key alone. */
        tui_key(tui, key);
        return;
    }
    if (cmd == CMD_NONE) {
        tui->dirty = 1;
        return;
    }
    tui->msg[0] = '\0';
    tui_dispatch_counted(tui, (enum tui_cmd)cmd);
    tui->dirty = 1;
}

/* Read every key waiting; returns how many get_wch gave (KEY_RESIZE included). */
static int
tui_read_keys(struct tui *tui)
{
    wint_t wch;
    int r, n = 0;
    while ((r = get_wch(&wch)) != ERR) {
        n++;
        double t0 = tui_now_us();
        int key = r == KEY_CODE_YES ? KEYC_FN((int)wch) : (int)wch;
        tui_key(tui, key);
        if (tui->quit)
            return n;
        if (tui->bench && tui->dirty) {
            /* Per-key latency: handling plus the repaint it caused. */
            tui_paint(tui);
            fprintf(tui->bench, "key %d %.3f\n", key, (tui_now_us() - t0) / 1000.0);
            fflush(tui->bench);
        }
    }
    return n;
}

/* Readable with no key this many times in a row: the terminal is gone (a key, a
 * resize or an escape sequence always yields something within a read or two). */
#define TUI_EMPTY_READS_MAX 20

/* Readable, yet nothing to read: end of file, or an error (EIO) on every read. */
static int
tui_stdin_dead(void)
{
    int n = 0;
    return ioctl(STDIN_FILENO, FIONREAD, &n) != 0 || n == 0;
}

/* ---- setup ---- */

static void
tui_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = tui_on_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGQUIT, &sa, NULL);
    sa.sa_handler = tui_on_fatal;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGABRT, &sa, NULL);
    sigaction(SIGFPE, &sa, NULL);
}

static int
tui_init_screen(struct tui *tui, struct ps_err *err)
{
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        return ps_error(err, PS_ERR_USAGE, "the terminal UI needs a terminal (stdin and stdout)");
    const char *codeset = nl_langinfo(CODESET);
    tui->utf8 = codeset && strcmp(codeset, "UTF-8") == 0;
    snprintf(tui->codeset, sizeof tui->codeset, "%s", codeset && *codeset ? codeset : "unknown");
    if (tui_term_check(err) != PS_OK)
        return err->code;
    if (!getenv("ESCDELAY"))
        set_escdelay(25);
    if (!newterm(NULL, stdout, stdin))
        return ps_error(err, PS_ERR_USAGE, "cannot initialise the terminal (TERM=%s)",
                        getenv("TERM") ? getenv("TERM") : "");
    tui_screen_active = 1;
    atexit(tui_restore_atexit);
    tui_signals();
    if (!getenv("ESCDELAY"))
        set_escdelay(25);
    raw();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    curs_set(0);
    mouseinterval(0);
    tui_mouse_set(tui, !tui->opts->no_mouse);
    /* COLORS is only known after start_color. */
    const char *nc = getenv("NO_COLOR");
    if (has_colors() && !(nc && *nc)) {
        start_color();
        use_default_colors();
    }
    tui->tier = theme_detect_tier();
    getmaxyx(stdscr, tui->rows, tui->cols);
    return PS_OK;
}

static void
tui_done(struct tui *tui)
{
    tui_pane_close(tui);
    while (tui->depth)
        tui_view_pop(tui);
    for (int i = 0; i < tui->n_undo; i++)
        undo_entry_free(&tui->undo[i]);
    prompt_done(tui);
    free(tui->fds);
    free(tui->timers);
    free(tui->yank);
    free(tui->pending);
    if (tui->bench) {
        /* Peak resident memory, for bench/tui_bench.sh. */
        FILE *f = fopen("/proc/self/status", "r");
        char line[256];
        while (f && fgets(line, sizeof line, f))
            if (strncmp(line, "VmHWM:", 6) == 0)
                fprintf(tui->bench, "peak_rss_kb %ld\n", strtol(line + 6, NULL, 10));
        if (f)
            fclose(f);
        fclose(tui->bench);
    }
    if (tui_screen_active) {
        tui_screen_active = 0;
        endwin();
        tui_term_wipe();
    }
}

/* ---- blind labeling ---- */

/* Seeds stay below 2^53 so they survive JSON (the judgments' meta) exactly. */
#define TUI_BLIND_SEED_MAX ((UINT64_C(1) << 53) - 1)

static void
tui_blind_key(const struct tui *tui, char *out, size_t size)
{
    snprintf(out, size, "tui.blind.%s", tui->annotator);
}

/* The stored mode: "on SEED" or "off SEED". */
static void
tui_blind_load(struct tui *tui)
{
    char key[200], *v = NULL;
    struct ps_err err = {0, ""};
    tui_blind_key(tui, key, sizeof key);
    if (store_setting_get(tui->st, key, &v, &err) != PS_OK || !v)
        return;
    char mode[8];
    unsigned long long seed;
    if (sscanf(v, "%7s %llu", mode, &seed) == 2 && seed <= TUI_BLIND_SEED_MAX) {
        tui->blind = strcmp(mode, "on") == 0;
        tui->blind_seed = seed;
        if (tui->blind)
            tui->advance = 1;
    }
    free(v);
}

int
tui_blind_swapped(const struct tui *tui, int64_t item_id)
{
    struct stats_rng r;
    stats_rng_seed(&r, tui->blind_seed ^ ((uint64_t)item_id * UINT64_C(0x9E3779B97F4A7C15)));
    return (int)(stats_rng_next(&r) >> 63);
}

void
tui_blind_meta(const struct tui *tui, int left_no, int right_no, enum tui_cmd cmd, char *out,
               size_t size)
{
    const char *chosen = cmd == CMD_LABEL_A ? "left" : cmd == CMD_LABEL_B ? "right" : "tie";
    snprintf(out, size, "{\"blind\":{\"seed\":%llu,\"left\":%d,\"right\":%d,\"chosen\":\"%s\"}}",
             (unsigned long long)tui->blind_seed, left_no, right_no, chosen);
}

int
tui_blind_set(struct tui *tui, int on, uint64_t seed, int have_seed)
{
    char key[200], val[64];
    tui_blind_key(tui, key, sizeof key);
    if (have_seed) {
        tui->blind_seed = seed;
    } else if (on && tui->blind_seed == 0) {
        /* No seed yet: draw one, then keep it so the order never changes. */
        uint64_t t = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20) ^ (uint64_t)tui_now_ms();
        struct stats_rng r;
        stats_rng_seed(&r, t);
        tui->blind_seed = (stats_rng_next(&r) & TUI_BLIND_SEED_MAX) | 1;
    }
    tui->blind = on;
    if (on)
        tui->advance = 1;
    snprintf(val, sizeof val, "%s %llu", on ? "on" : "off", (unsigned long long)tui->blind_seed);
    struct ps_err err = {0, ""};
    if (store_setting_set(tui->st, key, val, &err) != PS_OK)
        tui_err(tui, "blind labeling %s for this session only: %s", on ? "on" : "off", err.msg);
    else if (on)
        tui_msg(tui,
                "blind labeling on (seed %llu): sides drawn per item, models and verdicts "
                "hidden until you label; label and advance on",
                (unsigned long long)tui->blind_seed);
    else
        tui_msg(tui, "blind labeling off: models, verdicts and the stored order shown");
    return TUI_R_HANDLED | TUI_R_REDRAW;
}

/* `blind`, `blind on|off`, `blind seed N`. */
static int
tui_blind_cmd(struct tui *tui, const char *arg)
{
    if (!arg || !*arg)
        return tui_blind_set(tui, !tui->blind, 0, 0);
    if (strcmp(arg, "on") == 0 || strcmp(arg, "off") == 0)
        return tui_blind_set(tui, strcmp(arg, "on") == 0, 0, 0);
    if (strncmp(arg, "seed ", 5) == 0) {
        char *end;
        errno = 0;
        unsigned long long seed = strtoull(arg + 5, &end, 10);
        if (errno == 0 && end != arg + 5 && *end == '\0' && arg[5] != '-' &&
            seed <= TUI_BLIND_SEED_MAX)
            return tui_blind_set(tui, 1, seed, 1);
    }
    tui_err(tui, "blind: on, off or seed N (N from 0 to %llu); no argument toggles",
            (unsigned long long)TUI_BLIND_SEED_MAX);
    return TUI_R_HANDLED;
}

int
tui_run(struct store *st, const struct tui_opts *opts, struct ps_err *err)
{
    int64_t t0 = tui_now_ms();
    struct tui *tui = xcalloc(1, sizeof *tui);
    tui->st = st;
    tui->opts = opts;
    tui->rep = 1;
    snprintf(tui->annotator, sizeof tui->annotator, "human:%s", opts->user ? opts->user : "me");
    const char *bench = getenv("PS_TUI_BENCH");
    if (bench && *bench)
        tui->bench = fopen(bench, "a");
    tui_sig_quit = 0;
    if (tui_init_screen(tui, err) != PS_OK) {
        tui_done(tui);
        free(tui);
        return err->code;
    }
    theme_default(&tui->theme, tui->tier);
    const char *theme = opts->theme ? opts->theme : getenv("PREFSCOPE_THEME");
    /* No theme chosen: a light terminal background (COLORFGBG "fg;bg" with bg 7
     * or 15, as rxvt and Konsole set it) gets the light theme. */
    const char *fgbg = getenv("COLORFGBG");
    if ((!theme || !*theme) && fgbg && strrchr(fgbg, ';')) {
        int bg = atoi(strrchr(fgbg, ';') + 1);
        if (bg == 7 || bg == 15)
            theme = "light";
    }
    struct ps_err terr = {0, ""};
    if (theme_load(&tui->theme, theme && *theme ? theme : "dark", tui->tier, &terr) != PS_OK)
        tui_err(tui, "%s", terr.msg);
    bkgdset(' ' | tui->theme.attr[ROLE_DEFAULT]);

    tui_blind_load(tui);
    if (opts->blind && !tui->blind)
        tui_blind_set(tui, 1, 0, 0);

    if (tui_view_push(tui, &view_datasets_ops, (void *)opts->dataset) != PS_OK && !tui->depth) {
        ps_error(err, PS_ERR, "%s", tui->msg);
        tui_done(tui);
        free(tui);
        return err->code;
    }
    if (opts->dataset) {
        int64_t id;
        struct store_dataset ds = {0};
        if (store_dataset_find(st, opts->dataset, &id, &terr) == PS_OK &&
            store_dataset_get(st, id, &ds, &terr) == PS_OK) {
            /* a feedback list (C3PO) opens where the dataset list's Enter would */
            if (ds.n_items == 0 && ds.n_feedback > 0) {
                struct view_feedback_arg fa = {opts->dataset, 0};
                tui_view_push(tui, &view_feedback_ops, &fa);
            } else {
                struct view_items_arg ia = {id, opts->dataset};
                tui_view_push(tui, &view_items_ops, &ia);
            }
            store_dataset_free(&ds);
        } else
            tui_err(tui, "%s", terr.msg);
    }
    if (opts->feedback > 0) {
        struct view_feedback_arg fa = {NULL, opts->feedback};
        int64_t fid = opts->feedback;
        if (tui_view_push(tui, &view_feedback_ops, &fa) == PS_OK)
            tui_view_push(tui, &view_critique_ops, &fid);
    }
    if (opts->notice)
        tui_err(tui, "%s", opts->notice);
    else if (!tui->utf8)
        /* Once, at start: everything non-ASCII will show as `?`. */
        tui_err(tui, "locale %s is not UTF-8: non-ASCII text shows as ? (try LANG=C.UTF-8)",
                tui->codeset);
    tui_pending_recover(tui);
    tui->data_version = store_data_version(st);
    tui_timer_add(tui, TUI_WATCH_MS, tui_watch, NULL);
    if (opts->on_start)
        opts->on_start(tui, opts->hook_ud);
    tui_paint(tui);
    tui_bench(tui, "first_paint_ms", opts->t0_ms ? opts->t0_ms : t0);

    struct pollfd *pfd = NULL;
    int cap = 0, empty_reads = 0;
    for (;;) {
        if (tui->quit == 1 && !tui_sig_quit && opts->on_quit && opts->on_quit(tui, opts->hook_ud))
            tui->quit = 0;
        if (tui->quit || tui_sig_quit)
            break;
        if (tui->dirty)
            tui_paint(tui);
        if (cap < tui->n_fds + 1) {
            cap = tui->n_fds + 1;
            pfd = xrealloc(pfd, (size_t)cap * sizeof *pfd);
        }
        int n = 0;
        pfd[n++] = (struct pollfd){STDIN_FILENO, POLLIN, 0};
        for (int i = 0; i < tui->n_fds; i++)
            pfd[n++] = (struct pollfd){tui->fds[i].fd, tui->fds[i].events, 0};
        int rc = poll(pfd, (nfds_t)n, tui_poll_timeout(tui));
        if (rc < 0 && errno != EINTR)
            break;
        /* Also after EINTR: SIGWINCH makes get_wch return KEY_RESIZE. */
        int got = tui_read_keys(tui);
        /* The terminal went away (ssh dropped, window closed) without a SIGHUP
         * reaching us: the fd hangs up, or stays readable while every read ends in
         * EOF or EIO, which get_wch reports as "no key".  Either way leave as on
         * SIGHUP instead of spinning on a dead fd. */
        if (rc > 0 && (pfd[0].revents & POLLIN) && !got)
            empty_reads++;
        else if (got)
            empty_reads = 0;
        if ((rc > 0 && (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL))) ||
            (empty_reads >= TUI_EMPTY_READS_MAX && tui_stdin_dead())) {
            tui->term_gone = 1;
            break;
        }
        if (rc > 0) {
            for (int i = 1; i < n; i++) {
                if (!pfd[i].revents)
                    continue;
                for (int k = 0; k < tui->n_fds; k++)
                    if (tui->fds[k].fd == pfd[i].fd) {
                        struct tui_fdw w = tui->fds[k];
                        w.fn(tui, w.fd, pfd[i].revents, w.ud);
                        break;
                    }
            }
        }
        tui_run_timers(tui);
    }
    free(pfd);
    /* Leaving with labels still pending: wait for the workspace, saying so.  Labels
     * that cannot be saved (their item is gone) are named on stderr after the screen
     * is restored; labels still pending when a signal ends the wait stay in the
     * journal (view_items.c) for the next session. */
    struct strbuf lost = STRBUF_INIT, kept = STRBUF_INIT;
    while (tui->n_pending && !tui_sig_quit && !tui->term_gone) {
        char holder[300];
        store_lock_holder(tui->st, holder, sizeof holder);
        tui_err(tui, "saving %d pending label%s: waiting for the workspace (%s holds it)",
                tui->n_pending, tui->n_pending == 1 ? "" : "s", holder);
        tui_paint(tui);
        tui_pending_flush(tui, 1000, &lost);
    }
    tui_pending_describe(tui, &kept);
    if (opts->on_stop)
        opts->on_stop(tui, opts->hook_ud);
    tui_done(tui);
    free(tui);
    if (lost.len) {
        struct strbuf clean = STRBUF_INIT;
        text_sanitize(lost.p, lost.len, &clean, TEXT_SAN_ONELINE);
        fprintf(stderr, "prefscope: labels NOT saved: %s\n", sb_str(&clean));
        sb_free(&clean);
    }
    if (kept.len) {
        struct strbuf clean = STRBUF_INIT;
        text_sanitize(kept.p, kept.len, &clean, TEXT_SAN_ONELINE);
        fprintf(stderr,
                "prefscope: labels still pending, kept for the next session on this workspace:"
                " %s\n",
                sb_str(&clean));
        sb_free(&clean);
    }
    sb_free(&lost);
    sb_free(&kept);
    return PS_OK;
}

/* ---- the Lua host's view of the UI ---- */

long long
tui_current_item(struct tui *tui)
{
    for (int i = tui->depth - 1; i >= 0; i--) {
        struct view *v = tui->stack[i];
        if (v->ops == &view_pair_ops)
            return view_pair_item(v);
        if (v->ops == &view_items_ops)
            return view_items_current(v);
    }
    return 0;
}

int
tui_open_view(struct tui *tui, const char *view, const char *arg, struct ps_err *err)
{
    if (strcmp(view, "datasets") == 0) {
        while (tui->depth > 1)
            tui_view_pop(tui);
        return PS_OK;
    }
    if (strcmp(view, "help") == 0)
        return tui_view_push(tui, &view_help_ops, NULL);
    if (strcmp(view, "stats") == 0 || strcmp(view, "rank") == 0) {
        tui_dispatch(tui, view[0] == 's' ? CMD_STATS : CMD_RANK, arg);
        return PS_OK;
    }
    if (strcmp(view, "constitution") == 0) {
        tui_dispatch(tui, CMD_CONSTITUTION, arg);
        return PS_OK;
    }
    if (strcmp(view, "items") == 0) {
        int64_t id;
        if (!arg || store_dataset_find(tui->st, arg, &id, err) != PS_OK)
            return arg ? err->code : ps_error(err, PS_ERR_USAGE, "items: which dataset?");
        struct view_items_arg ia = {id, arg};
        return tui_view_push(tui, &view_items_ops, &ia) == PS_OK
                   ? PS_OK
                   : ps_error(err, PS_ERR, "%s", tui->msg);
    }
    if (strcmp(view, "pair") == 0) {
        long long item = arg ? atoll(arg) : 0;
        struct store_item it;
        if (item <= 0 || store_item_get_by_id(tui->st, item, &it, err) != PS_OK)
            return item <= 0 ? ps_error(err, PS_ERR_USAGE, "pair: give an item id") : err->code;
        int64_t ds = it.dataset_id, seq = it.seq;
        store_item_free(&it);
        struct store_dataset d;
        if (store_dataset_get(tui->st, ds, &d, err) != PS_OK)
            return err->code;
        struct view_items_arg ia = {ds, d.name};
        int rc = tui_view_push(tui, &view_items_ops, &ia);
        store_dataset_free(&d);
        if (rc != PS_OK)
            return ps_error(err, PS_ERR, "%s", tui->msg);
        view_items_goto_seq(tui, tui_view_top(tui), seq);
        return tui_view_push(tui, &view_pair_ops, NULL) == PS_OK
                   ? PS_OK
                   : ps_error(err, PS_ERR, "%s", tui->msg);
    }
    return ps_error(err, PS_ERR_USAGE,
                    "unknown view '%s' (datasets, items, pair, help, stats, rank, constitution)",
                    view);
}

void
tui_progress(struct tui *tui, const char *line)
{
    struct strbuf tmp = {0};
    const char *clean = text_clean(&tmp, line);
    if (strcmp(clean, tui->progress) != 0) {
        snprintf(tui->progress, sizeof tui->progress, "%s", clean);
        tui->dirty = 1;
    }
    sb_free(&tmp);
}

int
tui_progress_width(const struct tui *tui)
{
    int w = tui->cols - 16; /* the status line's position text keeps the rest */
    return w < 20 ? 20 : w > (int)sizeof tui->progress - 1 ? (int)sizeof tui->progress - 1 : w;
}

long long
tui_clock_ms(void)
{
    return (long long)tui_now_ms();
}
