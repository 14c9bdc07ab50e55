/* ps.model: LLM calls on the engine of src/llm.
 *
 * A request is submitted at once and the calling task yields (l_wait_op); the
 * engine's completion callback stores the result and marks the operation done, and
 * the scheduler resumes the task, whose continuation turns the result into a Lua
 * table.  The per-request state is C memory owned by a small userdata on the calling
 * coroutine's stack: if that coroutine dies first (an error, an interrupt), the
 * userdata's __gc cancels the request and leaves the state to the callback to free,
 * so the callback never writes into freed memory. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/progress.h"
#include "core/xalloc.h"
#include "llm/llm.h"
#include "lua/config.h"
#include "lua/l_internal.h"
#include "store/store.h"

#define LREQ_MT "ps.request"

struct lllm {
    struct llm_engine *eng;
    struct store *st; /* the engine's own connection to the workspace (cache, log) */
    struct config *cfg;
    int inline_models; /* counter for names of ps.model{...} tables */
};

/* One submitted request (or a batch for chat_many). */
struct lreq {
    struct lwait_op op; /* first: the scheduler sees &op */
    struct ps_lua *pl;
    uint64_t *ids;           /* request ids, n of them */
    struct llm_result **res; /* results in input order */
    int n, remaining;
    int orphaned;     /* the Lua side is gone: the callbacks free everything */
    struct lbar *bar; /* chat_many's progress bar, or NULL */
};

struct lreq_slot {
    struct lreq *r;
    int i;
};

struct lmodel {
    char name[128];
};

static void
lllm_free(struct ps_lua *pl)
{
    struct lllm *e = pl->llm;
    if (!e)
        return;
    if (e->eng)
        llm_engine_free(e->eng); /* runs pending callbacks (cancelled) */
    config_free(e->cfg);
    store_close(e->st);
    free(e);
    pl->llm = NULL;
}

static int
lllm_pump(struct ps_lua *pl, int timeout_ms)
{
    struct lllm *e = pl->llm;
    struct ps_err err = {0};
    if (!e || !e->eng)
        return 0;
    llm_engine_poll(e->eng, NULL, 0, timeout_ms, &err);
    return 1;
}

/* The engine, created on first use with its own connection to the workspace (the
 * cache and call log), so closing a Workspace handle never pulls the store from under
 * requests in flight.  Without a usable workspace it runs without cache and log. */
static struct lllm *
engine(lua_State *L, struct ps_err *err)
{
    struct ps_lua *pl = l_engine(L);
    if (pl->llm)
        return pl->llm;
    struct lllm *e = xcalloc(1, sizeof *e);
    struct ps_err ignored = {0};
    const char *path = pl->borrowed_store ? store_path(pl->borrowed_store) : pl->workspace_path;
    if (store_open(&e->st, path, &ignored) != PS_OK)
        e->st = NULL;
    if (llm_engine_new(&e->eng, e->st, err) != PS_OK) {
        store_close(e->st);
        free(e);
        return NULL;
    }
    pl->llm = e;
    pl->llm_free = lllm_free;
    pl->ops_pump = lllm_pump;
    return e;
}

static void
lreq_free(struct lreq *r)
{
    if (r->bar)
        l_bar_close(r->pl, r->bar);
    for (int i = 0; i < r->n; i++)
        if (r->res[i])
            llm_result_free(r->res[i]);
    free(r->res);
    free(r->ids);
    free(r);
}

static void
on_done(void *ud, struct llm_result *res)
{
    struct lreq_slot *s = ud;
    struct lreq *r = s->r;
    r->res[s->i] = res;
    free(s);
    r->remaining--;
    if (!r->orphaned) {
        r->pl->n_ops--;
        /* every open bar counts the call's tokens, cost, cache hit or error */
        struct progress_counts d = {.errors = !res->ok, .cached = res->ok && res->cached};
        int64_t tok = (res->prompt_tokens > 0 ? res->prompt_tokens : 0) +
                      (res->completion_tokens > 0 ? res->completion_tokens : 0);
        if (res->ok && res->cached) {
            d.cached_tokens = tok;
            d.cached_cost = res->has_cost ? res->cost : 0;
        } else if (res->ok) {
            d.tokens = tok;
            d.cost = res->has_cost ? res->cost : 0;
        }
        d.has_cost = res->has_cost;
        l_bar_note(r->pl, &d);
        if (r->bar)
            l_bar_add(r->pl, r->bar, &(struct progress_counts){.done = 1});
    }
    if (r->remaining == 0) {
        if (r->orphaned)
            lreq_free(r);
        else
            r->op.done = 1;
    }
}

