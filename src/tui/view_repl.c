/* The Lua REPL pane (` or F12): the engine of `prefscope repl` bound to the TUI.
 *
 * The pane keeps no Lua state of its own: it feeds lines to the ps_lua engine that
 * cmd_tui created (tui_opts.repl_ctx) and receives print()/io.write() output,
 * ps.ui.status() messages and ps.ui.current() queries through the engine's host
 * callbacks.  Output and history live in a struct repl_state owned by the engine (the
 * host's user data, released by ps_lua_free), so they survive closing the pane.
 *
 * Chunks run as tasks: after a line is fed, a TUI timer calls ps_lua_step() until
 * nothing is left to run, so the UI keeps drawing and reading keys while a script
 * waits for a model; Ctrl-C in the pane interrupts through the engine's hook.  The
 * line editor is our own (readline's callback mode would fight ncurses for the
 * terminal); history is read from and appended to the file `prefscope repl` uses. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lua/ps_lua.h"
#include "tui/view.h"

#define REPL_LINES_MAX 2000
#define REPL_HIST_MAX 500
#define REPL_INPUT_MAX 4096

struct repl_state {
    struct tui *tui;
    struct ps_lua *pl;
    char **lines; /* scrollback: complete output lines (owned) */
    int n_lines;
    struct strbuf partial; /* output after the last newline */
    char **hist;           /* oldest first (owned) */
    int n_hist, hist_pos;  /* hist_pos == n_hist: editing a new line */
    char hist_path[4096];
    int has_hist;
    char input[REPL_INPUT_MAX];
    size_t len, cur;     /* bytes */
    int more;            /* continuing an incomplete chunk */
    struct strbuf chunk; /* the lines of the entry so far: one history entry */
    int scroll;          /* lines scrolled back from the bottom */
    int timer;           /* scheduler timer id, 0 = none */
};

/* ---- scrollback ---- */

static void
repl_push_line(struct repl_state *rs, const char *s, size_t n)
{
    if (rs->n_lines == REPL_LINES_MAX) {
        free(rs->lines[0]);
        memmove(rs->lines, rs->lines + 1, sizeof *rs->lines * (REPL_LINES_MAX - 1));
        rs->n_lines--;
    }
    if (!rs->lines)
        rs->lines = calloc(REPL_LINES_MAX, sizeof *rs->lines);
    if (!rs->lines)
        return;
    char *line = malloc(n + 1);
    if (!line)
        return;
    memcpy(line, s, n);
    line[n] = '\0';
    rs->lines[rs->n_lines++] = line;
}

/* Host callback: output of print()/io.write(). */
static void
repl_write(void *ud, const char *s, size_t n)
{
    struct repl_state *rs = ud;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n') {
            repl_push_line(rs, rs->partial.p ? rs->partial.p : "", rs->partial.len);
            sb_reset(&rs->partial);
        } else {
            sb_putc(&rs->partial, s[i]);
        }
    }
    rs->scroll = 0;
    if (rs->tui)
        tui_redraw(rs->tui);
}

static void
repl_echo(struct repl_state *rs, const char *prefix, const char *text)
{
    repl_write(rs, prefix, strlen(prefix));
    repl_write(rs, text, strlen(text));
    repl_write(rs, "\n", 1);
}

/* ---- host callbacks ---- */

static void
repl_status(void *ud, const char *msg)
{
    struct repl_state *rs = ud;
    if (rs->tui)
        tui_msg(rs->tui, "%s", msg);
}

static void
repl_progress_line(void *ud, const char *line)
{
    struct repl_state *rs = ud;
    if (rs->tui)
        tui_progress(rs->tui, line);
}

static int
repl_progress_width(void *ud)
{
    struct repl_state *rs = ud;
    return rs->tui ? tui_progress_width(rs->tui) : 80;
}

/* The item on screen (the item list's cursor, which the pair view follows). */
static int64_t
repl_current_item(void *ud)
{
    struct repl_state *rs = ud;
    return rs->tui ? (int64_t)tui_current_item(rs->tui) : 0;
}

