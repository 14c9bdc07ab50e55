/* The request scheduler: one libcurl multi handle driven by socket/timer callbacks,
 * per-model FIFO queues with a concurrency cap, replicas, token-bucket rate limits,
 * retries with backoff, the cache lookup at admission (the step after submit) and the
 * call log at completion.
 * See llm.h for the contract. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/progress.h"
#include "core/sha256.h"
#include "core/strbuf.h"
#include "core/xalloc.h"
#include "llm/llm.h"
#include "llm/provider.h"
#include "llm/sse.h"
#include "store/llm_log.h"

#define LLM_MAX_RETRY_AFTER_S 60.0

/* RQ_TWIN: waiting for an identical request in flight (its `leader`).  RQ_INTAKE:
 * submitted, its cache lookup not done yet (see admit_intake). */
enum req_where { RQ_NONE, RQ_INTAKE, RQ_QUEUED, RQ_DELAYED, RQ_RUNNING, RQ_DONE, RQ_TWIN };

struct llm_req;
struct req_list {
    struct llm_req *head, *tail;
    int n;
};

struct llm_req {
    struct llm_req *prev, *next;
    enum req_where where;
    uint64_t id;
    struct llm_model *m;
    enum llm_kind kind;
    struct prov_req pr;
    char key[65];
    int sample_index, no_cache, no_log;
    double timeout_s;
    llm_done_fn on_done;
    void *ud;
    double t_submit, t_start, t_attempt, t_first_byte, ready_at;
    double t_last_byte; /* streams: the stall detector's clock */
    int attempts, replica;
    CURL *easy;
    char *url;
    struct strbuf body;
    int mode; /* 0 undecided, 1 buffered body, 2 SSE */
    struct sse_parser sse;
    struct prov_stream *ps;
    int sse_state;        /* prov_stream_event's last non-zero return */
    double retry_after_s; /* < 0: none */
    int should_retry;     /* -1 absent, 0, 1 */
    char *server_req_id;
    double rl_pause_s; /* -1: an x-ratelimit-remaining-* header said 0 */
    double rl_reset_s; /* longest x-ratelimit-reset-* duration seen, -1 none */
    int cancelled;
    char errbuf[CURL_ERROR_SIZE];
    struct llm_result *res; /* set once finished */
    int needs_log;
    /* in-flight dedup: a leader is in the engine's table and has followers waiting
     * for its answer; a follower (RQ_TWIN) points at its leader */
    struct llm_req *lead_next; /* hash chain of leaders */
    int is_leader;
    struct llm_req *leader, *twin_next, *twins;
};

struct llm_model {
    struct llm_engine *eng;
    struct llm_model_cfg cfg;
    char *api_key; /* memory only */
    int missing_key;
    struct curl_slist *hdrs;
    char *base_ident; /* base URLs joined, for the cache key */
    int *replica_busy;
    unsigned rr;
    int in_flight;
    struct req_list queue;
    double rpm_tokens, tpm_tokens, rl_last, wake_at;
    double paused_until; /* from x-ratelimit-remaining-* = 0 with their reset */
};

struct llm_engine {
    CURLM *multi;
    struct store *st;
    struct llm_log *log;
    struct llm_model **models;
    int n_models;
    uint64_t next_id;
    struct req_list intake, delayed, done, running, twins;
    struct llm_req **leads; /* leaders by cache key (chained), n_leads of cap_leads */
    FILE *capture;          /* llm_engine_capture: requests go here instead */
    size_t n_leads, cap_leads;
    int n_pending;
    struct pollfd *sfds;
    int n_sfds, cap_sfds;
    double curl_deadline;
    uint64_t rng;
    int max_retries_override;
    struct llm_stats stats;
    CURL **pool;
    int n_pool, cap_pool;
    int freeing;
    struct llm_group *groups; /* fan-out requests still running */
    double done_since;        /* when the oldest entry of `done` finished */
    int done_logs;            /* entries of `done` that need a log row */
};

/* Finished calls are written in groups: one transaction per LLM_LOG_GROUP rows or
 * LLM_LOG_WAIT_MS, whichever comes first, and at once when nothing else is running.
 * Callbacks run after the commit, so a result is durable before anyone sees it; the
 * wait never holds back new requests (concurrency slots are released at completion). */
#define LLM_LOG_GROUP 64
#define LLM_LOG_WAIT_MS 20.0

/* ------------------------------------------------------------------ small helpers */

