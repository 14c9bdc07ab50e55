#include "formats/export.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/sanitize.h"
#include "core/strbuf.h"
#include "core/xalloc.h"
#include "formats/formats.h"
#include "formats/parquet_write.h"
#include "store/judgments.h"
#include "store/store.h"

enum export_kind { EX_TRL, EX_TRL_CONV, EX_KTO, EX_JSONL, EX_CSV, EX_AP };

/* An AnnotatedPairs annotator id: one per (annotator, order shown, repetition). */
struct ap_annotator {
    char *id, *name;
    int b_first; /* the judgment showed response_b first (a swapped judge's second order) */
};

struct export_state {
    enum export_kind kind;
    const char *annotator;
    int only_annotator; /* CSV: --annotator given, so only that annotator's rows */
    int trl_messages;   /* trl/kto: some item has a system prompt or a history, so every
                           prompt is a message list (TRL's conversational layout) */
    FILE *out;
    struct export_result *res;
    struct strbuf sb;
    int first;
    /* annotated-pairs: the distinct annotator ids written, for the "annotators" object */
    struct ap_annotator *annotators;
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

/* ---- what a format cannot carry ---- */

/* Count what an item holds that the format drops entirely (ratings, rationales,
 * tags, model names), so the summary can say so. */
static void
count_unkept(struct export_state *x, const struct store_item *it)
{
    struct export_result *r = x->res;
    int keeps_rationale = x->kind == EX_CSV;
    int keeps_models = x->kind == EX_CSV || x->kind == EX_AP;
    r->lost_ratings += it->n_rating;
    r->lost_tags += it->n_tags;
    for (int k = 0; k < it->n_judg; k++)
        if (it->judg[k].rationale && !keeps_rationale)
            r->lost_rationales++;
    for (int i = 0; i < it->n_resp; i++)
        if (it->resp[i].model && !keeps_models)
            r->lost_models++;
}

/* ---- AnnotatedPairs ---- */

/* The annotator id for judgment `j` of a comparison (ra, rb): the annotator's name
 * when it showed the pair in the comparison's order, "<name> [b first]" when it showed
 * response_b first; a second judgment of the same kind on the same comparison gets
 * " #2", " #3"... so that no key repeats inside one "annotations" object. */
static const char *
ap_annotator_id(struct export_state *x, const char *name, int b_first, int rep, struct strbuf *tmp)
{
    sb_reset(tmp);
    sb_puts(tmp, name);
    if (b_first)
        sb_puts(tmp, " [b first]");
    if (rep > 1)
        sb_printf(tmp, " #%d", rep);
    const char *id = sb_str(tmp);
    for (int i = 0; i < x->n_annotators; i++)
        if (!strcmp(x->annotators[i].id, id))
            return x->annotators[i].id;
    x->annotators = xrealloc(x->annotators, (size_t)(x->n_annotators + 1) * sizeof *x->annotators);
    x->annotators[x->n_annotators] = (struct ap_annotator){xstrdup(id), xstrdup(name), b_first};
    return x->annotators[x->n_annotators++].id;
}

/* The AnnotatedPairs vote of a judgment, seen from the comparison's (a, b) order.
 * Ties and unreadable verdicts have no "a"/"b" vote: they are written as null with
 * a no_pref_reason ("tie", or the one the judgment was imported with, else
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
        if (cJSON_IsString(r) && strcmp(r->valuestring, "tie"))
            reason = r->valuestring;
    }
    sb_puts(sb, "{\"pref\":null,\"no_pref_reason\":");
    put_str(sb, reason);
    sb_putc(sb, '}');
    cJSON_Delete(meta);
}

/* "annotators": {id: {name, description, type}} for every id written;
 * "principle:<text>" annotators are principles with their text as description; an
 * id that saw response_b first says so ("presented": "b_first"), which import
 * reads back as the order the judge saw. */
static void
ap_annotators(struct export_state *x)
{
    struct strbuf *sb = &x->sb;
    sb_puts(sb, ",\n  \"annotators\": {");
    for (int i = 0; i < x->n_annotators; i++) {
        const struct ap_annotator *a = &x->annotators[i];
        int principle = !strncmp(a->name, "principle:", 10);
        sb_puts(sb, i ? ",\n    " : "\n    ");
        put_str(sb, a->id);
        sb_puts(sb, ": {\"name\": ");
        put_str(sb, a->name);
        sb_puts(sb, ", \"description\": ");
        if (principle) {
            put_str(sb, a->name + 10);
        } else {
            struct strbuf d = STRBUF_INIT;
            sb_printf(&d, "prefscope annotator %s%s", a->name,
                      a->b_first ? ", shown response_b first" : "");
            put_str(sb, sb_str(&d));
            sb_free(&d);
        }
        sb_printf(sb, ", \"type\": \"%s\"", principle ? "principle" : "unknown");
        if (a->b_first)
            sb_puts(sb, ", \"presented\": \"b_first\"");
        sb_putc(sb, '}');
        free(a->id);
        free(a->name);
    }
    sb_puts(sb, "\n  }");
    free(x->annotators);
    x->annotators = NULL;
    x->n_annotators = 0;
}

/* One comparison of responses (ra, rb) of an item, with every judgment of that
 * unordered pair (each annotator, each order it was shown in). */
static void
ap_comparison(struct export_state *x, const struct store_item *it, int ra, int rb, int n_pairs)
{
    struct strbuf *sb = &x->sb, tmp = STRBUF_INIT;
    sb_puts(sb, x->first ? "\n    {" : ",\n    {");
    x->first = 0;
    if (n_pairs > 1)
        sb_printf(sb, "\"id\":\"%lld/%d-%d\"", (long long)it->seq + 1, ra + 1, rb + 1);
    else
        sb_printf(sb, "\"id\":\"%lld\"", (long long)it->seq + 1);
    sb_puts(sb, ",\"prompt\":");
    put_str(sb, it->prompt);
    if (it->system) {
        sb_puts(sb, ",\"system\":");
        put_str(sb, it->system);
    }
    if (it->history) {
        sb_puts(sb, ",\"history\":");
        fmt_json_for_terminal(it->history, sb);
    }
    for (int side = 0; side < 2; side++) {
        const struct store_response *r = &it->resp[side ? rb : ra];
        sb_puts(sb, side ? "},\"response_b\":{\"text\":" : ",\"response_a\":{\"text\":");
        put_str(sb, r->text);
        sb_puts(sb, ",\"model\":");
        put_str(sb, r->model);
    }
    sb_puts(sb, "},\"annotations\":{");
    int na = 0;
    for (int q = 0; q < it->n_judg; q++) {
        const struct store_judgment *o = &it->judg[q];
        int flipped;
        if (o->a == ra && o->b == rb)
            flipped = 0;
        else if (o->a == rb && o->b == ra)
            flipped = 1;
        else
            continue;
        /* the repetition number of this (annotator, order) on this comparison */
        int rep = 1;
        for (int p = 0; p < q; p++)
            if (!strcmp(it->judg[p].annotator, o->annotator) && it->judg[p].a == o->a &&
                it->judg[p].b == o->b)
                rep++;
        if (na++)
            sb_putc(sb, ',');
        put_str(sb, ap_annotator_id(x, o->annotator, flipped, rep, &tmp));
        sb_putc(sb, ':');
        ap_vote(sb, o, flipped);
        if (o->has_p && o->p_a != 0 && o->p_a != 1 && o->p_a != 0.5)
            x->res->lost_fractions++;
        if (o->weight != 1)
            x->res->lost_weights++;
    }
    sb_printf(sb, "},\"metadata\":{\"index\":%lld}}", (long long)it->seq + 1);
    fwrite(sb->p, 1, sb->len, x->out);
    sb_reset(sb);
    sb_free(&tmp);
    x->res->rows++;
}

/* AnnotatedPairs: one comparison per judged pair of responses (the pair (A, B) of
 * an item nobody judged), so every judgment of every annotator is written; groups
 * of more than two responses become several comparisons. */
static void
ap_item(struct export_state *x, const struct store_item *it)
{
    if (it->n_resp < 2) {
        x->res->lost_short_items++;
        return;
    }
    int n = it->n_resp, n_pairs = 0;
    unsigned char *pair = xcalloc((size_t)n * (size_t)n, 1), *used = xcalloc((size_t)n, 1);
    for (int k = 0; k < it->n_judg; k++) {
        int a = it->judg[k].a, b = it->judg[k].b;
        if (a < 0 || b < 0 || a >= n || b >= n || a == b)
            continue;
        int lo = a < b ? a : b, hi = a < b ? b : a;
        if (!pair[lo * n + hi]++)
            n_pairs++;
    }
    if (!n_pairs) {
        pair[1] = 1;
        n_pairs = 1;
    }
    for (int lo = 0; lo < n; lo++)
        for (int hi = lo + 1; hi < n; hi++)
            if (pair[lo * n + hi]) {
                ap_comparison(x, it, lo, hi, n_pairs);
                used[lo] = used[hi] = 1;
            }
    if (n > 2)
        x->res->split_groups++;
    for (int i = 0; i < n; i++)
        if (!used[i])
            x->res->lost_responses++;
    free(pair);
    free(used);
}

/* ---- CSV ---- */

/* One row: the pair (a, b) with judgment j, (a, b) without a verdict (j NULL), or
 * response a alone (b < 0: empty response_b and verdict). */
static void
csv_row(struct export_state *x, const struct store_item *it, int a, int b,
        const struct store_judgment *j)
{
    struct strbuf *sb = &x->sb;
    sb_printf(sb, "%lld,", (long long)it->seq + 1);
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
        csv_field(sb, r >= 0 && r < it->n_resp ? it->resp[r].text : NULL);
    }
    for (int side = 0; side < 2; side++) {
        int r = side ? b : a;
        sb_putc(sb, ',');
        csv_field(sb, r >= 0 && r < it->n_resp ? it->resp[r].model : NULL);
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
        if (j->weight != 1)
            x->res->lost_weights++;
    } else {
        sb_puts(sb, ",,,");
    }
    emit_line(x);
}

