#include "formats/export.h"

#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "core/xalloc.h"
#include "formats/formats.h"
#include "formats/parquet_write.h"
#include "store/store.h"

enum export_kind { EX_TRL, EX_TRL_CONV, EX_KTO, EX_JSONL, EX_CSV, EX_AP };

struct export_state {
    enum export_kind kind;
    const char *annotator;
    int only_annotator; /* CSV: --annotator given, so only that annotator's rows */
    FILE *out;
    struct export_result *res;
    struct strbuf sb;
    int first;
    /* annotated-pairs: the distinct annotators written, for the "annotators" object */
    char **annotators;
    int n_annotators;
};

static void
put_str(struct strbuf *sb, const char *s)
{
    if (s)
        sb_json_str(sb, s, strlen(s));
    else
        sb_puts(sb, "null");
}

/* The prompt as a message list: system, history turns, then the final user turn. */
static void
prompt_messages(struct strbuf *sb, const struct store_item *it)
{
    int n = 0;
    sb_putc(sb, '[');
    if (it->system) {
        sb_puts(sb, "{\"role\":\"system\",\"content\":");
        put_str(sb, it->system);
        sb_putc(sb, '}');
        n++;
    }
    if (it->history) {
        cJSON *h = cJSON_Parse(it->history);
        const cJSON *m;
        cJSON_ArrayForEach(m, h)
        {
            const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
            const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
            if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "after_prompt")))
                continue;
            if (!cJSON_IsString(role) || !cJSON_IsString(content))
                continue;
            if (n++)
                sb_putc(sb, ',');
            sb_puts(sb, "{\"role\":");
            put_str(sb, role->valuestring);
            sb_puts(sb, ",\"content\":");
            put_str(sb, content->valuestring);
            sb_putc(sb, '}');
        }
        cJSON_Delete(h);
    }
    if (it->prompt) {
        if (n++)
            sb_putc(sb, ',');
        sb_puts(sb, "{\"role\":\"user\",\"content\":");
        put_str(sb, it->prompt);
        sb_putc(sb, '}');
    }
    sb_putc(sb, ']');
}

/* Flatten the prompt to one string for the standard (non-conversational) layout:
 * history turns are kept in HH's "\n\nHuman: / \n\nAssistant:" transcript style. */
static void
prompt_flat(struct strbuf *sb, const struct store_item *it)
{
    struct strbuf t = STRBUF_INIT;
    int has_history = 0;
    if (it->history) {
        cJSON *h = cJSON_Parse(it->history);
        const cJSON *m;
        cJSON_ArrayForEach(m, h)
        {
            const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
            const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
            if (!cJSON_IsString(role) || !cJSON_IsString(content) ||
                cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "after_prompt")))
                continue;
            sb_printf(&t, "\n\n%s: %s",
                      strcmp(role->valuestring, "assistant") ? "Human" : "Assistant",
                      content->valuestring);
            has_history = 1;
        }
        cJSON_Delete(h);
    }
    if (has_history) {
        sb_printf(&t, "\n\nHuman: %s\n\nAssistant:", it->prompt ? it->prompt : "");
        put_str(sb, sb_str(&t));
    } else {
        put_str(sb, it->prompt ? it->prompt : "");
    }
    sb_free(&t);
}

static void
emit_line(struct export_state *x)
{
    sb_putc(&x->sb, '\n');
    fwrite(x->sb.p, 1, x->sb.len, x->out);
    sb_reset(&x->sb);
    x->res->rows++;
}

static void
csv_field(struct strbuf *sb, const char *s)
{
    if (!s)
        return;
    sb_putc(sb, '"');
    for (; *s; s++) {
        if (*s == '"')
            sb_putc(sb, '"');
        sb_putc(sb, *s);
    }
    sb_putc(sb, '"');
}

/* Remember an annotator for the AnnotatedPairs "annotators" object. */
static void
ap_note_annotator(struct export_state *x, const char *name)
{
    for (int i = 0; i < x->n_annotators; i++)
        if (!strcmp(x->annotators[i], name))
            return;
    x->annotators = xrealloc(x->annotators, (size_t)(x->n_annotators + 1) * sizeof *x->annotators);
    x->annotators[x->n_annotators++] = xstrdup(name);
}

