/* The dataset list: every dataset of the workspace with its counts. */
#include <string.h>

#include "store/store.h"
#include "tui/view.h"

struct datasets {
    struct store_dataset *ds;
    int n;
    int loaded;
    struct list_pos pos;
};

static int
datasets_load(struct tui *tui, struct datasets *d, struct ps_err *err)
{
    store_dataset_list_free(d->ds, d->n);
    d->ds = NULL;
    d->n = 0;
    d->loaded = 1;
    return store_dataset_list(tui->st, &d->ds, &d->n, err);
}

static int
datasets_open(struct tui *tui, struct view *v, void *arg, struct ps_err *err)
{
    /* Loaded when first drawn: `prefscope FILE` and `-d` open an item list on
     * top at once, and the list's counts aggregate over every judgment. */
    (void)tui;
    (void)v;
    (void)arg;
    (void)err;
    return PS_OK;
}

static void
datasets_done(struct tui *tui, struct view *v)
{
    (void)tui;
    struct datasets *d = v->priv;
    store_dataset_list_free(d->ds, d->n);
}

static void
datasets_resume(struct tui *tui, struct view *v)
{
    /* Counts may have changed (labels add judgments). */
    struct datasets *d = v->priv;
    struct ps_err err = {0, ""};
    int64_t keep = d->pos.cur;
    if (!d->loaded)
        return;
    if (datasets_load(tui, d, &err) != PS_OK)
        tui_err(tui, "%s", err.msg);
    d->pos.cur = keep;
}

/* Display columns of untrusted text once sanitized (as draw_text shows it). */
static int
datasets_width(const char *s)
{
    struct strbuf sb = STRBUF_INIT;
    draw_sanitize(s ? s : "", s ? strlen(s) : 0, &sb);
    int w = draw_width(sb_str(&sb), sb.len);
    sb_free(&sb);
    return w;
}

static void
datasets_draw(struct tui *tui, struct view *v)
{
    struct datasets *d = v->priv;
    struct rect a = v->area;
    if (!d->loaded) {
        struct ps_err err = {0, ""};
        if (datasets_load(tui, d, &err) != PS_OK)
            tui_err(tui, "%s", err.msg);
    }
    draw_fill(tui, a.y, a.x, a.w, ROLE_TITLE);
    draw_printf(tui, a.y, a.x, a.w, ROLE_TITLE, " prefscope  %s  ·  %d dataset%s",
                tui->opts->workspace ? tui->opts->workspace : "", d->n, d->n == 1 ? "" : "s");
    if (a.h < 3)
        return;
    /* The name column is as wide as the widest name (display columns, so CJK
     * and emoji count double), within what the counts leave; longer names and
     * the annotator list are cut with an ellipsis. */
    int wname = draw_width("dataset", 7);
    for (int i = 0; i < d->n; i++) {
        int w = datasets_width(d->ds[i].name);
        wname = w > wname ? w : wname;
    }
    /* 43 columns of cursor, counts and gaps; the annotators keep at least 24. */
    int room = a.w - 43 - 24;
    if (wname > (room < 16 ? 16 : room))
        wname = room < 16 ? 16 : room;
    draw_fill(tui, a.y + 1, a.x, a.w, ROLE_HEADER);
    draw_printf(tui, a.y + 1, a.x, a.w, ROLE_HEADER, "  %-*s %9s %9s %9s %8s  %s", wname, "dataset",
                "items", "responses", "judgments", "ratings", "annotators");
    int h = a.h - 2;
    list_clamp(&d->pos, d->n, h);
    if (d->n == 0) {
        draw_printf(tui, a.y + 3, a.x + 2, a.w - 2, ROLE_DIM,
                    "No datasets yet. Import one with: prefscope import FILE (or prefscope FILE)");
        return;
    }
    for (int i = 0; i < h && d->pos.top + i < d->n; i++) {
        const struct store_dataset *ds = &d->ds[d->pos.top + i];
        int y = a.y + 2 + i;
        int sel = d->pos.top + i == d->pos.cur;
        enum tui_role role = sel ? ROLE_SEL : ROLE_DEFAULT;
        if (sel)
            draw_fill(tui, y, a.x, a.w, ROLE_SEL);
        int x = a.x;
        x += draw_text(tui, y, x, 2, role, sel ? "> " : "  ", 2, 0);
        draw_text(tui, y, x, wname, role, ds->name, strlen(ds->name), 1);
        x += wname + 1;
        x += draw_printf(tui, y, x, a.w - x, role, "%9lld %9lld %9lld %8lld  ",
                         (long long)ds->n_items, (long long)ds->n_responses,
                         (long long)ds->n_judgments, (long long)ds->n_ratings);
        char fb[96] = "";
        const char *ann = ds->annotators ? ds->annotators : "";
        const char *partial = store_dataset_import_status(ds);
        if (partial) {
            snprintf(fb, sizeof fb, "%s: %lld records in", partial, (long long)ds->import_records);
            ann = fb;
        } else if (ds->n_items == 0 && ds->n_feedback > 0) {
            snprintf(fb, sizeof fb, "%lld C3PO feedback record%s", (long long)ds->n_feedback,
                     ds->n_feedback == 1 ? "" : "s");
            ann = fb;
        }
        draw_text(tui, y, x, a.x + a.w - x, sel ? ROLE_SEL : ROLE_DIM, ann, strlen(ann), 1);
    }
}

