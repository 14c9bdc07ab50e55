/* The native prefscope layout: one JSON object per item with its responses,
 * judgments, ratings and tags.  Used by `show --json`, `export --format jsonl`,
 * dry runs, and imported back losslessly by the "prefscope" format. */
#include <math.h>
#include <string.h>

#include "core/utf8.h"
#include "formats/formats.h"
#include "store/store.h"

static void
key_str(struct strbuf *sb, const char *key, const char *val)
{
    sb_json_str(sb, key, strlen(key));
    sb_putc(sb, ':');
    if (val)
        sb_json_str(sb, val, strlen(val));
    else
        sb_puts(sb, "null");
}

static void
key_raw(struct strbuf *sb, const char *key, const char *json)
{
    sb_json_str(sb, key, strlen(key));
    sb_putc(sb, ':');
    /* raw JSON from the workspace (history, meta): C1, bidi and tag characters are
     * written as \\u escapes like sb_json_str's, the same value */
    fmt_json_for_terminal(json && *json ? json : "null", sb);
}

static void
num(struct strbuf *sb, double v)
{
    if (!isfinite(v))
        sb_puts(sb, "null");
    else if (v == (double)(long long)v && fabs(v) < 1e15)
        sb_printf(sb, "%lld", (long long)v);
    else
        sb_printf(sb, "%.17g", v);
}

static void
judgment_json(struct strbuf *sb, int a, int b, const char *annotator, const char *verdict,
              int has_p, double p_a, double weight, const char *rationale, const char *meta)
{
    sb_printf(sb, "{\"a\":%d,\"b\":%d,", a, b);
    key_str(sb, "annotator", annotator);
    sb_putc(sb, ',');
    key_str(sb, "verdict", verdict);
    sb_puts(sb, ",\"p_a\":");
    if (has_p)
        num(sb, p_a);
    else
        sb_puts(sb, "null");
    sb_puts(sb, ",\"weight\":");
    num(sb, weight > 0 ? weight : 1);
    sb_putc(sb, ',');
    key_str(sb, "rationale", rationale);
    if (meta) {
        sb_putc(sb, ',');
        key_raw(sb, "meta", meta);
    }
    sb_putc(sb, '}');
}

/* The parts shared by records (dry runs) and stored items (show, export). */
static void
head_json(struct strbuf *sb, const char *id, const char *key, const char *system,
          const char *history, const char *prompt)
{
    key_str(sb, "id", id);
    sb_putc(sb, ',');
    key_str(sb, "key", key);
    sb_putc(sb, ',');
    key_str(sb, "system", system);
    sb_putc(sb, ',');
    key_raw(sb, "history", history ? history : "[]");
    sb_putc(sb, ',');
    key_str(sb, "prompt", prompt);
}

static void
response_json(struct strbuf *sb, int i, const char *text, const char *model, const char *meta)
{
    if (i)
        sb_putc(sb, ',');
    sb_putc(sb, '{');
    key_str(sb, "text", text);
    sb_putc(sb, ',');
    key_str(sb, "model", model);
    if (meta) {
        sb_putc(sb, ',');
        key_raw(sb, "meta", meta);
    }
    sb_putc(sb, '}');
}

static void
rating_json(struct strbuf *sb, int i, int resp, const char *aspect, double value,
            const char *annotator)
{
    if (i)
        sb_putc(sb, ',');
    sb_printf(sb, "{\"response\":%d,", resp);
    key_str(sb, "aspect", aspect);
    sb_puts(sb, ",\"value\":");
    num(sb, value);
    sb_putc(sb, ',');
    key_str(sb, "annotator", annotator ? annotator : "dataset");
    sb_putc(sb, '}');
}

static void
tail_json(struct strbuf *sb, const char *const *tags, int n_tags, const char *meta)
{
    sb_puts(sb, "],\"tags\":[");
    for (int i = 0; i < n_tags; i++) {
        if (i)
            sb_putc(sb, ',');
        sb_json_str(sb, tags[i], strlen(tags[i]));
    }
    sb_puts(sb, "],");
    key_raw(sb, "meta", meta);
    sb_putc(sb, '}');
}

void
fmt_record_to_json(const struct ps_record *rec, struct strbuf *sb)
{
    sb_putc(sb, '{');
    head_json(sb, rec->ext_id, rec->key, rec->system, rec->history_json, rec->prompt);
    sb_puts(sb, ",\"responses\":[");
    for (int i = 0; i < rec->n_resp; i++)
        response_json(sb, i, rec->resp[i].text, rec->resp[i].model, rec->resp[i].meta_json);
    sb_puts(sb, "],\"judgments\":[");
    for (int i = 0; i < rec->n_judg; i++) {
        const struct ps_rec_judgment *j = &rec->judg[i];
        if (i)
            sb_putc(sb, ',');
        judgment_json(sb, j->a, j->b, j->annotator ? j->annotator : "dataset", j->verdict, j->has_p,
                      j->p_a, j->weight, j->rationale, j->meta_json);
    }
    sb_puts(sb, "],\"ratings\":[");
    for (int i = 0; i < rec->n_rating; i++) {
        const struct ps_rec_rating *x = &rec->rating[i];
        rating_json(sb, i, x->resp, x->aspect, x->value, x->annotator);
    }
    tail_json(sb, rec->tags, rec->n_tags, rec->meta_json);
}

