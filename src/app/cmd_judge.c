/* prefscope judge: an LLM-as-judge run over a dataset.  Every selected pair is sent
 * to the model through a pairwise template (both orders with --swap) at temperature
 * 0; each answer is parsed tolerantly and stored as a judgment in the order it was
 * presented (meta.swap marks the reversed order).  Unparseable answers are stored as
 * "invalid", never dropped.  A rerun skips judgments already stored and replays
 * finished calls from the llm_call cache, so an interrupted run resumes. */
#include <cjson/cJSON.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app/app.h"
#include "app/opts.h"
#include "core/datadir.h"
#include "core/judge.h"
#include "core/progress.h"
#include "core/stats.h"
#include "core/strbuf.h"
#include "core/xalloc.h"
#include "llm/llm.h"
#include "lua/config.h"
#include "store/judgments.h"
#include "store/store.h"

static const char judge_usage[] =
    "usage: prefscope judge DATASET --model M [--template T] [--swap] [--annotator NAME]\n"
    "                       [--sample N] [--seed S] [--pairs first|all] [--max-tokens K]\n"
    "                       [--base-url URL [--provider openai|anthropic] [--model-id ID]\n"
    "                        [--api-key-env VAR] [--concurrency C]] [--json]\n"
    "\n"
    "Ask model M which response of each pair is better, at temperature 0, through a\n"
    "pairwise template, and store the answers as judgments of NAME (default llm:M, or\n"
    "llm:M/T for a template other than 'pairwise').  Answers are parsed tolerantly\n"
    "([[A]], Output (a), {\"winner\": ...}, code fences, ...); an unparseable answer is\n"
    "stored as verdict 'invalid'.  Judgments already stored for NAME are skipped and\n"
    "finished calls come from the workspace's LLM cache, so a rerun resumes.\n"
    "\n";
enum {
    OPT_SWAP = APP_OPT_FIRST_FREE,
    OPT_SEED,
    OPT_PAIRS,
    OPT_MAX_TOKENS,
    OPT_BASE_URL,
    OPT_PROVIDER,
    OPT_MODEL_ID,
    OPT_KEY_ENV,
    OPT_CONCURRENCY,
};

#define JUDGE_OPTS(_) \
    _('m', "model", "M", \
      "a model of the config (prefscope models lists them), or\n" \
      "with --base-url the name of an inline model") \
    _('t', "template", "T", \
      "judge template: pairwise (default), pairwise_cot,\n" \
      "pairwise_json, pairwise_strict, or a file path") \
    _(OPT_SWAP, "swap", NULL, "also judge every pair in the reversed order") \
    _('a', "annotator", "NAME", "annotator name for the stored judgments") \
    _('n', "sample", "N", "judge N items drawn at random (seeded) instead of all") \
    _(OPT_SEED, "seed", "S", "sampling seed (default 1)") \
    _(OPT_PAIRS, "pairs", "P", "first: responses 1 and 2 of each item (default); all: every pair") \
    _(OPT_MAX_TOKENS, "max-tokens", "K", "answer length limit (default 1024)") \
    _(OPT_BASE_URL, "base-url", "URL", "define the model inline instead of from the config") \
    _(OPT_PROVIDER, "provider", "P", "inline model: openai (default) or anthropic") \
    _(OPT_MODEL_ID, "model-id", "ID", "inline model: the id sent to the server (default M)") \
    _(OPT_KEY_ENV, "api-key-env", "VAR", \
      "inline model: environment variable holding the API key\n" \
      "(false: none; required for a server on another machine)") \
    _(OPT_CONCURRENCY, "concurrency", "C", "inline model: requests in flight (default 8)") \
    _(APP_OPT_JSON, "json", NULL, "print the run summary as JSON")
APP_OPTS(judge_opts, JUDGE_OPTS);

static volatile sig_atomic_t judge_interrupted;

static void
judge_on_sigint(int sig)
{
    (void)sig;
    judge_interrupted = 1;
}

