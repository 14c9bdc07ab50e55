/* prefscope icai: ICAI constitutions (DESIGN §6, docs/icai.md).
 *
 *   prefscope icai DATASET --offline    measurable principles computed in C
 *   prefscope icai DATASET --model M    the LLM pipeline (lua-modules/prefscope/icai.lua)
 *   prefscope icai ls | show | export | compare
 *
 * Every constitution keeps all the principles it tested (rank 0 = filtered out) with
 * their counts and metrics, and every principle's vote on every pair, relative to
 * the pair's responses, so the votes can be scored against any annotator later. */
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <lua.h>

#include "app/app.h"
#include "app/icai_out.h"
#include "core/constitution.h"
#include "core/features.h"
#include "core/progress.h"
#include "core/stats.h"
#include "core/strbuf.h"
#include "core/xalloc.h"
#include "lua/config.h"
#include "lua/ps_lua.h"
#include "store/constitution.h"
#include "store/store.h"

static const char icai_usage[] =
    "usage: prefscope icai DATASET [--offline | --model M] [options]\n"
    "       prefscope icai ls [DATASET] [--json]\n"
    "       prefscope icai show REF [--all] [--json]\n"
    "       prefscope icai export REF [--format md|json|ap] [-o FILE]\n"
    "       prefscope icai compare REF [--annotators A,B,...] [--metric M] [--json]\n"
    "       prefscope icai compare REF1 REF2 [--json]\n"
    "\n"
    "Find the principles that explain a dataset's preferences (Inverse Constitutional\n"
    "AI) and score them: relevance, accuracy, adjusted kappa and strength against the\n"
    "labels of an annotator.  REF is a constitution id, its name or DATASET/NAME.\n"
    "\n"
    "  --offline             measurable principles computed in C (no LLM): longer,\n"
    "                        shorter, list items, headers, code, links, emoji, ...\n"
    "  -m, --model M         LLM for generation, voting and evaluation\n"
    "  --embed-model E       embedding model for clustering (default: offline TF-IDF)\n"
    "  --per-pair N          principles generated per pair (default 3)\n"
    "  --clusters K          clusters of candidate principles (default: scaled to the pool)\n"
    "  --top N               principles kept in the constitution (default 5; 0 = all)\n"
    "  --seeds S             voting seeds per pair, combined unanimously (default 1)\n"
    "  --combine unanimous|majority  how several seeds' votes combine\n"
    "  -n, --sample N        use N pairs drawn at random (seeded)\n"
    "  --test-split F        fraction of labelled pairs held out for evaluation (0.2)\n"
    "  --seed S              the run's seed: sampling, splits, shuffles, flips (default 1)\n"
    "  --templates DIR       template files replacing the defaults by file name\n"
    "  --principles FILE     more principles to test, one per line\n"
    "  --no-generate         test only the --principles (no generation, no clustering)\n"
    "  --summarize           an LLM summary represents each cluster (not a member)\n"
    "  --recluster           cluster the top 1.5 x N ranked principles into N\n"
    "  -a, --annotator A     whose labels to explain (default: dataset, else the most\n"
    "                        frequent annotator)\n"
    "  --name NAME           name of the constitution (default METHOD-N)\n"
    "  --min-relevance R     filter: minimum relevance (default 0.1)\n"
    "  --relevance-for       filter on for/total (ICAI's code) instead of (for+against)/total\n"
    "  --max-invalid F       filter: maximum fraction of invalid votes (default 0.5)\n"
    "  --keep-against        do not require more for than against votes\n"
    "  --dry-run             print the number of calls, tokens and cost; change nothing\n"
    "  --json                machine-readable output\n"
    "  -w, --workspace FILE  workspace file\n";

enum {
    OPT_OFFLINE = APP_OPT_FIRST_FREE,
    OPT_EMBED,
    OPT_PER_PAIR,
    OPT_CLUSTERS,
    OPT_TOP,
    OPT_SEEDS,
    OPT_COMBINE,
    OPT_TEST_SPLIT,
    OPT_SEED,
    OPT_TEMPLATES,
    OPT_NAME,
    OPT_MIN_REL,
    OPT_REL_FOR,
    OPT_MAX_INVALID,
    OPT_KEEP_AGAINST,
    OPT_DRY_RUN,
    OPT_ALL,
    OPT_FORMAT,
    OPT_ANNOTATORS,
    OPT_METRIC,
    OPT_CONCURRENCY,
    OPT_MAX_TOKENS,
    OPT_SUMMARIZE,
    OPT_RECLUSTER,
    OPT_PRINCIPLES,
    OPT_NO_GENERATE,
};

