/* The item list of one dataset, and the labeling actions shared with the pair
 * view (labels, tags, notes, undo, agreement).
 *
 * Rows come from store/browse.h a page at a time with keyset paging: the view
 * keeps a window of rows around the cursor, extended with the rows after its
 * last or before its first item, so a million items open at once and scroll
 * without ever loading the dataset. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/xalloc.h"
#include "store/annotate.h"
#include "store/browse.h"
#include "store/store.h"
#include "tui/view.h"

/* The window never holds more than this many rows. */
#define ITEMS_WINDOW_MAX 2000
/* Rows read around a jump. */
#define ITEMS_MARGIN 64
/* Below this width the list drops the lengths and the empty columns. */
#define ITEMS_NARROW_COLS 100

struct items {
    int64_t dataset_id;
    char name[256];
    struct browse_filter f;
    char tag[256], model[256], search_filter[256]; /* storage for f's strings */
    char filter_desc[512];
    int64_t count;
    struct list_pos pos;
    struct browse_row *win; /* rows [win_start, win_start + win_n) of the list */
    int64_t win_start;
    int win_n, win_cap;
    int height;
    char *agreement;    /* cached agreement line, NULL = stale */
    int64_t n_feedback; /* C3PO feedback records, read when there are no items */
};

static int items_ensure(struct tui *tui, struct items *s, int64_t first, int n, struct ps_err *err);
static int items_queue_progress(struct tui *tui, struct items *s, int64_t *done, int64_t *total);

/* ---- the row window ---- */

static void
items_drop(struct items *s)
{
    store_browse_rows_free(s->win, s->win_n);
    s->win = NULL;
    s->win_n = s->win_cap = 0;
    s->win_start = 0;
}

static const struct browse_row *
items_row(const struct items *s, int64_t i)
{
    if (i < s->win_start || i >= s->win_start + s->win_n)
        return NULL;
    return &s->win[i - s->win_start];
}

/* Append rows (taking ownership of their strings). */
static void
items_append(struct items *s, struct browse_row *rows, int n)
{
    if (s->win_n + n > s->win_cap) {
        s->win_cap = s->win_n + n + 64;
        s->win = xrealloc(s->win, (size_t)s->win_cap * sizeof *s->win);
    }
    memcpy(s->win + s->win_n, rows, (size_t)n * sizeof *rows);
    s->win_n += n;
    free(rows);
}

static void
items_prepend(struct items *s, struct browse_row *rows, int n)
{
    if (s->win_n + n > s->win_cap) {
        s->win_cap = s->win_n + n + 64;
        s->win = xrealloc(s->win, (size_t)s->win_cap * sizeof *s->win);
    }
    memmove(s->win + n, s->win, (size_t)s->win_n * sizeof *s->win);
    memcpy(s->win, rows, (size_t)n * sizeof *rows);
    s->win_n += n;
    s->win_start -= n;
    free(rows);
}

/* Keep the window bounded: drop rows far from [first, first + n). */
static void
items_trim(struct items *s, int64_t first, int n)
{
    if (s->win_n <= ITEMS_WINDOW_MAX)
        return;
    int64_t keep_from = first - ITEMS_WINDOW_MAX / 4, keep_to = first + n + ITEMS_WINDOW_MAX / 4;
    int64_t lo = keep_from > s->win_start ? keep_from - s->win_start : 0;
    int64_t hi = keep_to < s->win_start + s->win_n ? keep_to - s->win_start : s->win_n;
    if (lo <= 0 && hi >= s->win_n)
        return;
    for (int64_t i = 0; i < s->win_n; i++) {
        if (i >= lo && i < hi)
            continue;
        free(s->win[i].preview);
        free(s->win[i].tags);
        free(s->win[i].models);
    }
    memmove(s->win, s->win + lo, (size_t)(hi - lo) * sizeof *s->win);
    s->win_n = (int)(hi - lo);
    s->win_start += lo;
}

/* Start a fresh window whose first row is the list's row `start`. */
static int
items_jump(struct tui *tui, struct items *s, int64_t start, int n, struct ps_err *err)
{
    struct browse_row *rows;
    int got;
    items_drop(s);
    if (start <= 0) {
        if (store_browse_rows(tui->st, s->dataset_id, &s->f, -1, n, &rows, &got, err) != PS_OK)
            return err->code;
        s->win_start = 0;
        items_append(s, rows, got);
        return PS_OK;
    }
    if (start + n >= s->count) {
        /* The last page: read backwards from the end. */
        if (store_browse_rows_before(tui->st, s->dataset_id, &s->f, -1, n, &rows, &got, err) !=
            PS_OK)
            return err->code;
        s->win_start = s->count - got;
        items_append(s, rows, got);
        return PS_OK;
    }
    int plain =
        !s->f.annotator || (s->f.label == BROWSE_LABEL_ANY && !s->f.disagree && !s->f.tag &&
                            !s->f.model && s->f.len_min <= 0 && s->f.len_max <= 0 && !s->f.search);
    if (plain && s->f.sort == BROWSE_SORT_SEQ && !s->f.desc) {
        /* Unfiltered import order: position i is seq i, so jump straight there. */
        if (store_browse_rows(tui->st, s->dataset_id, &s->f, start - 1, n, &rows, &got, err) !=
            PS_OK)
            return err->code;
        if (got > 0 && rows[0].seq == start) {
            s->win_start = start;
            items_append(s, rows, got);
            return PS_OK;
        }
        store_browse_rows_free(rows, got);
    }
    /* Otherwise walk forward from the top in big pages (rare: far jumps under
     * a filter or sort). */
    if (store_browse_rows(tui->st, s->dataset_id, &s->f, -1, 1, &rows, &got, err) != PS_OK)
        return err->code;
    s->win_start = 0;
    items_append(s, rows, got);
    return items_ensure(tui, s, start, n, err);
}

/* Make rows [first, first + n) (clipped to the list) present in the window. */
static int
items_ensure(struct tui *tui, struct items *s, int64_t first, int n, struct ps_err *err)
{
    if (first < 0)
        first = 0;
    if (first + n > s->count)
        n = (int)(s->count - first);
    if (n <= 0)
        return PS_OK;
    if (s->win_n == 0 || first + n < s->win_start - ITEMS_WINDOW_MAX ||
        first > s->win_start + s->win_n + ITEMS_WINDOW_MAX) {
        int64_t start = first - ITEMS_MARGIN > 0 ? first - ITEMS_MARGIN : 0;
        if (items_jump(tui, s, start, n + 2 * ITEMS_MARGIN, err) != PS_OK)
            return err->code;
    }
    while (first < s->win_start && s->win_n > 0) {
        struct browse_row *rows;
        int got;
        int want = (int)(s->win_start - first) + ITEMS_MARGIN;
        if (store_browse_rows_before(tui->st, s->dataset_id, &s->f, s->win[0].seq, want, &rows,
                                     &got, err) != PS_OK)
            return err->code;
        if (got == 0) {
            store_browse_rows_free(rows, got);
            break;
        }
        items_prepend(s, rows, got);
    }
    while (first + n > s->win_start + s->win_n && s->win_n > 0) {
        struct browse_row *rows;
        int got;
        int64_t missing = first + n - (s->win_start + s->win_n);
        int want = (int)(missing > 1000 ? 1000 : missing) + ITEMS_MARGIN;
        if (store_browse_rows(tui->st, s->dataset_id, &s->f, s->win[s->win_n - 1].seq, want, &rows,
                              &got, err) != PS_OK)
            return err->code;
        if (got == 0) {
            store_browse_rows_free(rows, got);
            break;
        }
        items_append(s, rows, got);
        items_trim(s, first, n);
    }
    items_trim(s, first, n);
    return PS_OK;
}

/* Re-read the count and the rows (after a label, a filter change...). */
static void
items_refresh(struct tui *tui, struct items *s)
{
    struct ps_err err = {0, ""};
    free(s->agreement);
    s->agreement = NULL;
    if (store_browse_count(tui->st, s->dataset_id, &s->f, &s->count, &err) != PS_OK) {
        tui_err(tui, "%s", err.msg);
        s->count = 0;
    }
    items_drop(s);
    int h = s->height > 0 ? s->height : 20;
    list_clamp(&s->pos, s->count, h);
    if (items_ensure(tui, s, s->pos.top, h, &err) != PS_OK)
        tui_err(tui, "%s", err.msg);
}

/* Re-read the rows around the cursor, keeping the count (after a change whose
 * effect on the count items_member told us). */
static void
items_reload(struct tui *tui, struct items *s)
{
    struct ps_err err = {0, ""};
    free(s->agreement);
    s->agreement = NULL;
    items_drop(s);
    int h = s->height > 0 ? s->height : 20;
    list_clamp(&s->pos, s->count, h);
    if (items_ensure(tui, s, s->pos.top, h, &err) != PS_OK)
        tui_err(tui, "%s", err.msg);
}

