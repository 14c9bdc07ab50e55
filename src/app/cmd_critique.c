/* prefscope critique: the critique workbench (C3PO) from the command line.
 *
 * new, ls, show and review's edits run here against the store (src/store/critique.c);
 * gen, eval, export and review --regenerate run the Lua pipeline
 * (lua-modules/prefscope/c3po.lua, through c3po_cli.lua) with the options checked
 * here.  docs/critiques.md is the user documentation. */
#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/app.h"
#include "app/opts.h"
#include "core/datadir.h"
#include "core/metric.h"
#include "core/sanitize.h"
#include "core/strbuf.h"
#include "core/xalloc.h"
#include "lua/ps_lua.h"
#include "store/critique.h"
#include "store/store.h"

/*  name     summary */
#define CRITIQUE_SUBCOMMANDS(_) \
    _(new, "write a feedback (text, domain, effect, scope, type, metric)") \
    _(ls, "list the feedback with scope, type and progress") \
    _(show, "one feedback: categories and items in / near / out of scope") \
    _(gen, "generate categories, prompts, baselines and revisions with an LLM") \
    _(review, "accept, reject, edit, undo or regenerate items (no action: the TUI)") \
    _(export, "accepted items as C3PO, DPO, SFT or combined JSONL (TRL messages)") \
    _(eval, "adherence in scope, overgeneralization near and out of scope")

static const char critique_usage[] =
    "usage: prefscope critique SUBCOMMAND [options]   (prefscope critique SUB --help)\n"
    "\n"
    "Turn verbal feedback into reviewed, contextualized critiques and training sets\n"
    "(C3PO; docs/critiques.md).\n"
    "\n"
    "Subcommands:\n";

enum {
    OPT_DOMAIN = APP_OPT_FIRST_FREE,
    OPT_EFFECT,
    OPT_SCOPE,
    OPT_TYPE,
    OPT_METRIC,
    OPT_STATUS,
    OPT_EDITS,
    OPT_COMPLETION,
    OPT_CATEGORIES,
    OPT_IN,
    OPT_NEAR,
    OPT_OUT,
    OPT_OUT_FROM,
    OPT_OUT_BATCH,
    OPT_SEED,
    OPT_ROLE,
    OPT_STAGE,
    OPT_TEMPERATURE,
    OPT_TOP_P,
    OPT_MAX_TOKENS,
    OPT_MAX_TOPUPS,
    OPT_TEST_FRACTION,
    OPT_CONCURRENCY,
    OPT_TEMPLATES,
    OPT_BASE_URL,
    OPT_DRY_RUN,
    OPT_ACCEPT,
    OPT_REJECT,
    OPT_PENDING,
    OPT_SET,
    OPT_EDIT,
    OPT_UNDO,
    OPT_REGENERATE,
    OPT_AUTHOR,
    OPT_ALL_PENDING,
    OPT_SPLIT,
    OPT_FLIP,
    OPT_CANDIDATE,
    OPT_JUDGE,
    OPT_LIMIT,
    OPT_RUN,
    OPT_SET_FB,
};

static const char new_usage[] =
    "usage: prefscope critique new TEXT [--domain D] [--effect E] [--scope S] [--type T]\n"
    "                              [--metric SPEC] [--json]\n"
    "\n"
    "Store a feedback sentence.  Domain and effect may be left out: `critique gen`\n"
    "asks the LLM to propose them (recorded as an edit you can change).\n"
    "\n";
#define NEW_OPTS(_) \
    _(OPT_DOMAIN, "domain", "D", "where the feedback applies (\"writing emails to my boss\")") \
    _(OPT_EFFECT, "effect", "E", "what to do there (\"be more concise\")") \
    _(OPT_SCOPE, "scope", "S", "global, regional (default) or local") \
    _(OPT_TYPE, "type", "T", "qualitative (default) or quantitative") \
    _(OPT_METRIC, "metric", "SPEC", \
      "quantitative: the metric DSL, e.g. 'length() <=' or\n" \
      "'contains_all_strings(\"&\"), contains_none_strings(\" and \")'\n" \
      "(implies --type quantitative)") \
    _(APP_OPT_JSON, "json", NULL, "print {\"id\": N}")

static const char ls_usage[] = "usage: prefscope critique ls [--json]\n"
                               "\n"
                               "Every feedback with its scope, type, categories, items per scope "
                               "and per status.\n";

static const char show_usage[] =
    "usage: prefscope critique show ID [--scope in|near|out] [--status S] [--edits] [--json]\n"
    "\n"
    "A feedback, its categories and its items (prompt, baseline, critique, revision,\n"
    "status, error).\n"
    "\n";
#define SHOW_OPTS(_) \
    _(OPT_SCOPE, "scope", "S", "only the items in, near or out of scope") \
    _(OPT_STATUS, "status", "S", "only the pending, accepted, rejected or failed items") \
    _(OPT_EDITS, "edits", NULL, "each item's edit history (author, time, old and new value)") \
    _(APP_OPT_JSON, "json", NULL, "print the feedback, categories and items as JSON")

static const char gen_usage[] =
    "usage: prefscope critique gen ID... --model M [options]\n"
    "\n"
    "Run the chain for each feedback: domain/effect (when missing), categories,\n"
    "in-scope and near-scope prompts per category, out-of-scope prompts, baselines,\n"
    "revisions with their critique, optionally in-context and chain-of-thought\n"
    "answers.  Only what is missing is asked for, through the workspace's LLM cache,\n"
    "so an interrupted run resumes and failed calls are retried by running again.\n"
    "\n";
