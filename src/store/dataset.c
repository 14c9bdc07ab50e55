/* Datasets: create, find, delete, counts, listing. */
#include "store/internal.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

int
store_dataset_create(struct store *st, const char *name, const char *source, const char *format,
                     int64_t *id, struct ps_err *err)
{
    int64_t existing;
    if (store_dataset_find(st, name, &existing, NULL) == PS_OK)
        return ps_error(err, PS_ERR_EXISTS,
                        "dataset '%s' already exists in %s (use --replace to overwrite it)", name,
                        st->path);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, "INSERT INTO dataset (name, source, format) VALUES (?1, ?2, ?3)",
                           -1, &s, NULL) != SQLITE_OK)
        return store_dberr(st, err, "create dataset");
    store_bind_text(s, 1, name);
    store_bind_text(s, 2, source);
    store_bind_text(s, 3, format);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return store_dberr(st, err, "create dataset");
    *id = sqlite3_last_insert_rowid(st->db);
    return PS_OK;
}

int
store_dataset_find(struct store *st, const char *name, int64_t *id, struct ps_err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, "SELECT id FROM dataset WHERE name = ?1", -1, &s, NULL) !=
        SQLITE_OK)
        return store_dberr(st, err, "find dataset");
    store_bind_text(s, 1, name);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    if (rc == SQLITE_ROW)
        return PS_OK;
    if (rc != SQLITE_DONE)
        return store_dberr(st, err, "find dataset");
    return ps_error(err, PS_ERR_NOTFOUND, "no dataset named '%s' in %s", name, st->path);
}

int
store_dataset_chosen_rejected(struct store *st, int64_t id, int *yes, struct ps_err *err)
{
    sqlite3_stmt *s;
    *yes = 0;
    if (sqlite3_prepare_v2(st->db, "SELECT format FROM dataset WHERE id = ?1", -1, &s, NULL) !=
        SQLITE_OK)
        return store_dberr(st, err, "read dataset format");
    sqlite3_bind_int64(s, 1, id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW && sqlite3_column_text(s, 0)) {
        /* A dataset imported from several files lists their formats ("hh,trl"):
         * the words hold only when every one of them uses them. */
        const char *f = (const char *)sqlite3_column_text(s, 0);
        int all = *f != '\0';
        while (*f) {
            size_t n = strcspn(f, ",");
            if (!((n == 2 && strncmp(f, "hh", 2) == 0) || (n == 3 && strncmp(f, "trl", 3) == 0) ||
                  (n == 8 && strncmp(f, "sharegpt", 8) == 0)))
                all = 0;
            f += n + (f[n] == ',');
        }
        *yes = all;
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_dberr(st, err, "read dataset format");
    return PS_OK;
}

const char *
store_source_word(int chosen_rejected, int idx)
{
    if (!chosen_rejected)
        return NULL;
    return idx == 0 ? "chosen" : idx == 1 ? "rejected" : NULL;
}

static int
exec_id(struct store *st, const char *sql, int64_t id, struct ps_err *err, const char *what)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return store_dberr(st, err, what);
    sqlite3_bind_int64(s, 1, id);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return store_dberr(st, err, what);
    return PS_OK;
}

int
store_dataset_delete(struct store *st, int64_t id, struct ps_err *err)
{
    /* The full-text index stores no text of its own, so entries must be removed
     * with the text they were indexed with, before the rows go away. */
    if (exec_id(st,
                "INSERT INTO item_fts (item_fts, rowid, prompt, responses)"
                " SELECT 'delete', t.id, t.prompt, t.responses FROM item_text t"
                " JOIN item i ON i.id = t.id WHERE i.dataset_id = ?1",
                id, err, "delete dataset index") != PS_OK)
        return err->code;
    st->seq_dataset = -1;
    return exec_id(st, "DELETE FROM dataset WHERE id = ?1", id, err, "delete dataset");
}

