/* The LLM engine: OpenAI-compatible and Anthropic providers on one libcurl multi
 * handle, with per-model concurrency, replicas, rate limits, retries, streaming, and
 * a cache + call log in the workspace (DESIGN.md section 5, docs/llm.md).
 *
 * Async contract
 * --------------
 * Everything runs on the caller's thread; the engine never starts threads and never
 * blocks except inside llm_engine_poll / llm_engine_run.
 *
 *   1. Create an engine (optionally bound to a workspace for cache and log) and add
 *      models from config (struct llm_model_cfg, filled by src/lua/config.c).
 *   2. llm_submit() a request with a completion callback.  Submission copies what it
 *      needs (the request body is built at once), so the caller's strings are only
 *      borrowed for the duration of the call.  It returns a request id (> 0).  With a
 *      workspace, the cache lookup waits for the next step (or cancel, or free), which
 *      looks up everything submitted since in one read transaction.
 *   3. Drive the engine from the event loop, either
 *        - llm_engine_poll(eng, extra_fds, n, timeout_ms): poll the engine's sockets
 *          plus the caller's fds (terminal input), then do the work; or
 *        - llm_engine_pollfds() + llm_engine_timeout_ms() into the caller's own poll(),
 *          then llm_engine_step(eng, fds, n) with the poll results; or
 *        - llm_engine_run(): block until every submitted request has completed
 *          (CLI jobs).
 *   4. Each request's callback runs exactly once, from inside poll/step/run (never
 *      from inside llm_submit, not even for cache hits), with a result the callback
 *      OWNS: keep it or release it with llm_result_free.  Callbacks may submit new
 *      requests and may cancel requests.
 *
 * Scheduling: per model, at most `concurrency` requests are in flight; the rest wait
 * in FIFO order.  Replicas (several base URLs) get requests spread evenly (fewest in
 * flight first, round robin on ties).  rpm/tpm limits delay starts.  Failures on
 * connection errors, timeouts, 408/409/429/5xx/529 and truncated streams are retried
 * up to max_retries times with jittered exponential backoff (0.5 s * 2^k, cap 8 s,
 * jitter x[0.75,1]) or the server's retry-after-ms / retry-after when 0 < d <= 60 s;
 * a longer server-requested delay fails the request without retrying.  A retrying
 * request gives its concurrency slot back while it waits.
 *
 * Cache and log: with a workspace, every finished call (success or error, not
 * cancellation) is written to the llm_call table before its callback runs; the cache
 * key is SHA-256 of provider, base URLs (or the model's cache_id instead of both),
 * model, the canonical request body (without streaming flags) and the sample index.
 * Successful calls with the same key are served from the table (result->cached = 1),
 * and identical requests in flight at once are sent once.  Errors are never served
 * from cache.
 * API keys live only in memory (read from the environment variable the config names);
 * they are never written to the workspace or included in error messages. */
#ifndef PS_LLM_LLM_H
#define PS_LLM_LLM_H

#include <poll.h>
#include <signal.h>
#include <stdint.h>

#include "core/err.h"

struct store;
struct llm_engine;
struct llm_model;

/* ---------------------------------------------------------------- configuration */

#define LLM_PROVIDERS(_) \
    _(LLM_PROVIDER_OPENAI, "openai") \
    _(LLM_PROVIDER_ANTHROPIC, "anthropic")

enum llm_provider {
#define LLM_PROV_ENUM(id, name) id,
    LLM_PROVIDERS(LLM_PROV_ENUM)
#undef LLM_PROV_ENUM
};

/* "openai" / "anthropic" <-> enum; llm_provider_parse returns -1 when unknown. */
const char *llm_provider_name(enum llm_provider p);
int llm_provider_parse(const char *name);

/* One named model from the config.  All strings are owned by the struct (free with
 * llm_model_cfg_free); llm_engine_add_model copies it, so callers may free theirs. */
