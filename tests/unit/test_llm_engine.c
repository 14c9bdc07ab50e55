/* The LLM engine against the loopback fake server: wire formats, streaming edge
 * cases, retries and their count, concurrency, replicas, result order. */
#include <math.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "llm/llm.h"
#include "llm_fake.h"
#include "test.h"

static struct fake_llm fake;

struct slot {
    struct llm_result *res;
};

static void
keep_result(void *ud, struct llm_result *res)
{
    struct slot *s = ud;
    s->res = res;
}

/* A chat request with one user message; the message lives in *msg (caller's). */
static struct llm_request
chat_req(struct llm_msg *msg, const char *prompt, struct slot *s)
{
    struct llm_request req;
    memset(&req, 0, sizeof req);
    msg->role = "user";
    msg->content = prompt;
    req.kind = LLM_CHAT;
    req.messages = msg;
    req.n_messages = 1;
    req.on_done = s ? keep_result : NULL;
    req.ud = s;
    return req;
}

static struct llm_model *
add_model(struct llm_engine *eng, const char *name, enum llm_provider prov, int n_urls,
          int concurrency, int retries, const char *model_id)
{
    struct llm_model_cfg c;
    memset(&c, 0, sizeof c);
    llm_model_cfg_defaults(&c);
    c.name = (char *)name;
    c.provider = prov;
    char *urls[8];
    for (int i = 0; i < n_urls; i++)
        urls[i] = fake.url[i];
    c.base_urls = urls;
    c.n_base_urls = n_urls;
    c.model = (char *)(model_id ? model_id : "fake-model");
    c.concurrency = concurrency;
    c.max_retries = retries;
    c.timeout_s = 2;
    c.stall_timeout_s = 1;
    c.backoff_s = 0.01;
    c.backoff_max_s = 0.05;
    c.api_key_env = "PS_TEST_LLM_KEY";
    struct llm_model *m = NULL;
    struct ps_err err;
    if (llm_engine_add_model(eng, &c, &m, &err) != PS_OK)
        fprintf(stderr, "add_model: %s\n", err.msg);
    return m;
}

/* Submit one chat and run the engine until it completes. */
static struct llm_result *
chat1(struct llm_engine *eng, struct llm_model *m, const char *prompt, int stream)
{
    struct llm_msg msg = {"user", prompt};
    struct slot s = {NULL};
    struct llm_request req;
    memset(&req, 0, sizeof req);
    req.kind = LLM_CHAT;
    req.messages = &msg;
    req.n_messages = 1;
    req.p.stream = stream;
    req.p.temperature = 0;
    req.p.has_temperature = 1;
    req.on_done = keep_result;
    req.ud = &s;
    struct ps_err err;
    if (!llm_submit(eng, m, &req, &err)) {
        fprintf(stderr, "submit: %s\n", err.msg);
        return NULL;
    }
    CHECK_EQ(llm_engine_run(eng, NULL, &err), PS_OK);
    return s.res;
}

static void
test_basic(struct llm_engine *eng, struct llm_model *m, struct llm_model *an)
{
    for (int stream = 0; stream <= 1; stream++) {
        struct llm_result *r = chat1(eng, m, "hello world", stream);
        CHECK(r && r->ok);
        if (!r)
            continue;
        CHECK_STREQ(r->text, "reply to: hello world");
        CHECK_EQ(r->n_choices, 1);
        CHECK_STREQ(r->choices[0].finish_reason, "stop");
        CHECK_EQ(r->prompt_tokens, 2);
        CHECK_EQ(r->completion_tokens, 4);
        CHECK_STREQ(r->resolved_model, "fake-model-resolved");
        CHECK(r->request_id && strncmp(r->request_id, "req-", 4) == 0);
        CHECK_EQ(r->attempts, 1);
        CHECK_EQ(r->err.retries, 0);
        CHECK_EQ(r->cached, 0);
        CHECK(r->latency_ms > 0);
        CHECK(!r->has_cost); /* no price configured: unknown, not 0 */
        llm_result_free(r);

        r = chat1(eng, an, "hi there", stream);
        CHECK(r && r->ok);
        if (r) {
            CHECK_STREQ(r->text, "reply to: hi there");
            CHECK_STREQ(r->choices[0].finish_reason, "end_turn");
            CHECK_EQ(r->prompt_tokens, 2);
            CHECK_EQ(r->completion_tokens, 4);
        }
        llm_result_free(r);
    }
    /* What was sent: the Bearer / x-api-key header, anthropic-version, explicit
     * sampling params, system as a top-level field. */
    char *log = fake_llm_http(&fake, "GET", "/_requests");
    CHECK_CONTAINS(log, "\"authorization\": \"Bearer sk-test-SENTINEL-4242\"");
    CHECK_CONTAINS(log, "\"x-api-key\": \"sk-test-SENTINEL-4242\"");
    CHECK_CONTAINS(log, "\"anthropic-version\": \"2023-06-01\"");
    CHECK_CONTAINS(log, "\"temperature\": 0");
    CHECK_CONTAINS(log, "\"max_tokens\": 1024");
    CHECK_CONTAINS(log, "\"include_usage\": true");
    free(log);
}

