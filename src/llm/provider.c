#include "llm/provider.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

/* ------------------------------------------------------------------ helpers */

static long
utf8_chars(const char *s)
{
    long n = 0;
    for (; s && *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

/* Merge the members of the raw JSON object `raw` into `body` (replacing). */
static int
merge_raw(cJSON *body, const char *raw, const char *what, struct ps_err *err)
{
    cJSON *o = cJSON_Parse(raw);
    if (!o || !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return ps_error(err, PS_ERR_USAGE, "%s: expected a JSON object", what);
    }
    while (o->child) {
        cJSON *it = cJSON_DetachItemViaPointer(o, o->child);
        cJSON_DeleteItemFromObjectCaseSensitive(body, it->string);
        cJSON_AddItemToObject(body, it->string, it);
    }
    cJSON_Delete(o);
    return PS_OK;
}

static void
add_sampling(cJSON *b, const struct llm_params *p, int anthropic)
{
    if (p->has_temperature)
        cJSON_AddNumberToObject(b, "temperature", p->temperature);
    if (p->has_top_p)
        cJSON_AddNumberToObject(b, "top_p", p->top_p);
    if (p->n_stop > 0) {
        cJSON *a = cJSON_AddArrayToObject(b, anthropic ? "stop_sequences" : "stop");
        for (int i = 0; i < p->n_stop; i++)
            cJSON_AddItemToArray(a, cJSON_CreateString(p->stop[i] ? p->stop[i] : ""));
    }
    if (p->has_seed && !anthropic)
        cJSON_AddNumberToObject(b, "seed", (double)p->seed);
}

/* "messages": the system prompt (when set), then the request's messages. */
static void
add_messages(cJSON *b, const struct llm_request *req)
{
    cJSON *msgs = cJSON_AddArrayToObject(b, "messages");
    if (req->system) {
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "role", "system");
        cJSON_AddStringToObject(m, "content", req->system);
        cJSON_AddItemToArray(msgs, m);
    }
    for (int i = 0; i < req->n_messages; i++) {
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "role", req->messages[i].role ? req->messages[i].role : "user");
        cJSON_AddStringToObject(m, "content",
                                req->messages[i].content ? req->messages[i].content : "");
        cJSON_AddItemToArray(msgs, m);
    }
}

static cJSON *
build_openai(const struct llm_model_cfg *cfg, const struct llm_request *req, struct prov_req *out,
             struct ps_err *err)
{
    const struct llm_params *p = &req->p;
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "model", cfg->model ? cfg->model : "");
    int n = p->n > 1 ? p->n : 1;
    switch (req->kind) {
    case LLM_CHAT: {
        out->path = "/chat/completions";
        add_messages(b, req);
        if (n > 1)
            cJSON_AddNumberToObject(b, "n", n);
        add_sampling(b, p, 0);
        if (p->max_tokens > 0)
            cJSON_AddNumberToObject(
                b, p->use_max_completion_tokens ? "max_completion_tokens" : "max_tokens",
                p->max_tokens);
        if (p->logprobs) {
            cJSON_AddTrueToObject(b, "logprobs");
            if (p->top_logprobs > 0)
                cJSON_AddNumberToObject(b, "top_logprobs", p->top_logprobs);
        }
        if (p->response_format) {
            cJSON *rf = cJSON_Parse(p->response_format);
            if (!rf || !cJSON_IsObject(rf)) {
                cJSON_Delete(rf);
                cJSON_Delete(b);
                ps_error(err, PS_ERR_USAGE, "response_format: expected a JSON object");
                return NULL;
            }
            cJSON_AddItemToObject(b, "response_format", rf);
        }
        break;
    }
    case LLM_COMPLETE:
        out->path = "/completions";
        cJSON_AddStringToObject(b, "prompt", req->prompt ? req->prompt : "");
        if (n > 1)
            cJSON_AddNumberToObject(b, "n", n);
        add_sampling(b, p, 0);
        if (p->max_tokens > 0)
            cJSON_AddNumberToObject(b, "max_tokens", p->max_tokens);
        if (p->logprobs)
            cJSON_AddNumberToObject(b, "logprobs", p->logprobs);
        break;
    case LLM_SCORE: {
        /* echo + logprobs over prompt+completion; one generated token (servers reject
         * 0 or special-case it) that the text offsets exclude again. */
        out->path = "/completions";
        struct strbuf sb = STRBUF_INIT;
        sb_puts(&sb, req->prompt ? req->prompt : "");
        sb_puts(&sb, req->completion ? req->completion : "");
        cJSON_AddStringToObject(b, "prompt", sb_str(&sb));
        sb_free(&sb);
        cJSON_AddTrueToObject(b, "echo");
        cJSON_AddNumberToObject(b, "logprobs", p->logprobs > 0 ? p->logprobs : 1);
        cJSON_AddNumberToObject(b, "max_tokens", 1);
        cJSON_AddNumberToObject(b, "temperature", 0);
        out->score_from = utf8_chars(req->prompt);
        out->score_to = out->score_from + utf8_chars(req->completion);
        break;
    }
    case LLM_EMBED: {
        out->path = "/embeddings";
        cJSON *a = cJSON_AddArrayToObject(b, "input");
        for (int i = 0; i < req->n_inputs; i++)
            cJSON_AddItemToArray(a, cJSON_CreateString(req->inputs[i] ? req->inputs[i] : ""));
        cJSON_AddStringToObject(b, "encoding_format", "float");
        break;
    }
    case LLM_REWARD:
        /* vLLM's Pooling API with chat input: the server applies the model's chat
         * template; a sequence-classification reward model (Skywork-Reward-V2, ...)
         * answers with its one logit (use_activation false: no sigmoid squashing,
         * which would flatten the high scores best-of-N compares) */
        out->path = "/pooling";
        out->root = 1;
        add_messages(b, req);
        cJSON_AddStringToObject(b, "task", "classify");
        cJSON_AddFalseToObject(b, "use_activation");
        break;
    case LLM_MODELS: break;
    }
    out->n = n;
    return b;
}

