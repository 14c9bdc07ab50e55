/* The evaluation figures `stats` and `rank` add to their reports (src/core/stats_figs.h):
 * accuracy right in both orders, win/tie/loss per model pair, AlpacaEval's
 * length-controlled win rate and mean ratings per model, computed once and written as
 * text (names sanitized by the caller's app_print_clean) or JSON. */
#ifndef PS_APP_EVALFIG_H
#define PS_APP_EVALFIG_H

#include "core/stats_figs.h"
#include "core/strbuf.h"
#include "store/judgments.h"

struct evalfig {
    const struct stats_table *t;         /* borrowed */
    const struct stats_rating_table *rt; /* borrowed, may be NULL */
    struct stats_both_orders *both;
    int n_both;
    struct stats_wtl *wtl;
    int n_wtl;
    struct stats_lc_report *lc; /* one per annotator with a baseline and a judged model */
    int n_lc;
    struct stats_rating_mean *means;
    int n_means;
};

/* Compute every figure for the annotators annots[0..n_annots) (NULL = all) of `t`,
 * against the reference ref[0..n_ref) (none when n_ref is 0), with `baseline` (a model
 * index, -1 = each annotator's own, see stats_lc_baseline) for the length-controlled
 * win rate; mean ratings come from `rt` when given.  Free with evalfig_free. */
void evalfig_compute(struct evalfig *f, const struct stats_table *t,
                     const struct stats_rating_table *rt, const int *annots, int n_annots,
                     const int *ref, int n_ref, int invalid_as_tie, int baseline,
                     const struct stats_fig_opts *o);
void evalfig_free(struct evalfig *f);

/* The text sections (each only when it has rows); untrusted names go through
 * stats_put_cell, the caller still prints through app_print_clean. */
void evalfig_text(const struct evalfig *f, struct strbuf *sb);

/* ,"both_orders":[...],"model_pairs":[...],"length_controlled":[...],"ratings":[...] */
void evalfig_json(const struct evalfig *f, struct strbuf *sb);

/* "ratings":[...] alone: the mean rating per model of rt (an array of
 * {aspect, annotator, model, n, mean:{value, ci}}). */
void evalfig_json_means(const struct stats_rating_table *rt, const struct stats_rating_mean *m,
                        int n, struct strbuf *sb);

/* "derived":{aspect, margin, lower_is_better, annotator}: the rule of the judgments
 * derived from ratings (annotator is the name they carry for the dataset's ratings). */
void evalfig_json_derived(const struct store_derive *d, struct strbuf *sb);

/* A percentage estimate "12.34 [10.00, 14.56]" (or its reason) padded to `cols`. */
void evalfig_put_est(struct strbuf *sb, struct stats_est e, double scale, int prec, int cols);

#endif
