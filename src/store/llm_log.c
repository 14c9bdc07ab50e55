#include "store/llm_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/strbuf.h"
#include "core/xalloc.h"
#include "store/internal.h"

struct llm_log {
    struct store *st;
    sqlite3_stmt *ins, *find, *begin_read, *end_read;
};

static const char llm_log_ins_sql[] =
    "INSERT INTO llm_call (cache_key, provider, base_url, model, model_name, endpoint, request,"
    " response, text, status, http_status, error, error_kind, prompt_tokens, completion_tokens,"
    " latency_ms, ttfb_ms, cost, attempts, sample_index, resolved_model, finish_reason, request_id,"
    " created_at)"
    " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,"
    "?24)";
/* The index llm_call_key16 (schema migration 10) is on the key's first 16 hex digits;
 * the unary + keeps sqlite 3.40 from planning a scan by id for `cache_key = ?1`
 * (llm_log_check_plan tests the plan). */
static const char llm_log_find_sql[] =
    "SELECT id, response, request_id, resolved_model, prompt_tokens, completion_tokens, "
    "latency_ms, cost"
    " FROM llm_call WHERE substr(cache_key, 1, 16) = substr(?1, 1, 16) AND +cache_key = ?1"
    " AND status = 'ok' ORDER BY id DESC LIMIT 1";

int
llm_log_open(struct store *st, struct llm_log **out, struct ps_err *err)
{
    struct llm_log *lg = xcalloc(1, sizeof *lg);
    lg->st = st;
    if (sqlite3_prepare_v3(st->db, llm_log_ins_sql, -1, SQLITE_PREPARE_PERSISTENT, &lg->ins,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v3(st->db, llm_log_find_sql, -1, SQLITE_PREPARE_PERSISTENT, &lg->find,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v3(st->db, "BEGIN", -1, SQLITE_PREPARE_PERSISTENT, &lg->begin_read, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v3(st->db, "COMMIT", -1, SQLITE_PREPARE_PERSISTENT, &lg->end_read, NULL) !=
            SQLITE_OK) {
        store_dberr(st, err, "prepare llm_call");
        llm_log_close(lg);
        return PS_ERR_DB;
    }
    *out = lg;
    return PS_OK;
}

void
llm_log_close(struct llm_log *lg)
{
    if (!lg)
        return;
    sqlite3_finalize(lg->ins);
    sqlite3_finalize(lg->find);
    sqlite3_finalize(lg->begin_read);
    sqlite3_finalize(lg->end_read);
    free(lg);
}

static void
bind_int_or_null(sqlite3_stmt *s, int i, int64_t v)
{
    if (v < 0)
        sqlite3_bind_null(s, i);
    else
        sqlite3_bind_int64(s, i, v);
}

/* The column default's strftime('%Y-%m-%dT%H:%M:%fZ','now'), formatted here once per
 * batch: sqlite's date functions were a fifth of the insert. */
static void
utc_now_iso(char out[64])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ts.tv_nsec / 1000000));
}

static int
insert_one(struct llm_log *lg, const struct llm_log_row *r, const char *created_at, int64_t *id,
           struct ps_err *err)
{
    sqlite3_stmt *s = lg->ins;
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    store_bind_text(s, 1, r->cache_key);
    store_bind_text(s, 2, r->provider);
    store_bind_text(s, 3, r->base_url);
    store_bind_text(s, 4, r->model);
    store_bind_text(s, 5, r->model_name);
    store_bind_text(s, 6, r->endpoint);
    store_bind_text(s, 7, r->request);
    store_bind_text(s, 8, r->response);
    store_bind_text(s, 9, r->text);
    store_bind_text(s, 10, r->status ? r->status : "error");
    if (r->http_status > 0)
        sqlite3_bind_int(s, 11, r->http_status);
    store_bind_text(s, 12, r->error);
    store_bind_text(s, 13, r->error_kind);
    bind_int_or_null(s, 14, r->prompt_tokens);
    bind_int_or_null(s, 15, r->completion_tokens);
    sqlite3_bind_double(s, 16, r->latency_ms);
    if (r->ttfb_ms >= 0)
        sqlite3_bind_double(s, 17, r->ttfb_ms);
    if (r->has_cost)
        sqlite3_bind_double(s, 18, r->cost);
    sqlite3_bind_int(s, 19, r->attempts);
    sqlite3_bind_int(s, 20, r->sample_index);
    store_bind_text(s, 21, r->resolved_model);
    store_bind_text(s, 22, r->finish_reason);
    store_bind_text(s, 23, r->request_id);
    store_bind_text(s, 24, created_at);
    if (sqlite3_step(s) != SQLITE_DONE) {
        int rc = store_dberr(lg->st, err, "log llm call");
        sqlite3_reset(s);
        return rc;
    }
    if (id)
        *id = sqlite3_last_insert_rowid(lg->st->db);
    sqlite3_reset(s);
    return PS_OK;
}

