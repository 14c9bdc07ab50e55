/* Items with their responses, judgments, ratings and tags: writing records and
 * reading them back. */
#include "store/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "core/utf8.h"
#include "core/xalloc.h"

static int
step_done(struct store *st, sqlite3_stmt *s, struct ps_err *err, const char *what)
{
    int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE)
        return store_dberr(st, err, what);
    return PS_OK;
}

static int
next_seq(struct store *st, int64_t dataset_id, int64_t *seq, struct ps_err *err)
{
    if (st->seq_dataset != dataset_id) {
        sqlite3_stmt *s = store_stmt(st, STMT_ITEM_MAX_SEQ, err);
        if (!s)
            return err->code;
        sqlite3_bind_int64(s, 1, dataset_id);
        if (sqlite3_step(s) != SQLITE_ROW)
            return store_dberr(st, err, "item sequence");
        st->seq_next = sqlite3_column_int64(s, 0);
        sqlite3_reset(s);
        st->seq_dataset = dataset_id;
    }
    *seq = st->seq_next++;
    return PS_OK;
}

static int
str_eq_null(const char *a, const unsigned char *b)
{
    if (!a || !b)
        return !a && !b;
    return strcmp(a, (const char *)b) == 0;
}

static int
fts_item(struct store *st, enum store_stmt_id id, int64_t item_id, struct ps_err *err)
{
    sqlite3_stmt *s = store_stmt(st, id, err);
    if (!s)
        return err->code;
    sqlite3_bind_int64(s, 1, item_id);
    return step_done(st, s, err, "full-text index");
}

/* Side index (fts_side.c): queue the item's text as the item_text view has it now,
 * for a 'delete' (del) or an insert. */
static int
side_send_current(struct store *st, int64_t item_id, int del, struct ps_err *err)
{
    sqlite3_stmt *s = store_stmt(st, STMT_ITEM_TEXT, err);
    if (!s)
        return err->code;
    sqlite3_bind_int64(s, 1, item_id);
    if (sqlite3_step(s) != SQLITE_ROW)
        return store_dberr(st, err, "full-text index");
    const char *p = (const char *)sqlite3_column_text(s, 0);
    const char *r = (const char *)sqlite3_column_text(s, 1);
    fts_side_add(st->fts_side, item_id, del, &p, 1, &r, 1);
    sqlite3_reset(s);
    return PS_OK;
}

/* Side index: queue a new item's text from its record, as item_text joins it:
 * system, the history's text and the prompt; the responses in order.  A history
 * whose text the importer did not give is read back (the insert derived it). */
static int
side_send_new(struct store *st, int64_t item_id, const struct ps_record *rec, struct ps_err *err)
{
    if (rec->history_json && !rec->history_text)
        return side_send_current(st, item_id, 0, err);
    const char *prompt[3] = {rec->system, rec->history_json ? rec->history_text : NULL,
                             rec->prompt};
    const char *resp[PS_REC_MAX_RESP];
    for (int i = 0; i < rec->n_resp; i++)
        resp[i] = rec->resp[i].text;
    fts_side_add(st->fts_side, item_id, 0, prompt, 3, resp, rec->n_resp);
    return PS_OK;
}

/* Do two judgments of one item contradict each other?  Both about the same two
 * responses, in either order, with different verdicts once the order is undone
 * ('invalid' contradicts nothing): item_stat.disagree, as migration 3 defines it. */
static int
judg_conflict(const struct ps_rec_judgment *x, const struct ps_rec_judgment *y, const int64_t *ids)
{
    int64_t xa = ids[x->a], xb = ids[x->b], ya = ids[y->a], yb = ids[y->b];
    if (!strcmp(x->verdict, "invalid") || !strcmp(y->verdict, "invalid"))
        return 0;
    if (!((xa == ya && xb == yb) || (xa == yb && xb == ya)))
        return 0;
    const char *vx = x->verdict, *vy = y->verdict;
    if ((xa <= xb) != (ya <= yb)) /* one of them the other way round: flip its A/B */
        vy = !strcmp(vy, "A") ? "B" : !strcmp(vy, "B") ? "A" : vy;
    return strcmp(vx, vy) != 0;
}