static double
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double
rng_unit(struct llm_engine *e)
{
    /* xorshift64*: jitter only, no need for quality beyond that */
    uint64_t x = e->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    e->rng = x;
    return (double)((x * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}

static void
list_push(struct req_list *l, struct llm_req *r, enum req_where w)
{
    r->prev = l->tail;
    r->next = NULL;
    if (l->tail)
        l->tail->next = r;
    else
        l->head = r;
    l->tail = r;
    l->n++;
    r->where = w;
}

static void
list_push_front(struct req_list *l, struct llm_req *r, enum req_where w)
{
    r->next = l->head;
    r->prev = NULL;
    if (l->head)
        l->head->prev = r;
    else
        l->tail = r;
    l->head = r;
    l->n++;
    r->where = w;
}

static void
list_remove(struct req_list *l, struct llm_req *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        l->head = r->next;
    if (r->next)
        r->next->prev = r->prev;
    else
        l->tail = r->prev;
    r->prev = r->next = NULL;
    l->n--;
    r->where = RQ_NONE;
}

const char *
llm_provider_name(enum llm_provider p)
{
    static const char *const names[] = {
#define LLM_PROV_NAME(id, name) name,
        LLM_PROVIDERS(LLM_PROV_NAME)
#undef LLM_PROV_NAME
    };
    return (unsigned)p < sizeof names / sizeof names[0] ? names[p] : "?";
}

int
llm_provider_parse(const char *name)
{
#define LLM_PROV_CMP(id, pname) \
    if (name && strcmp(name, pname) == 0) \
        return id;
    LLM_PROVIDERS(LLM_PROV_CMP)
#undef LLM_PROV_CMP
    return -1;
}

const char *
llm_err_kind_str(enum llm_err_kind k)
{
    static const char *const msgs[] = {
#define LLM_ERRK_MSG(kind, id, msg) msg,
        LLM_ERR_KINDS(LLM_ERRK_MSG)
#undef LLM_ERRK_MSG
    };
    return (unsigned)k < sizeof msgs / sizeof msgs[0] ? msgs[k] : "?";
}

const char *
llm_err_kind_id(enum llm_err_kind k)
{
    static const char *const ids[] = {
#define LLM_ERRK_ID(kind, id, msg) id,
        LLM_ERR_KINDS(LLM_ERRK_ID)
#undef LLM_ERRK_ID
    };
    return (unsigned)k < sizeof ids / sizeof ids[0] ? ids[k] : "?";
}

/* ------------------------------------------------------------------ config + results */

void
llm_model_cfg_defaults(struct llm_model_cfg *c)
{
    c->concurrency = 8;
    c->timeout_s = 600;
    c->connect_timeout_s = 5;
    c->stall_timeout_s = 60;
    c->max_retries = 2;
    c->backoff_s = 0.5;
    c->backoff_max_s = 8;
}

static char **
dup_strv(char **v, int n)
{
    if (n <= 0)
        return NULL;
    char **out = xcalloc((size_t)n, sizeof *out);
    for (int i = 0; i < n; i++)
        out[i] = v[i] ? xstrdup(v[i]) : NULL;
    return out;
}

void
llm_model_cfg_copy(struct llm_model_cfg *dst, const struct llm_model_cfg *src)
{
    *dst = *src;
    dst->name = src->name ? xstrdup(src->name) : NULL;
    dst->model = src->model ? xstrdup(src->model) : NULL;
    dst->api_key_env = src->api_key_env ? xstrdup(src->api_key_env) : NULL;
    dst->cache_id = src->cache_id ? xstrdup(src->cache_id) : NULL;
    dst->ca_file = src->ca_file ? xstrdup(src->ca_file) : NULL;
    dst->base_urls = dup_strv(src->base_urls, src->n_base_urls);
    dst->headers = dup_strv(src->headers, src->n_headers);
}

void
llm_model_cfg_free(struct llm_model_cfg *c)
{
    free(c->name);
    free(c->model);
    free(c->api_key_env);
    free(c->cache_id);
    free(c->ca_file);
    for (int i = 0; i < c->n_base_urls; i++)
        free(c->base_urls[i]);
    free(c->base_urls);
    for (int i = 0; i < c->n_headers; i++)
        free(c->headers[i]);
    free(c->headers);
    memset(c, 0, sizeof *c);
}

/* The authority of an http(s) URL: [*start, *end) between "://" and the path. */
static int
url_authority(const char *url, const char **start, const char **end)
{
    const char *p = strstr(url, "://");
    if (!p)
        return 0;
    *start = p + 3;
    *end = *start + strcspn(*start, "/?#");
    return 1;
}

int
llm_url_is_loopback(const char *url)
{
    const char *a, *z;
    if (!url_authority(url, &a, &z) || memchr(a, '@', (size_t)(z - a)))
        return 0;
    /* the host: "[v6]" or up to the port */
    char host[64];
    size_t n;
    int bracketed = *a == '[';
    if (bracketed) {
        a++;
        n = strcspn(a, "]");
        if (a + n >= z)
            return 0;
    } else {
        n = strcspn(a, ":/?#");
    }
    if (n == 0 || n >= sizeof host)
        return 0;
    memcpy(host, a, n);
    host[n] = '\0';
    if (strcasecmp(host, "localhost") == 0)
        return 1;
    /* only canonical addresses: curl's other spellings (127.1, 0x7f.1) count as
     * remote, which asks for an explicit key setting and never skips one */
    unsigned char ip[16];
    if (inet_pton(AF_INET, host, ip) == 1)
        return ip[0] == 127;
    struct in6_addr v6;
    return bracketed && inet_pton(AF_INET6, host, &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

static int
header_is_auth(const char *h)
{
    static const char *const names[] = {"authorization:", "x-api-key:", "api-key:"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strncasecmp(h, names[i], strlen(names[i])) == 0)
            return 1;
    return 0;
}

int
llm_model_cfg_check(const struct llm_model_cfg *c, struct ps_err *err)
{
    const char *name = c->name ? c->name : "?";
    int remote = 0;
    for (int i = 0; i < c->n_base_urls; i++) {
        const char *u = c->base_urls[i], *a, *z;
        if (url_authority(u, &a, &z) && memchr(a, '@', (size_t)(z - a))) {
            /* never repeat the URL: the part before '@' is a password */
            const char *at = a;
            while (memchr(at, '@', (size_t)(z - at)))
                at = (const char *)memchr(at, '@', (size_t)(z - at)) + 1;
            return ps_error(err, PS_ERR_USAGE,
                            "model %s: base_url %.*s***@%.*s holds credentials, which would be "
                            "logged and shown; put the key in an environment variable named by "
                            "api_key_env (or in headers)",
                            name, (int)(a - u), u, (int)(z - at), at);
        }
        if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)
            return ps_error(err, PS_ERR_USAGE,
                            "model %s: base_url '%s' must start with http:// or https://", name, u);
        remote |= !llm_url_is_loopback(u);
    }
    int auth = (c->api_key_env && *c->api_key_env) || c->no_key;
    for (int i = 0; i < c->n_headers && !auth; i++)
        auth = c->headers[i] && header_is_auth(c->headers[i]);
    if (remote && !auth)
        return ps_error(err, PS_ERR_USAGE,
                        "model %s: its server is not on this machine and no key is configured; "
                        "name the key's variable with api_key_env = \"VAR\", or say "
                        "api_key_env = false if the server needs none",
                        name);
    return PS_OK;
}

void
llm_result_free(struct llm_result *res)
{
    if (!res)
        return;
    for (int i = 0; i < res->n_choices; i++) {
        struct llm_choice *c = &res->choices[i];
        free(c->text);
        free(c->finish_reason);
        for (int j = 0; j < c->n_logprobs; j++) {
            free(c->logprobs[j].token);
            for (int k = 0; k < c->logprobs[j].n_top; k++)
                free(c->logprobs[j].top[k].token);
            free(c->logprobs[j].top);
        }
        free(c->logprobs);
    }
    free(res->choices);
    free(res->err.type);
    free(res->err.message);
    free(res->model);
    free(res->resolved_model);
    free(res->request_id);
    free(res->response_json);
    free(res->embeddings);
    for (int i = 0; i < res->n_model_ids; i++)
        free(res->model_ids[i]);
    free(res->model_ids);
    free(res);
}

static struct llm_result *
result_new(struct llm_req *r)
{
    struct llm_result *res = xcalloc(1, sizeof *res);
    res->id = r->id;
    res->kind = r->kind;
    res->text = "";
    res->prompt_tokens = res->completion_tokens = -1;
    res->ttfb_ms = -1;
    res->model = xstrdup(r->m->cfg.name ? r->m->cfg.name : "");
    res->sample_index = r->sample_index;
    return res;
}

static void
result_error(struct llm_result *res, enum llm_err_kind kind, int status, const char *type,
             const char *msg)
{
    res->ok = 0;
    res->err.kind = kind;
    res->err.http_status = status;
    free(res->err.type);
    res->err.type = type ? xstrdup(type) : NULL;
    free(res->err.message);
    res->err.message = xstrdup(msg && *msg ? msg : llm_err_kind_str(kind));
}

static void
result_cost(const struct llm_model *m, struct llm_result *res)
{
    if (m->cfg.has_price && res->prompt_tokens >= 0 && res->completion_tokens >= 0) {
        res->cost = ((double)res->prompt_tokens * m->cfg.price_in +
                     (double)res->completion_tokens * m->cfg.price_out) /
                    1e6;
        res->has_cost = 1;
    }
}

/* ------------------------------------------------------------------ curl callbacks */

static int
socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    (void)easy;
    (void)socketp;
    struct llm_engine *e = userp;
    int i = 0;
    while (i < e->n_sfds && e->sfds[i].fd != s)
        i++;
    if (what == CURL_POLL_REMOVE) {
        if (i < e->n_sfds)
            e->sfds[i] = e->sfds[--e->n_sfds];
        return 0;
    }
    if (i == e->n_sfds) {
        if (e->n_sfds == e->cap_sfds) {
            e->cap_sfds = e->cap_sfds ? 2 * e->cap_sfds : 64;
            e->sfds = xrealloc(e->sfds, (size_t)e->cap_sfds * sizeof *e->sfds);
        }
        e->n_sfds++;
        e->sfds[i].fd = s;
    }
    e->sfds[i].events =
        (short)(((what & CURL_POLL_IN) ? POLLIN : 0) | ((what & CURL_POLL_OUT) ? POLLOUT : 0));
    e->sfds[i].revents = 0;
    return 0;
}

static int
timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    struct llm_engine *e = userp;
    e->curl_deadline = timeout_ms < 0 ? -1 : now_ms() + (double)timeout_ms;
    return 0;
}

static int
hdr_is(const char *line, size_t n, const char *name, const char **val, size_t *vlen)
{
    size_t k = strlen(name);
    if (n <= k || line[k] != ':' || strncasecmp(line, name, k) != 0)
        return 0;
    const char *v = line + k + 1, *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    *val = v;
    *vlen = (size_t)(end - v);
    return 1;
}

/* OpenAI's reset durations: "1s", "6m0s", "12ms", "0.5s", "1h2m". */
static double
parse_duration_s(const char *s)
{
    double total = 0;
    int any = 0;
    while (*s) {
        char *end;
        double v = strtod(s, &end);
        if (end == s)
            return any ? total : -1;
        s = end;
        if (s[0] == 'm' && s[1] == 's') {
            total += v / 1000;
            s += 2;
        } else if (*s == 'h') {
            total += v * 3600;
            s++;
        } else if (*s == 'm') {
            total += v * 60;
            s++;
        } else if (*s == 's') {
            total += v;
            s++;
        } else {
            total += v; /* a bare number: seconds */
        }
        any = 1;
    }
    return any ? total : -1;
}

static size_t
header_cb(char *buf, size_t size, size_t nitems, void *ud)
{
    struct llm_req *r = ud;
    size_t n = size * nitems;
    const char *v;
    size_t vl;
    char tmp[128];
    r->t_last_byte = now_ms();
    if (n >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
        /* a new response (after 100 Continue or a redirect): forget the last one's */
        r->retry_after_s = -1;
        r->should_retry = -1;
        r->rl_pause_s = 0;
        r->rl_reset_s = -1;
        return n;
    }
    if (hdr_is(buf, n, "retry-after-ms", &v, &vl) && vl < sizeof tmp) {
        memcpy(tmp, v, vl);
        tmp[vl] = '\0';
        char *endp;
        double d = strtod(tmp, &endp);
        if (endp != tmp && isfinite(d))
            r->retry_after_s = d / 1000.0;
    } else if (hdr_is(buf, n, "retry-after", &v, &vl) && vl < sizeof tmp) {
        memcpy(tmp, v, vl);
        tmp[vl] = '\0';
        if (r->retry_after_s >= 0)
            return n; /* retry-after-ms wins */
        char *endp;
        double d = strtod(tmp, &endp);
        if (endp != tmp && *endp == '\0' && isfinite(d)) {
            r->retry_after_s = d;
        } else {
            time_t t = curl_getdate(tmp, NULL);
            if (t != -1)
                r->retry_after_s = difftime(t, time(NULL));
        }
    } else if ((hdr_is(buf, n, "x-ratelimit-remaining-requests", &v, &vl) ||
                hdr_is(buf, n, "x-ratelimit-remaining-tokens", &v, &vl)) &&
               vl == 1 && v[0] == '0') {
        if (r->rl_pause_s == 0)
            r->rl_pause_s = -1; /* exhausted; the reset header says for how long */
    } else if ((hdr_is(buf, n, "x-ratelimit-reset-requests", &v, &vl) ||
                hdr_is(buf, n, "x-ratelimit-reset-tokens", &v, &vl)) &&
               vl < sizeof tmp) {
        memcpy(tmp, v, vl);
        tmp[vl] = '\0';
        double d = parse_duration_s(tmp);
        /* remembered for either limit; applied only when one is exhausted */
        if (d > 0 && (r->rl_reset_s < 0 || d > r->rl_reset_s))
            r->rl_reset_s = d;
    } else if (hdr_is(buf, n, "x-should-retry", &v, &vl)) {
        r->should_retry = vl == 4 && strncasecmp(v, "true", 4) == 0    ? 1
                          : vl == 5 && strncasecmp(v, "false", 5) == 0 ? 0
                                                                       : -1;
    } else if ((hdr_is(buf, n, "x-request-id", &v, &vl) || hdr_is(buf, n, "request-id", &v, &vl)) &&
               vl < 256) {
        free(r->server_req_id);
        r->server_req_id = xstrndup(v, vl);
    }
    return n;
}

static int
sse_cb(void *ud, const struct sse_event *ev)
{
    struct llm_req *r = ud;
    int rc = prov_stream_event(r->ps, ev);
    if (rc)
        r->sse_state = rc;
    return rc;
}

static size_t
write_cb(char *buf, size_t size, size_t nitems, void *ud)
{
    struct llm_req *r = ud;
    size_t n = size * nitems;
    if (r->cancelled)
        return 0;
    r->t_last_byte = now_ms();
    if (!r->mode) {
        r->t_first_byte = r->t_last_byte;
        long status = 0;
        curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
        /* Streams are recognised by their first byte rather than the content-type:
         * some servers label an event stream application/json, and an error answer to
         * a stream request is plain JSON. */
        size_t i = 0;
        while (i < n && (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\r' || buf[i] == '\t'))
            i++;
        if (r->pr.stream && status >= 200 && status < 300 && (i == n || buf[i] != '{')) {
            r->mode = 2;
            sse_init(&r->sse);
            r->ps = prov_stream_new(r->m->cfg.provider, r->kind);
        } else {
            r->mode = 1;
        }
    }
    if (r->mode == 2) {
        if (!r->sse_state)
            sse_feed(&r->sse, buf, n, sse_cb, r);
    } else {
        sb_append(&r->body, buf, n);
    }
    return n;
}

/* ------------------------------------------------------------------ engine lifecycle */

int
llm_engine_new(struct llm_engine **out, struct store *st, struct ps_err *err)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return ps_error(err, PS_ERR, "cannot initialise libcurl");
    struct llm_engine *e = xcalloc(1, sizeof *e);
    e->multi = curl_multi_init();
    e->curl_deadline = -1;
    e->max_retries_override = -1;
    e->next_id = 1;
    e->rng = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ULL ^ (uint64_t)(uintptr_t)e;
    if (!e->rng)
        e->rng = 1;
    curl_multi_setopt(e->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(e->multi, CURLMOPT_SOCKETDATA, e);
    curl_multi_setopt(e->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(e->multi, CURLMOPT_TIMERDATA, e);
    e->st = st;
    const char *cap = getenv("PREFSCOPE_BATCH_CAPTURE");
    if ((st && llm_log_open(st, &e->log, err) != PS_OK) ||
        (cap && *cap && llm_engine_capture(e, cap, err) != PS_OK)) {
        llm_log_close(e->log);
        curl_multi_cleanup(e->multi);
        free(e);
        curl_global_cleanup();
        return err->code;
    }
    *out = e;
    return PS_OK;
}

static void flush_done(struct llm_engine *e);

static void
push_done(struct llm_engine *e, struct llm_req *r)
{
    if (!e->done.head)
        e->done_since = now_ms();
    e->done_logs += r->needs_log;
    list_push(&e->done, r, RQ_DONE);
}

/* Time to flush the done list? */
static int
done_due(const struct llm_engine *e, double t)
{
    if (!e->done.head)
        return 0;
    return e->done_logs == 0 || e->done_logs >= LLM_LOG_GROUP ||
           t - e->done_since >= LLM_LOG_WAIT_MS || e->done.n >= e->n_pending || e->freeing;
}

static void
model_free(struct llm_model *m)
{
    curl_slist_free_all(m->hdrs);
    if (m->api_key) {
        /* best effort: do not leave the key in freed memory */
        volatile char *p = m->api_key;
        while (*p)
            *p++ = 0;
        free(m->api_key);
    }
    free(m->base_ident);
    free(m->replica_busy);
    llm_model_cfg_free(&m->cfg);
    free(m);
}

void
llm_engine_free(struct llm_engine *e)
{
    if (!e)
        return;
    e->freeing = 1;
    for (int guard = 0; guard < 8 && e->n_pending > 0; guard++) {
        llm_cancel_all(e);
        flush_done(e);
    }
    for (int i = 0; i < e->n_pool; i++)
        curl_easy_cleanup(e->pool[i]);
    free(e->pool);
    curl_multi_cleanup(e->multi);
    for (int i = 0; i < e->n_models; i++)
        model_free(e->models[i]);
    free(e->models);
    free(e->sfds);
    free(e->leads);
    if (e->capture)
        fclose(e->capture);
    llm_log_close(e->log);
    free(e);
    curl_global_cleanup();
}

struct llm_model *
llm_engine_model(struct llm_engine *e, const char *name)
{
    for (int i = 0; i < e->n_models; i++)
        if (e->models[i]->cfg.name && name && strcmp(e->models[i]->cfg.name, name) == 0)
            return e->models[i];
    return NULL;
}

const struct llm_model_cfg *
llm_model_config(const struct llm_model *m)
{
    return &m->cfg;
}

int
llm_model_missing_key(const struct llm_model *m)
{
    return m->missing_key;
}

int
llm_model_check_key(const struct llm_model *m, struct ps_err *err)
{
    if (!m->missing_key)
        return PS_OK;
    return ps_error(err, PS_ERR_USAGE,
                    "model %s: $%s is not set (api_key_env); export the key, or set "
                    "api_key_env = false if the server needs none",
                    m->cfg.name, m->cfg.api_key_env);
}

int
llm_engine_add_model(struct llm_engine *e, const struct llm_model_cfg *cfg, struct llm_model **out,
                     struct ps_err *err)
{
    if (!cfg->name || !*cfg->name)
        return ps_error(err, PS_ERR_USAGE, "model without a name");
    if (cfg->n_base_urls < 1)
        return ps_error(err, PS_ERR_USAGE, "model %s: base_url is required", cfg->name);
    if (!cfg->model || !*cfg->model)
        return ps_error(err, PS_ERR_USAGE, "model %s: model (the server's model id) is required",
                        cfg->name);
    if (llm_engine_model(e, cfg->name))
        return ps_error(err, PS_ERR_EXISTS, "model %s is already defined", cfg->name);
    if (llm_model_cfg_check(cfg, err) != PS_OK)
        return err->code;
    struct llm_model *m = xcalloc(1, sizeof *m);
    m->eng = e;
    llm_model_cfg_copy(&m->cfg, cfg);
    if (m->cfg.concurrency < 1)
        m->cfg.concurrency = 1;
    if (m->cfg.max_retries < 0)
        m->cfg.max_retries = 0;
    for (int i = 0; i < m->cfg.n_base_urls; i++) {
        size_t len = strlen(m->cfg.base_urls[i]);
        while (len > 0 && m->cfg.base_urls[i][len - 1] == '/')
            m->cfg.base_urls[i][--len] = '\0'; /* llama.cpp routes break on "//" */
    }
    m->replica_busy = xcalloc((size_t)m->cfg.n_base_urls, sizeof *m->replica_busy);
    struct strbuf sb = STRBUF_INIT;
    for (int i = 0; i < m->cfg.n_base_urls; i++) {
        if (i)
            sb_putc(&sb, '\n');
        sb_puts(&sb, m->cfg.base_urls[i]);
    }
    m->base_ident = sb_take(&sb);
    if (m->cfg.api_key_env && *m->cfg.api_key_env && !m->cfg.no_key) {
        const char *k = getenv(m->cfg.api_key_env);
        if (k && *k)
            m->api_key = xstrdup(k);
        else
            m->missing_key = 1;
    }
    m->hdrs = curl_slist_append(m->hdrs, "Content-Type: application/json");
    m->hdrs = curl_slist_append(m->hdrs, "Expect:");
    if (m->cfg.provider == LLM_PROVIDER_ANTHROPIC)
        m->hdrs = curl_slist_append(m->hdrs, "anthropic-version: 2023-06-01");
    if (m->api_key) {
        struct strbuf h = STRBUF_INIT;
        sb_printf(&h, "%s%s",
                  m->cfg.provider == LLM_PROVIDER_ANTHROPIC ? "x-api-key: "
                                                            : "Authorization: Bearer ",
                  m->api_key);
        m->hdrs = curl_slist_append(m->hdrs, h.p);
        memset(h.p, 0, h.len);
        sb_free(&h);
    }
    for (int i = 0; i < m->cfg.n_headers; i++)
        if (m->cfg.headers[i])
            m->hdrs = curl_slist_append(m->hdrs, m->cfg.headers[i]);
    m->rpm_tokens = m->cfg.rpm > 0 ? fmax(1.0, m->cfg.rpm / 60.0) : 0;
    m->tpm_tokens = m->cfg.tpm > 0 ? m->cfg.tpm / 60.0 : 0;
    m->rl_last = now_ms();
    e->models = xrealloc(e->models, (size_t)(e->n_models + 1) * sizeof *e->models);
    e->models[e->n_models++] = m;
    if (out)
        *out = m;
    return PS_OK;
}

void
llm_engine_set_max_retries(struct llm_engine *e, int max_retries)
{
    e->max_retries_override = max_retries;
}

void
llm_engine_seed(struct llm_engine *e, uint64_t seed)
{
    e->rng = seed ? seed : 1;
}

int
llm_engine_pending(const struct llm_engine *e)
{
    return e->n_pending;
}

void
llm_engine_stats(const struct llm_engine *e, struct llm_stats *out)
{
    *out = e->stats;
    out->in_flight = 0;
    out->queued = e->intake.n + e->delayed.n + e->twins.n;
    for (int i = 0; i < e->n_models; i++) {
        out->in_flight += e->models[i]->in_flight;
        out->queued += e->models[i]->queue.n;
    }
}

void
llm_stats_progress(const struct llm_stats *st, struct progress_counts *out)
{
    memset(out, 0, sizeof *out);
    out->done = st->done - st->cancelled;
    out->not_sent = st->cancelled;
    out->errors = st->errors;
    out->cached = st->cached;
    out->tokens = st->prompt_tokens + st->completion_tokens;
    out->cost = st->cost;
    out->cached_tokens = st->cached_tokens;
    out->cached_cost = st->cached_cost;
    out->has_cost = st->cost > 0 || (st->ok > 0 && st->cost_unknown < st->ok);
}

/* ------------------------------------------------------------------ submit */

static void
req_free(struct llm_req *r)
{
    prov_req_free(&r->pr);
    free(r->url);
    sb_free(&r->body);
    sse_free(&r->sse);
    prov_stream_free(r->ps);
    free(r->server_req_id);
    free(r);
}

/* ---- leaders: requests in flight that identical ones wait for, by cache key */

static size_t
lead_bucket(const struct llm_engine *e, const char *key)
{
    /* the key is SHA-256 in hex: its first 16 digits are as good as any hash */
    char h[17];
    memcpy(h, key, 16);
    h[16] = '\0';
    return (size_t)(strtoull(h, NULL, 16) % e->cap_leads);
}

static struct llm_req *
lead_find(struct llm_engine *e, const char *key)
{
    if (!e->n_leads)
        return NULL;
    for (struct llm_req *l = e->leads[lead_bucket(e, key)]; l; l = l->lead_next)
        if (strcmp(l->key, key) == 0)
            return l;
    return NULL;
}

static void
lead_add(struct llm_engine *e, struct llm_req *r)
{
    if (e->n_leads + 1 > e->cap_leads) {
        size_t old = e->cap_leads;
        struct llm_req **ob = e->leads;
        e->cap_leads = old ? 2 * old : 256;
        e->leads = xcalloc(e->cap_leads, sizeof *e->leads);
        for (size_t i = 0; i < old; i++)
            while (ob[i]) {
                struct llm_req *l = ob[i];
                ob[i] = l->lead_next;
                size_t b = lead_bucket(e, l->key);
                l->lead_next = e->leads[b];
                e->leads[b] = l;
            }
        free(ob);
    }
    size_t b = lead_bucket(e, r->key);
    r->lead_next = e->leads[b];
    e->leads[b] = r;
    r->is_leader = 1;
    e->n_leads++;
}

static void
lead_remove(struct llm_engine *e, struct llm_req *r)
{
    for (struct llm_req **pp = &e->leads[lead_bucket(e, r->key)]; *pp; pp = &(*pp)->lead_next)
        if (*pp == r) {
            *pp = r->lead_next;
            r->lead_next = NULL;
            r->is_leader = 0;
            e->n_leads--;
            return;
        }
}

static void
cache_key(const struct llm_model *m, const struct llm_req *r, char out[65])
{
    struct sha256 h;
    unsigned char d[32];
    char idx[32];
    sha256_init(&h);
    if (m->cfg.cache_id) {
        /* the user's name for "this server": the cache survives a moved port.  The
         * prefix cannot be a provider name, so no key collides with a keyless one. */
        sha256_update(&h, "cache_id:", 10);
        sha256_update(&h, m->cfg.cache_id, strlen(m->cfg.cache_id) + 1);
    } else {
        const char *prov = llm_provider_name(m->cfg.provider);
        sha256_update(&h, prov, strlen(prov) + 1);
        sha256_update(&h, m->base_ident, strlen(m->base_ident) + 1);
    }
    sha256_update(&h, m->cfg.model, strlen(m->cfg.model) + 1);
    sha256_update(&h, r->pr.path, strlen(r->pr.path) + 1);
    sha256_update(&h, r->pr.key_body, strlen(r->pr.key_body) + 1);
    int k = snprintf(idx, sizeof idx, "%d", r->sample_index);
    sha256_update(&h, idx, (size_t)k);
    sha256_final(&h, d);
    sha256_hex(d, out);
}

/* A result for r from an answer received before (the cache, or an identical
 * request in flight); NULL when the body does not parse. */
static struct llm_result *
result_from_answer(struct llm_req *r, const char *json)
{
    struct llm_result *res = result_new(r);
    if (!prov_parse(r->m->cfg.provider, r->kind, json, strlen(json), &r->pr, res)) {
        llm_result_free(res);
        return NULL;
    }
    res->ok = 1;
    res->cached = 1;
    res->latency_ms = 0;
    return res;
}

static int
serve_from_cache(struct llm_engine *e, struct llm_req *r)
{
    struct llm_log_hit hit;
    struct ps_err err;
    if (llm_log_lookup(e->log, r->key, &hit, &err) != PS_OK || !hit.response)
        return (llm_log_hit_free(&hit), 0);
    struct llm_result *res = result_from_answer(r, hit.response);
    if (!res) {
        /* an unreadable cached row is a miss, not a failure */
        llm_log_hit_free(&hit);
        return 0;
    }
    res->call_id = hit.id;
    res->response_json = hit.response;
    hit.response = NULL;
    res->request_id = hit.request_id;
    hit.request_id = NULL;
    if (hit.prompt_tokens >= 0)
        res->prompt_tokens = hit.prompt_tokens;
    if (hit.completion_tokens >= 0)
        res->completion_tokens = hit.completion_tokens;
    result_cost(r->m, res);
    llm_log_hit_free(&hit);
    r->res = res;
    r->needs_log = 0;
    push_done(e, r);
    return 1;
}

/* n > 1 on a backend without `n` (Anthropic, or no_n = true: llama.cpp, Ollama):
 * n requests with consecutive sample indices (and seeds), joined into one result
 * whose choices are in sample order.  Each sample is cached on its own. */
struct llm_group {
    struct llm_engine *e;
    uint64_t id;
    int n, left;
    uint64_t *child_ids;
    struct llm_result **parts;
    llm_done_fn on_done;
    void *ud;
    struct llm_group *next;
};

struct group_slot {
    struct llm_group *g;
    int i;
};

static void
group_unlink(struct llm_engine *e, struct llm_group *g)
{
    for (struct llm_group **pp = &e->groups; *pp; pp = &(*pp)->next)
        if (*pp == g) {
            *pp = g->next;
            return;
        }
}

static struct llm_result *
group_join(struct llm_group *g)
{
    struct llm_result *res = xcalloc(1, sizeof *res), *first = g->parts[0];
    res->id = g->id;
    res->kind = first->kind;
    res->model = xstrdup(first->model);
    res->sample_index = first->sample_index;
    res->ok = 1;
    res->cached = 1;
    res->has_cost = 1;
    res->ttfb_ms = -1;
    res->choices = xcalloc((size_t)g->n, sizeof *res->choices);
    for (int i = 0; i < g->n; i++) {
        struct llm_result *p = g->parts[i];
        if (!p->ok && res->ok) {
            res->ok = 0;
            res->err = p->err;
            p->err.type = p->err.message = NULL;
        }
        res->cached &= p->cached;
        res->has_cost &= p->has_cost;
        res->cost += p->cost;
        res->attempts += p->attempts;
        if (p->latency_ms > res->latency_ms)
            res->latency_ms = p->latency_ms;
        res->prompt_tokens = i == 0 ? p->prompt_tokens
                             : res->prompt_tokens < 0 || p->prompt_tokens < 0
                                 ? -1
                                 : res->prompt_tokens + p->prompt_tokens;
        res->completion_tokens = i == 0 ? p->completion_tokens
                                 : res->completion_tokens < 0 || p->completion_tokens < 0
                                     ? -1
                                     : res->completion_tokens + p->completion_tokens;
        if (!res->call_id)
            res->call_id = p->call_id;
        if (!res->resolved_model && p->resolved_model) {
            res->resolved_model = p->resolved_model;
            p->resolved_model = NULL;
        }
        if (p->n_choices > 0) {
            res->choices[res->n_choices] = p->choices[0];
            res->choices[res->n_choices].index = i;
            memset(&p->choices[0], 0, sizeof p->choices[0]);
            res->n_choices++;
        }
    }
    if (!res->ok)
        res->cached = 0;
    res->err.retries = res->attempts > g->n ? res->attempts - g->n : 0;
    res->text = res->n_choices ? res->choices[0].text : "";
    return res;
}

static void
group_child_done(void *ud, struct llm_result *res)
{
    struct group_slot *slot = ud;
    struct llm_group *g = slot->g;
    g->parts[slot->i] = res;
    free(slot);
    if (--g->left > 0)
        return;
    group_unlink(g->e, g);
    struct llm_result *joined = group_join(g);
    for (int i = 0; i < g->n; i++)
        llm_result_free(g->parts[i]);
    if (g->on_done)
        g->on_done(g->ud, joined);
    else
        llm_result_free(joined);
    free(g->parts);
    free(g->child_ids);
    free(g);
}

static uint64_t submit_one(struct llm_engine *e, struct llm_model *m, const struct llm_request *req,
                           struct ps_err *err);

static void finish(struct llm_engine *e, struct llm_req *r, struct llm_result *res);
static void twin_answer(struct llm_engine *e, struct llm_req *f, const struct llm_result *res);

/* Capture mode: the request becomes one line of the capture file and completes as
 * deferred (see llm_engine_capture). */
static void
capture_req(struct llm_engine *e, struct llm_req *r)
{
    if (r->kind == LLM_REWARD) { /* /pooling is vLLM's: no provider batches it */
        struct llm_result *res = result_new(r);
        result_error(res, LLM_E_UNSUPPORTED, 0, NULL,
                     "reward calls (vLLM /pooling) have no batch API: send them to the server");
        finish(e, r, res);
        return;
    }
    struct strbuf sb = STRBUF_INIT;
    const char *prov = llm_provider_name(r->m->cfg.provider);
    sb_puts(&sb, "{\"custom_id\":\"");
    sb_puts(&sb, r->key);
    sb_printf(&sb, "\",\"provider\":\"%s\",\"model_name\":", prov);
    sb_json_str(&sb, r->m->cfg.name, strlen(r->m->cfg.name));
    sb_printf(&sb, ",\"path\":\"%s\",\"body\":%s}\n", r->pr.path, r->pr.key_body);
    int bad = fwrite(sb.p, 1, sb.len, e->capture) != sb.len || fflush(e->capture) != 0;
    sb_free(&sb);
    struct llm_result *res = result_new(r);
    result_error(res, LLM_E_DEFERRED, 0, NULL,
                 bad ? "cannot write the batch capture file" : "deferred to a batch file");
    finish(e, r, res);
}

int
llm_engine_capture(struct llm_engine *e, const char *path, struct ps_err *err)
{
    FILE *f = fopen(path, "a");
    if (!f)
        return ps_error(err, PS_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    if (e->capture)
        fclose(e->capture);
    e->capture = f;
    return PS_OK;
}

static uint64_t
submit_group(struct llm_engine *e, struct llm_model *m, const struct llm_request *req,
             struct ps_err *err)
{
    struct llm_group *g = xcalloc(1, sizeof *g);
    g->e = e;
    g->n = g->left = req->p.n;
    g->parts = xcalloc((size_t)g->n, sizeof *g->parts);
    g->child_ids = xcalloc((size_t)g->n, sizeof *g->child_ids);
    g->on_done = req->on_done;
    g->ud = req->ud;
    g->id = e->next_id++;
    for (int i = 0; i < g->n; i++) {
        struct llm_request child = *req;
        child.p.n = 1;
        child.sample_index = req->sample_index + i;
        if (req->p.has_seed)
            child.p.seed = req->p.seed + i;
        struct group_slot *slot = xcalloc(1, sizeof *slot);
        slot->g = g;
        slot->i = i;
        child.on_done = group_child_done;
        child.ud = slot;
        g->child_ids[i] = submit_one(e, m, &child, err);
        if (!g->child_ids[i]) {
            /* only the first can fail (the body is the same for all) */
            free(slot);
            free(g->parts);
            free(g->child_ids);
            free(g);
            return 0;
        }
    }
    g->next = e->groups;
    e->groups = g;
    return g->id;
}

uint64_t
llm_submit(struct llm_engine *e, struct llm_model *m, const struct llm_request *req,
           struct ps_err *err)
{
    /* sending without the key would only earn a 401 per request, or worse, work
     * against a server that should not have been reached without one */
    if (llm_model_check_key(m, err) != PS_OK)
        return 0;
    if (req->p.n > 1 && (req->kind == LLM_CHAT || req->kind == LLM_COMPLETE) &&
        (m->cfg.provider == LLM_PROVIDER_ANTHROPIC || m->cfg.no_n))
        return submit_group(e, m, req, err);
    return submit_one(e, m, req, err);
}

/* A submitted request goes to the cache, the batch capture, its in-flight twin or
 * its model's queue. */
static void
admit(struct llm_engine *e, struct llm_req *r)
{
    if (e->log && !r->no_log && !r->no_cache && serve_from_cache(e, r))
        return;
    if (e->capture && !r->no_log) {
        capture_req(e, r);
        return;
    }
    if (e->log && !r->no_log && !r->no_cache) {
        /* the cache extended to answers still on their way */
        struct llm_req *l = lead_find(e, r->key);
        if (l && l->where == RQ_DONE) {
            /* finished, its row not committed yet: the same answer, in the same flush */
            r->leader = l;
            twin_answer(e, r, l->res);
            return;
        }
        if (l) {
            struct llm_req **pp = &l->twins;
            while (*pp)
                pp = &(*pp)->twin_next;
            *pp = r;
            r->leader = l;
            list_push(&e->twins, r, RQ_TWIN);
            return;
        }
        lead_add(e, r);
    }
    list_push(&r->m->queue, r, RQ_QUEUED);
}

/* With a workspace, llm_submit only takes the request in; the next step (or cancel,
 * or free) admits everything taken in since, in submission order, with all the cache
 * lookups in one read transaction: a script submits its requests in a burst, and one
 * sqlite read transaction each (a shared lock taken and dropped, two fcntl calls)
 * cost more than the lookup.  Callbacks run from steps only, so nobody can tell. */
static void
admit_intake(struct llm_engine *e)
{
    if (!e->intake.head)
        return;
    int opened = llm_log_read_begin(e->log);
    while (e->intake.head) {
        struct llm_req *r = e->intake.head;
        list_remove(&e->intake, r);
        admit(e, r);
    }
    llm_log_read_end(e->log, opened);
}

static uint64_t
submit_one(struct llm_engine *e, struct llm_model *m, const struct llm_request *req,
           struct ps_err *err)
{
    struct llm_req *r = xcalloc(1, sizeof *r);
    if (prov_build(&m->cfg, req, &r->pr, err) != PS_OK) {
        ps_error_prefix(err, "model %s: ", m->cfg.name);
        req_free(r);
        return 0;
    }
    r->id = e->next_id++;
    r->m = m;
    r->kind = req->kind;
    r->sample_index = req->sample_index;
    r->no_cache = req->no_cache;
    r->no_log = req->no_log;
    r->timeout_s = req->timeout_s > 0 ? req->timeout_s : m->cfg.timeout_s;
    r->on_done = req->on_done;
    r->ud = req->ud;
    r->t_submit = now_ms();
    r->retry_after_s = -1;
    r->should_retry = -1;
    r->rl_reset_s = -1;
    cache_key(m, r, r->key);
    e->n_pending++;
    e->stats.submitted++;
    if (e->log)
        list_push(&e->intake, r, RQ_INTAKE);
    else
        admit(e, r);
    return r->id;
}

/* ------------------------------------------------------------------ running */

static CURL *
pool_get(struct llm_engine *e)
{
    if (e->n_pool)
        return e->pool[--e->n_pool];
    return curl_easy_init();
}

static void
pool_put(struct llm_engine *e, CURL *c)
{
    if (e->n_pool == e->cap_pool) {
        e->cap_pool = e->cap_pool ? 2 * e->cap_pool : 16;
        e->pool = xrealloc(e->pool, (size_t)e->cap_pool * sizeof *e->pool);
    }
    e->pool[e->n_pool++] = c;
}

static int
pick_replica(struct llm_model *m)
{
    int best = -1;
    for (int k = 0; k < m->cfg.n_base_urls; k++) {
        int i = (int)((m->rr + (unsigned)k) % (unsigned)m->cfg.n_base_urls);
        if (best < 0 || m->replica_busy[i] < m->replica_busy[best])
            best = i;
    }
    m->rr++;
    return best;
}

static void
start_req(struct llm_engine *e, struct llm_req *r)
{
    struct llm_model *m = r->m;
    r->replica = pick_replica(m);
    m->replica_busy[r->replica]++;
    m->in_flight++;
    r->attempts++;
    r->t_attempt = now_ms();
    if (r->attempts == 1)
        r->t_start = r->t_attempt;
    free(r->url);
    struct strbuf u = STRBUF_INIT;
    sb_puts(&u, m->cfg.base_urls[r->replica]);
    if (r->pr.root) { /* vLLM serves /pooling beside /v1, not under it */
        while (u.len && u.p[u.len - 1] == '/')
            u.p[--u.len] = '\0';
        if (u.len >= 3 && strcmp(u.p + u.len - 3, "/v1") == 0)
            u.p[u.len -= 3] = '\0';
    }
    sb_puts(&u, r->pr.path);
    r->url = sb_take(&u);
    CURL *c = pool_get(e);
    r->easy = c;
    r->errbuf[0] = '\0';
    curl_easy_setopt(c, CURLOPT_URL, r->url);
    curl_easy_setopt(c, CURLOPT_PRIVATE, r);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, m->hdrs);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, ""); /* big logprob answers compress well */
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    /* Waiting for a connection that might multiplex pays off over TLS, where ALPN
     * says h2 during the handshake; on plain http the wait lasts until the first
     * answer (an HTTP/1.1 server), so a first batch would take two round trips. */
    curl_easy_setopt(c, CURLOPT_PIPEWAIT, strncmp(r->url, "https:", 6) == 0 ? 1L : 0L);
    /* explicit, whatever the handle did before: verification is on unless the model
     * opts out (tls_verify = false) */
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, m->cfg.tls_insecure ? 0L : 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, m->cfg.tls_insecure ? 0L : 2L);
    if (m->cfg.ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, m->cfg.ca_file);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(m->cfg.connect_timeout_s * 1000));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(r->timeout_s * 1000));
    /* The stall detector (streams only: a non-streamed generation is legitimately
     * silent until it is complete) is ours, in llm_engine_step: curl's low-speed
     * check averages over a window and fires seconds late. */
    r->t_last_byte = r->t_attempt;
    if (r->pr.is_get) {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->pr.body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->pr.body_len);
    }
    list_push(&e->running, r, RQ_RUNNING);
    curl_multi_add_handle(e->multi, c);
}