static int
items_filtered(const struct items *s)
{
    const struct browse_filter *f = &s->f;
    return f->label != BROWSE_LABEL_ANY || f->disagree || f->tag || f->model || f->len_min > 0 ||
           f->len_max > 0 || f->search;
}

/* 1 when the item is in the (filtered) list.  Two keyset probes instead of a
 * count: on a million items a filtered count is a scan of most of a second,
 * far too slow to redo after every label. */
static int
items_member(struct tui *tui, struct items *s, int64_t item_id)
{
    if (!items_filtered(s))
        return 1;
    int64_t seq = -1;
    for (int i = 0; i < s->win_n && seq < 0; i++)
        if (s->win[i].item_id == item_id)
            seq = s->win[i].seq;
    struct ps_err err = {0, ""};
    if (seq < 0) {
        struct store_item it;
        if (store_item_get_by_id(tui->st, item_id, &it, &err) != PS_OK)
            return 0;
        seq = it.seq;
        store_item_free(&it);
    }
    struct browse_row *rows;
    int got;
    int64_t prev = -1;
    if (store_browse_rows_before(tui->st, s->dataset_id, &s->f, seq, 1, &rows, &got, &err) != PS_OK)
        return 0;
    if (got > 0)
        prev = rows[0].seq;
    store_browse_rows_free(rows, got);
    if (store_browse_rows(tui->st, s->dataset_id, &s->f, prev, 1, &rows, &got, &err) != PS_OK)
        return 0;
    int member = got > 0 && rows[0].item_id == item_id;
    store_browse_rows_free(rows, got);
    return member;
}

/* ---- filters and sorting ---- */

static void
items_describe(struct items *s)
{
    struct strbuf sb = STRBUF_INIT;
    static const char *const labels[] = {"",        "label=none", "label=labeled",
                                         "label=A", "label=B",    "label=tie"};
    if (s->f.label != BROWSE_LABEL_ANY)
        sb_printf(&sb, " %s", labels[s->f.label]);
    if (s->f.disagree)
        sb_puts(&sb, " disagree");
    if (s->f.tag)
        sb_printf(&sb, " tag=%s", s->f.tag);
    if (s->f.model)
        sb_printf(&sb, " model=%s", s->f.model);
    if (s->f.len_min > 0)
        sb_printf(&sb, " len>%lld", (long long)s->f.len_min - 1);
    if (s->f.len_max > 0)
        sb_printf(&sb, " len<%lld", (long long)s->f.len_max + 1);
    if (s->f.search)
        sb_printf(&sb, " match=%s", s->f.search);
    snprintf(s->filter_desc, sizeof s->filter_desc, "%s", sb.len ? sb_str(&sb) + 1 : "");
    sb_free(&sb);
}

static int
items_set_filter(struct tui *tui, struct items *s, const char *arg)
{
    struct browse_filter f = s->f;
    char tag[256], model[256], search[256];
    memcpy(tag, s->tag, sizeof tag);
    memcpy(model, s->model, sizeof model);
    memcpy(search, s->search_filter, sizeof search);
    const char *p = arg;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        size_t n = strcspn(p, " ");
        char tok[256];
        snprintf(tok, sizeof tok, "%.*s", (int)(n < 255 ? n : 255), p);
        if (strncmp(tok, "match=", 6) == 0) {
            /* The rest of the line is the search text. */
            snprintf(search, sizeof search, "%s", p + 6);
            f.search = search;
            n = strlen(p);
        } else if (strcmp(tok, "off") == 0 || strcmp(tok, "clear") == 0 ||
                   strcmp(tok, "none") == 0) {
            enum browse_sort sort = f.sort;
            int desc = f.desc;
            memset(&f, 0, sizeof f);
            f.sort = sort;
            f.desc = desc;
        } else if (strcmp(tok, "disagree") == 0) {
            f.disagree = 1;
        } else if (strncmp(tok, "label=", 6) == 0) {
            const char *v = tok + 6;
            if (strcmp(v, "A") == 0 || strcmp(v, "a") == 0)
                f.label = BROWSE_LABEL_A;
            else if (strcmp(v, "B") == 0 || strcmp(v, "b") == 0)
                f.label = BROWSE_LABEL_B;
            else if (strcmp(v, "tie") == 0)
                f.label = BROWSE_LABEL_TIE;
            else if (strcmp(v, "none") == 0 || strcmp(v, "unlabeled") == 0)
                f.label = BROWSE_LABEL_UNLABELED;
            else if (strcmp(v, "labeled") == 0 || strcmp(v, "mine") == 0)
                f.label = BROWSE_LABEL_LABELED;
            else if (strcmp(v, "any") == 0)
                f.label = BROWSE_LABEL_ANY;
            else {
                tui_err(tui, "filter: label=A|B|tie|none|labeled|any, not '%s'", v);
                return TUI_R_HANDLED;
            }
        } else if (strncmp(tok, "tag=", 4) == 0) {
            snprintf(tag, sizeof tag, "%s", tok + 4);
            f.tag = tag[0] ? tag : NULL;
        } else if (strncmp(tok, "model=", 6) == 0) {
            snprintf(model, sizeof model, "%s", tok + 6);
            f.model = model[0] ? model : NULL;
        } else if (strncmp(tok, "len>", 4) == 0) {
            f.len_min = atoll(tok + 4) + 1;
        } else if (strncmp(tok, "len<", 4) == 0) {
            f.len_max = atoll(tok + 4) - 1;
            if (f.len_max < 1)
                f.len_max = 1;
        } else {
            tui_err(tui,
                    "filter: unknown '%s' (label=, disagree, tag=, model=, len>N, len<N, "
                    "match=TEXT, off)",
                    tok);
            return TUI_R_HANDLED;
        }
        p += n;
    }
    memcpy(s->tag, tag, sizeof tag);
    memcpy(s->model, model, sizeof model);
    memcpy(s->search_filter, search, sizeof search);
    if (f.tag)
        f.tag = s->tag;
    if (f.model)
        f.model = s->model;
    if (f.search)
        f.search = s->search_filter;
    f.annotator = tui->annotator;
    s->f = f;
    s->pos.cur = s->pos.top = 0;
    items_describe(s);
    items_refresh(tui, s);
    tui_msg(tui, "%lld items%s%s", (long long)s->count, s->filter_desc[0] ? " match " : "",
            s->filter_desc);
    return TUI_R_HANDLED | TUI_R_REDRAW;
}

static int
items_set_sort(struct tui *tui, struct items *s, const char *arg)
{
    const char *a = arg;
    int desc = 0;
    if (*a == '-') {
        desc = 1;
        a++;
    }
    enum browse_sort sort;
    if (strcmp(a, "seq") == 0)
        sort = BROWSE_SORT_SEQ;
    else if (strcmp(a, "lendiff") == 0)
        sort = BROWSE_SORT_LEN_DIFF;
    else if (strcmp(a, "promptlen") == 0 || strcmp(a, "len") == 0)
        sort = BROWSE_SORT_PROMPT_LEN;
    else {
        tui_err(tui, "sort: seq, lendiff or promptlen (prefix - for descending), not '%s'", arg);
        return TUI_R_HANDLED;
    }
    s->f.sort = sort;
    s->f.desc = desc;
    s->pos.cur = s->pos.top = 0;
    items_refresh(tui, s);
    tui_msg(tui, "sorted by %s%s", desc ? "-" : "", a);
    return TUI_R_HANDLED | TUI_R_REDRAW;
}

/* ---- open / draw ---- */

static int
items_open(struct tui *tui, struct view *v, void *arg, struct ps_err *err)
{
    struct items *s = v->priv;
    const struct view_items_arg *a = arg;
    s->dataset_id = a->dataset_id;
    s->f.annotator = tui->annotator;
    /* The name comes from the caller: loading the dataset record would
     * aggregate its annotators, a scan of every judgment. */
    snprintf(s->name, sizeof s->name, "%s", a->name ? a->name : "?");
    if (store_browse_count(tui->st, s->dataset_id, &s->f, &s->count, err) != PS_OK)
        return err->code;
    if (s->count == 0) {
        /* No items: say what the dataset holds instead (C3PO feedback lists).
         * Loading the record is cheap here: there are no judgments to aggregate. */
        struct store_dataset d;
        if (store_dataset_get(tui->st, s->dataset_id, &d, err) != PS_OK)
            return err->code;
        s->n_feedback = d.n_feedback;
        store_dataset_free(&d);
    }
    return items_ensure(tui, s, 0, 64, err);
}

static void
items_done(struct tui *tui, struct view *v)
{
    (void)tui;
    struct items *s = v->priv;
    items_drop(s);
    free(s->agreement);
}

static enum tui_role
items_label_role(enum store_verdict v)
{
    switch (v) {
    case STORE_VERDICT_A: return ROLE_LABEL_A;
    case STORE_VERDICT_B: return ROLE_LABEL_B;
    case STORE_VERDICT_TIE: return ROLE_LABEL_TIE;
    default: return ROLE_DIM;
    }
}

