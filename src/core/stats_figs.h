/* Further evaluation figures over a struct stats_table (pure C): accuracy counted only
 * when a judge is right in both presentation orders, win/tie/loss counts per model
 * pair, AlpacaEval's length-controlled win rate (the `length_controlled_minimal` GLM),
 * and figures from ratings (mean rating per model, verdicts derived from ratings).
 * Intervals are percentile bootstraps over items, as in stats_report.h; the exact
 * definitions are in docs/evaluation.md. */
#ifndef PS_CORE_STATS_FIGS_H
#define PS_CORE_STATS_FIGS_H

#include <stddef.h>
#include <stdint.h>

#include "core/stats_report.h"
#include "core/strbuf.h"

/* Interval settings shared by every figure below (stats_opts' meaning). */
struct stats_fig_opts {
    int bootstrap; /* resamples of items; 0 = no intervals */
    uint64_t seed;
    double level;
    double min_n; /* a figure on less weight than this is withheld (STATS_WHY_SMALL_N) */
};

/* ---- ratios of sums with an item bootstrap ----
 *
 * A figure that is a ratio of two sums over items (a share, a mean) is described by
 * contributions (item, slot, value); a resample's sum of a slot is the sum of its
 * contributions times the item's multiplicity.  Resample b draws n_items items with
 * stats_rng_counts from one stream seeded with `seed`, b = 0, 1, ... in turn. */
struct stats_sums {
    int n_items, n_slots;
    struct stats_sum_c {
        int item, slot;
        double v;
    } * c;
    int n, cap;
};

void stats_sums_init(struct stats_sums *s, int n_items, int n_slots);
void stats_sums_free(struct stats_sums *s);
/* Add v to slot `slot` of item `item` (item < n_items, slot < n_slots). */
void stats_sums_add(struct stats_sums *s, int item, int slot, double v);
/* out[k] = num[k] / den[k] with its interval, k < n_ratio; the den sum is the figure's
 * n (gated by o->min_n, NaN with a why when withheld or 0).  dens[k] (may be NULL)
 * receives the point den sums. */
void stats_sums_ratios(const struct stats_sums *s, const int *num, const int *den, int n_ratio,
                       const struct stats_fig_opts *o, struct stats_est *out, double *dens);

/* ---- reference labels ---- */

/* ref[u] for every unit of `t` (caller-owned, n_units entries): the label of the one
 * reference annotator, or the majority (stats_majority, first listed breaks ties) of
 * several; a label is the annotator's first judgment of the unit presented in
 * canonical order, else its first judgment; invalid and missing labels are -1. */
void stats_reference_labels(const struct stats_table *t, const int *ref, int n_ref, int *out);

/* ---- right in both orders ---- */

struct stats_both_orders {
    int annot;             /* the judge (table index) */
    int partner;           /* "<name> [b first]" pooled with it as its other order, or -1 */
    double units;          /* units with a valid reference and a verdict in each order */
    struct stats_est both; /* right in both orders */
    struct stats_est first, second; /* right when shown in canonical / reversed order */
    struct stats_est consistency;   /* the two verdicts equal (and valid) */
};

/* For each judge among annots[0..n_annots) (NULL = every annotator) that is not the
 * single reference, not a "[b first]" partner of another annotator, and has units:
 * per unit its first judgment presented in canonical order and its first presented
 * reversed (its partner's judgments pooled after its own), compared with the
 * reference label (ref as in stats_reference_labels; invalid verdicts are wrong, or a
 * tie with invalid_as_tie).  *out is allocated (free()); *n_out entries. */
void stats_both_orders_compute(const struct stats_table *t, const int *annots, int n_annots,
                               const int *ref, int n_ref, int invalid_as_tie,
                               const struct stats_fig_opts *o, struct stats_both_orders **out,
                               int *n_out);

/* ---- win / tie / loss per model pair ---- */

struct stats_wtl {
    int annot;
    int m1, m2;            /* model indices, m1's name sorts before m2's */
    double win, tie, loss; /* weighted verdicts of m1 against m2 */
    double invalid;        /* weighted invalid judgments of the pair */
};

/* Counts per annotator (annots as above) and unordered pair of two different known
 * models, from the verdicts (not p_a); sorted by annotator then the models' names.
 * *out is allocated (free()). */
void stats_wtl_compute(const struct stats_table *t, const int *annots, int n_annots,
                       struct stats_wtl **out, int *n_out);

/* ---- AlpacaEval length-controlled win rate ---- */

/* Weighted logistic regression with labels in [0, 1]: beta (k <= 4 entries, in/out
 * starting point) maximises
 *   sum_i w_i [y_i log s(x_i.b) + (1 - y_i) log(1 - s(x_i.b))] - ridge/2 |b|^2,
 * x row-major n x k.  Newton's method with step halving.  Returns the number of steps,
 * or -1 when it did not converge in 100 steps (beta is the last iterate; with ridge 0
 * and perfectly separated labels there is no finite maximum). */
