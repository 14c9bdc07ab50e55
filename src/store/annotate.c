/* Labels (a human's verdicts, stored as judgments), tags and notes: the
 * annotations a researcher adds to items.  See annotate.h. */
#include "store/annotate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "store/internal.h"

const char *
store_verdict_str(enum store_verdict v)
{
    switch (v) {
    case STORE_VERDICT_A: return "A";
    case STORE_VERDICT_B: return "B";
    case STORE_VERDICT_TIE: return "tie";
    default: return "";
    }
}

enum store_verdict
store_verdict_parse(const char *s)
{
    if (!s)
        return STORE_VERDICT_NONE;
    if (!strcmp(s, "A") || !strcmp(s, "a"))
        return STORE_VERDICT_A;
    if (!strcmp(s, "B") || !strcmp(s, "b"))
        return STORE_VERDICT_B;
    if (!strcmp(s, "tie"))
        return STORE_VERDICT_TIE;
    return STORE_VERDICT_NONE;
}

static enum store_verdict
verdict_flip(enum store_verdict v)
{
    return v == STORE_VERDICT_A ? STORE_VERDICT_B : v == STORE_VERDICT_B ? STORE_VERDICT_A : v;
}

/* ---- labels ---- */

/* Find annotator's judgments of the unordered pair; the newest one's id and its
 * verdict relative to (a, b) are returned, older duplicates are deleted. */
static int
label_find(struct store *st, int64_t item_id, int64_t a, int64_t b, const char *annotator,
           int64_t *id, enum store_verdict *v, char **meta, struct ps_err *err)
{
    sqlite3_stmt *s;
    *id = 0;
    *v = STORE_VERDICT_NONE;
    if (meta)
        *meta = NULL;
    if (store_prepare(
            st,
            "SELECT id, response_a, verdict, meta FROM judgment WHERE item_id = ?1 AND annotator = "
            "?2"
            " AND ((response_a = ?3 AND response_b = ?4) OR (response_a = ?4 AND response_b = ?3))"
            " ORDER BY id DESC",
            &s, err) != PS_OK)
        return err->code;
    sqlite3_bind_int64(s, 1, item_id);
    sqlite3_bind_text(s, 2, annotator, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, a);
    sqlite3_bind_int64(s, 4, b);
    int rc;
    int64_t dups[16];
    int ndup = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t jid = sqlite3_column_int64(s, 0);
        if (!*id) {
            *id = jid;
            enum store_verdict jv = store_verdict_parse((const char *)sqlite3_column_text(s, 2));
            *v = sqlite3_column_int64(s, 1) == a ? jv : verdict_flip(jv);
            if (meta && sqlite3_column_text(s, 3))
                *meta = xstrdup((const char *)sqlite3_column_text(s, 3));
        } else if (ndup < 16) {
            dups[ndup++] = jid;
        }
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return store_dberr(st, err, "read label");
    for (int i = 0; i < ndup; i++) {
        if (store_prepare(st, "DELETE FROM judgment WHERE id = ?1", &s, err) != PS_OK)
            return err->code;
        sqlite3_bind_int64(s, 1, dups[i]);
        if (store_step_finalize(st, s, err, "label") != PS_OK)
            return err->code;
    }
    return PS_OK;
}

static int
adjust_judgment_count(struct store *st, int64_t item_id, int delta, struct ps_err *err)
{
    sqlite3_stmt *s;
    if (store_prepare(st,
                      "UPDATE dataset SET n_judgments = n_judgments + ?2"
                      " WHERE id = (SELECT dataset_id FROM item WHERE id = ?1)",
                      &s, err) != PS_OK)
        return err->code;
    sqlite3_bind_int64(s, 1, item_id);
    sqlite3_bind_int(s, 2, delta);
    return store_step_finalize(st, s, err, "label");
}

