/* AnnotatedPairs v2 (ICAI, feedback-forensics): one JSON document
 *   {metadata: {version, default_annotator, ...},
 *    annotators: {<id>: {name?, description, type: "principle"|"unknown"|...}},
 *    comparisons: [{id, prompt, response_a: {text, model}, response_b: {...},
 *                   annotations: {<annotator id>: {pref: "a"|"b"|null,
 *                                                  no_pref_reason?}},
 *                   metadata: {...}}]}
 *
 * One item per comparison (key "ap:<id>", so AnnotatedPairs files annotating the
 * same comparisons merge), one judgment per annotation.  Annotator names:
 *   - type "principle"            -> "principle:<description>"
 *   - a name in prefscope's "kind:name" form ("llm:gpt-4", "human:ann") -> the name
 *   - the metadata's default_annotator (the dataset's own label) -> "dataset"
 *   - otherwise the name, else the id.
 * pref "a" -> A, "b" -> B.  A null vote is kept as verdict "invalid" (no p_a) with
 * {"pref": null, "no_pref_reason": ...} in its meta, except no_pref_reason "tie"
 * (what prefscope's exporter writes for ties) -> tie.  Every judgment's meta also
 * holds {"annotator_id": <id>}.
 *
 * prefscope's exporter adds what AnnotatedPairs has no field for: a comparison's
 * "system" (string) and "history" (list of {role, content}), and annotators that saw
 * response_b first ({"presented": "b_first"}, the second order of a swapped judge):
 * their judgments are stored in the order shown (a = 1, b = 0). */
#include <string.h>

#include "formats/formats.h"
#include "formats/join.h"

static int
ap_detect(const cJSON *o, const char *path)
{
    (void)path;
    if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(o, "comparisons")))
        return 0;
    return cJSON_GetObjectItemCaseSensitive(o, "metadata") ||
                   cJSON_GetObjectItemCaseSensitive(o, "annotators")
               ? 95
               : 60;
}

/* Did annotator `id` see response_b first (prefscope's "presented": "b_first")? */
static int
annotator_b_first(const cJSON *annotators, const char *id)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(annotators, id);
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(a, "presented");
    return cJSON_IsString(p) && !strcmp(p->valuestring, "b_first");
}

static const char *
annotator_name(struct fmt_job *job, const cJSON *annotators, const char *id, const char *dflt)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(annotators, id);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(a, "type");
    const cJSON *desc = cJSON_GetObjectItemCaseSensitive(a, "description");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(a, "name");
    if (cJSON_IsString(type) && !strcmp(type->valuestring, "principle") && cJSON_IsString(desc))
        return fmt_tmp_printf(job, "principle:%s", desc->valuestring);
    if (cJSON_IsString(name) && strchr(name->valuestring, ':'))
        return name->valuestring;
    if (dflt && !strcmp(id, dflt))
        return "dataset";
    if (cJSON_IsString(name) && *name->valuestring)
        return name->valuestring;
    return id;
}

static int
response_of(struct fmt_job *job, const cJSON *c, const char *field, int ci, const char **text,
            const char **model, struct ps_err *err)
{
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(c, field);
    *text = *model = NULL;
    if (cJSON_IsString(r)) {
        *text = r->valuestring;
        return PS_OK;
    }
    if (!cJSON_IsObject(r))
        return fmt_fail(job, err, "comparisons[%d].%s: expected an object {text, model}, found %s",
                        ci, field, fmt_json_type(r));
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(r, "text");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(r, "model");
    if (t && !cJSON_IsNull(t) && !cJSON_IsString(t))
        return fmt_fail(job, err, "comparisons[%d].%s.text: expected a string, found %s", ci, field,
                        fmt_json_type(t));
    *text = cJSON_IsString(t) ? t->valuestring : NULL;
    *model = cJSON_IsString(m) ? m->valuestring : NULL;
    return PS_OK;
}

