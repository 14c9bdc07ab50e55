/* prefscope import: files -> one dataset, atomically. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/opts.h"
#include "core/sanitize.h"
#include "core/strbuf.h"
#include "formats/formats.h"
#include "formats/import.h"
#include "store/store.h"

static const char import_usage[] =
    "usage: prefscope import [-w WORKSPACE] [--name N] [--format F] [--map SPEC]\n"
    "                        [--join A=FILE:KEY]... [--replace | --append] [--dry-run]\n"
    "                        FILE...\n"
    "\n"
    "Import preference data.  All FILEs go into one dataset (named after the first\n"
    "file unless --name is given) in one transaction: on any error nothing changes.\n"
    "Files may be gzip-compressed, or Parquet.  The format is detected per file.\n"
    "'-' reads standard input; pipes, FIFOs and <(cmd) are read once (docs/formats.md).\n"
    "A FILE may be hf:OWNER/NAME[:SPLIT], a dataset in the local Hugging Face cache\n"
    "($HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub); it is never downloaded.\n"
    "FILE[a:b] reads only records a..b-1 (Python's slices: x.json[:40], x.csv[-5:]).\n"
    "\n";

enum { OPT_REPLACE = APP_OPT_FIRST_FREE, OPT_APPEND, OPT_DRY, OPT_JOIN };
#define IMPORT_OPTS(_) \
    _('n', "name", "N", "dataset name") \
    _('f', "format", "F", "skip detection and read every file as format F (below)") \
    _('m', "map", "SPEC", \
      "explicit field mapping for unknown shapes, e.g.\n" \
      "prompt=question,a=answers[0],b=answers[1],label=pref,\n" \
      "label.a=first,label.b=second,label.tie=same\n" \
      "(targets and path syntax: docs/formats.md)") \
    _(OPT_JOIN, "join", "A=FILE:KEY[=MAINKEY]", \
      "the records of FILE with the same KEY (fields joined by\n" \
      "'+'; '#' = by position) as $A in --map paths, e.g.\n" \
      "--join q=questions.jsonl:question_id --map prompt=$q.text,...") \
    _(OPT_REPLACE, "replace", NULL, "replace an existing dataset of that name") \
    _(OPT_APPEND, "append", NULL, "add the records to an existing dataset of that name") \
    _(OPT_DRY, "dry-run", NULL, \
      "show the detected format, the mapping and the first record\n" \
      "as it would be stored; change nothing")
APP_OPTS(import_opts, IMPORT_OPTS);

/* The end of --help: the formats, from the format table. */
static void
import_formats(FILE *f)
{
    fputs("\nFormats:\n", f);
    const struct import_format *const *all = format_list();
    for (int i = 0; all[i]; i++)
        fprintf(f, "  %-16s %s\n", all[i]->name, all[i]->summary);
}

int
cmd_import(struct app *app, int argc, char **argv)
{
    struct import_opts o;
    const char *joins[8];
    memset(&o, 0, sizeof o);
    o.joins = joins;
    o.out = stdout;
    int c;
    struct app_optparse p;
    app_opt_begin(&p, app, "import", import_usage, import_opts, argc, argv);
    p.help_tail = import_formats;
    while ((c = app_opt_next(&p)) != APP_OPT_END) {
        switch (c) {
        case APP_OPT_EXIT: return p.status;
        case 'n': o.name = optarg; break;
        case 'f': o.format = optarg; break;
        case 'm': o.map = optarg; break;
        case OPT_REPLACE: o.replace = 1; break;
        case OPT_APPEND: o.append = 1; break;
        case OPT_DRY: o.dry_run = 1; break;
        case OPT_JOIN:
            if (o.n_joins == (int)(sizeof joins / sizeof joins[0]))
                return app_failf(app, "import: at most 8 --join options");
            joins[o.n_joins++] = optarg;
            break;
        }
    }
    if (optind >= argc)
        return app_failf(app, "import: no input files (see prefscope import --help)");
    if (o.replace && o.append)
        return app_failf(app, "import: --replace and --append exclude each other");
    if (o.map && o.format && strcmp(o.format, "generic") != 0)
        return app_failf(app, "import: --map reads files with the generic format; drop --format %s",
                         o.format);
    if (o.format && !format_find(o.format))
        return app_failf(app, "import: unknown format '%s' (see prefscope import --help)",
                         o.format);
    struct import_result res;
    struct store *st = NULL;
    /* a workspace that does not exist yet is built under another name (no WAL) */
    if (!o.dry_run && !app->store &&
        store_open_new(&app->store, store_default_path(app->workspace), &app->err) != PS_OK)
        return app_fail(app);
    if (!o.dry_run && !(st = app_store(app)))
        return app_fail(app);
    if (st) {
        char what[600];
        snprintf(what, sizeof what, "import of %.500s", argv[optind]);
        app_long_writer(app, what);
    }
    /* A dry run quotes paths, keys and columns: its report is collected and printed
     * through the sanitizer (the record itself is JSON with \\u escapes already). */
    char *report = NULL;
    size_t report_len = 0;
    if (o.dry_run && !(o.out = open_memstream(&report, &report_len)))
        return app_failf(app, "import: out of memory");
    int rc = import_files(st, argv + optind, argc - optind, &o, &res, &app->err);
    if (o.dry_run) {
        fclose(o.out);
        app_print_clean(stdout, report);
        free(report);
    }
    if (st) { /* a new workspace gets its name, with the import or without it */
        struct ps_err perr = {0};
        if (store_publish(&app->store, rc == PS_OK ? &app->err : &perr) != PS_OK && rc == PS_OK)
            return app_fail(app);
    }
    if (rc != PS_OK)
        return app_fail(app);
    if (!o.dry_run) {
        struct strbuf clean = STRBUF_INIT;
        fprintf(stderr, "imported %ld record%s", res.records, res.records == 1 ? "" : "s");
        if (res.feedback)
            fprintf(stderr, " and %ld feedback record%s", res.feedback,
                    res.feedback == 1 ? "" : "s");
        fprintf(stderr, " into dataset '%s'", text_clean(&clean, res.name));
        fprintf(stderr, " (%s)", text_clean(&clean, res.formats));
        sb_free(&clean);
        if (res.repaired)
            fprintf(stderr, "; %ld irregular record%s repaired (see the item meta)", res.repaired,
                    res.repaired == 1 ? "" : "s");
        if (res.skipped)
            fprintf(stderr, "; %ld skipped", res.skipped);
        fprintf(stderr, "\n");
        if (res.notes[0])
            fprintf(stderr, "%s\n", res.notes);
    }
    return 0;
}