static cJSON *
build_anthropic(const struct llm_model_cfg *cfg, const struct llm_request *req,
                struct prov_req *out, struct ps_err *err)
{
    const struct llm_params *p = &req->p;
    if (req->kind != LLM_CHAT) {
        ps_error(err, PS_ERR_USAGE, "model %s: the anthropic provider only supports chat",
                 cfg->name);
        return NULL;
    }
    if (p->n > 1) {
        ps_error(err, PS_ERR_USAGE,
                 "model %s: anthropic has no n; request samples with sample_index", cfg->name);
        return NULL;
    }
    out->path = "/messages";
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "model", cfg->model ? cfg->model : "");
    cJSON_AddNumberToObject(b, "max_tokens", p->max_tokens > 0 ? p->max_tokens : 1024);
    /* System text may come as the field or as system-role messages: the API wants one
     * top-level string. */
    struct strbuf sys = STRBUF_INIT;
    if (req->system)
        sb_puts(&sys, req->system);
    for (int i = 0; i < req->n_messages; i++)
        if (req->messages[i].role && strcmp(req->messages[i].role, "system") == 0) {
            if (sys.len)
                sb_puts(&sys, "\n\n");
            sb_puts(&sys, req->messages[i].content ? req->messages[i].content : "");
        }
    if (sys.len)
        cJSON_AddStringToObject(b, "system", sb_str(&sys));
    sb_free(&sys);
    cJSON *msgs = cJSON_AddArrayToObject(b, "messages");
    for (int i = 0; i < req->n_messages; i++) {
        const char *role = req->messages[i].role ? req->messages[i].role : "user";
        if (strcmp(role, "system") == 0)
            continue;
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "role", role);
        cJSON_AddStringToObject(m, "content",
                                req->messages[i].content ? req->messages[i].content : "");
        cJSON_AddItemToArray(msgs, m);
    }
    add_sampling(b, p, 1);
    out->n = 1;
    return b;
}

int
prov_build(const struct llm_model_cfg *cfg, const struct llm_request *req, struct prov_req *out,
           struct ps_err *err)
{
    memset(out, 0, sizeof *out);
    out->score_from = out->score_to = -1;
    if (req->kind == LLM_MODELS) {
        out->path = "/models";
        out->is_get = 1;
        out->key_body = xstrdup("");
        out->n = 1;
        return PS_OK;
    }
    cJSON *b = cfg->provider == LLM_PROVIDER_ANTHROPIC ? build_anthropic(cfg, req, out, err)
                                                       : build_openai(cfg, req, out, err);
    if (!b)
        return err ? err->code : PS_ERR_USAGE;
    if (req->p.extra && merge_raw(b, req->p.extra, "extra", err) != PS_OK) {
        cJSON_Delete(b);
        return err->code;
    }
    out->key_body = cJSON_PrintUnformatted(b);
    int stream = req->p.stream && (req->kind == LLM_CHAT || req->kind == LLM_COMPLETE);
    if (stream) {
        cJSON_AddTrueToObject(b, "stream");
        if (cfg->provider == LLM_PROVIDER_OPENAI) {
            cJSON *so = cJSON_AddObjectToObject(b, "stream_options");
            cJSON_AddTrueToObject(so, "include_usage");
        }
        out->body = cJSON_PrintUnformatted(b);
    } else {
        out->body = xstrdup(out->key_body);
    }
    out->stream = stream;
    out->body_len = strlen(out->body);
    int max_out = req->p.max_tokens > 0 ? req->p.max_tokens : 256;
    if (req->kind == LLM_EMBED || req->kind == LLM_SCORE || req->kind == LLM_REWARD)
        max_out = 1;
    out->est_tokens = (double)out->body_len / 4.0 + (double)max_out * out->n;
    cJSON_Delete(b);
    return PS_OK;
}

