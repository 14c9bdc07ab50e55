/* The feedback list of the critique workbench (C3PO): every feedback (or those of one
 * imported dataset) with its scope, type and review progress; Enter opens its
 * critique view (view_critique.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/metric.h"
#include "core/xalloc.h"
#include "store/critique.h"
#include "store/store.h"
#include "tui/view.h"

struct fb_row {
    int64_t id;
    char *scope, *type, *text, *dataset, *domain, *effect, *metric;
    long n_in, n_near, n_out, accepted, rejected, pending, failed, n_cat;
};

struct fbview {
    char *dataset; /* only this dataset's feedback, or NULL = all */
    struct fb_row *rows;
    int n, cap;
    struct list_pos pos;
};

static void
rows_clear(struct fbview *f)
{
    for (int i = 0; i < f->n; i++) {
        free(f->rows[i].scope);
        free(f->rows[i].type);
        free(f->rows[i].text);
        free(f->rows[i].dataset);
        free(f->rows[i].domain);
        free(f->rows[i].effect);
        free(f->rows[i].metric);
    }
    f->n = 0;
}

static long
num(const struct store_row *r, const char *k)
{
    const char *v = store_row_get(r, k);
    return v ? strtol(v, NULL, 10) : 0;
}

static char *
dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static int
fb_collect(void *ud, const struct store_row *r)
{
    struct fbview *f = ud;
    const char *ds = store_row_get(r, "dataset");
    if (f->dataset && (!ds || strcmp(ds, f->dataset)))
        return 0;
    f->rows = xgrow(f->rows, sizeof *f->rows, f->n, &f->cap, 32);
    struct fb_row *x = &f->rows[f->n++];
    x->id = num(r, "id");
    x->scope = dup_or_null(store_row_get(r, "scope"));
    x->type = dup_or_null(store_row_get(r, "type"));
    x->text = dup_or_null(store_row_get(r, "feedback"));
    x->dataset = dup_or_null(ds);
    x->domain = dup_or_null(store_row_get(r, "domain"));
    x->effect = dup_or_null(store_row_get(r, "effect"));
    x->metric = dup_or_null(store_row_get(r, "metric"));
    x->n_in = num(r, "n_in");
    x->n_near = num(r, "n_near");
    x->n_out = num(r, "n_out");
    x->accepted = num(r, "accepted");
    x->rejected = num(r, "rejected");
    x->pending = num(r, "pending");
    x->failed = num(r, "failed");
    x->n_cat = num(r, "n_categories");
    return 0;
}

static int
fb_load(struct tui *tui, struct fbview *f, struct ps_err *err)
{
    rows_clear(f);
    return store_crit_feedback_list(tui->st, 0, fb_collect, f, err);
}

static int
fb_open(struct tui *tui, struct view *v, void *arg, struct ps_err *err)
{
    struct fbview *f = v->priv;
    const struct view_feedback_arg *a = arg;
    f->dataset = a && a->dataset ? xstrdup(a->dataset) : NULL;
    if (fb_load(tui, f, err) != PS_OK)
        return err->code;
    if (a && a->open_feedback > 0)
        for (int i = 0; i < f->n; i++)
            if (f->rows[i].id == a->open_feedback)
                f->pos.cur = i;
    return PS_OK;
}

static void
fb_done(struct tui *tui, struct view *v)
{
    (void)tui;
    struct fbview *f = v->priv;
    rows_clear(f);
    free(f->rows);
    free(f->dataset);
}

static void
fb_resume(struct tui *tui, struct view *v)
{
    struct fbview *f = v->priv;
    struct ps_err err = {0, ""};
    int64_t keep = f->pos.cur;
    if (fb_load(tui, f, &err) != PS_OK)
        tui_err(tui, "%s", err.msg);
    f->pos.cur = keep;
}

