/* The generic format: any JSON / JSONL / CSV record read through an explicit --map
 * (formats/fieldmap.h, docs/formats.md).  CSV rows are seen as flat objects keyed by
 * the header. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "formats/csv.h"
#include "formats/fieldmap.h"
#include "formats/formats.h"
#include "formats/join.h"
#include "formats/joinfile.h"
#include "formats/jsonstream.h"

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

/* Is a label an integer: a JSON number, or a CSV cell of digits (in CSV every value is
 * a string)? */
static int
label_is_integer(const cJSON *v, int csv)
{
    if (cJSON_IsNumber(v))
        return 1;
    if (!csv || !cJSON_IsString(v) || !*v->valuestring)
        return 0;
    const char *p = v->valuestring + (*v->valuestring == '-');
    if (!*p)
        return 0;
    for (; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    return 1;
}

struct label_values {
    char vals[16][24];
    int n;
    long records;
};

static void
label_values_add(struct label_values *lv, const cJSON *v)
{
    char text[24];
    if (cJSON_IsNumber(v))
        snprintf(text, sizeof text, "%.17g", v->valuedouble);
    else if (cJSON_IsString(v))
        snprintf(text, sizeof text, "%s", v->valuestring);
    else
        return;
    lv->records++;
    for (int i = 0; i < lv->n; i++)
        if (!strcmp(lv->vals[i], text))
            return;
    if (lv->n < 16)
        memcpy(lv->vals[lv->n++], text, sizeof text);
}

static int
cmp_label_value(const void *x, const void *y)
{
    double a = atof(x), b = atof(y);
    return (a > b) - (a < b);
}

/* Collect the distinct values of the label field over the whole file (a second pass;
 * a pipe cannot be read twice, so then only the record at hand counts). */
static void
scan_label_values(struct fmt_job *job, const struct field_map_entry *le, struct label_values *lv)
{
    struct stat stt;
    struct ps_err ignored = {0, ""};
    if (stat(job->path, &stt) != 0 || !S_ISREG(stt.st_mode))
        return;
    memset(lv, 0, sizeof *lv);
    if (job->header) {
        struct csv_reader c;
        struct csv_row hdr = {0}, row = {0};
        size_t n = strlen(job->path);
        char sep = (n > 4 && !strcmp(job->path + n - 4, ".tsv")) ||
                           (n > 7 && !strcmp(job->path + n - 7, ".tsv.gz"))
                       ? '\t'
                       : ',';
        if (csv_open(&c, job->path, sep, &ignored) != PS_OK)
            return;
        if (csv_next(&c, &hdr, &ignored) > 0)
            while (csv_next(&c, &row, &ignored) > 0) {
                cJSON *o = cJSON_CreateObject();
                for (int i = 0; i < row.n && i < hdr.n; i++)
                    cJSON_AddItemToObject(o, hdr.field[i], cJSON_CreateString(row.field[i]));
                label_values_add(lv, fieldmap_resolve(le->path, o));
                cJSON_Delete(o);
            }
        csv_row_free(&hdr);
        csv_row_free(&row);
        csv_close(&c);
        return;
    }
    struct json_stream js;
    cJSON *o;
    if (js_open(&js, job->path, &ignored) != PS_OK)
        return;
    while (js_next(&js, &o, &ignored) > 0) {
        label_values_add(lv, fieldmap_resolve(le->path, o));
        cJSON_Delete(o);
    }
    js_close(&js);
}

/* Integer labels (0/1/2...) mean different things in different datasets, so they are
 * never read with the default value lists: refuse, showing the values found and the
 * --map entries to add. */
static int
refuse_integer_labels(struct fmt_job *job, const struct field_map_entry *le, const cJSON *v,
                      struct ps_err *err)
{
    struct label_values lv;
    memset(&lv, 0, sizeof lv);
    label_values_add(&lv, v);
    scan_label_values(job, le, &lv);
    qsort(lv.vals, (size_t)lv.n, sizeof lv.vals[0], cmp_label_value);
    struct strbuf found = STRBUF_INIT, flags = STRBUF_INIT;
    static const char *const targets[] = {"label.a", "label.b", "label.tie"};
    for (int i = 0; i < lv.n; i++) {
        sb_printf(&found, "%s%s", i ? ", " : "", lv.vals[i]);
        if (i < 3)
            sb_printf(&flags, "%s%s=%s", i ? "," : "", targets[i], lv.vals[i]);
    }
    int rc = fmt_fail(job, err,
                      "field '%s' (label) holds integers (values found: %s%s); say which means"
                      " what by adding to --map, e.g. ',%s' (A better, B better, tie: check"
                      " the dataset's documentation)",
                      le->source, sb_str(&found), lv.n == 16 ? ", ..." : "", sb_str(&flags));
    sb_free(&found);
    sb_free(&flags);
    return rc;
}

/* Neither label nor p_a holds a value (absent, null or an empty cell). */
static int
record_unlabeled(const struct field_map *m, const cJSON *o)
{
    static const char *const targets[] = {"label", "p_a"};
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        const struct field_map_entry *e = fieldmap_get(m, targets[i]);
        const cJSON *v = e ? fieldmap_resolve(e->path, o) : NULL;
        if (v && !cJSON_IsNull(v) && !(cJSON_IsString(v) && !*v->valuestring))
            return 0;
    }
    return 1;
}