#define GEN_OPTS(_) \
    _('m', "model", "M", "model for the domain split, categories and prompts") \
    _(OPT_COMPLETION, "completion-model", "M", "model answering the prompts (default: --model)") \
    _(OPT_CATEGORIES, "categories", "N", "categories per feedback (default 30)") \
    _(OPT_IN, "in", "N", "in-scope prompts (default 960)") \
    _(OPT_NEAR, "near", "N", "near-scope prompts (default 960)") \
    _(OPT_OUT, "out", "N", "out-of-scope prompts (default 960)") \
    _(OPT_OUT_FROM, "out-from", "DATASET", "sample out-of-scope prompts from a dataset's prompts") \
    _(OPT_OUT_BATCH, "out-batch", "N", "generated out-of-scope prompts per call (default 40)") \
    _(OPT_SEED, "seed", "S", "seed for --out-from (default 42)") \
    _(OPT_ROLE, "role", "R", "also in_context or cot (repeatable)") \
    _(OPT_STAGE, "stage", "S", \
      "run only these stages (repeatable): split, categories,\n" \
      "in, near, out, prompts, baseline, revised, in_context, cot") \
    _(OPT_TEMPERATURE, "temperature", "T", "sampling temperature (default 0.7, as in the paper)") \
    _(OPT_TOP_P, "top-p", "P", "nucleus sampling (default 0.7, as in the paper)") \
    _(OPT_MAX_TOKENS, "max-tokens", "K", "response length limit (default 600)") \
    _(OPT_MAX_TOPUPS, "max-topups", "K", "follow-up calls for a short list (default 3)") \
    _(OPT_TEST_FRACTION, "test-fraction", "F", "share of prompts held out for eval (default 0.1)") \
    _(OPT_CONCURRENCY, "concurrency", "C", "calls in flight (default 64)") \
    _(OPT_TEMPLATES, "templates", "DIR", "override templates by file name (DIR/revise.txt, ...)") \
    _(OPT_BASE_URL, "base-url", "URL", "define --model inline (OpenAI-compatible server)") \
    _(OPT_DRY_RUN, "dry-run", NULL, "print the calls, tokens and cost it would spend") \
    _(APP_OPT_JSON, "json", NULL, "print the summary as JSON")

static const char review_usage[] =
    "usage: prefscope critique review ID [ITEM...] [action] [--author NAME]\n"
    "\n"
    "Without an action, open the TUI on feedback ID.  An action applies to the listed\n"
    "items, or with --all-pending to every pending item of the feedback.  Every edit is\n"
    "stored with its author (default human:$USER) and time.\n"
    "\n";
#define REVIEW_OPTS(_) \
    _(OPT_ACCEPT, "accept", NULL, "set the status to accepted") \
    _(OPT_REJECT, "reject", NULL, "set the status to rejected") \
    _(OPT_PENDING, "pending", NULL, "set the status back to pending") \
    _(OPT_SET, "set", "FIELD=VALUE", \
      "edit prompt, baseline, revised, critique, in_context\n" \
      "or cot (FIELD=@FILE reads a file)") \
    _(OPT_EDIT, "edit", "FIELD", "edit a field in $EDITOR") \
    _(OPT_UNDO, "undo", NULL, "revert the item's latest edit") \
    _(OPT_SET_FB, "set-feedback", "FIELD=VALUE", \
      "edit the feedback itself: feedback, domain, effect,\n" \
      "scope, type or metric (no items)") \
    _(OPT_REGENERATE, "regenerate", NULL, \
      "new baseline and revision with --model (the old ones\n" \
      "stay in the edit history)") \
    _('m', "model", "M", "model for --regenerate") \
    _(OPT_COMPLETION, "completion-model", "M", "model answering the prompts (default: --model)") \
    _(OPT_TEMPLATES, "templates", "DIR", "override templates by file name") \
    _(OPT_BASE_URL, "base-url", "URL", "define --model inline (OpenAI-compatible server)") \
    _(OPT_DRY_RUN, "dry-run", NULL, "with --regenerate: count the calls, send none") \
    _(OPT_ALL_PENDING, "all-pending", NULL, "act on every pending item of the feedback") \
    _(OPT_AUTHOR, "author", "NAME", "who made the edit (default human:$USER)")

static const char export_usage[] =
    "usage: prefscope critique export ID...|all --format F [-o FILE] [--split S] [--flip]\n"
    "\n"
    "Write the accepted items as JSONL in TRL's conversational formats (messages, no\n"
    "chat template):\n"
    "  c3po      {prompt, chosen = revision, rejected = baseline, hard_negative,\n"
    "            soft_negative}; in/near/out lists zipped to equal length\n"
    "  dpo       {prompt, chosen, rejected} for in-scope items; --flip adds near- and\n"
    "            out-of-scope rows with chosen = baseline, rejected = revision\n"
    "  sft       {prompt, completion}: in-scope -> revision, near/out -> baseline\n"
    "  combined  every field of every accepted item\n"
    "\n";
#define EXPORT_OPTS(_) \
    _('f', "format", "F", "c3po, dpo, sft or combined") \
    _('o', "output", "FILE", "write to FILE (default stdout); the summary goes to stderr") \
    _(OPT_SPLIT, "split", "S", "train (default; combined: all), test or all") \
    _(OPT_FLIP, "flip", NULL, "dpo: add the near- and out-of-scope rows, flipped") \
    _(APP_OPT_JSON, "json", NULL, "print the summary as JSON")

static const char eval_usage[] =
    "usage: prefscope critique eval ID [--candidate C] [--judge M] [--split S] [--json]\n"
    "\n"
    "Compare a candidate's responses with the baselines on the held-out prompts:\n"
    "adherence in scope, overgeneralization near and out of scope.  Quantitative\n"
    "feedback is scored by its metric (ties count as success); qualitative feedback\n"
    "by the judge in both orders at temperature 0, with consistency.\n"
    "\n";
#define EVAL_OPTS(_) \
    _(OPT_CANDIDATE, "candidate", "C", \
      "revised (default), in_context, cot, or model:NAME (a model\n" \
      "answers the prompts at temperature 0)") \
    _(OPT_JUDGE, "judge", "M", "judge model (qualitative feedback)") \
    _(OPT_SPLIT, "split", "S", "test (default), train or all") \
    _(OPT_LIMIT, "limit", "N", "at most N prompts per scope") \
    _(OPT_RUN, "run", "NAME", "name of the stored results (default the candidate)") \
    _(OPT_TEMPLATES, "templates", "DIR", "override templates by file name") \
    _(OPT_BASE_URL, "base-url", "URL", "define the models inline (OpenAI-compatible server)") \
    _(OPT_CONCURRENCY, "concurrency", "C", "calls in flight") \
    _(OPT_MAX_TOKENS, "max-tokens", "K", "response length limit") \
    _(OPT_DRY_RUN, "dry-run", NULL, "print the number of calls it would make") \
    _(APP_OPT_JSON, "json", NULL, "print the scoreboard as JSON")

