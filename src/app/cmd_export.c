/* prefscope export: a dataset to a training or interchange format. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app/app.h"
#include "app/opts.h"
#include "core/outfile.h"
#include "formats/export.h"
#include "store/store.h"

static const char export_usage[] =
    "usage: prefscope export [-w WORKSPACE] DATASET --format FMT [--annotator A] [-o FILE]\n"
    "\n"
    "Write DATASET to stdout (or FILE).  Formats:\n"
    "  trl                 {prompt, chosen, rejected} strings (TRL standard preference)\n"
    "  trl-conversational  {prompt: [messages], chosen: [message], rejected: [message]}\n"
    "  kto                 {prompt, completion, label} (TRL unpaired preference)\n"
    "  jsonl               prefscope's own lossless layout (import reads it back)\n"
    "  csv                 one row per judgment: prompt, responses, models, verdict\n"
    "  annotated-pairs     AnnotatedPairs v2 JSON (ICAI / feedback-forensics)\n"
    "  parquet             TRL's layout as Parquet (SNAPPY, dictionary strings, the\n"
    "                      `datasets` features): strings, or message lists when any\n"
    "                      item has a system prompt or history\n"
    "Whatever a format cannot hold (ties in trl, ratings, groups of more than two\n"
    "responses...) is counted on stderr.\n"
    "\n";
#define EXPORT_OPTS(_) \
    _('f', "format", "FMT", "one of the formats above (default jsonl)") \
    _('a', "annotator", "A", \
      "whose verdicts pick chosen/rejected (default 'dataset',\n" \
      "else the first annotator that judged)") \
    _('o', "output", "FILE", \
      "write to FILE (complete or not at all: a temporary file is\n" \
      "renamed over it at the end) instead of stdout; - is stdout")
APP_OPTS(export_opts, EXPORT_OPTS);

/* Report app->err (which names the output path) as an export error. */
static int
export_fail(struct app *app)
{
    char msg[PS_ERR_MSG_MAX];
    snprintf(msg, sizeof msg, "%s", app->err.msg);
    snprintf(app->err.msg, sizeof app->err.msg, "export: %.1000s", msg);
    return app_fail(app);
}

int
cmd_export(struct app *app, int argc, char **argv)
{
    struct export_opts o = {"jsonl", NULL};
    const char *output = NULL;
    int c;
    struct app_optparse p;
    app_opt_begin(&p, app, "export", export_usage, export_opts, argc, argv);
    while ((c = app_opt_next(&p)) != APP_OPT_END) {
        switch (c) {
        case APP_OPT_EXIT: return p.status;
        case 'f': o.format = optarg; break;
        case 'a': o.annotator = optarg; break;
        case 'o': output = optarg; break;
        }
    }
    if (optind >= argc)
        return app_failf(app, "export: which dataset? (see prefscope ls)");
    if (optind + 1 < argc)
        return app_failf(app, "export: unexpected argument '%s'", argv[optind + 1]);
    const char *path = store_default_path(app->workspace);
    if (strcmp(path, ":memory:") != 0 && access(path, F_OK) != 0)
        return app_failf(
            app, "export: no workspace at %s (import a file first, or choose one with -w)", path);
    struct store *st = app_store(app);
    if (!st)
        return app_fail(app);
    int64_t id;
    if (store_dataset_find(st, argv[optind], &id, &app->err) != PS_OK)
        return app_fail(app);
    if (!output && o.format && !strcmp(o.format, "parquet") && isatty(STDOUT_FILENO))
        return app_failf(app, "export: Parquet is binary; write it with -o FILE or to a pipe");
    struct outfile of;
    if (outfile_open(&of, output ? output : "-", &app->err) != PS_OK)
        return export_fail(app);
    struct export_result res;
    int rc = export_dataset(st, id, &o, of.f, &res, &app->err);
    if (rc != PS_OK && rc != PS_ERR_IO) {
        outfile_abort(&of);
        return app_fail(app);
    }
    /* On a write error the commit fails too, and says which path and why. */
    if (outfile_commit(&of, &app->err) != PS_OK)
        return export_fail(app);
    if (rc != PS_OK)
        return app_fail(app);
    export_report(&res, o.format, stderr);
    return 0;
}
