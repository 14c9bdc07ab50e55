/* The generic format: any JSON / JSONL / CSV record read through an explicit --map
 * (formats/fieldmap.h, docs/formats.md).  CSV rows are seen as flat objects keyed by
 * the header. */
#include <stdlib.h>
#include <string.h>

#include "formats/fieldmap.h"
#include "formats/formats.h"

/* Text of a mapped field: strings as is, numbers and booleans printed. */
static int
mapped_text(struct fmt_job *job, const cJSON *o, const char *target, const char **out,
            struct ps_err *err)
{
    const struct field_map_entry *e = fieldmap_get(job->map, target);
    *out = NULL;
    if (!e)
        return PS_OK;
    const cJSON *v = fieldmap_resolve(e->path, o);
    if (!v || cJSON_IsNull(v))
        return PS_OK;
    if (cJSON_IsString(v))
        *out = v->valuestring;
    else if (cJSON_IsNumber(v))
        *out = fmt_tmp_printf(job, "%.17g", v->valuedouble);
    else if (cJSON_IsBool(v))
        *out = cJSON_IsTrue(v) ? "true" : "false";
    else if (cJSON_IsObject(v) || cJSON_IsArray(v))
        return fmt_response_text(job, v, e->source, out, err);
    return PS_OK;
}

/* As mapped_text for optional metadata: an empty string (an empty CSV cell) is
 * absent. */
static int
mapped_opt(struct fmt_job *job, const cJSON *o, const char *target, const char **out,
           struct ps_err *err)
{
    if (mapped_text(job, o, target, out, err) != PS_OK)
        return err->code;
    if (*out && !**out)
        *out = NULL;
    return PS_OK;
}

static int
require(struct fmt_job *job, const char *target, const char *val, struct ps_err *err)
{
    if (val)
        return PS_OK;
    const struct field_map_entry *e = fieldmap_get(job->map, target);
    return fmt_fail(job, err, "field '%s' (mapped to %s) is missing or null", e->source, target);
}

/* Does `value` equal one of the comma-free alternatives in `list` ("x|y|z")? */
static int
label_matches(const char *value, const char *list)
{
    size_t n = strlen(value);
    const char *p = list;
    while (*p) {
        size_t len = strcspn(p, "|");
        if (len == n && !strncmp(p, value, n))
            return 1;
        p += len;
        if (*p)
            p++;
    }
    return 0;
}

static const char *
label_list(const struct field_map *m, const char *target, const char *dflt)
{
    const struct field_map_entry *e = fieldmap_get(m, target);
    return e ? e->source : dflt;
}