int stats_logit_fit(const double *x, const double *y, const double *w, size_t n, int k,
                    double ridge, double *beta);

/* The length-controlled fit's ridge: it keeps the fit finite when every judgment of a
 * (resampled) model goes one way, and moves a fit on a few hundred judgments by
 * about 1e-6. */
#define STATS_LC_RIDGE 1e-4

struct stats_lc_fit {
    double n;           /* total weight */
    double win_rate;    /* weighted mean preference for the model */
    double lc_win_rate; /* s(intercept): the prediction at zero length difference */
    double intercept, length_coef, sd;
    int converged;
};

/* AlpacaEval's length_controlled_minimal GLM on n judgments of a model against a
 * baseline: pref[i] in [0, 1] (1 = the model won, 0.5 = tie), lengths in characters,
 * weights w (NULL = 1).  delta = len_base - len_model, sd its weighted sample
 * standard deviation (frequency weights: sum w (d - mean)^2 / (sum w - 1)); the
 * regression is logit p = intercept + length_coef * tanh(delta / sd) (length term 0
 * when sd is 0 or undefined; ridge STATS_LC_RIDGE); the LC win rate is the mean prediction with the
 * length term set to zero.  Allocates its own scratch. */
void stats_lc_minimal(const double *pref, const double *len_model, const double *len_base,
                      const double *w, size_t n, struct stats_lc_fit *out);

struct stats_lc_model {
    int model;
    struct stats_lc_fit fit; /* on the full data */
    struct stats_est win_rate, lc_win_rate;
};

struct stats_lc_report {
    int annot;
    int baseline;             /* model index, -1 when the annotator has none */
    struct stats_lc_model *m; /* models judged against the baseline, by name */
    int n_m;
};

/* The baseline of annotator `annot`: the model in every one of its valid judgments
 * between two different known models; when two are (one pair of models), the one
 * presented first more often (AlpacaEval's output_1), then the lower index.  -1 when
 * there is none. */
int stats_lc_baseline(const struct stats_table *t, int annot);

/* The length-controlled win rate of every model judged against its annotator's
 * baseline (`baseline` >= 0 for all, else stats_lc_baseline per annotator), over the
 * valid judgments with known lengths, for the annotators annots[0..n_annots) (NULL =
 * all); one report per annotator with at least one such model.  Intervals refit each
 * item resample (one resample serves every model; figures withheld by min_n are not
 * refitted).  Free with stats_lc_reports_free. */
void stats_lc_compute(const struct stats_table *t, const int *annots, int n_annots, int baseline,
                      const struct stats_fig_opts *o, struct stats_lc_report **out, int *n_out);
void stats_lc_reports_free(struct stats_lc_report *r, int n);

/* ---- ratings ---- */

struct stats_rating_row {
    int item;   /* dense item index */
    int model;  /* index into models, -1 when the response has none */
    int aspect; /* index into aspects */
    int annot;  /* index into annotators */
    double value;
};

/* Ratings of a dataset, filled by the store; owns everything (stats_rating_table_free). */
struct stats_rating_table {
    struct stats_rating_row *rows;
    int n_rows, cap_rows, n_items;
    char **aspects, **annotators, **models;
    int n_aspects, n_annot, n_models;
};

void stats_rating_table_free(struct stats_rating_table *rt);
/* Indices of names, added when absent (the table keeps a copy). */
int stats_rating_table_aspect(struct stats_rating_table *rt, const char *name);
int stats_rating_table_annot(struct stats_rating_table *rt, const char *name);
int stats_rating_table_model(struct stats_rating_table *rt, const char *name);
void stats_rating_table_add(struct stats_rating_table *rt, const struct stats_rating_row *row);

struct stats_rating_mean {
    int aspect, annot, model; /* model -1: responses without a model name */
    double n;                 /* ratings */
    struct stats_est mean;
};

/* Mean rating per (aspect, rating annotator, model), sorted by aspect name, annotator
 * name, then mean (best first; a lower-is-better aspect, see stats_rating_lower_better,
 * ascending).  aspect >= 0 keeps only that aspect.  *out is allocated (free()). */
void stats_rating_means(const struct stats_rating_table *rt, int aspect,
                        const struct stats_fig_opts *o, struct stats_rating_mean **out, int *n_out);

/* 1 for an aspect where lower is better: "rank" (Nectar-style rankings). */
int stats_rating_lower_better(const char *aspect);

/* The verdict of a pair of ratings in canonical order: STATS_A when lo beats hi by
 * more than margin (higher wins, or lower when lower_better), STATS_B the other way,
 * else STATS_TIE. */
int stats_rating_verdict(double v_lo, double v_hi, double margin, int lower_better);

/* The annotator name that records a derivation rule: "ratings:ASPECT>M" (higher wins
 * by more than M; "<" when lower is better), followed by " by ANNOTATOR" unless the
 * ratings are the dataset's own. */
void stats_rating_rule_name(struct strbuf *sb, const char *aspect, double margin, int lower_better,
                            const char *annotator);

#endif