static int
repl_open_view(void *ud, const char *view, const char *arg, struct ps_err *err)
{
    struct repl_state *rs = ud;
    if (!rs->tui)
        return ps_error(err, PS_ERR, "the terminal UI is not running");
    return tui_open_view(rs->tui, view, arg, err);
}

static void
repl_release(void *ud)
{
    struct repl_state *rs = ud;
    for (int i = 0; i < rs->n_lines; i++)
        free(rs->lines[i]);
    free(rs->lines);
    for (int i = 0; i < rs->n_hist; i++)
        free(rs->hist[i]);
    free(rs->hist);
    sb_free(&rs->partial);
    sb_free(&rs->chunk);
    free(rs);
}

/* ---- history ----
 * The file `prefscope repl` writes with readline: each entry after a "#<time>" line,
 * a multi-line entry on several lines up to the next "#<time>"; an older file without
 * those lines has one entry per line. */

static void
repl_hist_add(struct repl_state *rs, const char *line, int save)
{
    if (!*line)
        return;
    if (rs->n_hist > 0 && strcmp(rs->hist[rs->n_hist - 1], line) == 0)
        return;
    if (rs->n_hist == REPL_HIST_MAX) {
        free(rs->hist[0]);
        memmove(rs->hist, rs->hist + 1, sizeof *rs->hist * (REPL_HIST_MAX - 1));
        rs->n_hist--;
    }
    if (!rs->hist)
        rs->hist = calloc(REPL_HIST_MAX, sizeof *rs->hist);
    char *copy = rs->hist ? strdup(line) : NULL;
    if (!copy)
        return;
    rs->hist[rs->n_hist++] = copy;
    if (save && rs->has_hist) {
        FILE *f = fopen(rs->hist_path, "a");
        if (f) {
            fprintf(f, "#%lld\n%s\n", (long long)time(NULL), line);
            fclose(f);
        }
    }
}

static void
repl_hist_load(struct repl_state *rs)
{
    if (!ps_lua_history_path(rs->hist_path, sizeof rs->hist_path))
        return;
    rs->has_hist = 1;
    FILE *f = fopen(rs->hist_path, "r");
    if (!f)
        return;
    char buf[REPL_INPUT_MAX];
    struct strbuf entry = STRBUF_INIT;
    int stamped = 0; /* a "#<time>" line was seen: entries may span lines */
    while (fgets(buf, sizeof buf, f)) {
        buf[strcspn(buf, "\n")] = '\0';
        if (buf[0] == '#' && buf[1] >= '0' && buf[1] <= '9') {
            repl_hist_add(rs, sb_str(&entry), 0);
            sb_reset(&entry);
            stamped = 1;
        } else if (!stamped) {
            repl_hist_add(rs, buf, 0);
        } else {
            if (entry.len)
                sb_putc(&entry, '\n');
            sb_puts(&entry, buf);
        }
    }
    repl_hist_add(rs, sb_str(&entry), 0);
    sb_free(&entry);
    fclose(f);
}

/* ---- running ---- */

static void repl_arm(struct repl_state *rs);

static void
repl_tick(struct tui *tui, void *ud)
{
    struct repl_state *rs = ud;
    (void)tui;
    rs->timer = 0;
    ps_lua_step(rs->pl, 0);
    repl_arm(rs);
    tui_redraw(rs->tui);
}

/* Keep the scheduler running while the engine has tasks. */
static void
repl_arm(struct repl_state *rs)
{
    if (rs->timer || !ps_lua_busy(rs->pl) || !rs->tui)
        return;
    int ms = ps_lua_next_timeout(rs->pl);
    if (ms < 1)
        ms = 1;
    if (ms > 50)
        ms = 50;
    rs->timer = tui_timer_add(rs->tui, ms, repl_tick, rs);
}

