/* Capability probes for `prefscope models`: reachability and served ids (GET
 * /models), chat with logprobs, and scoring (echo + logprobs).  Each probe is a real
 * request with a one-token budget; none is cached or logged, none is retried. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "llm/llm.h"

static void
probe_keep(void *ud, struct llm_result *res)
{
    *(struct llm_result **)ud = res;
}

static struct llm_result *
probe_run(struct llm_engine *e, struct llm_model *m, struct llm_request *req, struct ps_err *err)
{
    struct llm_result *res = NULL;
    req->no_log = 1;
    req->timeout_s = 30; /* a probe must not hang for the model's generation timeout */
    req->on_done = probe_keep;
    req->ud = &res;
    if (!llm_submit(e, m, req, err))
        return NULL;
    llm_engine_run(e, NULL, err);
    return res;
}

int
llm_probe_model(struct llm_engine *e, struct llm_model *m, struct llm_probe *out,
                struct ps_err *err)
{
    memset(out, 0, sizeof *out);
    out->model_listed = out->logprobs = out->scoring = -1;
    const struct llm_model_cfg *cfg = llm_model_config(m);
    if (llm_model_missing_key(m)) {
        /* nothing is sent without the key the config asks for */
        size_t n = strlen(cfg->api_key_env) + 32;
        out->error = xmalloc(n);
        snprintf(out->error, n, "$%s is not set", cfg->api_key_env);
        return PS_OK;
    }
    llm_engine_set_max_retries(e, 0);
    struct llm_request req;
    memset(&req, 0, sizeof req);
    req.kind = LLM_MODELS;
    struct llm_result *r = probe_run(e, m, &req, err);
    if (!r) {
        llm_engine_set_max_retries(e, -1);
        return err->code;
    }
    out->latency_ms = r->latency_ms;
    out->reachable = r->ok || r->err.http_status > 0;
    if (r->ok) {
        out->served = r->model_ids;
        out->n_served = r->n_model_ids;
        r->model_ids = NULL;
        r->n_model_ids = 0;
        out->model_listed = 0;
        for (int i = 0; i < out->n_served; i++)
            if (strcmp(out->served[i], cfg->model) == 0)
                out->model_listed = 1;
    } else {
        out->error = xstrdup(r->err.message ? r->err.message : "error");
    }
    llm_result_free(r);
    if (!out->reachable) {
        llm_engine_set_max_retries(e, -1);
        return PS_OK;
    }

    struct llm_msg msg = {"user", "Say OK."};
    memset(&req, 0, sizeof req);
    req.kind = LLM_CHAT;
    req.messages = &msg;
    req.n_messages = 1;
    req.p.max_tokens = 1;
    req.p.temperature = 0;
    req.p.has_temperature = 1;
    int openai = cfg->provider == LLM_PROVIDER_OPENAI;
    if (openai) {
        req.p.logprobs = 1;
        req.p.top_logprobs = 1;
    }
    r = probe_run(e, m, &req, err);
    if (r && !r->ok && openai && r->err.http_status >= 400 && r->err.http_status < 500) {
        /* maybe only logprobs were refused: ask again without */
        llm_result_free(r);
        req.p.logprobs = req.p.top_logprobs = 0;
        r = probe_run(e, m, &req, err);
        if (r && r->ok)
            out->logprobs = 0;
    }
    if (r && r->ok) {
        out->chat_ok = 1;
        if (out->logprobs < 0)
            out->logprobs = openai && r->n_choices > 0 && r->choices[0].n_logprobs > 0;
    } else if (r && !out->error) {
        out->error = xstrdup(r->err.message ? r->err.message : "chat failed");
    }
    llm_result_free(r);

    if (openai) {
        memset(&req, 0, sizeof req);
        req.kind = LLM_SCORE;
        req.prompt = "The sky is";
        req.completion = " blue.";
        r = probe_run(e, m, &req, err);
        out->scoring = r && r->ok && r->score_tokens > 0;
        llm_result_free(r);
    } else {
        out->logprobs = 0; /* Anthropic has no logprobs and no scoring */
        out->scoring = 0;
    }
    llm_engine_set_max_retries(e, -1);
    return PS_OK;
}

void
llm_probe_free(struct llm_probe *p)
{
    for (int i = 0; i < p->n_served; i++)
        free(p->served[i]);
    free(p->served);
    free(p->error);
    memset(p, 0, sizeof *p);
}