struct llm_model_cfg {
    char *name; /* config name ("local", "judge") */
    enum llm_provider provider;
    char **base_urls; /* >= 1, e.g. "http://127.0.0.1:8000/v1" (no trailing /) */
    int n_base_urls;
    char *model;              /* model id sent to the server */
    int concurrency;          /* requests in flight, default 8 */
    double rpm, tpm;          /* requests / tokens per minute, 0 = unlimited */
    double timeout_s;         /* per attempt, default 600 */
    double connect_timeout_s; /* default 5 */
    double stall_timeout_s;   /* streams: fail when no byte arrives for this long, default 60 */
    int max_retries;          /* default 2 */
    char *api_key_env;        /* name of the env var holding the key, or NULL */
    int no_key;               /* api_key_env = false: the server needs no key */
    char *cache_id;           /* replaces provider and base URLs in the cache key, or NULL */
    int tls_insecure;         /* tls_verify = false: no certificate or host name check */
    char *ca_file;            /* CA bundle (PEM) to verify the server with, or NULL: the system's */
    double price_in, price_out; /* currency per 1M input / output tokens */
    int has_price;              /* cost is NULL (has_cost = 0) unless a price is configured */
    char **headers;             /* extra "Name: value" headers (never logged) */
    int n_headers;
    int no_n;             /* backend lacks `n` (llama.cpp, Ollama): fan out instead */
    double backoff_s;     /* first retry delay, default 0.5 (doubles, capped) */
    double backoff_max_s; /* default 8 */
};

/* Fill defaults (concurrency 8, timeouts, retries 2) into a zeroed struct. */
void llm_model_cfg_defaults(struct llm_model_cfg *c);
/* Deep copy; dst is overwritten (not freed first). */
void llm_model_cfg_copy(struct llm_model_cfg *dst, const struct llm_model_cfg *src);
/* Free the strings of c (not c itself) and zero it. */
void llm_model_cfg_free(struct llm_model_cfg *c);
/* Check what a config must not hold, whatever built it (config file, ps.model{},
 * judge --base-url): base URLs must be http(s) and carry no credentials (the error
 * never repeats them), and a model whose base URL is not on this machine must say
 * how it authenticates: api_key_env = "VAR", an Authorization / x-api-key / api-key
 * header, or no_key (api_key_env = false).  PS_OK or PS_ERR_USAGE with err set. */
int llm_model_cfg_check(const struct llm_model_cfg *c, struct ps_err *err);
/* 1 when `url`'s host is this machine (localhost, 127.0.0.0/8, [::1]). */
int llm_url_is_loopback(const char *url);

/* ---------------------------------------------------------------- requests */

enum llm_kind {
    LLM_CHAT,     /* chat completions / Anthropic messages */
    LLM_COMPLETE, /* legacy text completions */
    LLM_SCORE,    /* log-likelihood of `completion` given `prompt` (echo + logprobs) */
    LLM_EMBED,    /* embeddings */
    LLM_MODELS,   /* GET /models (probe, served ids) */
    LLM_REWARD,   /* a reward model's score of a conversation: vLLM's POST /pooling
                     (server root, task "classify"); see docs/recipes.md */
};

struct llm_msg {
    const char *role; /* "system", "user", "assistant", ... */
    const char *content;
};

struct llm_params {
    int n;              /* choices per request, 0 or 1 = one */
    double temperature; /* sent when has_temperature */
    int has_temperature;
    double top_p;
    int has_top_p;
    int max_tokens;                /* 0 = unset (Anthropic: 1024) */
    int use_max_completion_tokens; /* send max_completion_tokens instead (OpenAI o-series) */
    int64_t seed;
    int has_seed;
    const char *const *stop; /* up to 4 stop strings */
    int n_stop;
    int logprobs;     /* chat: bool; completions: number of alternatives */
    int top_logprobs; /* chat: 0..20 */
    const char
        *response_format; /* raw JSON object for response_format ({"type":"json_schema",...}) */
    const char *extra;    /* raw JSON object merged into the body (vLLM extras) */
    int stream;           /* use SSE (the result is the same, assembled) */
};