struct icai_opts {
    const char *model, *embed_model, *templates, *annotator, *name, *format, *output, *annotators,
        *metric, *combine;
    long per_pair, clusters, seeds, sample, seed, concurrency, max_tokens;
    double test_split;
    struct icai_filter filter;
    int offline, dry_run, json, all;
    /* the option strings as given, passed on to the Lua pipeline */
    char **pass;
    int n_pass, cap_pass;
};

static int
num_opt(struct app *app, const char *what, const char *s, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (!*s || *end || !(v >= lo && v <= hi))
        return app_failf(app, "icai: %s expects a number in [%g, %g], not '%s'", what, lo, hi, s);
    *out = v;
    return 0;
}

static int
int_opt(struct app *app, const char *what, const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi)
        return app_failf(app, "icai: %s expects an integer in [%ld, %ld], not '%s'", what, lo, hi,
                         s);
    *out = v;
    return 0;
}

/* Report app->err prefixed with "icai: " (and the dataset). */
static int
icai_fail(struct app *app, const char *dataset)
{
    if (dataset)
        ps_error_prefix(&app->err, "icai: %.200s: ", dataset);
    else
        ps_error_prefix(&app->err, "icai: ");
    return app_fail(app);
}

/* ---- the offline constitution ---- */

struct offline_pair {
    int64_t item_id, seq;
    int label; /* store_icai_pair labels */
    int split; /* 0 train, 1 test */
    unsigned char vote[FEAT__COUNT];
};

struct offline_run {
    struct offline_pair *p;
    int n, cap;
    struct progress pg;
    int64_t total;
};

static int
offline_collect(void *ud, const struct store_icai_pair *pp, struct ps_err *err)
{
    (void)err;
    struct offline_run *r = ud;
    r->p = xgrow(r->p, sizeof *r->p, r->n, &r->cap, 1024);
    struct offline_pair *o = &r->p[r->n++];
    memset(o, 0, sizeof *o);
    o->item_id = pp->item_id;
    o->seq = pp->seq;
    o->label = pp->label;
    double fa[FEAT__COUNT], fb[FEAT__COUNT];
    struct feat_prompt prompt;
    features_prompt_init(&prompt, pp->prompt);
    features_measure(&prompt, pp->a, fa);
    features_measure(&prompt, pp->b, fb);
    features_prompt_free(&prompt);
    for (int f = 0; f < FEAT__COUNT; f++)
        o->vote[f] = (unsigned char)features_vote(f, fa, fb);
    if ((r->n & 1023) == 0) {
        struct progress_counts c = {.done = r->n};
        progress_update(&r->pg, &c);
    }
    return 0;
}

/* The constitution as a judge: the kept principles' votes summed (A +1, B -1); a
 * draw is decided by a seeded coin.  Writes the evaluation of one split. */
static void
offline_eval(const struct offline_run *r, const int *rank, int split, uint64_t seed,
             struct strbuf *js)
{
    unsigned char *ok = xmalloc((size_t)r->n + 1), *base = xmalloc((size_t)r->n + 1);
    size_t n = 0, undecided = 0;
    struct stats_rng coin;
    stats_rng_seed(&coin, seed ^ 0x9e3779b97f4a7c15ULL);
    for (int i = 0; i < r->n; i++) {
        const struct offline_pair *p = &r->p[i];
        if (p->split != split || (p->label != 0 && p->label != 1))
            continue;
        int score = 0;
        for (int f = 0; f < FEAT__COUNT; f++)
            if (rank[f] > 0)
                score += p->vote[f] == ICAI_VOTE_A ? 1 : p->vote[f] == ICAI_VOTE_B ? -1 : 0;
        int flip = (int)stats_rng_below(&coin, 2);
        int pred = score > 0 ? 0 : score < 0 ? 1 : flip;
        undecided += score == 0;
        ok[n] = pred == p->label;
        base[n] = flip == p->label;
        n++;
    }
    double m, lo, hi, bm, blo, bhi;
    icai_agreement_ci(ok, n, seed, -1, 0.95, &m, &lo, &hi);
    icai_agreement_ci(base, n, seed + 1, -1, 0.95, &bm, &blo, &bhi);
    sb_printf(js, "{\"pairs\":%zu,\"undecided\":%zu,\"constitutional\":", n, undecided);
    icai_json_num(js, m);
    sb_puts(js, ",\"constitutional_ci\":[");
    icai_json_num(js, lo);
    sb_putc(js, ',');
    icai_json_num(js, hi);
    sb_puts(js, "],\"baseline\":");
    icai_json_num(js, bm);
    sb_puts(js, ",\"baseline_ci\":[");
    icai_json_num(js, blo);
    sb_putc(js, ',');
    icai_json_num(js, bhi);
    sb_puts(js, "],\"baseline_kind\":\"coin flip\"}");
    free(ok);
    free(base);
}

