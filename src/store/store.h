/* The workspace: one sqlite file holding datasets, items, responses, judgments,
 * ratings, tags, notes and the work of the LLM features (DESIGN.md section 3).
 *
 * This module is the only one that includes sqlite3.h.  Other modules call the
 * functions declared here (and in the other headers of src/store); they never see a
 * sqlite handle.  All functions return PS_OK or an error status with a message in
 * the caller's struct ps_err. */
#ifndef PS_STORE_STORE_H
#define PS_STORE_STORE_H

#include <stdint.h>

#include "core/err.h"
#include "core/record.h"

struct store;

#define STORE_SCHEMA_VERSION 10

/* Open (creating if needed) the workspace at `path` (":memory:" allowed), enable WAL
 * and foreign keys, and migrate the schema to STORE_SCHEMA_VERSION.  On success *out
 * is owned by the caller: release it with store_close.  A workspace written by a
 * newer prefscope is refused. */
int store_open(struct store **out, const char *path, struct ps_err *err);
void store_close(struct store *st);
const char *store_path(const struct store *st);

/* 0 for a normal workspace.  A workspace this process cannot write (the file, or the
 * directory that must hold its -wal/-shm files) is opened read-only instead of
 * failing: 1 when sqlite's shared memory works, 2 when not even the -shm file can be
 * made and the file is read as immutable (a concurrent writer's changes are then not
 * seen).  Writes then fail with "attempt to write a readonly database". */
int store_readonly(const struct store *st);

/* 1 when the sqlite linked in lets two threads use two connections (it was not
 * built single-threaded): what a streamed import on a thread needs. */
int store_threads_ok(void);

/* A number that changes when another connection (another process, another TUI)
 * commits to the workspace; this connection's own writes leave it alone.  Costs no
 * I/O beyond a look at the WAL index, so a UI may poll it.  -1 when unknown. */
int64_t store_data_version(struct store *st);

/* Resolve the workspace path: `explicit_path` if non-NULL, else $PREFSCOPE_WORKSPACE,
 * else "./prefscope.db".  Returns a static or borrowed string. */
const char *store_default_path(const char *explicit_path);

/* ---- the write lock ----
 * One process writes at a time (sqlite's lock).  A long writer says what it is with
 * store_set_writer: while its transaction is open the file "<workspace>-writer" names
 * it ("import of 'x' by pid N"), so that others can say who holds the workspace.
 * Writes that find the workspace busy fail with PS_ERR_BUSY and a message naming the
 * holder, unless a wait function is set: store_begin then calls it about every
 * 250 ms with the holder and the seconds waited, and keeps waiting while it returns
 * 0 (nonzero: give up with PS_ERR_BUSY). */
typedef int (*store_wait_fn)(void *ud, const char *holder, double waited_s);
/* `what` is copied (NULL: none); `wait` and `ud` are borrowed. */
void store_set_writer(struct store *st, const char *what, store_wait_fn wait, void *ud);
/* How long one statement waits for the lock before PS_ERR_BUSY (default 5000 ms);
 * the TUI uses a short wait so that a label key never blocks. */
void store_busy_timeout(struct store *st, int ms);
/* Describe who holds the write lock into buf: "import of 'x' by pid N" from the
 * lock-info file when its process is alive, else "another process". */
void store_lock_holder(struct store *st, char *buf, size_t size);

/* For an import into a workspace that may not exist yet: when `path` does not
 * exist, the new workspace is built as "<path>-new-<pid>", with its rollback journal
 * in memory and no syncing (each page is written once, not to the WAL and then to
 * the file), and store_publish gives it its name; a killed process leaves only the
 * temporary file, removed by the next store_open of `path`.  Otherwise the same as
 * store_open.  Close with store_publish, then store_close. */
int store_open_new(struct store **out, const char *path, struct ps_err *err);
/* End what store_open_new began: roll back an open transaction, switch the file to
 * WAL, sync it and link it to its name (never over a file created meanwhile:
 * PS_ERR_IO), then reopen it there into *stp.  A no-op for a store that is not new.
 * *stp is closed and NULL on failure (the temporary file is removed). */