/* Before a row that shows responses a and b, write single-response rows for the
 * responses that must come first, so that reading the file back (responses are
 * appended in order of first appearance) gives every response its position. */
static void
csv_introduce(struct export_state *x, const struct store_item *it, unsigned char *seen, int a,
              int b)
{
    for (;;) {
        int next = 0;
        while (next < it->n_resp && seen[next])
            next++;
        int need[2], nn = 0;
        if (a >= 0 && !seen[a])
            need[nn++] = a;
        if (b >= 0 && !seen[b])
            need[nn++] = b;
        if (!nn || (need[0] == next && (nn == 1 || need[1] == next + 1)))
            break;
        csv_row(x, it, next, -1, NULL);
        seen[next] = 1;
    }
    if (a >= 0)
        seen[a] = 1;
    if (b >= 0)
        seen[b] = 1;
}

/* CSV: one row per judgment (of every annotator, or only --annotator's), the pair
 * (A, B) without a verdict for an item nobody judged, and one row per response that
 * no row shows, so that importing the file back with --map (id=index) gives the same
 * items with every response in its place. */
static void
csv_item(struct export_state *x, const struct store_item *it)
{
    int rows = 0;
    unsigned char *seen = xcalloc((size_t)it->n_resp + 1, 1);
    for (int k = 0; k < it->n_judg; k++) {
        const struct store_judgment *j = &it->judg[k];
        if (x->only_annotator && strcmp(j->annotator, x->annotator)) {
            x->res->lost_judgments++;
            continue;
        }
        if (j->a < 0 || j->b < 0 || j->a >= it->n_resp || j->b >= it->n_resp)
            continue;
        csv_introduce(x, it, seen, j->a, j->b);
        csv_row(x, it, j->a, j->b, j);
        rows++;
    }
    if (!rows) {
        x->res->unlabeled++;
        if (it->n_resp >= 2) {
            csv_introduce(x, it, seen, 0, 1);
            csv_row(x, it, 0, 1, NULL);
        }
    }
    for (int i = 0; i < it->n_resp; i++)
        if (!seen[i]) {
            csv_row(x, it, i, -1, NULL);
            seen[i] = 1;
        }
    free(seen);
}

