/* The full-text index of a first import, built on another core (store.h,
 * store_bulk_side_index).
 *
 * Tokenizing and indexing the text is ~40% of a large import's CPU and runs inside
 * sqlite, on one thread.  When the workspace has no items yet, the importing thread
 * hands each new item's text (exactly the columns of the item_text view) to a
 * second thread through a bounded queue; that thread owns its own connection to a
 * staging file beside the workspace ("<workspace>-ftsbuild-<pid>", journal off:
 * nothing in it needs to survive) and inserts the text into an FTS5 table defined
 * like item_fts, with item_fts's settings.  At commit, the index's shadow tables
 * (segments, term index, document sizes) are copied into the workspace inside the
 * import's transaction, so the index lands atomically with the rows.  A record that
 * changes an item of the same import sends a 'delete' with the item's old text
 * first, as the inline path does.
 *
 * The staging file is removed when the transaction ends; one left by a killed
 * process (its pid is gone) is removed by the next store_open. */
#include "store/internal.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/xalloc.h"

/* A batch is ~256 KB of records; at most SIDE_QUEUE wait for the indexing thread,
 * so the queue holds ~1 MB whatever the file's size. */
enum { SIDE_BATCH = 256 * 1024, SIDE_QUEUE = 4, SIDE_BUFS = SIDE_QUEUE + 2 };

struct side_buf {
    char *p;
    size_t len, cap;
};

/* One record in a batch: this header, then the prompt and responses texts. */
struct side_hdr {
    int64_t id;
    uint32_t plen, rlen;
    int32_t del;
    int32_t pad;
};

struct fts_side {
    char *path;
    sqlite3 *db; /* the staging connection: the indexing thread's while it runs */
    pthread_t thread;
    int running;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct side_buf bufs[SIDE_BUFS];
    int queue[SIDE_QUEUE]; /* indexes into bufs, oldest first */
    int q_head, q_len;
    int free_bufs[SIDE_BUFS];
    int n_free;
    int cur;     /* the producer's buffer, -1 when it has none */
    int closing; /* no more batches will come */
    int abort;   /* drop what is queued (rollback) */
    int failed;  /* the indexing thread hit an error: the caller indexes inline */
    char msg[256];
    int attached; /* ATTACHed to the workspace connection as ps_fts_side */
};

static const char SIDE_INSERT[] = "INSERT INTO item_fts (rowid, prompt, responses)"
                                  " VALUES (?1, ?2, ?3)";
static const char SIDE_DELETE[] = "INSERT INTO item_fts (item_fts, rowid, prompt, responses)"
                                  " VALUES ('delete', ?1, ?2, ?3)";

static void
side_fail(struct fts_side *fs, const char *what)
{
    pthread_mutex_lock(&fs->mu);
    if (!fs->failed) {
        fs->failed = 1;
        snprintf(fs->msg, sizeof fs->msg, "%s: %s", what, sqlite3_errmsg(fs->db));
    }
    pthread_mutex_unlock(&fs->mu);
}

static int
side_batch_run(const struct side_buf *b, sqlite3_stmt *ins, sqlite3_stmt *del)
{
    size_t off = 0;
    while (off < b->len) {
        struct side_hdr h;
        memcpy(&h, b->p + off, sizeof h);
        const char *text = b->p + off + sizeof h;
        sqlite3_stmt *s = h.del ? del : ins;
        sqlite3_bind_int64(s, 1, h.id);
        sqlite3_bind_text(s, 2, text, (int)h.plen, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, text + h.plen, (int)h.rlen, SQLITE_STATIC);
        int rc = sqlite3_step(s);
        sqlite3_reset(s);
        if (rc != SQLITE_DONE)
            return rc;
        off += (sizeof h + h.plen + h.rlen + 7) & ~(size_t)7;
    }
    return SQLITE_DONE;
}

