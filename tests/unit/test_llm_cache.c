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
#include "store/llm_log.h"
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
sql_int_at(const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    long long v = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
        if (sqlite3_step(s) == SQLITE_ROW)
            v = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return v;
}

static long long
sql_int(const char *sql)
{
    return sql_int_at(ws, sql);
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
    /* created_at: what the column default wrote (UTC, milliseconds), and now */
    CHECK_EQ(sql_int("SELECT count(*) FROM llm_call WHERE created_at GLOB"
                     " '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]"
                     ".[0-9][0-9][0-9]Z'"
                     " AND strftime('%Y-%m-%dT%H:%M:%fZ', created_at) = created_at"
                     " AND abs(julianday('now') - julianday(created_at)) * 86400 < 120"),
             6);
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

/* Submit prompts[0..n) (every stream_every-th streamed, 0 = none) to a model of the
 * fake server on a workspace and run them all; item i's callback gets
 * (char *)uds + i * ud_size.  The caller's kill -9 may end it anywhere. */
static int
run_prompts(const char *path, const char *model, int concurrency, int n, char (*prompts)[96],
            int stream_every, llm_done_fn on_done, void *uds, size_t ud_size)
{
    struct store *st;
    struct ps_err err;
    if (store_open(&st, path, &err) != PS_OK)
        return -1;
    struct llm_engine *eng;
    llm_engine_new(&eng, st, &err);
    struct llm_model *m = add_model(eng, model, 0, concurrency);
    for (int i = 0; i < n; i++) {
        struct llm_msg msg = {"user", prompts[i]};
        struct llm_request req;
        memset(&req, 0, sizeof req);
        req.kind = LLM_CHAT;
        req.messages = &msg;
        req.n_messages = 1;
        req.p.stream = stream_every && i % stream_every == 0;
        req.on_done = on_done;
        req.ud = on_done ? (char *)uds + (size_t)i * ud_size : NULL;
        llm_submit(eng, m, &req, &err);
    }
    llm_engine_run(eng, NULL, &err);
    llm_engine_free(eng);
    store_close(st);
    return 0;
}

static int
run_resume_batch(struct slot *slots)
{
    static char prompts[N_RESUME][96];
    for (int i = 0; i < N_RESUME; i++)
        snprintf(prompts[i], sizeof prompts[i], "@@delay:60@@ resume %d", i);
    return run_prompts(ws, "resume", 3, N_RESUME, prompts, 0, slots ? keep_result : NULL, slots,
                       sizeof *slots);
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

/* A run killed at a random moment right after a callback: every result a callback
 * reported is in the log (its call_id row, its answer), nothing is logged twice, and
 * the rerun answers those from the cache and sends only the calls that have no row.
 * Random delays make the groups of rows committed together vary from round to round. */
#define N_KILL 160

static uint64_t kill_rng = 0x2545F4914F6CDD1DULL;

static unsigned
kill_rand(unsigned n)
{
    kill_rng ^= kill_rng << 13;
    kill_rng ^= kill_rng >> 7;
    kill_rng ^= kill_rng << 17;
    return (unsigned)(kill_rng >> 33) % n;
}

struct reporter {
    int fd, i;
};

static void
report_result(void *ud, struct llm_result *res)
{
    struct reporter *rp = ud;
    char line[64];
    int n = snprintf(line, sizeof line, "%d %lld %d\n", rp->i, (long long)res->call_id, res->ok);
    /* one write(2) per line: what reached the pipe survives the kill */
    if (write(rp->fd, line, (size_t)n) != n)
        _exit(3);
    llm_result_free(res);
}

static void
kill_prompt(char *out, size_t cap, int round, int i)
{
    snprintf(out, cap, "@@delay:%d@@ kill round %d item %d", 5 + (i * 7919 + round * 104729) % 70,
             round, i);
}

static int
run_kill_batch(const char *path, int round, int report_fd, struct slot *slots)
{
    static char prompts[N_KILL][96];
    static struct reporter rep[N_KILL];
    for (int i = 0; i < N_KILL; i++) {
        kill_prompt(prompts[i], sizeof prompts[i], round, i);
        rep[i] = (struct reporter){report_fd, i};
    }
    if (slots)
        return run_prompts(path, "kill", 12, N_KILL, prompts, 4, keep_result, slots, sizeof *slots);
    return run_prompts(path, "kill", 12, N_KILL, prompts, 4, report_result, rep, sizeof *rep);
}

static void
test_kill_reported(void)
{
    for (int round = 0; round < 4; round++) {
        char path[600];
        snprintf(path, sizeof path, "%s/kill%d.db", test_tmpdir(), round);
        fake_llm_reset(&fake);
        int p[2];
        CHECK_EQ(pipe(p), 0);
        pid_t pid = fork();
        if (pid == 0) {
            close(p[0]);
            run_kill_batch(path, round, p[1], NULL);
            _exit(0);
        }
        close(p[1]);
        /* kill as soon as `target` results have been reported */
        int target = 1 + (int)kill_rand(N_KILL - 20);
        FILE *in = fdopen(p[0], "r");
        static long long call_id[N_KILL];
        int reported = 0, idx, ok;
        long long cid;
        for (int i = 0; i < N_KILL; i++)
            call_id[i] = 0;
        while (reported < target && fscanf(in, "%d %lld %d", &idx, &cid, &ok) == 3) {
            CHECK(idx >= 0 && idx < N_KILL && ok == 1 && cid > 0);
            if (idx >= 0 && idx < N_KILL)
                call_id[idx] = cid;
            reported++;
        }
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        /* what was reported before the kill and still sits in the pipe counts too */
        while (fscanf(in, "%d %lld %d", &idx, &cid, &ok) == 3) {
            if (idx >= 0 && idx < N_KILL)
                call_id[idx] = cid;
            reported++;
        }
        fclose(in);
        CHECK(reported >= target);
        char sql[512];
        int found = 0;
        for (int i = 0; i < N_KILL; i++) {
            if (!call_id[i])
                continue;
            char prompt[96];
            kill_prompt(prompt, sizeof prompt, round, i);
            snprintf(sql, sizeof sql,
                     "SELECT count(*) FROM llm_call WHERE id = %lld AND status = 'ok'"
                     " AND text = 'reply to: %s'",
                     call_id[i], prompt);
            long long n = sql_int_at(path, sql);
            if (n != 1)
                fprintf(stderr, "round %d: reported item %d (call %lld) not in the log\n", round, i,
                        call_id[i]);
            found += n == 1;
        }
        CHECK_EQ(found, reported);
        long long rows = sql_int_at(path, "SELECT count(*) FROM llm_call WHERE status = 'ok'");
        CHECK(rows >= reported && rows <= N_KILL);
        CHECK_EQ(sql_int_at(path, "SELECT count(DISTINCT text) FROM llm_call"), rows);
        /* the rerun: the logged calls come from the cache, only the rest is sent */
        fake_llm_reset(&fake);
        static struct slot slots[N_KILL];
        memset(slots, 0, sizeof slots);
        CHECK_EQ(run_kill_batch(path, round, -1, slots), 0);
        int n_ok = 0, cached = 0;
        for (int i = 0; i < N_KILL; i++) {
            struct llm_result *r = slots[i].res;
            if (r) {
                n_ok += r->ok;
                cached += r->cached;
                char prompt[96], want[128];
                kill_prompt(prompt, sizeof prompt, round, i);
                snprintf(want, sizeof want, "reply to: %s", prompt);
                CHECK_STREQ(r->text, want);
                if (call_id[i])
                    CHECK(r->cached && r->call_id == call_id[i]);
            }
            llm_result_free(r);
        }
        CHECK_EQ(n_ok, N_KILL);
        CHECK_EQ(cached, rows);
        CHECK_EQ(fake_llm_stat(&fake, "requests"), N_KILL - rows);
        fprintf(stderr, "kill round %d: %d reported, %lld logged at the kill\n", round, reported,
                rows);
    }
}

/* The lookup behind the cache, on rows written straight through llm_log: keys that
 * share the indexed 16-digit prefix (and keys that differ only there), ok and error
 * rows in random order; the answer is the newest ok row with exactly that key,
 * computed here by a scan of what was written.  And the plan is an index search. */
#define N_LOOK 400

/* The id of the newest ok row written with exactly `probe` (0: none), by a scan. */
static int64_t
newest_ok(char (*keys)[65], const int *is_ok, const int64_t *ids, const char *probe)
{
    int64_t want = 0;
    for (int i = 0; i < N_LOOK; i++)
        if (is_ok[i] && strcmp(keys[i], probe) == 0 && ids[i] > want)
            want = ids[i];
    return want;
}

static void
test_lookup_prefix(void)
{
    char path[600];
    snprintf(path, sizeof path, "%s/lookup.db", test_tmpdir());
    struct store *st;
    struct ps_err err;
    CHECK_EQ(store_open(&st, path, &err), PS_OK);
    struct llm_log *lg;
    CHECK_EQ(llm_log_open(st, &lg, &err), PS_OK);
    CHECK_EQ(llm_log_check_plan(lg, &err), PS_OK);
    static char keys[N_LOOK][65];
    static int is_ok[N_LOOK];
    static int64_t ids[N_LOOK];
    static const char hex[] = "0123456789abcdef";
    struct llm_log_row rows[N_LOOK];
    memset(rows, 0, sizeof rows);
    for (int i = 0; i < N_LOOK; i++) {
        /* 4 prefixes x 3 tails: many rows per key, several keys per prefix */
        unsigned pfx = kill_rand(4), tail = kill_rand(3);
        for (int k = 0; k < 64; k++)
            keys[i][k] = k < 16 ? hex[(pfx * 5 + (unsigned)k) % 16] : k < 63 ? 'a' : hex[tail];
        keys[i][64] = 0;
        is_ok[i] = kill_rand(3) != 0;
        rows[i].cache_key = keys[i];
        rows[i].status = is_ok[i] ? "ok" : "error";
        rows[i].response = keys[i];
        rows[i].prompt_tokens = rows[i].completion_tokens = -1;
        rows[i].ttfb_ms = -1;
    }
    /* in a few batches, like the engine's group commits */
    for (int at = 0; at < N_LOOK; at += 100)
        CHECK_EQ(llm_log_insert(lg, rows + at, 100, ids + at, &err), PS_OK);
    int hits = 0;
    for (int q = 0; q < N_LOOK + 50; q++) {
        char probe[65];
        if (q < N_LOOK) {
            memcpy(probe, keys[q], 65);
        } else { /* a prefix that exists with a tail that does not */
            memcpy(probe, keys[q - N_LOOK], 65);
            probe[63] = 'z';
        }
        int64_t want = newest_ok(keys, is_ok, ids, probe);
        struct llm_log_hit hit;
        int rc = llm_log_lookup(lg, probe, &hit, &err);
        CHECK_EQ(rc, want ? PS_OK : PS_ERR_NOTFOUND);
        if (rc == PS_OK) {
            CHECK_EQ(hit.id, want);
            CHECK_STREQ(hit.response, probe);
            hits++;
        }
        llm_log_hit_free(&hit);
    }
    CHECK(hits > N_LOOK / 2);
    llm_log_close(lg);
    store_close(st);
    CHECK_EQ(sql_int_at(path, "SELECT count(*) FROM sqlite_master WHERE name = 'llm_call_key'"), 0);
    /* a workspace from before migration 10 (the index on the whole key) is upgraded at
     * its next open, its rows found through the new index */
    sqlite3 *db;
    CHECK_EQ(sqlite3_open(path, &db), SQLITE_OK);
    CHECK_EQ(sqlite3_exec(db,
                          "DROP INDEX llm_call_key16; CREATE INDEX llm_call_key ON"
                          " llm_call(cache_key) WHERE status = 'ok'; PRAGMA user_version = 9;",
                          NULL, NULL, NULL),
             SQLITE_OK);
    sqlite3_close(db);
    CHECK_EQ(store_open(&st, path, &err), PS_OK);
    CHECK_EQ(llm_log_open(st, &lg, &err), PS_OK);
    CHECK_EQ(llm_log_check_plan(lg, &err), PS_OK);
    for (int i = 0; i < N_LOOK; i += 7) {
        int64_t want = newest_ok(keys, is_ok, ids, keys[i]);
        struct llm_log_hit hit;
        CHECK_EQ(llm_log_lookup(lg, keys[i], &hit, &err), want ? PS_OK : PS_ERR_NOTFOUND);
        CHECK_EQ(hit.id, want);
        llm_log_hit_free(&hit);
    }
    llm_log_close(lg);
    store_close(st);
    CHECK_EQ(sql_int_at(path, "SELECT count(*) FROM sqlite_master WHERE name = 'llm_call_key'"), 0);
    CHECK_EQ(sql_int_at(path, "SELECT count(*) FROM sqlite_master WHERE name = 'llm_call_key16'"),
             1);
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
    test_kill_reported();
    test_lookup_prefix();
    fake_llm_stop(&fake);
    return test_summary();
}
