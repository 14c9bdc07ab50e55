/* The one-line editor behind `:` and every command that asks for an argument
 * (`/`, tag, note, theme...): emacs keys, history, Tab completion of command
 * names and of the arguments of theme/filter/sort. */
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "core/xalloc.h"
#include "store/annotate.h"
#include "store/store.h"
#include "tui/view.h"

static void prompt_menu_clear(struct prompt *p);

void
prompt_open(struct tui *tui, const char *label, enum tui_cmd cmd, const char *initial)
{
    struct prompt *p = &tui->prompt;
    p->active = 1;
    p->cmd = cmd;
    snprintf(p->label, sizeof p->label, "%s", label);
    snprintf(p->buf, sizeof p->buf, "%s", initial ? initial : "");
    p->len = p->cur = strlen(p->buf);
    p->hist_pos = p->n_hist;
    curs_set(1);
    tui->dirty = 1;
}

void
prompt_done(struct tui *tui)
{
    prompt_menu_clear(&tui->prompt);
    for (int i = 0; i < tui->prompt.n_hist; i++)
        free(tui->prompt.hist[i]);
    tui->prompt.n_hist = 0;
}

static void
prompt_close(struct tui *tui)
{
    prompt_menu_clear(&tui->prompt);
    tui->prompt.active = 0;
    curs_set(0);
    tui->dirty = 1;
}

static void
prompt_remember(struct prompt *p)
{
    if (!p->len)
        return;
    if (p->n_hist && strcmp(p->hist[p->n_hist - 1], p->buf) == 0)
        return;
    if (p->n_hist == (int)(sizeof p->hist / sizeof p->hist[0])) {
        free(p->hist[0]);
        memmove(p->hist, p->hist + 1, (size_t)(p->n_hist - 1) * sizeof p->hist[0]);
        p->n_hist--;
    }
    p->hist[p->n_hist++] = xstrdup(p->buf);
}

static void
prompt_set(struct prompt *p, const char *s)
{
    snprintf(p->buf, sizeof p->buf, "%s", s);
    p->len = p->cur = strlen(p->buf);
}

/* ---- completion ---- */

static const char *const prompt_filter_words[] = {
    "label=A", "label=B", "label=tie", "label=none", "label=labeled", "label=any", "disagree",
    "tag=",    "model=",  "len>",      "len<",       "match=",        "off",       NULL};
static const char *const prompt_sort_words[] = {"seq",       "-seq",       "lendiff", "-lendiff",
                                                "promptlen", "-promptlen", NULL};

static const char *const prompt_queue_words[] = {
    "stratified", "by", "model", "disagree", "responses", "seed", "name", "drop", NULL};
static const char *const prompt_onoff_words[] = {"on", "off", NULL};

struct cands {
    char **v;
    int n, cap;
};

static void
cands_add(struct cands *c, const char *s, const char *prefix)
{
    if (strncmp(s, prefix, strlen(prefix)) != 0)
        return;
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->v[i], s) == 0)
            return;
    c->v = xgrow(c->v, sizeof *c->v, c->n, &c->cap, 16);
    c->v[c->n++] = xstrdup(s);
}

static void
cands_free(struct cands *c)
{
    for (int i = 0; i < c->n; i++)
        free(c->v[i]);
    free(c->v);
}

static void
prompt_menu_clear(struct prompt *p)
{
    for (int i = 0; i < p->n_menu; i++)
        free(p->menu[i]);
    free(p->menu);
    p->menu = NULL;
    p->n_menu = 0;
}

/* Tags: with `item` > 0 that item's tags first (untag), then every tag of the
 * dataset; each with `pre` in front (filter's "tag="). */
static void
cands_tags(struct tui *tui, struct cands *c, int64_t item, const char *pre, const char *prefix)
{
    struct ps_err err = {0, ""};
    char **v = NULL, buf[300];
    int n = 0;
    if (item > 0 && store_tag_list(tui->st, item, &v, &n, &err) == PS_OK) {
        for (int i = 0; i < n; i++) {
            snprintf(buf, sizeof buf, "%s%s", pre, v[i]);
            cands_add(c, buf, prefix);
        }
        store_strings_free(v, n);
    }
    int64_t ds = view_dataset_here(tui);
    if (ds > 0 && store_tag_names(tui->st, ds, &v, NULL, &n, &err) == PS_OK) {
        for (int i = 0; i < n; i++) {
            snprintf(buf, sizeof buf, "%s%s", pre, v[i]);
            cands_add(c, buf, prefix);
        }
        store_strings_free(v, n);
    }
}

