/* Helpers for formats whose records merge into, or attach to, items keyed across
 * records and files (AlpacaEval, LLMBar, PandaLM judge files). */
#ifndef PS_FORMATS_JOIN_H
#define PS_FORMATS_JOIN_H

#include "formats/formats.h"

/* A merge key that stays distinct for repeated source records: returns `key` the
 * first time it is seen in the current file and "key#N" for its N-th occurrence,
 * so two identical records of one file stay two items while the same record in
 * another file merges with the first.  The result is owned by the job (valid for the
 * current record).  Uses job->state. */
const char *fmt_occurrence_key(struct fmt_job *job, const char *key);

/* A short, stable merge key "prefix:<16 hex digits>" hashed from the given strings
 * (NULL counts as empty; the parts are separated so ("ab","c") != ("a","bc")).
 * Owned by the job. */
const char *fmt_hash_key(struct fmt_job *job, const char *prefix, const char *const *parts, int n);

/* Does an item with merge key `key` already exist in the target dataset?  Always 0
 * in dry runs. */
int fmt_item_exists(struct fmt_job *job, const char *key, int *exists, struct ps_err *err);

/* Attach judgments j[0..n) to the existing item with merge key `key`; their a/b are
 * positions of that item's responses.  A missing item is an error naming file:line
 * and `what` (e.g. "idx 17").  In a dry run the judgments are printed instead. */
int fmt_emit_join(struct fmt_job *job, const char *key, const char *what,
                  const struct ps_rec_judgment *j, int n, struct ps_err *err);

#endif