static void
fb_draw(struct tui *tui, struct view *v)
{
    struct fbview *f = v->priv;
    struct rect a = v->area;
    draw_fill(tui, a.y, a.x, a.w, ROLE_TITLE);
    int x = draw_printf(tui, a.y, a.x, a.w, ROLE_TITLE, " feedback  %d  ", f->n);
    if (f->dataset)
        draw_text(tui, a.y, a.x + x, a.w - x, ROLE_TITLE, f->dataset, strlen(f->dataset), 1);
    if (a.h < 3)
        return;
    draw_fill(tui, a.y + 1, a.x, a.w, ROLE_HEADER);
    draw_printf(tui, a.y + 1, a.x, a.w, ROLE_HEADER, "  %4s %-8s %-12s %4s %15s %-22s %s", "id",
                "scope", "type", "cats", "in/near/out", "reviewed (fail)", "feedback");
    int h = a.h - 2 - (a.h > 8 ? 3 : 0);
    list_clamp(&f->pos, f->n, h);
    if (f->n && a.h > 8) {
        /* the selected feedback's split and metric (d, e, m edit them) */
        const struct fb_row *r = &f->rows[f->pos.cur];
        const char *lab[3] = {"domain  ", "effect  ", "metric  "};
        const char *val[3] = {r->domain, r->effect, r->metric};
        draw_hline(tui, a.y + a.h - 4, a.x, a.w, ROLE_BORDER);
        for (int k = 0; k < 3; k++) {
            int y = a.y + a.h - 3 + k;
            int cx = a.x + draw_text(tui, y, a.x + 1, a.w - 1, ROLE_DIM, lab[k], 8, 0) + 1;
            const char *t = val[k] ? val[k] : "-";
            draw_text(tui, y, cx, a.x + a.w - cx, val[k] ? ROLE_DEFAULT : ROLE_DIM, t, strlen(t),
                      1);
        }
    }
    if (f->n == 0) {
        draw_printf(tui, a.y + 3, a.x + 2, a.w - 2, ROLE_DIM,
                    "No feedback yet: prefscope critique new TEXT, or import a feedback list.");
        return;
    }
    for (int i = 0; i < h && f->pos.top + i < f->n; i++) {
        const struct fb_row *r = &f->rows[f->pos.top + i];
        int y = a.y + 2 + i, sel = f->pos.top + i == f->pos.cur;
        enum tui_role role = sel ? ROLE_SEL : ROLE_DEFAULT;
        if (sel)
            draw_fill(tui, y, a.x, a.w, ROLE_SEL);
        long total = r->n_in + r->n_near + r->n_out, done = r->accepted + r->rejected;
        /* a 10-cell progress bar of reviewed items */
        char bar[11];
        int filled = total ? (int)(10 * done / total) : 0;
        for (int k = 0; k < 10; k++)
            bar[k] = k < filled ? '#' : '.';
        bar[10] = 0;
        int cx = a.x;
        cx += draw_printf(tui, y, cx, a.w, role, "%s%4lld ", sel ? "> " : "  ", (long long)r->id);
        cx += draw_text(tui, y, cx, 9, role, r->scope ? r->scope : "-",
                        r->scope ? strlen(r->scope) : 1, 1);
        cx = a.x + 16;
        cx += draw_text(tui, y, cx, 13, role, r->type ? r->type : "-",
                        r->type ? strlen(r->type) : 1, 1);
        cx = a.x + 29;
        cx += draw_printf(tui, y, cx, a.x + a.w - cx, role, " %4ld %4ld/%4ld/%4ld %s %4ld/%-4ld",
                          r->n_cat, r->n_in, r->n_near, r->n_out, bar, done, total);
        if (r->failed)
            cx += draw_printf(tui, y, cx, a.x + a.w - cx, sel ? ROLE_SEL : ROLE_STATUS_ERR, " %ld!",
                              r->failed);
        cx += 1;
        if (cx < a.x + a.w && r->text)
            draw_text(tui, y, cx + 1, a.x + a.w - cx - 1, role, r->text, strlen(r->text), 1);
    }
}

static int
fb_set(struct tui *tui, struct fbview *f, const char *field, const char *value)
{
    const struct fb_row *r = &f->rows[f->pos.cur];
    struct ps_err err = {0, ""};
    int64_t id = r->id;
    if (store_crit_feedback_set(tui->st, id, field, value, tui->annotator, &err) != PS_OK)
        tui_err(tui, "%s", err.msg);
    else
        tui_msg(tui, "feedback %lld: %s set (u undoes)", (long long)id, field);
    int64_t keep = f->pos.cur;
    if (fb_load(tui, f, &err) != PS_OK)
        tui_err(tui, "%s", err.msg);
    f->pos.cur = keep;
    return TUI_R_HANDLED | TUI_R_REDRAW;
}

/* A new feedback (regional, qualitative; d/e/S/T/m edit it), selected. */
static int
fb_new(struct tui *tui, struct fbview *f, const char *text)
{
    if (!text) {
        prompt_open(tui, "new feedback: ", CMD_FB_NEW, NULL);
        return TUI_R_HANDLED | TUI_R_REDRAW;
    }
    if (!*text)
        return TUI_R_HANDLED;
    struct ps_err err = {0, ""};
    int64_t id = 0, ds = 0;
    if (f->dataset && store_dataset_find(tui->st, f->dataset, &ds, &err) != PS_OK) {
        tui_err(tui, "%s", err.msg);
        return TUI_R_HANDLED | TUI_R_REDRAW;
    }
    if (store_crit_feedback_add(tui->st, ds, text, NULL, NULL, "regional", "qualitative", NULL,
                                NULL, &id, &err) != PS_OK) {
        tui_err(tui, "%s", err.msg);
        return TUI_R_HANDLED | TUI_R_REDRAW;
    }
    if (fb_load(tui, f, &err) != PS_OK)
        tui_err(tui, "%s", err.msg);
    for (int i = 0; i < f->n; i++)
        if (f->rows[i].id == id)
            f->pos.cur = i;
    tui_msg(tui, "feedback %lld written: d domain, e effect, then prefscope critique gen %lld",
            (long long)id, (long long)id);
    return TUI_R_HANDLED | TUI_R_REDRAW;
}