int
store_dataset_refresh_counts(struct store *st, int64_t id, struct ps_err *err)
{
    return exec_id(
        st,
        "UPDATE dataset SET"
        " n_items = (SELECT count(*) FROM item WHERE dataset_id = ?1),"
        " n_responses = (SELECT count(*) FROM response r JOIN item i ON i.id = r.item_id"
        "   WHERE i.dataset_id = ?1),"
        " n_judgments = (SELECT count(*) FROM judgment j JOIN item i ON i.id = j.item_id"
        "   WHERE i.dataset_id = ?1),"
        " n_ratings = (SELECT count(*) FROM rating x JOIN response r ON r.id = x.response_id"
        "   JOIN item i ON i.id = r.item_id WHERE i.dataset_id = ?1),"
        " n_feedback = (SELECT count(*) FROM feedback WHERE dataset_id = ?1)"
        " WHERE id = ?1",
        id, err, "count dataset");
}

int
store_dataset_set_format(struct store *st, int64_t id, const char *format, struct ps_err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, "UPDATE dataset SET format = ?2 WHERE id = ?1", -1, &s, NULL) !=
        SQLITE_OK)
        return store_dberr(st, err, "dataset format");
    sqlite3_bind_int64(s, 1, id);
    store_bind_text(s, 2, format);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? PS_OK : store_dberr(st, err, "dataset format");
}

int
store_dataset_set_meta(struct store *st, int64_t id, const char *meta_json, struct ps_err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, "UPDATE dataset SET meta = ?2 WHERE id = ?1", -1, &s, NULL) !=
        SQLITE_OK)
        return store_dberr(st, err, "dataset meta");
    sqlite3_bind_int64(s, 1, id);
    store_bind_text(s, 2, meta_json);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? PS_OK : store_dberr(st, err, "dataset meta");
}

int
store_dataset_set_import(struct store *st, int64_t id, const char *state, int64_t pid,
                         int64_t records, struct ps_err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db,
                           "UPDATE dataset SET import_state = ?2, import_pid = ?3,"
                           " import_records = ?4,"
                           " n_items = (SELECT count(*) FROM item WHERE dataset_id = ?1)"
                           " WHERE id = ?1",
                           -1, &s, NULL) != SQLITE_OK)
        return store_dberr(st, err, "dataset import state");
    sqlite3_bind_int64(s, 1, id);
    store_bind_text(s, 2, state);
    if (state)
        sqlite3_bind_int64(s, 3, pid);
    else
        sqlite3_bind_null(s, 3);
    sqlite3_bind_int64(s, 4, records);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? PS_OK : store_dberr(st, err, "dataset import state");
}

const char *
store_dataset_import_status(const struct store_dataset *d)
{
    if (!d->import_state)
        return NULL;
    if (strcmp(d->import_state, "importing") != 0)
        return "incomplete";
    pid_t pid = (pid_t)d->import_pid;
    return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM) ? "importing" : "interrupted";
}

/* The annotators of a dataset without reading all its items: the distinct
 * judgment annotators come from a skip-scan of the judgment_annotator index (one
 * probe per annotator in the workspace), each kept when it judged any item of the
 * dataset; rating annotators are read rating-first (no cost without ratings).
 * On a 1,000,000-item dataset this is ~6 ms instead of ~1.4 s, which is what the
 * TUI's dataset list waited for. */
#define DATASET_COLS \
    "WITH RECURSIVE ann(x) AS (SELECT min(annotator) FROM judgment UNION ALL" \
    "  SELECT (SELECT min(annotator) FROM judgment WHERE annotator > x) FROM ann" \
    "  WHERE x IS NOT NULL)" \
    "SELECT d.id, d.name, d.source, d.format, d.imported_at, d.meta, d.n_items," \
    " d.n_responses, d.n_judgments, d.n_ratings, d.n_feedback," \
    " coalesce((SELECT group_concat(a, ',') FROM (SELECT ann.x AS a FROM ann" \
    "   WHERE ann.x IS NOT NULL AND EXISTS (SELECT 1 FROM judgment j JOIN item i" \
    "     ON i.id = j.item_id WHERE j.annotator = ann.x AND i.dataset_id = d.id)" \
    "   UNION SELECT DISTINCT x.annotator FROM rating x CROSS JOIN response r" \
    "   CROSS JOIN item i WHERE r.id = x.response_id AND i.id = r.item_id" \
    "   AND i.dataset_id = d.id ORDER BY 1)), '')," \
    " d.import_state, d.import_pid, d.import_records" \
    " FROM dataset d"

