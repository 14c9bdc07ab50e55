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

struct export_result {
    long items, rows, skipped_ties, skipped_unlabeled;
    char annotator[128];
};

/* Write dataset `dataset_id` to `out` (borrowed).  err names the problem. */
int export_dataset(struct store *st, int64_t dataset_id, const struct export_opts *opts, FILE *out,
                   struct export_result *res, struct ps_err *err);

#endif