/* Bulk mode: the item_stat row of a new item, computed from the record rather than
 * by the triggers of migration 3 (dropped for the import; store.c).  Lengths count
 * characters like sqlite's length(); models are the distinct non-empty ones in
 * order of first appearance. */
static int
bulk_item_stat(struct store *st, int64_t item_id, int64_t dataset_id, int64_t seq,
               const struct ps_record *rec, const int64_t *ids, struct ps_err *err)
{
    int64_t len[2] = {0, 0};
    for (int i = 0; i < rec->n_resp && i < 2; i++)
        if (rec->resp[i].text)
            len[i] = (int64_t)utf8_count(rec->resp[i].text, strlen(rec->resp[i].text));
    struct strbuf models = STRBUF_INIT;
    for (int i = 0; i < rec->n_resp; i++) {
        const char *m = rec->resp[i].model;
        int seen = !m || !*m;
        for (int k = 0; k < i && !seen; k++)
            seen = rec->resp[k].model && !strcmp(rec->resp[k].model, m);
        if (!seen)
            sb_printf(&models, "%s%s", models.len ? ", " : "", m);
    }
    int disagree = 0;
    for (int a = 0; a < rec->n_judg && !disagree; a++)
        for (int b = a + 1; b < rec->n_judg && !disagree; b++)
            disagree = judg_conflict(&rec->judg[a], &rec->judg[b], ids);
    sqlite3_stmt *s = store_stmt(st, STMT_STAT_INSERT, err);
    if (!s) {
        sb_free(&models);
        return err->code;
    }
    sqlite3_bind_int64(s, 1, item_id);
    sqlite3_bind_int64(s, 2, dataset_id);
    sqlite3_bind_int64(s, 3, seq);
    sqlite3_bind_int64(s, 4,
                       rec->prompt ? (int64_t)utf8_count(rec->prompt, strlen(rec->prompt)) : 0);
    sqlite3_bind_int(s, 5, rec->n_resp);
    sqlite3_bind_int64(s, 6, len[0]);
    sqlite3_bind_int64(s, 7, len[1]);
    if (models.len)
        sqlite3_bind_text(s, 8, sb_str(&models), (int)models.len, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 9, disagree);
    int rc = step_done(st, s, err, "item figures");
    sb_free(&models);
    return rc;
}

/* Match each record response to an existing response of the item (same text and
 * model; a text-free response matches by model alone) or insert it. */
static int
put_responses(struct store *st, int64_t item_id, int existing, const struct ps_record *rec,
              int64_t *ids, int *added, struct ps_err *err)
{
    int next_idx = 0;
    *added = 0;
    for (int i = 0; i < rec->n_resp; i++)
        ids[i] = 0;
    if (existing) {
        sqlite3_stmt *s = store_stmt(st, STMT_RESP_LIST, err);
        if (!s)
            return err->code;
        sqlite3_bind_int64(s, 1, item_id);
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            int64_t rid = sqlite3_column_int64(s, 0);
            int idx = sqlite3_column_int(s, 1);
            const unsigned char *text = sqlite3_column_text(s, 2);
            const unsigned char *model = sqlite3_column_text(s, 3);
            if (idx >= next_idx)
                next_idx = idx + 1;
            for (int i = 0; i < rec->n_resp; i++) {
                const struct ps_rec_response *r = &rec->resp[i];
                if (ids[i])
                    continue;
                if (!str_eq_null(r->text, text))
                    continue;
                if (r->model && model && strcmp(r->model, (const char *)model) != 0)
                    continue;
                if (!r->text && !str_eq_null(r->model, model))
                    continue;
                ids[i] = rid;
                break;
            }
        }
        if (rc != SQLITE_DONE)
            return store_dberr(st, err, "read responses");
    }
    for (int i = 0; i < rec->n_resp; i++) {
        if (ids[i])
            continue;
        const struct ps_rec_response *r = &rec->resp[i];
        sqlite3_stmt *s = store_stmt(st, STMT_RESP_INSERT, err);
        if (!s)
            return err->code;
        sqlite3_bind_int64(s, 1, item_id);
        sqlite3_bind_int(s, 2, next_idx++);
        store_bind_text(s, 3, r->text);
        store_bind_text(s, 4, r->model);
        store_bind_text(s, 5, r->meta_json);
        if (step_done(st, s, err, "insert response") != PS_OK)
            return err->code;
        ids[i] = sqlite3_last_insert_rowid(st->db);
        (*added)++;
    }
    return PS_OK;
}