static int
items_verdict_cell(struct tui *tui, int y, int x, int sel, enum store_verdict v)
{
    const char *t = v == STORE_VERDICT_NONE ? (tui->utf8 ? "·" : ".") : store_verdict_str(v);
    draw_text(tui, y, x, 4, sel && v == STORE_VERDICT_NONE ? ROLE_SEL : items_label_role(v), t,
              strlen(t), 0);
    return 5;
}

/* A dataset without items that holds C3PO feedback statements (not preference
 * pairs): say so, and how to see them. */
static void
items_draw_feedback(struct tui *tui, const struct items *s, struct rect a)
{
    /* A C3PO feedback list: feedback statements, not preference pairs. */
    draw_printf(tui, a.y + 3, a.x + 2, a.w - 2, ROLE_DEFAULT,
                "This dataset holds %lld C3PO feedback record%s and no preference items.",
                (long long)s->n_feedback, s->n_feedback == 1 ? "" : "s");
    draw_printf(tui, a.y + 4, a.x + 2, a.w - 2, ROLE_DIM,
                "Each is a piece of verbal feedback (with its domain and effect) for "
                "generating critiques.");
    draw_printf(tui, a.y + 6, a.x + 2, a.w - 2, ROLE_DEFAULT, "See them with:");
    /* The name as a shell word, so the command can be pasted. */
    struct strbuf q = STRBUF_INIT;
    if (s->name[strspn(s->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "0123456789._-+:@/")] == '\0') {
        sb_puts(&q, s->name);
    } else {
        sb_putc(&q, '\'');
        for (const char *c = s->name; *c; c++) {
            if (*c == '\'')
                sb_puts(&q, "'\\''");
            else
                sb_putc(&q, *c);
        }
        sb_putc(&q, '\'');
    }
    draw_printf(tui, a.y + 7, a.x + 4, a.w - 4, ROLE_ACCENT, "prefscope critique ls %s",
                sb_str(&q));
    draw_printf(tui, a.y + 8, a.x + 4, a.w - 4, ROLE_ACCENT, "prefscope critique show %s N",
                sb_str(&q));
    sb_free(&q);
}

/* A right-aligned column head of `width` cells: the sort mark (one cell, or "")
 * before the name. */
static void
items_head(struct strbuf *out, const char *mark, const char *name, int width)
{
    int w = (int)strlen(name) + (*mark ? 1 : 0);
    sb_printf(out, "%*s%s%s", width > w ? width - w : 0, "", mark, name);
}

static void
items_draw(struct tui *tui, struct view *v)
{
    struct items *s = v->priv;
    struct rect a = v->area;
    draw_fill(tui, a.y, a.x, a.w, ROLE_TITLE);
    struct strbuf sb = STRBUF_INIT;
    sb_printf(&sb, " %s  ·  %lld items", s->name, (long long)s->count);
    if (s->filter_desc[0])
        sb_printf(&sb, "  [filter: %s]", s->filter_desc);
    if (s->f.sort != BROWSE_SORT_SEQ || s->f.desc)
        sb_printf(&sb, "  [sort: %s%s]", s->f.desc ? "-" : "",
                  s->f.sort == BROWSE_SORT_SEQ        ? "seq"
                  : s->f.sort == BROWSE_SORT_LEN_DIFF ? "lendiff"
                                                      : "promptlen");
    if (tui->search[0])
        sb_printf(&sb, "  [/%s]", tui->search);
    int64_t qdone, qtotal;
    if (items_queue_progress(tui, s, &qdone, &qtotal))
        sb_printf(&sb, "  [queue %lld/%lld]", (long long)qdone, (long long)qtotal);
    if (tui->advance)
        sb_puts(&sb, "  [advance]");
    if (tui->blind)
        sb_puts(&sb, "  [blind]");
    draw_text(tui, a.y, a.x, a.w, ROLE_TITLE, sb_str(&sb), sb.len, 1);
    sb_free(&sb);
    if (a.h < 3)
        return;
    s->height = a.h - 2;
    list_clamp(&s->pos, s->count, s->height);
    draw_fill(tui, a.y + 1, a.x, a.w, ROLE_HEADER);
    struct ps_err err = {0, ""};
    if (items_ensure(tui, s, s->pos.top, s->height, &err) != PS_OK)
        tui_err(tui, "%s", err.msg);
    /* Wide terminals also get the responses' models; blind labeling hides them and
     * the data and disagreement columns.  Below 100 columns the prompt gets most of
     * the width: the lengths go, and so do the columns with nothing to show on
     * this screen (no other verdict, no disagreement, always two responses). */
    int wmodels = a.w >= 150 && !tui->blind ? 28 : 0, narrow = a.w < ITEMS_NARROW_COLS;
    /* Blind: the lengths too, as the pair view shows each side's length and HH or
     * TRL data would give the chosen response away by it. */
    int show_data = !tui->blind, show_bang = !tui->blind, show_len = !narrow && !tui->blind;
    int show_n = 1;
    int seqw = 8;
    if (narrow) {
        int any_data = 0, any_bang = 0, any_n = 0;
        for (int i = 0; i < s->height && s->pos.top + i < s->count; i++) {
            const struct browse_row *r = items_row(s, s->pos.top + i);
            if (!r)
                break;
            any_data |= r->ds_label != STORE_VERDICT_NONE;
            any_bang |= r->disagree;
            any_n |= r->n_resp != 2;
        }
        show_data &= any_data;
        show_bang &= any_bang;
        show_n = any_n;
        seqw = 1;
        for (int64_t c = s->count; c >= 10; c /= 10)
            seqw++;
    }
    /* The sort column carries an arrow (^/v without UTF-8); lendiff sorts on the
     * difference of both lengths, so both get it. */
    const char *arrow = tui->utf8 ? (s->f.desc ? "▼" : "▲") : (s->f.desc ? "v" : "^");
    struct strbuf h = STRBUF_INIT;
    sb_puts(&h, " ");
    items_head(&h, s->f.sort == BROWSE_SORT_SEQ ? arrow : "", "#", seqw + 1);
    sb_printf(&h, " %-4s %-*s%-*s", "mine", show_data ? 5 : 0, show_data ? "data" : "",
              show_bang ? 2 : 0, show_bang ? "!" : "");
    if (show_len) {
        items_head(&h, s->f.sort == BROWSE_SORT_LEN_DIFF ? arrow : "", "len 1", 6);
        sb_putc(&h, ' ');
        items_head(&h, s->f.sort == BROWSE_SORT_LEN_DIFF ? arrow : "", "len 2", 6);
        sb_putc(&h, ' ');
    }
    if (show_n)
        sb_printf(&h, "%2s ", "n");
    sb_printf(&h, " %-*s%s%s", wmodels, wmodels ? "models" : "", "tags · prompt",
              s->f.sort == BROWSE_SORT_PROMPT_LEN ? arrow : "");
    draw_text(tui, a.y + 1, a.x, a.w, ROLE_HEADER, sb_str(&h), h.len, 1);
    sb_free(&h);
    if (s->count == 0 && !s->filter_desc[0] && s->n_feedback > 0) {
        items_draw_feedback(tui, s, a);
    } else if (s->count == 0) {
        draw_printf(tui, a.y + 3, a.x + 2, a.w - 2, ROLE_DIM, "%s",
                    s->filter_desc[0] ? "No item matches the filter (f off clears it)."
                                      : "This dataset is empty.");
    }
    for (int i = 0; i < s->height && s->pos.top + i < s->count; i++) {
        const struct browse_row *r = items_row(s, s->pos.top + i);
        if (!r)
            break;
        int y = a.y + 2 + i;
        int sel = s->pos.top + i == s->pos.cur;
        enum tui_role base = sel ? ROLE_SEL : ROLE_DEFAULT;
        if (sel)
            draw_fill(tui, y, a.x, a.w, ROLE_SEL);
        int x = a.x;
        x += draw_printf(tui, y, x, a.w, base, "%s%*lld ", sel ? ">" : " ", seqw,
                         (long long)r->seq + 1);
        /* Blind labeling: A and B are the sides the pair view shows (A left). */
        enum store_verdict mine = r->my_label;
        if (tui->blind && tui_blind_swapped(tui, r->item_id) &&
            (mine == STORE_VERDICT_A || mine == STORE_VERDICT_B))
            mine = mine == STORE_VERDICT_A ? STORE_VERDICT_B : STORE_VERDICT_A;
        x += items_verdict_cell(tui, y, x, sel, mine);
        if (show_data)
            x += items_verdict_cell(tui, y, x, sel, r->ds_label);
        if (show_bang)
            x += draw_text(tui, y, x, 2, sel ? ROLE_SEL : ROLE_ACCENT, r->disagree ? "! " : "  ", 2,
                           0);
        if (show_len)
            x += draw_printf(tui, y, x, a.x + a.w - x, base, "%6lld %6lld ", (long long)r->len0,
                             (long long)r->len1);
        if (show_n)
            x += draw_printf(tui, y, x, a.x + a.w - x, base, "%2d ", r->n_resp);
        /* Items with notes: a mark in the gap before the tags and prompt. */
        const char *nm = r->has_note ? (tui->utf8 ? "✎" : "*") : " ";
        x += draw_text(tui, y, x, 1, sel ? ROLE_SEL : ROLE_ACCENT, nm, strlen(nm), 0);
        x += draw_text(tui, y, x, 1, base, " ", 1, 0);
        if (wmodels) {
            const char *m = r->models ? r->models : "";
            draw_text(tui, y, x, wmodels - 1, sel ? ROLE_SEL : ROLE_DIM, m, strlen(m), 1);
            x += wmodels;
        }
        if (r->tags && x < a.x + a.w) {
            struct strbuf tb = STRBUF_INIT;
            sb_printf(&tb, "#%s ", r->tags);
            for (size_t k = 0; k < tb.len; k++)
                if (tb.p[k] == ',')
                    tb.p[k] = '#';
            /* search finds tags too: the words stand out there as well */
            x += draw_text_hl(tui, y, x, a.x + a.w - x, sel ? ROLE_SEL : ROLE_TAG, sb_str(&tb),
                              tb.len, 1, tui->search);
            sb_free(&tb);
        }
        /* The words of the last search stand out in the prompts. */
        if (x < a.x + a.w)
            draw_text_hl(tui, y, x, a.x + a.w - x, base, r->preview ? r->preview : "",
                         r->preview ? strlen(r->preview) : 0, 1, tui->search);
    }
}

