/* PandaLM's test set and the judge files that go with it.
 *
 *  pandalm:       testset-v1.json, an array of {idx, motivation_app, cmp_key,
 *                 instruction, input, response1, response2, annotator1..3}.
 *                 Item key "idx:N"; prompt = instruction, plus "\n\n" + input when the
 *                 input is not empty (both kept in the item meta); the models come
 *                 from cmp_key "<model1>_<model2>" (split at the first '_'); each
 *                 annotatorK gives a judgment by "human:annotatorK": 1 -> A, 2 -> B,
 *                 0 -> tie.  A response stored as a JSON boolean (6 in the published
 *                 file) becomes the text "True"/"False", marked {"irregular": ...}.
 *  pandalm-judge: gpt-3.5-turbo-testset-v1.json / pandalm-7b-testset-v1.json, arrays
 *                 of {idx, <x>_result, <x>_reason, <x>_reference}.  No pairs: each
 *                 record adds one judgment to the item "idx:N" of the same dataset,
 *                 so these files are read after the test set.  The annotator is
 *                 "llm:" + the file name before "-testset" (else "llm:<x>");
 *                 1/"1" -> A, 2/"2" -> B, 0/"0"/"Tie" -> tie, anything else (e.g.
 *                 "garbage") -> "invalid" with the raw value in the meta. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "formats/formats.h"
#include "formats/join.h"

static int
pandalm_detect(const cJSON *o, const char *path)
{
    (void)path;
    return cJSON_GetObjectItemCaseSensitive(o, "idx") &&
                   cJSON_GetObjectItemCaseSensitive(o, "response1") &&
                   cJSON_GetObjectItemCaseSensitive(o, "response2") &&
                   cJSON_GetObjectItemCaseSensitive(o, "instruction")
               ? 95
               : 0;
}

/* idx as the text of an integer (numbers or numeric strings). */
static int
get_idx(struct fmt_job *job, const cJSON *o, const char **out, struct ps_err *err)
{
    double d;
    if (fmt_get_num(job, o, "idx", 1, &d, NULL, err))
        return err->code;
    if (d != (double)(long long)d)
        return fmt_fail(job, err, "field 'idx': expected an integer, found %g", d);
    *out = fmt_tmp_printf(job, "%lld", (long long)d);
    return PS_OK;
}

/* A response field.  Six responses of the published file are JSON booleans (a model
 * answered "True" and a Python tool stored it as a bool): they are kept as the text
 * Python wrote for them ("True"/"False"), and reported in *irregular. */
static int
get_response(struct fmt_job *job, const cJSON *o, const char *key, const char **out,
             const char **irregular, struct ps_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsBool(v)) {
        *out = cJSON_IsTrue(v) ? "True" : "False";
        *irregular = fmt_tmp_printf(job, "%s was the JSON boolean %s; stored as the text \"%s\"",
                                    key, cJSON_IsTrue(v) ? "true" : "false", *out);
        return PS_OK;
    }
    return fmt_get_str(job, o, key, 1, out, err);
}

static int
pandalm_record(struct fmt_job *job, const cJSON *o, struct ps_err *err)
{
    struct ps_record rec;
    ps_record_clear(&rec);
    const char *idx = NULL, *instr, *input, *r1, *r2, *cmp, *app, *irregular = NULL;
    if (get_idx(job, o, &idx, err) || fmt_get_str(job, o, "instruction", 1, &instr, err) ||
        fmt_get_str(job, o, "input", 0, &input, err) ||
        get_response(job, o, "response1", &r1, &irregular, err) ||
        get_response(job, o, "response2", &r2, &irregular, err) ||
        fmt_get_str(job, o, "cmp_key", 0, &cmp, err) ||
        fmt_get_str(job, o, "motivation_app", 0, &app, err))
        return err->code;
    rec.key = fmt_tmp_printf(job, "idx:%s", idx);
    rec.ext_id = idx;
    rec.prompt = input && *input ? fmt_tmp_printf(job, "%s\n\n%s", instr, input) : instr;
    cJSON *meta = cJSON_CreateObject();
    cJSON_AddStringToObject(meta, "instruction", instr);
    cJSON_AddStringToObject(meta, "input", input ? input : "");
    if (app)
        cJSON_AddStringToObject(meta, "motivation_app", app);
    if (cmp)
        cJSON_AddStringToObject(meta, "cmp_key", cmp);
    if (irregular) {
        cJSON_AddStringToObject(meta, "irregular", irregular);
        job->sink->n_repaired++;
    }
    rec.meta_json = fmt_tmp_json(job, meta);
    cJSON_Delete(meta);
    const char *m1 = NULL, *m2 = NULL;
    const char *us = cmp ? strchr(cmp, '_') : NULL;
    if (us && us > cmp && us[1]) {
        m1 = fmt_tmp(job, cmp, (size_t)(us - cmp));
        m2 = us + 1;
    }
    ps_record_add_response(&rec, r1, m1);
    ps_record_add_response(&rec, r2, m2);
    for (int k = 1; k <= 3; k++) {
        char field[16];
        snprintf(field, sizeof field, "annotator%d", k);
        double v;
        int present;
        if (fmt_get_num(job, o, field, 0, &v, &present, err))
            return err->code;
        if (!present)
            continue;
        const char *verdict = v == 1 ? "A" : v == 2 ? "B" : v == 0 ? "tie" : NULL;
        if (!verdict)
            return fmt_fail(job, err, "field '%s': expected 1, 2 or 0 (tie), found %g", field, v);
        ps_record_add_judgment(&rec, 0, 1, fmt_tmp_printf(job, "human:%s", field), verdict,
                               v == 1   ? 1.0
                               : v == 2 ? 0.0
                                        : 0.5,
                               NULL);
    }
    return fmt_emit(job, &rec, err);
}