void
prov_req_free(struct prov_req *r)
{
    free(r->key_body);
    free(r->body);
    memset(r, 0, sizeof *r);
}

/* ------------------------------------------------------------------ parsing */

static char *
dup_json_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) && v->valuestring ? xstrdup(v->valuestring) : NULL;
}

static int64_t
json_int(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : -1;
}

static double
json_lp(const cJSON *v)
{
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* Chat-style logprobs: {"content": [{token, logprob, top_logprobs: [{token, logprob}]}]} */
static void
parse_chat_logprobs(const cJSON *lp, struct llm_choice *c)
{
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(lp, "content");
    int n = cJSON_GetArraySize(content);
    if (!cJSON_IsArray(content) || n == 0)
        return;
    c->logprobs = xcalloc((size_t)n, sizeof *c->logprobs);
    const cJSON *t;
    cJSON_ArrayForEach(t, content)
    {
        struct llm_token_lp *tl = &c->logprobs[c->n_logprobs++];
        tl->token = dup_json_str(t, "token");
        if (!tl->token)
            tl->token = xstrdup("");
        tl->logprob = json_lp(cJSON_GetObjectItemCaseSensitive(t, "logprob"));
        tl->offset = -1;
        const cJSON *top = cJSON_GetObjectItemCaseSensitive(t, "top_logprobs");
        int nt = cJSON_GetArraySize(top);
        if (cJSON_IsArray(top) && nt > 0) {
            tl->top = xcalloc((size_t)nt, sizeof *tl->top);
            const cJSON *a;
            cJSON_ArrayForEach(a, top)
            {
                struct llm_top_lp *x = &tl->top[tl->n_top++];
                x->token = dup_json_str(a, "token");
                if (!x->token)
                    x->token = xstrdup("");
                x->logprob = json_lp(cJSON_GetObjectItemCaseSensitive(a, "logprob"));
            }
        }
    }
}

/* Legacy completions logprobs: parallel arrays tokens / token_logprobs /
 * top_logprobs ({token: lp}) / text_offset. */
static void
parse_legacy_logprobs(const cJSON *lp, struct llm_choice *c)
{
    const cJSON *tokens = cJSON_GetObjectItemCaseSensitive(lp, "tokens");
    const cJSON *lps = cJSON_GetObjectItemCaseSensitive(lp, "token_logprobs");
    const cJSON *tops = cJSON_GetObjectItemCaseSensitive(lp, "top_logprobs");
    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(lp, "text_offset");
    int n = cJSON_GetArraySize(tokens);
    if (!cJSON_IsArray(tokens) || n == 0)
        return;
    c->logprobs = xcalloc((size_t)n, sizeof *c->logprobs);
    for (int i = 0; i < n; i++) {
        struct llm_token_lp *tl = &c->logprobs[c->n_logprobs++];
        const cJSON *tok = cJSON_GetArrayItem(tokens, i);
        tl->token = xstrdup(cJSON_IsString(tok) && tok->valuestring ? tok->valuestring : "");
        tl->logprob = json_lp(cJSON_GetArrayItem(lps, i));
        const cJSON *off = cJSON_GetArrayItem(offs, i);
        tl->offset = cJSON_IsNumber(off) ? (int)off->valuedouble : -1;
        const cJSON *top = cJSON_GetArrayItem(tops, i);
        int nt = cJSON_GetArraySize(top);
        if (cJSON_IsObject(top) && nt > 0) {
            tl->top = xcalloc((size_t)nt, sizeof *tl->top);
            const cJSON *a;
            cJSON_ArrayForEach(a, top)
            {
                struct llm_top_lp *x = &tl->top[tl->n_top++];
                x->token = xstrdup(a->string ? a->string : "");
                x->logprob = json_lp(a);
            }
        }
    }
}

/* vLLM prompt_logprobs: [null, {"id": {logprob, rank, decoded_token}}, ...].  Only
 * usable when each entry holds the actual token alone (prompt_logprobs = 0); offsets
 * are rebuilt from the decoded tokens. */
static int
parse_prompt_logprobs(const cJSON *pl, struct llm_choice *c)
{
    int n = cJSON_GetArraySize(pl);
    if (!cJSON_IsArray(pl) || n == 0)
        return 0;
    c->logprobs = xcalloc((size_t)n, sizeof *c->logprobs);
    long off = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, pl)
    {
        struct llm_token_lp *tl = &c->logprobs[c->n_logprobs++];
        tl->offset = (int)off;
        tl->logprob = NAN;
        if (cJSON_IsObject(e) && cJSON_GetArraySize(e) >= 1) {
            const cJSON *only = e->child;
            tl->token = dup_json_str(only, "decoded_token");
            tl->logprob = json_lp(cJSON_GetObjectItemCaseSensitive(only, "logprob"));
            if (cJSON_GetArraySize(e) != 1)
                return -1;
        }
        if (!tl->token)
            tl->token = xstrdup("");
        off += utf8_chars(tl->token);
    }
    return 1;
}

