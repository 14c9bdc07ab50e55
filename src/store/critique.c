/* The critique workbench's tables (see critique.h). */
#include "store/critique.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/metric.h"
#include "core/strbuf.h"
#include "core/utf8.h"
#include "core/xalloc.h"
#include "store/internal.h"

const char *
store_row_get(const struct store_row *row, const char *name)
{
    for (int i = 0; i < row->n; i++)
        if (strcmp(row->names[i], name) == 0)
            return row->vals[i];
    return NULL;
}

/* The dedupe key of a prompt: case folded, runs of whitespace as one space, trimmed,
 * trailing sentence punctuation dropped. */
static void store_crit_prompt_key(const char *p, struct strbuf *sb);

/* Run a prepared query and hand every row to fn.  Takes ownership of s. */
static int
run_rows(struct store *st, sqlite3_stmt *s, store_row_fn fn, void *ud, struct ps_err *err,
         const char *what)
{
    int nc = sqlite3_column_count(s);
    const char **names = xcalloc((size_t)nc + 1, sizeof *names);
    const char **vals = xcalloc((size_t)nc + 1, sizeof *vals);
    for (int i = 0; i < nc; i++)
        names[i] = sqlite3_column_name(s, i);
    int rc, ret = PS_OK;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        for (int i = 0; i < nc; i++)
            vals[i] = (const char *)sqlite3_column_text(s, i);
        struct store_row row = {nc, names, vals};
        ret = fn(ud, &row);
        if (ret)
            break;
    }
    if (!ret && rc != SQLITE_DONE)
        ret = store_dberr(st, err, what);
    sqlite3_finalize(s);
    free(names);
    free(vals);
    return ret;
}

static sqlite3_stmt *
prep(struct store *st, const char *sql, struct ps_err *err, const char *what)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
        store_dberr(st, err, what);
        return NULL;
    }
    return s;
}

static int
exec_sql(struct store *st, const char *sql, struct ps_err *err, const char *what)
{
    char *msg = NULL;
    if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        ps_error(err, PS_ERR_DB, "%s: %s", what, msg ? msg : "error");
        sqlite3_free(msg);
        return PS_ERR_DB;
    }
    return PS_OK;
}

