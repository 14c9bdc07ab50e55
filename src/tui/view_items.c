/* The item list of one dataset.  Rows are read from the workspace a page at a
 * time (never the whole dataset), so a million items open at once. */
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "store/store.h"
#include "tui/view.h"

struct irow {
    int64_t id, seq;
    char *preview;        /* sanitized one-line prompt preview */
    char *models;         /* sanitized "m1 vs m2" */
    int n_resp;
    long len_a, len_b;
    char mine[8];         /* my verdict ("A", "B", "tie") or "" */
    char theirs[8];       /* the first other annotator's verdict, or "" */
    int n_judg, n_tags;
};

struct items {
    int64_t dataset_id;
    char name[256];
    int64_t count;
    struct list_pos pos;
    struct irow *rows;    /* the cached page */
    int64_t page_start;
    int page_n, page_cap;
    int height;
};

static void
irow_free(struct irow *r)
{
    free(r->preview);
    free(r->models);
}

static void
items_drop_page(struct items *s)
{
    for (int i = 0; i < s->page_n; i++)
        irow_free(&s->rows[i]);
    s->page_n = 0;
}

static void
items_fill_row(struct tui *tui, const struct store_item *it, struct irow *r)
{
    memset(r, 0, sizeof *r);
    r->id = it->id;
    r->seq = it->seq;
    struct strbuf sb = STRBUF_INIT;
    draw_preview(it->prompt ? it->prompt : "", it->prompt ? strlen(it->prompt) : 0, 512, &sb);
    r->preview = sb_take(&sb);
    for (int k = 0; k < it->n_resp && k < 2; k++) {
        if (k)
            sb_puts(&sb, " vs ");
        const char *m = it->resp[k].model ? it->resp[k].model : "?";
        draw_preview(m, strlen(m), 64, &sb);
    }
    r->models = sb_take(&sb);
    r->n_resp = it->n_resp;
    r->len_a = it->n_resp > 0 && it->resp[0].text ? (long)strlen(it->resp[0].text) : 0;
    r->len_b = it->n_resp > 1 && it->resp[1].text ? (long)strlen(it->resp[1].text) : 0;
    r->n_judg = it->n_judg;
    r->n_tags = it->n_tags;
    for (int k = 0; k < it->n_judg; k++) {
        const struct store_judgment *j = &it->judg[k];
        if (strcmp(j->annotator, tui->annotator) == 0)
            snprintf(r->mine, sizeof r->mine, "%s", j->verdict);
        else if (!r->theirs[0])
            snprintf(r->theirs, sizeof r->theirs, "%s", j->verdict);
    }
}

/* Make rows [first, first + n) available in the page cache. */
static int
items_load_page(struct tui *tui, struct items *s, int64_t first, int n, struct ps_err *err)
{
    if (first < 0)
        first = 0;
    if (first + n > s->count)
        n = (int)(s->count - first);
    if (n <= 0)
        return PS_OK;
    if (s->page_n && first >= s->page_start && first + n <= s->page_start + s->page_n)
        return PS_OK;
    /* Read a margin around the screen so small moves stay in the cache. */
    int64_t start = first - n / 2;
    if (start < 0)
        start = 0;
    int want = n * 2;
    if (start + want > s->count)
        want = (int)(s->count - start);
    items_drop_page(s);
    if (s->page_cap < want) {
        s->page_cap = want;
        s->rows = xrealloc(s->rows, (size_t)want * sizeof *s->rows);
    }
    s->page_start = start;
    for (int i = 0; i < want; i++) {
        struct store_item it;
        if (store_item_get(tui->st, s->dataset_id, start + i, &it, err) != PS_OK)
            return err->code;
        items_fill_row(tui, &it, &s->rows[i]);
        store_item_free(&it);
        s->page_n = i + 1;
    }
    return PS_OK;
}

static const struct irow *
items_row(struct items *s, int64_t i)
{
    if (i < s->page_start || i >= s->page_start + s->page_n)
        return NULL;
    return &s->rows[i - s->page_start];
}

static int
items_open(struct tui *tui, struct view *v, void *arg, struct ps_err *err)
{
    struct items *s = v->priv;
    s->dataset_id = *(const int64_t *)arg;
    struct store_dataset d;
    if (store_dataset_get(tui->st, s->dataset_id, &d, err) != PS_OK)
        return err->code;
    snprintf(s->name, sizeof s->name, "%s", d.name ? d.name : "?");
    s->count = d.n_items;
    store_dataset_free(&d);
    return PS_OK;
}

static void
items_done(struct tui *tui, struct view *v)
{
    (void)tui;
    struct items *s = v->priv;
    items_drop_page(s);
    free(s->rows);
}

static enum tui_role
items_label_role(const char *v)
{
    if (strcmp(v, "A") == 0)
        return ROLE_LABEL_A;
    if (strcmp(v, "B") == 0)
        return ROLE_LABEL_B;
    if (strcmp(v, "tie") == 0)
        return ROLE_LABEL_TIE;
    return ROLE_DIM;
}