static int
unique_name(struct store *st, int64_t ds, const char *method, char *out, size_t n,
            struct ps_err *err)
{
    struct store_constitution *v;
    int nv;
    if (store_constitution_list(st, ds, &v, &nv, err) != PS_OK)
        return err->code;
    for (int k = 1;; k++) {
        snprintf(out, n, "%s-%d", method, k);
        int used = 0;
        for (int i = 0; i < nv && !used; i++)
            used = strcmp(v[i].name, out) == 0;
        if (!used)
            break;
    }
    store_constitution_list_free(v, nv);
    return PS_OK;
}

/* 1 (reported) when the dataset has a constitution called `name` already. */
static int
icai_name_taken(struct app *app, struct store *st, int64_t ds, const char *name)
{
    struct store_constitution *v;
    int n, taken = 0;
    if (store_constitution_list(st, ds, &v, &n, &app->err) != PS_OK)
        return app_fail(app);
    for (int i = 0; i < n && !taken; i++)
        taken = strcmp(v[i].name, name) == 0;
    store_constitution_list_free(v, n);
    if (taken)
        app_failf(app, "icai: a constitution named '%.200s' already exists (give another --name)",
                  name);
    return taken;
}

static int
icai_offline(struct app *app, const char *dataset, struct icai_opts *o)
{
    struct store *st = app_store(app);
    int64_t ds;
    if (!st || store_dataset_find(st, dataset, &ds, &app->err) != PS_OK)
        return app_fail(app);
    char *annot = NULL;
    if (o->annotator)
        annot = xstrdup(o->annotator);
    else if (store_icai_default_annotator(st, ds, &annot, &app->err) != PS_OK)
        return icai_fail(app, dataset);
    struct offline_run r;
    memset(&r, 0, sizeof r);
    int status = 1;
    struct store_votes *votes = NULL;
    int in_tx = 0;
    char name[256];
    if (o->name)
        snprintf(name, sizeof name, "%s", o->name);
    else if (unique_name(st, ds, "offline", name, sizeof name, &app->err) != PS_OK) {
        app_fail(app);
        goto out;
    }
    if (icai_name_taken(app, st, ds, name))
        goto out;
    progress_init(&r.pg, "features", -1);
    if (store_icai_pairs(st, ds, annot, 1, offline_collect, &r, &app->err) != PS_OK) {
        app_fail(app);
        goto out;
    }
    struct progress_counts pc = {.done = r.n};
    if (r.pg.mode == 2) /* a live bar is closed; a log gets no line for seconds of work */
        progress_finish(&r.pg, &pc);
    struct stats_rng rng;
    stats_rng_seed(&rng, (uint64_t)o->seed);
    if (o->sample > 0 && o->sample < r.n) {
        unsigned char *sel = stats_sample_mask(&rng, r.n, o->sample);
        int k = 0;
        for (int i = 0; i < r.n; i++)
            if (sel[i])
                r.p[k++] = r.p[i];
        r.n = k;
        free(sel);
    }
    int n_lab = 0, n_tie = 0, n_unlab = 0, n_invalid = 0;
    int *lab = xmalloc(((size_t)r.n + 1) * sizeof *lab);
    for (int i = 0; i < r.n; i++) {
        int l = r.p[i].label;
        if (l == 0 || l == 1)
            lab[n_lab++] = i;
        else if (l == 2)
            n_tie++;
        else if (l == 3)
            n_invalid++;
        else
            n_unlab++;
    }
    if (n_lab == 0) {
        app_failf(app,
                  "icai: %.200s: no pairs labelled A or B by '%.200s' (%d ties, %d unjudged; "
                  "choose another with --annotator)",
                  dataset, annot, n_tie, n_unlab);
        free(lab);
        goto out;
    }
    int n_test = (int)floor(o->test_split * n_lab + 0.5);
    if (n_test >= n_lab)
        n_test = 0; /* nothing left to learn from: evaluate on the training pairs */
    unsigned char *test = stats_sample_mask(&rng, n_lab, n_test);
    for (int k = 0; k < n_lab; k++)
        r.p[lab[k]].split = test[k];
    free(test);
    free(lab);
    struct icai_counts counts[FEAT__COUNT];
    memset(counts, 0, sizeof counts);
    for (int i = 0; i < r.n; i++)
        if (r.p[i].split == 0)
            for (int f = 0; f < FEAT__COUNT; f++)
                icai_count(&counts[f], r.p[i].vote[f], r.p[i].label);
    int rank[FEAT__COUNT];
    icai_rank(counts, FEAT__COUNT, &o->filter, rank);
    if (o->dry_run) {
        if (o->json) {
            struct strbuf js = STRBUF_INIT;
            sb_puts(&js, "{\"dataset\":");
            sb_json_str(&js, dataset, strlen(dataset));
            sb_puts(&js, ",\"annotator\":");
            sb_json_str(&js, annot, strlen(annot));
            sb_printf(&js,
                      ",\"method\":\"offline\",\"pairs\":%d,\"labelled\":%d,\"ties\":%d,"
                      "\"calls\":0,\"tokens\":0,\"cost\":0}\n",
                      r.n, n_lab, n_tie);
            fputs(sb_str(&js), stdout);
            sb_free(&js);
        } else
            printf("offline constitution of %d pairs (%d labelled, %d ties skipped): 0 LLM calls, "
                   "0 tokens, no cost\n",
                   r.n, n_lab, n_tie);
        status = 0;
        goto out;
    }
    /* persist */
    struct strbuf params = STRBUF_INIT;
    sb_puts(&params, "{\"annotator\":");
    sb_json_str(&params, annot, strlen(annot));
    sb_printf(&params,
              ",\"seed\":%ld,\"sample\":%ld,\"test_split\":%g,\"pairs\":%d,\"labelled\":%d,"
              "\"ties\":%d,\"invalid_labels\":%d,\"unlabelled\":%d,\"train\":%d,\"test\":%d,",
              o->seed, o->sample, o->test_split, r.n, n_lab, n_tie, n_invalid, n_unlab,
              n_lab - n_test, n_test);
    icai_filter_json(&params, &o->filter);
    sb_puts(&params, ",\"evaluation\":{\"train\":");
    offline_eval(&r, rank, 0, (uint64_t)o->seed, &params);
    sb_puts(&params, ",\"test\":");
    if (n_test)
        offline_eval(&r, rank, 1, (uint64_t)o->seed, &params);
    else
        sb_puts(&params, "null");
    sb_puts(&params, "}}");
    int64_t cid, pid[FEAT__COUNT];
    if (store_begin(st, &app->err) != PS_OK) {
        sb_free(&params);
        app_fail(app);
        goto out;
    }
    in_tx = 1;
    int rc = store_constitution_create(st, ds, name, "offline", sb_str(&params), &cid, &app->err);
    sb_free(&params);
    for (int f = 0; f < FEAT__COUNT && rc == PS_OK; f++) {
        struct strbuf sj = STRBUF_INIT, kind = STRBUF_INIT;
        icai_stats_json(&sj, &counts[f], icai_filter_reason(&o->filter, &counts[f]));
        sb_printf(&kind, "feature:%s", features_name(f));
        rc = store_principle_add(st, cid, features_principle(f), sb_str(&kind), rank[f],
                                 sb_str(&sj), &pid[f], &app->err);
        sb_free(&sj);
        sb_free(&kind);
    }
    if (rc == PS_OK)
        rc = store_votes_open(st, &votes, &app->err);
    for (int f = 0; f < FEAT__COUNT && rc == PS_OK; f++)
        for (int i = 0; i < r.n && rc == PS_OK; i++)
            rc = store_votes_put(votes, pid[f], r.p[i].item_id, icai_vote_name(r.p[i].vote[f]),
                                 &app->err);
    if (rc == PS_OK)
        rc = store_votes_close(votes, &app->err);
    else
        store_votes_close(votes, NULL);
    votes = NULL;
    if (rc == PS_OK)
        rc = store_commit(st, &app->err);
    if (rc != PS_OK) {
        icai_fail(app, NULL);
        goto out;
    }
    in_tx = 0;
    struct store_constitution c;
    char idref[32];
    snprintf(idref, sizeof idref, "%lld", (long long)cid);
    if (store_constitution_find(st, idref, &c, &app->err) != PS_OK) {
        app_fail(app);
        goto out;
    }
    status = icai_print(app, st, &c, o->json, 1, stdout);
    store_constitution_free(&c);
out:
    if (in_tx)
        store_rollback(st);
    store_votes_close(votes, NULL);
    free(r.p);
    free(annot);
    return status;
}