/* ---- TRL and KTO ---- */

static void
trl_prompt(struct export_state *x, const struct store_item *it)
{
    if (x->kind == EX_TRL_CONV || x->trl_messages)
        prompt_messages(&x->sb, it);
    else
        put_str(&x->sb, it->prompt ? it->prompt : "");
}

enum { side_label_false, side_label_true };

/* One KTO record {prompt, completion, label}; with message prompts the completion is
 * an assistant message list too, as in TRL's conversational KTO layout. */
static void
kto_row(struct export_state *x, const struct store_item *it, const char *text, int good)
{
    struct strbuf *sb = &x->sb;
    sb_puts(sb, "{\"prompt\":");
    trl_prompt(x, it);
    sb_puts(sb, ",\"completion\":");
    if (x->trl_messages)
        sb_puts(sb, "[{\"role\":\"assistant\",\"content\":");
    put_str(sb, text ? text : "");
    if (x->trl_messages)
        sb_puts(sb, "}]");
    sb_printf(sb, ",\"label\":%s}", good ? "true" : "false");
    emit_line(x);
}

static void
pair_row(struct export_state *x, const struct store_item *it, int chosen, int rejected)
{
    struct strbuf *sb = &x->sb;
    const char *ct = it->resp[chosen].text, *rt = it->resp[rejected].text;
    int msgs = x->kind == EX_TRL_CONV || x->trl_messages;
    if (x->kind == EX_KTO) {
        kto_row(x, it, ct, side_label_true);
        kto_row(x, it, rt, side_label_false);
        return;
    }
    sb_puts(sb, "{\"prompt\":");
    trl_prompt(x, it);
    for (int side = 0; side < 2; side++) {
        const char *t = side ? rt : ct;
        sb_puts(sb, side ? ",\"rejected\":" : ",\"chosen\":");
        if (msgs)
            sb_puts(sb, "[{\"role\":\"assistant\",\"content\":");
        put_str(sb, t ? t : "");
        if (msgs)
            sb_puts(sb, "}]");
    }
    sb_putc(sb, '}');
    emit_line(x);
}