static void
items_draw(struct tui *tui, struct view *v)
{
    struct items *s = v->priv;
    struct rect a = v->area;
    draw_fill(tui, a.y, a.x, a.w, ROLE_TITLE);
    draw_printf(tui, a.y, a.x, a.w, ROLE_TITLE, " %s  ·  %lld items", s->name, (long long)s->count);
    if (a.h < 3)
        return;
    s->height = a.h - 2;
    list_clamp(&s->pos, s->count, s->height);
    draw_fill(tui, a.y + 1, a.x, a.w, ROLE_HEADER);
    draw_printf(tui, a.y + 1, a.x, a.w, ROLE_HEADER, "  %8s %-4s %-4s %6s %6s %2s  %s", "#", "mine",
                "data", "len A", "len B", "n", "prompt");
    struct ps_err err = {0, ""};
    if (items_load_page(tui, s, s->pos.top, s->height, &err) != PS_OK)
        tui_err(tui, "%s", err.msg);
    for (int i = 0; i < s->height && s->pos.top + i < s->count; i++) {
        const struct irow *r = items_row(s, s->pos.top + i);
        if (!r)
            break;
        int y = a.y + 2 + i;
        int sel = s->pos.top + i == s->pos.cur;
        enum tui_role base = sel ? ROLE_SEL : ROLE_DEFAULT;
        if (sel)
            draw_fill(tui, y, a.x, a.w, ROLE_SEL);
        int x = a.x;
        x += draw_printf(tui, y, x, a.w, base, "%s%8lld ", sel ? ">" : " ", (long long)r->seq + 1);
        draw_text(tui, y, x, 4, sel ? ROLE_SEL : items_label_role(r->mine), r->mine[0] ? r->mine : "·",
                  r->mine[0] ? strlen(r->mine) : strlen("·"), 0);
        x += 5;
        draw_text(tui, y, x, 4, sel ? ROLE_SEL : items_label_role(r->theirs),
                  r->theirs[0] ? r->theirs : "·", r->theirs[0] ? strlen(r->theirs) : strlen("·"), 0);
        x += 5;
        x += draw_printf(tui, y, x, a.x + a.w - x, base, "%6ld %6ld %2d  ", r->len_a, r->len_b, r->n_resp);
        draw_clean(tui, y, x, a.x + a.w - x, base, r->preview, strlen(r->preview));
    }
}

int64_t
view_items_current(struct view *items)
{
    struct items *s = items->priv;
    const struct irow *r = items_row(s, s->pos.cur);
    return r ? r->id : 0;
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

int
view_items_step(struct tui *tui, struct view *items, int delta, int unlabeled_only)
{
    struct items *s = items->priv;
    struct ps_err err = {0, ""};
    int64_t i = s->pos.cur + delta;
    (void)unlabeled_only;
    if (i < 0 || i >= s->count) {
        tui_msg(tui, "%s of the list", delta > 0 ? "end" : "start");
        return PS_ERR_NOTFOUND;
    }
    if (items_load_page(tui, s, i, s->height > 0 ? s->height : 20, &err) != PS_OK) {
        tui_err(tui, "%s", err.msg);
        return err.code;
    }
    s->pos.cur = i;
    list_clamp(&s->pos, s->count, s->height > 0 ? s->height : 20);
    return PS_OK;
}

int
view_items_label(struct tui *tui, struct view *items, int64_t item_id, int64_t resp_a,
                 int64_t resp_b, enum tui_cmd cmd, const char *arg)
{
    (void)items;
    (void)item_id;
    (void)resp_a;
    (void)resp_b;
    (void)cmd;
    (void)arg;
    tui_err(tui, "labeling is not available yet");
    return TUI_R_HANDLED;
}

void
view_items_notes(struct tui *tui, struct view *items, int64_t item_id, struct strbuf *out)
{
    (void)tui;
    (void)items;
    (void)item_id;
    (void)out;
}

void
view_items_agreement(struct tui *tui, struct view *items, struct strbuf *out)
{
    (void)tui;
    (void)items;
    (void)out;
}

int
tui_undo(struct tui *tui)
{
    tui_msg(tui, "nothing to undo");
    return TUI_R_HANDLED;
}

static int
items_request(struct tui *tui, struct view *v, enum tui_cmd cmd, const char *arg)
{
    (void)arg;
    struct items *s = v->priv;
    if (list_motion(&s->pos, cmd, s->count, s->height > 0 ? s->height : v->area.h - 2))
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
        s->pos.cur = n - 1;
        list_clamp(&s->pos, s->count, s->height);
        return TUI_R_HANDLED | TUI_R_REDRAW;
    }
    default:
        return TUI_R_IGNORED;
    }
}

static void
items_status(struct tui *tui, struct view *v, struct strbuf *out)
{
    (void)tui;
    struct items *s = v->priv;
    int pct = s->count ? (int)((s->pos.cur + 1) * 100 / s->count) : 0;
    sb_printf(out, "%lld/%lld  %d%%  Enter open · 1/2/=/0 label · / search · ? help",
              (long long)s->pos.cur + 1, (long long)s->count, pct);
}

const struct view_ops view_items_ops = {
    .name = "items",
    .keymap = KM_ITEMS,
    .private_size = sizeof(struct items),
    .open = items_open,
    .draw = items_draw,
    .request = items_request,
    .status = items_status,
    .done = items_done,
};
