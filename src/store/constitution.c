/* ICAI constitutions in the workspace (see constitution.h). */
#include "store/constitution.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "core/xalloc.h"
#include "store/internal.h"

static int
prepare(struct store *st, const char *sql, sqlite3_stmt **s, struct ps_err *err, const char *what)
{
    if (sqlite3_prepare_v2(st->db, sql, -1, s, NULL) != SQLITE_OK)
        return store_dberr(st, err, what);
    return PS_OK;
}

int
store_icai_pairs(struct store *st, int64_t dataset_id, const char *annotator, int with_text,
                 store_icai_pair_fn fn, void *ud, struct ps_err *err)
{
    /* the annotator's first judgment of responses 0 and 1, turned to that order */
#define ICAI_PAIRS_FROM \
    " (SELECT CASE WHEN j.response_a = r0.id THEN j.verdict" \
    "   WHEN j.verdict = 'A' THEN 'B' WHEN j.verdict = 'B' THEN 'A' ELSE j.verdict END" \
    "  FROM judgment j WHERE j.item_id = i.id AND j.annotator = ?2" \
    "   AND ((j.response_a = r0.id AND j.response_b = r1.id)" \
    "     OR (j.response_a = r1.id AND j.response_b = r0.id)) ORDER BY j.id LIMIT 1)" \
    " FROM item i JOIN response r0 ON r0.item_id = i.id AND r0.idx = 0" \
    " JOIN response r1 ON r1.item_id = i.id AND r1.idx = 1" \
    " WHERE i.dataset_id = ?1 ORDER BY i.seq"
    static const char sql_text[] =
        "SELECT i.id, i.seq, i.prompt, r0.text, r1.text," ICAI_PAIRS_FROM;
    static const char sql_bare[] = "SELECT i.id, i.seq, NULL, NULL, NULL," ICAI_PAIRS_FROM;
#undef ICAI_PAIRS_FROM
    sqlite3_stmt *s;
    if (prepare(st, with_text ? sql_text : sql_bare, &s, err, "icai pairs") != PS_OK)
        return err->code;
    sqlite3_bind_int64(s, 1, dataset_id);
    store_bind_text(s, 2, annotator ? annotator : "");
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_icai_pair p;
        p.item_id = sqlite3_column_int64(s, 0);
        p.seq = sqlite3_column_int64(s, 1);
        p.prompt = (const char *)sqlite3_column_text(s, 2);
        p.a = (const char *)sqlite3_column_text(s, 3);
        p.b = (const char *)sqlite3_column_text(s, 4);
        const char *v = (const char *)sqlite3_column_text(s, 5);
        p.label = !v                      ? -1
                  : strcmp(v, "A") == 0   ? 0
                  : strcmp(v, "B") == 0   ? 1
                  : strcmp(v, "tie") == 0 ? 2
                                          : 3;
        stop = fn(ud, &p, err);
    }
    sqlite3_finalize(s);
    if (stop)
        return stop;
    if (rc != SQLITE_DONE)
        return store_dberr(st, err, "icai pairs");
    return PS_OK;
}

struct label_walk {
    signed char *labels;
    int64_t n;
};

static int
take_label(void *ud, const struct store_icai_pair *pp, struct ps_err *err)
{
    (void)err;
    struct label_walk *w = ud;
    if (pp->seq >= 0 && pp->seq < w->n)
        w->labels[pp->seq] = (signed char)pp->label;
    return 0;
}

int
store_icai_labels(struct store *st, int64_t dataset_id, const char *annotator, signed char *labels,
                  int64_t n, struct ps_err *err)
{
    memset(labels, -1, (size_t)n);
    struct label_walk w = {labels, n};
    return store_icai_pairs(st, dataset_id, annotator, 0, take_label, &w, err);
}