int
store_judgment_insert(struct store *st, int64_t item_id, int64_t response_a, int64_t response_b,
                      const struct ps_rec_judgment *j, struct ps_err *err)
{
    sqlite3_stmt *s = store_stmt(st, STMT_JUDG_INSERT, err);
    if (!s)
        return err->code;
    sqlite3_bind_int64(s, 1, item_id);
    sqlite3_bind_int64(s, 2, response_a);
    sqlite3_bind_int64(s, 3, response_b);
    store_bind_text(s, 4, j->annotator ? j->annotator : "dataset");
    store_bind_text(s, 5, j->verdict);
    if (j->has_p)
        sqlite3_bind_double(s, 6, j->p_a);
    sqlite3_bind_double(s, 7, j->weight > 0 ? j->weight : 1.0);
    store_bind_text(s, 8, j->rationale);
    store_bind_text(s, 9, j->meta_json);
    return step_done(st, s, err, "insert judgment");
}

int
store_put_record(struct store *st, int64_t dataset_id, const struct ps_record *rec,
                 struct ps_err *err)
{
    int64_t item_id = 0, seq = 0;
    int existing = 0;
    char keybuf[32];
    const char *key = rec->key;

    /* Validate before writing anything, so a refused record leaves no trace even
     * when the caller keeps the transaction. */
    /* a record without responses is a prompt-only item (ready for generation) */
    if (rec->n_resp < 1 && !rec->prompt)
        return ps_error(err, PS_ERR_PARSE, "record has neither a prompt nor responses");
    for (int i = 0; i < rec->n_judg; i++) {
        const struct ps_rec_judgment *j = &rec->judg[i];
        if (j->a < 0 || j->a >= rec->n_resp || j->b < 0 || j->b >= rec->n_resp)
            return ps_error(err, PS_ERR_PARSE, "judgment refers to a missing response");
        if (!j->verdict)
            return ps_error(err, PS_ERR_PARSE, "judgment without a verdict");
    }
    for (int i = 0; i < rec->n_rating; i++)
        if (rec->rating[i].resp < 0 || rec->rating[i].resp >= rec->n_resp)
            return ps_error(err, PS_ERR_PARSE, "rating refers to a missing response");
    if (key) {
        sqlite3_stmt *s = store_stmt(st, STMT_ITEM_FIND_KEY, err);
        if (!s)
            return err->code;
        sqlite3_bind_int64(s, 1, dataset_id);
        store_bind_text(s, 2, key);
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            item_id = sqlite3_column_int64(s, 0);
            existing = 1;
        } else if (rc != SQLITE_DONE) {
            return store_dberr(st, err, "find item");
        }
        sqlite3_reset(s);
    }
    if (!existing) {
        if (next_seq(st, dataset_id, &seq, err) != PS_OK)
            return err->code;
        if (!key) {
            snprintf(keybuf, sizeof keybuf, "#%lld", (long long)seq);
            key = keybuf;
        }
        if (store_bulk_new_item(st, err) != PS_OK)
            return err->code;
        sqlite3_stmt *s = store_stmt(st, STMT_ITEM_INSERT, err);
        if (!s)
            return err->code;
        sqlite3_bind_int64(s, 1, dataset_id);
        sqlite3_bind_int64(s, 2, seq);
        store_bind_text(s, 3, key);
        store_bind_text(s, 4, rec->ext_id);
        store_bind_text(s, 5, rec->system);
        store_bind_text(s, 6, rec->history_json);
        store_bind_text(s, 7, rec->prompt);
        store_bind_text(s, 8, rec->meta_json);
        store_bind_text(s, 9, rec->history_json ? rec->history_text : NULL);
        if (step_done(st, s, err, "insert item") != PS_OK)
            return err->code;
        item_id = sqlite3_last_insert_rowid(st->db);
    }

    int64_t ids[PS_REC_MAX_RESP];
    int added;
    /* The index stores no text, so an indexed item is removed from it with its old
     * text before responses are added, and put back after.  Items created in bulk
     * mode are not indexed yet: store_bulk_end does them all at once. */
    int indexed = !(st->fts_from && item_id >= st->fts_from);
    /* ... or they go to the side index, which gets the same delete-then-insert */
    int side = !indexed && st->fts_side_on;
    if (existing && indexed && fts_item(st, STMT_FTS_DELETE_ITEM, item_id, err) != PS_OK)
        return err->code;
    if (existing && side && side_send_current(st, item_id, 1, err) != PS_OK)
        return err->code;
    /* once bulk mode has dropped the item_stat triggers, store_bulk_end recomputes
     * the items that a record changed after they were written */
    if (existing && st->bulk_ddl && fts_item(st, STMT_BULK_TOUCH, item_id, err) != PS_OK)
        return err->code;
    if (existing && (rec->prompt || rec->system || rec->history_json || rec->ext_id)) {
        /* a record merging into an item fills what the item lacks (a prompt imported
         * after the answers); what the item has is kept */
        sqlite3_stmt *s = store_stmt(st, STMT_ITEM_FILL, err);
        if (!s)
            return err->code;
        sqlite3_bind_int64(s, 1, item_id);
        store_bind_text(s, 2, rec->prompt);
        store_bind_text(s, 3, rec->system);
        store_bind_text(s, 4, rec->history_json);
        store_bind_text(s, 5, rec->ext_id);
        store_bind_text(s, 6, rec->history_json ? rec->history_text : NULL);
        if (step_done(st, s, err, "fill item") != PS_OK)
            return err->code;
    }
    if (put_responses(st, item_id, existing, rec, ids, &added, err) != PS_OK)
        return err->code;
    if (!existing && st->bulk_ddl &&
        bulk_item_stat(st, item_id, dataset_id, seq, rec, ids, err) != PS_OK)
        return err->code;
    if (indexed && fts_item(st, STMT_FTS_INSERT, item_id, err) != PS_OK)
        return err->code;
    if (side && (existing ? side_send_current(st, item_id, 0, err)
                          : side_send_new(st, item_id, rec, err)) != PS_OK)
        return err->code;

    for (int i = 0; i < rec->n_judg; i++) {
        const struct ps_rec_judgment *j = &rec->judg[i];
        if (store_judgment_insert(st, item_id, ids[j->a], ids[j->b], j, err) != PS_OK)
            return err->code;
    }
    for (int i = 0; i < rec->n_rating; i++) {
        const struct ps_rec_rating *x = &rec->rating[i];
        sqlite3_stmt *s = store_stmt(st, STMT_RATING_INSERT, err);
        if (!s)
            return err->code;
        sqlite3_bind_int64(s, 1, ids[x->resp]);
        store_bind_text(s, 2, x->aspect);
        sqlite3_bind_double(s, 3, x->value);
        store_bind_text(s, 4, x->annotator ? x->annotator : "dataset");
        if (step_done(st, s, err, "insert rating") != PS_OK)
            return err->code;
    }
    for (int i = 0; i < rec->n_tags; i++) {
        sqlite3_stmt *s = store_stmt(st, STMT_TAG_INSERT, err);
        if (!s)
            return err->code;
        sqlite3_bind_int64(s, 1, item_id);
        store_bind_text(s, 2, rec->tags[i]);
        if (step_done(st, s, err, "insert tag") != PS_OK)
            return err->code;
    }
    return PS_OK;
}