struct llm_result;
/* Completion callback: owns `res` (free with llm_result_free). */
typedef void (*llm_done_fn)(void *ud, struct llm_result *res);

struct llm_request {
    enum llm_kind kind;
    const char *system;             /* chat: system prompt (may be NULL) */
    const struct llm_msg *messages; /* chat, reward (the conversation to score) */
    int n_messages;
    const char *prompt;        /* complete / score: the prompt (context) */
    const char *completion;    /* score: the text to score after the prompt */
    const char *const *inputs; /* embed */
    int n_inputs;
    struct llm_params p;
    int sample_index; /* part of the cache key: same request, other sample */
    int no_cache;     /* do not serve from the cache (still logged) */
    int no_log;       /* neither cache nor log (probes) */
    double timeout_s; /* per attempt, overriding the model's; 0 = model's */
    llm_done_fn on_done;
    void *ud;
};

/* ---------------------------------------------------------------- results */

/* kind, stable id (logs, Lua's res.kind), message */
#define LLM_ERR_KINDS(_) \
    _(LLM_E_NONE, "none", "ok") \
    _(LLM_E_CONNECT, "connect", "connection failed") \
    _(LLM_E_TIMEOUT, "timeout", "timed out") \
    _(LLM_E_HTTP, "http", "HTTP error") \
    _(LLM_E_RATE_LIMIT, "rate_limit", "rate limited") \
    _(LLM_E_SERVER, "server", "server error") \
    _(LLM_E_PARSE, "parse", "malformed response") \
    _(LLM_E_STREAM, "stream", "error inside the stream") \
    _(LLM_E_TRUNCATED, "truncated", "stream ended early") \
    _(LLM_E_UNSUPPORTED, "unsupported", "unsupported by the server") \
    _(LLM_E_CANCELLED, "cancelled", "cancelled") \
    _(LLM_E_CONFIG, "config", "configuration error") \
    _(LLM_E_DEFERRED, "deferred", "deferred to a batch file")

enum llm_err_kind {
#define LLM_ERRK_ENUM(kind, id, msg) kind,
    LLM_ERR_KINDS(LLM_ERRK_ENUM)
#undef LLM_ERRK_ENUM
};
const char *llm_err_kind_str(enum llm_err_kind k); /* "ok", "rate limited", ... */
const char *llm_err_kind_id(enum llm_err_kind k);  /* "none", "rate_limit", ... (stable ids) */

struct llm_error {
    enum llm_err_kind kind;
    int http_status; /* 0 when there was no HTTP response */
    char *type;      /* server's error type/code, or NULL */
    char *message;   /* one line, never NULL when kind != LLM_E_NONE */
    int retries;     /* retries made before giving up */
};

struct llm_top_lp {
    char *token;
    double logprob;
};

struct llm_token_lp {
    char *token;
    double logprob; /* NAN when the server gave null (first echoed token) */
    int offset;     /* completions: text offset in characters, else -1 */
    struct llm_top_lp *top;
    int n_top;
};

struct llm_choice {
    int index;
    char *text;                    /* never NULL */
    char *finish_reason;           /* "stop", "length", "end_turn", ... or NULL */
    struct llm_token_lp *logprobs; /* when requested and returned */
    int n_logprobs;
};