static void
lreq_cancel(struct lwait_op *op)
{
    struct lreq *r = (struct lreq *)op;
    struct lllm *e = r->pl->llm;
    for (int i = 0; i < r->n; i++)
        if (!r->res[i] && r->ids[i])
            llm_cancel(e->eng, r->ids[i]);
}

struct lreq_box {
    struct lreq *r;
};

static int
lreq_gc(lua_State *L)
{
    struct lreq_box *b = luaL_checkudata(L, 1, LREQ_MT);
    struct lreq *r = b->r;
    b->r = NULL;
    if (!r)
        return 0;
    if (r->bar) {
        l_bar_close(r->pl, r->bar);
        r->bar = NULL;
    }
    if (r->remaining > 0) {
        /* Still in flight: the callbacks own it from now on. */
        r->pl->n_ops -= r->remaining;
        r->orphaned = 1;
        lreq_cancel(&r->op);
    } else {
        lreq_free(r);
    }
    return 0;
}

/* Push a request box for n requests (the box owns the C state). */
static struct lreq *
new_req(lua_State *L, int n)
{
    struct lreq_box *b = lua_newuserdatauv(L, sizeof *b, 0);
    b->r = NULL;
    luaL_setmetatable(L, LREQ_MT);
    struct lreq *r = xcalloc(1, sizeof *r);
    b->r = r;
    r->pl = l_engine(L);
    r->n = n;
    r->ids = xcalloc((size_t)(n ? n : 1), sizeof *r->ids);
    r->res = xcalloc((size_t)(n ? n : 1), sizeof *r->res);
    r->op.cancel = lreq_cancel;
    return r;
}

/* ---- models ---- */

static struct llm_model *
check_model(lua_State *L, int idx, struct lllm **eout)
{
    struct lmodel *lm = luaL_checkudata(L, idx, LMODEL_MT);
    struct ps_lua *pl = l_engine(L);
    struct lllm *e = pl->llm;
    struct llm_model *m = e && e->eng ? llm_engine_model(e->eng, lm->name) : NULL;
    if (!m)
        luaL_error(L, "stale handle: model '%s' is gone", lm->name);
    if (eout)
        *eout = e;
    return m;
}

/* ps.model(name | {provider=, base_url=, model=, ...}) -> Model | nil, msg */
static int
l_model(lua_State *L)
{
    struct ps_lua *pl = l_engine(L);
    struct ps_err err = {0};
    luaL_argexpected(L, lua_type(L, 1) == LUA_TSTRING || lua_istable(L, 1), 1,
                     "model name or table");
    struct lllm *e = engine(L, &err);
    if (!e)
        return l_fail(L, &err);
    struct lmodel *lm = lua_newuserdatauv(L, sizeof *lm, 0);
    memset(lm, 0, sizeof *lm);
    luaL_setmetatable(L, LMODEL_MT);
    if (lua_type(L, 1) == LUA_TSTRING) {
        const char *name = lua_tostring(L, 1);
        snprintf(lm->name, sizeof lm->name, "%s", name);
        if (llm_engine_model(e->eng, name))
            return 1;
        if (!e->cfg && config_load(&e->cfg, pl->config_path, pl->workspace_path, &err) != PS_OK) {
            e->cfg = NULL;
            return l_fail(L, &err);
        }
        const struct llm_model_cfg *c = config_model(e->cfg, name);
        if (!c) {
            ps_error(&err, PS_ERR_NOTFOUND, "no model '%s' in %s", name,
                     e->cfg->path ? e->cfg->path
                                  : "the config (no config file found; see docs/llm.md)");
            return l_fail(L, &err);
        }
        if (llm_engine_add_model(e->eng, c, NULL, &err) != PS_OK)
            return l_fail(L, &err);
        return 1;
    }
    char defname[64];
    snprintf(defname, sizeof defname, "lua%d", ++e->inline_models);
    struct llm_model_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    if (config_model_from_lua(L, 1, defname, &cfg, &err) != PS_OK) {
        llm_model_cfg_free(&cfg);
        return l_fail(L, &err);
    }
    snprintf(lm->name, sizeof lm->name, "%s", cfg.name);
    int rc = llm_engine_add_model(e->eng, &cfg, NULL, &err);
    llm_model_cfg_free(&cfg);
    if (rc != PS_OK)
        return l_fail(L, &err);
    return 1;
}