static void
dataset_from_row(sqlite3_stmt *s, struct store_dataset *d)
{
    memset(d, 0, sizeof *d);
    d->id = sqlite3_column_int64(s, 0);
    d->name = store_col_strdup(s, 1);
    d->source = store_col_strdup(s, 2);
    d->format = store_col_strdup(s, 3);
    d->imported_at = store_col_strdup(s, 4);
    d->meta = store_col_strdup(s, 5);
    d->n_items = sqlite3_column_int64(s, 6);
    d->n_responses = sqlite3_column_int64(s, 7);
    d->n_judgments = sqlite3_column_int64(s, 8);
    d->n_ratings = sqlite3_column_int64(s, 9);
    d->n_feedback = sqlite3_column_int64(s, 10);
    d->annotators = store_col_strdup(s, 11);
    if (!d->annotators)
        d->annotators = xstrdup("");
    d->import_state = store_col_strdup(s, 12);
    d->import_pid = sqlite3_column_int64(s, 13);
    d->import_records = sqlite3_column_int64(s, 14);
}

int
store_dataset_list(struct store *st, struct store_dataset **out, int *n, struct ps_err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, DATASET_COLS " ORDER BY d.name", -1, &s, NULL) != SQLITE_OK)
        return store_dberr(st, err, "list datasets");
    struct store_dataset *list = NULL;
    int count = 0, cap = 0, rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        list = xgrow(list, sizeof *list, count, &cap, 8);
        dataset_from_row(s, &list[count++]);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        store_dataset_list_free(list, count);
        return store_dberr(st, err, "list datasets");
    }
    *out = list;
    *n = count;
    return PS_OK;
}

int
store_dataset_get(struct store *st, int64_t id, struct store_dataset *out, struct ps_err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, DATASET_COLS " WHERE d.id = ?1", -1, &s, NULL) != SQLITE_OK)
        return store_dberr(st, err, "get dataset");
    sqlite3_bind_int64(s, 1, id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        dataset_from_row(s, out);
    sqlite3_finalize(s);
    if (rc == SQLITE_ROW)
        return PS_OK;
    if (rc == SQLITE_DONE)
        return ps_error(err, PS_ERR_NOTFOUND, "no dataset with id %lld", (long long)id);
    return store_dberr(st, err, "get dataset");
}

void
store_dataset_free(struct store_dataset *d)
{
    free(d->name);
    free(d->source);
    free(d->format);
    free(d->imported_at);
    free(d->meta);
    free(d->annotators);
    free(d->import_state);
    memset(d, 0, sizeof *d);
}

void
store_dataset_list_free(struct store_dataset *list, int n)
{
    for (int i = 0; i < n; i++)
        store_dataset_free(&list[i]);
    free(list);
}

int
store_put_feedback(struct store *st, int64_t dataset_id, const char *feedback, const char *domain,
                   const char *effect, const char *meta_json, struct ps_err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO feedback (dataset_id, feedback, domain, meta, effect)"
                           " VALUES (?1, ?2, ?3, ?4, ?5)",
                           -1, &s, NULL) != SQLITE_OK)
        return store_dberr(st, err, "add feedback");
    sqlite3_bind_int64(s, 1, dataset_id);
    store_bind_text(s, 2, feedback);
    store_bind_text(s, 3, domain);
    store_bind_text(s, 4, meta_json);
    store_bind_text(s, 5, effect);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? PS_OK : store_dberr(st, err, "add feedback");
}

int
store_feedback_foreach(struct store *st, int64_t dataset_id, store_feedback_fn fn, void *ud,
                       struct ps_err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT id, feedback, domain, meta FROM feedback WHERE dataset_id = ?1"
                           " ORDER BY id",
                           -1, &s, NULL) != SQLITE_OK)
        return store_dberr(st, err, "list feedback");
    sqlite3_bind_int64(s, 1, dataset_id);
    int rc, ret = PS_OK;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_feedback fb = {
            .id = sqlite3_column_int64(s, 0),
            .feedback = (char *)sqlite3_column_text(s, 1),
            .domain = (char *)sqlite3_column_text(s, 2),
            .meta = (char *)sqlite3_column_text(s, 3),
        };
        if ((ret = fn(ud, &fb, err)) != 0)
            break;
    }
    if (ret == PS_OK && rc != SQLITE_DONE)
        ret = store_dberr(st, err, "list feedback");
    sqlite3_finalize(s);
    return ret;
}