struct llm_result {
    uint64_t id; /* request id from llm_submit */
    enum llm_kind kind;
    int ok; /* 1 on success; else see err */
    struct llm_error err;
    const char *text; /* choices[0].text, or "" (borrowed from choices) */
    struct llm_choice *choices;
    int n_choices;
    int64_t prompt_tokens; /* -1 when unknown */
    int64_t completion_tokens;
    double latency_ms; /* first attempt start to completion (cache hit: 0) */
    double ttfb_ms;    /* time to first byte of the final attempt, or -1 */
    int cached;        /* served from the workspace cache */
    int attempts;      /* HTTP attempts made (0 for cache hits) */
    double cost;       /* valid when has_cost */
    int has_cost;
    char *model;          /* the config name of the model */
    char *resolved_model; /* the model the server says answered, or NULL */
    char *request_id;     /* server request id header, or NULL */
    char *response_json;  /* raw response (streams: reassembled), or NULL */
    int64_t call_id;      /* llm_call row id, 0 without a workspace */
    int sample_index;
    /* LLM_SCORE */
    double score;     /* sum of the completion's token logprobs */
    int score_tokens; /* number of tokens summed */
    /* LLM_REWARD: the reward model's score (the one value of a 1-label classifier, or
     * of the last token for a token-level reward model) */
    double reward;
    /* LLM_EMBED: n_embeddings vectors of dim floats, in input order */
    float *embeddings; /* n_embeddings * dim */
    int n_embeddings, dim;
    /* LLM_MODELS */
    char **model_ids;
    int n_model_ids;
};

void llm_result_free(struct llm_result *res);

/* ---------------------------------------------------------------- engine */

/* Create an engine.  `st` (may be NULL: no cache, no log) is borrowed and must outlive
 * the engine; the engine writes llm_call rows through src/store/llm_log.h.
 * *out is owned by the caller: llm_engine_free. */
int llm_engine_new(struct llm_engine **out, struct store *st, struct ps_err *err);
/* Cancels whatever is still pending (callbacks run with LLM_E_CANCELLED) and frees. */
void llm_engine_free(struct llm_engine *eng);

/* Add a model (copied; the API key is read from cfg->api_key_env now).  A model with
 * the same name is replaced for future requests only if no request uses it; else
 * PS_ERR_EXISTS.  A config that llm_model_cfg_check refuses is PS_ERR_USAGE.  A model
 * whose key variable is unset is added (so `prefscope models` can show it) but
 * every llm_submit on it fails naming the variable.  *out (may be NULL) is borrowed
 * from the engine. */
int llm_engine_add_model(struct llm_engine *eng, const struct llm_model_cfg *cfg,
                         struct llm_model **out, struct ps_err *err);
/* Look up a model by config name; NULL when absent. Borrowed. */
struct llm_model *llm_engine_model(struct llm_engine *eng, const char *name);
const struct llm_model_cfg *llm_model_config(const struct llm_model *m);
/* 1 when the model needs a key (api_key_env names a variable) and the variable is
 * empty or absent; llm_submit then refuses its requests. */
int llm_model_missing_key(const struct llm_model *m);
/* PS_OK, or (when llm_model_missing_key) PS_ERR_USAGE with the message llm_submit
 * gives, naming the variable: for commands that should stop before they start. */
int llm_model_check_key(const struct llm_model *m, struct ps_err *err);

/* Capture mode (`prefscope batch export`): from now on every request that the cache
 * cannot answer (and that may be logged) is not sent but appended to the file at
 * `path` as one JSON line {"custom_id": cache key, "provider", "model_name", "path",
 * "body"}, and completes with LLM_E_DEFERRED (not logged, so a rerun after
 * `prefscope batch import` finds it in the cache).  llm_engine_new turns it on by
 * itself when $PREFSCOPE_BATCH_CAPTURE names a file, so a whole subcommand run under
 * `batch export` is captured whatever engines it creates. */
int llm_engine_capture(struct llm_engine *eng, const char *path, struct ps_err *err);

/* Override max_retries for every model (batch jobs); -1 restores the configs'. */
void llm_engine_set_max_retries(struct llm_engine *eng, int max_retries);
/* Seed the jitter PRNG (tests). */
void llm_engine_seed(struct llm_engine *eng, uint64_t seed);

/* Queue a request on model m.  Returns the request id (> 0), or 0 with err set when
 * the request cannot be built (bad raw JSON in params, unsupported kind for the
 * provider) or the model's key variable is unset: no callback runs then.
 * With a workspace, a request identical (same cache key) to one still in flight is
 * not sent: it waits for that one and gets its answer (cached = 1), or its error. */
uint64_t llm_submit(struct llm_engine *eng, struct llm_model *m, const struct llm_request *req,
                    struct ps_err *err);

