/* The call log and cache in the workspace: hits and misses, errors never cached,
 * cost NULL without a price, no API key anywhere in the file, and a run killed with
 * kill -9 that resumes by sending only the unfinished requests. */
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "llm/llm.h"
#include "llm_fake.h"
#include "store/store.h"
#include "test.h"

#define SENTINEL "sk-cache-SENTINEL-9731"

static struct fake_llm fake;
static char ws[512];

struct slot {
    struct llm_result *res;
};

static void
keep_result(void *ud, struct llm_result *res)
{
    ((struct slot *)ud)->res = res;
}

static struct llm_model *
add_model_at(struct llm_engine *eng, const char *name, int priced, int concurrency, int port,
             const char *cache_id, const char *model_id)
{
    struct llm_model_cfg c;
    memset(&c, 0, sizeof c);
    llm_model_cfg_defaults(&c);
    c.name = (char *)name;
    c.cache_id = (char *)cache_id;
    char *urls[1] = {fake.url[port]};
    c.base_urls = urls;
    c.n_base_urls = 1;
    c.model = (char *)(model_id ? model_id : "fake-model");
    c.concurrency = concurrency;
    c.max_retries = 0;
    c.api_key_env = "PS_TEST_CACHE_KEY";
    char *hdrs[1] = {"X-Extra-Secret: " SENTINEL};
    c.headers = hdrs;
    c.n_headers = 1;
    if (priced) {
        c.has_price = 1;
        c.price_in = 1.0;
        c.price_out = 2.0;
    }
    struct llm_model *m = NULL;
    struct ps_err err;
    if (llm_engine_add_model(eng, &c, &m, &err) != PS_OK)
        fprintf(stderr, "%s\n", err.msg);
    return m;
}

static struct llm_model *
add_model(struct llm_engine *eng, const char *name, int priced, int concurrency)
{
    return add_model_at(eng, name, priced, concurrency, 0, NULL, NULL);
}

static uint64_t
submit_chat(struct llm_engine *eng, struct llm_model *m, const char *prompt, int sample, int stream,
            int no_cache, struct slot *s)
{
    struct llm_msg msg = {"user", prompt};
    struct llm_request req;
    memset(&req, 0, sizeof req);
    req.kind = LLM_CHAT;
    req.messages = &msg;
    req.n_messages = 1;
    req.sample_index = sample;
    req.p.stream = stream;
    req.no_cache = no_cache;
    req.on_done = keep_result;
    req.ud = s;
    struct ps_err err;
    return llm_submit(eng, m, &req, &err);
}

static struct llm_result *
chat(struct llm_engine *eng, struct llm_model *m, const char *prompt, int sample, int stream,
     int no_cache)
{
    struct slot s = {NULL};
    struct ps_err err;
    if (!submit_chat(eng, m, prompt, sample, stream, no_cache, &s))
        return NULL;
    llm_engine_run(eng, NULL, &err);
    return s.res;
}

static long
prompt_count(const char *prompt)
{
    char *s = fake_llm_http(&fake, "GET", "/_stats");
    char key[256];
    snprintf(key, sizeof key, "\"%s\": ", prompt);
    const char *p = s ? strstr(s, key) : NULL;
    long v = p ? strtol(p + strlen(key), NULL, 10) : 0;
    free(s);
    return v;
}

