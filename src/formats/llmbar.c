/* LLMBar: dataset.json and the evaluator result.json files.
 *
 *   dataset.json: [{input, output_1, output_2, label: 1|2}]
 *   result.json:  the same records plus results: [{"swap = False": {completion:
 *                 [text, finish_reason], winner: "1"|"2"}, "swap = True": {...}}]
 *
 * The item is keyed by its three texts, so a dataset file and its result files
 * (imported together or with --append) are one item per pair.  The gold label
 * becomes a judgment by "dataset" (1 -> A, 2 -> B), added once: only by the record
 * that creates the item.
 *
 * Each swap of a result is its own judgment by "llm:<evaluator>" in the order the
 * judge SAW the pair: swap = False presents output_1 as A; swap = True presents
 * output_2 as A.  LLMBar's winner is already mapped back to the original order, so
 * for swap = True winner "1" (output_1, shown second) is verdict B.  The completion
 * text is the rationale; {"swap", "winner", "finish_reason"} go into the meta.  The
 * evaluator comes from the file name ("X.evaluator_GPT-4_Vanilla.result.json" ->
 * "GPT-4/Vanilla") or from the repository path (".../evaluators/GPT-4/Vanilla/
 * result.json"). */
#include <string.h>

#include "formats/formats.h"
#include "formats/join.h"

static int
llmbar_detect(const cJSON *o, const char *path)
{
    (void)path;
    if (!cJSON_GetObjectItemCaseSensitive(o, "input") ||
        !cJSON_GetObjectItemCaseSensitive(o, "output_1") ||
        !cJSON_GetObjectItemCaseSensitive(o, "output_2"))
        return 0;
    if (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(o, "results")))
        return 95;
    return cJSON_GetObjectItemCaseSensitive(o, "label") ? 90 : 0;
}

static const char *
evaluator_name(struct fmt_job *job)
{
    const char *p = strstr(job->path, "/evaluators/");
    if (p) {
        p += strlen("/evaluators/");
        const char *last = strrchr(p, '/');
        if (last && last > p)
            return fmt_tmp_printf(job, "llm:%.*s", (int)(last - p), p);
    }
    p = strstr(job->base, ".evaluator_");
    if (p) {
        p += strlen(".evaluator_");
        const char *end = strstr(p, ".result");
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char *name = (char *)fmt_tmp(job, p, n);
        char *us = strrchr(name, '_');
        if (us && us > name)
            *us = '/'; /* the file name flattened evaluators/GPT-4/Vanilla */
        return fmt_tmp_printf(job, "llm:%s", name);
    }
    return "llm:evaluator";
}

/* One "swap = X" entry of a result as a judgment. */
static int
add_swap(struct fmt_job *job, struct ps_record *rec, const cJSON *entry, const char *annot,
         int result_index, int n_results, struct ps_err *err)
{
    const char *key = entry->string ? entry->string : "";
    int swap;
    if (strstr(key, "True"))
        swap = 1;
    else if (strstr(key, "False"))
        swap = 0;
    else
        return fmt_fail(job, err,
                        "results[%d]: unknown key \"%.40s\" (expected \"swap = False\" or"
                        " \"swap = True\")",
                        result_index, key);
    if (!cJSON_IsObject(entry))
        return fmt_fail(job, err, "results[%d][\"%s\"]: expected an object, found %s", result_index,
                        key, fmt_json_type(entry));
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(entry, "winner");
    int winner = 0;
    if (cJSON_IsString(w))
        winner = !strcmp(w->valuestring, "1") ? 1 : !strcmp(w->valuestring, "2") ? 2 : 0;
    else if (cJSON_IsNumber(w))
        winner = w->valuedouble == 1 ? 1 : w->valuedouble == 2 ? 2 : 0;
    /* winner is in the original order; the verdict is about the presented order */
    const char *verdict = "invalid";
    if (winner)
        verdict = (winner == 1) != swap ? "A" : "B";
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(entry, "completion");
    const char *text = NULL, *finish = NULL;
    if (cJSON_IsString(c)) {
        text = c->valuestring;
    } else if (cJSON_IsArray(c)) {
        const cJSON *t = cJSON_GetArrayItem(c, 0), *f = cJSON_GetArrayItem(c, 1);
        text = cJSON_IsString(t) ? t->valuestring : NULL;
        finish = cJSON_IsString(f) ? f->valuestring : NULL;
    }
    int k = ps_record_add_judgment(rec, swap ? 1 : 0, swap ? 0 : 1, annot, verdict,
                                   !strcmp(verdict, "A") ? 1.0 : 0.0, text);
    if (k < 0)
        return fmt_fail(job, err, "more than %d judgments in one record", PS_REC_MAX_JUDG);
    cJSON *meta = cJSON_CreateObject();
    cJSON_AddBoolToObject(meta, "swap", swap);
    if (w)
        cJSON_AddItemToObject(meta, "winner", cJSON_Duplicate(w, 1));
    if (finish)
        cJSON_AddStringToObject(meta, "finish_reason", finish);
    if (n_results > 1)
        cJSON_AddNumberToObject(meta, "result", result_index);
    rec->judg[k].meta_json = fmt_tmp_json(job, meta);
    cJSON_Delete(meta);
    return PS_OK;
}

