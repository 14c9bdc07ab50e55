/* Annotations a researcher adds to items: labels (their verdict on a pair of
 * responses, stored as an ordinary judgment by their annotator name, so stats,
 * export and Lua see it at once), tags and free-text notes.  Every change is
 * atomic and reports what was there before, so the TUI can undo it.
 *
 * Verdicts are relative to the pair as given: a judgment stored as (b, a) with
 * verdict "A" reads as "B" when asked about (a, b). */
#ifndef PS_STORE_ANNOTATE_H
#define PS_STORE_ANNOTATE_H

#include <stdint.h>

#include "core/err.h"

struct store;

enum store_verdict {
    STORE_VERDICT_NONE = 0, /* no judgment */
    STORE_VERDICT_A,
    STORE_VERDICT_B,
    STORE_VERDICT_TIE,
};

/* "A", "B", "tie" or "" for NONE. */
const char *store_verdict_str(enum store_verdict v);
/* Parse "A"/"a", "B"/"b", "tie"; anything else (incl. NULL, "invalid") is NONE. */
enum store_verdict store_verdict_parse(const char *s);

/* ---- labels ---- */

/* Record `annotator`'s verdict on the pair (resp_a, resp_b) of item `item_id` (the
 * verdict is relative to that order): one judgment per (item, annotator, unordered
 * pair), replaced if it exists.  STORE_VERDICT_NONE removes it (as
 * store_label_clear).  *prev (may be NULL) receives the verdict that was there
 * before, relative to the same order, so that calling again with it undoes. */
int store_label_set(struct store *st, int64_t item_id, int64_t resp_a, int64_t resp_b,
                    const char *annotator, enum store_verdict verdict, enum store_verdict *prev,
                    struct ps_err *err);
/* As store_label_set, storing `meta` (a JSON object text, borrowed; NULL or "" for
 * none) in the judgment's meta, replacing what was there.  *prev_meta (may be NULL)
 * receives the replaced judgment's meta (caller-owned; NULL when it had none or there
 * was no judgment), so that an undo restores both. */
int store_label_set_meta(struct store *st, int64_t item_id, int64_t resp_a, int64_t resp_b,
                         const char *annotator, enum store_verdict verdict, const char *meta,
                         enum store_verdict *prev, char **prev_meta, struct ps_err *err);
int store_label_clear(struct store *st, int64_t item_id, int64_t resp_a, int64_t resp_b,
                      const char *annotator, enum store_verdict *prev, struct ps_err *err);
/* The verdict of `annotator` on the pair (NONE when absent), relative to (a, b). */
int store_label_get(struct store *st, int64_t item_id, int64_t resp_a, int64_t resp_b,
                    const char *annotator, enum store_verdict *out, struct ps_err *err);

/* ---- settings (the workspace's `setting` table) ---- */

/* The value of setting `name`; *value is caller-owned, NULL when unset. */
int store_setting_get(struct store *st, const char *name, char **value, struct ps_err *err);
/* Set (value NULL: remove) setting `name`; both borrowed. */
int store_setting_set(struct store *st, const char *name, const char *value, struct ps_err *err);

/* An annotator's blind labels of a dataset (judgments whose meta has
 * blind.chosen): how many preferred the left (top) response, the right one, or
 * neither (tie). */
struct store_blind_bias {
    int64_t left, right, ties;
};
int store_blind_bias(struct store *st, int64_t dataset_id, const char *annotator,
                     struct store_blind_bias *out, struct ps_err *err);

/* ---- tags and notes ---- */

/* Add a tag to an item (no-op when present).  *added (may be NULL) is 1 when it
 * was new, so an undo knows whether to remove it. */
int store_tag_add(struct store *st, int64_t item_id, const char *tag, int *added,
                  struct ps_err *err);
/* Remove a tag; *removed (may be NULL) is 1 when it was there. */
int store_tag_remove(struct store *st, int64_t item_id, const char *tag, int *removed,
                     struct ps_err *err);
/* Add `tag` to each of n items in one transaction (all or none); *added (may be
 * NULL) counts the items that did not have it. */
int store_tag_add_many(struct store *st, const int64_t *item_ids, int n, const char *tag,
                       int *added, struct ps_err *err);
/* Remove `tag` from every item of a dataset; *removed (may be NULL) counts them. */
int store_tag_drop(struct store *st, int64_t dataset_id, const char *tag, int *removed,
                   struct ps_err *err);
/* The tags of an item, sorted.  *out is a caller-owned array of *n strings; free
 * with store_strings_free. */
int store_tag_list(struct store *st, int64_t item_id, char ***out, int *n, struct ps_err *err);
/* Every distinct tag used in a dataset with its item count (for completion and the
 * filter menu), sorted by tag.  counts may be NULL. */
int store_tag_names(struct store *st, int64_t dataset_id, char ***out, int64_t **counts, int *n,
                    struct ps_err *err);
void store_strings_free(char **v, int n);

struct store_note {
    int64_t id;
    char *author, *text, *created_at;
};

/* Add a note (author may be NULL); its id goes to *id (may be NULL). */
int store_note_add(struct store *st, int64_t item_id, const char *author, const char *text,
                   int64_t *id, struct ps_err *err);
int store_note_delete(struct store *st, int64_t note_id, struct ps_err *err);
/* The notes of an item, oldest first; free with store_notes_free. */
int store_note_list(struct store *st, int64_t item_id, struct store_note **out, int *n,
                    struct ps_err *err);
void store_notes_free(struct store_note *v, int n);

#endif