int
store_icai_annotators(struct store *st, int64_t dataset_id, char ***names, int64_t **counts, int *n,
                      struct ps_err *err)
{
    sqlite3_stmt *s;
    *names = NULL;
    *counts = NULL;
    *n = 0;
    if (prepare(st,
                "SELECT j.annotator, count(*) FROM judgment j JOIN item i ON i.id = j.item_id"
                " WHERE i.dataset_id = ?1 GROUP BY j.annotator"
                " ORDER BY j.annotator = 'dataset' DESC, count(*) DESC, j.annotator",
                &s, err, "annotators") != PS_OK)
        return err->code;
    sqlite3_bind_int64(s, 1, dataset_id);
    int rc, cap = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int cap2 = cap;
        *names = xgrow(*names, sizeof **names, *n, &cap, 8);
        *counts = xgrow(*counts, sizeof **counts, *n, &cap2, 8);
        (*names)[*n] = store_col_strdup(s, 0);
        (*counts)[*n] = sqlite3_column_int64(s, 1);
        (*n)++;
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return store_dberr(st, err, "annotators");
    return PS_OK;
}

int
store_icai_default_annotator(struct store *st, int64_t dataset_id, char **out, struct ps_err *err)
{
    char **names;
    int64_t *counts;
    int n;
    *out = NULL;
    if (store_icai_annotators(st, dataset_id, &names, &counts, &n, err) != PS_OK)
        return err->code;
    if (n)
        *out = names[0];
    for (int i = 1; i < n; i++)
        free(names[i]);
    free(names);
    free(counts);
    if (!*out)
        return ps_error(err, PS_ERR_NOTFOUND, "the dataset has no judgments to learn from");
    return PS_OK;
}

void
store_constitution_free(struct store_constitution *c)
{
    free(c->name);
    free(c->method);
    free(c->params);
    free(c->created_at);
    free(c->dataset);
    memset(c, 0, sizeof *c);
}

void
store_constitution_list_free(struct store_constitution *v, int n)
{
    for (int i = 0; i < n; i++)
        store_constitution_free(&v[i]);
    free(v);
}

int
store_constitution_create(struct store *st, int64_t dataset_id, const char *name,
                          const char *method, const char *params_json, int64_t *id,
                          struct ps_err *err)
{
    sqlite3_stmt *s;
    if (prepare(st, "SELECT 1 FROM constitution WHERE dataset_id = ?1 AND name = ?2", &s, err,
                "constitution") != PS_OK)
        return err->code;
    sqlite3_bind_int64(s, 1, dataset_id);
    store_bind_text(s, 2, name);
    int exists = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    if (exists)
        return ps_error(err, PS_ERR_EXISTS, "a constitution named '%s' already exists", name);
    if (prepare(st,
                "INSERT INTO constitution (dataset_id, name, method, params) VALUES (?1,?2,?3,?4)",
                &s, err, "create constitution") != PS_OK)
        return err->code;
    sqlite3_bind_int64(s, 1, dataset_id);
    store_bind_text(s, 2, name);
    store_bind_text(s, 3, method);
    store_bind_text(s, 4, params_json);
    if (store_step_finalize(st, s, err, "create constitution") != PS_OK)
        return err->code;
    *id = sqlite3_last_insert_rowid(st->db);
    return PS_OK;
}

int
store_constitution_set_params(struct store *st, int64_t id, const char *params_json,
                              struct ps_err *err)
{
    sqlite3_stmt *s;
    if (prepare(st, "UPDATE constitution SET params = ?2 WHERE id = ?1", &s, err,
                "constitution params") != PS_OK)
        return err->code;
    sqlite3_bind_int64(s, 1, id);
    store_bind_text(s, 2, params_json);
    return store_step_finalize(st, s, err, "constitution params");
}

#define CONST_COLS \
    "SELECT c.id, c.dataset_id, c.name, c.method, c.params, c.created_at, d.name," \
    " (SELECT count(*) FROM principle p WHERE p.constitution_id = c.id)," \
    " (SELECT count(*) FROM principle p WHERE p.constitution_id = c.id AND p.rank > 0)" \
    " FROM constitution c LEFT JOIN dataset d ON d.id = c.dataset_id "