static int
parse_fail(struct llm_result *res, enum llm_err_kind kind, const char *msg)
{
    res->ok = 0;
    res->err.kind = kind;
    free(res->err.message);
    res->err.message = xstrdup(msg);
    return 0;
}

static void
set_text(struct llm_result *res)
{
    res->text = res->n_choices > 0 ? res->choices[0].text : "";
}

/* The Pooling API's answer: data[0].data is the score list of the one input ([s] for a
 * 1-label classifier) or, from a token-level reward model, one list per token (the
 * last token's value is the reward). */
static int
parse_reward(const cJSON *root, struct llm_result *res)
{
    if (res->completion_tokens < 0 && res->prompt_tokens >= 0)
        res->completion_tokens = 0;
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
    const cJSON *first = cJSON_IsArray(data) ? cJSON_GetArrayItem(data, 0) : NULL;
    const cJSON *v = first ? cJSON_GetObjectItemCaseSensitive(first, "data") : NULL;
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0)
        return parse_fail(res, LLM_E_PARSE, "pooling response has no data[0].data list");
    const cJSON *last = cJSON_GetArrayItem(v, cJSON_GetArraySize(v) - 1);
    if (cJSON_IsArray(last)) { /* per token: the last token's scores */
        v = last;
        if (cJSON_GetArraySize(v) == 0)
            return parse_fail(res, LLM_E_PARSE, "pooling response: empty token scores");
    }
    if (cJSON_GetArraySize(v) != 1) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "the model returned %d values per input, not one reward: serve a 1-label "
                 "reward model (docs/recipes.md)",
                 cJSON_GetArraySize(v));
        return parse_fail(res, LLM_E_UNSUPPORTED, msg);
    }
    const cJSON *x = cJSON_GetArrayItem(v, 0);
    if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble))
        return parse_fail(res, LLM_E_PARSE, "pooling response: the score is not a number");
    res->reward = x->valuedouble;
    return 1;
}