int
store_crit_feedback_add(struct store *st, int64_t dataset_id, const char *text, const char *domain,
                        const char *effect, const char *scope, const char *type, const char *metric,
                        const char *meta_json, int64_t *id, struct ps_err *err)
{
    if (!text || !*text)
        return ps_error(err, PS_ERR_USAGE, "feedback: the text is empty");
    sqlite3_stmt *s = prep(st,
                           "INSERT INTO feedback (feedback, domain, effect, scope, type, metric, "
                           "meta, dataset_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                           err, "add feedback");
    if (!s)
        return err->code;
    const char *v[7] = {text, domain, effect, scope, type, metric, meta_json};
    for (int i = 0; i < 7; i++)
        store_bind_text(s, i + 1, v[i]);
    if (dataset_id > 0)
        sqlite3_bind_int64(s, 8, dataset_id);
    int rc = store_step_finalize(st, s, err, "add feedback");
    if (rc == PS_OK) {
        *id = sqlite3_last_insert_rowid(st->db);
        if (dataset_id > 0)
            rc = store_dataset_refresh_counts(st, dataset_id, err);
    }
    return rc;
}

int
store_crit_feedback_list(struct store *st, int64_t id, store_row_fn fn, void *ud,
                         struct ps_err *err)
{
    sqlite3_stmt *s = prep(
        st,
        "SELECT f.id, d.name AS dataset, f.feedback, f.domain, f.effect, f.scope, f.type,"
        " f.metric, f.status, f.meta, f.created_at,"
        " (SELECT count(*) FROM critique c WHERE c.feedback_id = f.id AND c.scope = 'in') AS n_in,"
        " (SELECT count(*) FROM critique c WHERE c.feedback_id = f.id AND c.scope = 'near') AS "
        "n_near,"
        " (SELECT count(*) FROM critique c WHERE c.feedback_id = f.id AND c.scope = 'out') AS "
        "n_out,"
        " (SELECT count(*) FROM critique c WHERE c.feedback_id = f.id AND c.status = "
        "'accepted') AS accepted,"
        " (SELECT count(*) FROM critique c WHERE c.feedback_id = f.id AND c.status = "
        "'rejected') AS rejected,"
        " (SELECT count(*) FROM critique c WHERE c.feedback_id = f.id AND c.status = 'pending')"
        " AS pending,"
        " (SELECT count(*) FROM critique c WHERE c.feedback_id = f.id AND c.error IS NOT NULL)"
        " AS failed,"
        " (SELECT count(*) FROM critique_category k WHERE k.feedback_id = f.id) AS n_categories"
        " FROM feedback f LEFT JOIN dataset d ON d.id = f.dataset_id"
        " WHERE ?1 = 0 OR f.id = ?1 ORDER BY f.id",
        err, "list feedback");
    if (!s)
        return err->code;
    sqlite3_bind_int64(s, 1, id);
    return run_rows(st, s, fn, ud, err, "list feedback");
}

static int
in_list(const char *field, const char *const *allowed)
{
    for (int i = 0; allowed[i]; i++)
        if (strcmp(field, allowed[i]) == 0)
            return 1;
    return 0;
}

/* UPDATE table SET field = value (field already checked against a whitelist) and
 * record the edit, in one savepoint. */
static int
set_field(struct store *st, const char *table, const char *target, int64_t id, const char *field,
          const char *value, const char *author, struct ps_err *err)
{
    char sql[256];
    if (exec_sql(st, "SAVEPOINT crit_set", err, "edit") != PS_OK)
        return err->code;
    snprintf(sql, sizeof sql, "SELECT %s FROM %s WHERE id = ?1", field, table);
    sqlite3_stmt *s = prep(st, sql, err, "edit");
    int rc = s ? PS_OK : err->code;
    char *old = NULL;
    if (s) {
        sqlite3_bind_int64(s, 1, id);
        int r = sqlite3_step(s);
        if (r == SQLITE_ROW)
            old = store_col_strdup(s, 0);
        else if (r == SQLITE_DONE)
            rc = ps_error(err, PS_ERR_NOTFOUND, "no %s with id %lld", target, (long long)id);
        else
            rc = store_dberr(st, err, "edit");
        sqlite3_finalize(s);
    }
    if (rc == PS_OK) {
        if (strcmp(table, "critique") == 0)
            snprintf(
                sql, sizeof sql,
                "UPDATE critique SET %s = ?2, updated_at = strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ',"
                "'now')%s WHERE id = ?1",
                field, strcmp(field, "prompt") == 0 ? ", prompt_key = ?3" : "");
        else
            snprintf(sql, sizeof sql, "UPDATE %s SET %s = ?2 WHERE id = ?1", table, field);
        s = prep(st, sql, err, "edit");
        rc = s ? PS_OK : err->code;
        if (s) {
            sqlite3_bind_int64(s, 1, id);
            store_bind_text(s, 2, value);
            char *key = NULL;
            if (strcmp(table, "critique") == 0 && strcmp(field, "prompt") == 0) {
                struct strbuf k = STRBUF_INIT;
                store_crit_prompt_key(value ? value : "", &k);
                key = sb_take(&k);
                store_bind_text(s, 3, key);
            }
            rc = store_step_finalize(st, s, err, "edit");
            free(key);
        }
    }
    if (rc == PS_OK && author) {
        s = prep(st,
                 "INSERT INTO critique_edit (target, target_id, field, old_value, new_value, "
                 "author) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                 err, "record edit");
        rc = s ? PS_OK : err->code;
        if (s) {
            store_bind_text(s, 1, target);
            sqlite3_bind_int64(s, 2, id);
            store_bind_text(s, 3, field);
            store_bind_text(s, 4, old);
            store_bind_text(s, 5, value);
            store_bind_text(s, 6, author);
            rc = store_step_finalize(st, s, err, "record edit");
        }
    }
    free(old);
    if (rc != PS_OK) {
        sqlite3_exec(st->db, "ROLLBACK TO crit_set; RELEASE crit_set", NULL, NULL, NULL);
        return rc;
    }
    rc = exec_sql(st, "RELEASE crit_set", err, "edit");
    if (rc != PS_OK) /* never leave the connection inside the savepoint's transaction */
        sqlite3_exec(st->db, "ROLLBACK TO crit_set; RELEASE crit_set", NULL, NULL, NULL);
    return rc;
}

static const char *const fb_fields[] = {"feedback", "domain", "effect", "scope", "type",
                                        "metric",   "status", "meta",   NULL};
static const char *const item_fields[] = {"prompt",     "baseline", "revised", "critique",
                                          "in_context", "cot",      "status",  "error",
                                          "category",   "split",    NULL};

int
store_crit_feedback_set(struct store *st, int64_t id, const char *field, const char *value,
                        const char *author, struct ps_err *err)
{
    if (!in_list(field, fb_fields))
        return ps_error(err, PS_ERR_USAGE,
                        "feedback has no editable field '%.60s' (feedback, domain, effect, "
                        "scope, type, metric, status, meta)",
                        field);
    return set_field(st, "feedback", "feedback", id, field, value, author, err);
}

int
store_crit_category_add(struct store *st, int64_t feedback_id, const char *text,
                        const char *meta_json, int64_t *id, int *is_new, struct ps_err *err)
{
    sqlite3_stmt *s = prep(st,
                           "INSERT INTO critique_category (feedback_id, text, meta) VALUES (?1, "
                           "?2, ?3) ON CONFLICT (feedback_id, text) DO NOTHING",
                           err, "add category");
    if (!s)
        return err->code;
    sqlite3_bind_int64(s, 1, feedback_id);
    store_bind_text(s, 2, text);
    store_bind_text(s, 3, meta_json);
    int rc = store_step_finalize(st, s, err, "add category");
    if (rc != PS_OK)
        return rc;
    *is_new = sqlite3_changes(st->db) > 0;
    s = prep(st, "SELECT id FROM critique_category WHERE feedback_id = ?1 AND text = ?2", err,
             "add category");
    if (!s)
        return err->code;
    sqlite3_bind_int64(s, 1, feedback_id);
    store_bind_text(s, 2, text);
    rc = sqlite3_step(s) == SQLITE_ROW ? PS_OK : store_dberr(st, err, "add category");
    if (rc == PS_OK)
        *id = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return rc;
}

int
store_crit_category_list(struct store *st, int64_t feedback_id, store_row_fn fn, void *ud,
                         struct ps_err *err)
{
    sqlite3_stmt *s = prep(st,
                           "SELECT id, feedback_id, text, meta, created_at FROM critique_category"
                           " WHERE feedback_id = ?1 ORDER BY id",
                           err, "list categories");
    if (!s)
        return err->code;
    sqlite3_bind_int64(s, 1, feedback_id);
    return run_rows(st, s, fn, ud, err, "list categories");
}

static void
store_crit_prompt_key(const char *p, struct strbuf *sb)
{
    size_t n = strlen(p);
    int space = 0;
    char enc[4];
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        i += (size_t)utf8_decode(p + i, n - i, &cp);
        if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0xA0) {
            space = sb->len > 0;
            continue;
        }
        if (space)
            sb_putc(sb, ' ');
        space = 0;
        sb_append(sb, enc, (size_t)utf8_encode(metric_fold_cp(cp), enc));
    }
    while (sb->len && strchr(".?!", sb_str(sb)[sb->len - 1]))
        sb->len--, sb->p[sb->len] = 0;
}