static int
label_apply(struct store *st, int64_t item_id, int64_t a, int64_t b, const char *annotator,
            enum store_verdict verdict, const char *meta, enum store_verdict *prev,
            char **prev_meta, struct ps_err *err)
{
    int64_t id;
    enum store_verdict old;
    if (!annotator || !*annotator)
        return ps_error(err, PS_ERR_USAGE, "label: no annotator name");
    if (a == b)
        return ps_error(err, PS_ERR_USAGE, "label: a pair needs two different responses");
    if (label_find(st, item_id, a, b, annotator, &id, &old, prev_meta, err) != PS_OK)
        return err->code;
    if (prev)
        *prev = old;
    sqlite3_stmt *s;
    if (verdict == STORE_VERDICT_NONE) {
        if (!id)
            return PS_OK;
        if (store_prepare(st, "DELETE FROM judgment WHERE id = ?1", &s, err) != PS_OK)
            return err->code;
        sqlite3_bind_int64(s, 1, id);
        if (store_step_finalize(st, s, err, "label") != PS_OK)
            return err->code;
        return adjust_judgment_count(st, item_id, -1, err);
    }
    double p = verdict == STORE_VERDICT_A ? 1.0 : verdict == STORE_VERDICT_B ? 0.0 : 0.5;
    if (id) {
        if (store_prepare(
                st,
                "UPDATE judgment SET response_a = ?2, response_b = ?3, verdict = ?4, p_a = ?5,"
                " meta = ?7, created_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?1",
                &s, err) != PS_OK)
            return err->code;
        sqlite3_bind_int64(s, 1, id);
    } else {
        /* The responses must belong to the item: checked by the SELECT. */
        if (store_prepare(
                st,
                "INSERT INTO judgment (item_id, response_a, response_b, annotator, verdict, p_a,"
                " meta) SELECT ?1, ?2, ?3, ?6, ?4, ?5, ?7 WHERE"
                " (SELECT count(*) FROM response WHERE item_id = ?1 AND id IN (?2, ?3)) = 2",
                &s, err) != PS_OK)
            return err->code;
        sqlite3_bind_int64(s, 1, item_id);
        sqlite3_bind_text(s, 6, annotator, -1, SQLITE_STATIC);
    }
    sqlite3_bind_int64(s, 2, a);
    sqlite3_bind_int64(s, 3, b);
    sqlite3_bind_text(s, 4, store_verdict_str(verdict), -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 5, p);
    if (meta)
        sqlite3_bind_text(s, 7, meta, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 7);
    if (store_step_finalize(st, s, err, "label") != PS_OK)
        return err->code;
    if (!id) {
        if (sqlite3_changes(st->db) == 0)
            return ps_error(err, PS_ERR_NOTFOUND,
                            "label: responses %lld and %lld are not both"
                            " responses of item %lld",
                            (long long)a, (long long)b, (long long)item_id);
        return adjust_judgment_count(st, item_id, 1, err);
    }
    return PS_OK;
}

/* Run fn inside a savepoint so a label change is all-or-nothing, whether or not the
 * caller has a transaction open. */
static int
with_savepoint(struct store *st, int rc_in, struct ps_err *err)
{
    (void)err;
    if (rc_in == PS_OK) {
        sqlite3_exec(st->db, "RELEASE browse_label", NULL, NULL, NULL);
    } else {
        sqlite3_exec(st->db, "ROLLBACK TO browse_label", NULL, NULL, NULL);
        sqlite3_exec(st->db, "RELEASE browse_label", NULL, NULL, NULL);
    }
    return rc_in;
}

int
store_label_set(struct store *st, int64_t item_id, int64_t resp_a, int64_t resp_b,
                const char *annotator, enum store_verdict verdict, enum store_verdict *prev,
                struct ps_err *err)
{
    return store_label_set_meta(st, item_id, resp_a, resp_b, annotator, verdict, NULL, prev, NULL,
                                err);
}