static int
generic_object(struct fmt_job *job, const cJSON *o, struct ps_err *err)
{
    const struct field_map *m = job->map;
    struct ps_record rec;
    ps_record_clear(&rec);
    const char *a = NULL, *b = NULL, *single = NULL;
    int chosen_form = 0;
    if (mapped_opt(job, o, "id", &rec.ext_id, err) ||
        mapped_opt(job, o, "system", &rec.system, err))
        return err->code;
    /* Records sharing an id are one item (more responses, more judgments), as when a
     * CSV has one row per judgment. */
    if (rec.ext_id && *rec.ext_id)
        rec.key = fmt_tmp_printf(job, "id:%s", rec.ext_id);
    const struct field_map_entry *pe = fieldmap_get(m, "prompt");
    const cJSON *pv = pe ? fieldmap_resolve(pe->path, o) : NULL;
    if (cJSON_IsArray(pv)) {
        const char *sys = NULL;
        if (fmt_split_messages(job, pv, cJSON_GetArraySize(pv), pe->source, &sys, &rec.history_json,
                               &rec.prompt, err))
            return err->code;
        if (sys && !rec.system)
            rec.system = sys;
    } else if (mapped_text(job, o, "prompt", &rec.prompt, err)) {
        return err->code;
    }
    const struct field_map_entry *he = fieldmap_get(m, "history");
    const cJSON *hv = he ? fieldmap_resolve(he->path, o) : NULL;
    cJSON *parsed = NULL;
    if (cJSON_IsString(hv) && *hv->valuestring) {
        /* a CSV cell (or string field) holding the message list as JSON text */
        parsed = cJSON_Parse(hv->valuestring);
        if (!cJSON_IsArray(parsed)) {
            cJSON_Delete(parsed);
            return fmt_fail(job, err, "field '%s' (history): expected a JSON list of messages",
                            he->source);
        }
        hv = parsed;
    } else if (hv && !cJSON_IsNull(hv) && !cJSON_IsArray(hv) &&
               !(cJSON_IsString(hv) && !*hv->valuestring)) {
        return fmt_fail(job, err, "field '%s' (history): expected a list of messages, found %s",
                        he->source, fmt_json_type(hv));
    }
    if (cJSON_IsArray(hv) && cJSON_GetArraySize(hv) == 0)
        hv = NULL;
    if (cJSON_IsArray(hv)) {
        const char *sys, *prompt, *hist;
        if (fmt_split_messages(job, hv, cJSON_GetArraySize(hv), he->source, &sys, &hist, &prompt,
                               err)) {
            cJSON_Delete(parsed);
            return err->code;
        }
        /* the history field holds the turns before the prompt, so keep them all */
        rec.history_json = fmt_tmp_json(job, hv);
    }
    cJSON_Delete(parsed);
    if (fieldmap_get(m, "chosen")) {
        chosen_form = 1;
        if (mapped_text(job, o, "chosen", &a, err) || require(job, "chosen", a, err) ||
            mapped_text(job, o, "rejected", &b, err) || require(job, "rejected", b, err))
            return err->code;
    } else if (fieldmap_get(m, "a")) {
        if (mapped_text(job, o, "a", &a, err) || require(job, "a", a, err) ||
            mapped_text(job, o, "b", &b, err))
            return err->code;
        if (fieldmap_get(m, "b") && require(job, "b", b, err))
            return err->code;
    } else {
        if (mapped_text(job, o, "response", &single, err) || require(job, "response", single, err))
            return err->code;
        a = single;
    }
    const char *ma, *mb;
    if (mapped_opt(job, o, "model.a", &ma, err) || mapped_opt(job, o, "model.b", &mb, err))
        return err->code;
    ps_record_add_response(&rec, a, ma);
    if (b || (!single && mb))
        ps_record_add_response(&rec, b, mb);

    const char *annotator = label_list(m, "annotator.name", "dataset"), *av;
    if (mapped_opt(job, o, "annotator", &av, err))
        return err->code;
    if (av)
        annotator = av;
    const char *rationale;
    if (mapped_opt(job, o, "rationale", &rationale, err))
        return err->code;

    const char *label;
    if (mapped_text(job, o, "label", &label, err))
        return err->code;
    if (label && !*label)
        label = NULL; /* an empty cell: unlabeled */
    const struct field_map_entry *pae = fieldmap_get(m, "p_a");
    /* p_a decides when it holds a number; an empty or null cell falls back to label */
    double p_val = 0;
    int p_numeric = 0;
    if (pae) {
        const cJSON *v = fieldmap_resolve(pae->path, o);
        if (cJSON_IsNumber(v)) {
            p_val = v->valuedouble;
            p_numeric = 1;
        } else if (cJSON_IsString(v) && *v->valuestring) {
            char *end;
            p_val = strtod(v->valuestring, &end);
            if (end == v->valuestring || *end)
                return fmt_fail(job, err, "field '%s' (p_a): expected a number, found \"%.40s\"",
                                pae->source, v->valuestring);
            p_numeric = 1;
        } else if (v && !cJSON_IsNull(v) && !cJSON_IsString(v)) {
            return fmt_fail(job, err, "field '%s' (p_a): expected a number, found %s", pae->source,
                            fmt_json_type(v));
        }
    }
    if (single && label) {
        const char *good = label_list(m, "label.good", "true|1|good|yes|thumbs_up|up");
        const char *bad = label_list(m, "label.bad", "false|0|bad|no|thumbs_down|down");
        double v;
        if (label_matches(label, good))
            v = 1;
        else if (label_matches(label, bad))
            v = 0;
        else
            return fmt_fail(job, err,
                            "label \"%.40s\" is neither label.good (%s) nor label.bad (%s)", label,
                            good, bad);
        ps_record_add_rating(&rec, 0, "label", v, annotator);
    } else if (rec.n_resp == 2 && chosen_form) {
        ps_record_add_judgment(&rec, 0, 1, annotator, "A", 1.0, rationale);
    } else if (rec.n_resp == 2 && pae && p_numeric) {
        if (!(p_val >= 0 && p_val <= 1))
            return fmt_fail(job, err,
                            "field '%s' (p_a): expected a probability in [0, 1], found %g",
                            pae->source, p_val);
        ps_record_add_judgment(&rec, 0, 1, annotator, ps_verdict_from_p(p_val), p_val, rationale);
    } else if (rec.n_resp == 2 && label) {
        const char *la =
            label_list(m, "label.a", "a|A|1|response_a|model_a|output_1|text_a|chosen");
        const char *lb =
            label_list(m, "label.b", "b|B|2|response_b|model_b|output_2|text_b|rejected");
        const char *lt = label_list(m, "label.tie", "tie|Tie|TIE|draw|0|0.5|tie (bothbad)");
        const char *li = label_list(m, "label.invalid", "");
        if (label_matches(label, la))
            ps_record_add_judgment(&rec, 0, 1, annotator, "A", 1.0, rationale);
        else if (label_matches(label, lb))
            ps_record_add_judgment(&rec, 0, 1, annotator, "B", 0.0, rationale);
        else if (label_matches(label, lt))
            ps_record_add_judgment(&rec, 0, 1, annotator, "tie", 0.5, rationale);
        else if (*li && label_matches(label, li))
            ps_record_add_judgment(&rec, 0, 1, annotator, "invalid", 0, rationale);
        else
            return fmt_fail(
                job, err,
                "label \"%.40s\" matches none of label.a (%s), label.b (%s), label.tie (%s)", label,
                la, lb, lt);
    }
    for (int i = 0; i < m->n; i++) {
        const char *t = m->e[i].target;
        int resp;
        const char *aspect;
        if (!strncmp(t, "rating.a.", 9)) {
            resp = 0;
            aspect = t + 9;
        } else if (!strncmp(t, "rating.b.", 9)) {
            resp = 1;
            aspect = t + 9;
        } else if (!strncmp(t, "rating.response.", 16)) {
            resp = 0;
            aspect = t + 16;
        } else {
            continue;
        }
        if (resp >= rec.n_resp)
            continue;
        const cJSON *v = fieldmap_resolve(m->e[i].path, o);
        if (!v || cJSON_IsNull(v) || (cJSON_IsString(v) && !*v->valuestring))
            continue;
        double d;
        if (cJSON_IsNumber(v)) {
            d = v->valuedouble;
        } else if (cJSON_IsString(v)) {
            char *end;
            d = strtod(v->valuestring, &end);
            if (end == v->valuestring || *end)
                return fmt_fail(job, err, "field '%s': expected a number for %s, found \"%.40s\"",
                                m->e[i].source, t, v->valuestring);
        } else {
            return fmt_fail(job, err, "field '%s': expected a number for %s, found %s",
                            m->e[i].source, t, fmt_json_type(v));
        }
        ps_record_add_rating(&rec, resp, aspect, d, annotator);
    }
    const struct field_map_entry *te = fieldmap_get(m, "tags");
    const cJSON *tv = te ? fieldmap_resolve(te->path, o) : NULL;
    if (cJSON_IsString(tv) && *tv->valuestring) {
        ps_record_add_tag(&rec, tv->valuestring);
    } else if (cJSON_IsArray(tv)) {
        const cJSON *t;
        cJSON_ArrayForEach(t, tv) if (cJSON_IsString(t)) ps_record_add_tag(&rec, t->valuestring);
    }
    return fmt_emit(job, &rec, err);
}

static int
generic_json(struct fmt_job *job, const cJSON *o, struct ps_err *err)
{
    if (!job->map)
        return fmt_fail(job, err, "the generic format needs --map (see docs/formats.md)");
    return generic_object(job, o, err);
}

static int
generic_csv(struct fmt_job *job, const struct csv_row *row, struct ps_err *err)
{
    if (!job->map)
        return fmt_fail(job, err, "the generic format needs --map (see docs/formats.md)");
    cJSON *o = cJSON_CreateObject();
    for (int i = 0; i < row->n; i++)
        cJSON_AddItemToObject(o, job->header->field[i], cJSON_CreateString(row->field[i]));
    int rc = generic_object(job, o, err);
    cJSON_Delete(o);
    return rc;
}

const struct import_format format_generic = {
    .name = "generic",
    .summary = "any JSON, JSONL or CSV records, read through --map",
    .mapping = "as given by --map",
    .json_record = generic_json,
    .csv_record = generic_csv,
};
