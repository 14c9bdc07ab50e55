/* Text and JSON of the further evaluation figures (see evalfig.h). */
#include "app/evalfig.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

/* Rows shown per annotator in the text output; --json has them all. */
#define EVALFIG_TEXT_ROWS 15

void
evalfig_compute(struct evalfig *f, const struct stats_table *t, const struct stats_rating_table *rt,
                const int *annots, int n_annots, const int *ref, int n_ref, int invalid_as_tie,
                int baseline, const struct stats_fig_opts *o)
{
    memset(f, 0, sizeof *f);
    f->t = t;
    f->rt = rt;
    if (n_ref > 0)
        stats_both_orders_compute(t, annots, n_annots, ref, n_ref, invalid_as_tie, o, &f->both,
                                  &f->n_both);
    stats_wtl_compute(t, annots, n_annots, &f->wtl, &f->n_wtl);
    stats_lc_compute(t, annots, n_annots, baseline, o, &f->lc, &f->n_lc);
    if (rt)
        stats_rating_means(rt, -1, o, &f->means, &f->n_means);
}

void
evalfig_free(struct evalfig *f)
{
    free(f->both);
    free(f->wtl);
    stats_lc_reports_free(f->lc, f->n_lc);
    free(f->means);
    memset(f, 0, sizeof *f);
}

void
evalfig_put_est(struct strbuf *sb, struct stats_est e, double scale, int prec, int cols)
{
    char buf[128];
    if (isnan(e.v))
        snprintf(buf, sizeof buf, "%s", e.why ? stats_why_text(e.why) : "-");
    else if (isnan(e.lo))
        snprintf(buf, sizeof buf, "%.*f", prec, e.v * scale);
    else
        snprintf(buf, sizeof buf, "%.*f [%.*f, %.*f]", prec, e.v * scale, prec, e.lo * scale, prec,
                 e.hi * scale);
    sb_printf(sb, "%-*s", cols, buf);
}

static void
text_both(const struct evalfig *f, struct strbuf *sb)
{
    if (f->n_both == 0)
        return;
    sb_puts(sb, "\nRIGHT IN BOTH ORDERS (units judged in each presentation order; % of units)\n");
    sb_printf(sb, "%-36s %6s  %-24s%-24s%-24s%-24s\n", "judge", "units", "right in both",
              "right as stored", "right swapped", "consistent");
    for (int i = 0; i < f->n_both; i++) {
        const struct stats_both_orders *b = &f->both[i];
        stats_put_cell(sb, f->t->annotators[b->annot], 36);
        sb_printf(sb, " %6.0f  ", b->units);
        evalfig_put_est(sb, b->both, 100, 2, 24);
        evalfig_put_est(sb, b->first, 100, 2, 24);
        evalfig_put_est(sb, b->second, 100, 2, 24);
        evalfig_put_est(sb, b->consistency, 100, 2, 24);
        sb_putc(sb, '\n');
        if (b->partner >= 0) {
            sb_puts(sb, "  other order from ");
            stats_put_cell(sb, f->t->annotators[b->partner], 48);
            sb_putc(sb, '\n');
        }
    }
}

static void
text_wtl(const struct evalfig *f, struct strbuf *sb)
{
    if (f->n_wtl == 0)
        return;
    sb_puts(sb, "\nWIN / TIE / LOSS PER MODEL PAIR (weighted verdicts of the first model)\n");
    for (int i = 0; i < f->n_wtl;) {
        int a = f->wtl[i].annot, end = i;
        while (end < f->n_wtl && f->wtl[end].annot == a)
            end++;
        stats_put_cell(sb, f->t->annotators[a], 78);
        sb_putc(sb, '\n');
        for (int k = i; k < end && k < i + EVALFIG_TEXT_ROWS; k++) {
            const struct stats_wtl *w = &f->wtl[k];
            sb_puts(sb, "  ");
            stats_put_cell(sb, f->t->models[w->m1], 28);
            sb_puts(sb, " vs ");
            stats_put_cell(sb, f->t->models[w->m2], 28);
            sb_printf(sb, "  W %-6g T %-6g L %-6g", w->win, w->tie, w->loss);
            if (w->invalid > 0)
                sb_printf(sb, " invalid %g", w->invalid);
            sb_putc(sb, '\n');
        }
        if (end - i > EVALFIG_TEXT_ROWS)
            sb_printf(sb, "  ... %d more pairs (--json has them all)\n",
                      end - i - EVALFIG_TEXT_ROWS);
        i = end;
    }
}