static void *
side_main(void *arg)
{
    struct fts_side *fs = arg;
    sqlite3_stmt *ins = NULL, *del = NULL;
    int ok = sqlite3_exec(fs->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK &&
             sqlite3_prepare_v2(fs->db, SIDE_INSERT, -1, &ins, NULL) == SQLITE_OK &&
             sqlite3_prepare_v2(fs->db, SIDE_DELETE, -1, &del, NULL) == SQLITE_OK;
    if (!ok)
        side_fail(fs, "full-text index (side)");
    for (;;) {
        pthread_mutex_lock(&fs->mu);
        while (fs->q_len == 0 && !fs->closing)
            pthread_cond_wait(&fs->cv, &fs->mu);
        if (fs->q_len == 0) {
            pthread_mutex_unlock(&fs->mu);
            break;
        }
        int bi = fs->queue[fs->q_head];
        fs->q_head = (fs->q_head + 1) % SIDE_QUEUE;
        fs->q_len--;
        int skip = fs->failed || fs->abort;
        pthread_mutex_unlock(&fs->mu);
        if (!skip && side_batch_run(&fs->bufs[bi], ins, del) != SQLITE_DONE)
            side_fail(fs, "full-text index (side)");
        pthread_mutex_lock(&fs->mu);
        fs->bufs[bi].len = 0;
        fs->free_bufs[fs->n_free++] = bi;
        pthread_cond_broadcast(&fs->cv);
        pthread_mutex_unlock(&fs->mu);
    }
    sqlite3_finalize(ins);
    sqlite3_finalize(del);
    pthread_mutex_lock(&fs->mu);
    int commit = !fs->failed && !fs->abort;
    pthread_mutex_unlock(&fs->mu);
    /* the FTS5 buffer is written out at COMMIT */
    if (commit && sqlite3_exec(fs->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        side_fail(fs, "full-text index (side commit)");
    return NULL;
}

/* Hand the producer's buffer to the thread (waiting while the queue is full). */
static void
side_push(struct fts_side *fs)
{
    pthread_mutex_lock(&fs->mu);
    while (fs->q_len == SIDE_QUEUE)
        pthread_cond_wait(&fs->cv, &fs->mu);
    fs->queue[(fs->q_head + fs->q_len) % SIDE_QUEUE] = fs->cur;
    fs->q_len++;
    fs->cur = -1;
    pthread_cond_broadcast(&fs->cv);
    pthread_mutex_unlock(&fs->mu);
}

/* Stop the thread: after the last batch (abort = 0) or at once; idempotent. */
static void
side_stop(struct fts_side *fs, int abort)
{
    if (!fs->running)
        return;
    if (!abort && fs->cur >= 0 && fs->bufs[fs->cur].len)
        side_push(fs);
    pthread_mutex_lock(&fs->mu);
    fs->closing = 1;
    fs->abort |= abort;
    pthread_cond_broadcast(&fs->cv);
    pthread_mutex_unlock(&fs->mu);
    pthread_join(fs->thread, NULL);
    fs->running = 0;
}

static void
side_free(struct fts_side *fs)
{
    side_stop(fs, 1);
    if (fs->db)
        sqlite3_close(fs->db);
    if (fs->path)
        unlink(fs->path);
    for (int i = 0; i < SIDE_BUFS; i++)
        free(fs->bufs[i].p);
    pthread_cond_destroy(&fs->cv);
    pthread_mutex_destroy(&fs->mu);
    free(fs->path);
    free(fs);
}

/* The staging connection: item_fts as the workspace defines it (its CREATE
 * statement read back from the schema) with the workspace's settings (hashsize). */
static int
side_open(struct store *st, struct fts_side *fs)
{
    if (sqlite3_open_v2(fs->path, &fs->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK ||
        sqlite3_exec(fs->db,
                     "PRAGMA page_size = 16384; PRAGMA journal_mode = OFF;"
                     " PRAGMA synchronous = OFF;",
                     NULL, NULL, NULL) != SQLITE_OK)
        return 0;
    sqlite3_stmt *s = NULL;
    int ok = sqlite3_prepare_v2(st->db,
                                "SELECT sql FROM main.sqlite_master WHERE type = 'table'"
                                " AND name = 'item_fts'",
                                -1, &s, NULL) == SQLITE_OK &&
             sqlite3_step(s) == SQLITE_ROW &&
             sqlite3_exec(fs->db, (const char *)sqlite3_column_text(s, 0), NULL, NULL, NULL) ==
                 SQLITE_OK;
    sqlite3_finalize(s);
    s = NULL;
    sqlite3_stmt *set = NULL;
    ok = ok &&
         sqlite3_prepare_v2(st->db, "SELECT k, v FROM main.item_fts_config WHERE k <> 'version'",
                            -1, &s, NULL) == SQLITE_OK &&
         sqlite3_prepare_v2(fs->db, "INSERT INTO item_fts (item_fts, rank) VALUES (?1, ?2)", -1,
                            &set, NULL) == SQLITE_OK;
    while (ok && sqlite3_step(s) == SQLITE_ROW) {
        sqlite3_bind_value(set, 1, sqlite3_column_value(s, 0));
        sqlite3_bind_value(set, 2, sqlite3_column_value(s, 1));
        ok = sqlite3_step(set) == SQLITE_DONE;
        sqlite3_reset(set);
    }
    sqlite3_finalize(s);
    sqlite3_finalize(set);
    return ok;
}

int
store_bulk_side_index(struct store *st, struct ps_err *err)
{
    if (!st->fts_from)
        return ps_error(err, PS_ERR_DB, "side index needs bulk mode");
    if (st->fts_side || !sqlite3_threadsafe() || !st->path || !st->path[0] ||
        strcmp(st->path, ":memory:") == 0)
        return PS_OK;
    /* Only into an empty index: the copy replaces it whole. */
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT NOT EXISTS (SELECT 1 FROM item)"
                           " AND NOT EXISTS (SELECT 1 FROM item_fts_docsize)",
                           -1, &s, NULL) != SQLITE_OK)
        return store_dberr(st, err, "full-text index");
    int empty = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    if (!empty)
        return PS_OK;

    struct fts_side *fs = xcalloc(1, sizeof *fs);
    size_t n = strlen(st->path) + 40;
    fs->path = xmalloc(n);
    snprintf(fs->path, n, "%s-ftsbuild-%ld", st->path, (long)getpid());
    pthread_mutex_init(&fs->mu, NULL);
    pthread_cond_init(&fs->cv, NULL);
    for (int i = 0; i < SIDE_BUFS; i++)
        fs->free_bufs[fs->n_free++] = i;
    fs->cur = -1;
    unlink(fs->path); /* left by an earlier process with our pid */
    /* Whatever fails here, the import indexes inline as before. */
    if (!side_open(st, fs) || pthread_create(&fs->thread, NULL, side_main, fs) != 0) {
        side_free(fs);
        return PS_OK;
    }
    fs->running = 1;
    st->fts_side = fs;
    st->fts_side_on = 1;
    return PS_OK;
}

static char *
side_room(struct fts_side *fs, size_t need)
{
    if (fs->cur >= 0 && fs->bufs[fs->cur].len && fs->bufs[fs->cur].len + need > SIDE_BATCH)
        side_push(fs);
    if (fs->cur < 0) {
        pthread_mutex_lock(&fs->mu);
        while (fs->n_free == 0)
            pthread_cond_wait(&fs->cv, &fs->mu);
        fs->cur = fs->free_bufs[--fs->n_free];
        pthread_mutex_unlock(&fs->mu);
    }
    struct side_buf *b = &fs->bufs[fs->cur];
    if (b->len + need > b->cap) {
        b->cap = b->len + need > SIDE_BATCH ? b->len + need : SIDE_BATCH;
        b->p = xrealloc(b->p, b->cap);
    }
    char *at = b->p + b->len;
    b->len += need;
    return at;
}

static size_t
joined_len(const char *const *v, int n)
{
    size_t len = n > 1 ? (size_t)n - 1 : 0;
    for (int i = 0; i < n; i++)
        len += v[i] ? strlen(v[i]) : 0;
    return len;
}

static char *
join_into(char *at, const char *const *v, int n)
{
    for (int i = 0; i < n; i++) {
        if (i)
            *at++ = ' ';
        size_t l = v[i] ? strlen(v[i]) : 0;
        memcpy(at, v[i] ? v[i] : "", l);
        at += l;
    }
    return at;
}

void
fts_side_add(struct fts_side *fs, int64_t id, int del, const char *const *prompt, int np,
             const char *const *resp, int nr)
{
    size_t plen = joined_len(prompt, np), rlen = joined_len(resp, nr);
    struct side_hdr h = {id, (uint32_t)plen, (uint32_t)rlen, del, 0};
    if (plen > 0x7fffffffu || rlen > 0x7fffffffu || plen + rlen > 0x7fffffffu) {
        /* beyond what sqlite binds: let the inline path report it */
        pthread_mutex_lock(&fs->mu);
        fs->failed = 1;
        snprintf(fs->msg, sizeof fs->msg, "item %lld: text too long", (long long)id);
        pthread_mutex_unlock(&fs->mu);
        return;
    }
    size_t need = (sizeof h + plen + rlen + 7) & ~(size_t)7;
    char *at = side_room(fs, need);
    memcpy(at, &h, sizeof h);
    join_into(join_into(at + sizeof h, prompt, np), resp, nr);
}

/* Copy the finished side index into the workspace, replacing its empty index.
 * 'delete-all' first: it drops the structure FTS5 caches per connection (else this
 * connection would go on using the empty one), then writes an empty structure and
 * totals, which the copy replaces. */
static const char SIDE_COPY[] =
    "INSERT INTO main.item_fts (item_fts) VALUES ('delete-all');"
    "DELETE FROM main.item_fts_data; DELETE FROM main.item_fts_idx;"
    "DELETE FROM main.item_fts_docsize;"
    "INSERT INTO main.item_fts_data SELECT * FROM ps_fts_side.item_fts_data;"
    "INSERT INTO main.item_fts_idx SELECT * FROM ps_fts_side.item_fts_idx;"
    "INSERT INTO main.item_fts_docsize SELECT * FROM ps_fts_side.item_fts_docsize;";

int
fts_side_finish(struct store *st, int *done, struct ps_err *err)
{
    struct fts_side *fs = st->fts_side;
    *done = 0;
    if (!fs || !st->fts_side_on)
        return PS_OK;
    st->fts_side_on = 0;
    side_stop(fs, 0);
    sqlite3_close(fs->db);
    fs->db = NULL;
    if (fs->failed)
        return PS_OK; /* the caller indexes inline */
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, "ATTACH ?1 AS ps_fts_side", -1, &s, NULL) != SQLITE_OK)
        return store_dberr(st, err, "full-text index");
    sqlite3_bind_text(s, 1, fs->path, -1, SQLITE_STATIC);
    if (store_step_finalize(st, s, err, "full-text index") != PS_OK)
        return err->code;
    fs->attached = 1;
    if (store_exec(st, SIDE_COPY, err) != PS_OK)
        return ps_error_prefix(err, "full-text index: ");
    /* cheap guard: one document per item, as store_check verifies in depth */
    if (sqlite3_prepare_v2(st->db,
                           "SELECT (SELECT count(*) FROM main.item_fts_docsize),"
                           " (SELECT count(*) FROM main.item)",
                           -1, &s, NULL) != SQLITE_OK)
        return store_dberr(st, err, "full-text index");
    int64_t docs = -1, items = -2;
    if (sqlite3_step(s) == SQLITE_ROW) {
        docs = sqlite3_column_int64(s, 0);
        items = sqlite3_column_int64(s, 1);
    }
    sqlite3_finalize(s);
    if (docs != items)
        return ps_error(err, PS_ERR_DB, "full-text index: %lld documents for %lld items",
                        (long long)docs, (long long)items);
    *done = 1;
    return PS_OK;
}

