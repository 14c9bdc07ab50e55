/* Judgment tables for evaluation (see judgments.h). */
#include "store/judgments.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "store/internal.h"

/* Dense indices of the unordered response pairs of the current item; items are
 * visited in order so only one item's pairs are kept. */
struct unit_map {
    int64_t item;
    struct unit_entry {
        int64_t lo, hi;
        int unit;
    } * v;
    int n, cap;
};

static int
unit_of(struct unit_map *m, struct stats_table *t, int64_t lo, int64_t hi)
{
    for (int i = 0; i < m->n; i++)
        if (m->v[i].lo == lo && m->v[i].hi == hi)
            return m->v[i].unit;
    m->v = xgrow(m->v, sizeof *m->v, m->n, &m->cap, 16);
    m->v[m->n++] = (struct unit_entry){lo, hi, t->n_units};
    return t->n_units++;
}

int
store_judgment_table(struct store *st, int64_t dataset_id, struct stats_table *out,
                     struct ps_err *err)
{
    static const char sql[] =
        "SELECT j.item_id, ra.id, rb.id, ra.idx, rb.idx, j.annotator, j.verdict, j.p_a, j.weight,"
        "       ra.model, rb.model, length(ra.text), length(rb.text)"
        "  FROM judgment j JOIN item i ON i.id = j.item_id"
        "  JOIN response ra ON ra.id = j.response_a JOIN response rb ON rb.id = j.response_b"
        " WHERE i.dataset_id = ?1 ORDER BY i.seq, j.id";
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return store_dberr(st, err, "judgment table");
    sqlite3_bind_int64(s, 1, dataset_id);
    struct unit_map map = {.item = -1};
    int rc, item = -1;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t item_id = sqlite3_column_int64(s, 0);
        int64_t ida = sqlite3_column_int64(s, 1), idb = sqlite3_column_int64(s, 2);
        int ia = sqlite3_column_int(s, 3), ib = sqlite3_column_int(s, 4);
        if (ida == idb)
            continue;
        if (item_id != map.item) {
            map.item = item_id;
            map.n = 0;
            item++;
        }
        struct stats_jrow r;
        memset(&r, 0, sizeof r);
        r.item = item;
        r.reversed = ia > ib;
        r.unit = r.reversed ? unit_of(&map, out, idb, ida) : unit_of(&map, out, ida, idb);
        const char *annot = (const char *)sqlite3_column_text(s, 5);
        r.annot = stats_table_annot(out, annot ? annot : "");
        int cls = stats_class_parse((const char *)sqlite3_column_text(s, 6));
        if (cls < 0)
            cls = STATS_INVALID;
        double p = sqlite3_column_type(s, 7) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 7);
        if (cls == STATS_INVALID)
            p = NAN;
        r.weight = sqlite3_column_type(s, 8) == SQLITE_NULL ? 1 : sqlite3_column_double(s, 8);
        if (!(r.weight > 0))
            continue;
        int col_lo = r.reversed ? 10 : 9, col_hi = r.reversed ? 9 : 10;
        const char *mlo = (const char *)sqlite3_column_text(s, col_lo);
        const char *mhi = (const char *)sqlite3_column_text(s, col_hi);
        r.model_lo = mlo && *mlo ? stats_table_model(out, mlo) : -1;
        r.model_hi = mhi && *mhi ? stats_table_model(out, mhi) : -1;
        int len_lo = r.reversed ? 12 : 11, len_hi = r.reversed ? 11 : 12;
        r.len_lo =
            sqlite3_column_type(s, len_lo) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, len_lo);
        r.len_hi =
            sqlite3_column_type(s, len_hi) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, len_hi);
        if (r.reversed) {
            if (cls == STATS_A)
                cls = STATS_B;
            else if (cls == STATS_B)
                cls = STATS_A;
            if (!isnan(p))
                p = 1 - p;
        }
        r.cls = cls;
        r.p_lo = p;
        stats_table_add(out, &r);
    }
    sqlite3_finalize(s);
    free(map.v);
    if (rc != SQLITE_DONE) {
        stats_table_free(out);
        return store_dberr(st, err, "judgment table");
    }
    return PS_OK;
}

int
store_judgment_table_named(struct store *st, const char *dataset, struct stats_table *out,
                           struct ps_err *err)
{
    int64_t ds;
    memset(out, 0, sizeof *out);
    if (store_dataset_find(st, dataset, &ds, err) != PS_OK)
        return err->code;
    return store_judgment_table(st, ds, out, err);
}

int
store_judgment_add(struct store *st, int64_t item_id, int64_t resp_a, int64_t resp_b,
                   const char *annotator, const char *verdict, double p_a, int has_p, double weight,
                   const char *rationale, const char *meta_json, struct ps_err *err)
{
    sqlite3_stmt *s = store_stmt(st, STMT_JUDG_INSERT, err);
    if (!s)
        return err->code;
    sqlite3_bind_int64(s, 1, item_id);
    sqlite3_bind_int64(s, 2, resp_a);
    sqlite3_bind_int64(s, 3, resp_b);
    store_bind_text(s, 4, annotator);
    store_bind_text(s, 5, verdict);
    if (has_p)
        sqlite3_bind_double(s, 6, p_a);
    else
        sqlite3_bind_null(s, 6);
    sqlite3_bind_double(s, 7, weight);
    store_bind_text(s, 8, rationale);
    store_bind_text(s, 9, meta_json);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
        return store_dberr(st, err, "add judgment");
    return PS_OK;
}

int
store_judgment_delete_annotator(struct store *st, int64_t dataset_id, const char *annotator,
                                int64_t *deleted, struct ps_err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db,
                           "DELETE FROM judgment WHERE annotator = ?2 AND item_id IN"
                           " (SELECT id FROM item WHERE dataset_id = ?1)",
                           -1, &s, NULL) != SQLITE_OK)
        return store_dberr(st, err, "delete judgments");
    sqlite3_bind_int64(s, 1, dataset_id);
    store_bind_text(s, 2, annotator);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return store_dberr(st, err, "delete judgments");
    if (deleted)
        *deleted = sqlite3_changes(st->db);
    return PS_OK;
}

int
store_judgment_keys(struct store *st, int64_t dataset_id, const char *annotator,
                    store_judgment_key_fn fn, void *ud, struct ps_err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT j.item_id, j.response_a, j.response_b FROM judgment j"
                           " JOIN item i ON i.id = j.item_id"
                           " WHERE i.dataset_id = ?1 AND j.annotator = ?2",
                           -1, &s, NULL) != SQLITE_OK)
        return store_dberr(st, err, "judgment keys");
    sqlite3_bind_int64(s, 1, dataset_id);
    store_bind_text(s, 2, annotator);
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW)
        stop = fn(ud, sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
                  sqlite3_column_int64(s, 2));
    sqlite3_finalize(s);
    if (stop)
        return stop;
    if (rc != SQLITE_DONE)
        return store_dberr(st, err, "judgment keys");
    return PS_OK;
}
