/* C3PO / RLVF verbal feedback lists.  Two shapes:
 *   [{feedback, domain}]                      (gpt_feedback_*.json, GPT-generated)
 *   [{content, domain, effect, scope, type, metric, ...}]   (the paper's Feedback model)
 * Not preference pairs: each record becomes a feedback record of the dataset (the input
 * of the critique workflow); any other fields (scope, type, metric, ...) go into its meta. */
#include <string.h>

#include "formats/formats.h"

/* The field holding the feedback sentence: "feedback", or "content" in the paper's
 * Feedback model (recognised only together with domain or effect). */
static const char *
c3po_text_field(const cJSON *o)
{
    if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "feedback")))
        return "feedback";
    if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "content")) &&
        (cJSON_GetObjectItemCaseSensitive(o, "domain") ||
         cJSON_GetObjectItemCaseSensitive(o, "effect")) &&
        !cJSON_GetObjectItemCaseSensitive(o, "role"))
        return "content";
    return NULL;
}

static int
c3po_detect(const cJSON *o, const char *path)
{
    (void)path;
    const char *field = c3po_text_field(o);
    if (!field)
        return 0;
    /* a pair format with a feedback field is not a feedback list */
    if (cJSON_GetObjectItemCaseSensitive(o, "chosen") ||
        cJSON_GetObjectItemCaseSensitive(o, "responses"))
        return 0;
    return cJSON_GetObjectItemCaseSensitive(o, "domain") ? 90 : 60;
}

static int
c3po_record(struct fmt_job *job, const cJSON *o, struct ps_err *err)
{
    const char *field = c3po_text_field(o);
    const char *feedback, *domain, *effect;
    if (fmt_get_str(job, o, field ? field : "feedback", 1, &feedback, err) ||
        fmt_get_str(job, o, "domain", 0, &domain, err) ||
        fmt_get_str(job, o, "effect", 0, &effect, err))
        return err->code;
    if (!*feedback)
        return fmt_fail(job, err, "field '%s' is empty", field ? field : "feedback");
    cJSON *meta = cJSON_CreateObject();
    const cJSON *c;
    cJSON_ArrayForEach(c, o)
    {
        if (c->string && strcmp(c->string, field ? field : "feedback") &&
            strcmp(c->string, "domain") && strcmp(c->string, "effect"))
            cJSON_AddItemToObject(meta, c->string, cJSON_Duplicate(c, 1));
    }
    const char *mj = cJSON_GetArraySize(meta) ? fmt_tmp_json(job, meta) : NULL;
    cJSON_Delete(meta);
    return fmt_emit_feedback(job, feedback, domain, effect, mj, err);
}

const struct import_format format_c3po = {
    .name = "c3po",
    .summary = "C3PO verbal feedback list [{feedback|content, domain, effect}] (feedback "
               "records, not pairs)",
    .mapping = "feedback (or content) -> feedback text; domain, effect -> their fields; other "
               "fields (scope, type, metric, ...) -> meta",
    .detect_json = c3po_detect,
    .json_record = c3po_record,
};