struct judge_task {
    int64_t item_id, resp_a, resp_b; /* as presented */
    int swap;
    char *user; /* rendered user message (owned) */
};

struct judge_key {
    int64_t item, a, b;
};

struct judge_run {
    struct app *app;
    struct store *st;
    const char *annotator, *template_name, *model_name;
    struct judge_template tmpl;
    struct judge_task *tasks;
    int n_tasks, cap_tasks;
    struct judge_key *done; /* judgments already stored (sorted) */
    int n_done, cap_done;
    int64_t n_items, n_skipped_text, n_skipped_done;
    unsigned char *selected; /* [n_items] sampled item seqs, or NULL = all */
    int all_pairs, swap;
    /* progress */
    int ok, invalid, errors, not_sent, cached, store_errors;
    int verdicts[4];
    char first_error[512];
};

static int
key_cmp(const void *x, const void *y)
{
    const struct judge_key *a = x, *b = y;
    if (a->item != b->item)
        return a->item < b->item ? -1 : 1;
    if (a->a != b->a)
        return a->a < b->a ? -1 : 1;
    return (a->b > b->b) - (a->b < b->b);
}

static int
collect_key(void *ud, int64_t item, int64_t a, int64_t b)
{
    struct judge_run *r = ud;
    r->done = xgrow(r->done, sizeof *r->done, r->n_done, &r->cap_done, 256);
    r->done[r->n_done++] = (struct judge_key){item, a, b};
    return 0;
}

static int
already_done(const struct judge_run *r, int64_t item, int64_t a, int64_t b)
{
    struct judge_key k = {item, a, b};
    return r->n_done && bsearch(&k, r->done, (size_t)r->n_done, sizeof k, key_cmp) != NULL;
}

/* The request as the user saw it: system prompt, earlier turns, final prompt. */
static void
render_instruction(const struct store_item *it, struct strbuf *sb)
{
    int context = 0;
    if (it->system && *it->system) {
        sb_printf(sb, "[system]\n%s\n\n", it->system);
        context = 1;
    }
    cJSON *h = it->history ? cJSON_Parse(it->history) : NULL;
    const cJSON *turn;
    cJSON_ArrayForEach(turn, h)
    {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(turn, "role");
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(turn, "content");
        if (cJSON_IsString(content)) {
            sb_printf(sb, "[%s]\n%s\n\n", cJSON_IsString(role) ? role->valuestring : "turn",
                      content->valuestring);
            context = 1;
        }
    }
    cJSON_Delete(h);
    if (context)
        sb_puts(sb, "[user]\n");
    sb_puts(sb, it->prompt ? it->prompt : "");
}

static int
add_task(struct judge_run *r, const struct store_item *it, const char *instruction,
         const struct store_response *ra, const struct store_response *rb, int swap,
         struct ps_err *err)
{
    if (already_done(r, it->id, ra->id, rb->id)) {
        r->n_skipped_done++;
        return PS_OK;
    }
    static const char *const keys[] = {"instruction", "prompt", "system", "a", "b"};
    const char *vals[] = {instruction, it->prompt, it->system, ra->text, rb->text};
    struct strbuf sb = STRBUF_INIT;
    if (judge_render(&sb, r->tmpl.user, keys, vals, 5, err) != PS_OK) {
        sb_free(&sb);
        return ps_error_prefix(err, "%s: ", r->template_name);
    }
    r->tasks = xgrow(r->tasks, sizeof *r->tasks, r->n_tasks, &r->cap_tasks, 256);
    r->tasks[r->n_tasks++] = (struct judge_task){it->id, ra->id, rb->id, swap, sb_take(&sb)};
    return PS_OK;
}

