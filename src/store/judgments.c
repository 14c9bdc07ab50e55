/* Judgment tables for evaluation (see judgments.h). */
#include "store/judgments.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/stats_figs.h"
#include "core/strbuf.h"
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

/* The ratings of one aspect, for verdicts derived from them. */
struct rated {
    int64_t seq, resp;
    int idx;
    char *model, *annot;
    int64_t len;
    double value;
};

static void
rated_free(struct rated *v, int n)
{
    for (int i = 0; i < n; i++) {
        free(v[i].model);
        free(v[i].annot);
    }
    free(v);
}

static char *
col_dup(sqlite3_stmt *s, int col)
{
    const char *t = (const char *)sqlite3_column_text(s, col);
    return t ? xstrdup(t) : NULL;
}

/* Every rating of the aspect, by item, annotator, response index then age. */
static int
rated_load(struct store *st, int64_t dataset_id, const char *aspect, struct rated **out, int *n,
           struct ps_err *err)
{
    static const char sql[] =
        "SELECT i.seq, r.id, r.idx, r.model, length(r.text), x.annotator, x.value"
        "  FROM rating x JOIN response r ON r.id = x.response_id JOIN item i ON i.id = r.item_id"
        " WHERE i.dataset_id = ?1 AND x.aspect = ?2 ORDER BY i.seq, x.annotator, r.idx, x.id";
    sqlite3_stmt *s;
    *out = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return store_dberr(st, err, "ratings");
    sqlite3_bind_int64(s, 1, dataset_id);
    store_bind_text(s, 2, aspect);
    int rc, cap = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (sqlite3_column_type(s, 6) == SQLITE_NULL)
            continue;
        *out = xgrow(*out, sizeof **out, *n, &cap, 64);
        struct rated *x = &(*out)[(*n)++];
        x->seq = sqlite3_column_int64(s, 0);
        x->resp = sqlite3_column_int64(s, 1);
        x->idx = sqlite3_column_int(s, 2);
        x->model = col_dup(s, 3);
        x->len = sqlite3_column_type(s, 4) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 4);
        x->annot = col_dup(s, 5);
        x->value = sqlite3_column_double(s, 6);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        rated_free(*out, *n);
        *out = NULL;
        *n = 0;
        return store_dberr(st, err, "ratings");
    }
    return PS_OK;
}

static int
model_index(struct stats_table *t, const char *m)
{
    return m && *m ? stats_table_model(t, m) : -1;
}

/* Derived judgments of the ratings v[0..n) of one item (sorted by annotator then
 * response index; a response's first rating counts): one per pair of rated responses
 * per rating annotator, in canonical order, as annotator "ratings:ASPECT>M[ by A]".
 * Returns the number of judgments added. */
static int
rated_emit(const struct rated *v, int n, int item, const struct store_derive *d,
           struct unit_map *map, struct stats_table *out)
{
    struct strbuf name = STRBUF_INIT;
    int added = 0;
    for (int i = 0; i < n;) {
        int end = i + 1;
        while (end < n && strcmp(v[end].annot, v[i].annot) == 0)
            end++;
        sb_reset(&name);
        stats_rating_rule_name(&name, d->aspect, d->margin, d->lower_better, v[i].annot);
        int annot = stats_table_annot(out, sb_str(&name));
        for (int p = i; p < end; p++) {
            if ((p > i && v[p].idx == v[p - 1].idx))
                continue; /* a second rating of the same response */
            for (int q = p + 1; q < end; q++) {
                if (v[q].idx == v[q - 1].idx)
                    continue;
                struct stats_jrow r;
                memset(&r, 0, sizeof r);
                r.item = item;
                r.unit = unit_of(map, out, v[p].resp, v[q].resp);
                r.annot = annot;
                r.cls = stats_rating_verdict(v[p].value, v[q].value, d->margin, d->lower_better);
                r.p_lo = NAN;
                r.weight = 1;
                r.model_lo = model_index(out, v[p].model);
                r.model_hi = model_index(out, v[q].model);
                r.len_lo = v[p].len;
                r.len_hi = v[q].len;
                stats_table_add(out, &r);
                added++;
            }
        }
        i = end;
    }
    sb_free(&name);
    return added;
}

int
store_judgment_table(struct store *st, int64_t dataset_id, struct stats_table *out,
                     struct ps_err *err)
{
    return store_judgment_table_derived(st, dataset_id, NULL, 0, out, err);
}

/* Names seen by the loader, found by a hash of their text: a table has few models
 * and annotators but every row names two and one (a linear strcmp search per name was
 * 5% of `rank`'s loading).  Open addressing; past 3/4 full, names are looked up in the
 * table's lists as before. */
#define NAME_SLOTS 256
struct name_cache {
    int n;
    struct {
        uint64_t h;
        int idx; /* -1: empty */
    } slot[NAME_SLOTS];
};

static void
name_cache_init(struct name_cache *nc)
{
    memset(nc, 0, sizeof *nc);
    for (int k = 0; k < NAME_SLOTS; k++)
        nc->slot[k].idx = -1;
}

static int
name_cached(struct name_cache *nc, char ***names, struct stats_table *t, const char *name,
            int (*add)(struct stats_table *, const char *))
{
    uint64_t h = 14695981039346656037ULL;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    unsigned k = (unsigned)(h >> 56);
    for (; nc->slot[k].idx >= 0; k = (k + 1) % NAME_SLOTS)
        if (nc->slot[k].h == h && strcmp((*names)[nc->slot[k].idx], name) == 0)
            return nc->slot[k].idx;
    int idx = add(t, name);
    if (nc->n < NAME_SLOTS * 3 / 4) {
        nc->slot[k].h = h;
        nc->slot[k].idx = idx;
        nc->n++;
    }
    return idx;
}