/* Does a response target (response, a, chosen) read the same message list as the
 * prompt?  Then that list ends with the response: see fmt_generic_record. */
static int
response_in_prompt(const struct field_map *m, const cJSON *o, const cJSON *pv)
{
    static const char *const targets[] = {"response", "a", "chosen"};
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        const struct field_map_entry *e = fieldmap_get(m, targets[i]);
        if (e && fieldmap_resolve(e->path, o) == pv)
            return 1;
    }
    return 0;
}

/* Index of the last assistant message of a list, or -1. */
static int
last_assistant(const cJSON *msgs)
{
    int n = cJSON_GetArraySize(msgs), last = -1;
    for (int i = 0; i < n; i++) {
        const char *role = fmt_message_role(cJSON_GetArrayItem(msgs, i));
        if (role && !strcmp(role, "assistant"))
            last = i;
    }
    return last;
}

/* A number from a JSON number or a numeric string; 0 = absent (null, "", missing), 1 =
 * read, -1 = not a number (error set). */
static int
mapped_number(struct fmt_job *job, const cJSON *v, const char *source, const char *target,
              double *out, struct ps_err *err)
{
    static const char *const missing[] = {"", "N/A", "n/a", "NA", "null", "None", "-"};
    if (!v || cJSON_IsNull(v))
        return 0;
    for (size_t i = 0; cJSON_IsString(v) && i < sizeof missing / sizeof missing[0]; i++)
        if (!strcmp(v->valuestring, missing[i]))
            return 0; /* a missing value, as UltraFeedback's "N/A" ratings */
    if (cJSON_IsNumber(v)) {
        *out = v->valuedouble;
        return 1;
    }
    if (cJSON_IsString(v)) {
        char *end;
        *out = strtod(v->valuestring, &end);
        if (end != v->valuestring && !*end)
            return 1;
        fmt_fail(job, err, "field '%s': expected a number for %s, found \"%.40s\"", source, target,
                 v->valuestring);
        return -1;
    }
    fmt_fail(job, err, "field '%s': expected a number for %s, found %s", source, target,
             fmt_json_type(v));
    return -1;
}

/* responses=LIST (with models=LIST): every element a response (a string, a message, or
 * a list of messages: the last one's content). */
static int
list_responses(struct fmt_job *job, const cJSON *o, struct ps_record *rec, struct ps_err *err)
{
    const struct field_map_entry *e = fieldmap_get(job->map, "responses");
    const cJSON *rv = fieldmap_resolve(e->path, o);
    if (!rv || cJSON_IsNull(rv))
        return fmt_fail(job, err, "field '%s' (responses) is missing or null", e->source);
    if (!cJSON_IsArray(rv))
        return fmt_fail(job, err, "field '%s' (responses): expected a list, found %s", e->source,
                        fmt_json_type(rv));
    const struct field_map_entry *me = fieldmap_get(job->map, "models");
    const cJSON *models = me ? fieldmap_resolve(me->path, o) : NULL;
    int i = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, rv)
    {
        const char *text = NULL;
        if (!cJSON_IsNull(x) && fmt_response_text(job, x, e->source, &text, err))
            return err->code;
        const cJSON *mv = cJSON_IsArray(models) ? cJSON_GetArrayItem(models, i) : NULL;
        if (ps_record_add_response(rec, text, cJSON_IsString(mv) ? mv->valuestring : NULL) < 0)
            return fmt_fail(job, err, "field '%s': more than %d responses in one record", e->source,
                            PS_REC_MAX_RESP);
        i++;
    }
    return PS_OK;
}

/* One derived judgment of (a, b) from two values where higher is better: A when
 * va - vb > margin, B when vb - va > margin, else a tie.  Its meta names the rule. */
