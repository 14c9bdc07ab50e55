/* The critique workbench's tables (C3PO): feedback, categories, critique items, their
 * edit history and evaluation results.  DESIGN.md section 7; the Lua binding is
 * ps.c3po (src/lua/l_critique.c), the pipeline lua-modules/prefscope/c3po.lua.
 *
 * Rows are handed to callbacks as parallel arrays of column names and text values
 * (NULL = SQL NULL), borrowed for the duration of the call; a callback returning
 * non-zero stops the iteration and that value is returned.
 *
 * Edits: every change made through store_crit_*_set with an author is recorded in
 * critique_edit (field, old value, new value, author, time), so the generated
 * original of a field is the old value of its first edit; store_crit_undo reverts
 * the latest edit that is not undone.  Changes with author NULL are generation
 * results and are not recorded. */
#ifndef PS_STORE_CRITIQUE_H
#define PS_STORE_CRITIQUE_H

#include <stdint.h>

#include "core/err.h"

struct store;

struct store_row {
    int n;
    const char *const *names;
    const char *const *vals;
};
typedef int (*store_row_fn)(void *ud, const struct store_row *row);

/* The value of a column by name, or NULL. */
const char *store_row_get(const struct store_row *row, const char *name);

/* A new feedback of dataset `dataset_id` (0 = none).  Strings are borrowed; *id
 * receives the row id. */
int store_crit_feedback_add(struct store *st, int64_t dataset_id, const char *text,
                            const char *domain, const char *effect, const char *scope,
                            const char *type, const char *metric, const char *meta_json,
                            int64_t *id, struct ps_err *err);

/* Feedback rows (id 0 = all, in id order) with counts: n_in, n_near, n_out,
 * accepted, rejected, pending, failed, n_categories; and dataset (name). */
int store_crit_feedback_list(struct store *st, int64_t id, store_row_fn fn, void *ud,
                             struct ps_err *err);

/* Set one field (feedback, domain, effect, scope, type, metric, status, meta) of a
 * feedback; recorded as an edit when author is not NULL.  PS_ERR_NOTFOUND for a
 * missing id, PS_ERR_USAGE for another field. */
int store_crit_feedback_set(struct store *st, int64_t id, const char *field, const char *value,
                            const char *author, struct ps_err *err);

/* Add a category (an existing one with the same text is kept): *id, *is_new. */
int store_crit_category_add(struct store *st, int64_t feedback_id, const char *text,
                            const char *meta_json, int64_t *id, int *is_new, struct ps_err *err);
int store_crit_category_list(struct store *st, int64_t feedback_id, store_row_fn fn, void *ud,
                             struct ps_err *err);

/* Add a prompt of scope in|near|out.  A prompt whose normalized text (case folded,
 * whitespace collapsed) the feedback already has, in any scope, is not added:
 * *is_new = 0 and *id is the existing row.  split is "train" or "test". */
int store_crit_item_add(struct store *st, int64_t feedback_id, const char *scope,
                        int64_t category_id, const char *prompt, const char *split,
                        const char *meta_json, int64_t *id, int *is_new, struct ps_err *err);

/* Critique rows of a feedback, in id order, filtered by scope / status / split (NULL =
 * any); id_only > 0 lists that one row (feedback_id is then ignored). */
int store_crit_item_list(struct store *st, int64_t feedback_id, int64_t id_only, const char *scope,
                         const char *status, const char *split, store_row_fn fn, void *ud,
                         struct ps_err *err);

/* Set one field (prompt, baseline, revised, critique, in_context, cot, status, error,
 * category, split) of a critique item, recorded as an edit when author is not NULL. */
int store_crit_item_set(struct store *st, int64_t id, const char *field, const char *value,
                        const char *author, struct ps_err *err);

/* Merge a JSON object into an item's meta (json_patch), e.g. provenance. */
int store_crit_item_meta(struct store *st, int64_t id, const char *patch_json, struct ps_err *err);

/* Revert the latest not-undone edit of a critique item (target "critique") or a
 * feedback ("feedback"): the old value is written back, recorded as an edit by
 * author, and the edit is marked undone.  *field receives the field name (static
 * storage of the call is not used: a copy the caller frees), NULL when there was
 * nothing to undo. */
int store_crit_undo(struct store *st, const char *target, int64_t id, const char *author,
                    char **field, struct ps_err *err);

/* The edit history of a target, oldest first. */
int store_crit_edits(struct store *st, const char *target, int64_t id, store_row_fn fn, void *ud,
                     struct ps_err *err);

/* Store one evaluation result (replacing the same critique/run/swap). */
struct store_crit_eval {
    int64_t critique_id;
    const char *run, *candidate, *kind, *rationale, *judge, *meta_json;
    int swap;
    double score, baseline_metric, candidate_metric; /* NAN = NULL */
    int success;                                     /* -1 = NULL */
};
int store_crit_eval_put(struct store *st, const struct store_crit_eval *e, struct ps_err *err);

/* Evaluation rows of a feedback and run (joined with the item's scope). */
int store_crit_eval_list(struct store *st, int64_t feedback_id, const char *run, store_row_fn fn,
                         void *ud, struct ps_err *err);

#endif