/* ---- building requests ---- */

static const char *const chat_keys[] = {
    "messages",    "system",
    "prompt",      "n",
    "temperature", "top_p",
    "max_tokens",  "max_completion_tokens",
    "seed",        "stop",
    "logprobs",    "top_logprobs",
    "stream",      "response_format",
    "extra",       "sample",
    "response",    "no_cache",
    "completion",  "texts",
    NULL,
};

/* Read request options of the table at idx into req (strings borrowed from the
 * table; arrays allocated as userdata pushed on the stack, so they are collected).
 * Pushes scratch values; the caller resets the stack afterwards. */
static void
read_request(lua_State *L, int idx, enum llm_kind kind, struct llm_request *req)
{
    idx = lua_absindex(L, idx);
    luaL_checktype(L, idx, LUA_TTABLE);
    if (!(kind == LLM_EMBED && lua_rawlen(L, idx) > 0)) /* m:embed{"a", "b"} is a list */
        l_check_keys(L, idx, chat_keys);
    memset(req, 0, sizeof *req);
    req->kind = kind;
    struct llm_params *p = &req->p;
    req->system = l_opt_field_str(L, idx, "system", NULL);
    req->prompt = l_opt_field_str(L, idx, "prompt", NULL);
    req->completion = l_opt_field_str(L, idx, "completion", NULL);
    p->n = (int)l_opt_field_int(L, idx, "n", 0);
    p->temperature = l_opt_field_num(L, idx, "temperature", 0, &p->has_temperature);
    p->top_p = l_opt_field_num(L, idx, "top_p", 0, &p->has_top_p);
    p->max_tokens = (int)l_opt_field_int(L, idx, "max_tokens", 0);
    int mct = (int)l_opt_field_int(L, idx, "max_completion_tokens", 0);
    if (mct > 0) {
        p->max_tokens = mct;
        p->use_max_completion_tokens = 1;
    }
    int has_seed;
    double seed = l_opt_field_num(L, idx, "seed", 0, &has_seed);
    p->seed = (int64_t)seed;
    p->has_seed = has_seed;
    if (lua_getfield(L, idx, "logprobs") == LUA_TBOOLEAN)
        p->logprobs = lua_toboolean(L, -1);
    else if (lua_isinteger(L, -1))
        p->logprobs = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    p->top_logprobs = (int)l_opt_field_int(L, idx, "top_logprobs", 0);
    p->stream = l_opt_field_bool(L, idx, "stream", 0);
    req->sample_index = (int)l_opt_field_int(L, idx, "sample", 0);
    req->no_cache = l_opt_field_bool(L, idx, "no_cache", 0);
    if (lua_getfield(L, idx, "response_format") == LUA_TTABLE) {
        l_json_encode(L, -1);
        p->response_format = lua_tostring(L, -1); /* stays on the stack */
    } else if (lua_type(L, -1) == LUA_TSTRING) {
        p->response_format = lua_tostring(L, -1);
    }
    if (lua_getfield(L, idx, "extra") == LUA_TTABLE) {
        l_json_encode(L, -1);
        p->extra = lua_tostring(L, -1);
    } else if (lua_type(L, -1) == LUA_TSTRING) {
        p->extra = lua_tostring(L, -1);
    }
    if (lua_getfield(L, idx, "stop") == LUA_TSTRING) {
        const char **v = lua_newuserdatauv(L, sizeof *v, 0);
        v[0] = lua_tostring(L, -2);
        p->stop = v;
        p->n_stop = 1;
    } else if (lua_istable(L, -1)) {
        int n = (int)lua_rawlen(L, -1);
        if (n > 4)
            luaL_error(L, "at most 4 stop strings");
        const char **v = lua_newuserdatauv(L, sizeof *v * 4, 0);
        for (int i = 0; i < n; i++) {
            if (lua_rawgeti(L, -2, i + 1) != LUA_TSTRING)
                luaL_error(L, "stop strings must be strings");
            v[i] = lua_tostring(L, -1); /* anchored by the stop table */
            lua_pop(L, 1);
        }
        p->stop = v;
        p->n_stop = n;
    }
    if (kind == LLM_CHAT || kind == LLM_REWARD) {
        const char *response =
            kind == LLM_REWARD ? l_opt_field_str(L, idx, "response", NULL) : NULL;
        int t = lua_getfield(L, idx, "messages");
        if (t == LUA_TTABLE) {
            int n = (int)lua_rawlen(L, -1), mi = lua_gettop(L);
            /* room for the reward's response= turn */
            struct llm_msg *m = lua_newuserdatauv(L, sizeof *m * (size_t)(n + 2), 0);
            for (int i = 0; i < n; i++) {
                if (lua_rawgeti(L, mi, i + 1) != LUA_TTABLE)
                    luaL_error(L, "messages[%d] must be a {role=, content=} table", i + 1);
                m[i].role = l_opt_field_str(L, -1, "role", "user");
                m[i].content = l_opt_field_str(L, -1, "content", NULL);
                if (!m[i].content)
                    luaL_error(L, "messages[%d] has no content", i + 1);
                lua_pop(L, 1);
            }
            req->messages = m;
            req->n_messages = n;
        } else if (t != LUA_TNIL) {
            luaL_error(L, "'messages' must be a list of {role=, content=} tables");
        }
        if (!req->messages && req->prompt) {
            /* prompt= is a shorthand for one user message */
            struct llm_msg *m = lua_newuserdatauv(L, sizeof *m * 2, 0);
            m->role = "user";
            m->content = req->prompt;
            req->messages = m;
            req->n_messages = 1;
        }
        if (req->n_messages == 0)
            luaL_error(L, "%s needs messages= or prompt=", kind == LLM_CHAT ? "chat" : "reward");
        if (response) { /* the answer to score, as the assistant's turn */
            struct llm_msg *m = (struct llm_msg *)req->messages;
            m[req->n_messages].role = "assistant";
            m[req->n_messages].content = response;
            req->n_messages++;
        }
    } else if (kind == LLM_EMBED) {
        int t = lua_getfield(L, idx, "texts");
        int src = t == LUA_TTABLE ? lua_gettop(L) : idx; /* m:embed{"a","b"} works too */
        int n = (int)lua_rawlen(L, src);
        if (n == 0)
            luaL_error(L, "embed needs texts: m:embed{\"a\", \"b\"} or m:embed{texts={...}}");
        const char **v = lua_newuserdatauv(L, sizeof *v * (size_t)n, 0);
        for (int i = 0; i < n; i++) {
            if (lua_rawgeti(L, src, i + 1) != LUA_TSTRING)
                luaL_error(L, "embed: text %d is not a string", i + 1);
            v[i] = lua_tostring(L, -1);
            lua_pop(L, 1);
        }
        req->inputs = v;
        req->n_inputs = n;
    } else if (!req->prompt) {
        luaL_error(L, "%s needs prompt=", kind == LLM_SCORE ? "score" : "complete");
    }
    if (kind == LLM_SCORE && !req->completion)
        luaL_error(L, "score needs completion= (the text whose log-likelihood is wanted)");
}