int
store_crit_item_add(struct store *st, int64_t feedback_id, const char *scope, int64_t category_id,
                    const char *prompt, const char *split, const char *meta_json, int64_t *id,
                    int *is_new, struct ps_err *err)
{
    if (!scope || (strcmp(scope, "in") && strcmp(scope, "near") && strcmp(scope, "out")))
        return ps_error(err, PS_ERR_USAGE, "critique scope must be in, near or out, not '%.40s'",
                        scope ? scope : "");
    if (!prompt || !*prompt)
        return ps_error(err, PS_ERR_USAGE, "critique: the prompt is empty");
    struct strbuf key = STRBUF_INIT;
    store_crit_prompt_key(prompt, &key);
    sqlite3_stmt *s = prep(st,
                           "INSERT INTO critique (feedback_id, scope, category_id, category, "
                           "prompt, prompt_key, split, meta) VALUES (?1, ?2, ?3, (SELECT text FROM "
                           "critique_category WHERE id = ?3), ?4, ?5, ?6, ?7)"
                           " ON CONFLICT (feedback_id, prompt_key) DO NOTHING",
                           err, "add critique");
    int rc = s ? PS_OK : err->code;
    if (s) {
        sqlite3_bind_int64(s, 1, feedback_id);
        store_bind_text(s, 2, scope);
        if (category_id > 0)
            sqlite3_bind_int64(s, 3, category_id);
        store_bind_text(s, 4, prompt);
        store_bind_text(s, 5, sb_str(&key));
        store_bind_text(s, 6, split ? split : "train");
        store_bind_text(s, 7, meta_json);
        rc = store_step_finalize(st, s, err, "add critique");
    }
    if (rc == PS_OK) {
        *is_new = sqlite3_changes(st->db) > 0;
        s = prep(st, "SELECT id FROM critique WHERE feedback_id = ?1 AND prompt_key = ?2", err,
                 "add critique");
        rc = s ? PS_OK : err->code;
        if (s) {
            sqlite3_bind_int64(s, 1, feedback_id);
            store_bind_text(s, 2, sb_str(&key));
            rc = sqlite3_step(s) == SQLITE_ROW ? PS_OK : store_dberr(st, err, "add critique");
            if (rc == PS_OK)
                *id = sqlite3_column_int64(s, 0);
            sqlite3_finalize(s);
        }
    }
    sb_free(&key);
    return rc;
}

