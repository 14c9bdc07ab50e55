/* The leaderboard view: Bradley-Terry ratings with bootstrap intervals as bars (the
 * scale runs from just below the weakest interval to the strongest), online Elo,
 * battles, win rate and the range of ranks seen over the bootstrap. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/stats_rank.h"
#include "core/xalloc.h"
#include "store/judgments.h"
#include "store/store.h"
#include "tui/evaldoc.h"
#include "tui/view.h"

struct rank_view {
    int64_t dataset_id; /* first: view_eval_open reads it */
    char *name;
    struct evaldoc doc;
    struct list_pos pos;
};

static void
rank_build(struct rank_view *rv, const struct stats_table *t)
{
    struct evaldoc *d = &rv->doc;
    struct stats_rank_opts o;
    stats_rank_opts_init(&o);
    /* resamples scale down on big datasets so the view opens quickly */
    long b = 20000000L / ((long)t->n_rows + 1);
    o.bootstrap = b > 1000 ? 1000 : (int)b;
    struct stats_rank r;
    stats_rank_compute(t, &o, &r);
    evaldoc_line(d);
    evaldoc_putf(d, ROLE_DIM,
                 "%.0f battles between %d models; 95%% bootstrap intervals (%d resamples "
                 "of items); ties count half",
                 r.n_battles, r.n, o.bootstrap);
    if (r.n == 0) {
        evaldoc_line(d);
        evaldoc_line(d);
        evaldoc_put(d, ROLE_DIM,
                    "No judgments between responses with model names in this dataset.");
        /* ratings-only shapes (UltraFeedback, HelpSteer2) rank on the command line */
        evaldoc_line(d);
        evaldoc_put(d, ROLE_DIM,
                    "Rated responses instead?  prefscope rank DATASET --from-ratings ASPECT "
                    "ranks models by them (docs/evaluation.md).");
        stats_rank_free(&r);
        return;
    }
    double lo = INFINITY, hi = -INFINITY;
    int wn = 12;
    for (int i = 0; i < r.n; i++) {
        const struct stats_rank_entry *e = &r.e[i];
        lo = fmin(lo, isnan(e->bt.lo) ? e->bt.v : e->bt.lo);
        hi = fmax(hi, isnan(e->bt.hi) ? e->bt.v : e->bt.hi);
        int len = (int)strlen(t->models[e->model]);
        if (len > wn)
            wn = len < 36 ? len : 36;
    }
    double base = lo - (hi - lo) * 0.1 - 1, span = hi - base;
    evaldoc_line(d);
    evaldoc_line(d);
    evaldoc_putf(d, ROLE_HEADER, "%4s  %-*s %8s %6s  %-30s %-24s %-8s %s", "rank", wn, "model",
                 "battles", "win%", "", " Bradley-Terry [95% CI]", "    Elo", " ranks");
    for (int i = 0; i < r.n; i++) {
        const struct stats_rank_entry *e = &r.e[i];
        evaldoc_line(d);
        evaldoc_putf(d, ROLE_DEFAULT, "%4d  %-*.*s %8.0f %6.1f  ", i + 1, wn, wn,
                     t->models[e->model], e->battles, 100 * e->score / e->battles);
        evaldoc_bar(d, (e->bt.v - base) / span, (e->bt.lo - base) / span, (e->bt.hi - base) / span,
                    30);
        if (isnan(e->bt.lo))
            evaldoc_putf(d, ROLE_ACCENT, " %7.1f%-15s", e->bt.v, "");
        else
            evaldoc_putf(d, ROLE_ACCENT, " %7.1f [%6.1f,%6.1f]", e->bt.v, e->bt.lo, e->bt.hi);
        evaldoc_putf(d, ROLE_DEFAULT, " %7.1f ", e->elo.v);
        if (e->rank_lo > 0)
            evaldoc_putf(d, ROLE_DIM, " %d-%d", e->rank_lo, e->rank_hi);
    }
    if (r.bt_iterations < 0) {
        evaldoc_line(d);
        evaldoc_put(d, ROLE_STATUS_ERR, "Bradley-Terry did not converge");
    }
    evaldoc_line(d);
    evaldoc_line(d);
    evaldoc_put(d, ROLE_DIM,
                "Ratings on the Elo scale (400 log10 strength), mean 1000. "
                "prefscope rank DATASET --help for the options.");
    stats_rank_free(&r);
}

static int
rank_open(struct tui *tui, struct view *v, void *arg, struct ps_err *err)
{
    struct rank_view *rv = v->priv;
    rv->dataset_id = *(const int64_t *)arg;
    struct store_dataset ds;
    if (store_dataset_get(tui->st, rv->dataset_id, &ds, err) != PS_OK)
        return err->code;
    rv->name = xstrdup(ds.name);
    store_dataset_free(&ds);
    struct stats_table t;
    memset(&t, 0, sizeof t);
    if (store_judgment_table(tui->st, rv->dataset_id, &t, err) != PS_OK)
        return err->code;
    rank_build(rv, &t);
    stats_table_free(&t);
    return PS_OK;
}

static void
rank_done(struct tui *tui, struct view *v)
{
    (void)tui;
    struct rank_view *rv = v->priv;
    evaldoc_free(&rv->doc);
    free(rv->name);
}

static void
rank_draw(struct tui *tui, struct view *v)
{
    struct rank_view *rv = v->priv;
    struct rect a = v->area;
    draw_fill(tui, a.y, a.x, a.w, ROLE_TITLE);
    draw_text(tui, a.y, a.x, a.w, ROLE_TITLE, " leaderboard  ", 14, 0);
    draw_text(tui, a.y, a.x + 14, a.w - 14, ROLE_TITLE, rv->name, strlen(rv->name), 1);
    evaldoc_draw(tui, &rv->doc, (struct rect){a.y + 1, a.x, a.h - 1, a.w}, &rv->pos);
}

static int
rank_request(struct tui *tui, struct view *v, enum tui_cmd cmd, const char *arg)
{
    struct rank_view *rv = v->priv;
    if (list_motion(tui, &rv->pos, cmd, arg, rv->doc.n, v->area.h - 1))
        return TUI_R_HANDLED | TUI_R_REDRAW;
    return TUI_R_IGNORED;
}

static void
rank_status(struct tui *tui, struct view *v, struct strbuf *out)
{
    (void)tui;
    (void)v;
    sb_puts(out, "leaderboard  S stats · q back");
}

const struct view_ops view_rank_ops = {
    .name = "rank",
    .keymap = KM_EVAL,
    .private_size = sizeof(struct rank_view),
    .open = rank_open,
    .draw = rank_draw,
    .request = rank_request,
    .status = rank_status,
    .done = rank_done,
};