static int
ap_comparison(struct fmt_job *job, const cJSON *c, int ci, const cJSON *annotators,
              const char *dflt, struct ps_err *err)
{
    if (!cJSON_IsObject(c))
        return fmt_fail(job, err, "comparisons[%d]: expected an object, found %s", ci,
                        fmt_json_type(c));
    struct ps_record rec;
    ps_record_clear(&rec);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "id");
    const cJSON *prompt = cJSON_GetObjectItemCaseSensitive(c, "prompt");
    if (prompt && !cJSON_IsNull(prompt) && !cJSON_IsString(prompt))
        return fmt_fail(job, err, "comparisons[%d].prompt: expected a string, found %s", ci,
                        fmt_json_type(prompt));
    rec.prompt = cJSON_IsString(prompt) ? prompt->valuestring : NULL;
    const cJSON *sys = cJSON_GetObjectItemCaseSensitive(c, "system");
    if (sys && !cJSON_IsNull(sys) && !cJSON_IsString(sys))
        return fmt_fail(job, err, "comparisons[%d].system: expected a string, found %s", ci,
                        fmt_json_type(sys));
    rec.system = cJSON_IsString(sys) ? sys->valuestring : NULL;
    const cJSON *hist = cJSON_GetObjectItemCaseSensitive(c, "history");
    if (hist && !cJSON_IsNull(hist)) {
        const char *hs, *hp, *hh;
        if (!cJSON_IsArray(hist))
            return fmt_fail(job, err,
                            "comparisons[%d].history: expected a list of messages, found %s", ci,
                            fmt_json_type(hist));
        /* validates every message; the list is kept whole */
        if (fmt_split_messages(job, hist, cJSON_GetArraySize(hist), "history", &hs, &hh, &hp, err))
            return err->code;
        if (cJSON_GetArraySize(hist))
            rec.history_json = fmt_tmp_json(job, hist);
    }
    const char *ta, *ma, *tb, *mb;
    if (response_of(job, c, "response_a", ci, &ta, &ma, err) ||
        response_of(job, c, "response_b", ci, &tb, &mb, err))
        return err->code;
    if (cJSON_IsString(id))
        rec.ext_id = id->valuestring;
    else if (cJSON_IsNumber(id))
        rec.ext_id = fmt_tmp_printf(job, "%.17g", id->valuedouble);
    if (rec.ext_id) {
        rec.key = fmt_occurrence_key(job, fmt_tmp_printf(job, "ap:%s", rec.ext_id));
    } else {
        const char *parts[] = {rec.prompt, ta, tb};
        rec.key = fmt_occurrence_key(job, fmt_hash_key(job, "ap", parts, 3));
    }
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(c, "metadata");
    if (cJSON_IsObject(md) && cJSON_GetArraySize(md))
        rec.meta_json = fmt_tmp_printf(job, "{\"metadata\":%s}", fmt_tmp_json(job, md));
    ps_record_add_response(&rec, ta, ma);
    ps_record_add_response(&rec, tb, mb);

    const cJSON *anns = cJSON_GetObjectItemCaseSensitive(c, "annotations");
    if (anns && !cJSON_IsObject(anns))
        return fmt_fail(job, err, "comparisons[%d].annotations: expected an object, found %s", ci,
                        fmt_json_type(anns));
    const cJSON *an;
    int emitted = 0;
    cJSON_ArrayForEach(an, anns)
    {
        const char *aid = an->string;
        if (!cJSON_IsObject(an))
            return fmt_fail(job, err,
                            "comparisons[%d].annotations[\"%.40s\"]: expected an object"
                            " {pref}, found %s",
                            ci, aid, fmt_json_type(an));
        const cJSON *pref = cJSON_GetObjectItemCaseSensitive(an, "pref");
        const cJSON *reason = cJSON_GetObjectItemCaseSensitive(an, "no_pref_reason");
        const char *verdict;
        if (cJSON_IsString(pref) &&
            (!strcmp(pref->valuestring, "a") || !strcmp(pref->valuestring, "A")))
            verdict = "A";
        else if (cJSON_IsString(pref) &&
                 (!strcmp(pref->valuestring, "b") || !strcmp(pref->valuestring, "B")))
            verdict = "B";
        else if (!pref || cJSON_IsNull(pref))
            verdict =
                cJSON_IsString(reason) && !strcmp(reason->valuestring, "tie") ? "tie" : "invalid";
        else
            return fmt_fail(
                job, err,
                "comparisons[%d].annotations[\"%.40s\"].pref: expected \"a\", \"b\" or null,"
                " found %s",
                ci, aid, cJSON_IsString(pref) ? pref->valuestring : fmt_json_type(pref));
        if (rec.n_judg == PS_REC_MAX_JUDG) {
            /* more annotators than one record holds: emit and continue on the same key */
            if (fmt_emit(job, &rec, err))
                return err->code;
            if (job->stop)
                return PS_OK;
            rec.n_judg = 0;
            emitted = 1;
        }
        int b_first = annotator_b_first(annotators, aid);
        if (b_first && *verdict == 'A')
            verdict = "B"; /* pref "a" is response_a, which this judge saw second */
        else if (b_first && *verdict == 'B')
            verdict = "A";
        int k = ps_record_add_judgment(&rec, b_first, !b_first,
                                       annotator_name(job, annotators, aid, dflt), verdict,
                                       *verdict == 'A'   ? 1.0
                                       : *verdict == 'B' ? 0.0
                                                         : 0.5,
                                       NULL);
        cJSON *meta = cJSON_CreateObject();
        cJSON_AddStringToObject(meta, "annotator_id", aid);
        if (!strcmp(verdict, "invalid")) {
            cJSON_AddNullToObject(meta, "pref");
            if (reason)
                cJSON_AddItemToObject(meta, "no_pref_reason", cJSON_Duplicate(reason, 1));
        }
        rec.judg[k].meta_json = fmt_tmp_json(job, meta);
        cJSON_Delete(meta);
    }
    if (emitted && rec.n_judg == 0)
        return PS_OK;
    return fmt_emit(job, &rec, err);
}