static void
pass_opt(struct icai_opts *o, const char *name, const char *value)
{
    o->pass = xgrow(o->pass, sizeof *o->pass, o->n_pass, &o->cap_pass, 16);
    o->pass[o->n_pass++] = xstrdup(name);
    if (value) {
        o->pass = xgrow(o->pass, sizeof *o->pass, o->n_pass, &o->cap_pass, 16);
        o->pass[o->n_pass++] = xstrdup(value);
    }
}

/* ---- the LLM pipeline: lua-modules/prefscope/icai_cli.lua ---- */

static volatile sig_atomic_t icai_sigint_count;

static void
icai_on_sigint(int sig)
{
    (void)sig;
    if (++icai_sigint_count >= 3)
        _exit(130);
    ps_lua_signal_interrupt();
}

static int
icai_llm(struct app *app, const char *dataset, struct icai_opts *o)
{
    char script[4096];
    if (icai_find_module_file("icai_cli.lua", script, sizeof script) != 0)
        return app_failf(app, "icai: the Lua pipeline (prefscope/icai_cli.lua) is not installed");
    struct store *st = app_store(app);
    int64_t ds;
    if (!st || store_dataset_find(st, dataset, &ds, &app->err) != PS_OK)
        return icai_fail(app, NULL);
    /* the model's price, for the dry run's cost estimate */
    struct config *conf = NULL;
    if (config_load(&conf, app->config, store_path(st), &app->err) != PS_OK)
        return icai_fail(app, NULL);
    const struct llm_model_cfg *cfg = config_model(conf, o->model);
    if (!cfg) {
        app_failf(app, "icai: no model '%.200s' in %s (see prefscope models)", o->model,
                  conf->path ? conf->path : "the config (no config file found)");
        config_free(conf);
        return 1;
    }
    if (cfg->has_price) {
        char v[64];
        snprintf(v, sizeof v, "%.17g", cfg->price_in);
        pass_opt(o, "price-in", v);
        snprintf(v, sizeof v, "%.17g", cfg->price_out);
        pass_opt(o, "price-out", v);
    }
    config_free(conf);
    struct ps_lua_opts lo;
    memset(&lo, 0, sizeof lo);
    lo.workspace = app->workspace;
    lo.store = st;
    lo.config = app->config;
    struct ps_lua *pl;
    if (ps_lua_new(&pl, &lo, &app->err) != PS_OK)
        return app_fail(app);
    char **args = xcalloc((size_t)o->n_pass + 2, sizeof *args);
    args[0] = (char *)dataset;
    for (int i = 0; i < o->n_pass; i++)
        args[i + 1] = o->pass[i];
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = icai_on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);
    int code = 1;
    int rc = ps_lua_run_file(pl, script, o->n_pass + 1, args, &code, &app->err);
    lua_State *L = ps_lua_state(pl);
    lua_getglobal(L, "ICAI_RESULT_ID");
    int64_t cid = lua_isinteger(L, -1) ? (int64_t)lua_tointeger(L, -1) : 0;
    lua_pop(L, 1);
    ps_lua_free(pl);
    sigaction(SIGINT, &old, NULL);
    free(args);
    fflush(stdout);
    if (rc != PS_OK) {
        app_fail(app);
        return code ? code : 1;
    }
    if (cid > 0) {
        char idref[32];
        struct store_constitution c;
        snprintf(idref, sizeof idref, "%lld", (long long)cid);
        if (store_constitution_find(st, idref, &c, &app->err) != PS_OK)
            return icai_fail(app, NULL);
        int prc = icai_print(app, st, &c, o->json, 0, stdout);
        store_constitution_free(&c);
        if (prc && !code)
            code = prc;
    }
    return code;
}

