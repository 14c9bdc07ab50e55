/* Filtered item paging and single-row edits for the Lua API (see script.h). */
#include "store/script.h"

#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "core/xalloc.h"
#include "store/internal.h"
#include "store/store.h"

static const char *const filter_labels[] = {"labeled", "unlabeled", "A", "B",
                                            "tie",     "invalid",   NULL};

int
store_filter_check(const struct store_item_filter *f, struct ps_err *err)
{
    if (!f || !f->label)
        return PS_OK;
    for (int i = 0; filter_labels[i]; i++)
        if (strcmp(f->label, filter_labels[i]) == 0)
            return PS_OK;
    return ps_error(err, PS_ERR_USAGE,
                    "unknown label filter '%s' (expected labeled, unlabeled, A, B, tie or invalid)",
                    f->label);
}

/* Parameters are bound by number: ?1 dataset, ?2 annotator, ?3 label verdict, ?4 tag,
 * ?5 model, ?6 search, ?7 after_seq, ?8 limit.  Unused ones stay NULL. */
static void
filter_sql(struct strbuf *sb, const struct store_item_filter *f)
{
    sb_puts(sb, " FROM item i WHERE i.dataset_id = ?1");
    if (!f)
        return;
    const char *ann = f->annotator ? " AND j.annotator = ?2" : "";
    if (f->label) {
        if (strcmp(f->label, "unlabeled") == 0)
            sb_printf(sb, " AND NOT EXISTS (SELECT 1 FROM judgment j WHERE j.item_id = i.id%s)",
                      ann);
        else if (strcmp(f->label, "labeled") == 0)
            sb_printf(sb, " AND EXISTS (SELECT 1 FROM judgment j WHERE j.item_id = i.id%s)", ann);
        else
            sb_printf(sb,
                      " AND EXISTS (SELECT 1 FROM judgment j WHERE j.item_id = i.id%s"
                      " AND j.verdict = ?3)",
                      ann);
    } else if (f->annotator) {
        sb_puts(
            sb,
            " AND EXISTS (SELECT 1 FROM judgment j WHERE j.item_id = i.id AND j.annotator = ?2)");
    }
    if (f->tag)
        sb_puts(sb, " AND EXISTS (SELECT 1 FROM tag t WHERE t.item_id = i.id AND t.tag = ?4)");
    if (f->model)
        sb_puts(sb,
                " AND EXISTS (SELECT 1 FROM response r WHERE r.item_id = i.id AND r.model = ?5)");
    if (f->search)
        sb_puts(sb, " AND i.id IN (SELECT rowid FROM item_fts WHERE item_fts MATCH ?6)");
    if (f->disagree)
        sb_puts(sb, " AND (SELECT count(DISTINCT j.verdict) FROM judgment j WHERE j.item_id = i.id"
                    " AND j.verdict IN ('A','B','tie')) > 1");
}

static int
filter_prepare(struct store *st, const char *head, const char *tail, int64_t dataset_id,
               const struct store_item_filter *f, sqlite3_stmt **out, struct ps_err *err)
{
    if (store_filter_check(f, err) != PS_OK)
        return err->code;
    struct strbuf sb = STRBUF_INIT;
    sb_puts(&sb, head);
    filter_sql(&sb, f);
    sb_puts(&sb, tail);
    int rc = sqlite3_prepare_v2(st->db, sb_str(&sb), -1, out, NULL);
    sb_free(&sb);
    if (rc != SQLITE_OK)
        return store_dberr(st, err, "query items");
    sqlite3_bind_int64(*out, 1, dataset_id);
    if (f) {
        store_bind_text(*out, 2, f->annotator);
        if (f->label && strcmp(f->label, "labeled") != 0 && strcmp(f->label, "unlabeled") != 0)
            store_bind_text(*out, 3, f->label);
        store_bind_text(*out, 4, f->tag);
        store_bind_text(*out, 5, f->model);
        store_bind_text(*out, 6, f->search);
    }
    return PS_OK;
}

int
store_item_page(struct store *st, int64_t dataset_id, const struct store_item_filter *f,
                int64_t after_seq, int limit, int64_t *ids, int64_t *seqs, int *n,
                struct ps_err *err)
{
    sqlite3_stmt *s;
    *n = 0;
    if (filter_prepare(st, "SELECT i.id, i.seq", " AND i.seq > ?7 ORDER BY i.seq LIMIT ?8",
                       dataset_id, f, &s, err) != PS_OK)
        return err->code;
    sqlite3_bind_int64(s, 7, after_seq);
    sqlite3_bind_int(s, 8, limit);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW && *n < limit) {
        ids[*n] = sqlite3_column_int64(s, 0);
        seqs[*n] = sqlite3_column_int64(s, 1);
        (*n)++;
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        /* FTS5 syntax errors surface here; name the query. */
        if (f && f->search)
            return ps_error(err, PS_ERR_USAGE, "search '%s': %s", f->search,
                            sqlite3_errmsg(st->db));
        return store_dberr(st, err, "query items");
    }
    return PS_OK;
}