/* ---- results ---- */

static void
setnum(lua_State *L, const char *k, double v)
{
    lua_pushnumber(L, v);
    lua_setfield(L, -2, k);
}

static void
setint(lua_State *L, const char *k, int64_t v)
{
    lua_pushinteger(L, v);
    lua_setfield(L, -2, k);
}

static void
setstr(lua_State *L, const char *k, const char *v)
{
    if (v) {
        lua_pushstring(L, v);
        lua_setfield(L, -2, k);
    }
}

static void
push_logprobs(lua_State *L, const struct llm_choice *c)
{
    lua_createtable(L, c->n_logprobs, 0);
    for (int i = 0; i < c->n_logprobs; i++) {
        const struct llm_token_lp *t = &c->logprobs[i];
        lua_createtable(L, 0, 4);
        setstr(L, "token", t->token);
        if (!isnan(t->logprob))
            setnum(L, "logprob", t->logprob);
        if (t->offset >= 0)
            setint(L, "offset", t->offset);
        if (t->n_top > 0) {
            lua_createtable(L, t->n_top, 0);
            for (int k = 0; k < t->n_top; k++) {
                lua_createtable(L, 0, 2);
                setstr(L, "token", t->top[k].token);
                setnum(L, "logprob", t->top[k].logprob);
                lua_rawseti(L, -2, k + 1);
            }
            lua_setfield(L, -2, "top");
        }
        lua_rawseti(L, -2, i + 1);
    }
}