static int
derived_judgment(struct fmt_job *job, struct ps_record *rec, int a, int b, double va, double vb,
                 double margin, const char *rule, const char *annotator, struct ps_err *err)
{
    const char *v = va - vb > margin ? "A" : vb - va > margin ? "B" : "tie";
    int k = ps_record_add_judgment(rec, a, b, annotator, v,
                                   *v == 'A'   ? 1.0
                                   : *v == 'B' ? 0.0
                                               : 0.5,
                                   NULL);
    if (k < 0)
        return fmt_fail(job, err, "more than %d derived pairs in one record (try pairs=best)",
                        PS_REC_MAX_JUDG);
    rec->judg[k].meta_json =
        fmt_tmp_printf(job, "{\"derived\":\"%s\",\"margin\":%g}", rule, margin);
    return PS_OK;
}

/* Per-response lists parallel to responses=: ratings.ASPECT=, ranks= (1 = best) and
 * scores= are kept as ratings; ranks (and scores, with pairs=) become judgments of all
 * pairs or of the best against each other (pairs=best). */
static int
list_ratings(struct fmt_job *job, const cJSON *o, struct ps_record *rec, const char *annotator,
             struct ps_err *err)
{
    const struct field_map *m = job->map;
    double val[PS_REC_MAX_RESP];
    int have[PS_REC_MAX_RESP], derive = 0;
    double margin = fieldmap_get(m, "margin") ? atof(fieldmap_get(m, "margin")->source) : 0;
    const char *rule = NULL;
    for (int i = 0; i < m->n; i++) {
        const char *t = m->e[i].target, *aspect;
        int sign = 1;
        if (!strncmp(t, "ratings.", 8))
            aspect = t + 8;
        else if (!strcmp(t, "ranks"))
            aspect = "rank", sign = -1;
        else if (!strcmp(t, "scores"))
            aspect = "score";
        else
            continue;
        const cJSON *lv = fieldmap_resolve(m->e[i].path, o);
        if (!lv || cJSON_IsNull(lv))
            continue;
        if (!cJSON_IsArray(lv))
            return fmt_fail(job, err, "field '%s' (%s): expected a list, found %s", m->e[i].source,
                            t, fmt_json_type(lv));
        int takes = !strcmp(t, "ranks") ||
                    (!strcmp(t, "scores") && fieldmap_get(m, "pairs") && !fieldmap_get(m, "ranks"));
        for (int r = 0; r < rec->n_resp; r++) {
            double d;
            int got = mapped_number(job, cJSON_GetArrayItem(lv, r), m->e[i].source, t, &d, err);
            if (got < 0)
                return err->code;
            if (got)
                ps_record_add_rating(rec, r, aspect, d, annotator);
            if (takes) {
                have[r] = got;
                val[r] = sign * d;
            }
        }
        if (takes) {
            derive = 1;
            rule = aspect;
        }
    }
    if (!derive)
        return PS_OK;
    const struct field_map_entry *pe = fieldmap_get(m, "pairs");
    if (pe && !strcmp(pe->source, "best")) {
        int best = -1;
        for (int r = 0; r < rec->n_resp; r++)
            if (have[r] && (best < 0 || val[r] > val[best]))
                best = r;
        for (int r = 0; best >= 0 && r < rec->n_resp; r++)
            if (r != best && have[r] &&
                derived_judgment(job, rec, best, r, val[best], val[r], margin, rule, annotator,
                                 err))
                return err->code;
        return PS_OK;
    }
    for (int a = 0; a < rec->n_resp; a++)
        for (int b = a + 1; b < rec->n_resp; b++)
            if (have[a] && have[b] &&
                derived_judgment(job, rec, a, b, val[a], val[b], margin, rule, annotator, err))
                return err->code;
    return PS_OK;
}

