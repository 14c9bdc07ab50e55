/* Writing a dataset as Parquet in TRL's preference layout (export --format parquet). */
#ifndef PS_FORMATS_PARQUET_WRITE_H
#define PS_FORMATS_PARQUET_WRITE_H

#include <stdint.h>
#include <stdio.h>

#include "core/err.h"
#include "formats/export.h"

struct store;

/* Write dataset `dataset_id` to `out` (borrowed; written sequentially, so a pipe
 * works) as Parquet: prompt, chosen, rejected, as strings, or as lists of
 * {role, content} when any item has a system prompt or history.  opts->annotator
 * chooses whose verdicts decide, as for the trl exports; res counts as they do. */
int parquet_export(struct store *st, int64_t dataset_id, const struct export_opts *opts, FILE *out,
                   struct export_result *res, struct ps_err *err);

#endif