APP_OPTS(new_opts, NEW_OPTS);
APP_OPTS(show_opts, SHOW_OPTS);
APP_OPTS(gen_opts, GEN_OPTS);
APP_OPTS(review_opts, REVIEW_OPTS);
APP_OPTS(export_opts, EXPORT_OPTS);
APP_OPTS(eval_opts, EVAL_OPTS);

static int
parse_id(struct app *app, const char *s, int64_t *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || v <= 0)
        return app_failf(app,
                         "critique: expected a feedback or item id (a positive integer), not "
                         "'%.60s'",
                         s);
    *out = v;
    return 0;
}

static int
check_num(struct app *app, const char *opt, const char *s, double lo, double hi)
{
    char *end;
    double v = strtod(s, &end);
    if (!*s || *end || !(v >= lo && v <= hi))
        return app_failf(app, "critique: %s expects a number in [%g, %g], not '%.60s'", opt, lo, hi,
                         s);
    return 0;
}

/* ---------------------------------------------------------------- Lua runner */

struct kv {
    char **v;
    int n, cap;
};

static void
kv_add(struct kv *a, const char *k, const char *v)
{
    a->v = xgrow(a->v, sizeof *a->v, a->n, &a->cap, 16);
    size_t n = strlen(k) + strlen(v) + 2;
    a->v[a->n] = xmalloc(n);
    snprintf(a->v[a->n], n, "%s=%s", k, v);
    a->n++;
}

static void
kv_free(struct kv *a)
{
    for (int i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
}

static volatile sig_atomic_t crit_sigint_count;

static void
crit_on_sigint(int sig)
{
    (void)sig;
    if (++crit_sigint_count >= 3)
        _exit(130);
    ps_lua_signal_interrupt();
}

/* Run c3po_cli.lua with the subcommand and the key=value arguments. */
static int
run_lua(struct app *app, const char *sub, struct kv *args)
{
    char path[4096];
    struct stat sb;
    const char *env = getenv("PS_LUA_PATH");
    path[0] = 0;
    if (env && *env && !strchr(env, ';')) {
        snprintf(path, sizeof path, "%s/prefscope/c3po_cli.lua", env);
        if (stat(path, &sb) != 0)
            path[0] = 0;
    }
    if (!path[0])
        datadir_find("lua-modules", "prefscope/c3po_cli.lua", path, sizeof path);
    if (!path[0])
        return app_failf(app, "critique: prefscope/c3po_cli.lua not found (is the install "
                              "complete?)");
    char **argv = xcalloc((size_t)args->n + 2, sizeof *argv);
    argv[0] = (char *)sub;
    for (int i = 0; i < args->n; i++)
        argv[i + 1] = args->v[i];
    struct ps_lua_opts lo;
    memset(&lo, 0, sizeof lo);
    lo.workspace = app->workspace;
    lo.config = app->config;
    struct ps_lua *pl;
    if (ps_lua_new(&pl, &lo, &app->err) != PS_OK) {
        free(argv);
        return app_fail(app);
    }
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = crit_on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);
    int code = 1;
    int rc = ps_lua_run_file(pl, path, args->n + 1, argv, &code, &app->err);
    ps_lua_free(pl);
    sigaction(SIGINT, &old, NULL);
    free(argv);
    fflush(stdout);
    if (rc != PS_OK) {
        if (rc == PS_ERR_CANCELLED)
            return app_failf(app, "critique %s: interrupted; run the same command again to resume",
                             sub),
                   130;
        /* the first line of a Lua error is the message; the traceback is noise here */
        char *nl = strchr(app->err.msg, '\n');
        if (nl)
            *nl = 0;
        app_fail(app);
        return code ? code : 1;
    }
    return code;
}

/* ---------------------------------------------------------------- new */

static int
crit_new(struct app *app, int argc, char **argv)
{
    const char *domain = NULL, *effect = NULL, *scope = "regional", *type = NULL, *metric = NULL;
    int json = 0, c;
    struct app_optparse p;
    app_opt_begin(&p, app, "critique new", new_usage, new_opts, argc, argv);
    while ((c = app_opt_next(&p)) != APP_OPT_END) {
        switch (c) {
        case APP_OPT_EXIT: return p.status;
        case APP_OPT_JSON: json = 1; break;
        case OPT_DOMAIN: domain = optarg; break;
        case OPT_EFFECT: effect = optarg; break;
        case OPT_SCOPE: scope = optarg; break;
        case OPT_TYPE: type = optarg; break;
        case OPT_METRIC: metric = optarg; break;
        }
    }
    if (optind != argc - 1)
        return app_failf(app, "critique new: expected one TEXT argument (the feedback sentence)");
    const char *text = argv[optind];
    if (!*text)
        return app_failf(app, "critique new: the feedback text is empty");
    if (strcmp(scope, "global") && strcmp(scope, "regional") && strcmp(scope, "local"))
        return app_failf(
            app, "critique new: --scope expects global, regional or local, not '%.40s'", scope);
    if (!type)
        type = metric ? "quantitative" : "qualitative";
    if (strcmp(type, "qualitative") && strcmp(type, "quantitative"))
        return app_failf(
            app, "critique new: --type expects qualitative or quantitative, not '%.40s'", type);
    if (strcmp(type, "quantitative") == 0 && !metric)
        return app_failf(app, "critique new: quantitative feedback needs --metric");
    char *norm = NULL;
    if (metric) {
        struct metric_spec s;
        if (metric_spec_parse(metric, &s, &app->err) != PS_OK) {
            metric_spec_free(&s);
            ps_error_prefix(&app->err, "critique new: --metric: ");
            return app_fail(app);
        }
        struct strbuf sb = STRBUF_INIT;
        metric_spec_format(&s, &sb);
        norm = sb_take(&sb);
        metric_spec_free(&s);
    }
    struct store *st = app_store(app);
    int64_t id = 0;
    if (!st || store_crit_feedback_add(st, 0, text, domain, effect, scope, type, norm, NULL, &id,
                                       &app->err) != PS_OK) {
        free(norm);
        return app_fail(app);
    }
    free(norm);
    if (json)
        printf("{\"id\":%lld}\n", (long long)id);
    else
        printf("feedback %lld\n", (long long)id);
    return 0;
}

/* ---------------------------------------------------------------- ls / show */