static int
datasets_request(struct tui *tui, struct view *v, enum tui_cmd cmd, const char *arg)
{
    struct datasets *d = v->priv;
    if (!d->loaded) {
        /* A key typed before the first repaint. */
        struct ps_err err = {0, ""};
        if (datasets_load(tui, d, &err) != PS_OK)
            tui_err(tui, "%s", err.msg);
    }
    if (list_motion(tui, &d->pos, cmd, arg, d->n, v->area.h - 2))
        return TUI_R_HANDLED | TUI_R_REDRAW;
    if (cmd == CMD_ENTER) {
        if (d->n == 0)
            return TUI_R_HANDLED;
        const struct store_dataset *ds = &d->ds[d->pos.cur];
        if (ds->n_items == 0 && ds->n_feedback > 0) {
            /* a feedback list (C3PO): the critique workbench */
            struct view_feedback_arg fa = {ds->name, 0};
            tui_view_push(tui, &view_feedback_ops, &fa);
            return TUI_R_HANDLED | TUI_R_REDRAW;
        }
        struct view_items_arg ia = {ds->id, ds->name};
        tui_view_push(tui, &view_items_ops, &ia);
        return TUI_R_HANDLED | TUI_R_REDRAW;
    }
    return TUI_R_IGNORED;
}

/* A click selects the dataset under the pointer; a double-click opens it. */
static int
datasets_mouse(struct tui *tui, struct view *v, int y, int x, int clicks)
{
    (void)x;
    struct datasets *d = v->priv;
    int64_t i = list_row_at(&d->pos, d->n, y, v->area.y + 2);
    if (i < 0)
        return TUI_R_HANDLED;
    d->pos.cur = i;
    return clicks == 2 ? datasets_request(tui, v, CMD_ENTER, NULL) : TUI_R_HANDLED | TUI_R_REDRAW;
}

static void
datasets_status(struct tui *tui, struct view *v, struct strbuf *out)
{
    (void)tui;
    struct datasets *d = v->priv;
    if (d->n)
        sb_printf(out, "%lld/%d\tEnter open · ? help · Q quit", (long long)d->pos.cur + 1, d->n);
    else
        sb_puts(out, "empty workspace · Q quit");
}

int64_t
view_datasets_current(struct view *v)
{
    struct datasets *d = v->priv;
    return d->n ? d->ds[d->pos.cur].id : -1;
}

const struct view_ops view_datasets_ops = {
    .name = "datasets",
    .keymap = KM_DATASETS,
    .private_size = sizeof(struct datasets),
    .open = datasets_open,
    .draw = datasets_draw,
    .request = datasets_request,
    .status = datasets_status,
    .resume = datasets_resume,
    .reread = datasets_resume,
    .mouse = datasets_mouse,
    .done = datasets_done,
};
