/* Workspace self-checks used by the tests (and cheap enough for a `check` command):
 * schema version, referential integrity, and whether the full-text index says
 * exactly what the current rows would produce. */
#ifndef PS_STORE_CHECK_H
#define PS_STORE_CHECK_H

#include <stdint.h>

#include "core/err.h"

struct store;

/* The workspace's schema version (PRAGMA user_version). */
int store_schema_version(struct store *st, int *version, struct ps_err *err);

/* Verify the workspace: sqlite's integrity check, no rows whose parent is gone
 * (items, responses, judgments, ratings, tags, notes), every item's item_stat row
 * (lengths, models, disagreement) agreeing with its rows, the FTS5 index's own
 * integrity check, and that the index holds exactly the tokens that re-indexing
 * every item now would produce (no stale or missing entries).  PS_OK when all
 * hold, else PS_ERR_DB with the first problem in err.  Reads the whole workspace:
 * meant for tests and small workspaces. */
int store_check(struct store *st, struct ps_err *err);

/* Number of items of dataset `dataset_id` (any dataset when < 0) matching the FTS5
 * query `match` (borrowed).  A malformed query is PS_ERR_USAGE. */
int store_fts_count(struct store *st, int64_t dataset_id, const char *match, int64_t *count,
                    struct ps_err *err);

/* Total rows in the main tables, for tests comparing before and after. */
struct store_totals {
    int64_t datasets, items, responses, judgments, ratings, tags, notes, feedback, fts_docs;
};
int store_totals(struct store *st, struct store_totals *out, struct ps_err *err);

#endif