static void
repl_submit(struct repl_state *rs)
{
    if (ps_lua_repl_busy(rs->pl)) {
        tui_msg(rs->tui, "still running (Ctrl-C interrupts)");
        return;
    }
    rs->input[rs->len] = '\0';
    /* A recalled multi-line entry echoes line by line. */
    const char *p = rs->input;
    for (int first = !rs->more;; first = 0) {
        size_t n = strcspn(p, "\n");
        repl_write(rs, first ? "> " : ">> ", first ? 2 : 3);
        repl_write(rs, p, n);
        repl_write(rs, "\n", 1);
        if (!p[n])
            break;
        p += n + 1;
    }
    if (rs->chunk.len)
        sb_putc(&rs->chunk, '\n');
    sb_puts(&rs->chunk, rs->input);
    enum ps_lua_feed f = ps_lua_repl_feed(rs->pl, rs->input);
    rs->more = f == PS_LUA_FEED_MORE;
    if (!rs->more) {
        /* The whole entry, as in lua.c: Up brings back all its lines at once. */
        repl_hist_add(rs, sb_str(&rs->chunk), 1);
        sb_reset(&rs->chunk);
    }
    rs->hist_pos = rs->n_hist;
    rs->len = rs->cur = 0;
    rs->input[0] = '\0';
    repl_arm(rs);
}

/* ---- editing ---- */

static void
repl_set_input(struct repl_state *rs, const char *s)
{
    size_t n = strlen(s);
    if (n >= sizeof rs->input)
        n = sizeof rs->input - 1;
    memcpy(rs->input, s, n);
    rs->input[n] = '\0';
    rs->len = rs->cur = n;
}

static void
repl_insert(struct repl_state *rs, const char *s, size_t n)
{
    if (rs->len + n >= sizeof rs->input)
        return;
    memmove(rs->input + rs->cur + n, rs->input + rs->cur, rs->len - rs->cur);
    memcpy(rs->input + rs->cur, s, n);
    rs->len += n;
    rs->cur += n;
    rs->input[rs->len] = '\0';
}

static size_t
utf8_prev(const char *s, size_t i)
{
    while (i > 0 && ((unsigned char)s[--i] & 0xC0) == 0x80)
        ;
    return i;
}

static size_t
utf8_next(const char *s, size_t len, size_t i)
{
    if (i < len)
        i++;
    while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80)
        i++;
    return i;
}