/* ---- reading ---- */

static int
load_children(struct store *st, struct store_item *it, struct ps_err *err)
{
    sqlite3_stmt *s;
    int rc;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT id, idx, text, model, meta FROM response WHERE item_id = ?1"
                           " ORDER BY idx",
                           -1, &s, NULL) != SQLITE_OK)
        return store_dberr(st, err, "read responses");
    sqlite3_bind_int64(s, 1, it->id);
    int cap = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        it->resp = xgrow(it->resp, sizeof *it->resp, it->n_resp, &cap, 4);
        struct store_response *r = &it->resp[it->n_resp++];
        r->id = sqlite3_column_int64(s, 0);
        r->idx = sqlite3_column_int(s, 1);
        r->text = store_col_strdup(s, 2);
        r->model = store_col_strdup(s, 3);
        r->meta = store_col_strdup(s, 4);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return store_dberr(st, err, "read responses");

    if (sqlite3_prepare_v2(
            st->db,
            "SELECT id, response_a, response_b, annotator, verdict, p_a, weight,"
            " rationale, meta, created_at FROM judgment WHERE item_id = ?1 ORDER BY id",
            -1, &s, NULL) != SQLITE_OK)
        return store_dberr(st, err, "read judgments");
    sqlite3_bind_int64(s, 1, it->id);
    cap = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        it->judg = xgrow(it->judg, sizeof *it->judg, it->n_judg, &cap, 4);
        struct store_judgment *j = &it->judg[it->n_judg++];
        memset(j, 0, sizeof *j);
        j->id = sqlite3_column_int64(s, 0);
        j->response_a = sqlite3_column_int64(s, 1);
        j->response_b = sqlite3_column_int64(s, 2);
        j->a = j->b = -1;
        for (int i = 0; i < it->n_resp; i++) {
            if (it->resp[i].id == j->response_a)
                j->a = i;
            if (it->resp[i].id == j->response_b)
                j->b = i;
        }
        j->annotator = store_col_strdup(s, 3);
        j->verdict = store_col_strdup(s, 4);
        j->has_p = sqlite3_column_type(s, 5) != SQLITE_NULL;
        j->p_a = sqlite3_column_double(s, 5);
        j->weight = sqlite3_column_double(s, 6);
        j->rationale = store_col_strdup(s, 7);
        j->meta = store_col_strdup(s, 8);
        j->created_at = store_col_strdup(s, 9);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return store_dberr(st, err, "read judgments");

    if (sqlite3_prepare_v2(
            st->db,
            "SELECT x.id, x.response_id, x.aspect, x.value, x.annotator FROM rating x"
            " JOIN response r ON r.id = x.response_id WHERE r.item_id = ?1"
            " ORDER BY r.idx, x.id",
            -1, &s, NULL) != SQLITE_OK)
        return store_dberr(st, err, "read ratings");
    sqlite3_bind_int64(s, 1, it->id);
    cap = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        it->rating = xgrow(it->rating, sizeof *it->rating, it->n_rating, &cap, 4);
        struct store_rating *x = &it->rating[it->n_rating++];
        x->id = sqlite3_column_int64(s, 0);
        x->response_id = sqlite3_column_int64(s, 1);
        x->resp = -1;
        for (int i = 0; i < it->n_resp; i++)
            if (it->resp[i].id == x->response_id)
                x->resp = i;
        x->aspect = store_col_strdup(s, 2);
        x->value = sqlite3_column_double(s, 3);
        x->annotator = store_col_strdup(s, 4);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return store_dberr(st, err, "read ratings");

    if (sqlite3_prepare_v2(st->db, "SELECT tag FROM tag WHERE item_id = ?1 ORDER BY tag", -1, &s,
                           NULL) != SQLITE_OK)
        return store_dberr(st, err, "read tags");
    sqlite3_bind_int64(s, 1, it->id);
    cap = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        it->tags = xgrow(it->tags, sizeof *it->tags, it->n_tags, &cap, 4);
        it->tags[it->n_tags++] = store_col_strdup(s, 0);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return store_dberr(st, err, "read tags");
    return PS_OK;
}