/* The Lua form of a result: {ok=true, text=, choices=, usage=, latency_ms=, cached=,
 * ...} or {ok=false, error=msg, kind=, http_status=, retries=}. */
static void
push_result(lua_State *L, const struct llm_result *r)
{
    lua_createtable(L, 0, 16);
    lua_pushboolean(L, r->ok);
    lua_setfield(L, -2, "ok");
    setstr(L, "model", r->model);
    setnum(L, "latency_ms", r->latency_ms);
    lua_pushboolean(L, r->cached);
    lua_setfield(L, -2, "cached");
    setint(L, "attempts", r->attempts);
    if (r->call_id)
        setint(L, "call_id", r->call_id);
    if (!r->ok) {
        setstr(L, "error", r->err.message ? r->err.message : llm_err_kind_str(r->err.kind));
        setstr(L, "kind", llm_err_kind_id(r->err.kind));
        if (r->err.http_status)
            setint(L, "http_status", r->err.http_status);
        setint(L, "retries", r->err.retries);
        return;
    }
    setstr(L, "text", r->text ? r->text : "");
    setstr(L, "resolved_model", r->resolved_model);
    lua_createtable(L, 0, 3);
    if (r->prompt_tokens >= 0)
        setint(L, "prompt_tokens", r->prompt_tokens);
    if (r->completion_tokens >= 0)
        setint(L, "completion_tokens", r->completion_tokens);
    if (r->prompt_tokens >= 0 && r->completion_tokens >= 0)
        setint(L, "total_tokens", r->prompt_tokens + r->completion_tokens);
    lua_setfield(L, -2, "usage");
    if (r->has_cost) {
        /* a cache hit is not new spend: cost 0, and what it cost first as cached_cost */
        setnum(L, "cost", r->cached ? 0 : r->cost);
        if (r->cached)
            setnum(L, "cached_cost", r->cost);
    }
    lua_createtable(L, r->n_choices, 0);
    for (int i = 0; i < r->n_choices; i++) {
        const struct llm_choice *c = &r->choices[i];
        lua_createtable(L, 0, 4);
        setint(L, "index", c->index);
        setstr(L, "text", c->text);
        setstr(L, "finish_reason", c->finish_reason);
        if (c->n_logprobs > 0) {
            push_logprobs(L, c);
            lua_setfield(L, -2, "logprobs");
        }
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "choices");
    if (r->n_choices > 0 && r->choices[0].n_logprobs > 0) {
        lua_getfield(L, -1, "choices");
        lua_rawgeti(L, -1, 1);
        lua_getfield(L, -1, "logprobs");
        lua_setfield(L, -4, "logprobs");
        lua_pop(L, 2);
    }
    if (r->kind == LLM_REWARD)
        setnum(L, "reward", r->reward);
    if (r->kind == LLM_SCORE) {
        setnum(L, "score", r->score);
        setint(L, "tokens", r->score_tokens);
    }
    if (r->kind == LLM_EMBED) {
        lua_createtable(L, r->n_embeddings, 0);
        for (int i = 0; i < r->n_embeddings; i++) {
            lua_createtable(L, r->dim, 0);
            for (int d = 0; d < r->dim; d++) {
                lua_pushnumber(L, r->embeddings[(size_t)i * (size_t)r->dim + (size_t)d]);
                lua_rawseti(L, -2, d + 1);
            }
            lua_rawseti(L, -2, i + 1);
        }
        lua_setfield(L, -2, "embeddings");
    }
}

/* Continuation of a single call: the request box is at stack index ctx. */
static int
single_k(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    struct lreq_box *b = luaL_checkudata(L, (int)ctx, LREQ_MT);
    l_check_interrupt(L);
    struct lreq *r = b->r;
    const struct llm_result *res = r->res[0];
    push_result(L, res);
    if (res->ok)
        return 1;
    lua_pushnil(L);
    lua_getfield(L, -2, "error");
    lua_rotate(L, -3, -1); /* nil, msg, result */
    return 3;
}

