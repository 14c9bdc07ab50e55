#include "store/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/strbuf.h"
#include "core/xalloc.h"

static const char *const stmt_sql[STMT__COUNT] = {
    [STMT_ITEM_FIND_KEY] = "SELECT id FROM item WHERE dataset_id = ?1 AND key = ?2",
    [STMT_ITEM_MAX_SEQ] = "SELECT coalesce(max(seq) + 1, 0) FROM item WHERE dataset_id = ?1",
    [STMT_ITEM_INSERT] =
        "INSERT INTO item (dataset_id, seq, key, ext_id, system, history, prompt, meta,"
        " history_text) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
        /* schema migration 6: the text of the turns, from the importer (?9) or in one
         * pass over the JSON (CASE: json_type must not see invalid JSON); coalesce
         * evaluates its second argument only when the first is NULL */
        " coalesce(?9, CASE WHEN json_valid(?6) THEN CASE WHEN json_type(?6) = 'array' THEN"
        " (SELECT group_concat(json_extract(value, '$.content'), ' ') FROM json_each(?6))"
        " END END))",
    [STMT_RESP_INSERT] =
        "INSERT INTO response (item_id, idx, text, model, meta) VALUES (?1, ?2, ?3, ?4, ?5)",
    [STMT_RESP_LIST] = "SELECT id, idx, text, model FROM response WHERE item_id = ?1 ORDER BY idx",
    [STMT_JUDG_INSERT] =
        "INSERT INTO judgment (item_id, response_a, response_b, annotator, verdict, p_a,"
        " weight, rationale, meta) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [STMT_RATING_INSERT] =
        "INSERT INTO rating (response_id, aspect, value, annotator) VALUES (?1, ?2, ?3, ?4)",
    [STMT_FTS_INSERT] = "INSERT INTO item_fts (rowid, prompt, responses)"
                        " SELECT id, prompt, responses FROM item_text WHERE id = ?1",
    [STMT_TAG_INSERT] = "INSERT OR IGNORE INTO tag (item_id, tag) VALUES (?1, ?2)",
    [STMT_FTS_DELETE_ITEM] = "INSERT INTO item_fts (item_fts, rowid, prompt, responses)"
                             " SELECT 'delete', id, prompt, responses FROM item_text WHERE id = ?1",
    [STMT_ITEM_FILL] =
        "UPDATE item SET prompt = coalesce(prompt, ?2), system = coalesce(system, ?3),"
        " history = coalesce(history, ?4), ext_id = coalesce(ext_id, ?5),"
        /* a history filled in now brings its text (migration 6) along, from the
         * importer (?6) or from the JSON as STMT_ITEM_INSERT does; `history` on the
         * right-hand side is the value before this UPDATE */
        " history_text = CASE WHEN history IS NULL AND ?4 IS NOT NULL THEN"
        " coalesce(?6, CASE WHEN json_valid(?4) THEN CASE WHEN json_type(?4) = 'array' THEN"
        " (SELECT group_concat(json_extract(value, '$.content'), ' ') FROM json_each(?4))"
        " END END) ELSE history_text END"
        " WHERE id = ?1",
    [STMT_BULK_TOUCH] = "INSERT OR IGNORE INTO temp.ps_bulk_items (item_id) VALUES (?1)",
    [STMT_STAT_INSERT] = "INSERT INTO item_stat (item_id, dataset_id, seq, prompt_len, n_resp,"
                         " len0, len1, diff, models, disagree)"
                         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, abs(?6 - ?7), ?8, ?9)",
    [STMT_ITEM_TEXT] = "SELECT prompt, responses FROM item_text WHERE id = ?1",
};

int
store_dberr(struct store *st, struct ps_err *err, const char *what)
{
    int code = sqlite3_errcode(st->db) & 0xff;
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED) {
        char holder[300];
        store_lock_holder(st, holder, sizeof holder);
        return ps_error(err, PS_ERR_BUSY, "%s: workspace busy: %s is writing to it", what, holder);
    }
    return ps_error(err, PS_ERR_DB, "%s: %s", what, sqlite3_errmsg(st->db));
}

int
store_prepare(struct store *st, const char *sql, sqlite3_stmt **s, struct ps_err *err)
{
    if (sqlite3_prepare_v2(st->db, sql, -1, s, NULL) != SQLITE_OK)
        return store_dberr(st, err, "browse");
    return PS_OK;
}