static void
read_constitution(sqlite3_stmt *s, struct store_constitution *c)
{
    c->id = sqlite3_column_int64(s, 0);
    c->dataset_id = sqlite3_column_int64(s, 1);
    c->name = store_col_strdup(s, 2);
    c->method = store_col_strdup(s, 3);
    c->params = store_col_strdup(s, 4);
    c->created_at = store_col_strdup(s, 5);
    c->dataset = store_col_strdup(s, 6);
    c->n_principles = sqlite3_column_int(s, 7);
    c->n_ranked = sqlite3_column_int(s, 8);
}

int
store_constitution_list(struct store *st, int64_t dataset_id, struct store_constitution **out,
                        int *n, struct ps_err *err)
{
    sqlite3_stmt *s;
    *out = NULL;
    *n = 0;
    if (prepare(st, CONST_COLS "WHERE ?1 = 0 OR c.dataset_id = ?1 ORDER BY c.id", &s, err,
                "list constitutions") != PS_OK)
        return err->code;
    sqlite3_bind_int64(s, 1, dataset_id);
    int rc, cap = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        *out = xgrow(*out, sizeof **out, *n, &cap, 8);
        read_constitution(s, &(*out)[(*n)++]);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return store_dberr(st, err, "list constitutions");
    return PS_OK;
}