static int
call(lua_State *L, enum llm_kind kind)
{
    struct lllm *e;
    struct llm_model *m = check_model(L, 1, &e);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_settop(L, 2);
    l_check_interrupt(L);
    struct llm_request req;
    read_request(L, 2, kind, &req);
    struct lreq *r = new_req(L, 1);
    int box = lua_gettop(L);
    struct lreq_slot *s = xcalloc(1, sizeof *s);
    s->r = r;
    req.on_done = on_done;
    req.ud = s;
    struct ps_err err = {0};
    r->ids[0] = llm_submit(e->eng, m, &req, &err);
    if (!r->ids[0]) {
        free(s);
        r->n = 0;
        return l_fail(L, &err);
    }
    r->remaining = 1;
    r->pl->n_ops++;
    return l_wait_op(L, &r->op, single_k, box);
}

/* m:chat{messages=|prompt=, system=, n=, temperature=, top_p=, max_tokens=, seed=,
 *        stop=, logprobs=, top_logprobs=, stream=, response_format=, extra=, sample=,
 *        no_cache=} -> result | nil, msg, result */
static int
m_chat(lua_State *L)
{
    return call(L, LLM_CHAT);
}

/* m:complete{prompt=, ...} -> result | nil, msg, result */
static int
m_complete(lua_State *L)
{
    return call(L, LLM_COMPLETE);
}

/* m:score{prompt=, completion=} -> result (result.score, result.tokens) | nil, msg, result */
static int
m_score(lua_State *L)
{
    return call(L, LLM_SCORE);
}

/* m:reward{messages=|prompt=, system=, response=} -> result (result.reward) | nil, msg,
 * result: a reward model's score of the conversation (vLLM's /pooling) */
static int
m_reward(lua_State *L)
{
    return call(L, LLM_REWARD);
}

/* m:embed{"text", ...} or m:embed{texts={...}} -> result (result.embeddings) | nil, msg, result */
static int
m_embed(lua_State *L)
{
    return call(L, LLM_EMBED);
}

