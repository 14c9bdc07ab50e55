/* Private to src/store: the struct behind the opaque handle and statement helpers. */
#ifndef PS_STORE_INTERNAL_H
#define PS_STORE_INTERNAL_H

#include <sqlite3.h>

#include "store/store.h"

enum store_stmt_id {
    STMT_ITEM_FIND_KEY,
    STMT_ITEM_MAX_SEQ,
    STMT_ITEM_INSERT,
    STMT_RESP_INSERT,
    STMT_RESP_LIST,
    STMT_JUDG_INSERT,
    STMT_RATING_INSERT,
    STMT_FTS_INSERT,
    STMT_TAG_INSERT,
    STMT_FTS_DELETE_ITEM,
    STMT_ITEM_FILL,
    STMT_BULK_TOUCH,
    STMT_STAT_INSERT,
    STMT_ITEM_TEXT,
    STMT__COUNT
};

struct store {
    sqlite3 *db;
    char *path;
    sqlite3_stmt *stmt[STMT__COUNT];
    /* next seq for the dataset currently being written (cache for store_put_record) */
    int64_t seq_dataset;
    int64_t seq_next;
    /* Bulk mode (store_bulk_begin): items with id >= fts_from are indexed by one
     * statement at the end instead of row by row; 0 when off. */
    int64_t fts_from;
    /* Bulk mode: the new items written so far, and the CREATE statements of the
     * item_stat triggers once they are dropped (NULL before; store_bulk_new_item). */
    int64_t bulk_new;
    char *bulk_ddl;
    char *bulk_index_ddl; /* the same for the indexes it drops (store.c) */
    /* Bulk mode with store_bulk_side_index: the thread indexing the new items
     * (fts_side.c); NULL when they are indexed at the end on this thread. */
    struct fts_side *fts_side;
    int fts_side_on;             /* items with id >= fts_from go to fts_side (until it finishes) */
    struct browse_cache *browse; /* cached filtered counts (browse.c) */
    int readonly;                /* store_readonly() */
    char *publish_to;            /* store_open_new: the name store_publish gives the file */
    /* store_set_writer: what this process writes (lock-info file while a transaction
     * of store_begin is open) and how it waits for another writer */
    char *writer_what;
    store_wait_fn wait;
    void *wait_ud;
    int lockinfo_written;
};

/* lock.c: write/remove the lock-info file "<workspace>-writer" around a write
 * transaction (no-op without store_set_writer or for ":memory:"). */
void store_lockinfo_write(struct store *st);
void store_lockinfo_remove(struct store *st);
/* BEGIN IMMEDIATE, waiting through st->wait when set; a busy workspace is
 * PS_ERR_BUSY with the holder named. */
int store_begin_immediate(struct store *st, struct ps_err *err);

/* Bulk mode: called before each new item is written; after BULK_TRIGGERS_AFTER of
 * them it drops the item_stat insert triggers (st->bulk_ddl then holds their SQL),
 * and from then on store_put_record writes item_stat rows itself and lists the
 * items that records change in temp.ps_bulk_items.  Later it may drop and rebuild the
 * secondary indexes (store.c).  No-op outside bulk mode. */
int store_bulk_new_item(struct store *st, struct ps_err *err);

/* fts_side.c.  fts_side_add queues the text of item `id` for the side index: its
 * prompt column is the `np` strings of `prompt` joined by spaces, its responses column
 * the `nr` strings of `resp` (NULL counts as ""), as the item_text view builds them;
 * `del` queues a 'delete' of that text instead.  The strings are copied.
 * fts_side_finish (before COMMIT) waits for the thread and copies its index into the
 * workspace; *done = 0 when it did not (no side index, or the thread failed: the
 * caller then indexes inline).  fts_side_end (after COMMIT or ROLLBACK) detaches and
 * removes the staging file.  fts_side_clean_stale removes staging files beside the
 * workspace `path` whose process is gone. */
struct fts_side;
void fts_side_add(struct fts_side *fs, int64_t id, int del, const char *const *prompt, int np,
                  const char *const *resp, int nr);
int fts_side_finish(struct store *st, int *done, struct ps_err *err);
void fts_side_end(struct store *st);
void fts_side_clean_stale(const char *path);

/* Release the count cache of browse.c (NULL is fine). */
void store_browse_cache_free(struct browse_cache *c);

extern const char *const store_migrations[];
extern const int store_n_migrations;

/* Prepare (once) and return a cached statement, reset and with bindings cleared. */
sqlite3_stmt *store_stmt(struct store *st, enum store_stmt_id id, struct ps_err *err);
/* Report the connection's last error as PS_ERR_DB with a context prefix. */
int store_dberr(struct store *st, struct ps_err *err, const char *what);
/* Prepare one statement; on failure *s is NULL and err says why (PS_ERR_DB). */
int store_prepare(struct store *st, const char *sql, sqlite3_stmt **s, struct ps_err *err);
/* Step `s` once (no row, or one ignored row), finalize it, and report a failure as
 * PS_ERR_DB naming `what`. Takes ownership of `s`. */
int store_step_finalize(struct store *st, sqlite3_stmt *s, struct ps_err *err, const char *what);
/* Bind text or NULL. */
int store_bind_text(sqlite3_stmt *s, int i, const char *v);
/* Duplicate column text (NULL stays NULL); caller frees. */
char *store_col_strdup(sqlite3_stmt *s, int i);
/* Insert judgment `j` of item `item_id` between two response ids (item.c). */
int store_judgment_insert(struct store *st, int64_t item_id, int64_t response_a, int64_t response_b,
                          const struct ps_rec_judgment *j, struct ps_err *err);

#endif