static int
fb_request(struct tui *tui, struct view *v, enum tui_cmd cmd, const char *arg)
{
    (void)arg;
    struct fbview *f = v->priv;
    if (list_motion(tui, &f->pos, cmd, arg, f->n, v->area.h - 2))
        return TUI_R_HANDLED | TUI_R_REDRAW;
    if (cmd == CMD_ENTER && f->n) {
        int64_t id = f->rows[f->pos.cur].id;
        tui_view_push(tui, &view_critique_ops, &id);
        return TUI_R_HANDLED | TUI_R_REDRAW;
    }
    if (cmd == CMD_FB_NEW)
        return fb_new(tui, f, arg);
    if (!f->n)
        return cmd == CMD_FB_DOMAIN || cmd == CMD_FB_EFFECT || cmd == CMD_FB_SCOPE ||
                       cmd == CMD_FB_TYPE || cmd == CMD_FB_METRIC || cmd == CMD_UNDO
                   ? TUI_R_HANDLED
                   : TUI_R_IGNORED;
    const struct fb_row *r = &f->rows[f->pos.cur];
    switch (cmd) {
    case CMD_FB_DOMAIN:
    case CMD_FB_EFFECT:
    case CMD_FB_METRIC: {
        const char *field = cmd == CMD_FB_DOMAIN   ? "domain"
                            : cmd == CMD_FB_EFFECT ? "effect"
                                                   : "metric";
        if (!arg) {
            char label[32];
            snprintf(label, sizeof label, "%s: ", field);
            const char *cur = cmd == CMD_FB_DOMAIN   ? r->domain
                              : cmd == CMD_FB_EFFECT ? r->effect
                                                     : r->metric;
            prompt_open(tui, label, cmd, cur && strlen(cur) < 1000 ? cur : "");
            return TUI_R_HANDLED | TUI_R_REDRAW;
        }
        if (cmd == CMD_FB_METRIC && *arg) {
            struct metric_spec ms;
            struct ps_err merr = {0, ""};
            int bad = metric_spec_parse(arg, &ms, &merr) != PS_OK;
            metric_spec_free(&ms);
            if (bad) {
                tui_err(tui, "%s", merr.msg);
                return TUI_R_HANDLED | TUI_R_REDRAW;
            }
        }
        return fb_set(tui, f, field, *arg ? arg : NULL);
    }
    case CMD_FB_SCOPE: {
        static const char *const sc[3] = {"global", "regional", "local"};
        int k = 0;
        while (k < 3 && (!r->scope || strcmp(r->scope, sc[k])))
            k++;
        const char *next = sc[(k + 1) % 3];
        if (arg && *arg) {
            next = NULL;
            for (int i = 0; i < 3; i++)
                if (strcmp(arg, sc[i]) == 0)
                    next = sc[i];
            if (!next) {
                tui_err(tui, "scope: global, regional or local");
                return TUI_R_HANDLED;
            }
        }
        return fb_set(tui, f, "scope", next);
    }
    case CMD_FB_TYPE:
        return fb_set(tui, f, "type",
                      r->type && strcmp(r->type, "quantitative") == 0 ? "qualitative"
                                                                      : "quantitative");
    case CMD_UNDO: {
        char *field = NULL;
        struct ps_err err = {0, ""};
        if (store_crit_undo(tui->st, "feedback", r->id, tui->annotator, &field, &err) != PS_OK)
            tui_err(tui, "%s", err.msg);
        else
            tui_msg(tui, "feedback %lld: %s%s", (long long)r->id, field ? "undid the edit of " : "",
                    field ? field : "nothing to undo");
        free(field);
        fb_resume(tui, v);
        return TUI_R_HANDLED | TUI_R_REDRAW;
    }
    default: return TUI_R_IGNORED;
    }
}

static void
fb_status(struct tui *tui, struct view *v, struct strbuf *out)
{
    (void)tui;
    struct fbview *f = v->priv;
    if (f->n)
        sb_printf(
            out,
            "%lld/%d\tEnter review · n new · d/e domain/effect · S/T/m scope/type/metric · u undo",
            (long long)f->pos.cur + 1, f->n);
    else
        sb_puts(out, "no feedback · n new · q back");
}

const struct view_ops view_feedback_ops = {
    .name = "feedback",
    .keymap = KM_FEEDBACK,
    .private_size = sizeof(struct fbview),
    .open = fb_open,
    .draw = fb_draw,
    .request = fb_request,
    .status = fb_status,
    .resume = fb_resume,
    .done = fb_done,
};