int
store_crit_item_list(struct store *st, int64_t feedback_id, int64_t id_only, const char *scope,
                     const char *status, const char *split, store_row_fn fn, void *ud,
                     struct ps_err *err)
{
    sqlite3_stmt *s =
        prep(st,
             "SELECT id, feedback_id, scope, category_id, category, prompt, baseline, revised,"
             " critique, in_context, cot, status, split, error, meta, created_at, updated_at,"
             " (SELECT count(*) FROM critique_edit e WHERE e.target = 'critique' AND"
             "  e.target_id = critique.id AND e.undone = 0) AS n_edits"
             " FROM critique WHERE (?1 > 0 AND id = ?1) OR (?1 = 0 AND feedback_id = ?2"
             " AND (?3 IS NULL OR scope = ?3) AND (?4 IS NULL OR status = ?4"
             "  OR (?4 = 'failed' AND error IS NOT NULL)) AND (?5 IS NULL OR split = ?5))"
             " ORDER BY id",
             err, "list critiques");
    if (!s)
        return err->code;
    sqlite3_bind_int64(s, 1, id_only);
    sqlite3_bind_int64(s, 2, feedback_id);
    store_bind_text(s, 3, scope);
    store_bind_text(s, 4, status);
    store_bind_text(s, 5, split);
    return run_rows(st, s, fn, ud, err, "list critiques");
}

int
store_crit_item_set(struct store *st, int64_t id, const char *field, const char *value,
                    const char *author, struct ps_err *err)
{
    if (!in_list(field, item_fields))
        return ps_error(err, PS_ERR_USAGE,
                        "a critique item has no editable field '%.60s' (prompt, baseline, "
                        "revised, critique, in_context, cot, status, error, category, split)",
                        field);
    if (strcmp(field, "status") == 0 && value && strcmp(value, "pending") &&
        strcmp(value, "accepted") && strcmp(value, "rejected"))
        return ps_error(err, PS_ERR_USAGE,
                        "critique status must be pending, accepted or rejected, not '%.40s'",
                        value);
    return set_field(st, "critique", "critique", id, field, value, author, err);
}

int
store_crit_item_meta(struct store *st, int64_t id, const char *patch_json, struct ps_err *err)
{
    sqlite3_stmt *s = prep(st,
                           "UPDATE critique SET meta = json_patch(coalesce(meta, '{}'), ?2)"
                           " WHERE id = ?1",
                           err, "critique meta");
    if (!s)
        return err->code;
    sqlite3_bind_int64(s, 1, id);
    store_bind_text(s, 2, patch_json);
    return store_step_finalize(st, s, err, "critique meta");
}