static void
cands_datasets(struct tui *tui, struct cands *c, const char *prefix)
{
    struct store_dataset *d;
    int n;
    struct ps_err err = {0, ""};
    if (store_dataset_list(tui->st, &d, &n, &err) != PS_OK)
        return;
    for (int i = 0; i < n; i++)
        cands_add(c, d[i].name, prefix);
    store_dataset_list_free(d, n);
}

/* The annotators of the dataset in view, then "none". */
static void
cands_annotators(struct tui *tui, struct cands *c, const char *prefix)
{
    int64_t ds = view_dataset_here(tui);
    struct store_dataset d;
    struct ps_err err = {0, ""};
    if (ds > 0 && store_dataset_get(tui->st, ds, &d, &err) == PS_OK) {
        for (char *a = d.annotators; a && *a;) {
            size_t n = strcspn(a, ",");
            char name[256];
            snprintf(name, sizeof name, "%.*s", (int)(n < 255 ? n : 255), a);
            cands_add(c, name, prefix);
            a += n + (a[n] == ',');
        }
        store_dataset_free(&d);
    }
    cands_add(c, "none", prefix);
}

static void
prompt_complete(struct tui *tui)
{
    struct prompt *p = &tui->prompt;
    p->buf[p->len] = '\0';
    char *space = strchr(p->buf, ' ');
    struct cands c = {0};
    size_t word_start;
    enum tui_cmd cmd = p->cmd;
    if (p->cmd == CMD_NONE && !space) {
        word_start = 0;
        for (int i = 1; i < CMD__COUNT; i++)
            cands_add(&c, keys_cmd_info((enum tui_cmd)i)->name, p->buf);
    } else {
        if (p->cmd == CMD_NONE) {
            char name[64];
            size_t l = (size_t)(space - p->buf);
            snprintf(name, sizeof name, "%.*s", (int)(l < 63 ? l : 63), p->buf);
            cmd = keys_cmd_by_name(name);
            word_start = (size_t)(strrchr(p->buf, ' ') - p->buf) + 1;
        } else {
            char *last = strrchr(p->buf, ' ');
            word_start = last ? (size_t)(last - p->buf) + 1 : 0;
        }
        const char *prefix = p->buf + word_start;
        if (cmd == CMD_THEME) {
            char **names;
            int n = theme_list(&names);
            for (int i = 0; i < n; i++) {
                cands_add(&c, names[i], prefix);
                free(names[i]);
            }
            free(names);
        } else if (cmd == CMD_FILTER) {
            for (int i = 0; prompt_filter_words[i]; i++)
                cands_add(&c, prompt_filter_words[i], prefix);
            if (strncmp(prefix, "tag=", 4) == 0) {
                cands_free(&c); /* the names, not "tag=" itself */
                memset(&c, 0, sizeof c);
                cands_tags(tui, &c, 0, "tag=", prefix);
            }
        } else if (cmd == CMD_TAG || cmd == CMD_UNTAG) {
            cands_tags(tui, &c, cmd == CMD_UNTAG ? tui_current_item(tui) : 0, "", prefix);
        } else if (cmd == CMD_STATS || cmd == CMD_RANK) {
            cands_datasets(tui, &c, prefix);
        } else if (cmd == CMD_REFERENCE) {
            cands_annotators(tui, &c, prefix);
        } else if (cmd == CMD_BLIND) {
            static const char *const blind_words[] = {"on", "off", "seed", NULL};
            for (int i = 0; blind_words[i]; i++)
                cands_add(&c, blind_words[i], prefix);
        } else if (cmd == CMD_OPEN && p->cmd == CMD_NONE &&
                   strncmp(p->buf + strcspn(p->buf, " ") + 1, "items ", 6) == 0) {
            cands_datasets(tui, &c, prefix);
        } else if (cmd == CMD_OPEN) {
            static const char *const views[] = {"datasets", "items", "pair", "help",
                                                "stats",    "rank",  NULL};
            for (int i = 0; views[i]; i++)
                cands_add(&c, views[i], prefix);
        } else if (cmd == CMD_SORT || cmd == CMD_QUEUE || cmd == CMD_ADVANCE) {
            const char *const *words = cmd == CMD_SORT    ? prompt_sort_words
                                       : cmd == CMD_QUEUE ? prompt_queue_words
                                                          : prompt_onoff_words;
            for (int i = 0; words[i]; i++)
                cands_add(&c, words[i], prefix);
        }
    }
    if (c.n == 0) {
        tui_msg(tui, "no completion");
    } else {
        /* Extend to the longest common prefix. */
        size_t common = strlen(c.v[0]);
        for (int i = 1; i < c.n; i++) {
            size_t k = 0;
            while (k < common && c.v[i][k] == c.v[0][k])
                k++;
            common = k;
        }
        char out[sizeof p->buf];
        snprintf(out, sizeof out, "%.*s%.*s%s", (int)word_start, p->buf, (int)common, c.v[0],
                 c.n == 1 && p->cmd == CMD_NONE && word_start == 0 ? " " : "");
        prompt_set(p, out);
        tui->msg[0] = '\0';
        if (c.n > 1) {
            /* The list stays above the prompt until the next key. */
            p->menu = c.v;
            p->n_menu = c.n;
            return;
        }
    }
    cands_free(&c);
}