static int
collect_item(void *ud, const struct store_item *it, struct ps_err *err)
{
    struct judge_run *r = ud;
    if (r->selected && (it->seq >= r->n_items || !r->selected[it->seq]))
        return 0;
    if (it->n_resp < 2)
        return 0;
    struct strbuf ins = STRBUF_INIT;
    render_instruction(it, &ins);
    int rc = PS_OK;
    for (int i = 0; i < it->n_resp && rc == PS_OK; i++)
        for (int j = i + 1; j < it->n_resp && rc == PS_OK; j++) {
            if (!r->all_pairs && (i != 0 || j != 1))
                continue;
            const struct store_response *ra = &it->resp[i], *rb = &it->resp[j];
            if (!ra->text || !rb->text) {
                r->n_skipped_text++;
                continue;
            }
            rc = add_task(r, it, sb_str(&ins), ra, rb, 0, err);
            if (rc == PS_OK && r->swap)
                rc = add_task(r, it, sb_str(&ins), rb, ra, 1, err);
        }
    sb_free(&ins);
    return rc;
}

struct judge_cb {
    struct judge_run *run;
    int task;
};

static void
on_answer(void *ud, struct llm_result *res)
{
    struct judge_cb *cb = ud;
    struct judge_run *r = cb->run;
    struct judge_task *t = &r->tasks[cb->task];
    if (!res->ok && res->err.kind == LLM_E_CANCELLED) {
        /* interrupted before an answer came: not done and not an error; a rerun sends it */
        r->not_sent++;
    } else if (!res->ok) {
        /* An error is not a judgment: nothing is stored, so a rerun tries again. */
        r->errors++;
        if (!r->first_error[0])
            snprintf(r->first_error, sizeof r->first_error, "%s",
                     res->err.message ? res->err.message : "error");
    } else {
        struct judge_parse p;
        judge_parse_verdict(res->text, &p);
        r->ok++;
        r->cached += res->cached;
        r->verdicts[p.verdict]++;
        if (p.verdict == STATS_INVALID)
            r->invalid++;
        double pa = p.verdict == STATS_A ? 1 : p.verdict == STATS_B ? 0 : 0.5;
        struct strbuf meta = STRBUF_INIT;
        sb_printf(&meta, "{\"swap\":%s,\"template\":", t->swap ? "true" : "false");
        sb_json_str(&meta, r->template_name, strlen(r->template_name));
        sb_puts(&meta, ",\"model\":");
        sb_json_str(&meta, r->model_name, strlen(r->model_name));
        sb_printf(&meta, ",\"parse\":\"%s\",\"llm_call\":%lld}", p.rule, (long long)res->call_id);
        struct ps_err err = {0, ""};
        if (store_judgment_add(r->st, t->item_id, t->resp_a, t->resp_b, r->annotator,
                               stats_class_name(p.verdict), pa, p.verdict != STATS_INVALID, 1,
                               res->text, sb_str(&meta), &err) != PS_OK) {
            r->store_errors++;
            if (!r->first_error[0])
                snprintf(r->first_error, sizeof r->first_error, "%.500s", err.msg);
        }
        sb_free(&meta);
    }
    llm_result_free(res);
}

/* The template file: a path, or NAME under prefscope/templates/judge/ in the shipped
 * lua-modules (core/datadir.h), then ~/.config/prefscope/templates/judge/. */
static char *
find_template(const char *name)
{
    struct stat sb;
    if (strchr(name, '/'))
        return stat(name, &sb) == 0 ? xstrdup(name) : NULL;
    if (strstr(name, ".."))
        return NULL;
    char path[4096];
    const char *home = getenv("HOME"), *xdg = getenv("XDG_CONFIG_HOME");
    char dirs[DATADIR_MAX][DATADIR_PATH];
    int n = datadir_list("lua-modules", dirs);
    for (int i = 0; i < n; i++) {
        int w = snprintf(path, sizeof path, "%s/prefscope/templates/judge/%s.txt", dirs[i], name);
        if (w > 0 && (size_t)w < sizeof path && stat(path, &sb) == 0)
            return xstrdup(path);
    }
    if (xdg && *xdg)
        snprintf(path, sizeof path, "%s/prefscope/templates/judge/%s.txt", xdg, name);
    else if (home && *home)
        snprintf(path, sizeof path, "%s/.config/prefscope/templates/judge/%s.txt", home, name);
    else
        return NULL;
    return stat(path, &sb) == 0 ? xstrdup(path) : NULL;
}

