/* Workspace self-checks: see check.h. */
#include "store/check.h"

#include <stdio.h>
#include <string.h>

#include "store/internal.h"

/* Run a query that yields one integer. */
static int
query_int(struct store *st, const char *sql, int64_t *out, struct ps_err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return store_dberr(st, err, "check");
    int rc = sqlite3_step(s);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_dberr(st, err, "check");
    return PS_OK;
}

int
store_schema_version(struct store *st, int *version, struct ps_err *err)
{
    int64_t v;
    if (query_int(st, "PRAGMA user_version", &v, err) != PS_OK)
        return err->code;
    *version = (int)v;
    return PS_OK;
}

static const struct {
    const char *what;
    const char *sql;
} orphan_checks[] = {
    {"items without a dataset",
     "SELECT count(*) FROM item WHERE dataset_id NOT IN (SELECT id FROM dataset)"},
    {"responses without an item",
     "SELECT count(*) FROM response WHERE item_id NOT IN (SELECT id FROM item)"},
    {"judgments without an item or response",
     "SELECT count(*) FROM judgment WHERE item_id NOT IN (SELECT id FROM item)"
     " OR response_a NOT IN (SELECT id FROM response)"
     " OR response_b NOT IN (SELECT id FROM response)"},
    {"judgments comparing responses of another item",
     "SELECT count(*) FROM judgment j JOIN response a ON a.id = j.response_a"
     " JOIN response b ON b.id = j.response_b WHERE a.item_id != j.item_id OR b.item_id != "
     "j.item_id"},
    {"ratings without a response",
     "SELECT count(*) FROM rating WHERE response_id NOT IN (SELECT id FROM response)"},
    {"tags without an item", "SELECT count(*) FROM tag WHERE item_id NOT IN (SELECT id FROM item)"},
    {"notes without an item",
     "SELECT count(*) FROM note WHERE item_id NOT IN (SELECT id FROM item)"},
    {"items whose sequence has gaps",
     "SELECT count(*) FROM (SELECT dataset_id FROM item GROUP BY dataset_id"
     " HAVING max(seq) + 1 != count(*) OR min(seq) != 0)"},
    {"item_stat rows without an item",
     "SELECT count(*) FROM item_stat WHERE item_id NOT IN (SELECT id FROM item)"},
    /* the triggers of migration 3 keep item_stat in step row by row, bulk mode
     * (store_bulk_end) in one pass: both must say what the rows say */
    {"items whose item_stat row is missing or stale",
     "SELECT count(*) FROM item i LEFT JOIN item_stat s ON s.item_id = i.id"
     " WHERE s.item_id IS NULL OR s.dataset_id != i.dataset_id OR s.seq != i.seq"
     " OR s.prompt_len != coalesce(length(i.prompt), 0)"
     " OR s.n_resp != (SELECT count(*) FROM response r WHERE r.item_id = i.id)"
     " OR s.len0 != coalesce((SELECT length(r.text) FROM response r"
     "   WHERE r.item_id = i.id AND r.idx = 0), 0)"
     " OR s.len1 != coalesce((SELECT length(r.text) FROM response r"
     "   WHERE r.item_id = i.id AND r.idx = 1), 0)"
     " OR s.diff != abs(s.len0 - s.len1)"
     " OR s.models IS NOT (SELECT group_concat(m, ', ') FROM (SELECT r.model AS m,"
     "   min(r.idx) AS first FROM response r WHERE r.item_id = i.id AND r.model <> ''"
     "   GROUP BY r.model ORDER BY first))"
     " OR s.disagree != coalesce((SELECT max(c) > 1 FROM (SELECT count(DISTINCT"
     "   CASE WHEN j.response_a <= j.response_b THEN j.verdict WHEN j.verdict = 'A' THEN 'B'"
     "   WHEN j.verdict = 'B' THEN 'A' ELSE j.verdict END) AS c FROM judgment j"
     "   WHERE j.item_id = i.id AND j.verdict <> 'invalid'"
     "   GROUP BY min(j.response_a, j.response_b), max(j.response_a, j.response_b))), 0)"},
    {"full-text entries without an item",
     "SELECT count(*) FROM item_fts_docsize WHERE id NOT IN (SELECT id FROM item)"},
    {"items missing from the full-text index",
     "SELECT count(*) FROM item WHERE id NOT IN (SELECT id FROM item_fts_docsize)"},
};

/* Compare the index with a fresh one built from the current rows, token by token:
 * an entry deleted with other text than it was indexed with leaves stale tokens
 * that sqlite's own integrity check does not see for external-content tables. */