void
fts_side_end(struct store *st)
{
    struct fts_side *fs = st->fts_side;
    if (!fs)
        return;
    st->fts_side = NULL;
    st->fts_side_on = 0;
    if (fs->attached)
        sqlite3_exec(st->db, "DETACH ps_fts_side", NULL, NULL, NULL);
    side_free(fs);
}

/* A leftover of a process that is gone: "<base>-ftsbuild-<pid>..." (a side index) or
 * "<base>-new-<pid>..." (a new workspace, store_open_new, with its own side files). */
static int
side_stale(const char *name, const char *base)
{
    static const char *const tags[] = {"-ftsbuild-", "-new-"};
    size_t bl = strlen(base);
    if (strncmp(name, base, bl) != 0)
        return 0;
    for (size_t t = 0; t < sizeof tags / sizeof tags[0]; t++) {
        size_t tl = strlen(tags[t]);
        if (strncmp(name + bl, tags[t], tl) != 0)
            continue;
        char *end;
        long pid = strtol(name + bl + tl, &end, 10);
        return end != name + bl + tl && (*end == '\0' || *end == '-') && pid > 0 &&
               kill((pid_t)pid, 0) != 0 && errno == ESRCH;
    }
    return 0;
}

void
fts_side_clean_stale(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : xstrdup(".");
    const char *base = slash ? slash + 1 : path;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (!side_stale(e->d_name, base))
            continue;
        size_t m = strlen(dir) + strlen(e->d_name) + 2;
        char *full = xmalloc(m);
        snprintf(full, m, "%s/%s", dir, e->d_name);
        unlink(full);
        free(full);
    }
    if (d)
        closedir(d);
    free(dir);
}