static void
release_slot(struct llm_engine *e, struct llm_req *r)
{
    if (r->where == RQ_RUNNING)
        list_remove(&e->running, r);
    if (r->easy) {
        curl_multi_remove_handle(e->multi, r->easy);
        if (r->m->cfg.ca_file)
            curl_easy_reset(r->easy); /* the next user gets the system's CAs back */
        pool_put(e, r->easy);
        r->easy = NULL;
        r->m->in_flight--;
        r->m->replica_busy[r->replica]--;
    }
}

static void
reset_attempt(struct llm_req *r)
{
    sb_reset(&r->body);
    sse_free(&r->sse);
    prov_stream_free(r->ps);
    r->ps = NULL;
    r->mode = 0;
    r->sse_state = 0;
    r->retry_after_s = -1;
    r->should_retry = -1;
    r->rl_pause_s = 0;
    r->rl_reset_s = -1;
    r->t_first_byte = 0;
}

/* Follower f gets its leader's answer `res` (as if from the cache) or its error, and
 * goes to the done list, in the same flush as its leader (which is there already). */
static void
twin_answer(struct llm_engine *e, struct llm_req *f, const struct llm_result *res)
{
    struct llm_result *fr =
        res->ok && res->response_json ? result_from_answer(f, res->response_json) : NULL;
    if (fr) {
        if (res->request_id)
            fr->request_id = xstrdup(res->request_id);
        if (res->prompt_tokens >= 0)
            fr->prompt_tokens = res->prompt_tokens;
        if (res->completion_tokens >= 0)
            fr->completion_tokens = res->completion_tokens;
        result_cost(f->m, fr);
    } else {
        fr = result_new(f);
        result_error(fr, res->ok ? LLM_E_PARSE : res->err.kind, res->err.http_status, res->err.type,
                     res->err.message);
        fr->err.retries = res->err.retries;
    }
    if (res->response_json && !fr->response_json)
        fr->response_json = xstrdup(res->response_json);
    f->res = fr;
    f->needs_log = 0; /* f->leader stays set: flush_done copies the leader's row id */
    push_done(e, f);
}