static int
parse_openai(enum llm_kind kind, const cJSON *root, const struct prov_req *pr,
             struct llm_result *res)
{
    res->resolved_model = dup_json_str(root, "model");
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
    if (cJSON_IsObject(usage)) {
        res->prompt_tokens = json_int(usage, "prompt_tokens");
        res->completion_tokens = json_int(usage, "completion_tokens");
        if (kind == LLM_EMBED && res->completion_tokens < 0 && res->prompt_tokens >= 0)
            res->completion_tokens = 0;
    }
    if (kind == LLM_REWARD)
        return parse_reward(root, res);
    if (kind == LLM_MODELS || kind == LLM_EMBED) {
        const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
        if (!cJSON_IsArray(data))
            return parse_fail(res, LLM_E_PARSE, "response has no data array");
        int n = cJSON_GetArraySize(data);
        if (kind == LLM_MODELS) {
            res->model_ids = xcalloc((size_t)n + 1, sizeof *res->model_ids);
            const cJSON *m;
            cJSON_ArrayForEach(m, data)
            {
                char *id = dup_json_str(m, "id");
                if (id)
                    res->model_ids[res->n_model_ids++] = id;
            }
            return 1;
        }
        /* Embeddings, placed by their index (servers may reorder). */
        int dim = -1;
        const cJSON *d;
        cJSON_ArrayForEach(d, data)
        {
            const cJSON *e = cJSON_GetObjectItemCaseSensitive(d, "embedding");
            int k = cJSON_IsArray(e) ? cJSON_GetArraySize(e) : -1;
            if (cJSON_IsString(e) && e->valuestring)
                k = (int)(strlen(e->valuestring) / 4 * 3 / 4);
            if (k < 0)
                return parse_fail(res, LLM_E_PARSE, "embedding is neither an array nor base64");
            if (dim < 0)
                dim = k;
        }
        if (n == 0)
            dim = 0;
        res->dim = dim;
        res->n_embeddings = n;
        res->embeddings = xcalloc((size_t)n * (size_t)(dim > 0 ? dim : 1), sizeof(float));
        int i = 0;
        cJSON_ArrayForEach(d, data)
        {
            int64_t idx = json_int(d, "index");
            if (idx < 0 || idx >= n)
                idx = i;
            i++;
            float *row = res->embeddings + idx * dim;
            const cJSON *e = cJSON_GetObjectItemCaseSensitive(d, "embedding");
            if (cJSON_IsArray(e)) {
                if (cJSON_GetArraySize(e) != dim)
                    return parse_fail(res, LLM_E_PARSE, "embeddings of different sizes");
                int j = 0;
                const cJSON *x;
                cJSON_ArrayForEach(x, e) row[j++] = (float)x->valuedouble;
            } else {
                /* base64 of little-endian float32 */
                static const char b64[] =
                    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
                const char *s = e->valuestring;
                unsigned char bytes[4];
                int nb = 0, j = 0;
                uint32_t acc = 0;
                int bits = 0;
                for (; *s && *s != '='; s++) {
                    const char *q = strchr(b64, *s);
                    if (!q)
                        return parse_fail(res, LLM_E_PARSE, "bad base64 in embedding");
                    acc = acc << 6 | (uint32_t)(q - b64);
                    bits += 6;
                    if (bits >= 8) {
                        bits -= 8;
                        bytes[nb++] = (unsigned char)(acc >> bits);
                        if (nb == 4) {
                            uint32_t u = (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 |
                                         (uint32_t)bytes[2] << 16 | (uint32_t)bytes[3] << 24;
                            float f;
                            memcpy(&f, &u, sizeof f);
                            if (j < dim)
                                row[j++] = f;
                            nb = 0;
                        }
                    }
                }
            }
        }
        return 1;
    }
    const cJSON *choices = cJSON_GetObjectItemCaseSensitive(root, "choices");
    if (!cJSON_IsArray(choices))
        return parse_fail(res, LLM_E_PARSE, "response has no choices array");
    int n = cJSON_GetArraySize(choices);
    res->choices = xcalloc((size_t)n + 1, sizeof *res->choices);
    const cJSON *ch;
    cJSON_ArrayForEach(ch, choices)
    {
        struct llm_choice *c = &res->choices[res->n_choices];
        int64_t idx = json_int(ch, "index");
        c->index = idx >= 0 ? (int)idx : res->n_choices;
        res->n_choices++;
        c->finish_reason = dup_json_str(ch, "finish_reason");
        if (kind == LLM_CHAT) {
            const cJSON *msg = cJSON_GetObjectItemCaseSensitive(ch, "message");
            c->text = dup_json_str(msg, "content");
        } else {
            c->text = dup_json_str(ch, "text");
        }
        if (!c->text)
            c->text = xstrdup("");
        const cJSON *lp = cJSON_GetObjectItemCaseSensitive(ch, "logprobs");
        if (cJSON_IsObject(lp)) {
            if (cJSON_GetObjectItemCaseSensitive(lp, "content"))
                parse_chat_logprobs(lp, c);
            else
                parse_legacy_logprobs(lp, c);
        }
        if (kind == LLM_SCORE && c->n_logprobs == 0) {
            const cJSON *pl = cJSON_GetObjectItemCaseSensitive(ch, "prompt_logprobs");
            if (!pl)
                pl = cJSON_GetObjectItemCaseSensitive(root, "prompt_logprobs");
            if (parse_prompt_logprobs(pl, c) < 0)
                return parse_fail(res, LLM_E_UNSUPPORTED,
                                  "prompt_logprobs with alternatives cannot be scored");
        }
    }
    set_text(res);
    if (kind == LLM_SCORE) {
        if (res->n_choices == 0 || res->choices[0].n_logprobs == 0)
            return parse_fail(res, LLM_E_UNSUPPORTED,
                              "the server returned no prompt logprobs: scoring is not supported");
        const struct llm_choice *c = &res->choices[0];
        double sum = 0;
        int k = 0;
        for (int i = 0; i < c->n_logprobs; i++) {
            const struct llm_token_lp *t = &c->logprobs[i];
            if (t->offset < 0)
                return parse_fail(res, LLM_E_UNSUPPORTED,
                                  "logprobs without text offsets cannot be scored");
            if (t->offset >= pr->score_from && t->offset < pr->score_to) {
                if (isnan(t->logprob))
                    continue;
                sum += t->logprob;
                k++;
            }
        }
        res->score = sum;
        res->score_tokens = k;
    }
    return 1;
}

static int
parse_anthropic(enum llm_kind kind, const cJSON *root, struct llm_result *res)
{
    res->resolved_model = dup_json_str(root, "model");
    if (kind == LLM_MODELS)
        return parse_openai(kind, root, NULL, res);
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
    if (cJSON_IsObject(usage)) {
        res->prompt_tokens = json_int(usage, "input_tokens");
        res->completion_tokens = json_int(usage, "output_tokens");
    }
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(root, "content");
    if (!cJSON_IsArray(content))
        return parse_fail(res, LLM_E_PARSE, "response has no content array");
    struct strbuf sb = STRBUF_INIT;
    const cJSON *blk;
    cJSON_ArrayForEach(blk, content)
    {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(blk, "type");
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(blk, "text");
        if (cJSON_IsString(type) && strcmp(type->valuestring, "text") == 0 && cJSON_IsString(text))
            sb_puts(&sb, text->valuestring);
    }
    res->choices = xcalloc(1, sizeof *res->choices);
    res->n_choices = 1;
    res->choices[0].text = sb_take(&sb);
    res->choices[0].finish_reason = dup_json_str(root, "stop_reason");
    set_text(res);
    return 1;
}

int
prov_parse(enum llm_provider prov, enum llm_kind kind, const char *body, size_t len,
           const struct prov_req *pr, struct llm_result *res)
{
    cJSON *root = cJSON_ParseWithLength(body, len);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return parse_fail(res, LLM_E_PARSE,
                          len ? "the response is not a JSON object" : "empty response body");
    }
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
    int ok;
    if (cJSON_IsObject(e)) {
        char *type = NULL, *msg = NULL;
        prov_error_body(body, len, &type, &msg);
        parse_fail(res, LLM_E_STREAM, msg);
        free(res->err.type);
        res->err.type = type;
        free(msg);
        ok = 0;
    } else {
        ok = prov == LLM_PROVIDER_ANTHROPIC ? parse_anthropic(kind, root, res)
                                            : parse_openai(kind, root, pr, res);
    }
    cJSON_Delete(root);
    return ok;
}