int
store_label_set_meta(struct store *st, int64_t item_id, int64_t resp_a, int64_t resp_b,
                     const char *annotator, enum store_verdict verdict, const char *meta,
                     enum store_verdict *prev, char **prev_meta, struct ps_err *err)
{
    if (meta && !*meta)
        meta = NULL;
    if (prev_meta)
        *prev_meta = NULL;
    if (store_exec(st, "SAVEPOINT browse_label", err) != PS_OK)
        return err->code;
    int rc =
        label_apply(st, item_id, resp_a, resp_b, annotator, verdict, meta, prev, prev_meta, err);
    if (rc != PS_OK && prev_meta) {
        free(*prev_meta);
        *prev_meta = NULL;
    }
    return with_savepoint(st, rc, err);
}

/* ---- settings ---- */

int
store_setting_get(struct store *st, const char *name, char **value, struct ps_err *err)
{
    sqlite3_stmt *s;
    *value = NULL;
    if (store_prepare(st, "SELECT value FROM setting WHERE name = ?1", &s, err) != PS_OK)
        return err->code;
    store_bind_text(s, 1, name ? name : "");
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW && sqlite3_column_text(s, 0))
        *value = xstrdup((const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_dberr(st, err, "read setting");
    return PS_OK;
}

int
store_setting_set(struct store *st, const char *name, const char *value, struct ps_err *err)
{
    sqlite3_stmt *s;
    if (!name || !*name)
        return ps_error(err, PS_ERR_USAGE, "setting: empty name");
    if (store_prepare(st,
                      value ? "INSERT INTO setting (name, value) VALUES (?1, ?2)"
                              " ON CONFLICT(name) DO UPDATE SET value = excluded.value,"
                              " updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')"
                            : "DELETE FROM setting WHERE name = ?1",
                      &s, err) != PS_OK)
        return err->code;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    if (value)
        sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
    return store_step_finalize(st, s, err, "setting");
}

int
store_blind_bias(struct store *st, int64_t dataset_id, const char *annotator,
                 struct store_blind_bias *out, struct ps_err *err)
{
    sqlite3_stmt *s;
    memset(out, 0, sizeof *out);
    if (store_prepare(st,
                      "SELECT json_extract(j.meta, '$.blind.chosen'), count(*) FROM judgment j"
                      " JOIN item i ON i.id = j.item_id WHERE i.dataset_id = ?1"
                      " AND j.annotator = ?2 AND json_valid(j.meta)"
                      " AND json_extract(j.meta, '$.blind.chosen') IS NOT NULL GROUP BY 1",
                      &s, err) != PS_OK)
        return err->code;
    sqlite3_bind_int64(s, 1, dataset_id);
    store_bind_text(s, 2, annotator ? annotator : "");
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *c = (const char *)sqlite3_column_text(s, 0);
        int64_t n = sqlite3_column_int64(s, 1);
        if (c && strcmp(c, "left") == 0)
            out->left += n;
        else if (c && strcmp(c, "right") == 0)
            out->right += n;
        else
            out->ties += n;
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return store_dberr(st, err, "read blind labels");
    return PS_OK;
}

int
store_label_clear(struct store *st, int64_t item_id, int64_t resp_a, int64_t resp_b,
                  const char *annotator, enum store_verdict *prev, struct ps_err *err)
{
    return store_label_set(st, item_id, resp_a, resp_b, annotator, STORE_VERDICT_NONE, prev, err);
}

int
store_label_get(struct store *st, int64_t item_id, int64_t resp_a, int64_t resp_b,
                const char *annotator, enum store_verdict *out, struct ps_err *err)
{
    sqlite3_stmt *s;
    *out = STORE_VERDICT_NONE;
    if (store_prepare(
            st,
            "SELECT response_a, verdict FROM judgment WHERE item_id = ?1 AND annotator = ?2"
            " AND ((response_a = ?3 AND response_b = ?4) OR (response_a = ?4 AND response_b = ?3))"
            " ORDER BY id DESC LIMIT 1",
            &s, err) != PS_OK)
        return err->code;
    sqlite3_bind_int64(s, 1, item_id);
    store_bind_text(s, 2, annotator ? annotator : "");
    sqlite3_bind_int64(s, 3, resp_a);
    sqlite3_bind_int64(s, 4, resp_b);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        enum store_verdict v = store_verdict_parse((const char *)sqlite3_column_text(s, 1));
        *out = sqlite3_column_int64(s, 0) == resp_a ? v : verdict_flip(v);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_dberr(st, err, "read label");
    return PS_OK;
}

/* ---- tags and notes ---- */

int
store_tag_add(struct store *st, int64_t item_id, const char *tag, int *added, struct ps_err *err)
{
    sqlite3_stmt *s;
    if (!tag || !*tag)
        return ps_error(err, PS_ERR_USAGE, "empty tag");
    if (store_prepare(st,
                      "INSERT OR IGNORE INTO tag (item_id, tag) SELECT ?1, ?2 WHERE EXISTS"
                      " (SELECT 1 FROM item WHERE id = ?1)",
                      &s, err) != PS_OK)
        return err->code;
    sqlite3_bind_int64(s, 1, item_id);
    sqlite3_bind_text(s, 2, tag, -1, SQLITE_STATIC);
    if (store_step_finalize(st, s, err, "tag") != PS_OK)
        return err->code;
    if (added)
        *added = sqlite3_changes(st->db) > 0;
    return PS_OK;
}

int
store_tag_remove(struct store *st, int64_t item_id, const char *tag, int *removed,
                 struct ps_err *err)
{
    sqlite3_stmt *s;
    if (store_prepare(st, "DELETE FROM tag WHERE item_id = ?1 AND tag = ?2", &s, err) != PS_OK)
        return err->code;
    sqlite3_bind_int64(s, 1, item_id);
    store_bind_text(s, 2, tag ? tag : "");
    if (store_step_finalize(st, s, err, "tag") != PS_OK)
        return err->code;
    if (removed)
        *removed = sqlite3_changes(st->db) > 0;
    return PS_OK;
}

int
store_tag_add_many(struct store *st, const int64_t *item_ids, int n, const char *tag, int *added,
                   struct ps_err *err)
{
    int count = 0, rc = PS_OK;
    if (store_exec(st, "SAVEPOINT tag_many", err) != PS_OK)
        return err->code;
    for (int i = 0; i < n && rc == PS_OK; i++) {
        int one = 0;
        rc = store_tag_add(st, item_ids[i], tag, &one, err);
        count += one;
    }
    if (rc != PS_OK)
        sqlite3_exec(st->db, "ROLLBACK TO tag_many", NULL, NULL, NULL);
    sqlite3_exec(st->db, "RELEASE tag_many", NULL, NULL, NULL);
    if (added)
        *added = rc == PS_OK ? count : 0;
    return rc;
}

int
store_tag_drop(struct store *st, int64_t dataset_id, const char *tag, int *removed,
               struct ps_err *err)
{
    sqlite3_stmt *s;
    if (store_prepare(st,
                      "DELETE FROM tag WHERE tag = ?2 AND item_id IN"
                      " (SELECT id FROM item WHERE dataset_id = ?1)",
                      &s, err) != PS_OK)
        return err->code;
    sqlite3_bind_int64(s, 1, dataset_id);
    store_bind_text(s, 2, tag ? tag : "");
    if (store_step_finalize(st, s, err, "tag") != PS_OK)
        return err->code;
    if (removed)
        *removed = sqlite3_changes(st->db);
    return PS_OK;
}

/* Collect column 0 (text) and optionally column 1 (integer) of every row. */
static int
collect_strings(struct store *st, sqlite3_stmt *s, char ***out, int64_t **counts, int *n,
                struct ps_err *err)
{
    int cap = 0, cnt = 0, rc;
    char **v = NULL;
    int64_t *c = NULL;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (cnt == cap) {
            cap = cap ? cap * 2 : 8;
            v = xrealloc(v, (size_t)cap * sizeof *v);
            if (counts)
                c = xrealloc(c, (size_t)cap * sizeof *c);
        }
        v[cnt] = store_col_strdup(s, 0);
        if (!v[cnt])
            v[cnt] = xstrdup("");
        if (counts)
            c[cnt] = sqlite3_column_int64(s, 1);
        cnt++;
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        store_strings_free(v, cnt);
        free(c);
        return store_dberr(st, err, "tags");
    }
    *out = v;
    *n = cnt;
    if (counts)
        *counts = c;
    return PS_OK;
}