/* ---- shared with the pair view ---- */

int64_t
view_items_current(struct view *items)
{
    const struct items *s = items->priv;
    const struct browse_row *r = items_row(s, s->pos.cur);
    return r ? r->item_id : 0;
}

int64_t
view_items_index(struct view *items)
{
    return ((struct items *)items->priv)->pos.cur;
}

int64_t
view_items_count(struct view *items)
{
    return ((struct items *)items->priv)->count;
}

/* Move the cursor to list position i, loading rows as needed. */
static int
items_goto(struct tui *tui, struct items *s, int64_t i)
{
    struct ps_err err = {0, ""};
    int h = s->height > 0 ? s->height : 20;
    if (i < 0 || i >= s->count)
        return PS_ERR_NOTFOUND;
    if (items_ensure(tui, s, i, 1, &err) != PS_OK) {
        tui_err(tui, "%s", err.msg);
        return err.code;
    }
    s->pos.cur = i;
    list_clamp(&s->pos, s->count, h);
    return PS_OK;
}

/* Move to the first item after (dir > 0) or before the item at `from` (a seq; -2:
 * the cursor's) that I have not labeled, in the list's order and under its filter. */
static int
items_next_unlabeled(struct tui *tui, struct items *s, int dir, int64_t from)
{
    const struct browse_row *cur = items_row(s, s->pos.cur);
    int64_t anchor = from != -2 ? from : cur ? cur->seq : -1;
    struct browse_filter f = s->f;
    f.annotator = tui->annotator;
    if (f.label != BROWSE_LABEL_ANY && f.label != BROWSE_LABEL_UNLABELED) {
        tui_err(tui, "the filter shows only labeled items");
        return PS_ERR_NOTFOUND;
    }
    f.label = BROWSE_LABEL_UNLABELED;
    struct browse_row *rows;
    int got;
    struct ps_err err = {0, ""};
    int rc = dir > 0 ? store_browse_rows(tui->st, s->dataset_id, &f, anchor, 1, &rows, &got, &err)
                     : store_browse_rows_before(tui->st, s->dataset_id, &f, anchor, 1, &rows, &got,
                                                &err);
    if (rc != PS_OK) {
        tui_err(tui, "%s", err.msg);
        return rc;
    }
    if (got == 0) {
        store_browse_rows_free(rows, got);
        tui_msg(tui, "no unlabeled item %s", dir > 0 ? "below" : "above");
        return PS_ERR_NOTFOUND;
    }
    int64_t seq = rows[0].seq, pos;
    store_browse_rows_free(rows, got);
    if (store_browse_position(tui->st, s->dataset_id, &s->f, seq, &pos, &err) != PS_OK) {
        tui_err(tui, "%s", err.msg);
        return err.code;
    }
    return items_goto(tui, s, pos);
}

int
view_items_goto_seq(struct tui *tui, struct view *items, int64_t seq)
{
    struct items *s = items->priv;
    int64_t pos;
    struct ps_err err = {0, ""};
    if (store_browse_position(tui->st, s->dataset_id, &s->f, seq, &pos, &err) != PS_OK) {
        tui_err(tui, "%s", err.msg);
        return err.code;
    }
    return items_goto(tui, s, pos);
}

/* The count for commands that repeat a query (n, >): each step is a query, so a
 * mistyped #100000n stops at a thousand. */
static int64_t
items_rep(const struct tui *tui)
{
    return tui->rep < 1 ? 1 : tui->rep > 1000 ? 1000 : tui->rep;
}

/* `>`/`<` with a count: the count-th next/previous unlabeled item. */
static int
items_nth_unlabeled(struct tui *tui, struct items *s, int dir)
{
    int rc = PS_OK;
    for (int64_t k = 0; k < items_rep(tui) && rc == PS_OK; k++) {
        rc = items_next_unlabeled(tui, s, dir, -2);
        if (rc != PS_OK && k > 0)
            return PS_OK; /* fewer than asked: stay on the last one found */
    }
    return rc;
}

int
view_items_step(struct tui *tui, struct view *items, int64_t delta, int unlabeled_only)
{
    struct items *s = items->priv;
    if (unlabeled_only)
        return items_nth_unlabeled(tui, s, delta > 0 ? 1 : -1);
    int64_t i = s->pos.cur + delta;
    /* A count past the end stops at the end, as in vim; one step past it says so. */
    if ((i < 0 || i >= s->count) && (delta == 1 || delta == -1 || s->count == 0 ||
                                     s->pos.cur == (delta > 0 ? s->count - 1 : 0))) {
        tui_msg(tui, "%s of the list", delta > 0 ? "end" : "start");
        return PS_ERR_NOTFOUND;
    }
    return items_goto(tui, s, i < 0 ? 0 : i >= s->count ? s->count - 1 : i);
}

/* ---- labeling queues ---- */

/* 1 when the list shows a queue (filter tag=queue:NAME): *done of *total labeled. */
static int
items_queue_progress(struct tui *tui, struct items *s, int64_t *done, int64_t *total)
{
    if (!s->f.tag || strncmp(s->f.tag, "queue:", 6) != 0)
        return 0;
    struct browse_filter f = {0};
    f.annotator = tui->annotator;
    f.tag = s->f.tag;
    struct ps_err err = {0, ""};
    if (store_browse_count(tui->st, s->dataset_id, &f, total, &err) != PS_OK)
        return 0;
    f.label = BROWSE_LABEL_LABELED;
    return store_browse_count(tui->st, s->dataset_id, &f, done, &err) == PS_OK;
}

int
view_items_queue_progress(struct tui *tui, struct view *items, int64_t *done, int64_t *total)
{
    return items_queue_progress(tui, items->priv, done, total);
}

/* Show only the queue's items (the sort stays), with label and advance on, at the
 * first one I have not labeled. */
static int
items_queue_show(struct tui *tui, struct items *s, const char *tag)
{
    struct browse_filter f = {0};
    f.sort = s->f.sort;
    f.desc = s->f.desc;
    f.annotator = tui->annotator;
    snprintf(s->tag, sizeof s->tag, "%s", tag);
    f.tag = s->tag;
    s->f = f;
    s->pos.cur = s->pos.top = 0;
    items_describe(s);
    items_refresh(tui, s);
    tui->advance = 1;
    int64_t done = 0, total = 0;
    items_queue_progress(tui, s, &done, &total);
    if (done < total)
        items_next_unlabeled(tui, s, 1, -1);
    tui_msg(tui, "%s %lld/%lld labeled%s · advance on · :queue drop removes it", tag,
            (long long)done, (long long)total, done == total ? " (complete)" : "");
    return TUI_R_HANDLED | TUI_R_REDRAW;
}

/* :queue [N] [stratified by model|disagree|responses] [seed S] [name NAME], or
 * :queue drop [name NAME].  A queue is the tag queue:NAME (NAME defaults to my
 * user name) on a random sample of the list's items, so it lives in the workspace:
 * :queue alone resumes it, after a restart too. */
