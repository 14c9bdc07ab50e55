/* prefscope batch: a run's pending LLM calls out to a provider batch file, and the
 * batch's results back into the call log (src/llm/batch.h, docs/llm.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/app.h"
#include "app/opts.h"
#include "core/strbuf.h"
#include "llm/batch.h"
#include "store/store.h"

static const char batch_usage[] =
    "usage: prefscope batch export [-w WORKSPACE] -o FILE [--format openai|anthropic]\n"
    "                              -- COMMAND [ARGS...]\n"
    "       prefscope batch import [-w WORKSPACE] --requests FILE [--model NAME] RESULTS\n"
    "\n"
    "export runs COMMAND (judge, run SCRIPT, ...) without sending anything: every LLM\n"
    "call that the workspace's cache cannot answer is written to FILE instead, as an\n"
    "OpenAI Batch API JSONL file (also read by vLLM's run-batch) or an Anthropic Message\n"
    "Batches request file ({\"requests\": [...]}); the format follows the provider of\n"
    "the calls unless --format is given.  Each request's custom_id is its cache key.\n"
    "The command sees those calls fail as \"deferred to a batch file\".\n"
    "\n"
    "import reads the batch's results (the provider's output JSONL) against the\n"
    "requests FILE that was submitted and writes them to the workspace's call log in\n"
    "one transaction, so COMMAND, run again, answers them from the cache and sends\n"
    "only what the batch did not answer.  Failed results are logged as errors (never\n"
    "served from the cache); canceled and expired ones are left for the rerun.\n"
    "\n";

#define BATCH_SUBCMD(name, summary) {#name, cmd_##name},
static const struct {
    const char *name;
    int (*fn)(struct app *, int, char **);
} batch_cmds[] = {PS_COMMANDS(BATCH_SUBCMD)};
#undef BATCH_SUBCMD

enum { OPT_FORMAT = APP_OPT_FIRST_FREE, OPT_REQUESTS, OPT_MODEL };
#define BATCH_OPTS(_) \
    _('o', "output", "FILE", "export: the batch file to write (atomically)") \
    _(OPT_FORMAT, "format", "F", "export: openai or anthropic") \
    _(OPT_REQUESTS, "requests", "FILE", "import: the batch file that was submitted") \
    _(OPT_MODEL, "model", "NAME", "import: the config name to record as model_name")
APP_OPTS(batch_opts, BATCH_OPTS);

static int
batch_export(struct app *app, const char *out, const char *format, int argc, char **argv)
{
    enum llm_batch_format fmt = LLM_BATCH_AUTO;
    if (format && strcmp(format, "openai") == 0)
        fmt = LLM_BATCH_OPENAI;
    else if (format && strcmp(format, "anthropic") == 0)
        fmt = LLM_BATCH_ANTHROPIC;
    else if (format)
        return app_failf(app, "batch export: --format must be openai or anthropic");
    if (!out || argc < 1) {
        app_opt_help(stderr, batch_usage, batch_opts);
        return 2;
    }
    int (*fn)(struct app *, int, char **) = NULL;
    for (size_t i = 0; i < sizeof batch_cmds / sizeof batch_cmds[0]; i++)
        if (strcmp(batch_cmds[i].name, argv[0]) == 0)
            fn = batch_cmds[i].fn;
    if (!fn || strcmp(argv[0], "batch") == 0 || strcmp(argv[0], "tui") == 0)
        return app_failf(app, "batch export: '%s' is not a command that can be batched", argv[0]);
    struct strbuf cap = STRBUF_INIT;
    sb_printf(&cap, "%s.capture.XXXXXX", out);
    int fd = mkstemp(cap.p);
    if (fd < 0) {
        app_failf(app, "batch export: cannot create %s", cap.p);
        sb_free(&cap);
        return 1;
    }
    close(fd);
    /* every engine the command creates captures instead of sending (llm.h) */
    setenv("PREFSCOPE_BATCH_CAPTURE", cap.p, 1);
    int rc = fn(app, argc, argv);
    unsetenv("PREFSCOPE_BATCH_CAPTURE");
    fflush(stdout);
    int n = 0;
    enum llm_batch_format used = fmt;
    if (llm_batch_write(cap.p, fmt, out, &n, &used, &app->err) != PS_OK) {
        unlink(cap.p);
        sb_free(&cap);
        return app_fail(app);
    }
    unlink(cap.p);
    sb_free(&cap);
    if (n == 0) {
        fprintf(stderr, "batch export: nothing pending (the %s run sent or cached every call)%s\n",
                argv[0], rc ? "; the command failed" : "");
        return rc ? rc : 0;
    }
    fprintf(stderr,
            "batch export: %d request%s written to %s (%s); after the batch ran:\n"
            "  prefscope batch import --requests %s RESULTS.jsonl\n",
            n, n == 1 ? "" : "s", out,
            used == LLM_BATCH_ANTHROPIC ? "Anthropic Message Batches request file"
                                        : "OpenAI Batch API JSONL",
            out);
    return 0;
}

static int
batch_import(struct app *app, const char *requests, const char *model, int argc, char **argv)
{
    if (!requests || argc != 1) {
        app_opt_help(stderr, batch_usage, batch_opts);
        return 2;
    }
    struct store *st = app_store(app);
    if (!st)
        return app_fail(app);
    struct llm_batch_import_stats s;
    if (llm_batch_import(st, requests, argv[0], model, &s, &app->err) != PS_OK)
        return app_fail(app);
    printf("batch import: %d ok, %d failed (logged as errors), %d already in the log, %d not "
           "answered (sent again on the rerun)\n",
           s.ok, s.errors, s.known, s.missing);
    if (s.unknown) {
        fprintf(stderr,
                "prefscope: batch import: %d result%s not in %s (another batch's results?)\n",
                s.unknown, s.unknown == 1 ? " is" : "s are", requests);
        return 1;
    }
    return 0;
}

int
cmd_batch(struct app *app, int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        app_opt_help(stdout, batch_usage, batch_opts);
        return 0;
    }
    if (argc < 2 || (strcmp(argv[1], "export") != 0 && strcmp(argv[1], "import") != 0)) {
        app_opt_help(stderr, batch_usage, batch_opts);
        return 2;
    }
    const char *out = NULL, *format = NULL, *requests = NULL, *model = NULL;
    /* export's COMMAND comes after "--" with its own options: our getopt sees only
     * what is before (no "+" mode either, which would stay set for the COMMAND's) */
    int dd = 2;
    while (dd < argc && strcmp(argv[dd], "--") != 0)
        dd++;
    int c;
    struct app_optparse p;
    app_opt_begin(&p, app, "batch", batch_usage, batch_opts, dd - 1, argv + 1);
    while ((c = app_opt_next(&p)) != APP_OPT_END) {
        switch (c) {
        case APP_OPT_EXIT: return p.status;
        case 'o': out = optarg; break;
        case OPT_FORMAT: format = optarg; break;
        case OPT_REQUESTS: requests = optarg; break;
        case OPT_MODEL: model = optarg; break;
        }
    }
    if (strcmp(argv[1], "export") == 0) {
        if (optind + 1 != dd) {
            fprintf(stderr, "prefscope: batch export: the command goes after \"--\"\n");
            return 2;
        }
        return batch_export(app, out, format, argc - dd - 1, argv + dd + 1);
    }
    int rest = optind + 1;
    if (dd < argc) {
        fprintf(stderr, "prefscope: batch import takes no command\n");
        return 2;
    }
    return batch_import(app, requests, model, argc - rest, argv + rest);
}