/* The leader r finished with res: its followers get the same answer (as if from the
 * cache) or the same error, right behind it in the done list.  A cancelled leader
 * hands its place to the first follower, which is then sent instead. */
static void
twins_settle(struct llm_engine *e, struct llm_req *r, const struct llm_result *res)
{
    struct llm_req *f = r->twins;
    r->twins = NULL;
    if (res->err.kind == LLM_E_CANCELLED && !e->freeing) {
        struct llm_req *nl = f;
        list_remove(&e->twins, nl);
        nl->leader = NULL;
        nl->twins = nl->twin_next;
        nl->twin_next = NULL;
        for (struct llm_req *x = nl->twins; x; x = x->twin_next)
            x->leader = nl;
        lead_add(e, nl);
        list_push_front(&nl->m->queue, nl, RQ_QUEUED);
        return;
    }
    while (f) {
        struct llm_req *next = f->twin_next;
        list_remove(&e->twins, f);
        f->twin_next = NULL;
        twin_answer(e, f, res);
        f = next;
    }
}

static void
finish(struct llm_engine *e, struct llm_req *r, struct llm_result *res)
{
    double t = now_ms();
    res->attempts = r->attempts;
    res->err.retries = r->attempts > 0 ? r->attempts - 1 : 0;
    res->latency_ms = r->attempts ? t - r->t_start : 0;
    if (r->t_first_byte > 0)
        res->ttfb_ms = r->t_first_byte - r->t_attempt;
    if (!res->request_id && r->server_req_id) {
        res->request_id = r->server_req_id;
        r->server_req_id = NULL;
    }
    result_cost(r->m, res);
    r->res = res;
    r->needs_log =
        !r->no_log && e->log && res->err.kind != LLM_E_CANCELLED && res->err.kind != LLM_E_DEFERRED;
    push_done(e, r);
    /* A leader with an answer stays findable until flush_done has committed its row
     * (from then on the cache answers): a twin submitted in between shares it too. */
    if (r->is_leader && (res->err.kind == LLM_E_CANCELLED || res->err.kind == LLM_E_DEFERRED))
        lead_remove(e, r);
    if (r->twins)
        twins_settle(e, r, res);
}