static void
text_lc(const struct evalfig *f, struct strbuf *sb)
{
    if (f->n_lc == 0)
        return;
    sb_puts(sb, "\nLENGTH-CONTROLLED WIN RATE (%, AlpacaEval length_controlled_minimal GLM)\n");
    for (int i = 0; i < f->n_lc; i++) {
        const struct stats_lc_report *r = &f->lc[i];
        stats_put_cell(sb, f->t->annotators[r->annot], 40);
        sb_puts(sb, " baseline ");
        stats_put_cell(sb, f->t->models[r->baseline], 34);
        sb_printf(sb, "\n  %-34s %7s  %-24s%-24s%s\n", "model", "n", "win rate", "LC win rate",
                  "length coef");
        for (int k = 0; k < r->n_m && k < EVALFIG_TEXT_ROWS; k++) {
            const struct stats_lc_model *m = &r->m[k];
            sb_puts(sb, "  ");
            stats_put_cell(sb, f->t->models[m->model], 34);
            sb_printf(sb, " %7.0f  ", m->fit.n);
            evalfig_put_est(sb, m->win_rate, 100, 2, 24);
            evalfig_put_est(sb, m->lc_win_rate, 100, 2, 24);
            sb_printf(sb, "%.4f%s\n", m->fit.length_coef,
                      m->fit.converged ? "" : " (fit did not converge)");
        }
        if (r->n_m > EVALFIG_TEXT_ROWS)
            sb_printf(sb, "  ... %d more models (--json has them all)\n",
                      r->n_m - EVALFIG_TEXT_ROWS);
    }
}

static void
text_means(const struct evalfig *f, struct strbuf *sb)
{
    if (f->n_means == 0)
        return;
    const struct stats_rating_table *rt = f->rt;
    sb_puts(sb, "\nMEAN RATING PER MODEL (every rating; percentile bootstrap CI over items)\n");
    for (int i = 0; i < f->n_means;) {
        int end = i;
        while (end < f->n_means && f->means[end].aspect == f->means[i].aspect &&
               f->means[end].annot == f->means[i].annot)
            end++;
        stats_put_cell(sb, rt->aspects[f->means[i].aspect], 30);
        sb_puts(sb, " by ");
        stats_put_cell(sb, rt->annotators[f->means[i].annot], 30);
        sb_puts(sb, stats_rating_lower_better(rt->aspects[f->means[i].aspect])
                        ? "  (lower is better)\n"
                        : "\n");
        for (int k = i; k < end && k < i + EVALFIG_TEXT_ROWS; k++) {
            const struct stats_rating_mean *m = &f->means[k];
            sb_puts(sb, "  ");
            stats_put_cell(sb, m->model >= 0 ? rt->models[m->model] : "(no model)", 34);
            sb_printf(sb, " %7.0f  ", m->n);
            evalfig_put_est(sb, m->mean, 1, 3, 30);
            sb_putc(sb, '\n');
        }
        if (end - i > EVALFIG_TEXT_ROWS)
            sb_printf(sb, "  ... %d more models (--json has them all)\n",
                      end - i - EVALFIG_TEXT_ROWS);
        i = end;
    }
}

void
evalfig_text(const struct evalfig *f, struct strbuf *sb)
{
    text_both(f, sb);
    text_wtl(f, sb);
    text_lc(f, sb);
    text_means(f, sb);
}

static void
json_name(struct strbuf *sb, const char *key, const char *v)
{
    sb_printf(sb, "\"%s\":", key);
    if (v)
        sb_json_str(sb, v, strlen(v));
    else
        sb_puts(sb, "null");
}

void
evalfig_json_means(const struct stats_rating_table *rt, const struct stats_rating_mean *m, int n,
                   struct strbuf *sb)
{
    sb_puts(sb, "\"ratings\":[");
    for (int i = 0; i < n; i++) {
        sb_puts(sb, i ? ",{" : "{");
        json_name(sb, "aspect", rt->aspects[m[i].aspect]);
        sb_putc(sb, ',');
        json_name(sb, "annotator", rt->annotators[m[i].annot]);
        sb_putc(sb, ',');
        json_name(sb, "model", m[i].model >= 0 ? rt->models[m[i].model] : NULL);
        sb_printf(sb, ",\"lower_is_better\":%s,\"n\":",
                  stats_rating_lower_better(rt->aspects[m[i].aspect]) ? "true" : "false");
        stats_json_num(sb, m[i].n);
        sb_putc(sb, ',');
        stats_json_est(sb, "mean", m[i].mean);
        sb_putc(sb, '}');
    }
    sb_putc(sb, ']');
}

