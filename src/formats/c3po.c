/* C3PO / RLVF verbal feedback lists: a JSON array of {feedback, domain}.  Not
 * preference pairs: each record becomes a feedback record of the dataset (the input
 * of the critique workflow); any other fields go into its meta. */
#include <string.h>

#include "formats/formats.h"

static int
c3po_detect(const cJSON *o, const char *path)
{
    (void)path;
    if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "feedback")))
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
    const char *feedback, *domain;
    if (fmt_get_str(job, o, "feedback", 1, &feedback, err) ||
        fmt_get_str(job, o, "domain", 0, &domain, err))
        return err->code;
    if (!*feedback)
        return fmt_fail(job, err, "field 'feedback' is empty");
    cJSON *meta = cJSON_CreateObject();
    const cJSON *c;
    cJSON_ArrayForEach(c, o)
    {
        if (c->string && strcmp(c->string, "feedback") && strcmp(c->string, "domain"))
            cJSON_AddItemToObject(meta, c->string, cJSON_Duplicate(c, 1));
    }
    const char *mj = cJSON_GetArraySize(meta) ? fmt_tmp_json(job, meta) : NULL;
    cJSON_Delete(meta);
    return fmt_emit_feedback(job, feedback, domain, mj, err);
}

const struct import_format format_c3po = {
    .name = "c3po",
    .summary = "C3PO verbal feedback list [{feedback, domain}] (feedback records, not pairs)",
    .mapping = "feedback -> feedback text; domain -> its scope; other fields -> meta",
    .detect_json = c3po_detect,
    .json_record = c3po_record,
};