int
store_constitution_find(struct store *st, const char *ref, struct store_constitution *out,
                        struct ps_err *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s;
    if (prepare(st,
                CONST_COLS "WHERE CAST(c.id AS TEXT) = ?1 OR c.name = ?1"
                           " OR d.name || '/' || c.name = ?1"
                           " ORDER BY CAST(c.id AS TEXT) = ?1 DESC, c.id DESC",
                &s, err, "find constitution") != PS_OK)
        return err->code;
    store_bind_text(s, 1, ref);
    int rc = sqlite3_step(s), count = 0;
    if (rc == SQLITE_ROW) {
        read_constitution(s, out);
        int by_id = strcmp(ref, "") != 0 && strtoll(ref, NULL, 10) == out->id;
        count = 1;
        while (!by_id && sqlite3_step(s) == SQLITE_ROW)
            count++;
        if (by_id)
            count = 1;
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_dberr(st, err, "find constitution");
    if (!count)
        return ps_error(err, PS_ERR_NOTFOUND,
                        "no constitution '%.200s' (prefscope icai ls lists them)", ref);
    if (count > 1) {
        store_constitution_free(out);
        return ps_error(err, PS_ERR_USAGE,
                        "'%.200s' names %d constitutions: give its id or DATASET/NAME", ref, count);
    }
    return PS_OK;
}

int
store_constitution_delete(struct store *st, int64_t id, struct ps_err *err)
{
    sqlite3_stmt *s;
    if (prepare(st, "DELETE FROM constitution WHERE id = ?1", &s, err, "delete constitution") !=
        PS_OK)
        return err->code;
    sqlite3_bind_int64(s, 1, id);
    return store_step_finalize(st, s, err, "delete constitution");
}

void
store_principle_list_free(struct store_principle *v, int n)
{
    for (int i = 0; i < n; i++) {
        free(v[i].text);
        free(v[i].kind);
        free(v[i].stats);
    }
    free(v);
}

int
store_principle_list(struct store *st, int64_t constitution_id, struct store_principle **out,
                     int *n, struct ps_err *err)
{
    sqlite3_stmt *s;
    *out = NULL;
    *n = 0;
    if (prepare(st,
                "SELECT id, text, kind, coalesce(rank, 0), stats FROM principle"
                " WHERE constitution_id = ?1"
                " ORDER BY coalesce(rank, 0) = 0, rank, id",
                &s, err, "list principles") != PS_OK)
        return err->code;
    sqlite3_bind_int64(s, 1, constitution_id);
    int rc, cap = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        *out = xgrow(*out, sizeof **out, *n, &cap, 16);
        struct store_principle *p = &(*out)[(*n)++];
        p->id = sqlite3_column_int64(s, 0);
        p->text = store_col_strdup(s, 1);
        p->kind = store_col_strdup(s, 2);
        p->rank = sqlite3_column_int(s, 3);
        p->stats = store_col_strdup(s, 4);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return store_dberr(st, err, "list principles");
    return PS_OK;
}

int
store_principle_add(struct store *st, int64_t constitution_id, const char *text, const char *kind,
                    int rank, const char *stats_json, int64_t *id, struct ps_err *err)
{
    sqlite3_stmt *s;
    if (prepare(st,
                "INSERT INTO principle (constitution_id, text, kind, rank, stats)"
                " VALUES (?1, ?2, ?3, ?4, ?5)",
                &s, err, "add principle") != PS_OK)
        return err->code;
    sqlite3_bind_int64(s, 1, constitution_id);
    store_bind_text(s, 2, text);
    store_bind_text(s, 3, kind);
    if (rank > 0)
        sqlite3_bind_int(s, 4, rank);
    else
        sqlite3_bind_null(s, 4);
    store_bind_text(s, 5, stats_json);
    if (store_step_finalize(st, s, err, "add principle") != PS_OK)
        return err->code;
    if (id)
        *id = sqlite3_last_insert_rowid(st->db);
    return PS_OK;
}

int
store_principle_update(struct store *st, int64_t principle_id, int rank, const char *stats_json,
                       struct ps_err *err)
{
    sqlite3_stmt *s;
    if (prepare(st, "UPDATE principle SET rank = ?2, stats = ?3 WHERE id = ?1", &s, err,
                "update principle") != PS_OK)
        return err->code;
    sqlite3_bind_int64(s, 1, principle_id);
    if (rank > 0)
        sqlite3_bind_int(s, 2, rank);
    else
        sqlite3_bind_null(s, 2);
    store_bind_text(s, 3, stats_json);
    return store_step_finalize(st, s, err, "update principle");
}

/* Votes are written VOTES_BATCH rows per statement: one multi-row INSERT runs
 * noticeably faster than as many single-row ones on millions of rows. */
enum { VOTES_BATCH = 64 };

struct store_votes {
    struct store *st;
    sqlite3_stmt *one, *many;
    int64_t pid[VOTES_BATCH], item[VOTES_BATCH];
    const char *vote[VOTES_BATCH]; /* static strings or caller-kept; see the header */
    char buf[VOTES_BATCH][8];
    int n;
};

int
store_votes_open(struct store *st, struct store_votes **out, struct ps_err *err)
{
    struct store_votes *v = xcalloc(1, sizeof *v);
    v->st = st;
    struct strbuf sql = STRBUF_INIT;
    sb_puts(&sql, "INSERT OR REPLACE INTO principle_vote (principle_id, item_id, vote) VALUES ");
    for (int i = 0; i < VOTES_BATCH; i++)
        sb_puts(&sql, i ? ",(?,?,?)" : "(?,?,?)");
    int rc = prepare(st,
                     "INSERT OR REPLACE INTO principle_vote (principle_id, item_id, vote)"
                     " VALUES (?1, ?2, ?3)",
                     &v->one, err, "votes");
    if (rc == PS_OK)
        rc = prepare(st, sb_str(&sql), &v->many, err, "votes");
    sb_free(&sql);
    if (rc != PS_OK) {
        sqlite3_finalize(v->one);
        free(v);
        return err->code;
    }
    *out = v;
    return PS_OK;
}

static int
votes_flush(struct store_votes *v, struct ps_err *err)
{
    int rc = SQLITE_DONE;
    if (v->n == VOTES_BATCH) {
        for (int i = 0; i < v->n; i++) {
            sqlite3_bind_int64(v->many, 3 * i + 1, v->pid[i]);
            sqlite3_bind_int64(v->many, 3 * i + 2, v->item[i]);
            sqlite3_bind_text(v->many, 3 * i + 3, v->buf[i], -1, SQLITE_STATIC);
        }
        rc = sqlite3_step(v->many);
        sqlite3_reset(v->many);
    } else {
        for (int i = 0; i < v->n && rc == SQLITE_DONE; i++) {
            sqlite3_bind_int64(v->one, 1, v->pid[i]);
            sqlite3_bind_int64(v->one, 2, v->item[i]);
            sqlite3_bind_text(v->one, 3, v->buf[i], -1, SQLITE_STATIC);
            rc = sqlite3_step(v->one);
            sqlite3_reset(v->one);
        }
    }
    v->n = 0;
    if (rc != SQLITE_DONE)
        return store_dberr(v->st, err, "store vote");
    return PS_OK;
}

int
store_votes_put(struct store_votes *v, int64_t principle_id, int64_t item_id, const char *vote,
                struct ps_err *err)
{
    v->pid[v->n] = principle_id;
    v->item[v->n] = item_id;
    snprintf(v->buf[v->n], sizeof v->buf[v->n], "%s", vote ? vote : "invalid");
    if (++v->n == VOTES_BATCH)
        return votes_flush(v, err);
    return PS_OK;
}

int
store_votes_close(struct store_votes *v, struct ps_err *err)
{
    if (!v)
        return PS_OK;
    int rc = err ? votes_flush(v, err) : PS_OK;
    sqlite3_finalize(v->one);
    sqlite3_finalize(v->many);
    free(v);
    return rc;
}

int
store_votes_foreach(struct store *st, int64_t constitution_id, int64_t principle_id,
                    store_vote_fn fn, void *ud, struct ps_err *err)
{
    sqlite3_stmt *s;
    if (prepare(st,
                "SELECT v.principle_id, v.item_id, i.seq, v.vote FROM principle p"
                " JOIN principle_vote v ON v.principle_id = p.id JOIN item i ON i.id = v.item_id"
                " WHERE p.constitution_id = ?1 AND (?2 = 0 OR p.id = ?2)"
                " ORDER BY p.id, i.seq",
                &s, err, "votes") != PS_OK)
        return err->code;
    sqlite3_bind_int64(s, 1, constitution_id);
    sqlite3_bind_int64(s, 2, principle_id);
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW)
        stop = fn(ud, sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
                  sqlite3_column_int64(s, 2), (const char *)sqlite3_column_text(s, 3));
    sqlite3_finalize(s);
    if (stop)
        return stop;
    if (rc != SQLITE_DONE)
        return store_dberr(st, err, "votes");
    return PS_OK;
}