static int
check_fts_tokens(struct store *st, struct ps_err *err)
{
    int rc = store_exec(
        st,
        "DROP TABLE IF EXISTS temp.ps_chk_fts; DROP TABLE IF EXISTS temp.ps_chk_v1;"
        " DROP TABLE IF EXISTS temp.ps_chk_v2;"
        "CREATE VIRTUAL TABLE temp.ps_chk_fts USING fts5(prompt, responses,"
        "  tokenize='unicode61 remove_diacritics 2');"
        "INSERT INTO temp.ps_chk_fts (rowid, prompt, responses)"
        "  SELECT id, prompt, responses FROM main.item_text;"
        "CREATE VIRTUAL TABLE temp.ps_chk_v1 USING fts5vocab(main, item_fts, instance);"
        "CREATE VIRTUAL TABLE temp.ps_chk_v2 USING fts5vocab(temp, ps_chk_fts, instance);",
        err);
    int64_t diff = 0;
    if (rc == PS_OK)
        rc = query_int(
            st,
            "SELECT (SELECT count(*) FROM (SELECT term, doc, col, offset FROM temp.ps_chk_v1"
            " EXCEPT SELECT term, doc, col, offset FROM temp.ps_chk_v2))"
            " + (SELECT count(*) FROM (SELECT term, doc, col, offset FROM temp.ps_chk_v2"
            " EXCEPT SELECT term, doc, col, offset FROM temp.ps_chk_v1))",
            &diff, err);
    struct ps_err ignored;
    store_exec(st,
               "DROP TABLE IF EXISTS temp.ps_chk_v1; DROP TABLE IF EXISTS temp.ps_chk_v2;"
               " DROP TABLE IF EXISTS temp.ps_chk_fts;",
               &ignored);
    if (rc != PS_OK)
        return rc;
    if (diff)
        return ps_error(err, PS_ERR_DB,
                        "full-text index differs from the items in %lld token positions",
                        (long long)diff);
    return PS_OK;
}

int
store_check(struct store *st, struct ps_err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, "PRAGMA integrity_check", -1, &s, NULL) != SQLITE_OK)
        return store_dberr(st, err, "integrity check");
    int rc = sqlite3_step(s);
    char first[256] = "";
    if (rc == SQLITE_ROW)
        snprintf(first, sizeof first, "%s", (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW)
        return store_dberr(st, err, "integrity check");
    if (strcmp(first, "ok") != 0)
        return ps_error(err, PS_ERR_DB, "integrity check: %s", first);

    for (size_t i = 0; i < sizeof orphan_checks / sizeof orphan_checks[0]; i++) {
        int64_t n;
        if (query_int(st, orphan_checks[i].sql, &n, err) != PS_OK)
            return err->code;
        if (n)
            return ps_error(err, PS_ERR_DB, "%lld %s", (long long)n, orphan_checks[i].what);
    }
    if (store_exec(st, "INSERT INTO item_fts (item_fts) VALUES ('integrity-check')", err) != PS_OK)
        return ps_error_prefix(err, "full-text index: ");
    return check_fts_tokens(st, err);
}

int
store_fts_count(struct store *st, int64_t dataset_id, const char *match, int64_t *count,
                struct ps_err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT count(*) FROM item_fts f JOIN item i ON i.id = f.rowid"
                           " WHERE item_fts MATCH ?1 AND (?2 < 0 OR i.dataset_id = ?2)",
                           -1, &s, NULL) != SQLITE_OK)
        return store_dberr(st, err, "search");
    store_bind_text(s, 1, match);
    sqlite3_bind_int64(s, 2, dataset_id);
    int rc = sqlite3_step(s);
    *count = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW)
        return ps_error(err, PS_ERR_USAGE, "search '%s': %s", match, sqlite3_errmsg(st->db));
    return PS_OK;
}

int
store_totals(struct store *st, struct store_totals *t, struct ps_err *err)
{
    struct {
        const char *sql;
        int64_t *out;
    } q[] = {
        {"SELECT count(*) FROM dataset", &t->datasets},
        {"SELECT count(*) FROM item", &t->items},
        {"SELECT count(*) FROM response", &t->responses},
        {"SELECT count(*) FROM judgment", &t->judgments},
        {"SELECT count(*) FROM rating", &t->ratings},
        {"SELECT count(*) FROM tag", &t->tags},
        {"SELECT count(*) FROM note", &t->notes},
        {"SELECT count(*) FROM feedback", &t->feedback},
        {"SELECT count(*) FROM item_fts_docsize", &t->fts_docs},
    };
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++)
        if (query_int(st, q[i].sql, q[i].out, err) != PS_OK)
            return err->code;
    return PS_OK;
}