static int
max_retries_for(const struct llm_engine *e, const struct llm_model *m)
{
    return e->max_retries_override >= 0 ? e->max_retries_override : m->cfg.max_retries;
}

/* One attempt ended with curl code `cc`: success, a final error, or a retry. */
static void
attempt_done(struct llm_engine *e, struct llm_req *r, CURLcode cc)
{
    long status = 0;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
    release_slot(e, r);
    if (r->rl_pause_s < 0 && r->rl_reset_s > 0) {
        double until = now_ms() + fmin(r->rl_reset_s, LLM_MAX_RETRY_AFTER_S) * 1000.0;
        if (until > r->m->paused_until)
            r->m->paused_until = until;
    }
    struct llm_result *res = result_new(r);
    int retryable = 0;
    if (r->cancelled) {
        result_error(res, LLM_E_CANCELLED, 0, NULL, NULL);
        finish(e, r, res);
        return;
    }
    if (cc != CURLE_OK) {
        enum llm_err_kind k = cc == CURLE_OPERATION_TIMEDOUT ? LLM_E_TIMEOUT : LLM_E_CONNECT;
        struct strbuf msg = STRBUF_INIT;
        sb_printf(&msg, "%s: %s", r->url, r->errbuf[0] ? r->errbuf : curl_easy_strerror(cc));
        if (r->mode == 2 && cc != CURLE_OPERATION_TIMEDOUT)
            k = LLM_E_TRUNCATED;
        result_error(res, k, (int)status, NULL, sb_str(&msg));
        sb_free(&msg);
        retryable = 1;
    } else if (status >= 200 && status < 300) {
        res->err.http_status = (int)status;
        if (r->mode == 2) {
            sse_finish(&r->sse);
            const char *etype;
            const char *emsg = prov_stream_error(r->ps, &etype);
            if (r->sse_state < 0) {
                result_error(res, LLM_E_STREAM, (int)status, etype, emsg);
                retryable = 1;
            } else if (!prov_stream_done(r->ps)) {
                result_error(res, LLM_E_TRUNCATED, (int)status, NULL,
                             r->m->cfg.provider == LLM_PROVIDER_ANTHROPIC
                                 ? "the stream ended without message_stop"
                                 : "the stream ended without [DONE]");
                retryable = 1;
            } else {
                char *json = prov_stream_json(r->ps);
                if (prov_parse(r->m->cfg.provider, r->kind, json, strlen(json), &r->pr, res))
                    res->ok = 1;
                res->response_json = json;
            }
        } else {
            if (prov_parse(r->m->cfg.provider, r->kind, r->body.p ? r->body.p : "", r->body.len,
                           &r->pr, res)) {
                res->ok = 1;
            } else if (res->err.kind == LLM_E_STREAM) {
                retryable = 1; /* an error object inside a 200 */
                res->err.kind = LLM_E_SERVER;
            }
            res->response_json = r->body.len ? xstrndup(r->body.p, r->body.len) : NULL;
        }
        res->err.http_status = res->ok ? (int)status : res->err.http_status;
    } else {
        char *type = NULL, *msg = NULL;
        prov_error_body(r->body.p ? r->body.p : "", r->body.len, &type, &msg);
        enum llm_err_kind k = status == 429   ? LLM_E_RATE_LIMIT
                              : status >= 500 ? LLM_E_SERVER
                              : status == 408 ? LLM_E_TIMEOUT
                                              : LLM_E_HTTP;
        struct strbuf m = STRBUF_INIT;
        sb_printf(&m, "HTTP %ld: %s", status, msg && *msg ? msg : "(empty body)");
        if (r->kind == LLM_REWARD && (status == 404 || status == 405)) {
            /* the server has no Pooling API: not a vLLM server with a reward model */
            k = LLM_E_UNSUPPORTED;
            sb_printf(&m,
                      " at %s: no Pooling API here; reward scores need a vLLM server "
                      "running a reward model (docs/recipes.md)",
                      r->url);
        }
        result_error(res, k, (int)status, type, sb_str(&m));
        sb_free(&m);
        free(type);
        free(msg);
        res->response_json = r->body.len ? xstrndup(r->body.p, r->body.len) : NULL;
        retryable = status == 408 || status == 409 || status == 429 || status >= 500;
        if (r->should_retry >= 0)
            retryable = r->should_retry;
    }
    if (!res->ok && retryable && r->attempts - 1 < max_retries_for(e, r->m) && !e->freeing) {
        double d = -1;
        int server_said = r->retry_after_s > 0;
        if (server_said && r->retry_after_s <= LLM_MAX_RETRY_AFTER_S) {
            d = r->retry_after_s;
        } else if (server_said) {
            struct strbuf m = STRBUF_INIT;
            sb_printf(&m, "%s (the server asks to retry after %.0f s; not retried)",
                      res->err.message, r->retry_after_s);
            free(res->err.message);
            res->err.message = sb_take(&m);
        } else {
            int k = r->attempts - 1;
            d = r->m->cfg.backoff_s * pow(2.0, k);
            if (d > r->m->cfg.backoff_max_s)
                d = r->m->cfg.backoff_max_s;
            d *= 1.0 - 0.25 * rng_unit(e);
        }
        if (d >= 0) {
            llm_result_free(res);
            reset_attempt(r);
            e->stats.retries++;
            r->ready_at = now_ms() + d * 1000.0;
            list_push(&e->delayed, r, RQ_DELAYED);
            return;
        }
    }
    finish(e, r, res);
}