/* Print a value for a terminal: sanitized, on one line when oneline. */
static void
put_text(const char *s, int oneline)
{
    struct strbuf sb = STRBUF_INIT;
    text_sanitize(s ? s : "", s ? strlen(s) : 0, &sb, oneline ? TEXT_SAN_ONELINE : 0);
    fputs(sb_str(&sb), stdout);
    sb_free(&sb);
}

/* Columns printed as JSON numbers; every other column is a string (a prompt or a
 * baseline may well be "4"). */
static int
is_numeric_col(const char *name)
{
    static const char *const cols[] = {
        "id",        "feedback_id", "category_id",     "n_in",
        "n_near",    "n_out",       "accepted",        "rejected",
        "pending",   "failed",      "n_categories",    "n_edits",
        "target_id", "undone",      "critique_id",     "swap",
        "success",   "score",       "baseline_metric", "candidate_metric",
        NULL};
    for (int i = 0; cols[i]; i++)
        if (strcmp(name, cols[i]) == 0)
            return 1;
    return 0;
}

/* meta is written by our encoders, but a script may store any text there. */
static int
is_json(const char *v)
{
    if (*v != '{' && *v != '[')
        return 0;
    cJSON *j = cJSON_Parse(v);
    cJSON_Delete(j);
    return j != NULL;
}

static void
json_row(struct strbuf *sb, const struct store_row *row)
{
    sb_putc(sb, '{');
    for (int i = 0; i < row->n; i++) {
        if (i)
            sb_putc(sb, ',');
        sb_json_str(sb, row->names[i], strlen(row->names[i]));
        sb_putc(sb, ':');
        const char *v = row->vals[i];
        if (!v)
            sb_puts(sb, "null");
        else if (strcmp(row->names[i], "meta") == 0 && is_json(v))
            sb_puts(sb, v);
        else if (is_numeric_col(row->names[i]) && *v && strspn(v, "0123456789.-e") == strlen(v))
            sb_puts(sb, v);
        else
            sb_json_str(sb, v, strlen(v));
    }
    sb_putc(sb, '}');
}

struct json_list {
    struct strbuf *sb;
    int n;
};

static int
json_list_row(void *ud, const struct store_row *row)
{
    struct json_list *l = ud;
    if (l->n++)
        sb_putc(l->sb, ',');
    json_row(l->sb, row);
    return 0;
}

static int
print_fb_line(void *ud, const struct store_row *r)
{
    (void)ud;
#define G(name) store_row_get(r, name)
    printf("%4s  %-8s %-12s %3s cat  %4s in %4s near %4s out  %4s acc %4s rej %4s pend %3s fail  ",
           G("id"), G("scope") ? G("scope") : "-", G("type") ? G("type") : "-", G("n_categories"),
           G("n_in"), G("n_near"), G("n_out"), G("accepted"), G("rejected"), G("pending"),
           G("failed"));
    struct strbuf sb = STRBUF_INIT;
    const char *t = G("feedback");
    text_sanitize(t, strlen(t), &sb, TEXT_SAN_ONELINE);
    printf("%.70s%s\n", sb_str(&sb), sb.len > 70 ? "..." : "");
    sb_free(&sb);
#undef G
    return 0;
}

static int
crit_ls(struct app *app, int argc, char **argv)
{
    int json;
    int rc = app_parse_plain(app, "critique ls", ls_usage, argc, argv, &json);
    if (rc >= 0)
        return rc;
    if (optind != argc)
        return app_failf(app, "critique ls: unexpected argument '%.60s'", argv[optind]);
    struct store *st = app_store(app);
    if (!st)
        return app_fail(app);
    if (json) {
        struct strbuf sb = STRBUF_INIT;
        struct json_list l = {&sb, 0};
        sb_putc(&sb, '[');
        rc = store_crit_feedback_list(st, 0, json_list_row, &l, &app->err);
        sb_puts(&sb, "]\n");
        if (rc == PS_OK)
            fputs(sb_str(&sb), stdout);
        sb_free(&sb);
        return rc == PS_OK ? 0 : app_fail(app);
    }
    printf("%4s  %-8s %-12s %-7s %-25s %-25s  %s\n", "id", "scope", "type", "cats", "items",
           "status", "feedback");
    return store_crit_feedback_list(st, 0, print_fb_line, NULL, &app->err) == PS_OK ? 0
                                                                                    : app_fail(app);
}

struct show_ctx {
    struct store *st;
    int edits;
    struct ps_err *err;
};

static void
put_field(const char *label, const char *v)
{
    if (!v)
        return;
    printf("  %s:\n", label);
    struct strbuf sb = STRBUF_INIT;
    text_sanitize(v, strlen(v), &sb, TEXT_SAN_EXPAND_TABS);
    const char *p = sb_str(&sb);
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        printf("    %.*s\n", (int)n, p);
        p += n + (e ? 1 : 0);
    }
    sb_free(&sb);
}

static int
print_edit(void *ud, const struct store_row *r)
{
    (void)ud;
    printf("  edit %s %s by ", store_row_get(r, "created_at"), store_row_get(r, "field"));
    put_text(store_row_get(r, "author"), 1);
    printf("%s: ", strcmp(store_row_get(r, "undone"), "0") ? " (undone)" : "");
    const char *o = store_row_get(r, "old_value");
    put_text(o ? o : "(none)", 1);
    printf("  ->  ");
    const char *n = store_row_get(r, "new_value");
    put_text(n ? n : "(none)", 1);
    putchar('\n');
    return 0;
}

static int
print_item(void *ud, const struct store_row *r)
{
    struct show_ctx *ctx = ud;
#define G(name) store_row_get(r, name)
    printf("\n[%s] item %s  %s  %s", G("scope"), G("id"), G("status"), G("split"));
    if (G("category")) {
        printf("  category: ");
        put_text(G("category"), 1);
    }
    putchar('\n');
    if (G("error")) {
        printf("  FAILED: ");
        put_text(G("error"), 1);
        putchar('\n');
    }
    put_field("prompt", G("prompt"));
    put_field("baseline", G("baseline"));
    put_field("critique", G("critique"));
    put_field("revised", G("revised"));
    put_field("in_context", G("in_context"));
    put_field("cot", G("cot"));
    if (ctx->edits)
        return store_crit_edits(ctx->st, "critique", strtoll(G("id"), NULL, 10), print_edit, NULL,
                                ctx->err);
#undef G
    return 0;
}

