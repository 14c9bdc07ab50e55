/* prefscope show: one item, as text or JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "app/app.h"
#include "core/sanitize.h"
#include "core/strbuf.h"
#include "formats/formats.h"
#include "store/store.h"

static const char show_usage[] =
    "usage: prefscope show [-w WORKSPACE] [--json] DATASET [N]\n"
    "\n"
    "Print item N of DATASET (numbered from 1, as in the TUI; default 1): system\n"
    "prompt, history, prompt, every response (1, 2, 3..., and \"chosen\"/\"rejected\"\n"
    "where the source says so) with its model and ratings, and every judgment with\n"
    "the response it prefers and its rationale.\n"
    "\n"
    "  --json              the item as one JSON object (the prefscope JSONL layout)\n"
    "  -w, --workspace F   workspace file\n";

/* Print dataset text for a human: escape sequences, controls and bidi overrides
 * become visible placeholders (core/sanitize.h), so `show` on a terminal is as safe
 * as the TUI.  --json keeps the raw text (JSON-escaped). */
static void
put_clean(struct strbuf *tmp, const char *text)
{
    sb_reset(tmp);
    text_sanitize(text, strlen(text), tmp, 0);
    fputs(sb_str(tmp), stdout);
}

static void
print_block(struct strbuf *tmp, const char *title, const char *text)
{
    fputs("── ", stdout);
    put_clean(tmp, title);
    fputc('\n', stdout);
    put_clean(tmp, text ? text : "(none)");
    fputs("\n\n", stdout);
}

int
cmd_show(struct app *app, int argc, char **argv)
{
    int json;
    int rc = app_parse_plain(app, "show", show_usage, argc, argv, &json);
    if (rc >= 0)
        return rc;
    if (optind >= argc)
        return app_failf(app, "show: which dataset? (see prefscope ls)");
    const char *name = argv[optind];
    long long number = 1;
    if (optind + 1 < argc) {
        char *end;
        number = strtoll(argv[optind + 1], &end, 10);
        if (*end || end == argv[optind + 1] || number < 1)
            return app_failf(app, "show: N must be an item number (1 is the first item), got '%s'",
                             argv[optind + 1]);
    }
    const char *path = store_default_path(app->workspace);
    if (strcmp(path, ":memory:") != 0 && access(path, F_OK) != 0)
        return app_failf(
            app, "show: no workspace at %s (import a file first, or choose one with -w)", path);
    struct store *st = app_store(app);
    if (!st)
        return app_fail(app);
    int64_t id;
    if (store_dataset_find(st, name, &id, &app->err) != PS_OK)
        return app_fail(app);
    struct store_item it;
    rc = store_item_get(st, id, number - 1, &it, &app->err);
    if (rc == PS_ERR_NOTFOUND) {
        struct store_dataset d;
        long long n = store_dataset_get(st, id, &d, NULL) == PS_OK ? (long long)d.n_items : -1;
        if (n >= 0)
            store_dataset_free(&d);
        return app_failf(app, "show: dataset '%s' has no item %lld (it has %lld, numbered from 1)",
                         name, number, n);
    }
    if (rc != PS_OK)
        return app_fail(app);
    if (json) {
        struct strbuf sb = STRBUF_INIT;
        fmt_item_to_json(&it, &sb);
        cJSON *v = cJSON_Parse(sb_str(&sb));
        char *pretty = v ? cJSON_Print(v) : NULL;
        struct strbuf safe = STRBUF_INIT;
        fmt_json_for_terminal(pretty ? pretty : sb_str(&sb), &safe);
        puts(sb_str(&safe));
        sb_free(&safe);
        cJSON_free(pretty);
        cJSON_Delete(v);
        sb_free(&sb);
    } else {
        struct strbuf tmp = STRBUF_INIT;
        put_clean(&tmp, name);
        printf(" #%lld", (long long)it.seq + 1);
        if (it.ext_id) {
            fputs("  (id ", stdout);
            put_clean(&tmp, it.ext_id);
            fputc(')', stdout);
        }
        fputs("\n\n", stdout);
        if (it.system)
            print_block(&tmp, "system", it.system);
        if (it.history) {
            cJSON *h = cJSON_Parse(it.history);
            const cJSON *m;
            cJSON_ArrayForEach(m, h)
            {
                const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
                const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
                print_block(&tmp, cJSON_IsString(role) ? role->valuestring : "?",
                            cJSON_IsString(content) ? content->valuestring : "");
            }
            cJSON_Delete(h);
        }
        print_block(&tmp, "prompt", it.prompt);
        /* Responses by number (A/B are screen sides in the TUI), named as the source
         * names them where it calls them chosen and rejected. */
        int cr = 0;
        if (store_dataset_chosen_rejected(st, it.dataset_id, &cr, &app->err) != PS_OK) {
            store_item_free(&it);
            sb_free(&tmp);
            return app_fail(app);
        }
        for (int i = 0; i < it.n_resp; i++) {
            char title[256];
            const char *word = store_source_word(cr, i);
            snprintf(title, sizeof title, "response %d%s%s%s%s%.200s", i + 1, word ? " (" : "",
                     word ? word : "", word ? ")" : "", it.resp[i].model ? " · " : "",
                     it.resp[i].model ? it.resp[i].model : "");
            print_block(&tmp, title, it.resp[i].text ? it.resp[i].text : "(no text)");
            for (int k = 0; k < it.n_rating; k++) {
                if (it.rating[k].resp != i)
                    continue;
                fputs("   rating ", stdout);
                put_clean(&tmp, it.rating[k].aspect);
                printf(" = %g (", it.rating[k].value);
                put_clean(&tmp, it.rating[k].annotator);
                fputs(")\n", stdout);
            }
        }
        if (it.n_judg)
            printf("── judgments\n");
        for (int k = 0; k < it.n_judg; k++) {
            const struct store_judgment *j = &it.judg[k];
            sb_reset(&tmp);
            text_sanitize(j->annotator, strlen(j->annotator), &tmp, TEXT_SAN_ONELINE);
            printf("  %-28s #%d vs #%d: %-7s", sb_str(&tmp), j->a + 1, j->b + 1, j->verdict);
            int win = strcmp(j->verdict, "A") == 0   ? j->a
                      : strcmp(j->verdict, "B") == 0 ? j->b
                                                     : -1;
            if (win >= 0)
                printf(" prefers #%d%s%s%s", win + 1, store_source_word(cr, win) ? " (" : "",
                       store_source_word(cr, win) ? store_source_word(cr, win) : "",
                       store_source_word(cr, win) ? ")" : "");
            if (j->has_p)
                printf(" p(A)=%.3g", j->p_a);
            if (j->weight != 1)
                printf(" weight=%g", j->weight);
            fputc('\n', stdout);
            if (j->rationale) {
                fputs("      ", stdout);
                put_clean(&tmp, j->rationale);
                fputc('\n', stdout);
            }
        }
        if (it.n_tags) {
            fputs("── tags:", stdout);
            for (int k = 0; k < it.n_tags; k++) {
                fputc(' ', stdout);
                put_clean(&tmp, it.tags[k]);
            }
            fputc('\n', stdout);
        }
        sb_free(&tmp);
    }
    store_item_free(&it);
    return 0;
}