/* TRL and KTO: the decisive verdicts of one annotator as chosen/rejected pairs
 * (KTO: a kto/label rating per response when the item has them). */
static void
pairs_item(struct export_state *x, const struct store_item *it)
{
    unsigned char *used = xcalloc((size_t)it->n_resp + 1, 1);
    int written = 0;
    if (x->kind == EX_KTO) {
        for (int i = 0; i < it->n_rating; i++) {
            const struct store_rating *r = &it->rating[i];
            if ((strcmp(r->aspect, "kto") && strcmp(r->aspect, "label")) || r->resp < 0 ||
                r->resp >= it->n_resp)
                continue;
            kto_row(x, it, it->resp[r->resp].text, r->value > 0.5);
            used[r->resp] = 1;
            written++;
            x->res->lost_ratings--; /* carried: it is the label */
        }
    }
    for (int k = 0; k < it->n_judg && !written; k++) {
        const struct store_judgment *j = &it->judg[k];
        if (strcmp(j->annotator, x->annotator) || j->a < 0 || j->b < 0 || j->a >= it->n_resp ||
            j->b >= it->n_resp)
            continue;
        if (!strcmp(j->verdict, "A") || !strcmp(j->verdict, "B")) {
            int a_won = !strcmp(j->verdict, "A");
            pair_row(x, it, a_won ? j->a : j->b, a_won ? j->b : j->a);
            used[j->a] = used[j->b] = 1;
        } else if (!strcmp(j->verdict, "tie")) {
            x->res->ties++;
        } else {
            x->res->invalid++;
        }
    }
    int mine = 0;
    for (int k = 0; k < it->n_judg; k++) {
        if (strcmp(it->judg[k].annotator, x->annotator))
            x->res->lost_judgments++;
        else
            mine++;
    }
    if (!mine && !written)
        x->res->unlabeled++;
    if (it->n_resp > 2)
        x->res->split_groups++;
    for (int i = 0; i < it->n_resp; i++)
        if (!used[i])
            x->res->lost_responses++;
    free(used);
}

static int
export_item(void *ud, const struct store_item *it, struct ps_err *err)
{
    struct export_state *x = ud;
    (void)err;
    x->res->items++;
    if (x->kind == EX_JSONL) {
        fmt_item_to_json(it, &x->sb);
        emit_line(x);
        return 0;
    }
    count_unkept(x, it);
    if (x->trl_messages && (it->system || it->history))
        x->res->messages_for_context++;
    if (x->kind == EX_CSV)
        csv_item(x, it);
    else if (x->kind == EX_AP)
        ap_item(x, it);
    else
        pairs_item(x, it);
    return 0;
}