static int
print_fb(void *ud, const struct store_row *r)
{
    (void)ud;
#define G(name) store_row_get(r, name)
    printf("feedback %s  (%s, %s)  status %s\n", G("id"), G("scope") ? G("scope") : "-",
           G("type") ? G("type") : "-", G("status"));
    const char *k[] = {"feedback", "domain", "effect", "metric"};
    for (int i = 0; i < 4; i++) {
        printf("  %-9s", k[i]);
        const char *val = G(k[i]);
        const char *meta = G("meta");
        if (!val && i == 3 && meta && strstr(meta, "\"metric\"")) {
            /* an imported record: the reference's fields, as stored */
            printf("(from the record) ");
            val = meta;
        }
        put_text(val ? val : "-", 1);
        putchar('\n');
    }
    printf("  items     %s in / %s near / %s out; %s accepted, %s rejected, %s pending, %s "
           "failed\n",
           G("n_in"), G("n_near"), G("n_out"), G("accepted"), G("rejected"), G("pending"),
           G("failed"));
#undef G
    return 0;
}

static int
print_cat(void *ud, const struct store_row *r)
{
    int *n = ud;
    printf("%s%s ", (*n)++ ? "; " : "  categories: ", store_row_get(r, "id"));
    put_text(store_row_get(r, "text"), 1);
    return 0;
}

static int
crit_show(struct app *app, int argc, char **argv)
{
    const char *scope = NULL, *status = NULL;
    int json = 0, edits = 0, c;
    struct app_optparse p;
    app_opt_begin(&p, app, "critique show", show_usage, show_opts, argc, argv);
    while ((c = app_opt_next(&p)) != APP_OPT_END) {
        switch (c) {
        case APP_OPT_EXIT: return p.status;
        case APP_OPT_JSON: json = 1; break;
        case OPT_SCOPE: scope = optarg; break;
        case OPT_STATUS: status = optarg; break;
        case OPT_EDITS: edits = 1; break;
        }
    }
    if (optind != argc - 1)
        return app_failf(app,
                         "critique show: expected one feedback ID (see prefscope critique ls)");
    int64_t id = 0;
    if (parse_id(app, argv[optind], &id))
        return 1;
    if (scope && strcmp(scope, "in") && strcmp(scope, "near") && strcmp(scope, "out"))
        return app_failf(app, "critique show: --scope expects in, near or out, not '%.40s'", scope);
    if (status && strcmp(status, "pending") && strcmp(status, "accepted") &&
        strcmp(status, "rejected") && strcmp(status, "failed"))
        return app_failf(app,
                         "critique show: --status expects pending, accepted, rejected or failed");
    struct store *st = app_store(app);
    if (!st)
        return app_fail(app);
    struct strbuf sb = STRBUF_INIT;
    struct json_list l = {&sb, 0};
    int rc = store_crit_feedback_list(st, id, json_list_row, &l, &app->err);
    if (rc == PS_OK && l.n == 0) {
        sb_free(&sb);
        return app_failf(app, "critique show: no feedback with id %lld (see prefscope critique ls)",
                         (long long)id);
    }
    if (json) {
        sb_reset(&sb);
        sb_puts(&sb, "{\"feedback\":");
        l.n = 0;
        rc = store_crit_feedback_list(st, id, json_list_row, &l, &app->err);
        sb_puts(&sb, ",\"categories\":[");
        l.n = 0;
        if (rc == PS_OK)
            rc = store_crit_category_list(st, id, json_list_row, &l, &app->err);
        sb_puts(&sb, "],\"items\":[");
        l.n = 0;
        if (rc == PS_OK)
            rc = store_crit_item_list(st, id, 0, scope, status, NULL, json_list_row, &l, &app->err);
        sb_puts(&sb, "]}\n");
        if (rc == PS_OK)
            fputs(sb_str(&sb), stdout);
        sb_free(&sb);
        return rc == PS_OK ? 0 : app_fail(app);
    }
    sb_free(&sb);
    int ncat = 0;
    struct show_ctx ctx = {st, edits, &app->err};
    if (rc == PS_OK)
        rc = store_crit_feedback_list(st, id, print_fb, NULL, &app->err);
    if (rc == PS_OK)
        rc = store_crit_category_list(st, id, print_cat, &ncat, &app->err);
    if (ncat)
        putchar('\n');
    if (rc == PS_OK)
        rc = store_crit_item_list(st, id, 0, scope, status, NULL, print_item, &ctx, &app->err);
    return rc == PS_OK ? 0 : app_fail(app);
}

/* ---------------------------------------------------------------- gen / eval / export */

/* The long options shared by the Lua-backed subcommands, mapped to c3po_cli keys. */
struct lua_opt {
    int id;
    const char *key;
    int numeric; /* 0 text, 1 integer >= 1, 2 number in [0, 2], 3 integer >= 0 */
};

static const struct lua_opt lua_opts[] = {
    {'m', "model", 0},
    {OPT_COMPLETION, "completion_model", 0},
    {OPT_CATEGORIES, "categories", 1},
    {OPT_IN, "in_scope", 3},
    {OPT_NEAR, "near_scope", 3},
    {OPT_OUT, "out_scope", 3},
    {OPT_OUT_FROM, "out_from", 0},
    {OPT_OUT_BATCH, "out_batch", 1},
    {OPT_SEED, "seed", 3},
    {OPT_ROLE, "role", 0},
    {OPT_STAGE, "stage", 0},
    {OPT_TEMPERATURE, "temperature", 2},
    {OPT_TOP_P, "top_p", 2},
    {OPT_MAX_TOKENS, "max_tokens", 1},
    {OPT_MAX_TOPUPS, "max_topups", 3},
    {OPT_TEST_FRACTION, "test_fraction", 2},
    {OPT_CONCURRENCY, "concurrency", 1},
    {OPT_TEMPLATES, "templates", 0},
    {OPT_BASE_URL, "base_url", 0},
    {OPT_SPLIT, "split", 0},
    {OPT_CANDIDATE, "candidate", 0},
    {OPT_JUDGE, "judge", 0},
    {OPT_LIMIT, "limit", 1},
    {OPT_RUN, "run", 0},
    {'f', "format", 0},
    {'o', "output", 0},
    {OPT_AUTHOR, "author", 0},
};