int
store_item_count(struct store *st, int64_t dataset_id, const struct store_item_filter *f,
                 int64_t *n, struct ps_err *err)
{
    sqlite3_stmt *s;
    if (filter_prepare(st, "SELECT count(*)", "", dataset_id, f, &s, err) != PS_OK)
        return err->code;
    int rc = sqlite3_step(s);
    *n = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW) {
        if (f && f->search)
            return ps_error(err, PS_ERR_USAGE, "search '%s': %s", f->search,
                            sqlite3_errmsg(st->db));
        return store_dberr(st, err, "count items");
    }
    return PS_OK;
}

static int
prepare(struct store *st, const char *sql, sqlite3_stmt **s, struct ps_err *err, const char *what)
{
    if (sqlite3_prepare_v2(st->db, sql, -1, s, NULL) != SQLITE_OK)
        return store_dberr(st, err, what);
    return PS_OK;
}

static int
find_one(struct store *st, const char *sql, int64_t dataset_id, const char *key, int64_t *id,
         struct ps_err *err)
{
    sqlite3_stmt *s;
    if (prepare(st, sql, &s, err, "find item") != PS_OK)
        return err->code;
    sqlite3_bind_int64(s, 1, dataset_id);
    if (key)
        store_bind_text(s, 2, key);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    if (rc == SQLITE_DONE)
        return ps_error(err, PS_ERR_NOTFOUND, "no such item");
    if (rc != SQLITE_ROW)
        return store_dberr(st, err, "find item");
    return PS_OK;
}

int
store_item_last(struct store *st, int64_t dataset_id, int64_t *id, struct ps_err *err)
{
    return find_one(st, "SELECT id FROM item WHERE dataset_id = ?1 ORDER BY seq DESC LIMIT 1",
                    dataset_id, NULL, id, err);
}

int
store_item_get_row(struct store *st, int64_t item_id, struct store_item *out, struct ps_err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v3(st->db,
                           "SELECT id, dataset_id, seq, key, ext_id, system, history, prompt, meta"
                           " FROM item WHERE id = ?1",
                           -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK)
        return store_dberr(st, err, "read item");
    sqlite3_bind_int64(s, 1, item_id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        memset(out, 0, sizeof *out);
        out->id = sqlite3_column_int64(s, 0);
        out->dataset_id = sqlite3_column_int64(s, 1);
        out->seq = sqlite3_column_int64(s, 2);
        out->key = store_col_strdup(s, 3);
        out->ext_id = store_col_strdup(s, 4);
        out->system = store_col_strdup(s, 5);
        out->history = store_col_strdup(s, 6);
        out->prompt = store_col_strdup(s, 7);
        out->meta = store_col_strdup(s, 8);
    }
    sqlite3_finalize(s);
    if (rc == SQLITE_DONE)
        return ps_error(err, PS_ERR_NOTFOUND, "item %lld no longer exists", (long long)item_id);
    if (rc != SQLITE_ROW)
        return store_dberr(st, err, "read item");
    return PS_OK;
}