int
llm_log_insert(struct llm_log *lg, const struct llm_log_row *rows, int n, int64_t *ids,
               struct ps_err *err)
{
    /* Inside a caller's transaction the rows become durable with it; otherwise one
     * transaction per batch keeps the cost of a commit off each row. */
    int own = sqlite3_get_autocommit(lg->st->db) && n > 1;
    if (own && store_begin(lg->st, err) != PS_OK)
        return err->code;
    char now[64];
    utc_now_iso(now);
    for (int i = 0; i < n; i++) {
        if (insert_one(lg, &rows[i], now, ids ? &ids[i] : NULL, err) != PS_OK) {
            if (own)
                store_rollback(lg->st);
            return err->code;
        }
    }
    if (own && store_commit(lg->st, err) != PS_OK) {
        store_rollback(lg->st);
        return err->code;
    }
    return PS_OK;
}

int
llm_log_read_begin(struct llm_log *lg)
{
    if (!sqlite3_get_autocommit(lg->st->db))
        return 0;
    int ok = sqlite3_step(lg->begin_read) == SQLITE_DONE;
    sqlite3_reset(lg->begin_read);
    return ok;
}

void
llm_log_read_end(struct llm_log *lg, int opened)
{
    if (!opened)
        return;
    /* nothing was written: the commit only ends the snapshot */
    if (sqlite3_step(lg->end_read) != SQLITE_DONE)
        sqlite3_exec(lg->st->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_reset(lg->end_read);
}

int
llm_log_lookup(struct llm_log *lg, const char *cache_key, struct llm_log_hit *out,
               struct ps_err *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = lg->find;
    sqlite3_reset(s);
    sqlite3_bind_text(s, 1, cache_key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(s);
        return PS_ERR_NOTFOUND;
    }
    if (rc != SQLITE_ROW) {
        store_dberr(lg->st, err, "look up llm cache");
        sqlite3_reset(s);
        return PS_ERR_DB;
    }
    out->id = sqlite3_column_int64(s, 0);
    out->response = store_col_strdup(s, 1);
    out->request_id = store_col_strdup(s, 2);
    out->resolved_model = store_col_strdup(s, 3);
    out->prompt_tokens = sqlite3_column_type(s, 4) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 4);
    out->completion_tokens =
        sqlite3_column_type(s, 5) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 5);
    out->latency_ms = sqlite3_column_double(s, 6);
    out->has_cost = sqlite3_column_type(s, 7) != SQLITE_NULL;
    out->cost = sqlite3_column_double(s, 7);
    sqlite3_reset(s);
    return PS_OK;
}

void
llm_log_hit_free(struct llm_log_hit *h)
{
    free(h->response);
    free(h->request_id);
    free(h->resolved_model);
    memset(h, 0, sizeof *h);
}

int
llm_log_check_plan(struct llm_log *lg, struct ps_err *err)
{
    char sql[sizeof llm_log_find_sql + 32];
    snprintf(sql, sizeof sql, "EXPLAIN QUERY PLAN %s", llm_log_find_sql);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(lg->st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return store_dberr(lg->st, err, "plan the llm cache lookup");
    struct strbuf plan = STRBUF_INIT;
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *d = (const char *)sqlite3_column_text(s, 3);
        sb_printf(&plan, "%s%s", plan.len ? "; " : "", d ? d : "");
    }
    sqlite3_finalize(s);
    const char *p = sb_str(&plan);
    int ok = strstr(p, "SEARCH llm_call USING INDEX llm_call_key16") && !strstr(p, "TEMP B-TREE");
    if (!ok)
        ps_error(err, PS_ERR_DB, "the llm cache lookup does not search its index: %s", p);
    sb_free(&plan);
    if (!ok)
        return PS_ERR_DB;
    return PS_OK;
}

int
llm_log_count(struct llm_log *lg, const char *status, int64_t *n, struct ps_err *err)
{
    sqlite3_stmt *s;
    const char *sql = status ? "SELECT count(*) FROM llm_call WHERE status = ?1"
                             : "SELECT count(*) FROM llm_call";
    if (sqlite3_prepare_v2(lg->st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return store_dberr(lg->st, err, "count llm calls");
    if (status)
        sqlite3_bind_text(s, 1, status, -1, SQLITE_STATIC);
    *n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_finalize(s);
    return PS_OK;
}