int
store_crit_undo(struct store *st, const char *target, int64_t id, const char *author, char **field,
                struct ps_err *err)
{
    *field = NULL;
    int is_item = strcmp(target, "critique") == 0;
    if (!is_item && strcmp(target, "feedback"))
        return ps_error(err, PS_ERR_USAGE, "undo: target must be critique or feedback");
    sqlite3_stmt *s = prep(st,
                           "SELECT id, field, old_value FROM critique_edit WHERE target = ?1 AND "
                           "target_id = ?2 AND undone = 0 AND author NOT LIKE 'undo:%'"
                           " ORDER BY id DESC LIMIT 1",
                           err, "undo");
    if (!s)
        return err->code;
    store_bind_text(s, 1, target);
    sqlite3_bind_int64(s, 2, id);
    int r = sqlite3_step(s);
    if (r != SQLITE_ROW) {
        sqlite3_finalize(s);
        return r == SQLITE_DONE ? PS_OK : store_dberr(st, err, "undo");
    }
    int64_t edit = sqlite3_column_int64(s, 0);
    char *f = store_col_strdup(s, 1), *old = store_col_strdup(s, 2);
    sqlite3_finalize(s);
    struct strbuf who = STRBUF_INIT;
    sb_printf(&who, "undo:%s", author ? author : "");
    int rc = exec_sql(st, "SAVEPOINT crit_undo", err, "undo");
    if (rc == PS_OK)
        rc = is_item ? store_crit_item_set(st, id, f, old, sb_str(&who), err)
                     : store_crit_feedback_set(st, id, f, old, sb_str(&who), err);
    if (rc == PS_OK) {
        s = prep(st, "UPDATE critique_edit SET undone = 1 WHERE id = ?1", err, "undo");
        rc = s ? PS_OK : err->code;
        if (s) {
            sqlite3_bind_int64(s, 1, edit);
            rc = store_step_finalize(st, s, err, "undo");
        }
    }
    if (rc == PS_OK)
        rc = exec_sql(st, "RELEASE crit_undo", err, "undo");
    if (rc != PS_OK) /* also when the RELEASE itself failed: leave no transaction open */
        sqlite3_exec(st->db, "ROLLBACK TO crit_undo; RELEASE crit_undo", NULL, NULL, NULL);
    sb_free(&who);
    free(old);
    if (rc == PS_OK)
        *field = f;
    else
        free(f);
    return rc;
}

int
store_crit_edits(struct store *st, const char *target, int64_t id, store_row_fn fn, void *ud,
                 struct ps_err *err)
{
    sqlite3_stmt *s = prep(st,
                           "SELECT id, target, target_id, field, old_value, new_value, author,"
                           " undone, created_at FROM critique_edit WHERE target = ?1 AND"
                           " target_id = ?2 ORDER BY id",
                           err, "list edits");
    if (!s)
        return err->code;
    store_bind_text(s, 1, target);
    sqlite3_bind_int64(s, 2, id);
    return run_rows(st, s, fn, ud, err, "list edits");
}

static void
bind_num(sqlite3_stmt *s, int i, double v)
{
    if (isnan(v))
        sqlite3_bind_null(s, i);
    else
        sqlite3_bind_double(s, i, v);
}

int
store_crit_eval_put(struct store *st, const struct store_crit_eval *e, struct ps_err *err)
{
    sqlite3_stmt *s = prep(st,
                           "INSERT OR REPLACE INTO critique_eval (critique_id, run, candidate, "
                           "kind, swap, score, success, baseline_metric, candidate_metric, "
                           "rationale, judge, meta) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                           "?10, ?11, ?12)",
                           err, "store evaluation");
    if (!s)
        return err->code;
    sqlite3_bind_int64(s, 1, e->critique_id);
    store_bind_text(s, 2, e->run);
    store_bind_text(s, 3, e->candidate);
    store_bind_text(s, 4, e->kind);
    sqlite3_bind_int(s, 5, e->swap);
    bind_num(s, 6, e->score);
    if (e->success < 0)
        sqlite3_bind_null(s, 7);
    else
        sqlite3_bind_int(s, 7, e->success);
    bind_num(s, 8, e->baseline_metric);
    bind_num(s, 9, e->candidate_metric);
    store_bind_text(s, 10, e->rationale);
    store_bind_text(s, 11, e->judge);
    store_bind_text(s, 12, e->meta_json);
    return store_step_finalize(st, s, err, "store evaluation");
}

int
store_crit_eval_list(struct store *st, int64_t feedback_id, const char *run, store_row_fn fn,
                     void *ud, struct ps_err *err)
{
    sqlite3_stmt *s = prep(st,
                           "SELECT e.id, e.critique_id, c.scope, e.run, e.candidate, e.kind,"
                           " e.swap, e.score, e.success, e.baseline_metric, e.candidate_metric,"
                           " e.rationale, e.judge, e.meta, e.created_at FROM critique_eval e"
                           " JOIN critique c ON c.id = e.critique_id WHERE c.feedback_id = ?1"
                           " AND (?2 IS NULL OR e.run = ?2) ORDER BY e.run, e.critique_id, e.swap",
                           err, "list evaluation");
    if (!s)
        return err->code;
    sqlite3_bind_int64(s, 1, feedback_id);
    store_bind_text(s, 2, run);
    return run_rows(st, s, fn, ud, err, "list evaluation");
}
