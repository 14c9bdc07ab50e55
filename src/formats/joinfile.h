/* --join ALIAS=FILE:KEY[=MAINKEY]: the records of FILE, found for each record of the
 * imported files by key (KEY paths in FILE, MAINKEY paths in the record; several
 * fields joined with '+', e.g. question_id+model) or by position (KEY '#': the N-th
 * record of FILE goes with the N-th record of each file).  --map paths reach the
 * joined record as $ALIAS (prompt=$q.turns[0]). */
#ifndef PS_FORMATS_JOINFILE_H
#define PS_FORMATS_JOINFILE_H

#include <cjson/cJSON.h>

#include "core/err.h"
#include "core/strbuf.h"

struct fmt_joins;

/* Read every join file and index it.  On success *out is owned by the caller
 * (fmt_joins_free); errors name the spec or file:line. */
int fmt_joins_load(const char *const *specs, int n, struct fmt_joins **out, struct ps_err *err);
void fmt_joins_free(struct fmt_joins *js);

/* A new object holding references to o's fields and, for each join, its record as
 * "$ALIAS" (absent when nothing matches; the miss is counted).  `index` is o's
 * 0-based position in its file.  The caller deletes the wrapper (cJSON_Delete); it
 * borrows o and the joined records. */
cJSON *fmt_joins_wrap(struct fmt_joins *js, const cJSON *o, long index);

/* After the import: a join no record matched is an error (with the first keys);
 * partial misses are appended to `notes` as one line per join with the count and the
 * first keys. */
int fmt_joins_check(const struct fmt_joins *js, struct strbuf *notes, struct ps_err *err);

#endif