static void
read_messages(struct llm_engine *e)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(e->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        struct llm_req *r = NULL;
        CURLcode cc = msg->data.result;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        if (r)
            attempt_done(e, r, cc);
    }
}

static void
refill(struct llm_model *m, double t)
{
    double dt = (t - m->rl_last) / 60000.0; /* minutes */
    m->rl_last = t;
    if (m->cfg.rpm > 0)
        m->rpm_tokens = fmin(fmax(1.0, m->cfg.rpm / 60.0), m->rpm_tokens + dt * m->cfg.rpm);
    if (m->cfg.tpm > 0)
        m->tpm_tokens = fmin(m->cfg.tpm / 60.0, m->tpm_tokens + dt * m->cfg.tpm);
}

static int
start_queued(struct llm_engine *e, double t)
{
    int started = 0;
    for (int i = 0; i < e->n_models; i++) {
        struct llm_model *m = e->models[i];
        m->wake_at = -1;
        while (m->queue.head && m->in_flight < m->cfg.concurrency) {
            struct llm_req *r = m->queue.head;
            if (t < m->paused_until) {
                m->wake_at = m->paused_until;
                break;
            }
            if (m->cfg.rpm > 0 || m->cfg.tpm > 0) {
                refill(m, t);
                if (m->cfg.rpm > 0 && m->rpm_tokens < 1.0) {
                    m->wake_at = t + (1.0 - m->rpm_tokens) / m->cfg.rpm * 60000.0;
                    break;
                }
                double need = fmin(r->pr.est_tokens, m->cfg.tpm / 60.0);
                if (m->cfg.tpm > 0 && m->tpm_tokens < need) {
                    m->wake_at = t + (need - m->tpm_tokens) / m->cfg.tpm * 60000.0;
                    break;
                }
                if (m->cfg.rpm > 0)
                    m->rpm_tokens -= 1.0;
                if (m->cfg.tpm > 0)
                    m->tpm_tokens -= r->pr.est_tokens;
            }
            list_remove(&m->queue, r);
            start_req(e, r);
            started++;
        }
    }
    return started;
}

