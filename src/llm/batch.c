/* Batch request files out, batch results in: see batch.h. */
#include "llm/batch.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/strbuf.h"
#include "core/xalloc.h"
#include "llm/llm.h"
#include "llm/provider.h"
#include "store/llm_log.h"

/* One request of a batch. */
struct breq {
    char *id;       /* custom_id = cache key */
    char *provider; /* "openai" / "anthropic" */
    char *path;     /* "/chat/completions", "/messages", ... */
    char *body;     /* the request JSON */
    char *model;    /* body.model */
    int seq;        /* order of first appearance */
    int answered;
};

struct breqs {
    struct breq *v;
    int n, cap;
};

static void
breqs_free(struct breqs *b)
{
    for (int i = 0; i < b->n; i++) {
        free(b->v[i].id);
        free(b->v[i].provider);
        free(b->v[i].path);
        free(b->v[i].body);
        free(b->v[i].model);
    }
    free(b->v);
    memset(b, 0, sizeof *b);
}

static void
breqs_add(struct breqs *b, const char *id, const char *provider, const char *path,
          const cJSON *body)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 64;
        b->v = xrealloc(b->v, (size_t)b->cap * sizeof *b->v);
    }
    struct breq *q = &b->v[b->n];
    memset(q, 0, sizeof *q);
    q->id = xstrdup(id);
    q->provider = xstrdup(provider);
    q->path = xstrdup(path);
    q->body = cJSON_PrintUnformatted(body);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(body, "model");
    q->model = cJSON_IsString(m) ? xstrdup(m->valuestring) : NULL;
    q->seq = b->n++;
}

static int
cmp_id(const void *a, const void *b)
{
    const struct breq *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : x->seq - y->seq;
}

static int
cmp_seq(const void *a, const void *b)
{
    return ((const struct breq *)a)->seq - ((const struct breq *)b)->seq;
}

/* Sort by id and drop later duplicates (the first appearance stays). */
static void
breqs_unique(struct breqs *b)
{
    if (b->n > 1)
        qsort(b->v, (size_t)b->n, sizeof *b->v, cmp_id);
    int k = 0;
    for (int i = 0; i < b->n; i++) {
        if (k > 0 && strcmp(b->v[k - 1].id, b->v[i].id) == 0) {
            struct breq *q = &b->v[i];
            free(q->id);
            free(q->provider);
            free(q->path);
            free(q->body);
            free(q->model);
            continue;
        }
        b->v[k++] = b->v[i];
    }
    b->n = k;
}

static struct breq *
breqs_find(struct breqs *b, const char *id)
{
    struct breq key = {.id = (char *)id, .seq = -1};
    int lo = 0, hi = b->n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        int c = strcmp(b->v[mid].id, key.id);
        if (c == 0)
            return &b->v[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* custom_id as both providers accept it: 1..64 of [A-Za-z0-9_-]. */
static int
id_ok(const cJSON *id)
{
    if (!cJSON_IsString(id))
        return 0;
    size_t n = strlen(id->valuestring);
    if (n < 1 || n > 64)
        return 0;
    return strspn(id->valuestring, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   "0123456789_-") == n;
}

typedef int (*line_fn)(void *ud, const char *line, size_t n, long lineno, struct ps_err *err);

/* Call fn on each non-blank line of text[0..len) (CR LF or LF); *lineno counts the
 * lines (1-based for fn) and carries on across calls. */
static int
each_line_buf(const char *text, size_t len, line_fn fn, void *ud, long *lineno, struct ps_err *err)
{
    int rc = PS_OK;
    for (size_t at = 0; rc == PS_OK && at < len;) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (text + at)) : len - at, next = at + n + 1;
        ++*lineno;
        while (n > 0 && text[at + n - 1] == '\r')
            n--;
        size_t blank = 0;
        while (blank < n && (text[at + blank] == ' ' || text[at + blank] == '\t'))
            blank++;
        if (blank < n)
            rc = fn(ud, text + at, n, *lineno, err);
        at = next;
    }
    return rc;
}

/* The same over a file read once, line by line (results files are big; a pipe or
 * FIFO works). */