static int
items_queue(struct tui *tui, struct items *s, const char *arg)
{
    static const char usage[] = "queue N [stratified by model|disagree|responses] [seed S] "
                                "[name NAME] | queue [name NAME] | queue drop [name NAME]";
    long long n = 0;
    unsigned long long seed = 1;
    enum browse_stratum strat = BROWSE_STRATUM_NONE;
    const char *strat_name = NULL;
    char name[96] = "", buf[512], *tok[16];
    int ntok = 0, drop = 0;
    snprintf(buf, sizeof buf, "%s", arg ? arg : "");
    for (char *save = NULL, *t = strtok_r(buf, " ", &save); t && ntok < 16;
         t = strtok_r(NULL, " ", &save))
        tok[ntok++] = t;
    for (int i = 0; i < ntok; i++) {
        const char *t = tok[i], *val = i + 1 < ntok ? tok[i + 1] : NULL;
        char *end;
        if (strcmp(t, "drop") == 0) {
            drop = 1;
        } else if (strtoll(t, &end, 10) > 0 && *end == '\0') {
            n = strtoll(t, NULL, 10);
        } else if (strcmp(t, "seed") == 0 && val) {
            seed = strtoull(val, &end, 10);
            if (*end || *val == '-') {
                tui_err(tui, "queue: seed is a number, not '%s'", val);
                return TUI_R_HANDLED;
            }
            i++;
        } else if (strcmp(t, "name") == 0 && val) {
            snprintf(name, sizeof name, "%s", val);
            i++;
        } else if (strcmp(t, "stratified") == 0 && val) {
            if (strcmp(val, "by") == 0 && i + 2 < ntok)
                val = tok[++i + 1];
            if (strcmp(val, "model") == 0 || strcmp(val, "models") == 0)
                strat = BROWSE_STRATUM_MODEL, strat_name = "model";
            else if (strcmp(val, "disagree") == 0)
                strat = BROWSE_STRATUM_DISAGREE, strat_name = "disagree";
            else if (strcmp(val, "responses") == 0)
                strat = BROWSE_STRATUM_RESPONSES, strat_name = "responses";
            else {
                tui_err(tui, "queue: stratified by model, disagree or responses, not '%s'", val);
                return TUI_R_HANDLED;
            }
            i++;
        } else {
            tui_err(tui, "queue: unexpected '%s' (%s)", t, usage);
            return TUI_R_HANDLED;
        }
    }
    char tag[128];
    const char *user =
        strncmp(tui->annotator, "human:", 6) == 0 ? tui->annotator + 6 : tui->annotator;
    snprintf(tag, sizeof tag, "queue:%.96s", name[0] ? name : user);
    struct ps_err err = {0, ""};
    if (drop) {
        int removed = 0;
        if (store_tag_drop(tui->st, s->dataset_id, tag, &removed, &err) != PS_OK) {
            tui_err(tui, "%s", err.msg);
            return TUI_R_HANDLED;
        }
        if (s->f.tag && strcmp(s->f.tag, tag) == 0)
            items_set_filter(tui, s, "off");
        else
            items_refresh(tui, s);
        tui_msg(tui, "%s dropped (%d item%s; labels stay)", tag, removed, removed == 1 ? "" : "s");
        return TUI_R_HANDLED | TUI_R_REDRAW;
    }
    struct browse_filter qf = {0};
    qf.annotator = tui->annotator;
    qf.tag = tag;
    int64_t existing = 0;
    if (store_browse_count(tui->st, s->dataset_id, &qf, &existing, &err) != PS_OK) {
        tui_err(tui, "%s", err.msg);
        return TUI_R_HANDLED;
    }
    if (existing > 0)
        return items_queue_show(tui, s, tag);
    if (n <= 0) {
        tui_err(tui, "no %s yet: %s", tag, usage);
        return TUI_R_HANDLED;
    }
    int64_t *ids;
    int got;
    if (store_browse_sample(tui->st, s->dataset_id, &s->f, n > 1000000 ? 1000000 : (int)n, strat,
                            seed, &ids, &got, &err) != PS_OK) {
        tui_err(tui, "%s", err.msg);
        return TUI_R_HANDLED;
    }
    int rc = got ? store_tag_add_many(tui->st, ids, got, tag, NULL, &err) : PS_OK;
    free(ids);
    if (rc != PS_OK || got == 0) {
        tui_err(tui, "queue: %s", rc != PS_OK ? err.msg : "no item to sample here");
        return TUI_R_HANDLED;
    }
    items_queue_show(tui, s, tag);
    char msg[sizeof tui->msg];
    snprintf(msg, sizeof msg, "%s", tui->msg);
    tui_msg(tui, "sampled %d item%s%s%s (seed %llu) · %.300s", got, got == 1 ? "" : "s",
            strat_name ? " stratified by " : "", strat_name ? strat_name : "", seed, msg);
    return TUI_R_HANDLED | TUI_R_REDRAW;
}

/* `/`, n, N: jump among the items whose text matches, in import order. */
static int
items_search(struct tui *tui, struct items *s, const char *query, int dir)
{
    if (!query || !*query) {
        tui_err(tui, "no search yet: / starts one");
        return TUI_R_HANDLED;
    }
    int64_t t0 = tui_now_ms();
    const struct browse_row *cur = items_row(s, s->pos.cur);
    int64_t from = cur ? cur->seq : -1;
    struct ps_err err = {0, ""};
    int wrapped = 0;
    /* A match outside the filter is skipped; bounded so a sparse filter with
     * many matches outside it cannot hang the UI. */
    for (int tries = 0; tries < 200; tries++) {
        int64_t seq;
        int rc = store_search_next(tui->st, s->dataset_id, query, from, dir, &seq, &err);
        if (rc == PS_ERR_NOTFOUND && !wrapped) {
            wrapped = 1;
            from = -1;
            continue;
        }
        if (rc != PS_OK) {
            tui_err(tui, "%s: %s", query, rc == PS_ERR_NOTFOUND ? "no match" : err.msg);
            return TUI_R_HANDLED | TUI_R_REDRAW;
        }
        int64_t pos;
        if (store_browse_position(tui->st, s->dataset_id, &s->f, seq, &pos, &err) != PS_OK) {
            tui_err(tui, "%s", err.msg);
            return TUI_R_HANDLED;
        }
        if (items_goto(tui, s, pos) == PS_OK) {
            const struct browse_row *r = items_row(s, s->pos.cur);
            if (r && r->seq == seq) {
                /* "3 of 17": the match's place among all of the dataset's, counted
                 * up to 10000 so a common word on a huge dataset stays quick. */
                int64_t rank = 0, total = 0;
                struct ps_err rerr = {0, ""};
                if (store_search_rank(tui->st, s->dataset_id, query, seq, 10000, &rank, &total,
                                      &rerr) == PS_OK &&
                    total > 0 && rank > 0 && total <= 10000)
                    tui_msg(tui, "/%s: match %lld of %lld, item %lld%s", query, (long long)rank,
                            (long long)total, (long long)seq + 1, wrapped ? " (wrapped)" : "");
                else
                    tui_msg(tui, "/%s: item %lld%s", query, (long long)seq + 1,
                            wrapped ? " (wrapped)" : "");
                tui_bench(tui, "search_ms", t0);
                return TUI_R_HANDLED | TUI_R_REDRAW;
            }
        }
        from = seq;
    }
    tui_err(tui, "/%s: no match inside the filter", query);
    return TUI_R_HANDLED | TUI_R_REDRAW;
}

static struct view *
items_find_view(struct tui *tui)
{
    for (int i = tui->depth - 1; i >= 0; i--)
        if (tui->stack[i]->ops == &view_items_ops)
            return tui->stack[i];
    return NULL;
}

void
undo_entry_free(struct undo_entry *e)
{
    free(e->text);
    free(e->prev_meta);
    e->text = e->prev_meta = NULL;
}

static void
undo_push(struct tui *tui, struct undo_entry e)
{
    if (tui->n_undo == UNDO_MAX) {
        undo_entry_free(&tui->undo[0]);
        memmove(tui->undo, tui->undo + 1, (UNDO_MAX - 1) * sizeof tui->undo[0]);
        tui->n_undo--;
    }
    tui->undo[tui->n_undo++] = e;
}

/* ---- labels the workspace could not take yet ----
 * A label key acts at once: a label waits at most LABEL_TRY_MS for the write lock,
 * and when another process (an import) holds it, the label is queued, shown as
 * pending and retried every PENDING_RETRY_MS until it is saved. */
enum { LABEL_TRY_MS = 50, PENDING_RETRY_MS = 500 };

static int
label_try(struct tui *tui, struct undo_entry *e, int wait_ms, enum store_verdict *prev,
          struct ps_err *err)
{
    store_busy_timeout(tui->st, wait_ms);
    free(e->prev_meta);
    int rc = store_label_set_meta(tui->st, e->item_id, e->resp_a, e->resp_b, tui->annotator,
                                  store_verdict_parse(e->next), e->meta[0] ? e->meta : NULL, prev,
                                  &e->prev_meta, err);
    store_busy_timeout(tui->st, 5000);
    return rc;
}