int store_publish(struct store **stp, struct ps_err *err);

/* Process-wide sqlite settings; call once at start, before any thread or other
 * store function (main does).  Turns off sqlite's memory statistics: they take one
 * global lock per allocation, which the importing thread and the full-text index
 * thread (store_bulk_side_index) would otherwise contend for. */
void store_process_init(void);

/* Transactions (BEGIN IMMEDIATE / COMMIT / ROLLBACK); not nestable. */
int store_begin(struct store *st, struct ps_err *err);
int store_commit(struct store *st, struct ps_err *err);
void store_rollback(struct store *st);

/* Bulk writing inside a transaction (importers; PS_ERR_DB outside one):
 * store_bulk_begin defers the full-text indexing of the items created from now on;
 * after 1,000 new items the per-row item_stat insert triggers are dropped too
 * (store_put_record then writes a new item's figures itself), and for a large import
 * into a small workspace the judgment and item_stat indexes for a while (store.c).
 * store_bulk_end (or store_commit, which calls it) recomputes the figures of the
 * items that records changed, creates the triggers and indexes again and indexes
 * the new items with one statement,
 * all before the COMMIT, so no other connection sees the schema without them.
 * store_rollback ends bulk mode too (the ROLLBACK restores the schema).  Items that
 * existed before are still re-indexed at once when a record changes them.  A
 * transaction may run several bulk phases one after another. */
int store_bulk_begin(struct store *st, struct ps_err *err);
int store_bulk_end(struct store *st, struct ps_err *err);
/* Within bulk mode, when the workspace is a file with no items yet (a first import):
 * build the full-text index of the new items on a second thread, into a staging
 * file beside the workspace ("<workspace>-ftsbuild-<pid>"), and copy it in at
 * store_bulk_end, inside the transaction: the index still lands with the rows, in
 * one COMMIT.  Otherwise, or when the thread cannot start, a no-op: the index is
 * built at store_bulk_end as before.  The staging file is removed when the
 * transaction ends (a killed process's by the next store_open).  For one long
 * transaction, not for chunked commits: each would copy a whole index. */
int store_bulk_side_index(struct store *st, struct ps_err *err);

/* Execute one or more SQL statements without parameters (schema-like work only;
 * never pass data in `sql`). */
int store_exec(struct store *st, const char *sql, struct ps_err *err);

/* ---- datasets ---- */

struct store_dataset {
    int64_t id;
    char *name, *source, *format, *imported_at, *meta;
    int64_t n_items, n_responses, n_judgments, n_ratings, n_feedback;
    char *annotators; /* comma-separated, sorted; may be "" */
    /* A streamed import (store_dataset_set_import): NULL when complete, else
     * "importing" (by the process import_pid, which may be gone) or "incomplete";
     * import_records source records are in. */
    char *import_state;
    int64_t import_pid, import_records;
};

/* Create a dataset; PS_ERR_EXISTS when the name is taken. */
int store_dataset_create(struct store *st, const char *name, const char *source, const char *format,
                         int64_t *id, struct ps_err *err);
/* Find by name; PS_ERR_NOTFOUND (with a message naming it) when absent. */
int store_dataset_find(struct store *st, const char *name, int64_t *id, struct ps_err *err);
/* 1 in *yes when the dataset's source names its two responses "chosen" and
 * "rejected" (formats hh, trl, sharegpt: response #1 is the chosen one), else 0.
 * Reads one row (no aggregation). */
int store_dataset_chosen_rejected(struct store *st, int64_t id, int *yes, struct ps_err *err);
/* "chosen" / "rejected" for response index idx (0-based) of such a dataset, else NULL. */
const char *store_source_word(int chosen_rejected, int idx);
/* Delete a dataset and everything hanging off it. */
int store_dataset_delete(struct store *st, int64_t id, struct ps_err *err);
/* Recompute the cached counts of a dataset (call after bulk changes). */
int store_dataset_refresh_counts(struct store *st, int64_t id, struct ps_err *err);
int store_dataset_set_format(struct store *st, int64_t id, const char *format, struct ps_err *err);
int store_dataset_set_meta(struct store *st, int64_t id, const char *meta_json, struct ps_err *err);
/* Mark a dataset whose import streams in chunks: `state` "importing" (by process
 * `pid`) or "incomplete", or NULL once it is complete; `records` source records are
 * in.  Also refreshes the cached item count (n_items), so that listings follow the
 * import.  `state` is borrowed. */