/* The AnnotatedPairs vote of a judgment, seen from the exported (a, b) order.  Ties
 * and unparseable verdicts have no "a"/"b" vote: they are written as null with a
 * no_pref_reason ("tie", or the one the judgment was imported with, else
 * "invalid") so that import restores them. */
static void
ap_vote(struct strbuf *sb, const struct store_judgment *o, int flipped)
{
    if (!strcmp(o->verdict, "A") || !strcmp(o->verdict, "B")) {
        int a = (strcmp(o->verdict, "A") == 0) != flipped;
        sb_puts(sb, a ? "{\"pref\":\"a\"}" : "{\"pref\":\"b\"}");
        return;
    }
    const char *reason = "tie";
    cJSON *meta = NULL;
    if (strcmp(o->verdict, "tie")) {
        reason = "invalid";
        meta = o->meta ? cJSON_Parse(o->meta) : NULL;
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(meta, "no_pref_reason");
        if (cJSON_IsString(r))
            reason = r->valuestring;
    }
    sb_puts(sb, "{\"pref\":null,\"no_pref_reason\":");
    put_str(sb, reason);
    sb_putc(sb, '}');
    cJSON_Delete(meta);
}

/* "annotators": {name: {name, description, type}} for every annotator written;
 * "principle:<text>" annotators are principles with their text as description. */
static void
ap_annotators(struct export_state *x)
{
    struct strbuf *sb = &x->sb;
    sb_puts(sb, ",\n  \"annotators\": {");
    for (int i = 0; i < x->n_annotators; i++) {
        const char *a = x->annotators[i];
        int principle = !strncmp(a, "principle:", 10);
        sb_puts(sb, i ? ",\n    " : "\n    ");
        put_str(sb, a);
        sb_puts(sb, ": {\"name\": ");
        put_str(sb, a);
        sb_puts(sb, ", \"description\": ");
        if (principle) {
            put_str(sb, a + 10);
        } else {
            struct strbuf d = STRBUF_INIT;
            sb_printf(&d, "prefscope annotator %s", a);
            put_str(sb, sb_str(&d));
            sb_free(&d);
        }
        sb_printf(sb, ", \"type\": \"%s\"}", principle ? "principle" : "unknown");
        free(x->annotators[i]);
    }
    sb_puts(sb, "\n  }");
    free(x->annotators);
    x->annotators = NULL;
    x->n_annotators = 0;
}

static void
csv_row(struct export_state *x, const struct store_item *it, const struct store_judgment *j)
{
    struct strbuf *sb = &x->sb;
    int a = j ? j->a : 0, b = j ? j->b : 1;
    sb_printf(sb, "%lld,", (long long)it->seq);
    csv_field(sb, it->ext_id);
    sb_putc(sb, ',');
    csv_field(sb, it->system);
    sb_putc(sb, ',');
    csv_field(sb, it->history);
    sb_putc(sb, ',');
    csv_field(sb, it->prompt);
    for (int side = 0; side < 2; side++) {
        int r = side ? b : a;
        sb_putc(sb, ',');
        csv_field(sb, r < it->n_resp ? it->resp[r].text : NULL);
    }
    for (int side = 0; side < 2; side++) {
        int r = side ? b : a;
        sb_putc(sb, ',');
        csv_field(sb, r < it->n_resp ? it->resp[r].model : NULL);
    }
    sb_putc(sb, ',');
    if (j) {
        csv_field(sb, j->verdict);
        sb_putc(sb, ',');
        if (j->has_p)
            sb_printf(sb, "%.17g", j->p_a);
        sb_putc(sb, ',');
        csv_field(sb, j->annotator);
        sb_putc(sb, ',');
        csv_field(sb, j->rationale);
    } else {
        sb_puts(sb, ",,,");
    }
    emit_line(x);
}

/* CSV: one row per judgment (of every annotator, or only --annotator's), and one
 * row with an empty verdict for an item nobody judged, so that importing the file
 * back with --map (id=index) gives the same items. */