static void
pending_drop(struct tui *tui, const struct undo_entry *e)
{
    for (int i = 0; i < tui->n_pending; i++) {
        const struct undo_entry *p = &tui->pending[i];
        if (p->item_id == e->item_id && ((p->resp_a == e->resp_a && p->resp_b == e->resp_b) ||
                                         (p->resp_a == e->resp_b && p->resp_b == e->resp_a))) {
            memmove(&tui->pending[i], &tui->pending[i + 1],
                    (size_t)(tui->n_pending - i - 1) * sizeof *tui->pending);
            tui->n_pending--;
            i--;
        }
    }
}

static void pending_retry(struct tui *tui, void *ud);

/* The queue is also kept on disk, "<workspace>-pending.<pid>", rewritten whole at
 * each change (temporary file, fsync, rename), so that a label queued when the TUI is
 * killed is saved by the next session that opens the workspace (tui_pending_recover).
 * One line per label: item_id resp_a resp_b seq idx_a idx_b verdict annotator. */
static int
journal_path(struct tui *tui, long pid, char *buf, size_t size)
{
    const char *ws = store_path(tui->st);
    if (!ws || !*ws || strcmp(ws, ":memory:") == 0)
        return 0;
    int n = snprintf(buf, size, "%s-pending.%ld", ws, pid);
    return n > 0 && (size_t)n < size;
}

static void
journal_write(struct tui *tui)
{
    char path[4096], tmp[4200];
    if (!journal_path(tui, (long)getpid(), path, sizeof path))
        return;
    if (!tui->n_pending || strchr(tui->annotator, '\n')) {
        remove(path);
        return;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return; /* the queue in memory still holds them */
    for (int i = 0; i < tui->n_pending; i++) {
        const struct undo_entry *p = &tui->pending[i];
        /* a blind label's meta (JSON of ours, no tab or newline) after a tab */
        fprintf(f, "%lld %lld %lld %lld %d %d %s %s%s%s\n", (long long)p->item_id,
                (long long)p->resp_a, (long long)p->resp_b, (long long)p->seq, p->idx_a, p->idx_b,
                p->next[0] ? p->next : "-", tui->annotator, p->meta[0] ? "\t" : "", p->meta);
    }
    int ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
    if (fclose(f) != 0 || !ok || rename(tmp, path) != 0)
        remove(tmp);
}

static void
pending_add(struct tui *tui, const struct undo_entry *e)
{
    if (tui->n_pending == tui->cap_pending) {
        tui->cap_pending = tui->cap_pending ? 2 * tui->cap_pending : 16;
        tui->pending = xrealloc(tui->pending, (size_t)tui->cap_pending * sizeof *tui->pending);
    }
    tui->pending[tui->n_pending++] = *e;
    journal_write(tui);
    if (!tui->pending_timer)
        tui->pending_timer = tui_timer_add(tui, PENDING_RETRY_MS, pending_retry, NULL);
}

/* Try to save every pending label, oldest first; stops at the first busy answer.
 * Returns the number saved; a non-busy error is reported in `err` and its label
 * stays queued. */
static int
pending_save(struct tui *tui, int wait_ms, struct ps_err *err)
{
    int saved = 0;
    while (tui->n_pending) {
        struct undo_entry e = tui->pending[0];
        enum store_verdict prev;
        if (label_try(tui, &e, wait_ms, &prev, err) != PS_OK)
            break;
        snprintf(e.prev, sizeof e.prev, "%s", store_verdict_str(prev));
        undo_push(tui, e);
        memmove(tui->pending, tui->pending + 1, (size_t)(tui->n_pending - 1) * sizeof e);
        tui->n_pending--;
        saved++;
    }
    if (saved)
        journal_write(tui);
    return saved;
}

static void
pending_retry(struct tui *tui, void *ud)
{
    (void)ud;
    tui->pending_timer = 0;
    struct ps_err err = {0, ""};
    int saved = pending_save(tui, LABEL_TRY_MS, &err);
    if (saved) {
        struct view *iv = items_find_view(tui);
        if (iv)
            items_reload(tui, iv->priv);
        tui->dirty = 1;
    }
    if (tui->n_pending) {
        if (err.code != PS_ERR_BUSY)
            tui_err(tui, "%d label%s pending: %s", tui->n_pending, tui->n_pending == 1 ? "" : "s",
                    err.msg);
        tui->pending_timer = tui_timer_add(tui, PENDING_RETRY_MS, pending_retry, NULL);
        if (saved || err.code != PS_ERR_BUSY)
            tui->dirty = 1;
    } else if (saved) {
        tui_msg(tui, "saved %d pending label%s (u undoes)", saved, saved == 1 ? "" : "s");
    }
}

static void
pending_describe(const struct undo_entry *p, const char *why, struct strbuf *out)
{
    sb_printf(out, "%sitem %lld: %s (responses #%d, #%d)%s%s", out->len ? "; " : "",
              (long long)p->seq + 1, p->next[0] ? p->next : "no label", p->idx_a + 1, p->idx_b + 1,
              why ? ": " : "", why ? why : "");
}

int
tui_pending_flush(struct tui *tui, int wait_ms, struct strbuf *lost)
{
    for (;;) {
        struct ps_err err = {0, ""};
        pending_save(tui, wait_ms, &err);
        if (!tui->n_pending || err.code == PS_ERR_BUSY)
            break;
        /* not a busy workspace (the item was deleted meanwhile): name it, go on */
        pending_describe(&tui->pending[0], err.msg, lost);
        memmove(tui->pending, tui->pending + 1,
                (size_t)(tui->n_pending - 1) * sizeof *tui->pending);
        tui->n_pending--;
        journal_write(tui);
    }
    return tui->n_pending;
}

void
tui_pending_recover(struct tui *tui)
{
    char probe[4096];
    if (!journal_path(tui, 0, probe, sizeof probe))
        return;
    /* probe is "<ws>-pending.0": split it into the directory and the name prefix */
    char *dot = strrchr(probe, '.');
    dot[1] = '\0';
    char *slash = strrchr(probe, '/');
    const char *prefix = slash ? slash + 1 : probe;
    char dir[4096];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - probe) : 1, slash ? probe : ".");
    DIR *d = opendir(dir);
    struct dirent *de;
    int recovered = 0;
    size_t pl = strlen(prefix);
    while (d && (de = readdir(d))) {
        if (strncmp(de->d_name, prefix, pl) != 0)
            continue;
        char *end;
        long pid = strtol(de->d_name + pl, &end, 10);
        if (*end || pid <= 0 || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno == EPERM)
            continue; /* not a journal, or its session is still running */
        char path[8200];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        struct undo_entry got[64];
        int n = 0, foreign = 0;
        char line[512];
        while (fgets(line, sizeof line, f)) {
            struct undo_entry e;
            memset(&e, 0, sizeof e);
            long long id, ra, rb, seq;
            char verdict[16], who[400];
            if (sscanf(line, "%lld %lld %lld %lld %d %d %15s %399[^\n]", &id, &ra, &rb, &seq,
                       &e.idx_a, &e.idx_b, verdict, who) != 8)
                continue;
            char *tab = strchr(who, '\t');
            if (tab) {
                *tab = '\0';
                snprintf(e.meta, sizeof e.meta, "%s", tab + 1);
            }
            if (strcmp(who, tui->annotator) != 0) {
                foreign = 1; /* another labeller's: theirs to recover */
                break;
            }
            e.kind = UNDO_LABEL;
            e.item_id = id;
            e.resp_a = ra;
            e.resp_b = rb;
            e.seq = seq;
            snprintf(e.next, sizeof e.next, "%s", strcmp(verdict, "-") ? verdict : "");
            if (n < 64)
                got[n++] = e;
        }
        fclose(f);
        if (foreign)
            continue;
        for (int i = 0; i < n; i++) {
            pending_drop(tui, &got[i]);
            pending_add(tui, &got[i]);
        }
        recovered += n;
        remove(path);
    }
    if (d)
        closedir(d);
    if (recovered)
        tui_msg(tui, "%d label%s of an interrupted session pending, saved when possible", recovered,
                recovered == 1 ? "" : "s");
}

void
tui_pending_describe(struct tui *tui, struct strbuf *out)
{
    for (int i = 0; i < tui->n_pending; i++)
        pending_describe(&tui->pending[i], NULL, out);
}

static enum store_verdict
items_cmd_verdict(enum tui_cmd cmd)
{
    switch (cmd) {
    case CMD_LABEL_A: return STORE_VERDICT_A;
    case CMD_LABEL_B: return STORE_VERDICT_B;
    case CMD_LABEL_TIE: return STORE_VERDICT_TIE;
    default: return STORE_VERDICT_NONE;
    }
}

/* "response #2 (left) better", "a tie of #1 and #2", "no label": a verdict in words
 * that cannot be misread whichever side is shown where. */