int
store_step_finalize(struct store *st, sqlite3_stmt *s, struct ps_err *err, const char *what)
{
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return store_dberr(st, err, what);
    return PS_OK;
}

int
store_bind_text(sqlite3_stmt *s, int i, const char *v)
{
    return v ? sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(s, i);
}

char *
store_col_strdup(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    if (!t)
        return NULL;
    return xstrndup((const char *)t, (size_t)sqlite3_column_bytes(s, i));
}

sqlite3_stmt *
store_stmt(struct store *st, enum store_stmt_id id, struct ps_err *err)
{
    sqlite3_stmt *s = st->stmt[id];
    if (!s) {
        if (sqlite3_prepare_v3(st->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) !=
            SQLITE_OK) {
            store_dberr(st, err, "prepare");
            return NULL;
        }
        st->stmt[id] = s;
    } else {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
    }
    return s;
}

const char *
store_default_path(const char *explicit_path)
{
    if (explicit_path && *explicit_path)
        return explicit_path;
    const char *env = getenv("PREFSCOPE_WORKSPACE");
    if (env && *env)
        return env;
    return "prefscope.db";
}

static int
store_migrate(struct store *st, struct ps_err *err)
{
    sqlite3_stmt *s;
    int version = 0;
    if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
        return store_dberr(st, err, "read schema version");
    if (sqlite3_step(s) == SQLITE_ROW)
        version = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    if (version > store_n_migrations)
        return ps_error(err, PS_ERR_DB,
                        "%s: workspace schema version %d is newer than this prefscope (%d)",
                        st->path, version, store_n_migrations);
    if (st->readonly && version < store_n_migrations)
        return ps_error(err, PS_ERR_DB,
                        "%s: workspace schema version %d needs an upgrade to %d, which needs "
                        "write access; open it once where it is writable",
                        st->path, version, store_n_migrations);
    for (int v = version; v < store_n_migrations; v++) {
        char pragma[64];
        if (store_begin(st, err) != PS_OK)
            return err->code;
        if (store_exec(st, store_migrations[v], err) != PS_OK) {
            store_rollback(st);
            return ps_error_prefix(err, "migration %d: ", v + 1);
        }
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
        if (store_exec(st, pragma, err) != PS_OK || store_commit(st, err) != PS_OK) {
            store_rollback(st);
            return err->code;
        }
    }
    return PS_OK;
}

/* Can this process write the workspace, including the -wal and -shm files beside it
 * that WAL mode needs?  Only asked about a file that exists. */
static int
store_writable(const char *path)
{
    if (access(path, W_OK) != 0)
        return 0;
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash)
        slash[slash == dir] = '\0';
    int ok = access(slash ? dir : ".", W_OK) == 0;
    free(dir);
    if (ok)
        return 1;
    /* An unwritable directory is fine while both side files exist and are writable. */
    size_t n = strlen(path) + 8;
    char *side = xmalloc(n);
    snprintf(side, n, "%s-wal", path);
    ok = access(side, W_OK) == 0;
    snprintf(side, n, "%s-shm", path);
    ok = ok && access(side, W_OK) == 0;
    free(side);
    return ok;
}

/* Open `path` read-only through a URI ("file:" + path with '%', '?' and '#' escaped):
 * mode=ro, or with `immutable` also without the -shm file a read-only directory
 * cannot hold (sqlite then assumes nobody writes the file meanwhile). */
