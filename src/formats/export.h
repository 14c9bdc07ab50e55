/* Writing a dataset out: TRL (standard and conversational), KTO, prefscope JSONL,
 * CSV and AnnotatedPairs v2. */
#ifndef PS_FORMATS_EXPORT_H
#define PS_FORMATS_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "core/err.h"

struct store;

#define EXPORT_FORMATS "trl, trl-conversational, kto, jsonl, csv, annotated-pairs, parquet"

struct export_opts {
    const char *format;    /* one of EXPORT_FORMATS */
    const char *annotator; /* whose verdicts decide chosen/rejected; NULL = "dataset",
                              or the most frequent annotator when there is none */
};

/* Counts of an export: what was written and what the format could not hold. */
struct export_result {
    long items, rows;
    long ties, invalid;    /* verdicts of the deciding annotator with no chosen side */
    long unlabeled;        /* items without a verdict of that annotator */
    long lost_judgments;   /* judgments of other annotators (trl, kto; csv --annotator) */
    long lost_responses;   /* responses in no exported pair */
    long lost_short_items; /* annotated-pairs: items with fewer than two responses */
    long lost_ratings, lost_rationales, lost_tags, lost_models, lost_weights, lost_fractions;
    long split_groups;         /* items with more than two responses, written as pairs */
    long messages_for_context; /* trl/kto: items whose system/history made prompts lists */
    char annotator[128];
};

/* Write dataset `dataset_id` to `out` (borrowed).  err names the problem. */
int export_dataset(struct store *st, int64_t dataset_id, const struct export_opts *opts, FILE *out,
                   struct export_result *res, struct ps_err *err);

/* Print the summary of an export to `f`: rows written, and one line with the counts
 * of everything the format could not carry (nothing when it lost nothing). */
void export_report(const struct export_result *res, const char *format, FILE *f);

#endif