static void
csv_item(struct export_state *x, const struct store_item *it)
{
    int rows = 0;
    for (int k = 0; k < it->n_judg; k++) {
        const struct store_judgment *j = &it->judg[k];
        if (x->only_annotator && strcmp(j->annotator, x->annotator))
            continue;
        csv_row(x, it, j);
        rows++;
    }
    if (!rows) {
        csv_row(x, it, NULL);
        x->res->skipped_unlabeled++;
    }
}

static int
export_item(void *ud, const struct store_item *it, struct ps_err *err)
{
    struct export_state *x = ud;
    struct strbuf *sb = &x->sb;
    (void)err;
    x->res->items++;
    if (x->kind == EX_JSONL) {
        fmt_item_to_json(it, sb);
        emit_line(x);
        return 0;
    }
    if (x->kind == EX_KTO) {
        /* KTO: every response with a kto/label rating, or both sides of a decisive pair */
        int any = 0;
        for (int i = 0; i < it->n_rating; i++) {
            const struct store_rating *r = &it->rating[i];
            if (strcmp(r->aspect, "kto") && strcmp(r->aspect, "label"))
                continue;
            sb_puts(sb, "{\"prompt\":");
            prompt_flat(sb, it);
            sb_puts(sb, ",\"completion\":");
            put_str(sb, it->resp[r->resp].text);
            sb_printf(sb, ",\"label\":%s}", r->value > 0.5 ? "true" : "false");
            emit_line(x);
            any = 1;
        }
        if (any)
            return 0;
    }
    if (x->kind == EX_CSV) {
        csv_item(x, it);
        return 0;
    }
    int decisive = 0;
    for (int k = 0; k < it->n_judg; k++) {
        const struct store_judgment *j = &it->judg[k];
        if (strcmp(j->annotator, x->annotator))
            continue;
        int chosen, rejected;
        if (!strcmp(j->verdict, "A")) {
            chosen = j->a;
            rejected = j->b;
        } else if (!strcmp(j->verdict, "B")) {
            chosen = j->b;
            rejected = j->a;
        } else {
            x->res->skipped_ties++;
            decisive = 1;
            continue;
        }
        decisive = 1;
        const char *ct = it->resp[chosen].text, *rt = it->resp[rejected].text;
        if (x->kind == EX_TRL) {
            sb_puts(sb, "{\"prompt\":");
            prompt_flat(sb, it);
            sb_puts(sb, ",\"chosen\":");
            put_str(sb, ct ? ct : "");
            sb_puts(sb, ",\"rejected\":");
            put_str(sb, rt ? rt : "");
            sb_putc(sb, '}');
            emit_line(x);
        } else if (x->kind == EX_TRL_CONV) {
            sb_puts(sb, "{\"prompt\":");
            prompt_messages(sb, it);
            sb_puts(sb, ",\"chosen\":[{\"role\":\"assistant\",\"content\":");
            put_str(sb, ct ? ct : "");
            sb_puts(sb, "}],\"rejected\":[{\"role\":\"assistant\",\"content\":");
            put_str(sb, rt ? rt : "");
            sb_puts(sb, "}]}");
            emit_line(x);
        } else if (x->kind == EX_KTO) {
            for (int side = 0; side < 2; side++) {
                sb_puts(sb, "{\"prompt\":");
                prompt_flat(sb, it);
                sb_puts(sb, ",\"completion\":");
                put_str(sb, side == 0 ? ct : rt);
                sb_printf(sb, ",\"label\":%s}", side == 0 ? "true" : "false");
                emit_line(x);
            }
        } else if (x->kind == EX_AP) {
            sb_puts(sb, x->first ? "\n    {" : ",\n    {");
            x->first = 0;
            sb_printf(sb, "\"id\":\"%lld-%d\",\"prompt\":", (long long)it->seq, k);
            put_str(sb, it->prompt);
            sb_puts(sb, ",\"response_a\":{\"text\":");
            put_str(sb, it->resp[j->a].text);
            sb_puts(sb, ",\"model\":");
            put_str(sb, it->resp[j->a].model);
            sb_puts(sb, "},\"response_b\":{\"text\":");
            put_str(sb, it->resp[j->b].text);
            sb_puts(sb, ",\"model\":");
            put_str(sb, it->resp[j->b].model);
            sb_puts(sb, "},\"annotations\":{");
            /* every annotator's verdict on the same ordered pair */
            int na = 0;
            for (int q = 0; q < it->n_judg; q++) {
                const struct store_judgment *o = &it->judg[q];
                int flipped;
                if (o->a == j->a && o->b == j->b)
                    flipped = 0;
                else if (o->a == j->b && o->b == j->a)
                    flipped = 1;
                else
                    continue;
                if (na++)
                    sb_putc(sb, ',');
                put_str(sb, o->annotator);
                sb_putc(sb, ':');
                ap_vote(sb, o, flipped);
                ap_note_annotator(x, o->annotator);
            }
            sb_printf(sb, "},\"metadata\":{\"index\":%lld}}", (long long)it->seq);
            fwrite(sb->p, 1, sb->len, x->out);
            sb_reset(sb);
            x->res->rows++;
        }
    }
    if (!decisive)
        x->res->skipped_unlabeled++;
    return 0;
}