int
store_tag_list(struct store *st, int64_t item_id, char ***out, int *n, struct ps_err *err)
{
    sqlite3_stmt *s;
    if (store_prepare(st, "SELECT tag FROM tag WHERE item_id = ?1 ORDER BY tag", &s, err) != PS_OK)
        return err->code;
    sqlite3_bind_int64(s, 1, item_id);
    return collect_strings(st, s, out, NULL, n, err);
}

int
store_tag_names(struct store *st, int64_t dataset_id, char ***out, int64_t **counts, int *n,
                struct ps_err *err)
{
    sqlite3_stmt *s;
    if (store_prepare(st,
                      "SELECT t.tag, count(*) FROM tag t JOIN item i ON i.id = t.item_id"
                      " WHERE i.dataset_id = ?1 GROUP BY t.tag ORDER BY t.tag",
                      &s, err) != PS_OK)
        return err->code;
    sqlite3_bind_int64(s, 1, dataset_id);
    return collect_strings(st, s, out, counts, n, err);
}

void
store_strings_free(char **v, int n)
{
    if (!v)
        return;
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

int
store_note_add(struct store *st, int64_t item_id, const char *author, const char *text, int64_t *id,
               struct ps_err *err)
{
    sqlite3_stmt *s;
    if (!text || !*text)
        return ps_error(err, PS_ERR_USAGE, "empty note");
    if (store_prepare(st,
                      "INSERT INTO note (item_id, author, text) SELECT ?1, ?2, ?3"
                      " WHERE EXISTS (SELECT 1 FROM item WHERE id = ?1)",
                      &s, err) != PS_OK)
        return err->code;
    sqlite3_bind_int64(s, 1, item_id);
    store_bind_text(s, 2, author);
    sqlite3_bind_text(s, 3, text, -1, SQLITE_STATIC);
    if (store_step_finalize(st, s, err, "note") != PS_OK)
        return err->code;
    if (sqlite3_changes(st->db) == 0)
        return ps_error(err, PS_ERR_NOTFOUND, "note: no item %lld", (long long)item_id);
    if (id)
        *id = sqlite3_last_insert_rowid(st->db);
    return PS_OK;
}

int
store_note_delete(struct store *st, int64_t note_id, struct ps_err *err)
{
    sqlite3_stmt *s;
    if (store_prepare(st, "DELETE FROM note WHERE id = ?1", &s, err) != PS_OK)
        return err->code;
    sqlite3_bind_int64(s, 1, note_id);
    return store_step_finalize(st, s, err, "note");
}

int
store_note_list(struct store *st, int64_t item_id, struct store_note **out, int *n,
                struct ps_err *err)
{
    sqlite3_stmt *s;
    *out = NULL;
    *n = 0;
    if (store_prepare(
            st, "SELECT id, author, text, created_at FROM note WHERE item_id = ?1 ORDER BY id", &s,
            err) != PS_OK)
        return err->code;
    sqlite3_bind_int64(s, 1, item_id);
    int cap = 0, cnt = 0, rc;
    struct store_note *v = NULL;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        v = xgrow(v, sizeof *v, cnt, &cap, 4);
        v[cnt].id = sqlite3_column_int64(s, 0);
        v[cnt].author = store_col_strdup(s, 1);
        v[cnt].text = store_col_strdup(s, 2);
        v[cnt].created_at = store_col_strdup(s, 3);
        cnt++;
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        store_notes_free(v, cnt);
        return store_dberr(st, err, "notes");
    }
    *out = v;
    *n = cnt;
    return PS_OK;
}

void
store_notes_free(struct store_note *v, int n)
{
    if (!v)
        return;
    for (int i = 0; i < n; i++) {
        free(v[i].author);
        free(v[i].text);
        free(v[i].created_at);
    }
    free(v);
}