int store_dataset_set_import(struct store *st, int64_t id, const char *state, int64_t pid,
                             int64_t records, struct ps_err *err);

/* How complete a dataset is, from its import mark: NULL when complete, "importing"
 * while the importing process runs, "interrupted" when that process is gone (killed
 * mid-import), "incomplete" when the user stopped the import and kept what had
 * arrived.  A static string. */
const char *store_dataset_import_status(const struct store_dataset *d);

/* Load every dataset with its counts and annotators.  On success *out is a
 * caller-owned array of *n entries; free with store_dataset_list_free. */
int store_dataset_list(struct store *st, struct store_dataset **out, int *n, struct ps_err *err);
/* Load one dataset by id (caller frees with store_dataset_free). */
int store_dataset_get(struct store *st, int64_t id, struct store_dataset *out, struct ps_err *err);
void store_dataset_free(struct store_dataset *d);
void store_dataset_list_free(struct store_dataset *list, int n);

/* ---- writing records (importers) ---- */

/* Insert or merge one record into the dataset: a record whose key matches an
 * existing item adds its responses (matched by text and model) and its judgments and
 * ratings to that item, and fills the item's prompt, system, history and id where the
 * item has none (a record without responses only fills).  The record's strings are only borrowed.
 * Must be called inside a transaction for any reasonable speed. */
int store_put_record(struct store *st, int64_t dataset_id, const struct ps_record *rec,
                     struct ps_err *err);

/* Add a C3PO feedback record (feedback text, optional domain and effect) to a dataset.
 * Every string is borrowed. */
int store_put_feedback(struct store *st, int64_t dataset_id, const char *feedback,
                       const char *domain, const char *effect, const char *meta_json,
                       struct ps_err *err);

/* ---- reading items ---- */

struct store_response {
    int64_t id;
    int idx;
    char *text, *model, *meta;
};

struct store_judgment {
    int64_t id;
    int64_t response_a, response_b; /* response ids */
    int a, b;                       /* the same as indices into the item's responses */
    char *annotator, *verdict, *rationale, *meta, *created_at;
    double p_a;
    int has_p;
    double weight;
};

struct store_rating {
    int64_t id, response_id;
    int resp;
    char *aspect, *annotator;
    double value;
};

struct store_item {
    int64_t id, dataset_id, seq;
    char *key, *ext_id, *system, *history, *prompt, *meta;
    struct store_response *resp;
    int n_resp;
    struct store_judgment *judg;
    int n_judg;
    struct store_rating *rating;
    int n_rating;
    char **tags;
    int n_tags;
};

/* Load the item at position `seq` (0-based, import order) of a dataset with all its
 * responses, judgments, ratings and tags.  PS_ERR_NOTFOUND past the end.  The
 * caller owns *out and releases it with store_item_free. */
int store_item_get(struct store *st, int64_t dataset_id, int64_t seq, struct store_item *out,
                   struct ps_err *err);
int store_item_get_by_id(struct store *st, int64_t item_id, struct store_item *out,
                         struct ps_err *err);
void store_item_free(struct store_item *it);

/* Visit every item of a dataset in order.  `fn` borrows the item for the duration
 * of the call; a non-zero return from fn stops the walk and is returned. */
typedef int (*store_item_fn)(void *ud, const struct store_item *it, struct ps_err *err);
int store_item_foreach(struct store *st, int64_t dataset_id, store_item_fn fn, void *ud,
                       struct ps_err *err);

/* ---- feedback ---- */
struct store_feedback {
    int64_t id;
    char *feedback, *domain, *meta;
};
typedef int (*store_feedback_fn)(void *ud, const struct store_feedback *fb, struct ps_err *err);
int store_feedback_foreach(struct store *st, int64_t dataset_id, store_feedback_fn fn, void *ud,
                           struct ps_err *err);

#endif