int
store_item_votes(struct store *st, int64_t dataset_id, int64_t item_id, int64_t *constitution_id,
                 store_item_vote_fn fn, void *ud, struct ps_err *err)
{
    sqlite3_stmt *s;
    *constitution_id = 0;
    if (prepare(st, "SELECT max(id) FROM constitution WHERE dataset_id = ?1", &s, err,
                "item votes") != PS_OK)
        return err->code;
    sqlite3_bind_int64(s, 1, dataset_id);
    if (sqlite3_step(s) == SQLITE_ROW)
        *constitution_id = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    if (!*constitution_id)
        return PS_OK;
    if (prepare(st,
                "SELECT p.text, coalesce(p.rank, 0), v.vote FROM principle p"
                " JOIN principle_vote v ON v.principle_id = p.id AND v.item_id = ?2"
                " WHERE p.constitution_id = ?1 ORDER BY coalesce(p.rank, 0) = 0, p.rank, p.id",
                &s, err, "item votes") != PS_OK)
        return err->code;
    sqlite3_bind_int64(s, 1, *constitution_id);
    sqlite3_bind_int64(s, 2, item_id);
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW)
        stop = fn(ud, (const char *)sqlite3_column_text(s, 0), sqlite3_column_int(s, 1),
                  (const char *)sqlite3_column_text(s, 2));
    sqlite3_finalize(s);
    if (stop)
        return stop;
    if (rc != SQLITE_DONE)
        return store_dberr(st, err, "item votes");
    return PS_OK;
}