int
store_judgment_table_derived(struct store *st, int64_t dataset_id, const struct store_derive *d,
                             int flags, struct stats_table *out, struct ps_err *err)
{
    /* columns 11 and 12 are the texts' lengths, or NULL without reading the texts */
#define JT_SQL(len_a, len_b) \
    "SELECT j.item_id, ra.id, rb.id, ra.idx, rb.idx, j.annotator, j.verdict, j.p_a, j.weight," \
    "       ra.model, rb.model, " len_a ", " len_b ", i.seq" \
    "  FROM judgment j JOIN item i ON i.id = j.item_id" \
    "  JOIN response ra ON ra.id = j.response_a JOIN response rb ON rb.id = j.response_b" \
    " WHERE i.dataset_id = ?1 AND ?2 = 0 ORDER BY i.seq, j.id"
    static const char sql_len[] = JT_SQL("length(ra.text)", "length(rb.text)");
    static const char sql_nolen[] = JT_SQL("NULL", "NULL");
#undef JT_SQL
    struct rated *rv = NULL;
    int n_rv = 0, next_rv = 0;
    if (d && rated_load(st, dataset_id, d->aspect, &rv, &n_rv, err) != PS_OK)
        return err->code;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, flags & STORE_JT_NO_LENGTHS ? sql_nolen : sql_len, -1, &s,
                           NULL) != SQLITE_OK) {
        rated_free(rv, n_rv);
        return store_dberr(st, err, "judgment table");
    }
    sqlite3_bind_int64(s, 1, dataset_id);
    sqlite3_bind_int(s, 2, (flags & STORE_JT_DERIVED_ONLY) != 0);
    struct name_cache models, annots;
    name_cache_init(&models);
    name_cache_init(&annots);
    struct unit_map map = {.item = INT64_MIN};
    int rc, item = -1;
    for (;;) {
        rc = sqlite3_step(s);
        int64_t seq = rc == SQLITE_ROW ? sqlite3_column_int64(s, 13) : INT64_MAX;
        /* derived judgments of the items up to this one; the current item's go first */
        while (next_rv < n_rv && rv[next_rv].seq <= seq) {
            int end = next_rv + 1;
            while (end < n_rv && rv[end].seq == rv[next_rv].seq)
                end++;
            int64_t prev = map.item;
            map.item = rv[next_rv].seq;
            map.n = 0;
            if (rated_emit(rv + next_rv, end - next_rv, item + 1, d, &map, out))
                item++;
            else
                map.item = prev; /* no pair: not an item of the table */
            next_rv = end;
        }
        if (rc != SQLITE_ROW)
            break;
        int64_t ida = sqlite3_column_int64(s, 1), idb = sqlite3_column_int64(s, 2);
        int ia = sqlite3_column_int(s, 3), ib = sqlite3_column_int(s, 4);
        if (ida == idb)
            continue;
        if (seq != map.item) {
            map.item = seq;
            map.n = 0;
            item++;
        }
        struct stats_jrow r;
        memset(&r, 0, sizeof r);
        r.item = item;
        r.reversed = ia > ib;
        r.unit = r.reversed ? unit_of(&map, out, idb, ida) : unit_of(&map, out, ida, idb);
        const char *annot = (const char *)sqlite3_column_text(s, 5);
        r.annot =
            name_cached(&annots, &out->annotators, out, annot ? annot : "", stats_table_annot);
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
        r.model_lo =
            mlo && *mlo ? name_cached(&models, &out->models, out, mlo, stats_table_model) : -1;
        r.model_hi =
            mhi && *mhi ? name_cached(&models, &out->models, out, mhi, stats_table_model) : -1;
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
    rated_free(rv, n_rv);
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

int
store_rating_table(struct store *st, int64_t dataset_id, struct stats_rating_table *out,
                   struct ps_err *err)
{
    static const char sql[] =
        "SELECT i.seq, r.model, x.aspect, x.annotator, x.value"
        "  FROM rating x JOIN response r ON r.id = x.response_id JOIN item i ON i.id = r.item_id"
        " WHERE i.dataset_id = ?1 ORDER BY i.seq, x.id";
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return store_dberr(st, err, "rating table");
    sqlite3_bind_int64(s, 1, dataset_id);
    int rc, item = -1;
    int64_t cur = INT64_MIN;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (sqlite3_column_type(s, 4) == SQLITE_NULL)
            continue;
        int64_t seq = sqlite3_column_int64(s, 0);
        if (seq != cur) {
            cur = seq;
            item++;
        }
        const char *model = (const char *)sqlite3_column_text(s, 1);
        const char *aspect = (const char *)sqlite3_column_text(s, 2);
        const char *annot = (const char *)sqlite3_column_text(s, 3);
        struct stats_rating_row r = {
            .item = item,
            .model = model && *model ? stats_rating_table_model(out, model) : -1,
            .aspect = stats_rating_table_aspect(out, aspect ? aspect : ""),
            .annot = stats_rating_table_annot(out, annot ? annot : ""),
            .value = sqlite3_column_double(s, 4),
        };
        stats_rating_table_add(out, &r);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        stats_rating_table_free(out);
        return store_dberr(st, err, "rating table");
    }
    return PS_OK;
}