static int
ap_document(struct fmt_job *job, const cJSON *doc, struct ps_err *err)
{
    if (!cJSON_IsObject(doc))
        return fmt_fail(job, err, "expected an AnnotatedPairs object, found %s",
                        fmt_json_type(doc));
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(doc, "metadata");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(md, "version");
    if (cJSON_IsString(ver) && strncmp(ver->valuestring, "2", 1))
        return fmt_fail(job, err, "metadata.version \"%.20s\": expected an AnnotatedPairs 2.x file",
                        ver->valuestring);
    const cJSON *da = cJSON_GetObjectItemCaseSensitive(md, "default_annotator");
    const char *dflt = cJSON_IsString(da) ? da->valuestring : NULL;
    const cJSON *annotators = cJSON_GetObjectItemCaseSensitive(doc, "annotators");
    if (annotators && !cJSON_IsObject(annotators))
        return fmt_fail(job, err, "field 'annotators': expected an object, found %s",
                        fmt_json_type(annotators));
    const cJSON *comps = cJSON_GetObjectItemCaseSensitive(doc, "comparisons");
    if (!cJSON_IsArray(comps))
        return fmt_fail(job, err, "field 'comparisons': expected an array, found %s",
                        fmt_json_type(comps));
    int ci = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, comps)
    {
        if (ap_comparison(job, c, ci++, annotators, dflt, err))
            return err->code;
        if (job->stop)
            break;
    }
    return PS_OK;
}

static int
ap_record(struct fmt_job *job, const cJSON *obj, struct ps_err *err)
{
    return ap_document(job, obj, err); /* a document written on one line */
}

const struct import_format format_annotated_pairs = {
    .name = "annotated-pairs",
    .summary =
        "AnnotatedPairs v2 JSON {metadata, annotators, comparisons} (ICAI, feedback-forensics)",
    .mapping = "comparisons[] -> items (key 'ap:<id>'); prompt, response_a/b {text, model} ->"
               " responses; annotations {id: {pref}} -> one judgment per annotator ('a' -> A,"
               " 'b' -> B, null -> invalid with no_pref_reason in meta); principle annotators"
               " -> 'principle:<description>', default_annotator -> 'dataset'",
    .detect_json = ap_detect,
    .json_record = ap_record,
    .json_document = ap_document,
};