int
export_dataset(struct store *st, int64_t dataset_id, const struct export_opts *opts, FILE *out,
               struct export_result *res, struct ps_err *err)
{
    static const struct {
        const char *name;
        enum export_kind kind;
    } kinds[] = {{"trl", EX_TRL}, {"trl-conversational", EX_TRL_CONV},
                 {"kto", EX_KTO}, {"jsonl", EX_JSONL},
                 {"csv", EX_CSV}, {"annotated-pairs", EX_AP}};
    if (!strcmp(opts->format, "parquet"))
        return parquet_export(st, dataset_id, opts, out, res, err);
    struct export_state x;
    memset(&x, 0, sizeof x);
    memset(res, 0, sizeof *res);
    int found = 0;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(kinds[i].name, opts->format)) {
            x.kind = kinds[i].kind;
            found = 1;
        }
    if (!found)
        return ps_error(err, PS_ERR_USAGE, "unknown export format '%s' (expected %s)", opts->format,
                        EXPORT_FORMATS);
    struct store_dataset d;
    if (store_dataset_get(st, dataset_id, &d, err) != PS_OK)
        return err->code;
    /* whose verdicts decide: the requested annotator, else 'dataset', else the first one */
    if (opts->annotator) {
        snprintf(res->annotator, sizeof res->annotator, "%s", opts->annotator);
    } else if (strstr(d.annotators, "dataset")) {
        snprintf(res->annotator, sizeof res->annotator, "dataset");
    } else {
        size_t n = strcspn(d.annotators, ",");
        snprintf(res->annotator, sizeof res->annotator, "%.*s", (int)n, d.annotators);
    }
    store_dataset_free(&d);
    x.annotator = res->annotator;
    x.only_annotator = opts->annotator != NULL;
    x.out = out;
    x.res = res;
    x.first = 1;
    if (x.kind == EX_CSV)
        fputs("index,id,system,history,prompt,response_a,response_b,model_a,model_b,verdict,p_a,"
              "annotator,rationale\n",
              out);
    if (x.kind == EX_AP) {
        fputs(
            "{\n  \"metadata\": {\"version\": \"2.0\", \"description\": \"exported by prefscope\","
            " \"default_annotator\": ",
            out);
        struct strbuf a = STRBUF_INIT;
        put_str(&a, res->annotator);
        fputs(sb_str(&a), out);
        sb_free(&a);
        fputs("},\n  \"comparisons\": [", out);
    }
    int rc = store_item_foreach(st, dataset_id, export_item, &x, err);
    if (x.kind == EX_AP) {
        fputs("\n  ]", out);
        ap_annotators(&x);
        fwrite(x.sb.p ? x.sb.p : "", 1, x.sb.len, out);
        fputs("\n}\n", out);
    }
    sb_free(&x.sb);
    if (rc == PS_OK && ferror(out))
        rc = ps_error(err, PS_ERR_IO, "write error");
    return rc;
}