void
fmt_item_to_json(const struct store_item *it, struct strbuf *sb)
{
    sb_putc(sb, '{');
    sb_printf(sb, "\"index\":%lld,", (long long)it->seq + 1); /* the item number users see */
    head_json(sb, it->ext_id, it->key, it->system, it->history, it->prompt);
    sb_puts(sb, ",\"responses\":[");
    for (int i = 0; i < it->n_resp; i++)
        response_json(sb, i, it->resp[i].text, it->resp[i].model, it->resp[i].meta);
    sb_puts(sb, "],\"judgments\":[");
    for (int i = 0; i < it->n_judg; i++) {
        const struct store_judgment *j = &it->judg[i];
        if (i)
            sb_putc(sb, ',');
        judgment_json(sb, j->a, j->b, j->annotator, j->verdict, j->has_p, j->p_a, j->weight,
                      j->rationale, j->meta);
    }
    sb_puts(sb, "],\"ratings\":[");
    for (int i = 0; i < it->n_rating; i++) {
        const struct store_rating *x = &it->rating[i];
        rating_json(sb, i, x->resp, x->aspect, x->value, x->annotator);
    }
    tail_json(sb, (const char *const *)it->tags, it->n_tags, it->meta);
}

void
fmt_json_for_terminal(const char *json, struct strbuf *out)
{
    size_t n = strlen(json), i = 0;
    while (i < n) {
        uint32_t cp;
        int len = utf8_decode(json + i, n - i, &cp);
        if ((len > 1 || cp == 0x7f) && utf8_terminal_active(cp))
            sb_json_u(out, cp);
        else
            sb_append(out, json + i, (size_t)len);
        i += (size_t)len;
    }
}

/* ---- importing the native layout back ---- */

static int
native_detect(const cJSON *o, const char *path)
{
    (void)path;
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(o, "responses");
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, "judgments");
    return cJSON_IsArray(r) && (cJSON_IsArray(j) || j == NULL) ? 95 : 0;
}