void
prov_error_body(const char *body, size_t len, char **type, char **message)
{
    *type = NULL;
    *message = NULL;
    cJSON *root = body && len ? cJSON_ParseWithLength(body, len) : NULL;
    if (cJSON_IsObject(root)) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
        const cJSON *src = cJSON_IsObject(e) ? e : root;
        *message = dup_json_str(src, "message");
        *type = dup_json_str(src, "type");
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(src, "code");
        if (!*type && cJSON_IsString(code))
            *type = xstrdup(code->valuestring);
        if (!*message && cJSON_IsString(e))
            *message = xstrdup(e->valuestring);
        if (!*message) /* FastAPI (vLLM) for an unknown route: {"detail": "Not Found"} */
            *message = dup_json_str(root, "detail");
    }
    cJSON_Delete(root);
    if (!*message) {
        /* Not JSON (proxies, HTML): the first bytes, on one line. */
        size_t n = len < 200 ? len : 200;
        char *m = xmalloc(n + 1);
        for (size_t i = 0; i < n; i++)
            m[i] = (body[i] == '\n' || body[i] == '\r' || body[i] == '\t') ? ' ' : body[i];
        m[n] = '\0';
        *message = m;
    }
}

/* ------------------------------------------------------------------ streams */

struct stream_choice {
    int index;
    struct strbuf text;
    char *finish;
    cJSON *logprobs; /* array of chat-style token entries, or NULL */
};

struct prov_stream {
    enum llm_provider prov;
    enum llm_kind kind;
    char *id, *model;
    struct stream_choice *ch;
    int n_ch;
    cJSON *usage;                  /* openai: the usage chunk's object */
    int64_t in_tokens, out_tokens; /* anthropic */
    char *stop_reason;
    int done;
    long events;
    char *err, *err_type;
};

struct prov_stream *
prov_stream_new(enum llm_provider prov, enum llm_kind kind)
{
    struct prov_stream *s = xcalloc(1, sizeof *s);
    s->prov = prov;
    s->kind = kind;
    s->in_tokens = s->out_tokens = -1;
    return s;
}

void
prov_stream_free(struct prov_stream *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n_ch; i++) {
        sb_free(&s->ch[i].text);
        free(s->ch[i].finish);
        cJSON_Delete(s->ch[i].logprobs);
    }
    free(s->ch);
    free(s->id);
    free(s->model);
    cJSON_Delete(s->usage);
    free(s->stop_reason);
    free(s->err);
    free(s->err_type);
    free(s);
}

