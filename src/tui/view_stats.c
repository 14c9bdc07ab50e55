/* The stats view of a dataset: win-rate bars with bootstrap intervals, accuracy
 * against a reference, the agreement matrix (Cohen's kappa) and a length-bias plot.
 * The report is computed once on open (and when the reference changes) into a list
 * of styled lines (evaldoc.h); drawing only walks the visible lines. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/stats_report.h"
#include "core/xalloc.h"
#include "store/annotate.h"
#include "store/judgments.h"
#include "store/store.h"
#include "tui/evaldoc.h"
#include "tui/view.h"

/* ---- opening from the stack ---- */

int64_t
view_dataset_here(struct tui *tui)
{
    struct ps_err err = {0, ""};
    int64_t ds = -1;
    for (int i = tui->depth - 1; i >= 0 && ds < 0; i--) {
        struct view *v = tui->stack[i];
        if (v->ops == &view_datasets_ops) {
            ds = view_datasets_current(v);
        } else if (v->ops == &view_items_ops) {
            struct store_item it;
            int64_t id = view_items_current(v);
            if (id > 0 && store_item_get_by_id(tui->st, id, &it, &err) == PS_OK) {
                ds = it.dataset_id;
                store_item_free(&it);
            }
        } else if (v->ops == &view_stats_ops || v->ops == &view_rank_ops) {
            ds = *(const int64_t *)v->priv; /* both keep the dataset id first */
        }
    }
    return ds;
}

int
view_eval_open(struct tui *tui, enum tui_cmd cmd, const char *arg)
{
    const struct view_ops *ops = cmd == CMD_RANK ? &view_rank_ops : &view_stats_ops;
    int64_t ds = -1;
    struct ps_err err = {0, ""};
    if (arg && *arg) {
        if (store_dataset_find(tui->st, arg, &ds, &err) != PS_OK) {
            tui_err(tui, "%s", err.msg);
            return TUI_R_HANDLED;
        }
    } else {
        ds = view_dataset_here(tui);
    }
    if (ds < 0) {
        tui_err(tui, "%s: no dataset here (try :%s DATASET)", keys_cmd_info(cmd)->name,
                keys_cmd_info(cmd)->name);
        return TUI_R_HANDLED;
    }
    tui_view_push(tui, ops, &ds);
    return TUI_R_HANDLED | TUI_R_REDRAW;
}

/* ---- the stats view ---- */

struct stats_view {
    int64_t dataset_id; /* first: view_eval_open reads it */
    char *name;
    struct stats_table t;
    int ref[64], n_ref;
    int ref_cycle; /* -1 = none, else annotator index */
    struct evaldoc doc;
    struct list_pos pos;
    /* My blind labels (judgment meta blind.chosen): which screen side won. */
    struct store_blind_bias bias;
    char me[160];
};

/* Two-sided exact binomial test of k successes in n trials against 1/2. */
static double
binom_two_sided(int64_t k, int64_t n)
{
    if (n <= 0)
        return 1;
    int64_t lo = k < n - k ? k : n - k;
    double sum = 0;
    for (int64_t i = 0; i <= lo; i++)
        sum += exp(lgamma((double)n + 1) - lgamma((double)i + 1) - lgamma((double)(n - i) + 1) -
                   (double)n * log(2.0));
    double p = 2 * sum;
    return p > 1 ? 1 : p;
}

/* The position bias of my blind labels, from the order each one recorded. */
static void
stats_position_bias(const struct stats_view *s, struct evaldoc *d)
{
    const struct store_blind_bias *b = &s->bias;
    int64_t decided = b->left + b->right;
    if (decided + b->ties == 0)
        return;
    evaldoc_line(d);
    evaldoc_line(d);
    evaldoc_put(d, ROLE_SECTION, "Position bias of my blind labels ");
    evaldoc_put(d, ROLE_ACCENT, s->me);
    evaldoc_line(d);
    evaldoc_putf(d, ROLE_DEFAULT, "left (top) %lld · right (bottom) %lld · tie %lld",
                 (long long)b->left, (long long)b->right, (long long)b->ties);
    if (decided > 0)
        evaldoc_putf(d, ROLE_DEFAULT,
                     "; left chosen in %.1f%% of %lld decided (two-sided binomial p = %.3f)",
                     100.0 * (double)b->left / (double)decided, (long long)decided,
                     binom_two_sided(b->left, decided));
}

/* Interval work grows with rows x resamples; keep a big dataset's view responsive. */
static int
tui_bootstrap(const struct stats_table *t)
{
    long b = 20000000L / ((long)t->n_rows * (t->n_annot + 1) + 1);
    return b > 1000 ? 1000 : b < 0 ? 0 : (int)b;
}