static size_t
utf8_encode(unsigned cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

struct repl_matches {
    char **v;
    int n, cap;
};

static void
repl_add_match(void *ud, const char *cand)
{
    struct repl_matches *m = ud;
    if (m->n == m->cap) {
        int cap = m->cap ? m->cap * 2 : 32;
        char **v = realloc(m->v, sizeof *v * (size_t)cap);
        if (!v)
            return;
        m->v = v;
        m->cap = cap;
    }
    char *c = strdup(cand);
    if (c)
        m->v[m->n++] = c;
}

/* Tab: complete the expression before the cursor (one match: replace it; several:
 * their common prefix, and the list in the scrollback). */
static void
repl_complete(struct repl_state *rs)
{
    char before[REPL_INPUT_MAX];
    memcpy(before, rs->input, rs->cur);
    before[rs->cur] = '\0';
    struct repl_matches m = {NULL, 0, 0};
    ps_lua_complete(rs->pl, before, repl_add_match, &m);
    if (m.n > 0) {
        size_t common = strlen(m.v[0]);
        for (int i = 1; i < m.n; i++) {
            size_t k = 0;
            while (k < common && m.v[i][k] == m.v[0][k])
                k++;
            common = k;
        }
        if (common > rs->cur) {
            char tail[REPL_INPUT_MAX];
            size_t tl = rs->len - rs->cur;
            memcpy(tail, rs->input + rs->cur, tl);
            tail[tl] = '\0';
            if (common + tl < sizeof rs->input) {
                memcpy(rs->input, m.v[0], common);
                memcpy(rs->input + common, tail, tl + 1);
                rs->len = common + tl;
                rs->cur = common;
            }
        }
        if (m.n > 1) {
            struct strbuf sb = STRBUF_INIT;
            for (int i = 0; i < m.n && i < 60; i++) {
                /* show only the last component of each candidate */
                const char *s = m.v[i], *dot = NULL;
                for (const char *p = s; *p; p++)
                    if (*p == '.' || *p == ':' || *p == ' ' || *p == '(' || *p == ',')
                        dot = p;
                sb_puts(&sb, dot ? dot + 1 : s);
                sb_puts(&sb, "  ");
            }
            if (m.n > 60)
                sb_printf(&sb, "... (%d)", m.n);
            sb_putc(&sb, '\n');
            repl_write(rs, sb.p, sb.len);
            sb_free(&sb);
        }
    }
    for (int i = 0; i < m.n; i++)
        free(m.v[i]);
    free(m.v);
}

static int
view_repl_key(struct tui *tui, struct view *v, int key)
{
    struct repl_state *rs = *(struct repl_state **)v->priv;
    rs->tui = tui;
    const int handled = TUI_R_HANDLED | TUI_R_REDRAW;
    switch (key) {
    case '`':
    case KEYC_FN(KEY_F(12)): return TUI_R_IGNORED; /* the keymap's repl-toggle closes the pane */
    case 3:                                        /* Ctrl-C */
        if (ps_lua_busy(rs->pl)) {
            ps_lua_interrupt(rs->pl);
            repl_arm(rs);
        } else {
            ps_lua_repl_reset(rs->pl);
            rs->more = 0;
            sb_reset(&rs->chunk);
            repl_echo(rs, rs->input, "^C");
            rs->len = rs->cur = 0;
            rs->input[0] = '\0';
        }
        return handled;
    case 4: /* Ctrl-D on an empty line closes the pane */
        if (rs->len == 0)
            return TUI_R_HANDLED | TUI_R_CLOSE;
        if (rs->cur < rs->len) {
            size_t n = utf8_next(rs->input, rs->len, rs->cur);
            memmove(rs->input + rs->cur, rs->input + n, rs->len - n + 1);
            rs->len -= n - rs->cur;
        }
        return handled;
    case 27: /* Esc: focus back to the main view, the pane stays */
        tui->pane_focus = 0;
        return handled;
    case '\r':
    case '\n':
    case KEYC_FN(KEY_ENTER): repl_submit(rs); return handled;
    case '\t': repl_complete(rs); return handled;
    case 127:
    case 8:
    case KEYC_FN(KEY_BACKSPACE):
        if (rs->cur > 0) {
            size_t p = utf8_prev(rs->input, rs->cur);
            memmove(rs->input + p, rs->input + rs->cur, rs->len - rs->cur + 1);
            rs->len -= rs->cur - p;
            rs->cur = p;
        }
        return handled;
    case KEYC_FN(KEY_DC):
        if (rs->cur < rs->len) {
            size_t n = utf8_next(rs->input, rs->len, rs->cur);
            memmove(rs->input + rs->cur, rs->input + n, rs->len - n + 1);
            rs->len -= n - rs->cur;
        }
        return handled;
    case KEYC_FN(KEY_LEFT):
    case 2: /* Ctrl-B */ rs->cur = utf8_prev(rs->input, rs->cur); return handled;
    case KEYC_FN(KEY_RIGHT):
    case 6: /* Ctrl-F */ rs->cur = utf8_next(rs->input, rs->len, rs->cur); return handled;
    case KEYC_FN(KEY_HOME):
    case 1: /* Ctrl-A */ rs->cur = 0; return handled;
    case KEYC_FN(KEY_END):
    case 5: /* Ctrl-E */ rs->cur = rs->len; return handled;
    case 21: /* Ctrl-U */
        memmove(rs->input, rs->input + rs->cur, rs->len - rs->cur + 1);
        rs->len -= rs->cur;
        rs->cur = 0;
        return handled;
    case 11: /* Ctrl-K */
        rs->len = rs->cur;
        rs->input[rs->len] = '\0';
        return handled;
    case 23: { /* Ctrl-W: the word before the cursor */
        size_t p = rs->cur;
        while (p > 0 && rs->input[p - 1] == ' ')
            p--;
        while (p > 0 && rs->input[p - 1] != ' ')
            p--;
        memmove(rs->input + p, rs->input + rs->cur, rs->len - rs->cur + 1);
        rs->len -= rs->cur - p;
        rs->cur = p;
        return handled;
    }
    case KEYC_FN(KEY_UP):
    case 16: /* Ctrl-P */
        if (rs->hist_pos > 0)
            repl_set_input(rs, rs->hist[--rs->hist_pos]);
        return handled;
    case KEYC_FN(KEY_DOWN):
    case 14: /* Ctrl-N */
        if (rs->hist_pos < rs->n_hist) {
            rs->hist_pos++;
            repl_set_input(rs, rs->hist_pos < rs->n_hist ? rs->hist[rs->hist_pos] : "");
        }
        return handled;
    case KEYC_FN(KEY_PPAGE):
        rs->scroll += v->area.h / 2 > 0 ? v->area.h / 2 : 1;
        if (rs->scroll > rs->n_lines)
            rs->scroll = rs->n_lines;
        return handled;
    case KEYC_FN(KEY_NPAGE):
        rs->scroll -= v->area.h / 2 > 0 ? v->area.h / 2 : 1;
        if (rs->scroll < 0)
            rs->scroll = 0;
        return handled;
    default: break;
    }
    if (key >= 32 && key != 127 && key < KEYC_FN(0)) {
        char enc[4];
        repl_insert(rs, enc, utf8_encode((unsigned)key, enc));
        return handled;
    }
    return TUI_R_IGNORED;
}

/* ---- the view ---- */

static int
view_repl_open(struct tui *tui, struct view *v, void *arg, struct ps_err *err)
{
    struct ps_lua *pl = arg;
    if (!pl)
        return ps_error(err, PS_ERR, "the Lua engine is not available");
    struct repl_state *rs = ps_lua_host_ud(pl);
    if (!rs) {
        rs = calloc(1, sizeof *rs);
        if (!rs)
            return ps_error(err, PS_ERR_NOMEM, "out of memory");
        rs->pl = pl;
        repl_hist_load(rs);
        rs->hist_pos = rs->n_hist;
        struct ps_lua_host host = {
            .ud = rs,
            .write = repl_write,
            .status = repl_status,
            .current_item = repl_current_item,
            .open_view = repl_open_view,
            .progress_line = repl_progress_line,
            .progress_width = repl_progress_width,
            .release = repl_release,
        };
        ps_lua_set_host(pl, &host);
        rs->tui = tui;
        static const char hello[] =
            "Lua 5.4 with the ps API (docs/lua-api.md).  ps.ui.current() is the item on screen.\n"
            "Enter runs, Tab completes, Up/Down history, Ctrl-C interrupts, Esc back, ` closes.\n";
        repl_write(rs, hello, sizeof hello - 1);
    }
    rs->tui = tui;
    *(struct repl_state **)v->priv = rs;
    repl_arm(rs);
    return PS_OK;
}

static void
view_repl_draw(struct tui *tui, struct view *v)
{
    struct repl_state *rs = *(struct repl_state **)v->priv;
    struct rect a = v->area;
    if (a.h < 2)
        return;
    draw_fill(tui, a.y, a.x, a.w, ROLE_TITLE);
    draw_printf(tui, a.y, a.x, a.w, ROLE_TITLE, " Lua%s  %s",
                ps_lua_busy(rs->pl) ? " [running: Ctrl-C interrupts]" : "",
                tui->pane_focus ? "Esc: back to the view   `: close" : "Tab: focus the REPL");
    int body = a.h - 2; /* title and input lines */
    /* The partial (unterminated) output line counts as a line. */
    int total = rs->n_lines + (rs->partial.len ? 1 : 0);
    int last = total - rs->scroll; /* one past the last line shown */
    int first = last - body;
    if (first < 0)
        first = 0;
    for (int i = first, y = a.y + 1; i < last && y < a.y + 1 + body; i++, y++) {
        const char *s = i < rs->n_lines ? rs->lines[i] : rs->partial.p;
        size_t n = i < rs->n_lines ? strlen(s) : rs->partial.len;
        draw_text(tui, y, a.x, a.w, ROLE_DEFAULT, s, n, 1);
    }
    int y = a.y + a.h - 1;
    const char *prompt = rs->more ? ">> " : "> ";
    int x = a.x + draw_text(tui, y, a.x, a.w, ROLE_PROMPT, prompt, strlen(prompt), 0);
    /* Scroll the input horizontally so the cursor stays visible. */
    int avail = a.w - (x - a.x) - 1;
    size_t start = 0;
    while (start < rs->cur && draw_width(rs->input + start, rs->cur - start) > avail)
        start = utf8_next(rs->input, rs->len, start);
    int cx = x + draw_text(tui, y, x, avail, ROLE_DEFAULT, rs->input + start, rs->cur - start, 0);
    if (tui->pane_focus) {
        size_t next = utf8_next(rs->input, rs->len, rs->cur);
        const char *under = rs->cur < rs->len ? rs->input + rs->cur : " ";
        size_t un = rs->cur < rs->len ? next - rs->cur : 1;
        int w = draw_text(tui, y, cx, a.w - (cx - a.x), ROLE_SEL, under, un, 0);
        draw_text(tui, y, cx + w, a.w - (cx + w - a.x), ROLE_DEFAULT, rs->input + next,
                  rs->len > next ? rs->len - next : 0, 1);
    } else {
        draw_text(tui, y, cx, a.w - (cx - a.x), ROLE_DEFAULT, rs->input + rs->cur,
                  rs->len - rs->cur, 1);
    }
}

static int
view_repl_request(struct tui *tui, struct view *v, enum tui_cmd cmd, const char *arg)
{
    struct repl_state *rs = *(struct repl_state **)v->priv;
    (void)arg;
    /* Motions scroll the output (the mouse wheel arrives as move-up/move-down). */
    switch (cmd) {
    case CMD_MOVE_UP:
        if (rs->scroll < rs->n_lines)
            rs->scroll++;
        return TUI_R_HANDLED | TUI_R_REDRAW;
    case CMD_MOVE_DOWN:
        if (rs->scroll > 0)
            rs->scroll--;
        return TUI_R_HANDLED | TUI_R_REDRAW;
    case CMD_CANCEL:
        /* Ctrl-C with the focus on the main view (forwarded by the loop). */
        if (ps_lua_busy(rs->pl)) {
            ps_lua_interrupt(rs->pl);
            repl_arm(rs);
            tui_msg(tui, "Lua tasks interrupted");
        }
        return TUI_R_HANDLED | TUI_R_REDRAW;
    default: return TUI_R_IGNORED;
    }
}

static void
view_repl_status(struct tui *tui, struct view *v, struct strbuf *out)
{
    struct repl_state *rs = *(struct repl_state **)v->priv;
    (void)tui;
    sb_printf(out, "[lua] %d lines%s", rs->n_lines, ps_lua_busy(rs->pl) ? ", running" : "");
}

static void
view_repl_done(struct tui *tui, struct view *v)
{
    struct repl_state *rs = *(struct repl_state **)v->priv;
    (void)tui;
    /* Tasks keep running with the pane closed: the timer stays armed. */
    (void)rs;
}

const struct view_ops view_repl_ops = {
    .name = "repl",
    .keymap = KM_GENERIC,
    .private_size = sizeof(struct repl_state *),
    .open = view_repl_open,
    .draw = view_repl_draw,
    .request = view_repl_request,
    .key = view_repl_key,
    .status = view_repl_status,
    .done = view_repl_done,
};