static const char *const stage_names[] = {"split",      "categories", "in",       "near",
                                          "out",        "prompts",    "baseline", "revised",
                                          "in_context", "cot",        NULL};

static int
lua_opt_add(struct app *app, const char *cmd, int id, const char *val, struct kv *kv)
{
    for (size_t i = 0; i < sizeof lua_opts / sizeof lua_opts[0]; i++) {
        if (lua_opts[i].id != id)
            continue;
        const struct lua_opt *o = &lua_opts[i];
        if (o->numeric) {
            double hi = o->numeric == 2 ? 2 : 1e9, lo = o->numeric == 1 ? 1 : 0;
            if (check_num(app, o->key, val, lo, hi))
                return 1;
            if (o->numeric != 2 && strchr(val, '.'))
                return app_failf(app, "critique %s: %s expects an integer, not '%.40s'", cmd,
                                 o->key, val);
        }
        if (id == OPT_ROLE && strcmp(val, "in_context") && strcmp(val, "cot"))
            return app_failf(app, "critique %s: --role expects in_context or cot, not '%.40s'", cmd,
                             val);
        if (id == OPT_STAGE) {
            int ok = 0;
            for (int k = 0; stage_names[k]; k++)
                ok |= strcmp(val, stage_names[k]) == 0;
            if (!ok)
                return app_failf(app,
                                 "critique %s: --stage expects split, categories, in, near, out, "
                                 "prompts, baseline, revised, in_context or cot, not '%.40s'",
                                 cmd, val);
        }
        if (id == OPT_SPLIT && strcmp(val, "train") && strcmp(val, "test") && strcmp(val, "all"))
            return app_failf(app, "critique %s: --split expects train, test or all", cmd);
        if (id == OPT_TEMPLATES) {
            struct stat sb;
            if (stat(val, &sb) != 0 || !S_ISDIR(sb.st_mode))
                return app_failf(app, "critique %s: --templates: '%.200s' is not a directory", cmd,
                                 val);
        }
        if (strchr(val, '\n'))
            return app_failf(app, "critique %s: --%s: a newline in the value", cmd, o->key);
        kv_add(kv, o->key, val);
        return 0;
    }
    return app_failf(app, "%s: option not handled", cmd);
}

static int
collect_fb_id(void *ud, const struct store_row *r)
{
    kv_add(ud, "feedback", store_row_get(r, "id"));
    return 0;
}

/* Feedback ids (or "all") into kv as feedback=ID. */
static int
add_ids(struct app *app, int argc, char **argv, struct kv *kv, int allow_all, int max)
{
    int n0 = kv->n;
    for (int i = optind; i < argc; i++) {
        if (allow_all && strcmp(argv[i], "all") == 0) {
            struct store *st = app_store(app);
            if (!st || store_crit_feedback_list(st, 0, collect_fb_id, kv, &app->err) != PS_OK)
                return app_fail(app);
            continue;
        }
        int64_t id = 0;
        if (parse_id(app, argv[i], &id))
            return 1;
        kv_add(kv, "feedback", argv[i]);
    }
    if (kv->n == n0)
        return app_failf(app, "critique: which feedback? (an ID; see prefscope critique ls)");
    if (max && kv->n - n0 > max)
        return app_failf(app, "critique: expected one feedback ID");
    return 0;
}

static int
crit_lua_cmd(struct app *app, int argc, char **argv, const char *sub, const char *usage,
             const struct app_opt *opts)
{
    char cmd[32];
    snprintf(cmd, sizeof cmd, "critique %s", sub);
    struct kv kv = {NULL, 0, 0};
    int c, status = 1, dry = 0;
    struct app_optparse p;
    app_opt_begin(&p, app, cmd, usage, opts, argc, argv);
    while ((c = app_opt_next(&p)) != APP_OPT_END) {
        if (c == APP_OPT_EXIT) {
            kv_free(&kv);
            return p.status;
        }
        if (c == APP_OPT_JSON)
            kv_add(&kv, "json", "1");
        else if (c == OPT_DRY_RUN)
            kv_add(&kv, "dry_run", "1"), dry = 1;
        else if (c == OPT_FLIP)
            kv_add(&kv, "flip", "1");
        else if (lua_opt_add(app, cmd, c, optarg, &kv)) {
            kv_free(&kv);
            return 1;
        }
    }
    int is_export = strcmp(sub, "export") == 0;
    if (add_ids(app, argc, argv, &kv, is_export, strcmp(sub, "eval") == 0 ? 1 : 0))
        goto out;
    if (strcmp(sub, "gen") == 0) {
        int has_model = 0;
        for (int i = 0; i < kv.n; i++)
            has_model |= strncmp(kv.v[i], "model=", 6) == 0;
        if (!has_model && !dry) {
            app_failf(app, "critique gen: --model is required");
            goto out;
        }
        if (!has_model)
            kv_add(&kv, "model", "(dry-run)");
    }
    if (is_export) {
        int has_fmt = 0;
        for (int i = 0; i < kv.n; i++)
            if (strncmp(kv.v[i], "format=", 7) == 0) {
                const char *f = kv.v[i] + 7;
                has_fmt = 1;
                if (strcmp(f, "c3po") && strcmp(f, "dpo") && strcmp(f, "sft") &&
                    strcmp(f, "combined")) {
                    app_failf(app,
                              "critique export: --format expects c3po, dpo, sft or combined, "
                              "not '%.40s'",
                              f);
                    goto out;
                }
            }
        if (!has_fmt) {
            app_failf(app, "critique export: --format is required (c3po, dpo, sft, combined)");
            goto out;
        }
    }
    {
        const char *pg = getenv("PREFSCOPE_PROGRESS");
        if (pg && strcmp(pg, "0") == 0)
            kv_add(&kv, "quiet", "1");
    }
    if (!app_store(app)) {
        app_fail(app);
        goto out;
    }
    for (int i = 0; i < kv.n; i++)
        if (strncmp(kv.v[i], "out_from=", 9) == 0) {
            int64_t ds;
            if (store_dataset_find(app_store(app), kv.v[i] + 9, &ds, &app->err) != PS_OK) {
                ps_error_prefix(&app->err, "critique gen: --out-from: ");
                app_fail(app);
                goto out;
            }
        }
    status = run_lua(app, sub, &kv);
out:
    kv_free(&kv);
    return status;
}