static int
each_line(const char *path, line_fn fn, void *ud, struct ps_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return ps_error(err, PS_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    long lineno = 0;
    int rc = PS_OK;
    while (rc == PS_OK && (got = getline(&line, &cap, f)) >= 0)
        rc = each_line_buf(line, (size_t)got, fn, ud, &lineno, err);
    if (rc == PS_OK && ferror(f))
        rc = ps_error(err, PS_ERR_IO, "%s: read error: %s", path, strerror(errno));
    free(line);
    fclose(f);
    return rc;
}

/* ---------------------------------------------------------------- writing */

struct cap_ctx {
    const char *path;
    struct breqs reqs;
};

static int
capture_line(void *ud, const char *line, size_t n, long lineno, struct ps_err *err)
{
    struct cap_ctx *c = ud;
    cJSON *j = cJSON_ParseWithLength(line, n);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "custom_id");
    const cJSON *prov = cJSON_GetObjectItemCaseSensitive(j, "provider");
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(j, "path");
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(j, "body");
    int rc = PS_OK;
    if (!id_ok(id) || !cJSON_IsString(prov) || !cJSON_IsString(path) || !cJSON_IsObject(body))
        rc = ps_error(err, PS_ERR_PARSE, "%s:%ld: not a captured request", c->path, lineno);
    else
        breqs_add(&c->reqs, id->valuestring, prov->valuestring, path->valuestring, body);
    cJSON_Delete(j);
    return rc;
}

static int
write_batch(FILE *f, const struct breqs *b, enum llm_batch_format fmt)
{
    struct strbuf sb = STRBUF_INIT;
    if (fmt == LLM_BATCH_ANTHROPIC)
        sb_puts(&sb, "{\"requests\": [\n");
    for (int i = 0; i < b->n; i++) {
        const struct breq *q = &b->v[i];
        if (fmt == LLM_BATCH_ANTHROPIC) {
            sb_printf(&sb, "  {\"custom_id\": \"%s\", \"params\": %s}%s\n", q->id, q->body,
                      i + 1 < b->n ? "," : "");
        } else {
            /* base URLs end in /v1; the Batch API wants the path from the root */
            sb_printf(&sb,
                      "{\"custom_id\": \"%s\", \"method\": \"POST\", \"url\": \"/v1%s\", "
                      "\"body\": %s}\n",
                      q->id, q->path, q->body);
        }
        if (sb.len > (1 << 20) || i + 1 == b->n) {
            if (fwrite(sb.p, 1, sb.len, f) != sb.len)
                return sb_free(&sb), -1;
            sb_reset(&sb);
        }
    }
    if (fmt == LLM_BATCH_ANTHROPIC)
        sb_puts(&sb, "]}\n");
    int bad = sb.len && fwrite(sb.p, 1, sb.len, f) != sb.len;
    sb_free(&sb);
    return bad ? -1 : 0;
}

int
llm_batch_write(const char *capture_path, enum llm_batch_format format, const char *out_path,
                int *n_out, enum llm_batch_format *format_out, struct ps_err *err)
{
    struct cap_ctx c = {.path = capture_path};
    *n_out = 0;
    int rc = each_line(capture_path, capture_line, &c, err);
    if (rc != PS_OK) {
        breqs_free(&c.reqs);
        return rc;
    }
    breqs_unique(&c.reqs);
    if (c.reqs.n > 1)
        qsort(c.reqs.v, (size_t)c.reqs.n, sizeof *c.reqs.v, cmp_seq);
    enum llm_batch_format fmt = format;
    for (int i = 0; i < c.reqs.n && rc == PS_OK; i++) {
        enum llm_batch_format f =
            strcmp(c.reqs.v[i].provider, "anthropic") == 0 ? LLM_BATCH_ANTHROPIC : LLM_BATCH_OPENAI;
        if (fmt == LLM_BATCH_AUTO)
            fmt = f;
        if (f != fmt)
            rc = ps_error(err, PS_ERR_USAGE,
                          "the run made %s calls, which a%s batch file cannot hold; export the "
                          "models of each provider separately",
                          c.reqs.v[i].provider,
                          fmt == LLM_BATCH_ANTHROPIC ? "n Anthropic" : "n OpenAI");
    }
    if (rc != PS_OK || c.reqs.n == 0) {
        breqs_free(&c.reqs);
        return rc;
    }
    struct strbuf tmp = STRBUF_INIT;
    sb_printf(&tmp, "%s.tmp.XXXXXX", out_path);
    int fd = mkstemp(tmp.p);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!f) {
        rc = ps_error(err, PS_ERR_IO, "cannot create %s: %s", tmp.p, strerror(errno));
        if (fd >= 0)
            close(fd);
    } else {
        int bad = write_batch(f, &c.reqs, fmt);
        bad |= fflush(f) != 0 || fsync(fileno(f)) != 0;
        bad |= fclose(f) != 0;
        if (bad || rename(tmp.p, out_path) != 0) {
            rc = ps_error(err, PS_ERR_IO, "cannot write %s: %s", out_path, strerror(errno));
            unlink(tmp.p);
        }
    }
    sb_free(&tmp);
    if (rc == PS_OK) {
        *n_out = c.reqs.n;
        *format_out = fmt;
    }
    breqs_free(&c.reqs);
    return rc;
}