static void
items_verdict_words(const struct label_target *t, const char *verdict, struct strbuf *out)
{
    enum store_verdict v = store_verdict_parse(verdict);
    if (v == STORE_VERDICT_A || v == STORE_VERDICT_B) {
        int a = v == STORE_VERDICT_A;
        const char *where = a ? t->where_a : t->where_b;
        if (where)
            sb_printf(out, "the %s response (#%d) better", where, (a ? t->idx_a : t->idx_b) + 1);
        else
            sb_printf(out, "response #%d better", (a ? t->idx_a : t->idx_b) + 1);
    } else if (v == STORE_VERDICT_TIE) {
        sb_printf(out, "a tie of #%d and #%d", t->idx_a + 1, t->idx_b + 1);
    } else {
        sb_puts(out, "no label");
    }
}

int
view_items_label(struct tui *tui, struct view *items, const struct label_target *t,
                 enum tui_cmd cmd, const char *arg)
{
    struct items *s = items->priv;
    struct ps_err err = {0, ""};
    struct undo_entry e;
    memset(&e, 0, sizeof e);
    e.item_id = t->item_id;
    e.seq = t->seq;
    int64_t item_id = t->item_id;
    int was = items_member(tui, s, item_id);
    switch (cmd) {
    case CMD_LABEL_A:
    case CMD_LABEL_B:
    case CMD_LABEL_TIE:
    case CMD_LABEL_CLEAR: {
        enum store_verdict v = items_cmd_verdict(cmd), prev;
        e.kind = UNDO_LABEL;
        e.resp_a = t->resp_a;
        e.resp_b = t->resp_b;
        e.idx_a = t->idx_a;
        e.idx_b = t->idx_b;
        snprintf(e.meta, sizeof e.meta, "%s", t->meta ? t->meta : "");
        snprintf(e.next, sizeof e.next, "%s", store_verdict_str(v));
        /* The newest label of a pair wins: an older pending one must not overwrite it
         * when it is retried. */
        pending_drop(tui, &e);
        int rc = label_try(tui, &e, LABEL_TRY_MS, &prev, &err);
        if (rc == PS_ERR_BUSY) {
            pending_add(tui, &e);
            struct strbuf sb = STRBUF_INIT;
            items_verdict_words(t, e.next, &sb);
            char holder[300];
            store_lock_holder(tui->st, holder, sizeof holder);
            tui_err(tui, "label pending (%s): %s holds the workspace; saved when it frees",
                    sb_str(&sb), holder);
            sb_free(&sb);
            return TUI_R_HANDLED | TUI_R_REDRAW;
        }
        if (rc != PS_OK) {
            tui_err(tui, "%s", err.msg);
            return TUI_R_HANDLED;
        }
        snprintf(e.prev, sizeof e.prev, "%s", store_verdict_str(prev));
        undo_push(tui, e);
        struct strbuf sb = STRBUF_INIT;
        items_verdict_words(t, e.next, &sb);
        if (v == STORE_VERDICT_NONE)
            tui_msg(tui, "label cleared on item %lld (u undoes)", (long long)t->seq + 1);
        else
            tui_msg(tui, "labeled %s on item %lld, as %s (u undoes)", sb_str(&sb),
                    (long long)t->seq + 1, tui->annotator);
        sb_free(&sb);
        break;
    }
    case CMD_TAG:
    case CMD_UNTAG: {
        if (!arg || !*arg) {
            prompt_open(tui, cmd == CMD_TAG ? "tag: " : "untag: ", cmd, NULL);
            return TUI_R_HANDLED;
        }
        int changed = 0;
        int rc = cmd == CMD_TAG ? store_tag_add(tui->st, item_id, arg, &changed, &err)
                                : store_tag_remove(tui->st, item_id, arg, &changed, &err);
        if (rc != PS_OK) {
            tui_err(tui, "%s", err.msg);
            return TUI_R_HANDLED;
        }
        if (changed) {
            e.kind = cmd == CMD_TAG ? UNDO_TAG_ADD : UNDO_TAG_DEL;
            e.text = xstrdup(arg);
            undo_push(tui, e);
        }
        tui_msg(tui, "%s #%s%s", cmd == CMD_TAG ? "tagged" : "untagged", arg,
                changed ? "" : " (no change)");
        break;
    }
    case CMD_NOTE: {
        if (!arg || !*arg) {
            prompt_open(tui, "note: ", CMD_NOTE, NULL);
            return TUI_R_HANDLED;
        }
        if (store_note_add(tui->st, item_id, tui->annotator, arg, &e.note_id, &err) != PS_OK) {
            tui_err(tui, "%s", err.msg);
            return TUI_R_HANDLED;
        }
        e.kind = UNDO_NOTE;
        undo_push(tui, e);
        tui_msg(tui, "note added (u undoes)");
        break;
    }
    default: return TUI_R_IGNORED;
    }
    s->count += items_member(tui, s, item_id) - was;
    items_reload(tui, s);
    if (tui->advance && cmd != CMD_LABEL_CLEAR && cmd != CMD_TAG && cmd != CMD_UNTAG &&
        cmd != CMD_NOTE) {
        /* Label and advance: on to the next item I have not labeled after this one,
         * in the list's filter and order; the label's message stays. */
        char msg[sizeof tui->msg];
        snprintf(msg, sizeof msg, "%s", tui->msg);
        if (items_next_unlabeled(tui, s, 1, t->seq) == PS_OK)
            tui_msg(tui, "%s", msg);
        else
            tui_msg(tui, "%.400s; no unlabeled item below", msg);
    }
    return TUI_R_HANDLED | TUI_R_REDRAW;
}

int
tui_undo(struct tui *tui, int64_t *item_id)
{
    if (item_id)
        *item_id = 0;
    if (tui->n_undo == 0) {
        tui_msg(tui, "nothing to undo");
        return TUI_R_HANDLED;
    }
    struct undo_entry e = tui->undo[--tui->n_undo];
    struct ps_err err = {0, ""};
    int rc = PS_OK;
    struct view *iv = items_find_view(tui);
    int was = iv ? items_member(tui, iv->priv, e.item_id) : 0;
    switch (e.kind) {
    case UNDO_LABEL: {
        /* Back to the verdict and the meta (a blind label's order) that were there. */
        rc = store_label_set_meta(tui->st, e.item_id, e.resp_a, e.resp_b, tui->annotator,
                                  store_verdict_parse(e.prev), e.prev_meta, NULL, NULL, &err);
        /* Name both states by response number: the sides may have been swapped
         * since, and the item may not be on screen. */
        struct label_target t = {e.item_id, e.seq, e.resp_a, e.resp_b, e.idx_a,
                                 e.idx_b,   NULL,  NULL,     NULL};
        struct strbuf was_sb = STRBUF_INIT, now_sb = STRBUF_INIT;
        items_verdict_words(&t, e.next, &was_sb);
        items_verdict_words(&t, e.prev, &now_sb);
        if (rc == PS_OK)
            tui_msg(tui, "undone on item %lld: back to %s (was %s)", (long long)e.seq + 1,
                    sb_str(&now_sb), sb_str(&was_sb));
        sb_free(&was_sb);
        sb_free(&now_sb);
        break;
    }
    case UNDO_TAG_ADD:
        rc = store_tag_remove(tui->st, e.item_id, e.text, NULL, &err);
        if (rc == PS_OK)
            tui_msg(tui, "undone: tag #%s removed from item %lld", e.text, (long long)e.seq + 1);
        break;
    case UNDO_TAG_DEL:
        rc = store_tag_add(tui->st, e.item_id, e.text, NULL, &err);
        if (rc == PS_OK)
            tui_msg(tui, "undone: tag #%s restored on item %lld", e.text, (long long)e.seq + 1);
        break;
    case UNDO_NOTE:
        rc = store_note_delete(tui->st, e.note_id, &err);
        if (rc == PS_OK)
            tui_msg(tui, "undone: note removed from item %lld", (long long)e.seq + 1);
        break;
    }
    undo_entry_free(&e);
    if (rc != PS_OK)
        tui_err(tui, "undo failed: %s", err.msg);
    if (iv) {
        /* As in vim, the cursor goes to the change (label and advance moved on). */
        struct items *s = iv->priv;
        s->count += items_member(tui, s, e.item_id) - was;
        items_reload(tui, s);
        if (rc == PS_OK && view_items_current(iv) != e.item_id)
            view_items_goto_seq(tui, iv, e.seq);
    }
    if (item_id && rc == PS_OK)
        *item_id = e.item_id;
    return TUI_R_HANDLED | TUI_R_REDRAW;
}