/* ---- running ---- */

int
prompt_run_line(struct tui *tui, const char *line)
{
    while (*line == ' ')
        line++;
    if (!*line)
        return TUI_R_HANDLED;
    char name[64];
    size_t l = strcspn(line, " ");
    snprintf(name, sizeof name, "%.*s", (int)(l < 63 ? l : 63), line);
    const char *arg = line + l;
    while (*arg == ' ')
        arg++;
    enum tui_cmd cmd = keys_cmd_by_name(name);
    /* A few vim-style spellings. */
    if (cmd == CMD_NONE &&
        (strcmp(name, "q") == 0 || strcmp(name, "q!") == 0 || strcmp(name, "qa") == 0))
        cmd = CMD_QUIT;
    if (cmd == CMD_NONE && name[0] >= '0' && name[0] <= '9') {
        arg = name;
        cmd = CMD_GOTO;
    }
    if (cmd == CMD_NONE) {
        tui_err(tui, "unknown command '%s' (Tab completes, ? lists them)", name);
        return TUI_R_HANDLED;
    }
    char argbuf[1024];
    snprintf(argbuf, sizeof argbuf, "%s", arg);
    return tui_dispatch(tui, cmd, argbuf[0] ? argbuf : NULL);
}

static size_t
prompt_prev_char(const struct prompt *p, size_t i)
{
    if (i == 0)
        return 0;
    i--;
    while (i > 0 && ((unsigned char)p->buf[i] & 0xC0) == 0x80)
        i--;
    return i;
}

static size_t
prompt_next_char(const struct prompt *p, size_t i)
{
    if (i >= p->len)
        return p->len;
    i++;
    while (i < p->len && ((unsigned char)p->buf[i] & 0xC0) == 0x80)
        i++;
    return i;
}

static void
prompt_delete(struct prompt *p, size_t from, size_t to)
{
    memmove(p->buf + from, p->buf + to, p->len - to + 1);
    p->len -= to - from;
    p->cur = from;
}

int
prompt_key(struct tui *tui, int key)
{
    struct prompt *p = &tui->prompt;
    if (p->n_menu)
        tui->dirty = 1;
    prompt_menu_clear(p);
    switch (key) {
    case 27:
    case 7: /* C-g */ prompt_close(tui); return TUI_R_REDRAW;
    case '\r':
    case '\n':
    case KEYC_FN(KEY_ENTER): {
        p->buf[p->len] = '\0';
        prompt_remember(p);
        char line[sizeof p->buf];
        memcpy(line, p->buf, sizeof line);
        enum tui_cmd cmd = p->cmd;
        prompt_close(tui);
        if (cmd == CMD_NONE)
            return prompt_run_line(tui, line);
        return tui_dispatch(tui, cmd, line);
    }
    case '\t': prompt_complete(tui); return TUI_R_REDRAW;
    case 127:
    case 8:
    case KEYC_FN(KEY_BACKSPACE):
        if (p->cur == 0 && p->len == 0) {
            prompt_close(tui);
            return TUI_R_REDRAW;
        }
        if (p->cur > 0)
            prompt_delete(p, prompt_prev_char(p, p->cur), p->cur);
        return TUI_R_REDRAW;
    case KEYC_FN(KEY_DC):
    case 4: /* C-d */
        if (p->cur < p->len)
            prompt_delete(p, p->cur, prompt_next_char(p, p->cur));
        return TUI_R_REDRAW;
    case KEYC_FN(KEY_LEFT):
    case 2: /* C-b */ p->cur = prompt_prev_char(p, p->cur); return TUI_R_REDRAW;
    case KEYC_FN(KEY_RIGHT):
    case 6: /* C-f */ p->cur = prompt_next_char(p, p->cur); return TUI_R_REDRAW;
    case KEYC_FN(KEY_HOME):
    case 1: /* C-a */ p->cur = 0; return TUI_R_REDRAW;
    case KEYC_FN(KEY_END):
    case 5: /* C-e */ p->cur = p->len; return TUI_R_REDRAW;
    case 21: /* C-u */ prompt_delete(p, 0, p->cur); return TUI_R_REDRAW;
    case 11: /* C-k */
        p->len = p->cur;
        p->buf[p->len] = '\0';
        return TUI_R_REDRAW;
    case 23: { /* C-w */
        size_t i = p->cur;
        while (i > 0 && p->buf[i - 1] == ' ')
            i--;
        while (i > 0 && p->buf[i - 1] != ' ')
            i--;
        prompt_delete(p, i, p->cur);
        return TUI_R_REDRAW;
    }
    case KEYC_FN(KEY_UP):
        if (p->hist_pos > 0)
            prompt_set(p, p->hist[--p->hist_pos]);
        return TUI_R_REDRAW;
    case KEYC_FN(KEY_DOWN):
        if (p->hist_pos < p->n_hist - 1)
            prompt_set(p, p->hist[++p->hist_pos]);
        else {
            p->hist_pos = p->n_hist;
            prompt_set(p, "");
        }
        return TUI_R_REDRAW;
    default: break;
    }
    if (key & 0x40000000 || key < 32)
        return TUI_R_HANDLED;
    char enc[4];
    int n = utf8_encode((uint32_t)key, enc);
    if (p->len + (size_t)n >= sizeof p->buf)
        return TUI_R_HANDLED;
    memmove(p->buf + p->cur + n, p->buf + p->cur, p->len - p->cur + 1);
    memcpy(p->buf + p->cur, enc, (size_t)n);
    p->len += (size_t)n;
    p->cur += (size_t)n;
    return TUI_R_REDRAW;
}

