/* Judgment tables for evaluation: every judgment of a dataset flattened into the
 * rows that src/core/stats_report.h consumes, and adding judgments (LLM judges). */
#ifndef PS_STORE_JUDGMENTS_H
#define PS_STORE_JUDGMENTS_H

#include <stdint.h>

#include "core/err.h"
#include "core/stats_figs.h"
#include "core/stats_report.h"

struct store;

/* Fill `out` (zero-initialized by the caller; owned by the caller afterwards, free
 * with stats_table_free) with every judgment of the dataset, in item order then
 * creation order.  Judgments of a response against itself are skipped.  Lengths are
 * counted in characters (sqlite length() of the text); text-free responses have -1. */
int store_judgment_table(struct store *st, int64_t dataset_id, struct stats_table *out,
                         struct ps_err *err);

/* Ratings of one aspect turned into judgments (stats --pairs-from-ratings, rank
 * --from-ratings).  Strings borrowed. */
struct store_derive {
    const char *aspect;
    double margin;    /* a difference up to margin is a tie */
    int lower_better; /* lower values win (ranks) */
};

/* Flags of store_judgment_table_derived. */
enum {
    STORE_JT_DERIVED_ONLY = 1, /* leave the stored judgments out */
    STORE_JT_NO_LENGTHS = 2    /* every len_lo/len_hi -1: the texts are not read (rank) */
};

/* store_judgment_table plus, with `d`, one judgment per pair of responses of an item
 * that one rating annotator rated on d->aspect (a response's first rating counts): the
 * verdict of stats_rating_verdict in canonical order, weight 1, no p_a, annotator
 * stats_rating_rule_name(aspect, margin, lower_better, rating annotator).  An item
 * with ratings but no judgments is an item of the table too.  flags: STORE_JT_*. */
int store_judgment_table_derived(struct store *st, int64_t dataset_id, const struct store_derive *d,
                                 int flags, struct stats_table *out, struct ps_err *err);

/* Every rating of the dataset (`out` owned by the caller afterwards, free with
 * stats_rating_table_free): items numbered densely in item order, every rating kept. */
int store_rating_table(struct store *st, int64_t dataset_id, struct stats_rating_table *out,
                       struct ps_err *err);

/* The same for a dataset given by name (PS_ERR_NOTFOUND naming it when absent). */
int store_judgment_table_named(struct store *st, const char *dataset, struct stats_table *out,
                               struct ps_err *err);

/* Add one judgment to an item: `resp_a` and `resp_b` are response ids of that item
 * as presented to the annotator.  verdict is "A", "B", "tie" or "invalid"; p_a is
 * stored only when has_p.  rationale and meta_json (a JSON object) may be NULL.
 * All strings are borrowed. */
int store_judgment_add(struct store *st, int64_t item_id, int64_t resp_a, int64_t resp_b,
                       const char *annotator, const char *verdict, double p_a, int has_p,
                       double weight, const char *rationale, const char *meta_json,
                       struct ps_err *err);

/* Visit (item_id, response_a, response_b) of every judgment of `annotator` in the
 * dataset (to skip work already done when a judge run resumes).  A non-zero return
 * from fn stops the walk and is returned. */
typedef int (*store_judgment_key_fn)(void *ud, int64_t item_id, int64_t resp_a, int64_t resp_b);
int store_judgment_keys(struct store *st, int64_t dataset_id, const char *annotator,
                        store_judgment_key_fn fn, void *ud, struct ps_err *err);

/* Delete every judgment of `annotator` in the dataset (to rerun a judge from scratch);
 * *deleted receives the count (may be NULL). */
int store_judgment_delete_annotator(struct store *st, int64_t dataset_id, const char *annotator,
                                    int64_t *deleted, struct ps_err *err);

#endif
