/* prefscope ls: the datasets in a workspace and their counts. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <string.h>
#include <unistd.h>

#include "app/app.h"
#include "core/sanitize.h"
#include "core/strbuf.h"
#include "core/width.h"
#include "store/store.h"

static const char ls_usage[] =
    "usage: prefscope ls [-w WORKSPACE] [--json]\n"
    "\n"
    "List the datasets in the workspace: items, responses, judgments, ratings,\n"
    "feedback records and the annotators that judged or rated them.  A dataset\n"
    "whose import streamed in (prefscope FILE) and did not finish is marked under its\n"
    "row (--json: \"import\": \"importing\", \"interrupted\" or \"incomplete\", with\n"
    "\"import_records\"; null when complete).\n"
    "\n"
    "  -w, --workspace FILE  workspace file\n"
    "  --json                one JSON array on stdout\n";

static void
json_field(struct strbuf *sb, const char *key, const char *val)
{
    sb_json_str(sb, key, strlen(key));
    sb_putc(sb, ':');
    if (val)
        sb_json_str(sb, val, strlen(val));
    else
        sb_puts(sb, "null");
}

/* Print a table cell: names and annotators come from data, so they are sanitized
 * (core/sanitize.h), cut to `cols` display columns with an ellipsis when longer, and
 * with `pad` padded by display width (CJK names line up); `cols` = 0 prints the text
 * whole. */
static void
put_cell(struct strbuf *tmp, const char *text, int cols, int pad)
{
    sb_reset(tmp);
    text_sanitize(text, strlen(text), tmp, TEXT_SAN_ONELINE);
    const char *p = tmp->p ? tmp->p : "";
    int w = (int)text_width(p, tmp->len);
    if (cols > 0 && w > cols) {
        size_t keep = text_fit(p, tmp->len, cols - 1, &w);
        fwrite(p, 1, keep, stdout);
        fputs("…", stdout);
        w++;
    } else {
        fputs(p, stdout);
    }
    if (cols > 0 && pad)
        do
            fputc(' ', stdout);
        while (++w < cols + 1);
}

/* Columns taken by everything before ANNOTATORS. */
#define LS_FIXED_COLS (28 + 1 + 16 + 1 + 8 + 1 + 9 + 1 + 9 + 1 + 8 + 2)

/* A dataset whose streamed import has not finished (store.h): say so under its row. */
static void
ls_partial(const struct store_dataset *d)
{
    const char *partial = store_dataset_import_status(d);
    long long n = (long long)d->import_records;
    if (!partial)
        return;
    if (strcmp(partial, "importing") == 0)
        printf("%-28s importing: %lld records in so far (pid %lld)\n", "", n,
               (long long)d->import_pid);
    else if (strcmp(partial, "interrupted") == 0)
        printf("%-28s INCOMPLETE: the import was killed after %lld records;"
               " 'prefscope FILE' again resumes it\n",
               "", n);
    else
        printf("%-28s INCOMPLETE: the import was stopped after %lld records and what had"
               " arrived was kept\n",
               "", n);
}

int
cmd_ls(struct app *app, int argc, char **argv)
{
    int json;
    int rc = app_parse_plain(app, "ls", ls_usage, argc, argv, &json);
    if (rc >= 0)
        return rc;
    if (optind < argc)
        return app_failf(app, "ls: unexpected argument '%s'", argv[optind]);
    /* Listing must not create a workspace as a side effect. */
    const char *path = store_default_path(app->workspace);
    if (strcmp(path, ":memory:") != 0 && access(path, F_OK) != 0) {
        if (json)
            puts("[]");
        else
            printf("no workspace at %s (try: prefscope import FILE)\n", path);
        return 0;
    }
    struct store *st = app_store(app);
    if (!st)
        return app_fail(app);
    struct store_dataset *ds;
    int n;
    if (store_dataset_list(st, &ds, &n, &app->err) != PS_OK)
        return app_fail(app);
    if (json) {
        struct strbuf sb = STRBUF_INIT;
        sb_putc(&sb, '[');
        for (int i = 0; i < n; i++) {
            struct store_dataset *d = &ds[i];
            sb_puts(&sb, i ? ",\n {" : "{");
            json_field(&sb, "name", d->name);
            sb_putc(&sb, ',');
            json_field(&sb, "format", d->format);
            sb_putc(&sb, ',');
            json_field(&sb, "source", d->source);
            sb_putc(&sb, ',');
            json_field(&sb, "imported_at", d->imported_at);
            sb_printf(&sb,
                      ",\"items\":%lld,\"responses\":%lld,\"judgments\":%lld,\"ratings\":%lld,"
                      "\"feedback\":%lld,",
                      (long long)d->n_items, (long long)d->n_responses, (long long)d->n_judgments,
                      (long long)d->n_ratings, (long long)d->n_feedback);
            const char *partial = store_dataset_import_status(d);
            if (partial)
                sb_printf(&sb, "\"import\":\"%s\",\"import_records\":%lld,", partial,
                          (long long)d->import_records);
            else
                sb_puts(&sb, "\"import\":null,");
            sb_puts(&sb, "\"annotators\":[");
            const char *a = d->annotators;
            int first = 1;
            while (*a) {
                const char *comma = strchr(a, ',');
                size_t len = comma ? (size_t)(comma - a) : strlen(a);
                if (!first)
                    sb_putc(&sb, ',');
                sb_json_str(&sb, a, len);
                first = 0;
                a += len + (comma ? 1 : 0);
            }
            sb_puts(&sb, "]}");
        }
        sb_puts(&sb, "]\n");
        fputs(sb_str(&sb), stdout);
        sb_free(&sb);
    } else if (n == 0) {
        printf("no datasets in %s (try: prefscope import FILE)\n", store_path(st));
    } else {
        /* the annotators go last and whole when stdout is not a terminal (scripts
         * read them), else they are cut to what is left of COLUMNS */
        int ann_cols = 0;
        struct winsize wsz;
        if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &wsz) == 0 &&
            wsz.ws_col > LS_FIXED_COLS + 12)
            ann_cols = wsz.ws_col - LS_FIXED_COLS - 1;
        printf("%-28s %-16s %8s %9s %9s %8s  %s\n", "DATASET", "FORMAT", "ITEMS", "RESPONSES",
               "JUDGMENTS", "RATINGS", "ANNOTATORS");
        struct strbuf tmp = STRBUF_INIT;
        for (int i = 0; i < n; i++) {
            struct store_dataset *d = &ds[i];
            put_cell(&tmp, d->name, 28, 1);
            put_cell(&tmp, d->format ? d->format : "-", 16, 1);
            printf("%8lld %9lld %9lld %8lld  ", (long long)d->n_items, (long long)d->n_responses,
                   (long long)d->n_judgments, (long long)d->n_ratings);
            put_cell(&tmp, d->annotators[0] ? d->annotators : "-", ann_cols, 0);
            fputc('\n', stdout);
            if (d->n_feedback)
                printf("%-28s %lld feedback records\n", "", (long long)d->n_feedback);
            ls_partial(d);
        }
        sb_free(&tmp);
    }
    store_dataset_list_free(ds, n);
    return 0;
}