static void
run_free(struct judge_run *r)
{
    for (int i = 0; i < r->n_tasks; i++)
        free(r->tasks[i].user);
    free(r->tasks);
    free(r->done);
    free(r->selected);
    judge_template_free(&r->tmpl);
}

static int
parse_count(struct app *app, const char *what, const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi)
        return app_failf(app, "judge: %s expects an integer in [%ld, %ld], not '%s'", what, lo, hi,
                         s);
    *out = v;
    return 0;
}

int
cmd_judge(struct app *app, int argc, char **argv)
{
    struct judge_run r;
    memset(&r, 0, sizeof r);
    r.app = app;
    r.template_name = "pairwise";
    const char *model = NULL, *base_url = NULL, *provider = "openai", *model_id = NULL,
               *key_env = NULL;
    long sample = -1, seed = 1, max_tokens = 1024, concurrency = 8;
    int json = 0, c;
    char *annot_buf = NULL;
    struct app_optparse p;
    app_opt_begin(&p, app, "judge", judge_usage, judge_opts, argc, argv);
    while ((c = app_opt_next(&p)) != APP_OPT_END) {
        switch (c) {
        case APP_OPT_EXIT: return p.status;
        case APP_OPT_JSON: json = 1; break;
        case 'm': model = optarg; break;
        case 't': r.template_name = optarg; break;
        case OPT_SWAP: r.swap = 1; break;
        case 'a': r.annotator = optarg; break;
        case 'n':
            if (parse_count(app, "--sample", optarg, 1, 1L << 40, &sample))
                return 1;
            break;
        case OPT_SEED:
            if (parse_count(app, "--seed", optarg, 0, 1L << 62, &seed))
                return 1;
            break;
        case OPT_PAIRS:
            if (strcmp(optarg, "all") && strcmp(optarg, "first"))
                return app_failf(app, "judge: --pairs expects 'first' or 'all', not '%s'", optarg);
            r.all_pairs = strcmp(optarg, "all") == 0;
            break;
        case OPT_MAX_TOKENS:
            if (parse_count(app, "--max-tokens", optarg, 1, 1000000, &max_tokens))
                return 1;
            break;
        case OPT_BASE_URL: base_url = optarg; break;
        case OPT_PROVIDER:
            if (llm_provider_parse(optarg) < 0)
                return app_failf(app, "judge: --provider expects openai or anthropic, not '%s'",
                                 optarg);
            provider = optarg;
            break;
        case OPT_MODEL_ID: model_id = optarg; break;
        case OPT_KEY_ENV: key_env = optarg; break;
        case OPT_CONCURRENCY:
            if (parse_count(app, "--concurrency", optarg, 1, 4096, &concurrency))
                return 1;
            break;
        }
    }
    if (optind != argc - 1)
        return app_failf(app, "judge: expected one DATASET (see prefscope judge --help)");
    if (!model)
        return app_failf(app, "judge: --model is required");
    const char *dataset = argv[optind];
    r.model_name = model;
    if (!r.annotator) {
        size_t n = strlen(model) + strlen(r.template_name) + 8;
        annot_buf = xmalloc(n);
        if (strcmp(r.template_name, "pairwise") == 0)
            snprintf(annot_buf, n, "llm:%s", model);
        else
            snprintf(annot_buf, n, "llm:%s/%s", model,
                     strchr(r.template_name, '/') ? strrchr(r.template_name, '/') + 1
                                                  : r.template_name);
        r.annotator = annot_buf;
    }
    int status = 1;
    struct llm_engine *eng = NULL;
    char *tpath = find_template(r.template_name), *ttext = tpath ? sb_read_file(tpath) : NULL;
    if (!ttext) {
        app_failf(app, "judge: template '%s' not found (see prefscope judge --help)",
                  r.template_name);
        goto out;
    }
    if (judge_template_parse(ttext, &r.tmpl, &app->err) != PS_OK) {
        ps_error_prefix(&app->err, "judge: %s: ", tpath);
        app_fail(app);
        goto out;
    }
    r.st = app_store(app);
    int64_t ds;
    struct store_dataset info;
    if (!r.st || store_dataset_find(r.st, dataset, &ds, &app->err) != PS_OK ||
        store_dataset_get(r.st, ds, &info, &app->err) != PS_OK) {
        app_fail(app);
        goto out;
    }
    r.n_items = info.n_items;
    store_dataset_free(&info);
    if (sample > 0) {
        struct stats_rng rng;
        stats_rng_seed(&rng, (uint64_t)seed);
        r.selected = stats_sample_mask(&rng, r.n_items, sample);
    }
    if (store_judgment_keys(r.st, ds, r.annotator, collect_key, &r, &app->err) != PS_OK) {
        app_fail(app);
        goto out;
    }
    if (r.n_done)
        qsort(r.done, (size_t)r.n_done, sizeof *r.done, key_cmp);
    if (store_item_foreach(r.st, ds, collect_item, &r, &app->err) != PS_OK) {
        app_fail(app);
        goto out;
    }
    struct llm_model_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    if (base_url) {
        llm_model_cfg_defaults(&cfg);
        cfg.name = xstrdup(model);
        cfg.provider = (enum llm_provider)llm_provider_parse(provider);
        cfg.base_urls = xcalloc(1, sizeof *cfg.base_urls);
        cfg.base_urls[0] = xstrdup(base_url);
        cfg.n_base_urls = 1;
        cfg.model = xstrdup(model_id ? model_id : model);
        cfg.concurrency = (int)concurrency;
        /* "false", as in the config: a server on another machine that needs no key */
        cfg.no_key = key_env && strcmp(key_env, "false") == 0;
        cfg.api_key_env = key_env && !cfg.no_key ? xstrdup(key_env) : NULL;
    } else {
        struct config *conf = NULL;
        if (config_load(&conf, app->config, store_path(r.st), &app->err) != PS_OK) {
            app_fail(app);
            goto out;
        }
        const struct llm_model_cfg *found = config_model(conf, model);
        if (!found) {
            app_failf(app, "judge: no model '%s' in %s (see prefscope models, or give --base-url)",
                      model, conf->path ? conf->path : "the config (no config file found)");
            config_free(conf);
            goto out;
        }
        llm_model_cfg_copy(&cfg, found);
        config_free(conf);
    }
    struct llm_model *m = NULL;
    int rc = llm_engine_new(&eng, r.st, &app->err);
    if (rc == PS_OK)
        rc = llm_engine_add_model(eng, &cfg, &m, &app->err);
    if (rc == PS_OK)
        rc = llm_model_check_key(m, &app->err); /* before any progress bar */
    llm_model_cfg_free(&cfg);
    if (rc != PS_OK) {
        app_fail(app);
        goto out;
    }
    struct judge_cb *cbs = xcalloc((size_t)r.n_tasks + 1, sizeof *cbs);
    for (int i = 0; i < r.n_tasks; i++) {
        struct llm_msg msg = {"user", r.tasks[i].user};
        struct llm_request req = {
            .kind = LLM_CHAT,
            .system = r.tmpl.system,
            .messages = &msg,
            .n_messages = 1,
            .p = {.temperature = 0, .has_temperature = 1, .max_tokens = (int)max_tokens},
            .on_done = on_answer,
            .ud = &cbs[i],
        };
        cbs[i] = (struct judge_cb){&r, i};
        if (llm_submit(eng, m, &req, &app->err) == 0) {
            /* nothing was queued for this one; count it as an error and go on */
            r.errors++;
            if (!r.first_error[0])
                snprintf(r.first_error, sizeof r.first_error, "%.500s", app->err.msg);
        }
    }
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = judge_on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);
    struct progress pg;
    progress_init(&pg, "judge", r.n_tasks);
    pg.invalid = &r.invalid;
    rc = llm_engine_run_progress(eng, &judge_interrupted, &pg, &app->err);
    sigaction(SIGINT, &old, NULL);
    struct llm_stats es;
    llm_engine_stats(eng, &es);
    llm_engine_free(eng);
    eng = NULL;
    free(cbs);
    store_dataset_refresh_counts(r.st, ds, &app->err);
    /* cache hits are not new spend: tokens and cost are reported apart */
    int64_t new_tok = es.prompt_tokens + es.completion_tokens;
    int has_cost = es.cost > 0 || es.cached_cost > 0 || (es.ok > 0 && es.cost_unknown < es.ok);
    if (json) {
        struct strbuf sb = STRBUF_INIT;
        sb_puts(&sb, "{\"dataset\":");
        sb_json_str(&sb, dataset, strlen(dataset));
        sb_puts(&sb, ",\"annotator\":");
        sb_json_str(&sb, r.annotator, strlen(r.annotator));
        sb_puts(&sb, ",\"template\":");
        sb_json_str(&sb, r.template_name, strlen(r.template_name));
        sb_printf(&sb,
                  ",\"requests\":%d,\"judged\":%d,\"A\":%d,\"B\":%d,\"tie\":%d,\"invalid\":%d,"
                  "\"errors\":%d,\"not_sent\":%d,\"interrupted\":%s,\"cached\":%d,"
                  "\"skipped_done\":%lld,\"skipped_no_text\":%lld,"
                  "\"tokens\":{\"new\":%lld,\"cached\":%lld},\"cost\":{\"new\":",
                  r.n_tasks, r.ok, r.verdicts[STATS_A], r.verdicts[STATS_B], r.verdicts[STATS_TIE],
                  r.invalid, r.errors, r.not_sent, rc == PS_ERR_CANCELLED ? "true" : "false",
                  r.cached, (long long)r.n_skipped_done, (long long)r.n_skipped_text,
                  (long long)new_tok, (long long)es.cached_tokens);
        if (has_cost)
            sb_printf(&sb, "%.10g,\"cached\":%.10g}}\n", es.cost, es.cached_cost);
        else
            sb_puts(&sb, "null,\"cached\":null}}\n");
        fputs(sb_str(&sb), stdout);
        sb_free(&sb);
    } else {
        struct strbuf sb = STRBUF_INIT;
        sb_printf(&sb,
                  "%s: %d judgments by %s (A %d, B %d, tie %d, invalid %d); %d errors; "
                  "%lld already judged",
                  dataset, r.ok, r.annotator, r.verdicts[STATS_A], r.verdicts[STATS_B],
                  r.verdicts[STATS_TIE], r.invalid, r.errors, (long long)r.n_skipped_done);
        if (r.not_sent)
            sb_printf(&sb, "; %d not sent (interrupted)", r.not_sent);
        sb_printf(&sb, "\n  sent: %lld tokens", (long long)new_tok);
        if (has_cost)
            sb_printf(&sb, ", $%.4f", es.cost);
        sb_printf(&sb, "; from cache: %d answers, %lld tokens", r.cached,
                  (long long)es.cached_tokens);
        if (has_cost)
            sb_printf(&sb, ", $%.4f not spent again", es.cached_cost);
        sb_putc(&sb, '\n');
        app_print_clean(stdout, sb_str(&sb));
        sb_free(&sb);
    }
    if (rc == PS_ERR_CANCELLED) {
        app_failf(app,
                  "judge: interrupted: %d of %d requests done, %d not sent; run the same "
                  "command again to resume",
                  r.ok + r.errors, r.n_tasks, r.not_sent);
        status = 130;
    } else if (r.errors || r.store_errors) {
        app_failf(app, "judge: %d requests failed (first: %s); run again to retry them",
                  r.errors + r.store_errors, r.first_error);
        status = 1;
    } else {
        status = 0;
    }
out:
    if (eng)
        llm_engine_free(eng);
    free(tpath);
    free(ttext);
    free(annot_buf);
    run_free(&r);
    return status;
}