/* ---------------------------------------------------------------- reading */

struct imp_ctx {
    const char *path;
    struct breqs reqs;
    struct llm_log *lg;
    const char *model_name;
    struct llm_log_row *rows;
    struct llm_result **results; /* parsed answers, owning the rows' strings */
    char **owned;                /* other strings the rows point at */
    int n_rows, cap_rows, n_owned, cap_owned;
    struct llm_batch_import_stats st;
};

static int
request_line(void *ud, const char *line, size_t n, long lineno, struct ps_err *err)
{
    struct imp_ctx *c = ud;
    cJSON *j = cJSON_ParseWithLength(line, n);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "custom_id");
    const cJSON *url = cJSON_GetObjectItemCaseSensitive(j, "url");
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(j, "body");
    int rc = PS_OK;
    if (!id_ok(id) || !cJSON_IsString(url) || strncmp(url->valuestring, "/v1/", 4) != 0 ||
        !cJSON_IsObject(body))
        rc = ps_error(err, PS_ERR_PARSE,
                      "%s:%ld: expected an OpenAI Batch API request line "
                      "{\"custom_id\", \"method\", \"url\": \"/v1/...\", \"body\"}",
                      c->path, lineno);
    else
        breqs_add(&c->reqs, id->valuestring, "openai", url->valuestring + 3, body);
    cJSON_Delete(j);
    return rc;
}

/* The requests file: an Anthropic {"requests": [...]} document, else OpenAI JSONL. */
static int
read_requests(struct imp_ctx *c, const char *path, struct ps_err *err)
{
    c->path = path;
    FILE *f = fopen(path, "rb");
    if (!f)
        return ps_error(err, PS_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    struct strbuf sb = STRBUF_INIT;
    char buf[65536];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        sb_append(&sb, buf, got);
    fclose(f);
    cJSON *doc = sb.len ? cJSON_ParseWithLength(sb.p, sb.len) : NULL;
    const cJSON *reqs = cJSON_GetObjectItemCaseSensitive(doc, "requests");
    int rc = PS_OK;
    if (cJSON_IsArray(reqs)) {
        int i = 0;
        const cJSON *r;
        cJSON_ArrayForEach(r, reqs)
        {
            i++;
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "custom_id");
            const cJSON *params = cJSON_GetObjectItemCaseSensitive(r, "params");
            if (!id_ok(id) || !cJSON_IsObject(params)) {
                rc = ps_error(err, PS_ERR_PARSE,
                              "%s: request %d: expected {\"custom_id\", \"params\"}", path, i);
                break;
            }
            breqs_add(&c->reqs, id->valuestring, "anthropic", "/messages", params);
        }
    }
    int jsonl = !cJSON_IsArray(reqs);
    cJSON_Delete(doc);
    if (rc == PS_OK && jsonl) {
        long lineno = 0;
        rc = each_line_buf(sb.p ? sb.p : "", sb.len, request_line, c, &lineno, err);
    }
    sb_free(&sb);
    if (rc == PS_OK && c->reqs.n == 0)
        rc = ps_error(err, PS_ERR_PARSE, "%s: no requests", path);
    breqs_unique(&c->reqs);
    return rc;
}

static const char *
own(struct imp_ctx *c, char *s)
{
    if (c->n_owned == c->cap_owned) {
        c->cap_owned = c->cap_owned ? 2 * c->cap_owned : 64;
        c->owned = xrealloc(c->owned, (size_t)c->cap_owned * sizeof *c->owned);
    }
    c->owned[c->n_owned++] = s;
    return s;
}