#define ITEM_COLS "SELECT id, dataset_id, seq, key, ext_id, system, history, prompt, meta FROM item"

static void
item_from_row(sqlite3_stmt *s, struct store_item *it)
{
    memset(it, 0, sizeof *it);
    it->id = sqlite3_column_int64(s, 0);
    it->dataset_id = sqlite3_column_int64(s, 1);
    it->seq = sqlite3_column_int64(s, 2);
    it->key = store_col_strdup(s, 3);
    it->ext_id = store_col_strdup(s, 4);
    it->system = store_col_strdup(s, 5);
    it->history = store_col_strdup(s, 6);
    it->prompt = store_col_strdup(s, 7);
    it->meta = store_col_strdup(s, 8);
}

static int
item_get_where(struct store *st, const char *sql, int64_t a, int64_t b, int nargs,
               struct store_item *out, struct ps_err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return store_dberr(st, err, "read item");
    sqlite3_bind_int64(s, 1, a);
    if (nargs > 1)
        sqlite3_bind_int64(s, 2, b);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        item_from_row(s, out);
    sqlite3_finalize(s);
    if (rc == SQLITE_DONE)
        return ps_error(err, PS_ERR_NOTFOUND, "no such item");
    if (rc != SQLITE_ROW)
        return store_dberr(st, err, "read item");
    if (load_children(st, out, err) != PS_OK) {
        store_item_free(out);
        return err->code;
    }
    return PS_OK;
}