/* ---------------------------------------------------------------- review */

struct one_row {
    char *value;
    const char *field;
};

static int
grab_field(void *ud, const struct store_row *r)
{
    struct one_row *o = ud;
    const char *v = store_row_get(r, o->field);
    o->value = xstrdup(v ? v : "");
    return 0;
}

/* Edit a field in $EDITOR (VISUAL, EDITOR, else vi); NULL when unchanged or failed. */
static char *
edit_in_editor(struct app *app, const char *text)
{
    char tmpl[] = "/tmp/prefscope-edit-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd < 0) {
        app_failf(app, "critique review: cannot create a temporary file");
        return NULL;
    }
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    const char *ed = getenv("VISUAL");
    if (!ed || !*ed)
        ed = getenv("EDITOR");
    if (!ed || !*ed)
        ed = "vi";
    pid_t pid = fork();
    if (pid == 0) {
        execlp("sh", "sh", "-c", "exec $0 \"$1\"", ed, tmpl, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        unlink(tmpl);
        app_failf(app, "critique review: the editor '%.100s' failed; nothing changed", ed);
        return NULL;
    }
    char *out = sb_read_file(tmpl);
    unlink(tmpl);
    if (out && strcmp(out, text) == 0) {
        free(out);
        return xstrdup(text);
    }
    return out;
}

static int
collect_pending(void *ud, const struct store_row *r)
{
    struct kv *kv = ud;
    kv_add(kv, "item", store_row_get(r, "id"));
    return 0;
}