static struct stream_choice *
stream_choice(struct prov_stream *s, int index)
{
    for (int i = 0; i < s->n_ch; i++)
        if (s->ch[i].index == index)
            return &s->ch[i];
    s->ch = xrealloc(s->ch, (size_t)(s->n_ch + 1) * sizeof *s->ch);
    struct stream_choice *c = &s->ch[s->n_ch++];
    memset(c, 0, sizeof *c);
    c->index = index;
    return c;
}

static int
stream_error(struct prov_stream *s, const char *json, size_t len)
{
    free(s->err);
    free(s->err_type);
    prov_error_body(json, len, &s->err_type, &s->err);
    return -1;
}

static void
keep_str(char **dst, const cJSON *o, const char *key)
{
    if (*dst)
        return;
    *dst = dup_json_str(o, key);
}

static int
stream_openai(struct prov_stream *s, const struct sse_event *ev)
{
    if (ev->data_len == 6 && memcmp(ev->data, "[DONE]", 6) == 0) {
        s->done = 1;
        return 1;
    }
    cJSON *root = cJSON_ParseWithLength(ev->data, ev->data_len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        free(s->err);
        s->err = xstrdup("malformed JSON in a stream event");
        return -1;
    }
    if (cJSON_GetObjectItemCaseSensitive(root, "error")) {
        cJSON_Delete(root);
        return stream_error(s, ev->data, ev->data_len);
    }
    keep_str(&s->id, root, "id");
    keep_str(&s->model, root, "model");
    cJSON *usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
    if (cJSON_IsObject(usage)) {
        cJSON_Delete(s->usage);
        s->usage = cJSON_DetachItemViaPointer(root, usage);
    }
    cJSON *choices = cJSON_GetObjectItemCaseSensitive(root, "choices");
    cJSON *ch;
    cJSON_ArrayForEach(ch, choices)
    {
        int64_t idx = json_int(ch, "index");
        struct stream_choice *c = stream_choice(s, idx >= 0 ? (int)idx : 0);
        const cJSON *txt;
        if (s->kind == LLM_CHAT) {
            const cJSON *delta = cJSON_GetObjectItemCaseSensitive(ch, "delta");
            txt = cJSON_GetObjectItemCaseSensitive(delta, "content");
        } else {
            txt = cJSON_GetObjectItemCaseSensitive(ch, "text");
        }
        if (cJSON_IsString(txt) && txt->valuestring)
            sb_puts(&c->text, txt->valuestring);
        const cJSON *fr = cJSON_GetObjectItemCaseSensitive(ch, "finish_reason");
        if (cJSON_IsString(fr)) {
            free(c->finish);
            c->finish = xstrdup(fr->valuestring);
        }
        cJSON *lp = cJSON_GetObjectItemCaseSensitive(ch, "logprobs");
        cJSON *content = cJSON_GetObjectItemCaseSensitive(lp, "content");
        if (cJSON_IsArray(content)) {
            if (!c->logprobs)
                c->logprobs = cJSON_CreateArray();
            while (content->child)
                cJSON_AddItemToArray(c->logprobs,
                                     cJSON_DetachItemViaPointer(content, content->child));
        }
    }
    cJSON_Delete(root);
    return 0;
}

static int
stream_anthropic(struct prov_stream *s, const struct sse_event *ev)
{
    if (strcmp(ev->event, "error") == 0)
        return stream_error(s, ev->data, ev->data_len);
    if (strcmp(ev->event, "ping") == 0)
        return 0;
    cJSON *root = cJSON_ParseWithLength(ev->data, ev->data_len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        free(s->err);
        s->err = xstrdup("malformed JSON in a stream event");
        return -1;
    }
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "type");
    const char *t = cJSON_IsString(type) ? type->valuestring : ev->event;
    int rc = 0;
    if (strcmp(t, "error") == 0) {
        rc = stream_error(s, ev->data, ev->data_len);
    } else if (strcmp(t, "message_start") == 0) {
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(root, "message");
        keep_str(&s->id, msg, "id");
        keep_str(&s->model, msg, "model");
        const cJSON *u = cJSON_GetObjectItemCaseSensitive(msg, "usage");
        if (cJSON_IsObject(u)) {
            s->in_tokens = json_int(u, "input_tokens");
            if (json_int(u, "output_tokens") >= 0)
                s->out_tokens = json_int(u, "output_tokens");
        }
    } else if (strcmp(t, "content_block_delta") == 0) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "delta");
        const cJSON *dt = cJSON_GetObjectItemCaseSensitive(d, "type");
        const cJSON *txt = cJSON_GetObjectItemCaseSensitive(d, "text");
        if (cJSON_IsString(dt) && strcmp(dt->valuestring, "text_delta") == 0 && cJSON_IsString(txt))
            sb_puts(&stream_choice(s, 0)->text, txt->valuestring);
    } else if (strcmp(t, "message_delta") == 0) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "delta");
        const cJSON *sr = cJSON_GetObjectItemCaseSensitive(d, "stop_reason");
        if (cJSON_IsString(sr)) {
            free(s->stop_reason);
            s->stop_reason = xstrdup(sr->valuestring);
        }
        const cJSON *u = cJSON_GetObjectItemCaseSensitive(root, "usage");
        if (cJSON_IsObject(u) && json_int(u, "output_tokens") >= 0)
            s->out_tokens = json_int(u, "output_tokens"); /* cumulative */
    } else if (strcmp(t, "message_stop") == 0) {
        s->done = 1;
        rc = 1;
    }
    cJSON_Delete(root);
    return rc;
}