void
view_items_notes(struct tui *tui, struct view *items, int64_t item_id, struct strbuf *out)
{
    (void)items;
    struct store_note *notes;
    int n;
    struct ps_err err = {0, ""};
    if (store_note_list(tui->st, item_id, &notes, &n, &err) != PS_OK)
        return;
    for (int i = 0; i < n; i++)
        sb_printf(out, "%s[%s %s] %s", i ? "\n" : "", notes[i].author ? notes[i].author : "?",
                  notes[i].created_at ? notes[i].created_at : "",
                  notes[i].text ? notes[i].text : "");
    store_notes_free(notes, n);
}

void
view_items_agreement(struct tui *tui, struct view *items, struct strbuf *out)
{
    struct items *s = items->priv;
    if (!s->agreement) {
        struct store_agreement *ag;
        int n;
        struct ps_err err = {0, ""};
        struct strbuf sb = STRBUF_INIT;
        if (store_agreement(tui->st, s->dataset_id, tui->annotator, &ag, &n, &err) == PS_OK) {
            for (int i = 0; i < n; i++) {
                if (ag[i].both == 0)
                    continue;
                sb_printf(&sb, "%s%s %.0f%% (%lld/%lld)", sb.len ? " · " : "", ag[i].annotator,
                          100.0 * (double)ag[i].agree / (double)ag[i].both, (long long)ag[i].agree,
                          (long long)ag[i].both);
            }
            store_agreement_free(ag, n);
        }
        s->agreement = sb_take(&sb);
    }
    sb_puts(out, s->agreement);
}

/* ---- commands ---- */

static int
items_request(struct tui *tui, struct view *v, enum tui_cmd cmd, const char *arg)
{
    struct items *s = v->priv;
    int h = s->height > 0 ? s->height : v->area.h - 2;
    /* Keys typed ahead arrive before any repaint: make sure the cursor's row
     * is loaded, since drawing is what normally loads rows. */
    struct ps_err lerr = {0, ""};
    if (s->count > 0 && items_ensure(tui, s, s->pos.cur, 1, &lerr) != PS_OK)
        tui_err(tui, "%s", lerr.msg);
    if (cmd != CMD_GOTO && list_motion(tui, &s->pos, cmd, arg, s->count, h))
        return TUI_R_HANDLED | TUI_R_REDRAW;
    switch (cmd) {
    case CMD_ENTER:
        if (s->count > 0 && view_items_current(v) > 0)
            tui_view_push(tui, &view_pair_ops, NULL);
        return TUI_R_HANDLED | TUI_R_REDRAW;
    case CMD_GOTO: {
        if (!arg)
            return TUI_R_IGNORED;
        long long n = atoll(arg);
        if (n < 1 || n > s->count) {
            tui_err(tui, "goto: give a number between 1 and %lld", (long long)s->count);
            return TUI_R_HANDLED;
        }
        items_goto(tui, s, n - 1);
        return TUI_R_HANDLED | TUI_R_REDRAW;
    }
    case CMD_SEARCH:
        if (!arg) {
            prompt_open(tui, "/", CMD_SEARCH, NULL);
            return TUI_R_HANDLED;
        }
        snprintf(tui->search, sizeof tui->search, "%s", arg);
        return items_search(tui, s, tui->search, 1);
    case CMD_SEARCH_NEXT:
    case CMD_SEARCH_PREV: {
        /* With a count, the count-th match (the last message names it). */
        int r = TUI_R_HANDLED;
        tui->msg_err = 0;
        for (int64_t k = 0; k < items_rep(tui) && !tui->msg_err; k++)
            r = items_search(tui, s, tui->search, cmd == CMD_SEARCH_NEXT ? 1 : -1);
        return r;
    }
    case CMD_FILTER:
        if (!arg) {
            /* The filters in force, to edit or drop: "off" first makes the line the
             * whole filter (typed terms otherwise add to it). */
            char init[sizeof s->filter_desc + 8] = "";
            if (s->filter_desc[0])
                snprintf(init, sizeof init, "off %s ", s->filter_desc);
            prompt_open(tui, "filter: ", CMD_FILTER, init);
            return TUI_R_HANDLED;
        }
        return items_set_filter(tui, s, arg);
    case CMD_SORT:
        if (!arg) {
            prompt_open(tui, "sort: ", CMD_SORT, NULL);
            return TUI_R_HANDLED;
        }
        return items_set_sort(tui, s, arg);
    case CMD_QUEUE: return items_queue(tui, s, arg);
    case CMD_NEXT_UNLABELED:
    case CMD_PREV_UNLABELED:
        items_nth_unlabeled(tui, s, cmd == CMD_NEXT_UNLABELED ? 1 : -1);
        return TUI_R_HANDLED | TUI_R_REDRAW;
    case CMD_LABEL_A:
    case CMD_LABEL_B:
    case CMD_LABEL_TIE:
    case CMD_LABEL_CLEAR:
    case CMD_TAG:
    case CMD_UNTAG:
    case CMD_NOTE: {
        const struct browse_row *row = items_row(s, s->pos.cur);
        if (!row)
            return TUI_R_HANDLED;
        struct label_target t = {row->item_id, row->seq, 0, 0, 0, 1, NULL, NULL, NULL};
        char meta[160] = "";
        if (cmd == CMD_LABEL_A || cmd == CMD_LABEL_B || cmd == CMD_LABEL_TIE ||
            cmd == CMD_LABEL_CLEAR) {
            /* From the list, labels compare the item's first two responses. */
            struct store_item it;
            struct ps_err err = {0, ""};
            if (store_item_get_by_id(tui->st, t.item_id, &it, &err) != PS_OK) {
                tui_err(tui, "%s", err.msg);
                return TUI_R_HANDLED;
            }
            if (it.n_resp >= 2) {
                t.resp_a = it.resp[0].id;
                t.resp_b = it.resp[1].id;
                t.idx_a = it.resp[0].idx;
                t.idx_b = it.resp[1].idx;
            }
            store_item_free(&it);
            if (!t.resp_a) {
                tui_err(tui, "this item has fewer than two responses: nothing to compare");
                return TUI_R_HANDLED;
            }
            if (tui->blind) {
                /* The keys mean the sides the pair view shows this item in (left is
                 * label-a), and the label records that order, as there. */
                int sw = tui_blind_swapped(tui, t.item_id);
                tui_blind_meta(tui, (sw ? t.idx_b : t.idx_a) + 1, (sw ? t.idx_a : t.idx_b) + 1, cmd,
                               meta, sizeof meta);
                t.meta = meta;
                t.where_a = sw ? "right" : "left";
                t.where_b = sw ? "left" : "right";
                if (sw && (cmd == CMD_LABEL_A || cmd == CMD_LABEL_B))
                    cmd = cmd == CMD_LABEL_A ? CMD_LABEL_B : CMD_LABEL_A;
            }
        }
        return view_items_label(tui, v, &t, cmd, arg);
    }
    default: return TUI_R_IGNORED;
    }
}

static void
items_resume(struct tui *tui, struct view *v)
{
    /* Changes made in the pair view already adjusted the count. */
    items_reload(tui, v->priv);
}

/* A click selects the row under the pointer; a double-click opens it. */
static int
items_mouse(struct tui *tui, struct view *v, int y, int x, int clicks)
{
    (void)x;
    struct items *s = v->priv;
    int64_t i = list_row_at(&s->pos, s->count, y, v->area.y + 2);
    if (i < 0 || items_goto(tui, s, i) != PS_OK)
        return TUI_R_HANDLED;
    if (clicks == 2)
        return items_request(tui, v, CMD_ENTER, NULL);
    return TUI_R_HANDLED | TUI_R_REDRAW;
}

/* Another process wrote: count again (its labels, imports, tags may change what
 * the filter keeps) and stay on the same item, or on the one after it when it left
 * the filter. */
static void
items_refresh_view(struct tui *tui, struct view *v)
{
    struct items *s = v->priv;
    const struct browse_row *r = items_row(s, s->pos.cur);
    int64_t seq = r ? r->seq : -1, pos;
    items_refresh(tui, s);
    struct ps_err err = {0, ""};
    if (seq >= 0 && s->count > 0 &&
        store_browse_position(tui->st, s->dataset_id, &s->f, seq, &pos, &err) == PS_OK)
        items_goto(tui, s, pos < s->count ? pos : s->count - 1);
}

static void
items_status(struct tui *tui, struct view *v, struct strbuf *out)
{
    (void)tui;
    struct items *s = v->priv;
    int pct = s->count ? (int)((s->pos.cur + 1) * 100 / s->count) : 0;
    sb_printf(out, "%lld/%lld  %d%%\tEnter open · 1/2/=/0 label · / search · f filter · ? help",
              (long long)(s->count ? s->pos.cur + 1 : 0), (long long)s->count, pct);
}

const struct view_ops view_items_ops = {
    .name = "items",
    .keymap = KM_ITEMS,
    .private_size = sizeof(struct items),
    .open = items_open,
    .draw = items_draw,
    .request = items_request,
    .status = items_status,
    .resume = items_resume,
    .reread = items_refresh_view,
    .mouse = items_mouse,
    .done = items_done,
};