static int
crit_review(struct app *app, int argc, char **argv)
{
    int action = 0, c, all_pending = 0, dry = 0;
    const char *set = NULL, *edit = NULL, *author = NULL;
    struct kv lkv = {NULL, 0, 0};
    struct app_optparse p;
    app_opt_begin(&p, app, "critique review", review_usage, review_opts, argc, argv);
    while ((c = app_opt_next(&p)) != APP_OPT_END) {
        switch (c) {
        case APP_OPT_EXIT: kv_free(&lkv); return p.status;
        case OPT_ACCEPT:
        case OPT_REJECT:
        case OPT_PENDING:
        case OPT_UNDO:
        case OPT_REGENERATE: action = c; break;
        case OPT_SET:
        case OPT_SET_FB:
            action = c;
            set = optarg;
            break;
        case OPT_EDIT:
            action = c;
            edit = optarg;
            break;
        case OPT_AUTHOR:
            author = optarg;
            kv_add(&lkv, "author", optarg);
            break;
        case OPT_ALL_PENDING: all_pending = 1; break;
        case OPT_DRY_RUN: dry = 1; break;
        case 'm':
        case OPT_COMPLETION:
        case OPT_TEMPLATES:
        case OPT_BASE_URL:
            if (lua_opt_add(app, "critique review", c, optarg, &lkv)) {
                kv_free(&lkv);
                return 1;
            }
            break;
        }
    }
    int status = 1;
    if (optind >= argc) {
        app_failf(app, "critique review: which feedback? (an ID; see prefscope critique ls)");
        goto out;
    }
    int64_t fb = 0;
    if (parse_id(app, argv[optind], &fb))
        goto out;
    struct store *st = app_store(app);
    if (!st) {
        app_fail(app);
        goto out;
    }
    if (action == OPT_SET_FB) {
        /* an edit of the feedback itself (the LLM's domain/effect proposal, ...) */
        const char *eq = strchr(set, '=');
        if (!eq || optind + 1 != argc) {
            app_failf(app, "critique review: --set-feedback expects FIELD=VALUE and no items");
            goto out;
        }
        char *field = xstrndup(set, (size_t)(eq - set));
        char *val = eq[1] == '@' ? sb_read_file(eq + 2) : xstrdup(eq + 1);
        char who[256];
        const char *u = getenv("PREFSCOPE_USER");
        if (!u || !*u)
            u = getenv("USER");
        snprintf(who, sizeof who, "human:%s", u && *u ? u : "me");
        int rc = PS_OK;
        if (!val)
            rc = ps_error(&app->err, PS_ERR_IO, "critique review: cannot read '%.200s'", eq + 2);
        if (rc == PS_OK && strcmp(field, "metric") == 0 && *val) {
            struct metric_spec ms;
            rc = metric_spec_parse(val, &ms, &app->err);
            metric_spec_free(&ms);
        }
        if (rc == PS_OK && (strcmp(field, "meta") == 0 || strcmp(field, "status") == 0))
            rc = ps_error(&app->err, PS_ERR_USAGE,
                          "critique review: --set-feedback edits feedback, domain, effect, scope, "
                          "type or metric");
        if (rc == PS_OK && strcmp(field, "scope") == 0 && strcmp(val, "global") &&
            strcmp(val, "regional") && strcmp(val, "local"))
            rc = ps_error(&app->err, PS_ERR_USAGE,
                          "critique review: scope is global, regional "
                          "or local");
        if (rc == PS_OK && strcmp(field, "type") == 0 && strcmp(val, "qualitative") &&
            strcmp(val, "quantitative"))
            rc = ps_error(&app->err, PS_ERR_USAGE,
                          "critique review: type is qualitative or quantitative");
        if (rc == PS_OK)
            rc = store_crit_feedback_set(st, fb, field, *val ? val : NULL, author ? author : who,
                                         &app->err);
        free(field);
        free(val);
        if (rc != PS_OK) {
            app_fail(app);
            goto out;
        }
        printf("feedback %lld updated\n", (long long)fb);
        status = 0;
        goto out;
    }
    if (!action) {
        if (optind + 1 != argc) {
            app_failf(app, "critique review: items given without an action (--accept, ...)");
            goto out;
        }
        /* the TUI on the feedback list, this feedback's critique view open */
        char idbuf[32];
        snprintf(idbuf, sizeof idbuf, "%lld", (long long)fb);
        char *targv[4] = {"tui", "--feedback", idbuf, NULL};
        status = cmd_tui(app, 3, targv);
        goto out;
    }
    struct kv items = {NULL, 0, 0};
    for (int i = optind + 1; i < argc; i++) {
        int64_t id = 0;
        if (parse_id(app, argv[i], &id)) {
            kv_free(&items);
            goto out;
        }
        kv_add(&items, "item", argv[i]);
    }
    if (all_pending && store_crit_item_list(st, fb, 0, NULL, "pending", NULL, collect_pending,
                                            &items, &app->err) != PS_OK) {
        kv_free(&items);
        app_fail(app);
        goto out;
    }
    if (!items.n) {
        kv_free(&items);
        app_failf(app, "critique review: which items? (item ids, or --all-pending)");
        goto out;
    }
    char who[256];
    if (!author) {
        const char *u = getenv("PREFSCOPE_USER");
        if (!u || !*u)
            u = getenv("USER");
        snprintf(who, sizeof who, "human:%s", u && *u ? u : "me");
        author = who;
    }
    status = 0;
    if (action == OPT_REGENERATE && dry) {
        printf("%d items: %d calls (a baseline and a revision each)\n", items.n, 2 * items.n);
        kv_free(&items);
        goto out;
    }
    if (action == OPT_REGENERATE) {
        int has_model = 0;
        for (int i = 0; i < lkv.n; i++)
            has_model |= strncmp(lkv.v[i], "model=", 6) == 0;
        if (!has_model) {
            kv_free(&items);
            status = app_failf(app, "critique review: --regenerate needs --model");
            goto out;
        }
        for (int i = 0; i < items.n; i++)
            kv_add(&lkv, "item", items.v[i] + 5);
        kv_free(&items);
        status = run_lua(app, "regenerate", &lkv);
        goto out;
    }
    for (int i = 0; i < items.n && status == 0; i++) {
        int64_t id = strtoll(items.v[i] + 5, NULL, 10);
        /* the item must belong to the feedback */
        struct one_row o = {NULL, "feedback_id"};
        if (store_crit_item_list(st, 0, id, NULL, NULL, NULL, grab_field, &o, &app->err) != PS_OK) {
            status = app_fail(app);
            break;
        }
        if (!o.value || strtoll(o.value, NULL, 10) != fb) {
            free(o.value);
            status = app_failf(app, "critique review: feedback %lld has no item %lld",
                               (long long)fb, (long long)id);
            break;
        }
        free(o.value);
        int rc = PS_OK;
        if (action == OPT_ACCEPT || action == OPT_REJECT || action == OPT_PENDING) {
            const char *v = action == OPT_ACCEPT   ? "accepted"
                            : action == OPT_REJECT ? "rejected"
                                                   : "pending";
            rc = store_crit_item_set(st, id, "status", v, author, &app->err);
        } else if (action == OPT_UNDO) {
            char *field = NULL;
            rc = store_crit_undo(st, "critique", id, author, &field, &app->err);
            if (rc == PS_OK)
                printf("item %lld: %s%s\n", (long long)id, field ? "undid the edit of " : "",
                       field ? field : "nothing to undo");
            free(field);
        } else if (action == OPT_SET) {
            const char *eq = strchr(set, '=');
            if (!eq) {
                status = app_failf(app, "critique review: --set expects FIELD=VALUE");
                break;
            }
            char *field = xstrndup(set, (size_t)(eq - set));
            char *val = NULL;
            if (eq[1] == '@') {
                val = sb_read_file(eq + 2);
                if (!val) {
                    free(field);
                    status = app_failf(app, "critique review: cannot read '%.200s'", eq + 2);
                    break;
                }
            }
            rc = strcmp(field, "status") == 0 || strcmp(field, "error") == 0 ||
                         strcmp(field, "split") == 0 || strcmp(field, "category") == 0
                     ? ps_error(&app->err, PS_ERR_USAGE,
                                "critique review: --set edits prompt, baseline, revised, "
                                "critique, in_context or cot (status: --accept/--reject)")
                     : store_crit_item_set(st, id, field, val ? val : eq + 1, author, &app->err);
            free(field);
            free(val);
        } else if (action == OPT_EDIT) {
            struct one_row cur = {NULL, edit};
            rc = store_crit_item_list(st, 0, id, NULL, NULL, NULL, grab_field, &cur, &app->err);
            if (rc == PS_OK) {
                char *nv = edit_in_editor(app, cur.value ? cur.value : "");
                if (!nv) {
                    free(cur.value);
                    status = 1;
                    break;
                }
                if (strcmp(nv, cur.value ? cur.value : ""))
                    rc = store_crit_item_set(st, id, edit, nv, author, &app->err);
                free(nv);
            }
            free(cur.value);
        }
        if (rc != PS_OK) {
            status = app_fail(app);
            break;
        }
    }
    if (status == 0 && action != OPT_UNDO)
        printf("%d item%s updated\n", items.n, items.n == 1 ? "" : "s");
    kv_free(&items);
out:
    kv_free(&lkv);
    return status;
}

/* ---------------------------------------------------------------- dispatch */

static int
crit_gen(struct app *app, int argc, char **argv)
{
    return crit_lua_cmd(app, argc, argv, "gen", gen_usage, gen_opts);
}

static int
crit_export(struct app *app, int argc, char **argv)
{
    return crit_lua_cmd(app, argc, argv, "export", export_usage, export_opts);
}

static int
crit_eval(struct app *app, int argc, char **argv)
{
    return crit_lua_cmd(app, argc, argv, "eval", eval_usage, eval_opts);
}

static const struct {
    const char *name, *summary;
    int (*fn)(struct app *, int, char **);
} crit_subs[] = {
#define CRIT_ENTRY(name, summary) {#name, summary, crit_##name},
    CRITIQUE_SUBCOMMANDS(CRIT_ENTRY)
#undef CRIT_ENTRY
};

int
cmd_critique(struct app *app, int argc, char **argv)
{
    size_t n = sizeof crit_subs / sizeof crit_subs[0];
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        FILE *f = argc < 2 ? stderr : stdout;
        fputs(critique_usage, f);
        for (size_t i = 0; i < n; i++)
            fprintf(f, "  %-8s %s\n", crit_subs[i].name, crit_subs[i].summary);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < n; i++)
        if (strcmp(argv[1], crit_subs[i].name) == 0)
            return crit_subs[i].fn(app, argc - 1, argv + 1);
    return app_failf(app,
                     "critique: unknown subcommand '%.40s' (new, ls, show, gen, review, "
                     "export, eval)",
                     argv[1]);
}