int
store_item_dataset(struct store *st, int64_t item_id, int64_t *dataset_id, struct ps_err *err)
{
    sqlite3_stmt *s;
    if (prepare(st, "SELECT dataset_id FROM item WHERE id = ?1", &s, err, "find item") != PS_OK)
        return err->code;
    sqlite3_bind_int64(s, 1, item_id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *dataset_id = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    if (rc == SQLITE_DONE)
        return ps_error(err, PS_ERR_NOTFOUND, "item %lld no longer exists", (long long)item_id);
    if (rc != SQLITE_ROW)
        return store_dberr(st, err, "find item");
    return PS_OK;
}

/* Id of the item's response with index idx. */
static int
response_id(struct store *st, int64_t item_id, int idx, int64_t *id, struct ps_err *err)
{
    sqlite3_stmt *s;
    if (prepare(st, "SELECT id FROM response WHERE item_id = ?1 AND idx = ?2", &s, err,
                "find response") != PS_OK)
        return err->code;
    sqlite3_bind_int64(s, 1, item_id);
    sqlite3_bind_int(s, 2, idx);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    if (rc == SQLITE_DONE)
        return ps_error(err, PS_ERR_NOTFOUND, "item %lld has no response %d", (long long)item_id,
                        idx + 1);
    if (rc != SQLITE_ROW)
        return store_dberr(st, err, "find response");
    return PS_OK;
}

static int
fts_update(struct store *st, enum store_stmt_id id, int64_t item_id, struct ps_err *err)
{
    sqlite3_stmt *s = store_stmt(st, id, err);
    if (!s)
        return err->code;
    sqlite3_bind_int64(s, 1, item_id);
    if (sqlite3_step(s) != SQLITE_DONE)
        return store_dberr(st, err, "full-text index");
    sqlite3_reset(s);
    return PS_OK;
}

int
store_response_add(struct store *st, int64_t item_id, const char *text, const char *model,
                   const char *meta_json, int *idx, int64_t *id, struct ps_err *err)
{
    sqlite3_stmt *s;
    int next = 0;
    if (prepare(st, "SELECT coalesce(max(idx) + 1, 0) FROM response WHERE item_id = ?1", &s, err,
                "add response") != PS_OK)
        return err->code;
    sqlite3_bind_int64(s, 1, item_id);
    if (sqlite3_step(s) == SQLITE_ROW)
        next = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    /* The index stores no text of its own: remove the entry with the old text first. */
    if (fts_update(st, STMT_FTS_DELETE_ITEM, item_id, err) != PS_OK)
        return err->code;
    if (prepare(
            st,
            "INSERT INTO response (item_id, idx, text, model, meta) VALUES (?1, ?2, ?3, ?4, ?5)",
            &s, err, "add response") != PS_OK)
        return err->code;
    sqlite3_bind_int64(s, 1, item_id);
    sqlite3_bind_int(s, 2, next);
    store_bind_text(s, 3, text);
    store_bind_text(s, 4, model);
    store_bind_text(s, 5, meta_json);
    if (store_step_finalize(st, s, err, "add response") != PS_OK)
        return err->code;
    if (id)
        *id = sqlite3_last_insert_rowid(st->db);
    if (idx)
        *idx = next;
    return fts_update(st, STMT_FTS_INSERT, item_id, err);
}

int
store_judgment_delete(struct store *st, int64_t item_id, const char *annotator, int *n,
                      struct ps_err *err)
{
    sqlite3_stmt *s;
    if (prepare(st, "DELETE FROM judgment WHERE item_id = ?1 AND (?2 IS NULL OR annotator = ?2)",
                &s, err, "delete judgments") != PS_OK)
        return err->code;
    sqlite3_bind_int64(s, 1, item_id);
    store_bind_text(s, 2, annotator);
    if (store_step_finalize(st, s, err, "delete judgments") != PS_OK)
        return err->code;
    if (n)
        *n = sqlite3_changes(st->db);
    return PS_OK;
}

int
store_rating_add(struct store *st, int64_t item_id, int resp, const char *aspect, double value,
                 const char *annotator, int64_t *id, struct ps_err *err)
{
    int64_t rid = 0;
    sqlite3_stmt *s;
    if (response_id(st, item_id, resp, &rid, err) != PS_OK)
        return err->code;
    if (prepare(
            st,
            "INSERT INTO rating (response_id, aspect, value, annotator) VALUES (?1, ?2, ?3, ?4)",
            &s, err, "add rating") != PS_OK)
        return err->code;
    sqlite3_bind_int64(s, 1, rid);
    store_bind_text(s, 2, aspect);
    sqlite3_bind_double(s, 3, value);
    store_bind_text(s, 4, annotator);
    if (store_step_finalize(st, s, err, "add rating") != PS_OK)
        return err->code;
    if (id)
        *id = sqlite3_last_insert_rowid(st->db);
    return PS_OK;
}

int
store_verdict_counts(struct store *st, int64_t dataset_id, store_verdict_fn fn, void *ud,
                     struct ps_err *err)
{
    sqlite3_stmt *s;
    if (prepare(st,
                "SELECT j.annotator, j.verdict, count(*) FROM judgment j JOIN item i ON i.id = "
                "j.item_id"
                " WHERE i.dataset_id = ?1 GROUP BY 1, 2 ORDER BY 1, 2",
                &s, err, "count verdicts") != PS_OK)
        return err->code;
    sqlite3_bind_int64(s, 1, dataset_id);
    int rc, ret = PS_OK;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        ret = fn(ud, (const char *)sqlite3_column_text(s, 0),
                 (const char *)sqlite3_column_text(s, 1), sqlite3_column_int64(s, 2));
        if (ret != PS_OK)
            break;
    }
    sqlite3_finalize(s);
    if (ret == PS_OK && rc != SQLITE_DONE)
        return store_dberr(st, err, "count verdicts");
    return ret;
}

int
store_in_transaction(struct store *st)
{
    return !sqlite3_get_autocommit(st->db);
}