static enum llm_kind
kind_of(const char *path)
{
    if (strcmp(path, "/completions") == 0)
        return LLM_COMPLETE;
    if (strcmp(path, "/embeddings") == 0)
        return LLM_EMBED;
    return LLM_CHAT;
}

/* A row for request q: the answer `body` (may be NULL) with HTTP status `status`, or
 * the error `emsg` / `etype`. */
static void
add_row(struct imp_ctx *c, struct breq *q, const cJSON *body, int status, const char *etype,
        const char *emsg, const char *request_id)
{
    if (c->n_rows == c->cap_rows) {
        c->cap_rows = c->cap_rows ? 2 * c->cap_rows : 64;
        c->rows = xrealloc(c->rows, (size_t)c->cap_rows * sizeof *c->rows);
        c->results = xrealloc(c->results, (size_t)c->cap_rows * sizeof *c->results);
    }
    struct llm_log_row *row = &c->rows[c->n_rows];
    struct llm_result *res = xcalloc(1, sizeof *res);
    res->prompt_tokens = res->completion_tokens = -1;
    c->results[c->n_rows++] = res;
    memset(row, 0, sizeof *row);
    row->cache_key = q->id;
    row->provider = q->provider;
    row->base_url = "batch";
    row->model = q->model;
    row->model_name = c->model_name;
    row->endpoint = q->path;
    row->request = q->body;
    row->http_status = status;
    row->attempts = 1;
    row->ttfb_ms = -1;
    row->request_id = request_id ? own(c, xstrdup(request_id)) : NULL;
    const char *response = body ? own(c, cJSON_PrintUnformatted(body)) : NULL;
    row->response = response;
    int ok = 0;
    if (!emsg && response) {
        struct prov_req pr;
        memset(&pr, 0, sizeof pr);
        pr.path = q->path;
        pr.n = 1;
        pr.score_from = pr.score_to = -1;
        ok = prov_parse(strcmp(q->provider, "anthropic") == 0 ? LLM_PROVIDER_ANTHROPIC
                                                              : LLM_PROVIDER_OPENAI,
                        kind_of(q->path), response, strlen(response), &pr, res);
        if (!ok)
            emsg = res->err.message ? res->err.message : "malformed response";
    }
    if (ok) {
        row->status = "ok";
        row->text = res->n_choices ? res->choices[0].text : NULL;
        row->finish_reason = res->n_choices ? res->choices[0].finish_reason : NULL;
        row->resolved_model = res->resolved_model;
        row->prompt_tokens = res->prompt_tokens;
        row->completion_tokens = res->completion_tokens;
        c->st.ok++;
    } else {
        row->status = "error";
        row->error = own(c, xstrdup(emsg ? emsg : "error"));
        row->error_kind = own(c, xstrdup(etype ? etype : status >= 500 ? "server" : "http"));
        row->prompt_tokens = row->completion_tokens = -1;
        c->st.errors++;
    }
}