/* Tab's candidates in columns above the prompt line, at most half the screen; the
 * last row says how many did not fit. */
static void
prompt_draw_menu(struct tui *tui, int y)
{
    struct prompt *p = &tui->prompt;
    int colw = 1;
    for (int i = 0; i < p->n_menu; i++) {
        int w = draw_width(p->menu[i], strlen(p->menu[i]));
        if (w + 2 > colw)
            colw = w + 2;
    }
    if (colw > tui->cols)
        colw = tui->cols;
    int ncol = tui->cols / colw > 0 ? tui->cols / colw : 1;
    int need = (p->n_menu + ncol - 1) / ncol, maxrows = (tui->rows - 1) / 2;
    int rows = need < maxrows ? need : maxrows;
    if (rows < 1)
        return;
    int shown = need > rows ? (rows - 1) * ncol : p->n_menu;
    for (int r = 0; r < rows; r++)
        draw_fill(tui, y - rows + r, 0, tui->cols, ROLE_STATUS);
    /* Column-major, as shells list completions. */
    int per_col = need > rows ? rows - 1 : rows;
    for (int i = 0; i < shown; i++) {
        int r = per_col > 0 ? i % per_col : 0, col = per_col > 0 ? i / per_col : i;
        draw_text(tui, y - rows + r, col * colw, colw - 1, ROLE_STATUS, p->menu[i],
                  strlen(p->menu[i]), 1);
    }
    if (shown < p->n_menu)
        draw_printf(tui, y - 1, 0, tui->cols, ROLE_DIM, "+%d more of %d (type to narrow)",
                    p->n_menu - shown, p->n_menu);
}

void
prompt_draw(struct tui *tui, int y)
{
    struct prompt *p = &tui->prompt;
    if (p->n_menu)
        prompt_draw_menu(tui, y);
    draw_fill(tui, y, 0, tui->cols, ROLE_DEFAULT);
    int x = draw_text(tui, y, 0, tui->cols, ROLE_PROMPT, p->label, strlen(p->label), 0);
    /* Keep the cursor visible: scroll the text when it is longer than the line. */
    size_t start = 0;
    int avail = tui->cols - x - 1;
    while (start < p->cur) {
        struct strbuf sb = STRBUF_INIT;
        draw_sanitize(p->buf + start, p->cur - start, &sb);
        int w = draw_width(sb.p ? sb.p : "", sb.len);
        sb_free(&sb);
        if (w <= avail)
            break;
        start = prompt_next_char(p, start);
    }
    struct strbuf sb = STRBUF_INIT;
    draw_sanitize(p->buf + start, p->cur - start, &sb);
    int curx = x + draw_width(sb.p ? sb.p : "", sb.len);
    sb_free(&sb);
    draw_text(tui, y, x, avail + 1, ROLE_DEFAULT, p->buf + start, p->len - start, 0);
    move(y, curx < tui->cols ? curx : tui->cols - 1);
}