void
evalfig_json(const struct evalfig *f, struct strbuf *sb)
{
    const struct stats_table *t = f->t;
    sb_puts(sb, ",\"both_orders\":[");
    for (int i = 0; i < f->n_both; i++) {
        const struct stats_both_orders *b = &f->both[i];
        sb_puts(sb, i ? ",{" : "{");
        json_name(sb, "annotator", t->annotators[b->annot]);
        sb_putc(sb, ',');
        json_name(sb, "other_order", b->partner >= 0 ? t->annotators[b->partner] : NULL);
        sb_puts(sb, ",\"units\":");
        stats_json_num(sb, b->units);
        sb_putc(sb, ',');
        stats_json_est(sb, "right_both", b->both);
        sb_putc(sb, ',');
        stats_json_est(sb, "right_as_stored", b->first);
        sb_putc(sb, ',');
        stats_json_est(sb, "right_swapped", b->second);
        sb_putc(sb, ',');
        stats_json_est(sb, "consistency", b->consistency);
        sb_putc(sb, '}');
    }
    sb_puts(sb, "],\"model_pairs\":[");
    for (int i = 0; i < f->n_wtl; i++) {
        const struct stats_wtl *w = &f->wtl[i];
        sb_puts(sb, i ? ",{" : "{");
        json_name(sb, "annotator", t->annotators[w->annot]);
        sb_putc(sb, ',');
        json_name(sb, "model", t->models[w->m1]);
        sb_putc(sb, ',');
        json_name(sb, "opponent", t->models[w->m2]);
        sb_printf(sb, ",\"win\":%.10g,\"tie\":%.10g,\"loss\":%.10g,\"invalid\":%.10g}", w->win,
                  w->tie, w->loss, w->invalid);
    }
    sb_puts(sb, "],\"length_controlled\":[");
    for (int i = 0; i < f->n_lc; i++) {
        const struct stats_lc_report *r = &f->lc[i];
        sb_puts(sb, i ? ",{" : "{");
        json_name(sb, "annotator", t->annotators[r->annot]);
        sb_putc(sb, ',');
        json_name(sb, "baseline", t->models[r->baseline]);
        sb_puts(sb, ",\"glm\":\"length_controlled_minimal\",\"models\":[");
        for (int k = 0; k < r->n_m; k++) {
            const struct stats_lc_model *m = &r->m[k];
            sb_puts(sb, k ? ",{" : "{");
            json_name(sb, "model", t->models[m->model]);
            sb_puts(sb, ",\"n\":");
            stats_json_num(sb, m->fit.n);
            sb_putc(sb, ',');
            stats_json_est(sb, "win_rate", m->win_rate);
            sb_putc(sb, ',');
            stats_json_est(sb, "lc_win_rate", m->lc_win_rate);
            sb_puts(sb, ",\"intercept\":");
            stats_json_num(sb, m->fit.intercept);
            sb_puts(sb, ",\"length_coef\":");
            stats_json_num(sb, m->fit.length_coef);
            sb_puts(sb, ",\"delta_len_sd\":");
            stats_json_num(sb, m->fit.sd);
            sb_printf(sb, ",\"converged\":%s}", m->fit.converged ? "true" : "false");
        }
        sb_puts(sb, "]}");
    }
    sb_puts(sb, "],");
    if (f->rt)
        evalfig_json_means(f->rt, f->means, f->n_means, sb);
    else
        sb_puts(sb, "\"ratings\":[]");
}

void
evalfig_json_derived(const struct store_derive *d, struct strbuf *sb)
{
    struct strbuf rule = STRBUF_INIT;
    stats_rating_rule_name(&rule, d->aspect, d->margin, d->lower_better, NULL);
    sb_puts(sb, "\"derived\":{");
    json_name(sb, "aspect", d->aspect);
    sb_printf(sb, ",\"margin\":%.10g,\"lower_is_better\":%s,", d->margin,
              d->lower_better ? "true" : "false");
    json_name(sb, "annotator", sb_str(&rule));
    sb_putc(sb, '}');
    sb_free(&rule);
}