/* ---- ls, show, export, compare ---- */

static int
icai_ls(struct app *app, const char *dataset, int json)
{
    struct store *st = app_store(app);
    int64_t ds = 0;
    if (!st || (dataset && store_dataset_find(st, dataset, &ds, &app->err) != PS_OK))
        return app_fail(app);
    struct store_constitution *v;
    int n;
    if (store_constitution_list(st, ds, &v, &n, &app->err) != PS_OK)
        return app_fail(app);
    icai_print_list(v, n, json, stdout);
    store_constitution_list_free(v, n);
    return 0;
}

static int
find_ref(struct app *app, const char *ref, struct store_constitution *c)
{
    struct store *st = app_store(app);
    if (!st || store_constitution_find(st, ref, c, &app->err) != PS_OK)
        return icai_fail(app, NULL);
    return 0;
}

static int
icai_show(struct app *app, const char *ref, const struct icai_opts *o)
{
    struct store_constitution c;
    if (find_ref(app, ref, &c))
        return 1;
    int rc = icai_print(app, app->store, &c, o->json, o->all, stdout);
    store_constitution_free(&c);
    return rc;
}

static int
icai_export(struct app *app, const char *ref, const struct icai_opts *o)
{
    const char *fmt = o->format ? o->format : "md";
    if (strcmp(fmt, "md") && strcmp(fmt, "json") && strcmp(fmt, "ap"))
        return app_failf(app, "icai: export --format expects md, json or ap, not '%s'", fmt);
    struct store_constitution c;
    if (find_ref(app, ref, &c))
        return 1;
    FILE *out = stdout;
    if (o->output && strcmp(o->output, "-") != 0) {
        out = fopen(o->output, "w");
        if (!out) {
            store_constitution_free(&c);
            return app_failf(app, "icai: cannot write '%s'", o->output);
        }
    }
    int rc;
    if (strcmp(fmt, "md") == 0)
        rc = icai_write_markdown(app, app->store, &c, out);
    else if (strcmp(fmt, "json") == 0)
        rc = icai_print(app, app->store, &c, 1, 1, out);
    else
        rc = icai_write_ap(app, app->store, &c, o->annotator, out);
    if (out != stdout && fclose(out) != 0 && rc == 0)
        rc = app_failf(app, "icai: write error on '%s'", o->output);
    store_constitution_free(&c);
    return rc;
}