int
prov_stream_event(struct prov_stream *s, const struct sse_event *ev)
{
    s->events++;
    if (ev->error) /* llama.cpp's non-standard error: field */
        return stream_error(s, ev->error, strlen(ev->error));
    if (!ev->has_data)
        return 0;
    return s->prov == LLM_PROVIDER_ANTHROPIC ? stream_anthropic(s, ev) : stream_openai(s, ev);
}

const char *
prov_stream_error(const struct prov_stream *s, const char **type)
{
    if (type)
        *type = s->err_type;
    return s->err;
}

int
prov_stream_done(const struct prov_stream *s)
{
    return s->done;
}

long
prov_stream_events(const struct prov_stream *s)
{
    return s->events;
}

static int
cmp_choice(const void *a, const void *b)
{
    const struct stream_choice *x = a, *y = b;
    return (x->index > y->index) - (x->index < y->index);
}

char *
prov_stream_json(struct prov_stream *s)
{
    cJSON *r = cJSON_CreateObject();
    if (s->id)
        cJSON_AddStringToObject(r, "id", s->id);
    if (s->model)
        cJSON_AddStringToObject(r, "model", s->model);
    if (s->prov == LLM_PROVIDER_ANTHROPIC) {
        cJSON_AddStringToObject(r, "type", "message");
        cJSON *content = cJSON_AddArrayToObject(r, "content");
        cJSON *blk = cJSON_CreateObject();
        cJSON_AddStringToObject(blk, "type", "text");
        cJSON_AddStringToObject(blk, "text", s->n_ch ? sb_str(&s->ch[0].text) : "");
        cJSON_AddItemToArray(content, blk);
        if (s->stop_reason)
            cJSON_AddStringToObject(r, "stop_reason", s->stop_reason);
        else
            cJSON_AddNullToObject(r, "stop_reason");
        cJSON *u = cJSON_AddObjectToObject(r, "usage");
        if (s->in_tokens >= 0)
            cJSON_AddNumberToObject(u, "input_tokens", (double)s->in_tokens);
        if (s->out_tokens >= 0)
            cJSON_AddNumberToObject(u, "output_tokens", (double)s->out_tokens);
    } else {
        cJSON_AddStringToObject(r, "object",
                                s->kind == LLM_CHAT ? "chat.completion" : "text_completion");
        qsort(s->ch, (size_t)s->n_ch, sizeof *s->ch, cmp_choice);
        cJSON *choices = cJSON_AddArrayToObject(r, "choices");
        for (int i = 0; i < s->n_ch; i++) {
            struct stream_choice *c = &s->ch[i];
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "index", c->index);
            if (s->kind == LLM_CHAT) {
                cJSON *m = cJSON_AddObjectToObject(o, "message");
                cJSON_AddStringToObject(m, "role", "assistant");
                cJSON_AddStringToObject(m, "content", sb_str(&c->text));
            } else {
                cJSON_AddStringToObject(o, "text", sb_str(&c->text));
            }
            if (c->finish)
                cJSON_AddStringToObject(o, "finish_reason", c->finish);
            else
                cJSON_AddNullToObject(o, "finish_reason");
            if (c->logprobs) {
                cJSON *lp = cJSON_AddObjectToObject(o, "logprobs");
                cJSON_AddItemToObject(lp, "content", c->logprobs);
                c->logprobs = NULL;
            }
            cJSON_AddItemToArray(choices, o);
        }
        if (s->usage) {
            cJSON_AddItemToObject(r, "usage", s->usage);
            s->usage = NULL;
        }
    }
    char *out = cJSON_PrintUnformatted(r);
    cJSON_Delete(r);
    return out;
}