static void
test_stream_faults(struct llm_engine *eng, struct llm_model *m, struct llm_model *an)
{
    static const struct {
        const char *prompt;
        int ok;
        enum llm_err_kind kind;
    } cases[] = {
        {"@@split@@ split me into bytes", 1, LLM_E_NONE},
        {"@@crlf@@ crlf", 1, LLM_E_NONE},
        {"@@cr@@ lone cr", 1, LLM_E_NONE},
        {"@@comments@@ keep alive", 1, LLM_E_NONE},
        {"@@jsonstream@@ wrong content type", 1, LLM_E_NONE},
        {"@@split@@ @@crlf@@ \xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xe2\x80\xa8 emoji "
         "\xf0\x9f\x98\x80",
         1, LLM_E_NONE},
        {"@@nodone@@ no done", 0, LLM_E_TRUNCATED},
        {"@@cut@@ cut", 0, LLM_E_TRUNCATED},
        {"@@midstream_error@@ fails", 0, LLM_E_STREAM},
        {"@@llamacpp_error@@ fails", 0, LLM_E_STREAM},
        {"@@trickle:3@@ stalls", 0, LLM_E_TIMEOUT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct llm_result *r = chat1(eng, m, cases[i].prompt, 1);
        CHECK(r != NULL);
        if (!r)
            continue;
        if (r->ok != cases[i].ok || r->err.kind != cases[i].kind)
            fprintf(stderr, "case %s: ok=%d kind=%s msg=%s\n", cases[i].prompt, r->ok,
                    llm_err_kind_str(r->err.kind), r->err.message ? r->err.message : "");
        CHECK_EQ(r->ok, cases[i].ok);
        CHECK_EQ(r->err.kind, cases[i].kind);
        if (cases[i].ok) {
            struct strbuf want = STRBUF_INIT;
            sb_printf(&want, "reply to: %s", cases[i].prompt);
            CHECK_STREQ(r->text, sb_str(&want));
            sb_free(&want);
        } else {
            CHECK_EQ(r->attempts, 1); /* max_retries 0 on this model */
            CHECK(r->err.message && *r->err.message);
        }
        llm_result_free(r);
    }
    struct llm_result *r = chat1(eng, an, "@@anthropic_error@@ overloaded", 1);
    CHECK(r && !r->ok && r->err.kind == LLM_E_STREAM);
    if (r)
        CHECK_CONTAINS(r->err.message, "Overloaded");
    llm_result_free(r);
    r = chat1(eng, an, "@@nodone@@ no stop", 1);
    CHECK(r && !r->ok && r->err.kind == LLM_E_TRUNCATED);
    llm_result_free(r);
    r = chat1(eng, an, "@@split@@ @@crlf@@ anthropic split", 1);
    CHECK(r && r->ok);
    if (r)
        CHECK_STREQ(r->text, "reply to: @@split@@ @@crlf@@ anthropic split");
    llm_result_free(r);
}

static void
test_retries(struct llm_engine *eng, struct llm_model *m)
{
    static const struct {
        const char *prompt;
        int ok, attempts;
        enum llm_err_kind kind;
        int status;
    } cases[] = {
        {"@@fail:2:429:ram=10@@ a", 1, 3, LLM_E_NONE, 200},
        {"@@fail:2:429:ra=0.01@@ b", 1, 3, LLM_E_NONE, 200},
        {"@@fail:1:429:date@@ c", 1, 2, LLM_E_NONE, 200},
        {"@@fail:1:529@@ d", 1, 2, LLM_E_NONE, 200},
        {"@@fail:2:503@@ e", 1, 3, LLM_E_NONE, 200},
        {"@@fail:1:408@@ f", 1, 2, LLM_E_NONE, 200},
        {"@@fail:1:409@@ g", 1, 2, LLM_E_NONE, 200},
        {"@@fail:5:500@@ h", 0, 4, LLM_E_SERVER, 500},
        {"@@fail:1:400@@ i", 0, 1, LLM_E_HTTP, 400},
        {"@@fail:1:404@@ j", 0, 1, LLM_E_HTTP, 404},
        {"@@fail:1:500:sr=false@@ k", 0, 1, LLM_E_SERVER, 500},
        {"@@fail:1:400:sr=true@@ l", 1, 2, LLM_E_NONE, 200},
        {"@@fail:1:429:ra=120@@ m", 0, 1, LLM_E_RATE_LIMIT, 429},
        /* libcurl itself resends a request once when a reused connection dies before
         * any answer, so these do not fix the attempt count (-1) */
        {"@@reset:2@@ n", 1, -1, LLM_E_NONE, 200},
        {"@@close:1@@ o", 1, -1, LLM_E_NONE, 200},
        {"@@stall:1:3@@ p", 1, 2, LLM_E_NONE, 200},
        {"@@malformed@@ q", 0, 1, LLM_E_PARSE, 200},
        {"@@empty@@ q2", 0, 1, LLM_E_PARSE, 200},
        {"@@textplain@@ q3", 1, 1, LLM_E_NONE, 200},
        {"@@html502@@ r", 0, 4, LLM_E_SERVER, 502},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct llm_result *r = chat1(eng, m, cases[i].prompt, 0);
        CHECK(r != NULL);
        if (!r)
            continue;
        if (cases[i].attempts < 0) {
            CHECK(r->ok);
            llm_result_free(r);
            continue;
        }
        if (r->ok != cases[i].ok || r->attempts != cases[i].attempts)
            fprintf(stderr, "case %s: ok=%d attempts=%d kind=%s msg=%s\n", cases[i].prompt, r->ok,
                    r->attempts, llm_err_kind_str(r->err.kind),
                    r->err.message ? r->err.message : "");
        CHECK_EQ(r->ok, cases[i].ok);
        CHECK_EQ(r->attempts, cases[i].attempts);
        CHECK_EQ(r->err.retries, cases[i].attempts - 1);
        CHECK_EQ(r->err.kind, cases[i].kind);
        CHECK_EQ(r->err.http_status, cases[i].status);
        llm_result_free(r);
    }
    /* a per-request timeout overrides the model's (2 s) */
    {
        struct llm_msg msg = {"user", "@@delay:6000@@ slow one"};
        struct slot s = {NULL};
        struct llm_request req;
        memset(&req, 0, sizeof req);
        req.kind = LLM_CHAT;
        req.messages = &msg;
        req.n_messages = 1;
        req.timeout_s = 0.3;
        req.on_done = keep_result;
        req.ud = &s;
        struct ps_err err;
        llm_engine_set_max_retries(eng, 0);
        CHECK(llm_submit(eng, m, &req, &err) > 0);
        llm_engine_run(eng, NULL, &err);
        llm_engine_set_max_retries(eng, -1);
        CHECK(s.res && !s.res->ok && s.res->err.kind == LLM_E_TIMEOUT && s.res->latency_ms < 3000);
        llm_result_free(s.res);
    }
    struct llm_result *r = chat1(eng, m, "@@fail:1:429:ra=120@@ m2", 0);
    if (r)
        CHECK_CONTAINS(r->err.message, "retry after 120");
    llm_result_free(r);
    r = chat1(eng, m, "@@html502@@ s", 0);
    if (r)
        CHECK_CONTAINS(r->err.message, "502 Bad Gateway");
    llm_result_free(r);
}

#define BATCH 120

/* Every slot holds the fake server's answer to its prompt; the results are freed. */
static void
check_replies(struct slot *slots, char (*prompts)[64], int n)
{
    for (int i = 0; i < n; i++) {
        CHECK(slots[i].res && slots[i].res->ok);
        if (slots[i].res) {
            struct strbuf want = STRBUF_INIT;
            sb_printf(&want, "reply to: %s", prompts[i]);
            CHECK_STREQ(slots[i].res->text, sb_str(&want));
            sb_free(&want);
        }
        llm_result_free(slots[i].res);
        slots[i].res = NULL;
    }
}

static void
test_concurrency_order_replicas(struct llm_engine *eng, struct llm_model *m)
{
    fake_llm_reset(&fake);
    static struct slot slots[BATCH];
    char prompts[BATCH][64];
    struct ps_err err;
    for (int i = 0; i < BATCH; i++) {
        /* later requests answer faster, so completion order differs from input order */
        snprintf(prompts[i], sizeof prompts[i], "@@delay:%d@@ item %d", 200 + (BATCH - i) % 7 * 10,
                 i);
        struct llm_msg msg;
        struct llm_request req = chat_req(&msg, prompts[i], NULL);
        req.on_done = keep_result;
        req.ud = &slots[i];
        slots[i].res = NULL;
        CHECK(llm_submit(eng, m, &req, &err) > 0);
    }
    struct llm_stats st;
    llm_engine_stats(eng, &st);
    CHECK_EQ(st.queued, BATCH);
    CHECK_EQ(llm_engine_run(eng, NULL, &err), PS_OK);
    check_replies(slots, prompts, BATCH);
    /* never more than `concurrency` in flight (the benchmark shows it reaches exactly
     * that; here a loaded CI machine may not line all six up at the server) */
    long maxf = fake_llm_stat(&fake, "max_in_flight");
    if (maxf != 6)
        fprintf(stderr, "max_in_flight: %ld\n", maxf);
    CHECK(maxf <= 6 && maxf >= 4);
    CHECK_EQ(fake_llm_stat(&fake, "requests"), BATCH);
    long a = fake_llm_port_count(&fake, 0), b = fake_llm_port_count(&fake, 1);
    CHECK_EQ(a + b, BATCH);
    /* replicas: the next request goes to the one with the fewest in flight, so with
     * equally fast answers both get half */
    fake_llm_reset(&fake);
    for (int i = 0; i < 60; i++) {
        snprintf(prompts[i], sizeof prompts[i], "@@delay:150@@ even %d", i);
        struct llm_msg msg;
        struct llm_request req = chat_req(&msg, prompts[i], NULL);
        llm_submit(eng, m, &req, &err);
    }
    llm_engine_run(eng, NULL, &err);
    a = fake_llm_port_count(&fake, 0);
    b = fake_llm_port_count(&fake, 1);
    if (a + b != 60 || labs(a - b) > 6)
        fprintf(stderr, "replicas: %ld + %ld\n", a, b);
    CHECK_EQ(a + b, 60);
    CHECK(labs(a - b) <= 6);
    /* keep-alive: no more connections than concurrency (plus earlier tests' ones) */
    long conns = fake_llm_stat(&fake, "connections");
    if (conns > 6)
        fprintf(stderr, "connections: %ld\n", conns);
    CHECK(conns <= 6);
}

/* The two ways to drive the engine from a caller's own event loop (a TUI with the
 * terminal among its fds): llm_engine_pollfds + timeout + step in the caller's poll(),
 * and llm_engine_poll with extra fds, whose readiness is reported back. */
static void
test_external_loop(struct llm_engine *eng, struct llm_model *m)
{
    fake_llm_reset(&fake);
    enum { N = 40 };
    static struct slot slots[N];
    char prompts[N][64];
    struct ps_err err;
    for (int i = 0; i < N; i++) {
        /* some streamed, some reset once (a retry), answers in varying order */
        snprintf(prompts[i], sizeof prompts[i], "%s@@delay:%d@@ loop %d",
                 i % 9 == 0 ? "@@reset:1@@" : "", 20 + (i * 37) % 90, i);
        struct llm_msg msg;
        struct llm_request req = chat_req(&msg, prompts[i], &slots[i]);
        req.p.stream = i % 3 == 0;
        slots[i].res = NULL;
        CHECK(llm_submit(eng, m, &req, &err) > 0);
    }
    int pipefd[2];
    CHECK_EQ(pipe(pipefd), 0);
    int turns = 0, saw_pipe = 0;
    while (llm_engine_pending(eng) > 0 && turns < 100000) {
        turns++;
        struct pollfd fds[64];
        int n = llm_engine_pollfds(eng, fds, 63);
        CHECK(n >= 0 && n <= 63);
        fds[n] = (struct pollfd){.fd = pipefd[0], .events = POLLIN};
        int t = llm_engine_timeout_ms(eng);
        CHECK(poll(fds, (nfds_t)n + 1, t < 0 ? 1000 : t) >= 0);
        if (fds[n].revents & POLLIN) {
            char c;
            CHECK_EQ(read(pipefd[0], &c, 1), 1);
            saw_pipe++;
        }
        CHECK_EQ(llm_engine_step(eng, fds, n, &err), PS_OK);
        if (turns == 3)
            CHECK_EQ(write(pipefd[1], "x", 1), 1);
    }
    CHECK_EQ(saw_pipe, 1);
    CHECK_EQ(llm_engine_pending(eng), 0);
    check_replies(slots, prompts, N);
    /* llm_engine_poll with an extra fd: its revents come back to the caller */
    struct llm_msg msg;
    struct llm_request req = chat_req(&msg, "@@delay:100@@ with extra", &slots[0]);
    CHECK(llm_submit(eng, m, &req, &err) > 0);
    CHECK_EQ(write(pipefd[1], "y", 1), 1);
    struct pollfd extra = {.fd = pipefd[0], .events = POLLIN};
    int got_extra = 0;
    for (int guard = 0; llm_engine_pending(eng) > 0 && guard < 10000; guard++) {
        CHECK_EQ(llm_engine_poll(eng, &extra, 1, 1000, &err), PS_OK);
        if (extra.revents & POLLIN) {
            char c;
            CHECK_EQ(read(pipefd[0], &c, 1), 1);
            got_extra++;
        }
    }
    CHECK_EQ(got_extra, 1);
    CHECK(slots[0].res && slots[0].res->ok);
    if (slots[0].res)
        CHECK_STREQ(slots[0].res->text, "reply to: @@delay:100@@ with extra");
    llm_result_free(slots[0].res);
    slots[0].res = NULL;
    close(pipefd[0]);
    close(pipefd[1]);
}

static void
test_kinds(struct llm_engine *eng, struct llm_model *m, struct llm_model *llamacpp)
{
    struct ps_err err;
    struct slot s = {NULL};
    struct llm_request req;

    /* chat with n, logprobs, top_logprobs */
    struct llm_msg msg = {"user", "two words"};
    memset(&req, 0, sizeof req);
    req.kind = LLM_CHAT;
    req.system = "be brief";
    req.messages = &msg;
    req.n_messages = 1;
    req.p.n = 2;
    req.p.logprobs = 1;
    req.p.top_logprobs = 3;
    req.p.max_tokens = 50;
    req.p.seed = 7;
    req.p.has_seed = 1;
    req.p.response_format =
        "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"schema\":{}}}";
    req.on_done = keep_result;
    req.ud = &s;
    for (int stream = 0; stream <= 1; stream++) {
        req.p.stream = stream;
        s.res = NULL;
        CHECK(llm_submit(eng, m, &req, &err) > 0);
        llm_engine_run(eng, NULL, &err);
        struct llm_result *r = s.res;
        CHECK(r && r->ok && r->n_choices == 2);
        if (r && r->n_choices == 2) {
            CHECK_STREQ(r->choices[0].text, "[0] reply to: two words");
            CHECK_STREQ(r->choices[1].text, "[1] reply to: two words");
            CHECK_EQ(r->choices[1].index, 1);
            CHECK_EQ(r->choices[0].n_logprobs, 5);
            if (r->choices[0].n_logprobs == 5) {
                CHECK_STREQ(r->choices[0].logprobs[0].token, "[0]");
                CHECK_EQ(r->choices[0].logprobs[0].n_top, 3);
                CHECK(fabs(r->choices[0].logprobs[0].logprob -
                           (-0.3 - 0.01 * ((91 + 48 + 93) % 7))) < 1e-9);
            }
        }
        llm_result_free(r);
    }
    char *log = fake_llm_http(&fake, "GET", "/_requests");
    CHECK_CONTAINS(log, "\"seed\": 7");
    CHECK_CONTAINS(log, "\"json_schema\": {\"name\": \"x\"");
    CHECK_CONTAINS(log, "{\"role\": \"system\", \"content\": \"be brief\"}");
    free(log);

    /* completions */
    memset(&req, 0, sizeof req);
    req.kind = LLM_COMPLETE;
    req.prompt = "Once upon";
    req.p.logprobs = 2;
    req.on_done = keep_result;
    req.ud = &s;
    s.res = NULL;
    llm_submit(eng, m, &req, &err);
    llm_engine_run(eng, NULL, &err);
    CHECK(s.res && s.res->ok);
    if (s.res) {
        CHECK_STREQ(s.res->text, "reply to: Once upon");
        CHECK_EQ(s.res->choices[0].n_logprobs, 4);
    }
    llm_result_free(s.res);

    /* scoring: sum of the completion's tokens, by text offsets (characters) */
    memset(&req, 0, sizeof req);
    req.kind = LLM_SCORE;
    req.prompt = "Q: \xc3\xa9t\xc3\xa9?";
    req.completion = " A: yes it is";
    req.on_done = keep_result;
    req.ud = &s;
    s.res = NULL;
    llm_submit(eng, m, &req, &err);
    llm_engine_run(eng, NULL, &err);
    CHECK(s.res && s.res->ok);
    if (s.res) {
        /* tokens " A:", " yes", " it", " is": lp = -0.1*len - 0.01*(sum(ord) % 7) */
        const char *toks[] = {" A:", " yes", " it", " is"};
        double want = 0;
        for (int i = 0; i < 4; i++) {
            int sum = 0;
            for (const char *p = toks[i]; *p; p++)
                sum += (unsigned char)*p;
            want += round((-0.1 * (double)strlen(toks[i]) - 0.01 * (sum % 7)) * 1e4) / 1e4;
        }
        CHECK_EQ(s.res->score_tokens, 4);
        CHECK(fabs(s.res->score - want) < 1e-6);
    }
    llm_result_free(s.res);

    /* scoring on a server that rejects echo: an error value, not a crash or a fake */
    s.res = NULL;
    llm_submit(eng, llamacpp, &req, &err);
    llm_engine_run(eng, NULL, &err);
    CHECK(s.res && !s.res->ok && s.res->err.http_status == 400);
    if (s.res)
        CHECK_CONTAINS(s.res->err.message, "Only no echo");
    llm_result_free(s.res);

    /* embeddings: answered in reverse order, returned in input order */
    const char *inputs[] = {"alpha", "beta", "gamma"};
    memset(&req, 0, sizeof req);
    req.kind = LLM_EMBED;
    req.inputs = inputs;
    req.n_inputs = 3;
    req.on_done = keep_result;
    req.ud = &s;
    s.res = NULL;
    llm_submit(eng, m, &req, &err);
    llm_engine_run(eng, NULL, &err);
    CHECK(s.res && s.res->ok && s.res->n_embeddings == 3 && s.res->dim == 8);
    if (s.res && s.res->n_embeddings == 3) {
        /* h = sum((j+1)*ord) ; v[k] = (h*(k+3)) % 1000 / 1000 for "alpha" */
        int h = 0;
        for (int j = 0; inputs[0][j]; j++)
            h += (j + 1) * inputs[0][j];
        CHECK(fabs(s.res->embeddings[0] - (float)((h * 3) % 1000) / 1000.0f) < 1e-6);
    }
    llm_result_free(s.res);

    /* models */
    memset(&req, 0, sizeof req);
    req.kind = LLM_MODELS;
    req.on_done = keep_result;
    req.ud = &s;
    s.res = NULL;
    llm_submit(eng, m, &req, &err);
    llm_engine_run(eng, NULL, &err);
    CHECK(s.res && s.res->ok && s.res->n_model_ids == 2);
    if (s.res && s.res->n_model_ids == 2)
        CHECK_STREQ(s.res->model_ids[1], "other-model");
    llm_result_free(s.res);

    /* bad raw JSON is refused at submit, without a callback */
    memset(&req, 0, sizeof req);
    req.kind = LLM_CHAT;
    req.messages = &msg;
    req.n_messages = 1;
    req.p.extra = "[1,2]";
    CHECK_EQ(llm_submit(eng, m, &req, &err), 0);
    CHECK_CONTAINS(err.msg, "extra");
    CHECK_EQ(llm_engine_pending(eng), 0);
}

static void
test_cancel(struct llm_engine *eng, struct llm_model *m)
{
    struct slot slots[10];
    struct ps_err err;
    uint64_t ids[10];
    for (int i = 0; i < 10; i++) {
        struct llm_msg msg;
        struct llm_request req = chat_req(&msg, "@@delay:300@@ slow", NULL);
        req.on_done = keep_result;
        req.ud = &slots[i];
        slots[i].res = NULL;
        ids[i] = llm_submit(eng, m, &req, &err);
    }
    /* let some start, cancel one running and one queued, then everything */
    llm_engine_poll(eng, NULL, 0, 20, &err);
    CHECK_EQ(llm_cancel(eng, ids[0]), 1);
    CHECK_EQ(llm_cancel(eng, ids[9]), 1);
    CHECK_EQ(llm_cancel(eng, 999999), 0);
    volatile sig_atomic_t flag = 1;
    CHECK_EQ(llm_engine_run(eng, &flag, &err), PS_ERR_CANCELLED);
    for (int i = 0; i < 10; i++) {
        CHECK(slots[i].res && !slots[i].res->ok && slots[i].res->err.kind == LLM_E_CANCELLED);
        llm_result_free(slots[i].res);
    }
    CHECK_EQ(llm_engine_pending(eng), 0);
}

static double
mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* n > 1 where the backend has no `n`: fan-out into samples, joined in order. */
static void
test_fanout(struct llm_engine *eng, struct llm_model *an, struct llm_model *non)
{
    struct ps_err err;
    struct slot s = {NULL};
    struct llm_msg msg;
    struct llm_request req = chat_req(&msg, "fan out", NULL);
    req.p.n = 3;
    req.p.seed = 100;
    req.p.has_seed = 1;
    req.on_done = keep_result;
    req.ud = &s;
    fake_llm_reset(&fake);
    CHECK(llm_submit(eng, an, &req, &err) > 0);
    llm_engine_run(eng, NULL, &err);
    CHECK(s.res && s.res->ok && s.res->n_choices == 3);
    if (s.res && s.res->n_choices == 3) {
        CHECK_STREQ(s.res->choices[2].text, "reply to: fan out");
        CHECK_EQ(s.res->choices[2].index, 2);
        CHECK_EQ(s.res->prompt_tokens, 6);
        CHECK_EQ(s.res->attempts, 3);
    }
    llm_result_free(s.res);
    /* three samples were sent (counted by prompt: a request cancelled by the previous
     * test may still be read by the server after the reset) */
    char *st = fake_llm_http(&fake, "GET", "/_stats");
    CHECK_CONTAINS(st, "\"fan out\": 3");
    free(st);

    fake_llm_reset(&fake);
    req.p.n = 2;
    s.res = NULL;
    CHECK(llm_submit(eng, non, &req, &err) > 0);
    llm_engine_run(eng, NULL, &err);
    CHECK(s.res && s.res->ok && s.res->n_choices == 2);
    llm_result_free(s.res);
    char *log = fake_llm_http(&fake, "GET", "/_requests");
    CHECK_CONTAINS(log, "\"seed\": 100");
    CHECK_CONTAINS(log, "\"seed\": 101");
    CHECK(log && !strstr(log, "\"n\": 2"));
    free(log);
}

/* A config for "fake-model" on the fake server's first port; urls[1] is the caller's. */
static void
fake_cfg(struct llm_model_cfg *c, char **urls, const char *name)
{
    memset(c, 0, sizeof *c);
    llm_model_cfg_defaults(c);
    urls[0] = fake.url[0];
    c->name = (char *)name;
    c->base_urls = urls;
    c->n_base_urls = 1;
    c->model = "fake-model";
}

/* rpm and tpm hold starts back: a burst of one second's worth, then the rate. */
static void
test_rate_limits(struct llm_engine *eng)
{
    struct llm_model_cfg c;
    char *urls[1];
    fake_cfg(&c, urls, "limited");
    c.concurrency = 16;
    c.rpm = 600; /* 10/s, burst 10 */
    struct llm_model *m = NULL, *t = NULL;
    struct ps_err err;
    CHECK_EQ(llm_engine_add_model(eng, &c, &m, &err), PS_OK);
    c.name = "tokens";
    c.rpm = 0;
    c.tpm = 6000; /* 100 tokens/s */
    CHECK_EQ(llm_engine_add_model(eng, &c, &t, &err), PS_OK);
    double t0 = mono_s();
    for (int i = 0; i < 20; i++) {
        struct llm_msg msg;
        struct llm_request req = chat_req(&msg, "limited", NULL);
        llm_submit(eng, m, &req, &err);
    }
    llm_engine_run(eng, NULL, &err);
    double dt = mono_s() - t0;
    if (dt <= 0.85 || dt >= 6)
        fprintf(stderr, "rpm: %.2f s\n", dt);
    CHECK(dt > 0.85 && dt < 6); /* 10 at once, 10 more at 10/s */
    /* each request is estimated at body/4 + max_tokens 40 = ~55 tokens: 100/s lets
     * about two start per second after the first second's budget */
    t0 = mono_s();
    for (int i = 0; i < 5; i++) {
        struct llm_msg msg;
        struct llm_request req = chat_req(&msg, "tokens", NULL);
        req.p.max_tokens = 40;
        llm_submit(eng, t, &req, &err);
    }
    llm_engine_run(eng, NULL, &err);
    dt = mono_s() - t0;
    if (dt <= 1.0 || dt >= 8)
        fprintf(stderr, "tpm: %.2f s\n", dt);
    CHECK(dt > 1.0 && dt < 8);
}

/* x-ratelimit-remaining-requests: 0 pauses the model until x-ratelimit-reset-requests. */
static void
test_ratelimit_headers(struct llm_engine *eng, struct llm_model *m)
{
    struct llm_result *r = chat1(eng, m, "@@rl0:700ms@@ budget spent", 0);
    CHECK(r && r->ok);
    llm_result_free(r);
    double t0 = mono_s();
    r = chat1(eng, m, "after the pause", 0);
    double dt = mono_s() - t0;
    CHECK(r && r->ok);
    llm_result_free(r);
    if (dt < 0.55)
        fprintf(stderr, "pause: %.3f s\n", dt);
    CHECK(dt >= 0.55 && dt < 5);
    t0 = mono_s();
    r = chat1(eng, m, "no pause now", 0);
    CHECK(r && r->ok && mono_s() - t0 < 0.5);
    llm_result_free(r);
}

/* The stall detector fires stall_timeout after the last byte, not after curl's
 * averaging window (about 5 s late), and not while bytes keep coming.  Margins: the
 * bound is 2.5 s for a 1 s stall (curl took ~6 s), so a loaded machine passes. */
static struct llm_model *
stall_model(struct llm_engine *eng, struct llm_model *base, const char *name, double stall)
{
    /* a long per-attempt timeout: it must not be what fires */
    struct llm_model_cfg c;
    llm_model_cfg_copy(&c, llm_model_config(base));
    free(c.name);
    c.name = strdup(name);
    c.stall_timeout_s = stall;
    c.timeout_s = 30;
    struct llm_model *m = NULL;
    struct ps_err err;
    CHECK_EQ(llm_engine_add_model(eng, &c, &m, &err), PS_OK);
    llm_model_cfg_free(&c);
    return m;
}

static void
test_stall(struct llm_engine *eng, struct llm_model *base)
{
    struct llm_model *m = stall_model(eng, base, "stall1", 1);
    struct llm_model *m3 = stall_model(eng, base, "stall03", 0.3);
    CHECK(m && m3);
    if (!m || !m3)
        return;
    double t0 = mono_s();
    struct llm_result *r = chat1(eng, m, "@@trickle:9@@ exact stall", 1);
    double dt = mono_s() - t0;
    fprintf(stderr, "stall_timeout 1: fired after %.3f s\n", dt);
    CHECK(r && !r->ok && r->err.kind == LLM_E_TIMEOUT);
    if (r)
        CHECK_CONTAINS(r->err.message, "no data for 1 s (stall_timeout)");
    CHECK(dt >= 0.95 && dt < 2.5);
    llm_result_free(r);
    t0 = mono_s();
    r = chat1(eng, m3, "@@trickle:9@@ fractional stall", 1);
    dt = mono_s() - t0;
    fprintf(stderr, "stall_timeout 0.3: fired after %.3f s\n", dt);
    CHECK(r && !r->ok && r->err.kind == LLM_E_TIMEOUT);
    CHECK(dt >= 0.28 && dt < 1.5); /* curl rounded it up to 1 s, then averaged */
    llm_result_free(r);
    /* tokens 0.4 s apart for ~2.5 s: slow but alive, never a stall */
    t0 = mono_s();
    r = chat1(eng, m, "@@drip:0.4@@ slow but alive stream", 1);
    dt = mono_s() - t0;
    CHECK(r && r->ok);
    CHECK(dt > 1.5); /* it really dripped past the 1 s stall limit */
    if (r)
        CHECK_STREQ(r->text, "reply to: @@drip:0.4@@ slow but alive stream");
    llm_result_free(r);
    /* non-streamed answers have no stall detector: silent until done */
    r = chat1(eng, m, "@@stall:1:1.5@@ silent then whole", 0);
    CHECK(r && r->ok);
    llm_result_free(r);
}

/* Keys: an unset api_key_env variable fails the request before anything is sent,
 * naming the variable; api_key_env = false (no_key) sends none; base URLs with
 * credentials are refused without repeating them; a server elsewhere must say how
 * it authenticates. */
static void
test_keys(struct llm_engine *eng)
{
    struct ps_err err;
    struct llm_model_cfg c;
    char *urls[1];
    fake_cfg(&c, urls, "unset");
    c.api_key_env = "PS_TEST_SURELY_UNSET_VAR";
    unsetenv(c.api_key_env);
    struct llm_model *m = NULL;
    CHECK_EQ(llm_engine_add_model(eng, &c, &m, &err), PS_OK);
    CHECK(m && llm_model_missing_key(m));
    fake_llm_reset(&fake);
    struct llm_msg msg;
    struct slot s = {NULL};
    struct llm_request req = chat_req(&msg, "keyless", &s);
    CHECK_EQ(m ? llm_submit(eng, m, &req, &err) : 1, 0);
    CHECK_CONTAINS(err.msg, "model unset: $PS_TEST_SURELY_UNSET_VAR is not set");
    req.p.n = 3; /* fan-out on no_n goes through the same door */
    CHECK_EQ(m ? llm_submit(eng, m, &req, &err) : 1, 0);
    CHECK_EQ(llm_engine_pending(eng), 0);
    CHECK_EQ(fake_llm_stat(&fake, "requests"), 0);
    /* no_key: the same variable is not needed, and no Authorization goes out */
    c.name = "nokey";
    c.no_key = 1;
    CHECK_EQ(llm_engine_add_model(eng, &c, &m, &err), PS_OK);
    CHECK(m && !llm_model_missing_key(m));
    struct llm_result *r = m ? chat1(eng, m, "no key needed", 0) : NULL;
    CHECK(r && r->ok);
    llm_result_free(r);
    char *log = fake_llm_http(&fake, "GET", "/_requests");
    CHECK(log && !strstr(log, "authorization"));
    free(log);

    static const struct {
        const char *url;
        int no_key;
        const char *header;
        int ok;
        const char *msg;
    } cases[] = {
        {"http://bob:pw-SENTINEL-1@127.0.0.1:8000/v1", 1, NULL, 0,
         "http://***@127.0.0.1:8000 holds"},
        {"https://pw-SENTINEL-2@api.example.com/v1", 0, NULL, 0,
         "https://***@api.example.com holds"},
        {"http://a:b@c:pw-SENTINEL-3@h/v1?x=@", 1, NULL, 0, "http://***@h holds"},
        {"ftp://127.0.0.1/v1", 1, NULL, 0, "must start with http"},
        {"https://api.example.com/v1", 0, NULL, 0, "not on this machine and no key"},
        {"http://10.0.0.7:8000/v1", 0, NULL, 0, "api_key_env = false"},
        {"http://127.0.0.1.example.com/v1", 0, NULL, 0, "not on this machine"},
        {"https://api.example.com/v1", 1, NULL, 1, NULL},
        {"https://api.example.com/v1", 0, "Authorization: Bearer x", 1, NULL},
        {"https://api.example.com/v1", 0, "x-api-key: x", 1, NULL},
        {"https://api.example.com/v1", 0, "X-Other: x", 0, "no key"},
        {"http://localhost:8000/v1", 0, NULL, 1, NULL},
        {"http://LOCALHOST/v1", 0, NULL, 1, NULL},
        {"http://127.0.0.2:1/v1", 0, NULL, 1, NULL},
        {"http://[::1]:8000/v1", 0, NULL, 1, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct llm_model_cfg k;
        memset(&k, 0, sizeof k);
        llm_model_cfg_defaults(&k);
        char *u[1] = {(char *)cases[i].url};
        char *h[1] = {(char *)cases[i].header};
        k.name = "k";
        k.model = "m";
        k.base_urls = u;
        k.n_base_urls = 1;
        k.no_key = cases[i].no_key;
        k.headers = h;
        k.n_headers = cases[i].header ? 1 : 0;
        memset(&err, 0, sizeof err);
        int rc = llm_model_cfg_check(&k, &err);
        if ((rc == PS_OK) != cases[i].ok)
            fprintf(stderr, "case %s: %s\n", cases[i].url, err.msg);
        CHECK_EQ(rc == PS_OK, cases[i].ok);
        if (!cases[i].ok) {
            CHECK_CONTAINS(err.msg, cases[i].msg);
            CHECK(!strstr(err.msg, "SENTINEL") && !strstr(err.msg, "bob"));
        }
    }
}

/* The loopback rule as a class: random IPv4 hosts (octets 0..299, the first often
 * 127, sometimes a domain suffix), ports and paths, judged by what the generator
 * knows; plus the IPv6 spellings of ::1 and its neighbours. */
static void
test_loopback_class(void)
{
    srand(7);
    for (int i = 0; i < 2000; i++) {
        int o[4], valid = 1;
        for (int k = 0; k < 4; k++)
            o[k] = rand() % 300;
        if (rand() % 2)
            o[0] = 127;
        for (int k = 0; k < 4; k++)
            valid &= o[k] <= 255;
        int suffix = rand() % 5 == 0;
        char url[160];
        snprintf(url, sizeof url, "%s://%d.%d.%d.%d%s%s%s", rand() % 2 ? "http" : "https", o[0],
                 o[1], o[2], o[3], suffix ? ".example.com" : "", rand() % 2 ? ":8000" : "",
                 rand() % 2 ? "/v1" : "");
        int want = valid && o[0] == 127 && !suffix;
        if (llm_url_is_loopback(url) != want)
            fprintf(stderr, "loopback(%s) != %d\n", url, want);
        CHECK_EQ(llm_url_is_loopback(url), want);
    }
    static const struct {
        const char *url;
        int want;
    } v6[] = {
        {"http://[::1]:8000/v1", 1}, {"http://[0:0:0:0:0:0:0:1]/v1", 1},
        {"http://[::2]/v1", 0},      {"http://[::ffff:127.0.0.1]/v1", 0},
        {"http://::1/v1", 0},        {"http://[::1/v1", 0},
        {"http://localhost./v1", 0}, {"http://127.1/v1", 0},
        {"http://0x7f000001/v1", 0}, {"http://user@127.0.0.1/v1", 0},
    };
    for (size_t i = 0; i < sizeof v6 / sizeof v6[0]; i++)
        CHECK_EQ(llm_url_is_loopback(v6[i].url), v6[i].want);
}

int
main(void)
{
    setenv("PS_TEST_LLM_KEY", "sk-test-SENTINEL-4242", 1);
    const char *args[] = {"--ports", "2", "--models", "fake-model,other-model", NULL};
    if (fake_llm_start(&fake, args) != 0) {
        fprintf(stderr, "SKIP: cannot start the fake server (python3?)\n");
        return 77;
    }
    struct llm_engine *eng;
    struct ps_err err;
    CHECK_EQ(llm_engine_new(&eng, NULL, &err), PS_OK);
    llm_engine_seed(eng, 42);
    struct llm_model *m = add_model(eng, "local", LLM_PROVIDER_OPENAI, 1, 4, 3, NULL);
    struct llm_model *m0 = add_model(eng, "noretry", LLM_PROVIDER_OPENAI, 1, 4, 0, NULL);
    struct llm_model *an = add_model(eng, "claude", LLM_PROVIDER_ANTHROPIC, 1, 4, 0, "claude-fake");
    struct llm_model *rep = add_model(eng, "replicas", LLM_PROVIDER_OPENAI, 2, 6, 0, NULL);
    struct llm_model *lc = add_model(eng, "llamacpp", LLM_PROVIDER_OPENAI, 1, 2, 0, "llamacpp");
    CHECK(m && m0 && an && rep && lc);
    CHECK(llm_engine_model(eng, "claude") == an);
    CHECK(llm_engine_model(eng, "nope") == NULL);
    CHECK_EQ(llm_engine_add_model(eng, llm_model_config(m), NULL, &err), PS_ERR_EXISTS);

    test_basic(eng, m, an);
    test_stream_faults(eng, m0, an);
    test_retries(eng, m);
    test_concurrency_order_replicas(eng, rep);
    test_external_loop(eng, m);
    test_kinds(eng, m, lc);
    test_cancel(eng, m);
    struct llm_model_cfg nc = *llm_model_config(lc);
    nc.name = "non";
    nc.model = "fake-model";
    nc.no_n = 1;
    struct llm_model *non = NULL;
    CHECK_EQ(llm_engine_add_model(eng, &nc, &non, &err), PS_OK);
    test_fanout(eng, an, non);
    test_rate_limits(eng);
    test_ratelimit_headers(eng, m);
    test_stall(eng, m0);
    test_keys(eng);
    test_loopback_class();
    /* Anthropic: 529 overloaded is retried; a 401 is not, with its typed error */
    struct llm_model *an3 =
        add_model(eng, "claude3", LLM_PROVIDER_ANTHROPIC, 1, 2, 3, "claude-fake");
    struct llm_result *ar = chat1(eng, an3, "@@fail:2:529@@ busy", 0);
    CHECK(ar && ar->ok && ar->attempts == 3);
    llm_result_free(ar);
    ar = chat1(eng, an3, "@@fail:1:401@@ who", 1);
    CHECK(ar && !ar->ok && ar->attempts == 1 && ar->err.http_status == 401);
    if (ar)
        CHECK_STREQ(ar->err.type, "api_error");
    llm_result_free(ar);
    ar = chat1(eng, an3, "@@fail:5:529@@ always", 0);
    CHECK(ar && !ar->ok && ar->attempts == 4 && ar->err.kind == LLM_E_SERVER);
    if (ar)
        CHECK_STREQ(ar->err.type, "overloaded_error");
    llm_result_free(ar);

    llm_engine_free(eng);
    fake_llm_stop(&fake);
    return test_summary();
}