static const char *
pct(char *buf, size_t n, struct stats_est e)
{
    if (isnan(e.v))
        snprintf(buf, n, "%-21s", e.why ? stats_why_text(e.why) : "-");
    else if (isnan(e.lo))
        snprintf(buf, n, "%5.1f%%%-15s", 100 * e.v, "");
    else
        snprintf(buf, n, "%5.1f%% [%5.1f, %5.1f]", 100 * e.v, 100 * e.lo, 100 * e.hi);
    return buf;
}

/* "Fleiss' kappa 0.412 (30 units judged by all)", or the reason it has no value. */
static void
agreement_line(struct evaldoc *d, const char *what, struct stats_est e, double units,
               const char *of)
{
    if (isnan(e.v))
        evaldoc_putf(d, ROLE_DEFAULT, "%s: %s (%.0f %s)", what, e.why ? stats_why_text(e.why) : "-",
                     units, of);
    else
        evaldoc_putf(d, ROLE_DEFAULT, "%s %.3f (%.0f %s)", what, e.v, units, of);
}

static void
stats_build(struct stats_view *s)
{
    evaldoc_free(&s->doc);
    struct evaldoc *d = &s->doc;
    const struct stats_table *t = &s->t;
    struct stats_opts o = {.ref = s->ref,
                           .n_ref = s->n_ref,
                           .bootstrap = tui_bootstrap(t),
                           .seed = 1,
                           .level = 0.95,
                           .min_n = STATS_MIN_N};
    struct stats_report r;
    stats_report_compute(t, &o, &r);
    char buf[128];
    int wn = 8;
    for (int a = 0; a < t->n_annot; a++)
        if ((int)strlen(t->annotators[a]) > wn)
            wn = (int)strlen(t->annotators[a]);
    for (int m = 0; m < t->n_models; m++)
        if ((int)strlen(t->models[m]) > wn)
            wn = (int)strlen(t->models[m]);
    if (wn > 36)
        wn = 36;
    evaldoc_line(d);
    evaldoc_putf(d, ROLE_DIM,
                 "%d judgments on %d items by %d annotators; 95%% bootstrap intervals "
                 "(%d resamples of items, seed 1)",
                 t->n_rows, t->n_items, t->n_annot, o.bootstrap);
    evaldoc_line(d);
    evaldoc_putf(d, ROLE_DIM,
                 "a figure on fewer than %d judgments or units says \"n too small\" "
                 "(prefscope stats --min-n to change)",
                 STATS_MIN_N);
    stats_position_bias(s, d);
    evaldoc_line(d);
    evaldoc_line(d);
    evaldoc_put(d, ROLE_SECTION, "Win rate of the second-presented response (ties half)");
    for (int i = 0; i < r.n_annot; i++) {
        const struct stats_annot_report *a = &r.annot[i];
        evaldoc_line(d);
        evaldoc_putf(d, ROLE_DEFAULT, "%-*.*s %6.0f  ", wn, wn, t->annotators[a->annot], a->n);
        evaldoc_bar(d, a->winrate_b.v, a->winrate_b.lo, a->winrate_b.hi, 30);
        evaldoc_putf(d, ROLE_DEFAULT, " %s", pct(buf, sizeof buf, a->winrate_b));
        if (a->n_invalid > 0)
            evaldoc_putf(d, ROLE_STATUS_ERR, "  %.0f invalid", a->n_invalid);
    }
    for (int i = 0; i < r.n_annot; i++) {
        const struct stats_annot_report *a = &r.annot[i];
        int header = 0;
        for (int m = 0; m < t->n_models; m++) {
            if (a->model_n[m] <= 0)
                continue;
            if (!header) {
                evaldoc_line(d);
                evaldoc_line(d);
                evaldoc_putf(d, ROLE_SECTION, "Win rate per model, judged by ");
                evaldoc_put(d, ROLE_ACCENT, t->annotators[a->annot]);
                header = 1;
            }
            evaldoc_line(d);
            evaldoc_putf(d, ROLE_DEFAULT, "%-*.*s %6.0f  ", wn, wn, t->models[m], a->model_n[m]);
            evaldoc_bar(d, a->model_winrate[m].v, a->model_winrate[m].lo, a->model_winrate[m].hi,
                        30);
            evaldoc_putf(d, ROLE_DEFAULT, " %s", pct(buf, sizeof buf, a->model_winrate[m]));
        }
    }
    evaldoc_line(d);
    evaldoc_line(d);
    if (s->n_ref > 0) {
        evaldoc_put(d, ROLE_SECTION, "Accuracy against ");
        for (int i = 0; i < s->n_ref; i++)
            evaldoc_putf(d, ROLE_ACCENT, "%s%s",
                         i              ? ", "
                         : s->n_ref > 1 ? "the majority of "
                                        : "",
                         t->annotators[s->ref[i]]);
        evaldoc_putf(d, ROLE_DIM, "  (%.0f units; invalid = wrong; r: next reference)",
                     r.n_ref_units);
        for (int i = 0; i < r.n_annot; i++) {
            const struct stats_annot_report *a = &r.annot[i];
            if (a->n_ref <= 0 || (s->n_ref == 1 && a->annot == s->ref[0]))
                continue;
            evaldoc_line(d);
            evaldoc_putf(d, ROLE_DEFAULT, "%-*.*s %6.0f  ", wn, wn, t->annotators[a->annot],
                         a->n_ref);
            evaldoc_bar(d, a->accuracy.v, a->accuracy.lo, a->accuracy.hi, 30);
            evaldoc_putf(d, ROLE_DEFAULT, " %s", pct(buf, sizeof buf, a->accuracy));
            if (!isnan(a->macro_f1.v))
                evaldoc_putf(d, ROLE_DIM, "  macro-F1 %.3f", a->macro_f1.v);
        }
    } else {
        evaldoc_put(d, ROLE_DIM,
                    "No reference annotator: press r to pick one (or :reference NAME)");
    }
    if (r.n_annot >= 2) {
        evaldoc_line(d);
        evaldoc_line(d);
        evaldoc_put(d, ROLE_SECTION, "Agreement: Cohen's kappa (units both judged validly)");
        evaldoc_line(d);
        evaldoc_putf(d, ROLE_HEADER, "%-*s", wn + 4, "");
        for (int j = 0; j < r.n_annot; j++)
            evaldoc_putf(d, ROLE_HEADER, "%7d", j + 1);
        for (int i = 0; i < r.n_annot; i++) {
            evaldoc_line(d);
            evaldoc_putf(d, ROLE_DEFAULT, "%2d  %-*.*s", i + 1, wn, wn,
                         t->annotators[r.annot[i].annot]);
            for (int j = 0; j < r.n_annot; j++) {
                if (i == j) {
                    evaldoc_put(d, ROLE_DIM, "      \u2014");
                    continue;
                }
                const struct stats_pair_report *p = NULL;
                for (int k = 0; k < r.n_pairs; k++)
                    if ((r.pairs[k].a == i && r.pairs[k].b == j) ||
                        (r.pairs[k].a == j && r.pairs[k].b == i))
                        p = &r.pairs[k];
                double kv = p ? p->kappa.v : NAN;
                if (p && p->kappa.why == STATS_WHY_SMALL_N)
                    evaldoc_putf(d, ROLE_DIM, "%5s%-2d", "n<", STATS_MIN_N);
                else if (isnan(kv))
                    evaldoc_put(d, ROLE_DIM, "      \u00b7");
                else
                    evaldoc_putf(d,
                                 kv >= 0.6   ? ROLE_ACCENT
                                 : kv >= 0.2 ? ROLE_DEFAULT
                                             : ROLE_DIM,
                                 "%7.2f", kv);
            }
        }
        evaldoc_line(d);
        evaldoc_putf(d, ROLE_DIM,
                     "n<%d: n too small (fewer than %d units both judged validly); "
                     "\u00b7: undefined",
                     STATS_MIN_N, STATS_MIN_N);
        evaldoc_line(d);
        agreement_line(d, "Fleiss' kappa", r.fleiss, r.fleiss_units, "units judged by all");
        evaldoc_put(d, ROLE_DEFAULT, "   ");
        agreement_line(d, "Krippendorff's alpha", r.alpha, r.alpha_units, "units");
    }
    /* length bias: overall per annotator, then by relative length difference */
    static const double edges[] = {0, 0.1, 0.25, 0.5, 1.0001};
    static const char *const labels[] = {"< 10%", "10-25%", "25-50%", ">= 50%"};
    int any_len = 0;
    for (int i = 0; i < r.n_annot; i++)
        any_len |= r.annot[i].n_len > 0;
    if (!any_len) {
        stats_report_free(&r);
        return;
    }
    evaldoc_line(d);
    evaldoc_line(d);
    evaldoc_put(d, ROLE_SECTION, "Length bias: how often the longer response wins");
    evaldoc_put(d, ROLE_DIM, "  (overall, then by relative length difference)");
    for (int i = 0; i < r.n_annot; i++) {
        const struct stats_annot_report *a = &r.annot[i];
        if (a->n_len <= 0)
            continue;
        evaldoc_line(d);
        evaldoc_putf(d, ROLE_DEFAULT, "%-*.*s %6.0f  ", wn, wn, t->annotators[a->annot], a->n_len);
        evaldoc_bar(d, a->longer_wins.v, a->longer_wins.lo, a->longer_wins.hi, 30);
        evaldoc_putf(d, ROLE_DEFAULT, " %s", pct(buf, sizeof buf, a->longer_wins));
        if (a->n_pos_units > 0)
            evaldoc_putf(d, ROLE_DIM, "  both orders agree %.1f%% of %.0f", 100 * a->consistency.v,
                         a->n_pos_units);
        double rate[4], n[4];
        stats_length_curve(t, a->annot, edges, 4, rate, n);
        for (int k = 0; k < 4; k++) {
            if (n[k] <= 0)
                continue;
            evaldoc_line(d);
            evaldoc_putf(d, ROLE_DIM, "%*s%-8s%6.0f  ", wn - 8 + 2, "", labels[k], n[k]);
            evaldoc_bar(d, rate[k], NAN, NAN, 30);
            evaldoc_putf(d, ROLE_DEFAULT, " %5.1f%%", 100 * rate[k]);
        }
    }
    stats_report_free(&r);
}

