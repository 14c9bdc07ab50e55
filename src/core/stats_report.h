/* Evaluation report over a dataset's judgments: win rates, agreement, accuracy
 * against a reference, position consistency and length bias, each with a seeded
 * item-level bootstrap interval.  Pure C: the store fills a struct stats_table and
 * the CLI, Lua and TUI all read the same struct stats_report.
 *
 * Orientation.  A judgment compares two responses of an item.  Its *unit* is the
 * unordered pair; the *canonical* order puts the response with the lower index first
 * ("lo") and the verdict/probability are turned into that order, so judgments made in
 * either presentation order compare directly.  `reversed` remembers that the
 * annotator saw (hi, lo).  The definitions are in docs/evaluation.md. */
#ifndef PS_CORE_STATS_REPORT_H
#define PS_CORE_STATS_REPORT_H

#include <stdint.h>

#include "core/stats.h"
#include "core/strbuf.h"

struct stats_jrow {
    int item;      /* dense item index [0, n_items) */
    int unit;      /* dense index of the unordered response pair [0, n_units) */
    int annot;     /* index into table->annotators */
    int cls;       /* canonical verdict: STATS_A (lo better), STATS_B, STATS_TIE, STATS_INVALID */
    double p_lo;   /* probability that lo is better; NaN when unknown (use cls) */
    double weight; /* the judgment's weight (repeated verdicts), > 0 */
    int reversed;  /* 1 when presented as (hi, lo) */
    int model_lo, model_hi; /* index into table->models, -1 when unknown */
    int64_t len_lo, len_hi; /* response lengths in characters, -1 when unknown */
};

/* Rows are ordered by item then by judgment creation (the first judgment of an
 * annotator on a unit is the one that counts as its label).  The table owns every
 * array and string; release with stats_table_free. */
struct stats_table {
    struct stats_jrow *rows;
    int n_rows, cap_rows;
    int n_items, n_units;
    char **annotators;
    int n_annot;
    char **models;
    int n_models;
};

void stats_table_free(struct stats_table *t);
/* Index of a name in the table's list, adding it when absent (caller keeps ownership
 * of `name`; the table stores a copy). */
int stats_table_annot(struct stats_table *t, const char *name);
int stats_table_model(struct stats_table *t, const char *name);
/* Append a row (copied). */
void stats_table_add(struct stats_table *t, const struct stats_jrow *row);
/* Index of an annotator, -1 when absent. */
int stats_table_find_annot(const struct stats_table *t, const char *name);
/* Append to out[*n] (capacity max) the annotators matching `pattern`: an exact name,
 * or a prefix followed by '*' ("human:*"), in table order, skipping ones already in
 * out.  Returns how many matched (0 = none). */
int stats_table_match(const struct stats_table *t, const char *pattern, int *out, int *n, int max);

struct stats_opts {
    const int *annots; /* annotators to report (indices); NULL = all */
    int n_annots;
    const int *ref; /* reference annotators; one = that annotator, several = majority */
    int n_ref;
    int invalid_as_tie; /* score invalid predictions as "tie" (PandaLM's script) */
    int bootstrap;      /* resamples; 0 = no intervals */
    uint64_t seed;
    double level; /* interval level, e.g. 0.95 */
    /* A figure whose n (its weighted judgments or units, see docs/evaluation.md) is
     * below min_n is withheld: NaN with why = STATS_WHY_SMALL_N.  0 = no minimum;
     * the CLI, TUI and Lua default to STATS_MIN_N. */
    double min_n;
};

#define STATS_MIN_N 10

/* Why an estimate is missing (struct stats_est.why; 0 when it has a value). */
enum stats_why {
    STATS_WHY_NONE = 0,
    STATS_WHY_NO_DATA,      /* n is 0 */
    STATS_WHY_SMALL_N,      /* n below the minimum */
    STATS_WHY_NO_COMMON,    /* Fleiss: no unit judged validly by every annotator */
    STATS_WHY_ONE_CLASS,    /* chance agreement is 1: every label is the same class */
    STATS_WHY_ONE_ANNOTATOR /* agreement needs two annotators */
};

/* Static text for a reason ("n too small", ...); "" for STATS_WHY_NONE. */
const char *stats_why_text(int why);

