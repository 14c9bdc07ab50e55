/* AlpacaEval annotation files: a JSON array of
 *   {instruction, output_1, generator_1, output_2, generator_2, dataset, annotator,
 *    preference, price_per_example, time_per_example, raw_completion?, ...}
 *
 * One item per instruction, keyed by the instruction text (and its occurrence
 * within the file, so a repeated instruction inside one file stays two items), so
 * the annotation files of several annotators or reference models merge: responses
 * are matched by text and model, and each file adds its judgment.
 *
 * preference 1 -> A (output_1 better, p_a = 1); 2 -> B (p_a = 0); 0 -> tie (0.5);
 * any other value in [1, 2] -> p_a = 2 - preference with the verdict of that
 * probability; null -> "invalid".  So AlpacaEval's win rate of output_2 is
 * mean(1 - p_a) * 100 over the judgments of one annotator.
 *
 * Model output files ({instruction, output, generator, dataset}: model_outputs.json,
 * reference_outputs.json) use the same keys, so they add one response per record to
 * the same items: e.g. several models' outputs, ready to be judged. */
#include <math.h>
#include <string.h>

#include "formats/formats.h"
#include "formats/join.h"

static int
ae_detect(const cJSON *o, const char *path)
{
    (void)path;
    if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "instruction")) ||
        !cJSON_GetObjectItemCaseSensitive(o, "output_1") ||
        !cJSON_GetObjectItemCaseSensitive(o, "output_2"))
        return 0;
    if (cJSON_GetObjectItemCaseSensitive(o, "preference"))
        return 95;
    return cJSON_GetObjectItemCaseSensitive(o, "generator_1") ? 70 : 0;
}

/* Copy o[key] into meta when present and not null. */
static void
meta_copy(cJSON *meta, const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (v && !cJSON_IsNull(v))
        cJSON_AddItemToObject(meta, key, cJSON_Duplicate(v, 1));
}

static const char *
meta_take(struct fmt_job *job, cJSON *meta)
{
    const char *s = cJSON_GetArraySize(meta) ? fmt_tmp_json(job, meta) : NULL;
    cJSON_Delete(meta);
    return s;
}

static void
ae_item(struct fmt_job *job, struct ps_record *rec, const cJSON *o, const char *instr)
{
    const char *parts[] = {instr};
    rec->key = fmt_occurrence_key(job, fmt_hash_key(job, "alpaca_eval", parts, 1));
    rec->prompt = instr;
    cJSON *imeta = cJSON_CreateObject();
    meta_copy(imeta, o, "dataset");
    rec->meta_json = meta_take(job, imeta);
}

static int
ae_record(struct fmt_job *job, const cJSON *o, struct ps_err *err)
{
    struct ps_record rec;
    ps_record_clear(&rec);
    const char *instr, *o1, *o2, *g1, *g2, *annot;
    if (fmt_get_str(job, o, "instruction", 1, &instr, err) ||
        fmt_get_str(job, o, "output_1", 1, &o1, err) ||
        fmt_get_str(job, o, "output_2", 1, &o2, err) ||
        fmt_get_str(job, o, "generator_1", 0, &g1, err) ||
        fmt_get_str(job, o, "generator_2", 0, &g2, err) ||
        fmt_get_str(job, o, "annotator", 0, &annot, err))
        return err->code;
    ae_item(job, &rec, o, instr);
    ps_record_add_response(&rec, o1, g1);
    ps_record_add_response(&rec, o2, g2);

    double pref = 0;
    int has_pref;
    if (fmt_get_num(job, o, "preference", 0, &pref, &has_pref, err))
        return err->code;
    const char *verdict;
    double p = 0;
    if (!has_pref || isnan(pref)) {
        verdict = "invalid";
    } else if (pref == 0) {
        verdict = "tie";
        p = 0.5;
    } else if (pref >= 1 && pref <= 2) {
        p = 2 - pref;
        verdict = ps_verdict_from_p(p);
    } else {
        return fmt_fail(job, err,
                        "field 'preference': expected 1, 2, 0 (tie) or a value in [1, 2],"
                        " found %g",
                        pref);
    }
    const char *rationale = NULL;
    const cJSON *raw = cJSON_GetObjectItemCaseSensitive(o, "raw_completion");
    if (cJSON_IsString(raw)) {
        rationale = raw->valuestring;
    } else if (cJSON_IsObject(raw)) {
        const cJSON *ex = cJSON_GetObjectItemCaseSensitive(raw, "concise_explanation");
        if (cJSON_IsString(ex))
            rationale = ex->valuestring;
    }
    const char *who = annot && *annot ? annot : job->base;
    int k = ps_record_add_judgment(&rec, 0, 1, fmt_tmp_printf(job, "llm:%s", who), verdict, p,
                                   rationale);
    rec.judg[k].has_p = strcmp(verdict, "invalid") != 0;
    cJSON *jmeta = cJSON_CreateObject();
    meta_copy(jmeta, o, "preference");
    meta_copy(jmeta, o, "price_per_example");
    meta_copy(jmeta, o, "time_per_example");
    rec.judg[k].meta_json = meta_take(job, jmeta);
    return fmt_emit(job, &rec, err);
}

const struct import_format format_alpaca_eval = {
    .name = "alpaca_eval",
    .summary = "AlpacaEval annotations {instruction, output_1/2, generator_1/2, preference}",
    .mapping = "instruction -> prompt (one item per instruction: files merge); output_1/output_2"
               " with generator_1/2 -> responses (matched by text+model); preference 1 -> A,"
               " 2 -> B, 0 -> tie, fractional -> p_a = 2 - preference, by 'llm:<annotator>';"
               " raw_completion.concise_explanation -> rationale; price/time -> judgment meta",
    .detect_json = ae_detect,
    .json_record = ae_record,
};

/* ---- model outputs ---- */

static int
outputs_detect(const cJSON *o, const char *path)
{
    (void)path;
    return cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "instruction")) &&
                   cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "output")) &&
                   cJSON_GetObjectItemCaseSensitive(o, "generator")
               ? 80
               : 0;
}

static int
outputs_record(struct fmt_job *job, const cJSON *o, struct ps_err *err)
{
    struct ps_record rec;
    ps_record_clear(&rec);
    const char *instr, *out, *gen;
    if (fmt_get_str(job, o, "instruction", 1, &instr, err) ||
        fmt_get_str(job, o, "output", 1, &out, err) ||
        fmt_get_str(job, o, "generator", 0, &gen, err))
        return err->code;
    ae_item(job, &rec, o, instr);
    ps_record_add_response(&rec, out, gen);
    return fmt_emit(job, &rec, err);
}

const struct import_format format_alpaca_eval_outputs = {
    .name = "alpaca_eval_outputs",
    .summary = "AlpacaEval model outputs {instruction, output, generator} (no judgments)",
    .mapping = "instruction -> prompt (the same items as alpaca_eval annotations); output with"
               " generator -> one response per record",
    .detect_json = outputs_detect,
    .json_record = outputs_record,
};