static int
result_line(void *ud, const char *line, size_t n, long lineno, struct ps_err *err)
{
    struct imp_ctx *c = ud;
    cJSON *j = cJSON_ParseWithLength(line, n);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "custom_id");
    const cJSON *resp = cJSON_GetObjectItemCaseSensitive(j, "response");
    const cJSON *result = cJSON_GetObjectItemCaseSensitive(j, "result");
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(j, "error");
    if (!cJSON_IsString(id) ||
        (!cJSON_IsObject(resp) && !cJSON_IsObject(result) && !cJSON_IsObject(error))) {
        cJSON_Delete(j);
        return ps_error(err, PS_ERR_PARSE,
                        "%s:%ld: expected a batch result line {\"custom_id\", \"response\"} "
                        "(OpenAI) or {\"custom_id\", \"result\"} (Anthropic)",
                        c->path, lineno);
    }
    struct breq *q = breqs_find(&c->reqs, id->valuestring);
    struct llm_log_hit hit;
    struct ps_err lerr;
    if (!q) {
        c->st.unknown++;
    } else if (q->answered) {
        c->st.known++; /* twice in the results: the first counts */
    } else if (llm_log_lookup(c->lg, q->id, &hit, &lerr) == PS_OK) {
        llm_log_hit_free(&hit);
        q->answered = 1;
        c->st.known++;
    } else if (cJSON_IsObject(result)) {
        /* Anthropic: succeeded | errored | canceled | expired */
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(result, "type");
        const char *t = cJSON_IsString(type) ? type->valuestring : "";
        if (strcmp(t, "succeeded") == 0) {
            q->answered = 1;
            add_row(c, q, cJSON_GetObjectItemCaseSensitive(result, "message"), 200, NULL, NULL,
                    NULL);
        } else if (strcmp(t, "errored") == 0) {
            /* {"type":"error","error":{"type":"invalid_request_error","message":...}} */
            const cJSON *e = cJSON_GetObjectItemCaseSensitive(result, "error");
            const cJSON *inner = cJSON_GetObjectItemCaseSensitive(e, "error");
            const cJSON *m = cJSON_GetObjectItemCaseSensitive(inner ? inner : e, "message");
            q->answered = 1;
            add_row(c, q, e, 0, "http", cJSON_IsString(m) ? m->valuestring : "errored in the batch",
                    NULL);
        } /* canceled, expired: no row; the rerun sends them */
    } else {
        /* OpenAI: response {status_code, request_id, body}, or error {code, message} */
        const cJSON *sc = cJSON_GetObjectItemCaseSensitive(resp, "status_code");
        const cJSON *body = cJSON_GetObjectItemCaseSensitive(resp, "body");
        const cJSON *rid = cJSON_GetObjectItemCaseSensitive(resp, "request_id");
        int status = cJSON_IsNumber(sc) ? sc->valueint : 0;
        const char *ridv = cJSON_IsString(rid) ? rid->valuestring : NULL;
        q->answered = 1;
        if (cJSON_IsObject(resp) && status >= 200 && status < 300) {
            add_row(c, q, body, status, NULL, NULL, ridv);
        } else if (cJSON_IsObject(resp)) {
            char *etype = NULL, *emsg = NULL;
            char *raw = body ? cJSON_PrintUnformatted(body) : xstrdup("");
            prov_error_body(raw, strlen(raw), &etype, &emsg);
            struct strbuf m = STRBUF_INIT;
            sb_printf(&m, "HTTP %d: %s", status, emsg && *emsg ? emsg : "(empty body)");
            add_row(c, q, body, status,
                    status == 429   ? "rate_limit"
                    : status >= 500 ? "server"
                                    : "http",
                    sb_str(&m), ridv);
            sb_free(&m);
            free(raw);
            free(etype);
            free(emsg);
        } else {
            const cJSON *m = cJSON_GetObjectItemCaseSensitive(error, "message");
            add_row(c, q, error, 0, "http",
                    cJSON_IsString(m) ? m->valuestring : "failed in the batch", NULL);
        }
    }
    cJSON_Delete(j);
    return PS_OK;
}

int
llm_batch_import(struct store *st, const char *requests_path, const char *results_path,
                 const char *model_name, struct llm_batch_import_stats *out, struct ps_err *err)
{
    struct imp_ctx c;
    memset(&c, 0, sizeof c);
    c.model_name = model_name;
    memset(out, 0, sizeof *out);
    int rc = read_requests(&c, requests_path, err);
    if (rc == PS_OK)
        rc = llm_log_open(st, &c.lg, err);
    if (rc == PS_OK) {
        c.path = results_path;
        rc = each_line(results_path, result_line, &c, err);
    }
    if (rc == PS_OK && c.n_rows) {
        int64_t *ids = xcalloc((size_t)c.n_rows, sizeof *ids);
        rc = llm_log_insert(c.lg, c.rows, c.n_rows, ids, err);
        free(ids);
    }
    if (rc == PS_OK) {
        for (int i = 0; i < c.reqs.n; i++)
            c.st.missing += !c.reqs.v[i].answered;
        *out = c.st;
    }
    llm_log_close(c.lg);
    for (int i = 0; i < c.n_rows; i++)
        llm_result_free(c.results[i]);
    for (int i = 0; i < c.n_owned; i++)
        free(c.owned[i]);
    free(c.owned);
    free(c.rows);
    free(c.results);
    breqs_free(&c.reqs);
    return rc;
}