/* An estimate with its bootstrap percentile interval (NaN when undefined). */
struct stats_est {
    double v, lo, hi;
    int why; /* enum stats_why: set by stats_report_compute when v is NaN */
};

struct stats_annot_report {
    int annot;                  /* index into the table's annotators */
    double n, n_invalid;        /* weighted judgment counts */
    struct stats_est winrate_b; /* presented second response, ties half (AlpacaEval) */
    double n_pos_units;         /* units judged in both orders */
    struct stats_est consistency;
    /* inconsistent in the telling way: the response shown first (second) won in both
     * orders, i.e. position bias towards the first (second) slot */
    struct stats_est first_wins, second_wins;
    double n_len; /* decisive-or-tie judgments with unequal lengths */
    struct stats_est longer_wins;
    double n_ref; /* judgments scored against the reference */
    struct stats_est accuracy, macro_p, macro_r, macro_f1;
    struct stats_est p[STATS_NCLASS], r[STATS_NCLASS], f1[STATS_NCLASS];
    /* accuracy of the judgments presented in canonical order (lower response index
     * first) and of those presented reversed; LLMBar averages the two */
    double n_ref_fwd, n_ref_rev;
    struct stats_est accuracy_fwd, accuracy_rev;
    double conf[STATS_NCLASS][STATS_NCLASS + 1]; /* point confusion, columns A,B,tie,invalid */
    struct stats_est *model_winrate;             /* [n_models] */
    double *model_n;                             /* [n_models] weighted battles per model */
    double *model_len; /* [n_models] mean length (characters) of the model's
                        * responses over these judgments, NaN if unknown */
};

struct stats_pair_report {
    int a, b; /* indices into report->annot (a < b) */
    double n; /* units both judged validly */
    struct stats_est agreement, kappa;
};

struct stats_report {
    const struct stats_table *table; /* borrowed */
    struct stats_opts opts;          /* pointers borrowed */
    struct stats_annot_report *annot;
    int n_annot;
    struct stats_pair_report *pairs;
    int n_pairs;
    double n_ref_units; /* units with a valid reference label */
    double fleiss_units, alpha_units;
    struct stats_est fleiss, alpha;
};

/* Compute the report.  `t` and the arrays in `o` must outlive `out`.  Free with
 * stats_report_free.  Items whose judgments are alike are counted together, so the
 * cost is O(items * bootstrap) random draws plus O(bootstrap * (rows + units *
 * annotators^2)) over one representative item per class of alike items. */
void stats_report_compute(const struct stats_table *t, const struct stats_opts *o,
                          struct stats_report *out);
void stats_report_free(struct stats_report *r);

/* Append a horizontal bar of `width` cells for frac in [0,1] (clamped; NaN draws
 * nothing) using U+2588 and the eighth blocks, padded with spaces to `width`. */
void stats_bar(struct strbuf *sb, double frac, int width);

/* Length bias by how different the lengths are: judgments of annotator `annot`
 * (valid, unequal lengths) are bucketed by the relative difference
 * |len_lo - len_hi| / max(len_lo, len_hi) into [edges[k], edges[k+1]) (the last
 * bucket includes 1); rate[k] is the weighted share won by the longer response (ties
 * half, NaN when empty) and n[k] the weight.  edges has n_buckets+1 entries. */
void stats_length_curve(const struct stats_table *t, int annot, const double *edges, int n_buckets,
                        double *rate, double *n);

/* Append untrusted text (an annotator or model name) as one table cell: sanitized to
 * one line, cut to `cols` display columns with an ellipsis when longer, padded with
 * spaces to exactly `cols`. */
void stats_put_cell(struct strbuf *sb, const char *s, int cols);

/* JSON helpers: a number (NaN/inf as null) and "key":{"value":v,"ci":[lo,hi]}, plus
 * "reason":"..." when the estimate has a why. */
void stats_json_num(struct strbuf *sb, double v);
void stats_json_est(struct strbuf *sb, const char *key, struct stats_est e);

/* Append the report as one JSON object to sb. */
void stats_report_json(const struct stats_report *r, struct strbuf *sb);

#endif