/* Cancel one request / all: their callbacks run with LLM_E_CANCELLED on the next
 * step (in flight transfers are aborted).  Cancelling an unknown or finished id is a
 * no-op returning 0; else 1. */
int llm_cancel(struct llm_engine *eng, uint64_t id);
void llm_cancel_all(struct llm_engine *eng);

/* Requests submitted whose callbacks have not run yet. */
int llm_engine_pending(const struct llm_engine *eng);

/* Fill up to `cap` pollfds (fd + events) the engine waits on; returns how many are
 * needed (may exceed cap: call again with more room). */
int llm_engine_pollfds(struct llm_engine *eng, struct pollfd *fds, int cap);
/* Milliseconds until the engine needs llm_engine_step even without socket activity
 * (curl timers, retry backoff, rate limits, completed results waiting); -1 = none. */
int llm_engine_timeout_ms(struct llm_engine *eng);
/* Do the work: act on the ready fds (fds/n from llm_engine_pollfds with revents filled
 * by poll; may be NULL/0 for a timer tick), start queued requests, write finished
 * calls to the log and run callbacks.  Never blocks on the network. */
int llm_engine_step(struct llm_engine *eng, const struct pollfd *fds, int n, struct ps_err *err);
/* poll() the engine's fds plus `extra` (revents filled in for the caller) for at most
 * timeout_ms (-1 = until something happens), then llm_engine_step.  Returns PS_OK;
 * EINTR is not an error (returns at once so the caller can check its signal flag). */
int llm_engine_poll(struct llm_engine *eng, struct pollfd *extra, int n_extra, int timeout_ms,
                    struct ps_err *err);
/* Block until no request is pending.  When *cancel becomes non-zero (a SIGINT
 * handler), everything is cancelled and the callbacks run; returns PS_ERR_CANCELLED
 * then.  cancel may be NULL. */
int llm_engine_run(struct llm_engine *eng, volatile sig_atomic_t *cancel, struct ps_err *err);

/* llm_engine_run drawing a progress bar (core/progress.h, initialised by the caller
 * with the job's total; may be NULL) from the calls that finish during this run, and
 * its final line (progress_finish) at the end. */
struct progress;
int llm_engine_run_progress(struct llm_engine *eng, volatile sig_atomic_t *cancel,
                            struct progress *pg, struct ps_err *err);

/* Counters since the engine was created (for progress bars and reports). */
struct llm_stats {
    int64_t submitted, done, ok, errors, cached, cancelled, retries;
    /* new spend: the calls actually sent (cache hits are counted apart) */
    int64_t prompt_tokens, completion_tokens;
    double cost;           /* sum over sent calls with a known cost */
    int64_t cost_unknown;  /* answered calls without a price */
    int64_t cached_tokens; /* prompt + completion tokens of the cache hits */
    double cached_cost;    /* what the cache hits cost when first made (known prices) */
    int in_flight, queued;
};
void llm_engine_stats(const struct llm_engine *eng, struct llm_stats *out);

/* The counters a CLI progress bar shows (core/progress.h) from engine stats. */
struct progress_counts;
void llm_stats_progress(const struct llm_stats *st, struct progress_counts *out);

/* ---------------------------------------------------------------- probing */

struct llm_probe {
    int reachable; /* GET /models answered 2xx */
    char *error;   /* why not, or NULL */
    char **served; /* model ids the server lists */
    int n_served;
    int model_listed; /* cfg->model among them (-1 unknown) */
    int chat_ok;      /* a 1-token chat worked */
    int logprobs;     /* chat logprobs returned: 1 yes, 0 no, -1 not probed */
    int scoring;      /* echo/prompt logprobs scoring works: 1, 0, -1 */
    double latency_ms;
};
/* Probe one model synchronously (runs the engine until done; not cached/logged). */
int llm_probe_model(struct llm_engine *eng, struct llm_model *m, struct llm_probe *out,
                    struct ps_err *err);
void llm_probe_free(struct llm_probe *p);

#endif