const struct import_format format_pandalm = {
    .name = "pandalm",
    .summary = "PandaLM test set {idx, instruction, input, response1, response2, annotator1..3}",
    .mapping = "idx -> key 'idx:N'; instruction (+ \"\\n\\n\" + input) -> prompt; response1/2 ->"
               " responses with models from cmp_key 'M1_M2'; annotator1..3 (1 -> A, 2 -> B,"
               " 0 -> tie) -> judgments by 'human:annotatorK'",
    .detect_json = pandalm_detect,
    .json_record = pandalm_record,
};

/* ---- judge files joined by idx ---- */

/* The single "<x>_result" field of a judge record (NULL when none or several). */
static const cJSON *
result_field(const cJSON *o)
{
    const cJSON *c, *found = NULL;
    cJSON_ArrayForEach(c, o)
    {
        size_t n = c->string ? strlen(c->string) : 0;
        if (n > 7 && !strcmp(c->string + n - 7, "_result")) {
            if (found)
                return NULL;
            found = c;
        }
    }
    return found;
}

static int
judge_detect(const cJSON *o, const char *path)
{
    (void)path;
    if (!cJSON_GetObjectItemCaseSensitive(o, "idx") || !result_field(o) ||
        cJSON_GetObjectItemCaseSensitive(o, "response1"))
        return 0;
    return 90;
}

/* "llm:<file name before -testset>", else "llm:<field prefix>". */
static const char *
judge_annotator(struct fmt_job *job, const char *prefix, size_t prefix_len)
{
    const char *cut = strstr(job->base, "-testset");
    if (cut && cut > job->base)
        return fmt_tmp_printf(job, "llm:%.*s", (int)(cut - job->base), job->base);
    return fmt_tmp_printf(job, "llm:%.*s", (int)prefix_len, prefix);
}

static int
judge_record(struct fmt_job *job, const cJSON *o, struct ps_err *err)
{
    const char *idx = NULL;
    if (get_idx(job, o, &idx, err))
        return err->code;
    const cJSON *res = result_field(o);
    if (!res)
        return fmt_fail(job, err, "expected exactly one '<judge>_result' field");
    size_t plen = strlen(res->string) - 7;
    const char *verdict = NULL;
    double p = 0;
    const char *raw = NULL;
    if (cJSON_IsNumber(res)) {
        double v = res->valuedouble;
        verdict = v == 1 ? "A" : v == 2 ? "B" : v == 0 ? "tie" : NULL;
        if (!verdict)
            raw = fmt_tmp_printf(job, "%g", v);
    } else if (cJSON_IsString(res)) {
        const char *s = res->valuestring;
        if (!strcmp(s, "1"))
            verdict = "A";
        else if (!strcmp(s, "2"))
            verdict = "B";
        else if (!strcmp(s, "0") || !strcasecmp(s, "tie"))
            verdict = "tie";
        else
            raw = s;
    } else {
        return fmt_fail(job, err, "field '%s': expected a number or a string, found %s",
                        res->string, fmt_json_type(res));
    }
    if (!verdict)
        verdict = "invalid";
    p = !strcmp(verdict, "A") ? 1 : !strcmp(verdict, "B") ? 0 : 0.5;

    const char *prefix = fmt_tmp(job, res->string, plen);
    const char *reason = NULL, *reference = NULL;
    char field[128];
    snprintf(field, sizeof field, "%s_reason", prefix);
    if (fmt_get_str(job, o, field, 0, &reason, err))
        return err->code;
    snprintf(field, sizeof field, "%s_reference", prefix);
    if (fmt_get_str(job, o, field, 0, &reference, err))
        return err->code;

    struct ps_record tmp; /* only for its judgment helper */
    ps_record_clear(&tmp);
    ps_record_add_judgment(&tmp, 0, 1, judge_annotator(job, prefix, plen), verdict, p, reason);
    cJSON *meta = cJSON_CreateObject();
    if (raw)
        cJSON_AddStringToObject(meta, "raw_result", raw);
    if (reference)
        cJSON_AddStringToObject(meta, "reference", reference);
    if (cJSON_GetArraySize(meta))
        tmp.judg[0].meta_json = fmt_tmp_json(job, meta);
    cJSON_Delete(meta);
    return fmt_emit_join(job, fmt_tmp_printf(job, "idx:%s", idx),
                         fmt_tmp_printf(job, "idx %s", idx), tmp.judg, 1, err);
}

const struct import_format format_pandalm_judge = {
    .name = "pandalm-judge",
    .summary = "PandaLM judge results {idx, <judge>_result, <judge>_reason} joined onto a test set",
    .mapping = "idx -> the existing item 'idx:N' of the dataset; <judge>_result 1 -> A, 2 -> B,"
               " 0/Tie -> tie, other (garbage) -> invalid; <judge>_reason -> rationale;"
               " annotator 'llm:<file name before -testset>'",
    .detect_json = judge_detect,
    .json_record = judge_record,
    .joins = 1,
};
