/* Store queries and single-row edits used by the Lua API (src/lua): filtered keyset
 * paging over items, and adding responses, judgments, ratings, tags and notes to an
 * existing item (judgments: store_add_judgment in join.h; tags and notes: annotate.h).
 *
 * Every function returns PS_OK or an error status with a message in `err`.  Writes
 * are not wrapped in transactions here: the caller decides (the Lua API runs them in
 * autocommit mode unless the script opened a transaction).  Cached dataset counts are
 * NOT refreshed; call store_dataset_refresh_counts when done. */
#ifndef PS_STORE_SCRIPT_H
#define PS_STORE_SCRIPT_H

#include <stdint.h>

#include "core/err.h"

struct store;

/* Which items to visit.  Every field is optional (NULL / 0 = no constraint); the
 * strings are borrowed for the duration of the call. */
struct store_item_filter {
    const char *label;     /* "labeled", "unlabeled", "A", "B", "tie" or "invalid" */
    const char *annotator; /* label tests (and, alone, "judged by") use this annotator */
    const char *tag;       /* items carrying this tag */
    const char *model;     /* items with a response by this model */
    const char *search;    /* FTS5 query over prompts and responses */
    int disagree;          /* items whose A/B/tie verdicts differ between annotators */
};

/* Check a filter's label value; PS_ERR_USAGE with a message naming the valid ones. */
int store_filter_check(const struct store_item_filter *f, struct ps_err *err);

/* Up to `limit` matching items of a dataset with seq > after_seq, in seq order.
 * ids[] and seqs[] (caller-owned, `limit` entries) receive them; *n their number
 * (fewer than limit at the end). */
int store_item_page(struct store *st, int64_t dataset_id, const struct store_item_filter *f,
                    int64_t after_seq, int limit, int64_t *ids, int64_t *seqs, int *n,
                    struct ps_err *err);

/* Number of matching items. */
int store_item_count(struct store *st, int64_t dataset_id, const struct store_item_filter *f,
                     int64_t *n, struct ps_err *err);

/* The item of a dataset with the highest seq; PS_ERR_NOTFOUND when it is empty.
 * (Finding by key: store_item_find_key in store/join.h.) */
int store_item_last(struct store *st, int64_t dataset_id, int64_t *id, struct ps_err *err);

/* Load only the item's own row (id, dataset, seq, key, ext_id, system, history,
 * prompt, meta) into *out, leaving responses, judgments, ratings and tags empty: the
 * cheap path for reading prompts.  *out is released with store_item_free.
 * PS_ERR_NOTFOUND when the item is gone. */
struct store_item;
int store_item_get_row(struct store *st, int64_t item_id, struct store_item *out,
                       struct ps_err *err);

/* The dataset an item belongs to; PS_ERR_NOTFOUND when the item is gone. */
int store_item_dataset(struct store *st, int64_t item_id, int64_t *dataset_id, struct ps_err *err);

/* Append a response to an item (next index); *idx / *id receive it (either may be NULL). */
int store_response_add(struct store *st, int64_t item_id, const char *text, const char *model,
                       const char *meta_json, int *idx, int64_t *id, struct ps_err *err);

/* Delete an item's judgments by `annotator` (NULL = all); *n (may be NULL) = rows. */
int store_judgment_delete(struct store *st, int64_t item_id, const char *annotator, int *n,
                          struct ps_err *err);

/* Rate the item's response of index `resp`. */
int store_rating_add(struct store *st, int64_t item_id, int resp, const char *aspect, double value,
                     const char *annotator, int64_t *id, struct ps_err *err);

/* Visit (annotator, verdict, count) for every judgment group of a dataset, sorted by
 * annotator and verdict.  Strings are borrowed for the call. */
typedef int (*store_verdict_fn)(void *ud, const char *annotator, const char *verdict, int64_t n);
int store_verdict_counts(struct store *st, int64_t dataset_id, store_verdict_fn fn, void *ud,
                         struct ps_err *err);

/* 1 while a transaction is open on the connection. */
int store_in_transaction(struct store *st);

#endif