static void
promote_delayed(struct llm_engine *e, double t)
{
    struct llm_req *r = e->delayed.head;
    while (r) {
        struct llm_req *next = r->next;
        if (r->ready_at <= t) {
            list_remove(&e->delayed, r);
            /* a retry goes ahead of requests that have not started yet */
            list_push_front(&r->m->queue, r, RQ_QUEUED);
        }
        r = next;
    }
}

static void
log_row_fill(struct llm_req *r, struct llm_log_row *row)
{
    struct llm_result *res = r->res;
    struct llm_model *m = r->m;
    memset(row, 0, sizeof *row);
    row->cache_key = r->key;
    row->provider = llm_provider_name(m->cfg.provider);
    row->base_url = r->url ? m->cfg.base_urls[r->replica] : m->cfg.base_urls[0];
    row->model = m->cfg.model;
    row->model_name = m->cfg.name;
    row->endpoint = r->pr.path;
    row->request = r->pr.body ? r->pr.body : "";
    row->response = res->response_json;
    row->text = res->ok && res->n_choices ? res->text : NULL;
    row->status = res->ok ? "ok" : "error";
    row->http_status = res->err.http_status;
    row->error = res->ok ? NULL : res->err.message;
    row->error_kind = res->ok ? NULL : llm_err_kind_id(res->err.kind);
    row->prompt_tokens = res->prompt_tokens;
    row->completion_tokens = res->completion_tokens;
    row->latency_ms = res->latency_ms;
    row->ttfb_ms = res->ttfb_ms;
    row->cost = res->cost;
    row->has_cost = res->has_cost;
    row->attempts = res->attempts;
    row->sample_index = r->sample_index;
    row->resolved_model = res->resolved_model;
    row->finish_reason = res->n_choices ? res->choices[0].finish_reason : NULL;
    row->request_id = res->request_id;
}

static void
flush_done(struct llm_engine *e)
{
    if (!e->done.head)
        return;
    struct req_list batch = e->done;
    e->done = (struct req_list){0};
    e->done_logs = 0;
    /* Durable before anyone sees the result: a kill -9 after a callback never loses a
     * call that the script already acted on. */
    int nlog = 0;
    for (struct llm_req *r = batch.head; r; r = r->next)
        nlog += r->needs_log;
    if (nlog) {
        struct llm_log_row *rows = xcalloc((size_t)nlog, sizeof *rows);
        int64_t *ids = xcalloc((size_t)nlog, sizeof *ids);
        int k = 0;
        for (struct llm_req *r = batch.head; r; r = r->next)
            if (r->needs_log)
                log_row_fill(r, &rows[k++]);
        struct ps_err err;
        if (llm_log_insert(e->log, rows, nlog, ids, &err) == PS_OK) {
            k = 0;
            for (struct llm_req *r = batch.head; r; r = r->next)
                if (r->needs_log)
                    r->res->call_id = ids[k++];
                else if (r->leader && r->leader->res) /* a twin: right behind its leader */
                    r->res->call_id = r->leader->res->call_id;
        }
        free(rows);
        free(ids);
    }
    /* committed: the cache answers these keys from now on */
    for (struct llm_req *l = batch.head; l; l = l->next)
        if (l->is_leader)
            lead_remove(e, l);
    struct llm_req *r = batch.head;
    while (r) {
        struct llm_req *next = r->next;
        struct llm_result *res = r->res;
        r->res = NULL;
        e->n_pending--;
        e->stats.done++;
        if (res->ok) {
            /* a cache hit is not spent again: its tokens and cost are kept apart */
            e->stats.ok++;
            int64_t tok = (res->prompt_tokens > 0 ? res->prompt_tokens : 0) +
                          (res->completion_tokens > 0 ? res->completion_tokens : 0);
            if (res->cached) {
                e->stats.cached++;
                e->stats.cached_tokens += tok;
                if (res->has_cost)
                    e->stats.cached_cost += res->cost;
            } else {
                if (res->prompt_tokens > 0)
                    e->stats.prompt_tokens += res->prompt_tokens;
                if (res->completion_tokens > 0)
                    e->stats.completion_tokens += res->completion_tokens;
                if (res->has_cost)
                    e->stats.cost += res->cost;
            }
            if (!res->has_cost)
                e->stats.cost_unknown++;
        } else if (res->err.kind == LLM_E_CANCELLED) {
            e->stats.cancelled++;
        } else {
            e->stats.errors++;
        }
        if (r->on_done)
            r->on_done(r->ud, res);
        else
            llm_result_free(res);
        req_free(r);
        r = next;
    }
}

/* ------------------------------------------------------------------ cancel */