/* store_item_foreach callback: stop at the first item with a system prompt or a
 * history. */
static int
find_context(void *ud, const struct store_item *it, struct ps_err *err)
{
    (void)err;
    if (!it->system && !it->history)
        return 0;
    *(int *)ud = 1;
    return 1;
}

void
export_report(const struct export_result *res, const char *format, FILE *f)
{
    struct strbuf annot = STRBUF_INIT;
    fprintf(f, "exported %ld rows from %ld items (verdicts of '%s')\n", res->rows, res->items,
            text_clean(&annot, res->annotator));
    sb_free(&annot);
    if (res->messages_for_context)
        fprintf(f,
                "%s: %ld items have a system prompt or a history: every prompt is written as"
                " a message list (TRL's conversational layout) so that they are kept\n",
                format, res->messages_for_context);
    static const struct {
        size_t off;
        const char *what;
    } counts[] = {
#define LOSS(field, text) {offsetof(struct export_result, field), text}
        LOSS(ties, "ties"),
        LOSS(invalid, "invalid verdicts"),
        LOSS(unlabeled, "items without a verdict"),
        LOSS(lost_judgments, "judgments by other annotators"),
        LOSS(lost_responses, "responses in no exported pair"),
        LOSS(lost_short_items, "items with fewer than two responses"),
        LOSS(lost_ratings, "ratings"),
        LOSS(lost_rationales, "rationales"),
        LOSS(lost_tags, "tags"),
        LOSS(lost_models, "model names"),
        LOSS(lost_weights, "judgment weights other than 1"),
        LOSS(lost_fractions, "fractional p_a values (the verdict is kept)"),
#undef LOSS
    };
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        long n = *(const long *)(const void *)((const char *)res + counts[i].off);
        if (n > 0)
            sb_printf(&sb, "%s%ld %s", sb.len ? ", " : "", n, counts[i].what);
    }
    if (sb.len)
        fprintf(f, "%s: not written (the format cannot hold them): %s\n", format, sb_str(&sb));
    if (res->split_groups)
        fprintf(f, "%s: %ld items with more than two responses were written as separate pairs\n",
                format, res->split_groups);
    sb_free(&sb);
}

/* store_judgment_keys callback: note that there is one, and stop. */
static int
any_judgment(void *ud, int64_t item_id, int64_t resp_a, int64_t resp_b)
{
    (void)item_id, (void)resp_a, (void)resp_b;
    *(int *)ud = 1;
    return 1;
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
    /* whose verdicts decide: the requested annotator, else 'dataset', else the first one
     * (of those that judged: an annotator with only ratings decides nothing) */
    if (opts->annotator) {
        snprintf(res->annotator, sizeof res->annotator, "%s", opts->annotator);
    } else {
        char first[128] = "";
        const char *a = d.annotators;
        while (*a) {
            size_t n = strcspn(a, ",");
            char name[128];
            snprintf(name, sizeof name, "%.*s", (int)n, a);
            int judged = 0;
            if (store_judgment_keys(st, dataset_id, name, any_judgment, &judged, err) != PS_OK &&
                !judged) {
                store_dataset_free(&d);
                return err->code;
            }
            if (judged && !first[0])
                snprintf(first, sizeof first, "%s", name);
            if (judged && !strcmp(name, "dataset")) {
                snprintf(first, sizeof first, "dataset");
                break;
            }
            a += n + (a[n] == ',');
        }
        snprintf(res->annotator, sizeof res->annotator, "%s", first[0] ? first : "dataset");
    }
    store_dataset_free(&d);
    x.annotator = res->annotator;
    x.only_annotator = opts->annotator != NULL;
    x.out = out;
    x.res = res;
    x.first = 1;
    if (x.kind == EX_TRL || x.kind == EX_KTO) {
        /* TRL's standard layout (strings) has no place for a system prompt or earlier
         * turns; its conversational layout (message lists) does.  One layout per file,
         * so one such item switches them all. */
        int rc = store_item_foreach(st, dataset_id, find_context, &x.trl_messages, err);
        if (rc != PS_OK && !x.trl_messages)
            return rc;
    }
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