static int
stats_open(struct tui *tui, struct view *v, void *arg, struct ps_err *err)
{
    struct stats_view *s = v->priv;
    s->dataset_id = *(const int64_t *)arg;
    struct store_dataset ds;
    if (store_dataset_get(tui->st, s->dataset_id, &ds, err) != PS_OK)
        return err->code;
    s->name = xstrdup(ds.name);
    store_dataset_free(&ds);
    if (store_judgment_table(tui->st, s->dataset_id, &s->t, err) != PS_OK)
        return err->code;
    snprintf(s->me, sizeof s->me, "%s", tui->annotator);
    if (store_blind_bias(tui->st, s->dataset_id, tui->annotator, &s->bias, err) != PS_OK)
        return err->code;
    s->ref_cycle = -1;
    /* Default reference: the dataset's own label when there is one. */
    int gold = stats_table_find_annot(&s->t, "dataset");
    if (gold >= 0) {
        s->ref[0] = gold;
        s->n_ref = 1;
        s->ref_cycle = gold;
    }
    stats_build(s);
    return PS_OK;
}

static void
stats_done(struct tui *tui, struct view *v)
{
    (void)tui;
    struct stats_view *s = v->priv;
    evaldoc_free(&s->doc);
    stats_table_free(&s->t);
    free(s->name);
}