static int
icai_compare(struct app *app, int nref, char **refs, const struct icai_opts *o)
{
    struct store_constitution c[2];
    if (find_ref(app, refs[0], &c[0]))
        return 1;
    int rc;
    if (nref == 2) {
        if (find_ref(app, refs[1], &c[1])) {
            store_constitution_free(&c[0]);
            return 1;
        }
        rc = icai_compare_constitutions(app, app->store, &c[0], &c[1], o->json, stdout);
        store_constitution_free(&c[1]);
    } else {
        rc = icai_compare_annotators(app, app->store, &c[0], o->annotators,
                                     o->metric ? o->metric : "strength", o->json, stdout);
    }
    store_constitution_free(&c[0]);
    return rc;
}

int
cmd_icai(struct app *app, int argc, char **argv)
{
    static const struct option opts[] = {
        {"workspace", required_argument, NULL, 'w'},
        {"config", required_argument, NULL, APP_OPT_CONFIG},
        {"json", no_argument, NULL, APP_OPT_JSON},
        {"offline", no_argument, NULL, OPT_OFFLINE},
        {"model", required_argument, NULL, 'm'},
        {"embed-model", required_argument, NULL, OPT_EMBED},
        {"per-pair", required_argument, NULL, OPT_PER_PAIR},
        {"clusters", required_argument, NULL, OPT_CLUSTERS},
        {"top", required_argument, NULL, OPT_TOP},
        {"seeds", required_argument, NULL, OPT_SEEDS},
        {"combine", required_argument, NULL, OPT_COMBINE},
        {"sample", required_argument, NULL, 'n'},
        {"test-split", required_argument, NULL, OPT_TEST_SPLIT},
        {"seed", required_argument, NULL, OPT_SEED},
        {"templates", required_argument, NULL, OPT_TEMPLATES},
        {"annotator", required_argument, NULL, 'a'},
        {"name", required_argument, NULL, OPT_NAME},
        {"min-relevance", required_argument, NULL, OPT_MIN_REL},
        {"relevance-for", no_argument, NULL, OPT_REL_FOR},
        {"max-invalid", required_argument, NULL, OPT_MAX_INVALID},
        {"keep-against", no_argument, NULL, OPT_KEEP_AGAINST},
        {"dry-run", no_argument, NULL, OPT_DRY_RUN},
        {"all", no_argument, NULL, OPT_ALL},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"output", required_argument, NULL, 'o'},
        {"annotators", required_argument, NULL, OPT_ANNOTATORS},
        {"metric", required_argument, NULL, OPT_METRIC},
        {"concurrency", required_argument, NULL, OPT_CONCURRENCY},
        {"max-tokens", required_argument, NULL, OPT_MAX_TOKENS},
        {"summarize", no_argument, NULL, OPT_SUMMARIZE},
        {"recluster", no_argument, NULL, OPT_RECLUSTER},
        {"principles", required_argument, NULL, OPT_PRINCIPLES},
        {"no-generate", no_argument, NULL, OPT_NO_GENERATE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct icai_opts o;
    memset(&o, 0, sizeof o);
    icai_filter_defaults(&o.filter);
    o.per_pair = 3;
    o.seeds = 1;
    o.seed = 1;
    o.test_split = 0.2;
    int c, status = 1;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "w:m:n:a:o:h", opts, NULL)) != -1) {
        if (app_common_opt(app, c, optarg))
            continue;
        const struct option *op = NULL;
        for (const struct option *q = opts; q->name; q++)
            if (q->val == c)
                op = q;
        double d = 0;
        switch (c) {
        case APP_OPT_JSON: o.json = 1; break;
        case OPT_OFFLINE: o.offline = 1; break;
        case 'm': o.model = optarg; break;
        case OPT_EMBED: o.embed_model = optarg; break;
        case OPT_PER_PAIR:
            if (int_opt(app, "--per-pair", optarg, 1, 20, &o.per_pair))
                goto out;
            break;
        case OPT_CLUSTERS:
            if (int_opt(app, "--clusters", optarg, 1, 100000, &o.clusters))
                goto out;
            break;
        case OPT_TOP: {
            long t = 0;
            if (int_opt(app, "--top", optarg, 0, 100000, &t))
                goto out;
            o.filter.top = (int)t;
            break;
        }
        case OPT_SEEDS:
            if (int_opt(app, "--seeds", optarg, 1, 16, &o.seeds))
                goto out;
            break;
        case OPT_COMBINE:
            if (strcmp(optarg, "unanimous") && strcmp(optarg, "majority")) {
                app_failf(app, "icai: --combine expects unanimous or majority, not '%s'", optarg);
                goto out;
            }
            o.combine = optarg;
            break;
        case 'n':
            if (int_opt(app, "--sample", optarg, 1, 1L << 40, &o.sample))
                goto out;
            break;
        case OPT_TEST_SPLIT:
            if (num_opt(app, "--test-split", optarg, 0, 0.9, &o.test_split))
                goto out;
            break;
        case OPT_SEED:
            if (int_opt(app, "--seed", optarg, 0, 1L << 62, &o.seed))
                goto out;
            break;
        case OPT_TEMPLATES: o.templates = optarg; break;
        case 'a': o.annotator = optarg; break;
        case OPT_NAME: o.name = optarg; break;
        case OPT_MIN_REL:
            if (num_opt(app, "--min-relevance", optarg, 0, 1, &d))
                goto out;
            o.filter.min_relevance = d;
            break;
        case OPT_REL_FOR: o.filter.relevance_for_only = 1; break;
        case OPT_MAX_INVALID:
            if (num_opt(app, "--max-invalid", optarg, 0, 1, &d))
                goto out;
            o.filter.max_invalid = d;
            break;
        case OPT_KEEP_AGAINST: o.filter.require_more_for = 0; break;
        case OPT_DRY_RUN: o.dry_run = 1; break;
        case OPT_ALL: o.all = 1; break;
        case OPT_FORMAT: o.format = optarg; break;
        case 'o': o.output = optarg; break;
        case OPT_ANNOTATORS: o.annotators = optarg; break;
        case OPT_METRIC:
            if (icai_metric_index(optarg) < 0) {
                app_failf(app,
                          "icai: --metric expects strength, relevance, accuracy or kappa, not "
                          "'%s'",
                          optarg);
                goto out;
            }
            o.metric = optarg;
            break;
        case OPT_CONCURRENCY:
            if (int_opt(app, "--concurrency", optarg, 1, 4096, &o.concurrency))
                goto out;
            break;
        case OPT_MAX_TOKENS:
            if (int_opt(app, "--max-tokens", optarg, 1, 1000000, &o.max_tokens))
                goto out;
            break;
        case OPT_SUMMARIZE:
        case OPT_RECLUSTER:
        case OPT_NO_GENERATE: break; /* for the Lua pipeline (passed on below) */
        case OPT_PRINCIPLES: {
            FILE *f = fopen(optarg, "r");
            if (!f) {
                app_failf(app, "icai: cannot read the principles file '%.200s'", optarg);
                goto out;
            }
            fclose(f);
            break;
        }
        case 'h':
            fputs(icai_usage, stdout);
            status = 0;
            goto out;
        default: status = app_bad_option("icai", argv); goto out;
        }
        if (op && c != 'h')
            pass_opt(&o, op->name, op->has_arg ? optarg : NULL);
    }
    int nargs = argc - optind;
    char **args = argv + optind;
    if (nargs < 1) {
        app_failf(app, "icai: expected a DATASET or ls|show|export|compare (see prefscope icai "
                       "--help)");
        status = 2;
        goto out;
    }
    /* nothing here creates a workspace as a side effect */
    const char *path = store_default_path(app->workspace);
    if (strcmp(path, ":memory:") != 0 && access(path, F_OK) != 0) {
        if (strcmp(args[0], "ls") == 0) {
            if (o.json)
                puts("[]");
            else
                printf("no workspace at %s (try: prefscope import FILE)\n", path);
            status = 0;
        } else {
            status = app_failf(
                app, "icai: no workspace at %s (import a file first, or choose one with -w)", path);
        }
        goto out;
    }
    if (strcmp(args[0], "ls") == 0) {
        status = nargs <= 2 ? icai_ls(app, nargs == 2 ? args[1] : NULL, o.json)
                            : app_failf(app, "icai ls: expected at most one DATASET");
    } else if (strcmp(args[0], "show") == 0) {
        status = nargs == 2 ? icai_show(app, args[1], &o)
                            : app_failf(app, "icai show: expected one constitution (id or name)");
    } else if (strcmp(args[0], "export") == 0) {
        status = nargs == 2 ? icai_export(app, args[1], &o)
                            : app_failf(app, "icai export: expected one constitution (id or name)");
    } else if (strcmp(args[0], "compare") == 0) {
        status = nargs == 2 || nargs == 3
                     ? icai_compare(app, nargs - 1, args + 1, &o)
                     : app_failf(app, "icai compare: expected one or two constitutions");
    } else if (nargs != 1) {
        status = app_failf(app, "icai: expected one DATASET (see prefscope icai --help)");
    } else if (o.offline) {
        status = icai_offline(app, args[0], &o);
    } else if (o.model) {
        status = icai_llm(app, args[0], &o);
    } else {
        status = app_failf(app, "icai: give --model M for the LLM pipeline or --offline for "
                                "measurable principles");
    }
out:
    for (int i = 0; i < o.n_pass; i++)
        free(o.pass[i]);
    free(o.pass);
    return status;
}