static void
cancel_req(struct llm_engine *e, struct llm_req *r)
{
    switch (r->where) {
    case RQ_QUEUED: list_remove(&r->m->queue, r); break;
    case RQ_DELAYED: list_remove(&e->delayed, r); break;
    case RQ_TWIN: {
        list_remove(&e->twins, r);
        struct llm_req **pp = &r->leader->twins;
        while (*pp != r)
            pp = &(*pp)->twin_next;
        *pp = r->twin_next;
        r->twin_next = NULL;
        r->leader = NULL;
        break;
    }
    case RQ_RUNNING:
        r->cancelled = 1;
        release_slot(e, r); /* aborts the transfer */
        break;
    default: return;
    }
    struct llm_result *res = result_new(r);
    result_error(res, LLM_E_CANCELLED, 0, NULL, NULL);
    finish(e, r, res);
}

int
llm_cancel(struct llm_engine *e, uint64_t id)
{
    admit_intake(e);
    for (struct llm_group *g = e->groups; g; g = g->next)
        if (g->id == id) {
            int any = 0;
            for (int i = 0; i < g->n; i++)
                any |= llm_cancel(e, g->child_ids[i]);
            return any;
        }
    for (int i = 0; i < e->n_models; i++)
        for (struct llm_req *r = e->models[i]->queue.head; r; r = r->next)
            if (r->id == id)
                return cancel_req(e, r), 1;
    for (struct llm_req *r = e->delayed.head; r; r = r->next)
        if (r->id == id)
            return cancel_req(e, r), 1;
    for (struct llm_req *r = e->twins.head; r; r = r->next)
        if (r->id == id)
            return cancel_req(e, r), 1;
    for (struct llm_req *r = e->running.head; r; r = r->next)
        if (r->id == id)
            return cancel_req(e, r), 1;
    return 0;
}

void
llm_cancel_all(struct llm_engine *e)
{
    admit_intake(e);
    /* followers first, so no cancelled leader hands its place on */
    while (e->twins.head)
        cancel_req(e, e->twins.head);
    for (int i = 0; i < e->n_models; i++)
        while (e->models[i]->queue.head)
            cancel_req(e, e->models[i]->queue.head);
    while (e->delayed.head)
        cancel_req(e, e->delayed.head);
    while (e->running.head)
        cancel_req(e, e->running.head);
}

/* ------------------------------------------------------------------ the loop */

/* The stall detector: a stream whose server has sent nothing (not even a keep-alive
 * comment) for stall_timeout is aborted as a timeout, and retried like one.  With
 * `t` >= 0, aborts those due; returns the earliest deadline still ahead (-1: none). */
static double
stall_scan(struct llm_engine *e, double t)
{
    double next = -1;
    struct llm_req *r = e->running.head;
    while (r) {
        struct llm_req *nx = r->next;
        double st = r->m->cfg.stall_timeout_s;
        if (r->pr.stream && st > 0) {
            double due = r->t_last_byte + st * 1000.0;
            if (t >= 0 && due <= t) {
                snprintf(r->errbuf, sizeof r->errbuf, "no data for %g s (stall_timeout)", st);
                attempt_done(e, r, CURLE_OPERATION_TIMEDOUT);
            } else if (next < 0 || due < next) {
                next = due;
            }
        }
        r = nx;
    }
    return next;
}

int
llm_engine_pollfds(struct llm_engine *e, struct pollfd *fds, int cap)
{
    for (int i = 0; i < e->n_sfds && i < cap; i++) {
        fds[i] = e->sfds[i];
        fds[i].revents = 0;
    }
    return e->n_sfds;
}

int
llm_engine_timeout_ms(struct llm_engine *e)
{
    double t = now_ms(), best = -1;
    if (e->intake.head || done_due(e, t))
        return 0;
    if (e->done.head)
        best = e->done_since + LLM_LOG_WAIT_MS;
    if (e->curl_deadline >= 0 && (best < 0 || e->curl_deadline < best))
        best = e->curl_deadline;
    for (struct llm_req *r = e->delayed.head; r; r = r->next)
        if (best < 0 || r->ready_at < best)
            best = r->ready_at;
    double stall = stall_scan(e, -1);
    if (stall >= 0 && (best < 0 || stall < best))
        best = stall;
    for (int i = 0; i < e->n_models; i++) {
        struct llm_model *m = e->models[i];
        if (m->queue.head && m->in_flight < m->cfg.concurrency) {
            double w = m->wake_at >= 0 ? m->wake_at : t;
            if (best < 0 || w < best)
                best = w;
        }
    }
    if (best < 0)
        return -1;
    double d = ceil(best - t);
    return d <= 0 ? 0 : d > 1e9 ? 1000000000 : (int)d;
}

int
llm_engine_step(struct llm_engine *e, const struct pollfd *fds, int n, struct ps_err *err)
{
    (void)err;
    int running;
    admit_intake(e);
    for (int i = 0; i < n; i++) {
        if (!fds[i].revents)
            continue;
        int flags = 0;
        if (fds[i].revents & (POLLIN | POLLHUP))
            flags |= CURL_CSELECT_IN;
        if (fds[i].revents & POLLOUT)
            flags |= CURL_CSELECT_OUT;
        if (fds[i].revents & (POLLERR | POLLNVAL))
            flags |= CURL_CSELECT_ERR;
        curl_multi_socket_action(e->multi, fds[i].fd, flags, &running);
    }
    double t = now_ms();
    if (e->curl_deadline >= 0 && t >= e->curl_deadline) {
        e->curl_deadline = -1;
        curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    }
    read_messages(e);
    stall_scan(e, now_ms());
    promote_delayed(e, t);
    if (start_queued(e, t)) {
        e->curl_deadline = -1;
        curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        read_messages(e);
    }
    if (done_due(e, now_ms()))
        flush_done(e);
    return PS_OK;
}

int
llm_engine_poll(struct llm_engine *e, struct pollfd *extra, int n_extra, int timeout_ms,
                struct ps_err *err)
{
    int need = e->n_sfds + n_extra;
    struct pollfd stackfds[256];
    struct pollfd *fds = need <= 256 ? stackfds : xmalloc((size_t)need * sizeof *fds);
    int ns = llm_engine_pollfds(e, fds, need);
    for (int i = 0; i < n_extra; i++) {
        fds[ns + i] = extra[i];
        fds[ns + i].revents = 0;
    }
    int t = llm_engine_timeout_ms(e);
    if (t < 0 || (timeout_ms >= 0 && timeout_ms < t))
        t = timeout_ms;
    int rc = poll(fds, (nfds_t)(ns + n_extra), t);
    if (rc < 0) {
        int saved = errno;
        if (fds != stackfds)
            free(fds);
        if (saved == EINTR)
            return PS_OK;
        return ps_error(err, PS_ERR_IO, "poll: %s", strerror(saved));
    }
    for (int i = 0; i < n_extra; i++)
        extra[i].revents = fds[ns + i].revents;
    rc = llm_engine_step(e, fds, ns, err);
    if (fds != stackfds)
        free(fds);
    return rc;
}

static void
stats_delta(const struct llm_engine *e, const struct llm_stats *base, struct progress_counts *c)
{
    struct llm_stats d = e->stats;
    d.done -= base->done;
    d.ok -= base->ok;
    d.errors -= base->errors;
    d.cached -= base->cached;
    d.cancelled -= base->cancelled;
    d.prompt_tokens -= base->prompt_tokens;
    d.completion_tokens -= base->completion_tokens;
    d.cost -= base->cost;
    d.cached_tokens -= base->cached_tokens;
    d.cached_cost -= base->cached_cost;
    d.cost_unknown -= base->cost_unknown;
    llm_stats_progress(&d, c);
}

int
llm_engine_run_progress(struct llm_engine *e, volatile sig_atomic_t *cancel, struct progress *pg,
                        struct ps_err *err)
{
    struct llm_stats base = e->stats;
    struct progress_counts c;
    int was_cancelled = 0;
    while (e->n_pending > 0) {
        if (cancel && *cancel && !was_cancelled) {
            was_cancelled = 1;
            llm_cancel_all(e);
        }
        int rc = llm_engine_poll(e, NULL, 0, pg ? 100 : cancel ? 200 : -1, err);
        if (rc != PS_OK)
            return rc;
        if (pg) {
            stats_delta(e, &base, &c);
            progress_update(pg, &c);
        }
    }
    if (pg) {
        stats_delta(e, &base, &c);
        progress_finish(pg, &c);
    }
    if (was_cancelled)
        return ps_error(err, PS_ERR_CANCELLED, "cancelled");
    return PS_OK;
}

int
llm_engine_run(struct llm_engine *e, volatile sig_atomic_t *cancel, struct ps_err *err)
{
    int was_cancelled = 0;
    while (e->n_pending > 0) {
        if (cancel && *cancel && !was_cancelled) {
            was_cancelled = 1;
            llm_cancel_all(e);
        }
        int rc = llm_engine_poll(e, NULL, 0, cancel ? 200 : -1, err);
        if (rc != PS_OK)
            return rc;
    }
    if (was_cancelled)
        return ps_error(err, PS_ERR_CANCELLED, "cancelled");
    return PS_OK;
}