static long long
sql_int(const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    long long v = -1;
    if (sqlite3_open_v2(ws, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
        if (sqlite3_step(s) == SQLITE_ROW)
            v = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return v;
}

static int
file_contains(const char *path, const char *needle)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = strlen(needle), have = 0, cap = 1 << 20;
    char *buf = malloc(cap);
    int found = 0;
    size_t k;
    while (!found && (k = fread(buf + have, 1, cap - have, f)) > 0) {
        have += k;
        for (size_t i = 0; i + n <= have && !found; i++)
            found = memcmp(buf + i, needle, n) == 0;
        if (have > n) {
            memmove(buf, buf + have - n, n);
            have = n;
        }
    }
    free(buf);
    fclose(f);
    return found;
}

static void
test_cache(void)
{
    struct store *st;
    struct ps_err err;
    CHECK_EQ(store_open(&st, ws, &err), PS_OK);
    struct llm_engine *eng;
    CHECK_EQ(llm_engine_new(&eng, st, &err), PS_OK);
    struct llm_model *m = add_model(eng, "priced", 1, 4);
    struct llm_model *free_m = add_model(eng, "unpriced", 0, 4);

    struct llm_result *a = chat(eng, m, "cache me", 0, 0, 0);
    CHECK(a && a->ok && !a->cached && a->call_id > 0);
    CHECK(a && a->has_cost && fabs(a->cost - (2 * 1.0 + 4 * 2.0) / 1e6) < 1e-12);
    struct llm_result *b = chat(eng, m, "cache me", 0, 0, 0);
    CHECK(b && b->ok && b->cached && b->attempts == 0);
    if (a && b) {
        CHECK_STREQ(b->text, a->text);
        CHECK_EQ(b->call_id, a->call_id);
        CHECK_EQ(b->prompt_tokens, a->prompt_tokens);
        CHECK(b->has_cost && fabs(b->cost - a->cost) < 1e-12);
    }
    CHECK_EQ(prompt_count("cache me"), 1);
    /* streaming does not change the key; the sample index does */
    struct llm_result *c = chat(eng, m, "cache me", 0, 1, 0);
    CHECK(c && c->cached);
    struct llm_result *d = chat(eng, m, "cache me", 1, 0, 0);
    CHECK(d && d->ok && !d->cached);
    CHECK_EQ(prompt_count("cache me"), 2);
    /* no_cache: sent and logged anyway */
    struct llm_result *e = chat(eng, m, "cache me", 0, 0, 1);
    CHECK(e && e->ok && !e->cached);
    CHECK_EQ(prompt_count("cache me"), 3);
    llm_result_free(a);
    llm_result_free(b);
    llm_result_free(c);
    llm_result_free(d);
    llm_result_free(e);

    /* errors are logged but never served from the cache */
    struct llm_result *f = chat(eng, m, "@@fail:1:400@@ once", 0, 0, 0);
    CHECK(f && !f->ok && f->call_id > 0);
    struct llm_result *g = chat(eng, m, "@@fail:1:400@@ once", 0, 0, 0);
    CHECK(g && g->ok && !g->cached);
    struct llm_result *h = chat(eng, m, "@@fail:1:400@@ once", 0, 0, 0);
    CHECK(h && h->ok && h->cached);
    CHECK_EQ(prompt_count("@@fail:1:400@@ once"), 2);
    llm_result_free(f);
    llm_result_free(g);
    llm_result_free(h);

    /* no price: cost NULL, never 0 */
    struct llm_result *u = chat(eng, free_m, "unpriced", 0, 0, 0);
    CHECK(u && u->ok && !u->has_cost);
    llm_result_free(u);
    struct llm_stats stats;
    llm_engine_stats(eng, &stats);
    CHECK_EQ(stats.cached, 3);
    CHECK_EQ(stats.errors, 1);
    CHECK_EQ(stats.cost_unknown, 1);
    llm_engine_free(eng);
    store_close(st);

    /* the rows */
    CHECK_EQ(sql_int("SELECT count(*) FROM llm_call"), 6); /* cache hits add no row */
    CHECK_EQ(sql_int("SELECT count(*) FROM llm_call WHERE status = 'error'"), 1);
    CHECK_EQ(sql_int("SELECT count(*) FROM llm_call WHERE status = 'error' AND http_status = 400"
                     " AND error_kind = 'http' AND error LIKE '%injected 400%' AND response LIKE "
                     "'%injected%'"),
             1);
    CHECK_EQ(
        sql_int("SELECT count(*) FROM llm_call WHERE model_name = 'unpriced' AND cost IS NULL"), 1);
    CHECK_EQ(sql_int("SELECT count(*) FROM llm_call WHERE model_name = 'priced' AND status = 'ok'"
                     " AND cost > 0 AND prompt_tokens > 0 AND completion_tokens > 0"),
             4);
    CHECK_EQ(sql_int("SELECT count(*) FROM llm_call WHERE text = 'reply to: cache me' AND provider "
                     "= 'openai'"
                     " AND endpoint = '/chat/completions' AND model = 'fake-model' AND attempts = 1"
                     " AND latency_ms > 0 AND finish_reason = 'stop' AND resolved_model = "
                     "'fake-model-resolved'"
                     " AND request_id LIKE 'req-%' AND length(cache_key) = 64"),
             3);
    CHECK_EQ(sql_int("SELECT count(*) FROM llm_call WHERE sample_index = 1"), 1);
    CHECK_EQ(
        sql_int("SELECT count(*) FROM llm_call WHERE json_extract(request, '$.messages[0].content')"
                " = 'cache me' AND json_extract(response, '$.object') = 'chat.completion'"),
        3);
    /* the key went out (the server saw it) but is nowhere in the workspace */
    char *log = fake_llm_http(&fake, "GET", "/_requests");
    CHECK_CONTAINS(log, "Bearer " SENTINEL);
    CHECK_CONTAINS(log, "\"x-extra-secret\": \"" SENTINEL);
    free(log);
    char path[600];
    CHECK(!file_contains(ws, "SENTINEL"));
    snprintf(path, sizeof path, "%s-wal", ws);
    CHECK(!file_contains(path, "SENTINEL"));
    CHECK_EQ(sql_int("SELECT count(*) FROM llm_call WHERE request LIKE '%SENTINEL%' OR response "
                     "LIKE '%SENTINEL%'"
                     " OR error LIKE '%SENTINEL%'"),
             0);
}

/* Identical requests in flight at once are sent once; the others wait and get its
 * answer (cached, the same call row) or its error.  A cancelled leader hands its
 * place to a follower; no_cache requests are never folded. */
#define N_TWINS 6

static void
test_twins(void)
{
    struct store *st;
    struct ps_err err;
    CHECK_EQ(store_open(&st, ws, &err), PS_OK);
    struct llm_engine *eng;
    CHECK_EQ(llm_engine_new(&eng, st, &err), PS_OK);
    struct llm_model *m = add_model(eng, "twins", 1, 8);
    fake_llm_reset(&fake);
    struct slot s[N_TWINS + 1];
    memset(s, 0, sizeof s);
    const char *p = "@@delay:300@@ twins";
    for (int i = 0; i < N_TWINS; i++) /* streamed and not: the same key */
        CHECK(submit_chat(eng, m, p, 0, i % 2, 0, &s[i]) > 0);
    CHECK(submit_chat(eng, m, p, 0, 0, 1, &s[N_TWINS]) > 0); /* no_cache: its own call */
    llm_engine_run(eng, NULL, &err);
    CHECK_EQ(prompt_count(p), 2);
    int cached = 0;
    for (int i = 0; i <= N_TWINS; i++) {
        CHECK(s[i].res && s[i].res->ok);
        if (!s[i].res)
            continue;
        CHECK_STREQ(s[i].res->text, "reply to: @@delay:300@@ twins");
        CHECK(s[i].res->prompt_tokens > 0 && s[0].res &&
              s[i].res->prompt_tokens == s[0].res->prompt_tokens);
        CHECK(s[i].res->call_id > 0);
        cached += s[i].res->cached;
        if (i > 0 && i < N_TWINS) {
            CHECK_EQ(s[i].res->cached, 1);
            CHECK_EQ(s[i].res->attempts, 0);
            CHECK_EQ(s[i].res->call_id, s[0].res ? s[0].res->call_id : -1);
            CHECK(s[i].res->has_cost);
        }
    }
    CHECK_EQ(cached, N_TWINS - 1);
    CHECK(s[N_TWINS].res && s[0].res && s[N_TWINS].res->call_id != s[0].res->call_id);
    for (int i = 0; i <= N_TWINS; i++)
        llm_result_free(s[i].res);

    /* the leader fails: every follower gets its error, nothing is sent twice */
    memset(s, 0, sizeof s);
    p = "@@fail:1:400@@ @@delay:200@@ twin error";
    for (int i = 0; i < 3; i++)
        submit_chat(eng, m, p, 0, 0, 0, &s[i]);
    llm_engine_run(eng, NULL, &err);
    CHECK_EQ(prompt_count(p), 1);
    for (int i = 0; i < 3; i++) {
        CHECK(s[i].res && !s[i].res->ok && s[i].res->err.http_status == 400);
        if (s[i].res)
            CHECK_CONTAINS(s[i].res->err.message, "injected 400");
        llm_result_free(s[i].res);
    }

    /* the leader is cancelled: the next one is sent in its place; a cancelled
     * follower is just cancelled */
    memset(s, 0, sizeof s);
    p = "@@delay:200@@ twin cancel";
    uint64_t id0 = submit_chat(eng, m, p, 0, 0, 0, &s[0]);
    submit_chat(eng, m, p, 0, 0, 0, &s[1]);
    uint64_t id2 = submit_chat(eng, m, p, 0, 0, 0, &s[2]);
    submit_chat(eng, m, p, 0, 0, 0, &s[3]);
    CHECK_EQ(llm_cancel(eng, id2), 1);
    CHECK_EQ(llm_cancel(eng, id0), 1);
    llm_engine_run(eng, NULL, &err);
    CHECK_EQ(prompt_count(p), 1);
    CHECK(s[0].res && s[0].res->err.kind == LLM_E_CANCELLED);
    CHECK(s[2].res && s[2].res->err.kind == LLM_E_CANCELLED);
    CHECK(s[1].res && s[1].res->ok && !s[1].res->cached);
    CHECK(s[3].res && s[3].res->ok && s[3].res->cached);
    if (s[1].res && s[3].res)
        CHECK_EQ(s[3].res->call_id, s[1].res->call_id);
    for (int i = 0; i < 4; i++)
        llm_result_free(s[i].res);
    /* a twin submitted after its leader finished but before its row is committed
     * (the log waits up to 20 ms for more rows while another call runs) shares it */
    memset(s, 0, sizeof s);
    p = "@@delay:50@@ window";
    submit_chat(eng, m, "@@delay:1500@@ keeps the log waiting", 0, 0, 0, &s[0]);
    submit_chat(eng, m, p, 0, 0, 0, &s[1]);
    struct llm_stats wst;
    int in_window = 0;
    for (int i = 0; i < 5000 && !in_window; i++) {
        llm_engine_poll(eng, NULL, 0, 1, &err);
        llm_engine_stats(eng, &wst);
        in_window = wst.in_flight == 1 && s[1].res == NULL;
    }
    CHECK(in_window);
    submit_chat(eng, m, p, 0, 0, 0, &s[2]);
    llm_engine_run(eng, NULL, &err);
    CHECK_EQ(prompt_count(p), 1);
    CHECK(s[1].res && s[1].res->ok && !s[1].res->cached);
    CHECK(s[2].res && s[2].res->ok && s[2].res->cached);
    if (s[1].res && s[2].res)
        CHECK_EQ(s[2].res->call_id, s[1].res->call_id);
    for (int i = 0; i < 3; i++)
        llm_result_free(s[i].res);
    struct llm_stats stats;
    llm_engine_stats(eng, &stats);
    CHECK_EQ(stats.cancelled, 2);
    CHECK_EQ(stats.in_flight + stats.queued, 0);
    llm_engine_free(eng);
    store_close(st);
    CHECK_EQ(sql_int("SELECT count(*) FROM llm_call WHERE model_name = 'twins'"), 6);
}

/* cache_id replaces provider and base URL in the key: the cache survives a server
 * that moved to another port; without it, or with another model id, it does not. */
static void
test_cache_id(void)
{
    struct store *st;
    struct ps_err err;
    CHECK_EQ(store_open(&st, ws, &err), PS_OK);
    struct llm_engine *eng;
    CHECK_EQ(llm_engine_new(&eng, st, &err), PS_OK);
    struct llm_model *a = add_model_at(eng, "box-a", 0, 2, 0, "gpu-box", NULL);
    struct llm_model *b = add_model_at(eng, "box-b", 0, 2, 1, "gpu-box", NULL);
    struct llm_model *plain = add_model_at(eng, "plain-b", 0, 2, 1, NULL, NULL);
    struct llm_model *other = add_model_at(eng, "other-b", 0, 2, 1, "gpu-box", "other-model");
    CHECK(a && b && plain && other);
    if (!a || !b || !plain || !other)
        return;
    fake_llm_reset(&fake);
    const char *p = "moved server";
    struct llm_result *r1 = chat(eng, a, p, 0, 0, 0);
    struct llm_result *r2 = chat(eng, b, p, 0, 0, 0);
    CHECK(r1 && r1->ok && !r1->cached);
    CHECK(r2 && r2->ok && r2->cached);
    if (r1 && r2)
        CHECK_EQ(r2->call_id, r1->call_id);
    CHECK_EQ(prompt_count(p), 1);
    struct llm_result *r3 = chat(eng, plain, p, 0, 0, 0);
    CHECK(r3 && r3->ok && !r3->cached);
    struct llm_result *r4 = chat(eng, other, p, 0, 0, 0);
    CHECK(r4 && r4->ok && !r4->cached);
    CHECK_EQ(prompt_count(p), 3);
    CHECK_EQ(fake_llm_port_count(&fake, 1), 2);
    llm_result_free(r1);
    llm_result_free(r2);
    llm_result_free(r3);
    llm_result_free(r4);
    llm_engine_free(eng);
    store_close(st);
}

#define N_RESUME 30

static int
run_resume_batch(struct slot *slots)
{
    struct store *st;
    struct ps_err err;
    if (store_open(&st, ws, &err) != PS_OK)
        return -1;
    struct llm_engine *eng;
    llm_engine_new(&eng, st, &err);
    struct llm_model *m = add_model(eng, "resume", 0, 3);
    char prompts[N_RESUME][64];
    for (int i = 0; i < N_RESUME; i++) {
        snprintf(prompts[i], sizeof prompts[i], "@@delay:60@@ resume %d", i);
        struct llm_msg msg = {"user", prompts[i]};
        struct llm_request req;
        memset(&req, 0, sizeof req);
        req.kind = LLM_CHAT;
        req.messages = &msg;
        req.n_messages = 1;
        req.on_done = slots ? keep_result : NULL;
        req.ud = slots ? &slots[i] : NULL;
        llm_submit(eng, m, &req, &err);
    }
    llm_engine_run(eng, NULL, &err);
    llm_engine_free(eng);
    store_close(st);
    return 0;
}

static void
test_kill_resume(void)
{
    fake_llm_reset(&fake);
    pid_t pid = fork();
    if (pid == 0) {
        run_resume_batch(NULL);
        _exit(0);
    }
    /* kill -9 once some (not all) calls are durable */
    long long done = 0;
    for (int i = 0; i < 400 && done < 8; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
        done = sql_int(
            "SELECT count(*) FROM llm_call WHERE text LIKE 'reply to: @@delay:60@@ resume %'");
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    long long k =
        sql_int("SELECT count(*) FROM llm_call WHERE text LIKE 'reply to: @@delay:60@@ resume %'");
    CHECK(k >= 8 && k < N_RESUME);
    fake_llm_reset(&fake);
    static struct slot slots[N_RESUME];
    CHECK_EQ(run_resume_batch(slots), 0);
    int cached = 0, ok = 0;
    for (int i = 0; i < N_RESUME; i++) {
        if (slots[i].res) {
            ok += slots[i].res->ok;
            cached += slots[i].res->cached;
            char want[64];
            snprintf(want, sizeof want, "reply to: @@delay:60@@ resume %d", i);
            CHECK_STREQ(slots[i].res->text, want);
        }
        llm_result_free(slots[i].res);
    }
    CHECK_EQ(ok, N_RESUME);
    CHECK_EQ(cached, k);
    CHECK_EQ(fake_llm_stat(&fake, "requests"), N_RESUME - k);
}

int
main(void)
{
    setenv("PS_TEST_CACHE_KEY", SENTINEL, 1);
    const char *args[] = {"--ports", "2", NULL};
    if (fake_llm_start(&fake, args) != 0) {
        fprintf(stderr, "SKIP: cannot start the fake server\n");
        return 77;
    }
    snprintf(ws, sizeof ws, "%s/ws.db", test_tmpdir());
    test_cache();
    test_twins();
    test_cache_id();
    test_kill_resume();
    fake_llm_stop(&fake);
    return test_summary();
}
