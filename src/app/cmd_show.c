/* prefscope show: one item, as text or JSON. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "app/app.h"
#include "core/strbuf.h"
#include "formats/formats.h"
#include "store/store.h"

static const char show_usage[] =
    "usage: prefscope show [-w WORKSPACE] [--json] DATASET [INDEX]\n"
    "\n"
    "Print item INDEX (0-based, default 0) of DATASET: system prompt, history, prompt,\n"
    "every response with its model and ratings, and every judgment with its rationale.\n"
    "\n"
    "  --json              the item as one JSON object (the prefscope JSONL layout)\n"
    "  -w, --workspace F   workspace file\n";

static void
print_block(const char *title, const char *text)
{
    printf("── %s\n%s\n\n", title, text ? text : "(none)");
}

int
cmd_show(struct app *app, int argc, char **argv)
{
    static const struct option opts[] = {
        {"workspace", required_argument, NULL, 'w'},
        {"config", required_argument, NULL, APP_OPT_CONFIG},
        {"json", no_argument, NULL, APP_OPT_JSON},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "w:h", opts, NULL)) != -1) {
        if (app_common_opt(app, c, optarg))
            continue;
        if (c == APP_OPT_JSON) {
            json = 1;
        } else if (c == 'h') {
            fputs(show_usage, stdout);
            return 0;
        } else {
            fputs(show_usage, stderr);
            return 2;
        }
    }
    if (optind >= argc)
        return app_failf(app, "show: which dataset? (see prefscope ls)");
    const char *name = argv[optind];
    long long index = 0;
    if (optind + 1 < argc) {
        char *end;
        index = strtoll(argv[optind + 1], &end, 10);
        if (*end || index < 0)
            return app_failf(app, "show: INDEX must be a non-negative integer, got '%s'",
                             argv[optind + 1]);
    }
    struct store *st = app_store(app);
    if (!st)
        return app_fail(app);
    int64_t id;
    if (store_dataset_find(st, name, &id, &app->err) != PS_OK)
        return app_fail(app);
    struct store_item it;
    if (store_item_get(st, id, index, &it, &app->err) != PS_OK)
        return app_failf(app, "show: dataset '%s' has no item %lld", name, index);
    if (json) {
        struct strbuf sb = STRBUF_INIT;
        fmt_item_to_json(&it, &sb);
        cJSON *v = cJSON_Parse(sb_str(&sb));
        char *pretty = v ? cJSON_Print(v) : NULL;
        puts(pretty ? pretty : sb_str(&sb));
        cJSON_free(pretty);
        cJSON_Delete(v);
        sb_free(&sb);
    } else {
        printf("%s #%lld", name, (long long)it.seq);
        if (it.ext_id)
            printf("  (id %s)", it.ext_id);
        printf("\n\n");
        if (it.system)
            print_block("system", it.system);
        if (it.history) {
            cJSON *h = cJSON_Parse(it.history);
            const cJSON *m;
            cJSON_ArrayForEach(m, h)
            {
                const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
                const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
                print_block(cJSON_IsString(role) ? role->valuestring : "?",
                            cJSON_IsString(content) ? content->valuestring : "");
            }
            cJSON_Delete(h);
        }
        print_block("prompt", it.prompt);
        for (int i = 0; i < it.n_resp; i++) {
            char title[256];
            snprintf(title, sizeof title, "response %c%s%s", i < 26 ? 'A' + i : '?',
                     it.resp[i].model ? " · " : "", it.resp[i].model ? it.resp[i].model : "");
            print_block(title, it.resp[i].text ? it.resp[i].text : "(no text)");
            for (int k = 0; k < it.n_rating; k++)
                if (it.rating[k].resp == i)
                    printf("   rating %s = %g (%s)\n", it.rating[k].aspect, it.rating[k].value,
                           it.rating[k].annotator);
        }
        if (it.n_judg)
            printf("── judgments\n");
        for (int k = 0; k < it.n_judg; k++) {
            const struct store_judgment *j = &it.judg[k];
            printf("  %-28s %c vs %c: %-7s", j->annotator, 'A' + j->a, 'A' + j->b, j->verdict);
            if (j->has_p)
                printf(" p(A)=%.3g", j->p_a);
            if (j->weight != 1)
                printf(" weight=%g", j->weight);
            printf("\n");
            if (j->rationale)
                printf("      %s\n", j->rationale);
        }
        if (it.n_tags) {
            printf("── tags:");
            for (int k = 0; k < it.n_tags; k++)
                printf(" %s", it.tags[k]);
            printf("\n");
        }
    }
    store_item_free(&it);
    return 0;
}