static int
native_record(struct fmt_job *job, const cJSON *o, struct ps_err *err)
{
    struct ps_record rec;
    ps_record_clear(&rec);
    if (fmt_get_str(job, o, "id", 0, &rec.ext_id, err) ||
        fmt_get_str(job, o, "key", 0, &rec.key, err) ||
        fmt_get_str(job, o, "system", 0, &rec.system, err) ||
        fmt_get_str(job, o, "prompt", 0, &rec.prompt, err))
        return err->code;
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(o, "history");
    if (h && !cJSON_IsNull(h)) {
        if (!cJSON_IsArray(h))
            return fmt_fail(job, err, "field 'history': expected an array, found %s",
                            fmt_json_type(h));
        if (cJSON_GetArraySize(h) > 0)
            rec.history_json = fmt_tmp_json(job, h);
    }
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "meta");
    if (cJSON_IsObject(m))
        rec.meta_json = fmt_tmp_json(job, m);
    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(o, "responses");
    if (!cJSON_IsArray(rs) || cJSON_GetArraySize(rs) == 0)
        return fmt_fail(job, err, "field 'responses': expected a non-empty array");
    const cJSON *r;
    cJSON_ArrayForEach(r, rs)
    {
        job->field_prefix = fmt_tmp_printf(job, "responses[%d].", rec.n_resp);
        if (!cJSON_IsObject(r))
            return fmt_fail(job, err, "responses[%d]: expected an object, found %s", rec.n_resp,
                            fmt_json_type(r));
        const char *text, *model;
        if (fmt_get_str(job, r, "text", 0, &text, err) ||
            fmt_get_str(job, r, "model", 0, &model, err))
            return err->code;
        int i = ps_record_add_response(&rec, text, model);
        if (i < 0)
            return fmt_fail(job, err, "more than %d responses in one item", PS_REC_MAX_RESP);
        const cJSON *rm = cJSON_GetObjectItemCaseSensitive(r, "meta");
        if (cJSON_IsObject(rm))
            rec.resp[i].meta_json = fmt_tmp_json(job, rm);
    }
    const cJSON *js = cJSON_GetObjectItemCaseSensitive(o, "judgments");
    if (js && !cJSON_IsNull(js) && !cJSON_IsArray(js))
        return fmt_fail(job, err, "field 'judgments': expected an array, found %s",
                        fmt_json_type(js));
    const cJSON *j;
    cJSON_ArrayForEach(j, js)
    {
        job->field_prefix = fmt_tmp_printf(job, "judgments[%d].", rec.n_judg);
        if (!cJSON_IsObject(j))
            return fmt_fail(job, err, "judgments[%d]: expected an object, found %s", rec.n_judg,
                            fmt_json_type(j));
        double a, b, p = 0, w = 1;
        int has_p;
        const char *annot, *verdict, *rationale;
        if (fmt_get_num(job, j, "a", 1, &a, NULL, err) ||
            fmt_get_num(job, j, "b", 1, &b, NULL, err) ||
            fmt_get_num(job, j, "p_a", 0, &p, &has_p, err) ||
            fmt_get_num(job, j, "weight", 0, &w, NULL, err) ||
            fmt_get_str(job, j, "annotator", 0, &annot, err) ||
            fmt_get_str(job, j, "verdict", 1, &verdict, err) ||
            fmt_get_str(job, j, "rationale", 0, &rationale, err))
            return err->code;
        if (strcmp(verdict, "A") && strcmp(verdict, "B") && strcmp(verdict, "tie") &&
            strcmp(verdict, "invalid"))
            return fmt_fail(job, err,
                            "field '%sverdict': expected A, B, tie or invalid, found \"%.20s\"",
                            job->field_prefix, verdict);
        if (a < 0 || b < 0 || a >= rec.n_resp || b >= rec.n_resp)
            return fmt_fail(job, err, "%sa/b: expected response indices below %d, found %g and %g",
                            job->field_prefix, rec.n_resp, a, b);
        int k = ps_record_add_judgment(&rec, (int)a, (int)b, annot, verdict, p, rationale);
        if (k < 0)
            return fmt_fail(job, err, "more than %d judgments in one item", PS_REC_MAX_JUDG);
        rec.judg[k].has_p = has_p;
        rec.judg[k].weight = w;
        const cJSON *jm = cJSON_GetObjectItemCaseSensitive(j, "meta");
        if (cJSON_IsObject(jm))
            rec.judg[k].meta_json = fmt_tmp_json(job, jm);
    }
    const cJSON *xs = cJSON_GetObjectItemCaseSensitive(o, "ratings");
    if (xs && !cJSON_IsNull(xs) && !cJSON_IsArray(xs))
        return fmt_fail(job, err, "field 'ratings': expected an array, found %s",
                        fmt_json_type(xs));
    const cJSON *x;
    cJSON_ArrayForEach(x, xs)
    {
        job->field_prefix = fmt_tmp_printf(job, "ratings[%d].", rec.n_rating);
        if (!cJSON_IsObject(x))
            return fmt_fail(job, err, "ratings[%d]: expected an object, found %s", rec.n_rating,
                            fmt_json_type(x));
        double resp, value;
        const char *aspect, *annot;
        if (fmt_get_num(job, x, "response", 1, &resp, NULL, err) ||
            fmt_get_num(job, x, "value", 1, &value, NULL, err) ||
            fmt_get_str(job, x, "aspect", 1, &aspect, err) ||
            fmt_get_str(job, x, "annotator", 0, &annot, err))
            return err->code;
        if (resp < 0 || resp >= rec.n_resp)
            return fmt_fail(job, err, "%sresponse: expected a response index below %d, found %g",
                            job->field_prefix, rec.n_resp, resp);
        if (ps_record_add_rating(&rec, (int)resp, aspect, value, annot) < 0)
            return fmt_fail(job, err, "more than %d ratings in one item", PS_REC_MAX_RATING);
    }
    job->field_prefix = NULL;
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(o, "tags");
    if (ts && !cJSON_IsNull(ts) && !cJSON_IsArray(ts))
        return fmt_fail(job, err, "field 'tags': expected an array of strings, found %s",
                        fmt_json_type(ts));
    const cJSON *t;
    cJSON_ArrayForEach(t, ts)
    {
        if (!cJSON_IsString(t))
            return fmt_fail(job, err, "field 'tags': expected strings, found %s", fmt_json_type(t));
        if (ps_record_add_tag(&rec, t->valuestring) < 0)
            return fmt_fail(job, err, "more than %d tags in one item", PS_REC_MAX_TAGS);
    }
    return fmt_emit(job, &rec, err);
}

const struct import_format format_native = {
    .name = "prefscope",
    .summary =
        "prefscope's own JSONL (export --format jsonl): items with responses, judgments, ratings",
    .mapping = "id, key, system, history[], prompt -> item; responses[] -> responses;"
               " judgments[] {a, b, annotator, verdict, p_a, weight, rationale} -> judgments;"
               " ratings[] {response, aspect, value, annotator} -> ratings",
    .detect_json = native_detect,
    .json_record = native_record,
};