static int
llmbar_record(struct fmt_job *job, const cJSON *o, struct ps_err *err)
{
    struct ps_record rec;
    ps_record_clear(&rec);
    const char *input, *o1, *o2;
    double label = 0;
    int has_label;
    if (fmt_get_str(job, o, "input", 1, &input, err) ||
        fmt_get_str(job, o, "output_1", 1, &o1, err) ||
        fmt_get_str(job, o, "output_2", 1, &o2, err) ||
        fmt_get_num(job, o, "label", 0, &label, &has_label, err))
        return err->code;
    const char *parts[] = {input, o1, o2};
    rec.key = fmt_occurrence_key(job, fmt_hash_key(job, "llmbar", parts, 3));
    rec.prompt = input;
    ps_record_add_response(&rec, o1, NULL);
    ps_record_add_response(&rec, o2, NULL);
    int exists;
    if (fmt_item_exists(job, rec.key, &exists, err))
        return err->code;
    if (has_label && !exists) {
        if (label != 1 && label != 2)
            return fmt_fail(job, err, "field 'label': expected 1 or 2, found %g", label);
        ps_record_add_judgment(&rec, 0, 1, "dataset", label == 1 ? "A" : "B", label == 1 ? 1 : 0,
                               NULL);
    }
    const cJSON *results = cJSON_GetObjectItemCaseSensitive(o, "results");
    if (results && !cJSON_IsArray(results))
        return fmt_fail(job, err, "field 'results': expected an array, found %s",
                        fmt_json_type(results));
    const char *annot = results ? evaluator_name(job) : NULL;
    int n = cJSON_GetArraySize(results), i = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, results)
    {
        if (!cJSON_IsObject(r))
            return fmt_fail(job, err, "results[%d]: expected an object, found %s", i,
                            fmt_json_type(r));
        const cJSON *entry;
        cJSON_ArrayForEach(entry, r)
        {
            if (add_swap(job, &rec, entry, annot, i, n, err))
                return err->code;
        }
        i++;
    }
    return fmt_emit(job, &rec, err);
}

const struct import_format format_llmbar = {
    .name = "llmbar",
    .summary = "LLMBar dataset.json {input, output_1, output_2, label} and evaluator result.json",
    .mapping = "input -> prompt; output_1/output_2 -> responses (item keyed by the texts, so result"
               " files merge onto the dataset); label 1 -> A, 2 -> B by 'dataset'; results[]"
               " 'swap = False'/'swap = True' -> one judgment each by 'llm:<evaluator>' in the"
               " presented order (swap = True shows output_2 as A), completion -> rationale",
    .detect_json = llmbar_detect,
    .json_record = llmbar_record,
};
