/* The llm_call table: the log of every LLM call and the cache behind the engine
 * (src/llm).  The engine reaches sqlite only through these functions. */
#ifndef PS_STORE_LLM_LOG_H
#define PS_STORE_LLM_LOG_H

#include <stdint.h>

#include "core/err.h"

struct store;
struct llm_log;

/* One finished call.  Every string is borrowed for the duration of the insert and may
 * be NULL (stored as NULL).  Never put secrets here: `request` is the JSON body only. */
struct llm_log_row {
    const char *cache_key;
    const char *provider, *base_url, *model, *model_name, *endpoint;
    const char *request, *response, *text;
    const char *status; /* "ok" or "error" */
    int http_status;    /* 0 = NULL */
    const char *error, *error_kind;
    int64_t prompt_tokens, completion_tokens; /* < 0 = NULL (unknown) */
    double latency_ms, ttfb_ms;               /* ttfb < 0 = NULL */
    double cost;
    int has_cost; /* 0: cost is NULL (no price configured or tokens unknown) */
    int attempts, sample_index;
    const char *resolved_model, *finish_reason, *request_id;
};

/* A cached successful call. Strings owned by the struct: llm_log_hit_free. */
struct llm_log_hit {
    int64_t id;
    char *response, *request_id, *resolved_model;
    int64_t prompt_tokens, completion_tokens;
    double latency_ms, cost;
    int has_cost;
};

/* Prepare the log's statements on `st` (borrowed; must outlive the log).  *out is
 * owned by the caller: llm_log_close (before store_close). */
int llm_log_open(struct store *st, struct llm_log **out, struct ps_err *err);
void llm_log_close(struct llm_log *lg);

/* Write rows[0..n) durably: one transaction (or the caller's, when one is open). */
int llm_log_insert(struct llm_log *lg, const struct llm_log_row *rows, int n, int64_t *ids,
                   struct ps_err *err);
/* The newest successful call with this key: PS_OK and *out filled, PS_ERR_NOTFOUND
 * when there is none. */
int llm_log_lookup(struct llm_log *lg, const char *cache_key, struct llm_log_hit *out,
                   struct ps_err *err);
void llm_log_hit_free(struct llm_log_hit *h);

/* Run many lookups in one read transaction (one snapshot and one shared lock for all
 * of them, not one each).  read_begin returns 1 when it opened a transaction, which
 * read_end(lg, 1) then closes; 0 inside the caller's own transaction (or when sqlite
 * refused: the lookups then run on their own), and read_end(lg, 0) does nothing. */
int llm_log_read_begin(struct llm_log *lg);
void llm_log_read_end(struct llm_log *lg, int opened);

/* PS_OK when the cache lookup is an index search (no scan, no sort), else an error
 * naming sqlite's plan (tests: every call's lookup must stay cheap on a big log). */
int llm_log_check_plan(struct llm_log *lg, struct ps_err *err);

/* Number of rows with the given status ("ok", "error", or NULL for all). */
int llm_log_count(struct llm_log *lg, const char *status, int64_t *n, struct ps_err *err);

#endif