static int
store_open_ro(struct store *st, const char *path, int immutable)
{
    struct strbuf uri = STRBUF_INIT;
    sb_puts(&uri, "file:");
    for (const char *p = path; *p; p++) {
        if (*p == '%' || *p == '?' || *p == '#')
            sb_printf(&uri, "%%%02X", (unsigned char)*p);
        else
            sb_putc(&uri, *p);
    }
    sb_puts(&uri, immutable ? "?mode=ro&immutable=1" : "?mode=ro");
    int rc = sqlite3_open_v2(sb_str(&uri), &st->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    sb_free(&uri);
    /* WAL recovery needs the -shm file; the first read says whether it works. */
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(st->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_close(st->db);
        st->db = NULL;
    }
    return rc;
}

/* fresh: a new file built under a temporary name (store_open_new): its journal is
 * kept in memory and nothing is synced, since until store_publish renames it the
 * file is nobody's workspace. */
static int
store_open_as(struct store **out, const char *path, int fresh, struct ps_err *err)
{
    struct store *st = xcalloc(1, sizeof *st);
    st->path = xstrdup(path);
    st->seq_dataset = -1;
    int rc;
    if (strcmp(path, ":memory:") != 0 && access(path, F_OK) == 0 && !store_writable(path)) {
        st->readonly = 1;
        rc = store_open_ro(st, path, 0);
        if (rc != SQLITE_OK) {
            st->readonly = 2;
            rc = store_open_ro(st, path, 1);
        }
    } else {
        rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    }
    if (rc != SQLITE_OK) {
        ps_error(err, PS_ERR_DB, "%s: cannot open workspace: %s", path,
                 st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
        store_close(st);
        return PS_ERR_DB;
    }
    sqlite3_busy_timeout(st->db, 5000);
    sqlite3_extended_result_codes(st->db, 1);
    /* A file that is not a database fails on the first read, so check it here with a
     * message that names the file.  temp_store = MEMORY keeps statement journals in
     * memory: statements with triggers (item_stat, migration 3) need one inside the
     * import transaction, and once it spilled to a temporary file every record cost
     * ~45 pwrite calls, halving the import rate.  A new workspace gets 16 KB pages
     * (the pragma does nothing to an existing one): an import writes each page twice
     * (WAL, then checkpoint), one system call per page: 200k HH pairs took 12% less
     * CPU with 16 KB pages, into a file 8% smaller.  It must come before
     * journal_mode, which fixes the page size of an empty file.  A new file built under
     * a temporary name (fresh) takes temp_store = FILE instead: its import builds the
     * secondary indexes in one sort at the end whatever its size (store_bulk_new_item),
     * and sqlite's sorter then spills to a temporary file rather than to memory. */
    if (store_exec(st,
                   st->readonly ? "PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;"
                   : fresh      ? "PRAGMA page_size = 16384;"
                                  " PRAGMA foreign_keys = ON; PRAGMA journal_mode = MEMORY;"
                                  " PRAGMA synchronous = OFF; PRAGMA temp_store = FILE;"
                                : "PRAGMA page_size = 16384;"
                                  " PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL;"
                                  " PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY;",
                   err) != PS_OK ||
        store_migrate(st, err) != PS_OK) {
        if (!strstr(err->msg, path))
            ps_error_prefix(err, "%s: ", path);
        store_close(st);
        return err->code;
    }
    if (!st->readonly && strcmp(path, ":memory:") != 0 && path[0])
        fts_side_clean_stale(path);
    *out = st;
    return PS_OK;
}

int
store_open(struct store **out, const char *path, struct ps_err *err)
{
    return store_open_as(out, path, 0, err);
}

int
store_open_new(struct store **out, const char *path, struct ps_err *err)
{
    struct stat sb; /* lstat: a dangling symlink is a name in use */
    if (!path[0] || strcmp(path, ":memory:") == 0 || lstat(path, &sb) == 0 || errno != ENOENT)
        return store_open(out, path, err);
    size_t n = strlen(path) + 32;
    char *tmp = xmalloc(n);
    snprintf(tmp, n, "%s-new-%ld", path, (long)getpid());
    unlink(tmp); /* left by an earlier process with our pid */
    int rc = store_open_as(out, tmp, 1, err);
    if (rc == PS_OK)
        (*out)->publish_to = xstrdup(path);
    else
        unlink(tmp);
    free(tmp);
    /* whatever went wrong (an unwritable directory...), the plain open says it
     * about the workspace's own name */
    return rc == PS_OK ? rc : store_open(out, path, err);
}

static void
fsync_path(const char *path, int dir)
{
    int fd = open(path, dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int
store_publish(struct store **stp, struct ps_err *err)
{
    struct store *st = *stp;
    if (!st || !st->publish_to)
        return PS_OK;
    char *final = st->publish_to, *tmp = xstrdup(st->path);
    st->publish_to = NULL;
    if (!sqlite3_get_autocommit(st->db))
        store_rollback(st);
    /* WAL from now on, as store_open sets it; the last close removes -wal and -shm */
    int rc = store_exec(st, "PRAGMA journal_mode = WAL", err);
    store_close(st);
    *stp = NULL;
    if (rc == PS_OK) {
        fsync_path(tmp, 0); /* the data on disk before the name points at it */
        /* link, not rename: never replace a workspace created meanwhile */
        if (link(tmp, final) != 0)
            rc = ps_error(err, PS_ERR_IO, "%s: cannot create the workspace: %s", final,
                          errno == EEXIST ? "another process created it meanwhile; run again"
                                          : strerror(errno));
    }
    size_t n = strlen(tmp) + 8;
    char *side = xmalloc(n);
    for (int i = 0; i < 2; i++) {
        snprintf(side, n, "%s%s", tmp, i ? "-shm" : "-wal");
        unlink(side);
    }
    free(side);
    unlink(tmp);
    if (rc == PS_OK) {
        char *dir = xstrdup(final);
        char *slash = strrchr(dir, '/');
        if (slash)
            slash[slash == dir] = '\0';
        fsync_path(slash ? dir : ".", 1);
        free(dir);
        rc = store_open(stp, final, err);
    }
    free(tmp);
    free(final);
    return rc;
}

void
store_close(struct store *st)
{
    if (!st)
        return;
    if (st->db && !sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    fts_side_end(st);
    for (int i = 0; i < STMT__COUNT; i++)
        sqlite3_finalize(st->stmt[i]);
    store_browse_cache_free(st->browse);
    store_lockinfo_remove(st);
    free(st->writer_what);
    free(st->bulk_ddl);
    free(st->bulk_index_ddl);
    free(st->publish_to);
    if (st->db)
        sqlite3_close(st->db);
    free(st->path);
    free(st);
}

const char *
store_path(const struct store *st)
{
    return st->path;
}

int
store_readonly(const struct store *st)
{
    return st->readonly;
}

int
store_exec(struct store *st, const char *sql, struct ps_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int code = sqlite3_errcode(st->db) & 0xff;
        if (code == SQLITE_BUSY || code == SQLITE_LOCKED) {
            sqlite3_free(msg);
            return store_dberr(st, err, "write");
        }
        ps_error(err, PS_ERR_DB, "%s", msg ? msg : sqlite3_errmsg(st->db));
        sqlite3_free(msg);
        return PS_ERR_DB;
    }
    return PS_OK;
}

void
store_process_init(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int
store_threads_ok(void)
{
    return sqlite3_threadsafe() != 0;
}

int
store_begin(struct store *st, struct ps_err *err)
{
    st->seq_dataset = -1;
    st->fts_from = 0; /* bulk mode lives inside one transaction */
    fts_side_end(st);
    free(st->bulk_ddl);
    st->bulk_ddl = NULL;
    free(st->bulk_index_ddl);
    st->bulk_index_ddl = NULL;
    return store_begin_immediate(st, err);
}

/* Bulk mode replaces per-row work by set-based statements at its end.  The item_stat
 * triggers on inserts (schema migration 3) took a quarter of a large import's CPU:
 * once an import has written BULK_TRIGGERS_AFTER new items, their definitions are
 * read back from the schema, they are dropped inside the import's transaction and
 * created again before it commits, so no other transaction ever sees them missing
 * (a killed import rolls the DROP back with everything else).  Small imports keep
 * them: every schema change makes sqlite parse the schema again, a few ms. */
enum { BULK_TRIGGERS_AFTER = 1000 };

/* The secondary indexes of judgment and item_stat (4 each) cost a b-tree descent per
 * row and index; built in one pass they cost a sort.  With temp_store = MEMORY that
 * sort runs in memory (~50 bytes a row), so it is done only for a bounded number of
 * rows: the indexes are dropped after 20,000 new items in a workspace of at most
 * 100,000 items, and built again at 400,000 new items (or at the end, if sooner);
 * past that point a larger import updates them row by row.  Peak RSS stays flat.
 * A new workspace (store_open_new) sorts in temporary files (temp_store = FILE), so
 * its import keeps them dropped to the end at any size: 1M HH pairs 30.1 -> 23.8 s
 * wall, 44.5 -> 35.5 s CPU, peak RSS 79 -> 64 MiB (row-by-row updates of b-trees
 * with random keys were the cost). */
enum { BULK_INDEX_DROP_AT = 20000, BULK_INDEX_MAX_OLD = 100000, BULK_INDEX_BUILD_AT = 400000 };

/* Read back the CREATE statements of `what` (a WHERE clause on sqlite_master), and
 * drop them with `drop` ("TRIGGER" / "INDEX"); *ddl gets the statements. */
static int
bulk_drop(struct store *st, const char *where, const char *drop, char **ddl, struct ps_err *err)
{
    char sql[300];
    snprintf(sql, sizeof sql, "SELECT name, sql FROM sqlite_master WHERE %s", where);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return store_dberr(st, err, "bulk mode");
    struct strbuf create = STRBUF_INIT, del = STRBUF_INIT;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        /* names come from the schema, never from data */
        sb_printf(&del, "DROP %s \"%s\";", drop, (const char *)sqlite3_column_text(s, 0));
        sb_printf(&create, "%s;", (const char *)sqlite3_column_text(s, 1));
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        rc = store_dberr(st, err, "bulk mode");
    else if (del.len)
        rc = store_exec(st, sb_str(&del), err);
    else
        rc = PS_OK;
    sb_free(&del);
    if (rc != PS_OK) {
        sb_free(&create);
        return rc;
    }
    *ddl = sb_take(&create);
    return PS_OK;
}

/* Run and free the CREATE statements bulk_drop kept. */
static int
bulk_create(struct store *st, char **ddl, struct ps_err *err)
{
    int rc = *ddl ? store_exec(st, *ddl, err) : PS_OK;
    free(*ddl);
    *ddl = NULL;
    return rc;
}

/* A new item written without the triggers gets its item_stat row from its record
 * (item.c).  The items that records changed afterwards (temp.ps_bulk_items) are
 * recomputed here with the figures the triggers would have left: those of migration
 * 3's backfill, models in order of first appearance, disagree = some pair of
 * responses judged both ways. */
static const char BULK_FILL[] =
    "DELETE FROM item_stat WHERE item_id IN (SELECT item_id FROM temp.ps_bulk_items);"
    "INSERT INTO item_stat (item_id, dataset_id, seq, prompt_len, n_resp, len0, len1, diff,"
    "  models)"
    " SELECT i.id, i.dataset_id, i.seq, coalesce(length(i.prompt), 0), coalesce(a.n, 0),"
    "  coalesce(a.l0, 0), coalesce(a.l1, 0), abs(coalesce(a.l0, 0) - coalesce(a.l1, 0)),"
    "  CASE WHEN a.m THEN (SELECT group_concat(model, ', ') FROM (SELECT r.model AS model"
    "    FROM response r WHERE r.item_id = i.id AND r.model <> ''"
    "    GROUP BY r.model ORDER BY min(r.idx))) END"
    " FROM item i LEFT JOIN (SELECT item_id, count(*) AS n,"
    "   max(CASE WHEN idx = 0 THEN coalesce(length(text), 0) END) AS l0,"
    "   max(CASE WHEN idx = 1 THEN coalesce(length(text), 0) END) AS l1,"
    "   max(model <> '') AS m"
    "  FROM response WHERE item_id IN (SELECT item_id FROM temp.ps_bulk_items)"
    "  GROUP BY item_id) a ON a.item_id = i.id"
    " WHERE i.id IN (SELECT item_id FROM temp.ps_bulk_items);"
    "UPDATE item_stat SET disagree = 1 WHERE item_id IN (SELECT item_id FROM"
    "  (SELECT j.item_id AS item_id, count(DISTINCT CASE WHEN j.response_a <= j.response_b"
    "   THEN j.verdict WHEN j.verdict = 'A' THEN 'B' WHEN j.verdict = 'B' THEN 'A'"
    "   ELSE j.verdict END) AS c FROM judgment j WHERE j.verdict <> 'invalid'"
    "   AND j.item_id IN (SELECT item_id FROM temp.ps_bulk_items)"
    "   GROUP BY j.item_id, min(j.response_a, j.response_b), max(j.response_a, j.response_b))"
    "  WHERE c > 1);"
    "DELETE FROM temp.ps_bulk_items;";

int
store_bulk_begin(struct store *st, struct ps_err *err)
{
    if (sqlite3_get_autocommit(st->db))
        return ps_error(err, PS_ERR_DB, "bulk mode needs a transaction");
    if (st->fts_from)
        return PS_OK;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, "SELECT coalesce(max(id), 0) + 1 FROM item", -1, &s, NULL) !=
        SQLITE_OK)
        return store_dberr(st, err, "bulk mode");
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        st->fts_from = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    st->bulk_new = 0;
    return rc == SQLITE_ROW ? PS_OK : store_dberr(st, err, "bulk mode");
}

int
store_bulk_new_item(struct store *st, struct ps_err *err)
{
    if (!st->fts_from)
        return PS_OK;
    st->bulk_new++;
    if (st->bulk_new == BULK_TRIGGERS_AFTER && !st->bulk_ddl) {
        int rc = store_exec(st,
                            "CREATE TEMP TABLE IF NOT EXISTS ps_bulk_items"
                            " (item_id INTEGER PRIMARY KEY);"
                            "DELETE FROM temp.ps_bulk_items;",
                            err);
        if (rc == PS_OK)
            rc = bulk_drop(st,
                           "type = 'trigger' AND name IN ('item_stat_item_ins',"
                           " 'item_stat_resp_ins', 'item_stat_judg_ins')",
                           "TRIGGER", &st->bulk_ddl, err);
        return rc;
    }
    if (st->bulk_new == BULK_INDEX_DROP_AT && st->fts_from <= BULK_INDEX_MAX_OLD + 1 &&
        !st->bulk_index_ddl)
        return bulk_drop(st,
                         "type = 'index' AND tbl_name IN ('judgment', 'item_stat')"
                         " AND sql IS NOT NULL",
                         "INDEX", &st->bulk_index_ddl, err);
    if (st->bulk_new == BULK_INDEX_BUILD_AT && !st->publish_to)
        return bulk_create(st, &st->bulk_index_ddl, err);
    return PS_OK;
}

int
store_bulk_end(struct store *st, struct ps_err *err)
{
    if (!st->fts_from)
        return PS_OK;
    sqlite3_stmt *s;
    int rc = PS_OK;
    if (st->bulk_ddl)
        rc = store_exec(st, BULK_FILL, err);
    if (rc == PS_OK)
        rc = bulk_create(st, &st->bulk_ddl, err);
    if (rc == PS_OK) /* before the full-text buffer fills: the sorts' memory is freed */
        rc = bulk_create(st, &st->bulk_index_ddl, err);
    /* the side thread may still be indexing while the above runs */
    int side_done = 0;
    if (rc == PS_OK)
        rc = fts_side_finish(st, &side_done, err);
    if (rc == PS_OK && !side_done &&
        sqlite3_prepare_v2(st->db,
                           "INSERT INTO item_fts (rowid, prompt, responses)"
                           " SELECT id, prompt, responses FROM item_text WHERE id >= ?1",
                           -1, &s, NULL) != SQLITE_OK)
        rc = store_dberr(st, err, "full-text index");
    if (rc == PS_OK && !side_done) {
        sqlite3_bind_int64(s, 1, st->fts_from);
        rc = store_step_finalize(st, s, err, "full-text index");
    }
    free(st->bulk_ddl);
    st->bulk_ddl = NULL;
    free(st->bulk_index_ddl);
    st->bulk_index_ddl = NULL;
    st->fts_from = 0;
    return rc;
}

int
store_commit(struct store *st, struct ps_err *err)
{
    if (st->fts_from && store_bulk_end(st, err) != PS_OK)
        return err->code;
    if (store_exec(st, "COMMIT", err) != PS_OK)
        return err->code;
    fts_side_end(st);
    store_lockinfo_remove(st);
    return PS_OK;
}

void
store_rollback(struct store *st)
{
    st->seq_dataset = -1;
    st->fts_from = 0;
    free(st->bulk_ddl); /* the ROLLBACK restores what bulk mode dropped */
    st->bulk_ddl = NULL;
    free(st->bulk_index_ddl);
    st->bulk_index_ddl = NULL;
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    fts_side_end(st);
    store_lockinfo_remove(st);
}

int64_t
store_data_version(struct store *st)
{
    sqlite3_stmt *s;
    int64_t v = -1;
    if (sqlite3_prepare_v2(st->db, "PRAGMA data_version", -1, &s, NULL) == SQLITE_OK) {
        if (sqlite3_step(s) == SQLITE_ROW)
            v = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
    }
    return v;
}