int
fmt_generic_record(struct fmt_job *job, const cJSON *o, struct ps_err *err)
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
    /* group=: records with the same value (e.g. the prompt) are one item, as with id=,
     * without storing the value as the id */
    const char *group;
    if (mapped_opt(job, o, "group", &group, err))
        return err->code;
    if (group && !rec.key) {
        const char *parts[] = {group};
        rec.key = fmt_hash_key(job, "group", parts, 1);
    }
    const struct field_map_entry *pe = fieldmap_get(m, "prompt");
    const cJSON *pv = pe ? fieldmap_resolve(pe->path, o) : NULL;
    /* prompt and response read one message list (a KTO file's `messages` that end with
     * the completion): the last assistant message is the response, the turns before
     * it are the history and the prompt */
    int cut = -1;
    if (cJSON_IsArray(pv) && response_in_prompt(m, o, pv))
        cut = last_assistant(pv);
    if (cJSON_IsArray(pv)) {
        const char *sys = NULL;
        if (fmt_split_messages(job, pv, cut >= 0 ? cut : cJSON_GetArraySize(pv), pe->source, &sys,
                               &rec.history_json, &rec.prompt, err))
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
        if (b && !*b && record_unlabeled(m, o))
            b = NULL; /* a row with one response (export --format csv writes them) */
        else if (fieldmap_get(m, "b") && require(job, "b", b, err))
            return err->code;
    } else if (fieldmap_get(m, "response")) {
        if (mapped_text(job, o, "response", &single, err) || require(job, "response", single, err))
            return err->code;
        a = single;
    } else if (fieldmap_get(m, "responses")) {
        if (list_responses(job, o, &rec, err))
            return err->code;
    } /* else a prompt-only record: an item without responses, ready for generation */
    if (cut >= 0) {
        const char *t = fmt_message_content(job, cJSON_GetArrayItem(pv, cut));
        if (single)
            single = a = t;
        else if (a &&
                 fieldmap_resolve(fieldmap_get(m, chosen_form ? "chosen" : "a")->path, o) == pv)
            a = t;
    }
    const char *ma, *mb;
    if (mapped_opt(job, o, "model.a", &ma, err) || mapped_opt(job, o, "model.b", &mb, err))
        return err->code;
    if (a)
        ps_record_add_response(&rec, a, ma);
    if (b || (a && !single && mb))
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
    const struct field_map_entry *lbe = fieldmap_get(m, "label");
    const cJSON *lbv = lbe ? fieldmap_resolve(lbe->path, o) : NULL;
    if (cJSON_IsObject(lbv) || cJSON_IsArray(lbv))
        return fmt_fail(job, err,
                        "field '%s' (label): expected a string, a number or a boolean,"
                        " found %s",
                        lbe->source, fmt_json_type(lbv));
    if (mapped_text(job, o, "label", &label, err))
        return err->code;
    if (label && !*label)
        label = NULL; /* an empty cell: unlabeled */
    const struct field_map_entry *le = fieldmap_get(m, "label");
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
    } else if (rec.n_resp == 2 && fieldmap_get(m, "score.a")) {
        /* two scores, higher better: kept as ratings; both present give a verdict */
        double sc[2];
        int got[2];
        for (int side = 0; side < 2; side++) {
            const struct field_map_entry *se = fieldmap_get(m, side ? "score.b" : "score.a");
            got[side] = mapped_number(job, fieldmap_resolve(se->path, o), se->source, se->target,
                                      &sc[side], err);
            if (got[side] < 0)
                return err->code;
            if (got[side])
                ps_record_add_rating(&rec, side, "score", sc[side], annotator);
        }
        const struct field_map_entry *me = fieldmap_get(m, "margin");
        if (got[0] && got[1] &&
            derived_judgment(job, &rec, 0, 1, sc[0], sc[1], me ? atof(me->source) : 0, "score",
                             annotator, err))
            return err->code;
    } else if (rec.n_resp == 2 && pae && p_numeric) {
        if (!(p_val >= 0 && p_val <= 1))
            return fmt_fail(job, err,
                            "field '%s' (p_a): expected a probability in [0, 1], found %g",
                            pae->source, p_val);
        ps_record_add_judgment(&rec, 0, 1, annotator, ps_verdict_from_p(p_val), p_val, rationale);
    } else if (rec.n_resp == 2 && label) {
        const cJSON *lv = fieldmap_resolve(le->path, o);
        if (label_is_integer(lv, job->header != NULL) && !fieldmap_get(m, "label.a") &&
            !fieldmap_get(m, "label.b") && !fieldmap_get(m, "label.tie"))
            return refuse_integer_labels(job, le, lv, err);
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
    if (fieldmap_get(m, "responses") && list_ratings(job, o, &rec, annotator, err))
        return err->code;
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
    cJSON *w = job->joins ? fmt_joins_wrap(job->joins, o, job->index) : NULL;
    int rc = fmt_generic_record(job, w ? w : o, err);
    fieldmap_release(job->map);
    cJSON_Delete(w);
    return rc;
}

static int
generic_csv(struct fmt_job *job, const struct csv_row *row, struct ps_err *err)
{
    if (!job->map)
        return fmt_fail(job, err, "the generic format needs --map (see docs/formats.md)");
    cJSON *o = cJSON_CreateObject();
    for (int i = 0; i < row->n; i++)
        cJSON_AddItemToObject(o, job->header->field[i], cJSON_CreateString(row->field[i]));
    cJSON *w = job->joins ? fmt_joins_wrap(job->joins, o, job->index) : NULL;
    int rc = fmt_generic_record(job, w ? w : o, err);
    fieldmap_release(job->map);
    cJSON_Delete(w);
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