static int
many_k(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    struct lreq_box *b = luaL_checkudata(L, (int)ctx, LREQ_MT);
    l_check_interrupt(L);
    struct lreq *r = b->r;
    if (r->bar) {
        l_bar_close(r->pl, r->bar);
        r->bar = NULL;
    }
    lua_createtable(L, r->n, 1);
    for (int i = 0; i < r->n; i++) {
        push_result(L, r->res[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_pushinteger(L, r->n);
    lua_setfield(L, -2, "n");
    return 1;
}

/* m:chat_many(list [, defaults]) -> results in input order; every element is a
 * result table (ok=false with error= for the ones that failed).  Each list element
 * is a chat request table, or a string (a one-message prompt); `defaults` supplies
 * options the elements do not set. */
static int
m_chat_many(lua_State *L)
{
    struct lllm *e;
    struct llm_model *m = check_model(L, 1, &e);
    luaL_checktype(L, 2, LUA_TTABLE);
    if (!lua_isnoneornil(L, 3))
        luaL_checktype(L, 3, LUA_TTABLE);
    lua_settop(L, 3);
    l_check_interrupt(L);
    int n = (int)lua_rawlen(L, 2);
    struct lreq *r = new_req(L, n); /* 4 */
    int box = 4;
    for (int i = 0; i < n; i++) {
        int top = lua_gettop(L);
        /* Merge: a fresh table with the defaults, then the element's own fields. */
        lua_newtable(L);
        int t = lua_gettop(L);
        if (lua_istable(L, 3)) {
            lua_pushnil(L);
            while (lua_next(L, 3)) {
                lua_pushvalue(L, -2);
                lua_insert(L, -2);
                lua_rawset(L, t);
            }
        }
        int et = lua_rawgeti(L, 2, i + 1);
        if (et == LUA_TSTRING) {
            lua_setfield(L, t, "prompt");
        } else if (et == LUA_TTABLE) {
            lua_pushnil(L);
            while (lua_next(L, -2)) {
                lua_pushvalue(L, -2);
                lua_insert(L, -2);
                lua_rawset(L, t);
            }
            lua_pop(L, 1);
        } else {
            return luaL_error(L, "chat_many: element %d must be a request table or a prompt string",
                              i + 1);
        }
        struct llm_request req;
        read_request(L, t, LLM_CHAT, &req);
        struct lreq_slot *s = xcalloc(1, sizeof *s);
        s->r = r;
        s->i = i;
        req.on_done = on_done;
        req.ud = s;
        struct ps_err err = {0};
        r->ids[i] = llm_submit(e->eng, m, &req, &err);
        if (!r->ids[i]) {
            free(s);
            /* Cancel what was submitted; their callbacks free the request. */
            r->n = i;
            r->remaining = i;
            r->pl->n_ops += i;
            return luaL_error(L, "chat_many: request %d: %s", i + 1, err.msg);
        }
        lua_settop(L, top);
    }
    r->remaining = n;
    r->pl->n_ops += n;
    if (n == 0)
        r->op.done = 1;
    else /* drawn after 0.5 s: a batch answered from the cache never flashes one */
        r->bar = l_bar_open(r->pl, ((struct lmodel *)luaL_checkudata(L, 1, LMODEL_MT))->name, n,
                            0.5, &r->bar);
    return l_wait_op(L, &r->op, many_k, box);
}

static int
model_index(lua_State *L)
{
    struct lmodel *lm = luaL_checkudata(L, 1, LMODEL_MT);
    const char *k = luaL_checkstring(L, 2);
    if (strcmp(k, "name") == 0) {
        lua_pushstring(L, lm->name);
        return 1;
    }
    if (strcmp(k, "model") == 0 || strcmp(k, "provider") == 0 || strcmp(k, "concurrency") == 0) {
        struct llm_model *m = check_model(L, 1, NULL);
        const struct llm_model_cfg *c = llm_model_config(m);
        if (strcmp(k, "model") == 0)
            lua_pushstring(L, c->model);
        else if (strcmp(k, "provider") == 0)
            lua_pushstring(L, llm_provider_name(c->provider));
        else
            lua_pushinteger(L, c->concurrency);
        return 1;
    }
    if (strcmp(k, "price_in") == 0 || strcmp(k, "price_out") == 0) {
        /* per 1M tokens; nil when no price is configured (dry runs estimate cost) */
        const struct llm_model_cfg *c = llm_model_config(check_model(L, 1, NULL));
        if (c->has_price)
            lua_pushnumber(L, k[6] == 'i' ? c->price_in : c->price_out);
        else
            lua_pushnil(L);
        return 1;
    }
    luaL_getmetatable(L, LMODEL_MT);
    lua_getfield(L, -1, "methods");
    if (lua_getfield(L, -1, k) != LUA_TNIL)
        return 1;
    return luaL_error(L, "ps.Model has no field '%s'", k);
}

static int
model_tostring(lua_State *L)
{
    struct lmodel *lm = luaL_checkudata(L, 1, LMODEL_MT);
    lua_pushfstring(L, "ps.Model(%s)", lm->name);
    return 1;
}

/* ps.models() -> sorted list of the model names in the config */
static int
l_models(lua_State *L)
{
    struct ps_lua *pl = l_engine(L);
    struct ps_err err = {0};
    struct lllm *e = engine(L, &err);
    if (!e)
        return l_fail(L, &err);
    if (!e->cfg && config_load(&e->cfg, pl->config_path, pl->workspace_path, &err) != PS_OK) {
        e->cfg = NULL;
        return l_fail(L, &err);
    }
    lua_createtable(L, e->cfg->n_models, 0);
    for (int i = 0; i < e->cfg->n_models; i++) {
        lua_pushstring(L, e->cfg->models[i].name);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

static const luaL_Reg model_methods[] = {
    {"chat", m_chat},   {"chat_many", m_chat_many}, {"reward", m_reward}, {"complete", m_complete},
    {"score", m_score}, {"embed", m_embed},         {NULL, NULL},
};

void
l_open_model(lua_State *L)
{
    luaL_newmetatable(L, LREQ_MT);
    lua_pushcfunction(L, lreq_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    luaL_newmetatable(L, LMODEL_MT);
    lua_pushcfunction(L, model_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, model_tostring);
    lua_setfield(L, -2, "__tostring");
    luaL_newlib(L, model_methods);
    lua_setfield(L, -2, "methods");
    lua_newtable(L);
    const char *fields[] = {"name", "model", "provider", "concurrency"};
    for (int i = 0; i < 4; i++) {
        lua_pushstring(L, fields[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "fields");
    lua_pop(L, 1);
    lua_pushcfunction(L, l_model);
    lua_setfield(L, -2, "model");
    lua_pushcfunction(L, l_models);
    lua_setfield(L, -2, "models");
}