static void
stats_draw(struct tui *tui, struct view *v)
{
    struct stats_view *s = v->priv;
    struct rect a = v->area;
    draw_fill(tui, a.y, a.x, a.w, ROLE_TITLE);
    draw_text(tui, a.y, a.x, a.w, ROLE_TITLE, " stats  ", 8, 0);
    draw_text(tui, a.y, a.x + 8, a.w - 8, ROLE_TITLE, s->name, strlen(s->name), 1);
    evaldoc_draw(tui, &s->doc, (struct rect){a.y + 1, a.x, a.h - 1, a.w}, &s->pos);
}

static int
stats_set_reference(struct tui *tui, struct stats_view *s, const char *arg)
{
    int n = 0;
    if (!arg) {
        /* cycle: none -> each annotator in turn -> none */
        s->ref_cycle = s->ref_cycle + 1 >= s->t.n_annot ? -1 : s->ref_cycle + 1;
        if (s->ref_cycle >= 0)
            s->ref[n++] = s->ref_cycle;
    } else if (strcmp(arg, "none") != 0) {
        const char *list = strncmp(arg, "majority:", 9) == 0 ? arg + 9 : arg;
        char *copy = xstrdup(list);
        for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save))
            if (!stats_table_match(&s->t, tok, s->ref, &n, 64)) {
                tui_err(tui, "reference: no annotator '%s'", tok);
                free(copy);
                return TUI_R_HANDLED;
            }
        free(copy);
    }
    s->n_ref = n;
    stats_build(s);
    if (n == 0)
        tui_msg(tui, "no reference");
    else
        tui_msg(tui, "reference: %s%s", n > 1 ? "majority of " : "", s->t.annotators[s->ref[0]]);
    return TUI_R_HANDLED | TUI_R_REDRAW;
}

static int
stats_request(struct tui *tui, struct view *v, enum tui_cmd cmd, const char *arg)
{
    struct stats_view *s = v->priv;
    if (list_motion(tui, &s->pos, cmd, arg, s->doc.n, v->area.h - 1))
        return TUI_R_HANDLED | TUI_R_REDRAW;
    if (cmd == CMD_REFERENCE)
        return stats_set_reference(tui, s, arg && *arg ? arg : NULL);
    return TUI_R_IGNORED;
}

static void
stats_status(struct tui *tui, struct view *v, struct strbuf *out)
{
    (void)tui;
    struct stats_view *s = v->priv;
    sb_printf(out, "stats %d/%d  r reference · R rank · q back", (int)s->pos.top + 1, s->doc.n);
}

const struct view_ops view_stats_ops = {
    .name = "stats",
    .keymap = KM_EVAL,
    .private_size = sizeof(struct stats_view),
    .open = stats_open,
    .draw = stats_draw,
    .request = stats_request,
    .status = stats_status,
    .done = stats_done,
};