int
store_item_get(struct store *st, int64_t dataset_id, int64_t seq, struct store_item *out,
               struct ps_err *err)
{
    int rc = item_get_where(st, ITEM_COLS " WHERE dataset_id = ?1 AND seq = ?2", dataset_id, seq, 2,
                            out, err);
    if (rc == PS_ERR_NOTFOUND)
        ps_error(err, rc, "no item at index %lld", (long long)seq);
    return rc;
}

int
store_item_get_by_id(struct store *st, int64_t item_id, struct store_item *out, struct ps_err *err)
{
    return item_get_where(st, ITEM_COLS " WHERE id = ?1", item_id, 0, 1, out, err);
}

void
store_item_free(struct store_item *it)
{
    free(it->key);
    free(it->ext_id);
    free(it->system);
    free(it->history);
    free(it->prompt);
    free(it->meta);
    for (int i = 0; i < it->n_resp; i++) {
        free(it->resp[i].text);
        free(it->resp[i].model);
        free(it->resp[i].meta);
    }
    free(it->resp);
    for (int i = 0; i < it->n_judg; i++) {
        free(it->judg[i].annotator);
        free(it->judg[i].verdict);
        free(it->judg[i].rationale);
        free(it->judg[i].meta);
        free(it->judg[i].created_at);
    }
    free(it->judg);
    for (int i = 0; i < it->n_rating; i++) {
        free(it->rating[i].aspect);
        free(it->rating[i].annotator);
    }
    free(it->rating);
    for (int i = 0; i < it->n_tags; i++)
        free(it->tags[i]);
    free(it->tags);
    memset(it, 0, sizeof *it);
}

int
store_item_foreach(struct store *st, int64_t dataset_id, store_item_fn fn, void *ud,
                   struct ps_err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, ITEM_COLS " WHERE dataset_id = ?1 ORDER BY seq", -1, &s, NULL) !=
        SQLITE_OK)
        return store_dberr(st, err, "walk items");
    sqlite3_bind_int64(s, 1, dataset_id);
    int rc, ret = PS_OK;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_item it;
        item_from_row(s, &it);
        ret = load_children(st, &it, err);
        if (ret == PS_OK)
            ret = fn(ud, &it, err);
        store_item_free(&it);
        if (ret != PS_OK)
            break;
    }
    if (ret == PS_OK && rc != SQLITE_DONE)
        ret = store_dberr(st, err, "walk items");
    sqlite3_finalize(s);
    return ret;
}
