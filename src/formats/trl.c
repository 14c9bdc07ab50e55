/* TRL preference and KTO datasets, and ShareGPT-style DPO files (LLaMA-Factory).
 *
 *  trl:      {prompt, chosen, rejected} with strings (standard) or message lists
 *            (conversational); {chosen, rejected} message lists with an implicit
 *            shared prompt; optional score_chosen / score_rejected ratings;
 *            {instruction, input, chosen, rejected} (Alpaca-style ranking).
 *  sharegpt: {conversations: [{from, value}...], chosen: {from, value}, rejected: {...}}
 *  kto:      {prompt, completion, label: true|false}  (one response, a "kto" rating) */
#include <string.h>

#include "formats/formats.h"

static int
is_text_or_msgs(const cJSON *v)
{
    return cJSON_IsString(v) || cJSON_IsArray(v) || cJSON_IsObject(v);
}

static int
trl_detect(const cJSON *o, const char *path)
{
    (void)path;
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "chosen");
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(o, "rejected");
    if (!is_text_or_msgs(c) || !is_text_or_msgs(r))
        return 0;
    if (cJSON_GetObjectItemCaseSensitive(o, "conversations"))
        return 0;
    if (cJSON_GetObjectItemCaseSensitive(o, "prompt") ||
        cJSON_GetObjectItemCaseSensitive(o, "instruction"))
        return 85;
    return cJSON_IsArray(c) && cJSON_IsArray(r) ? 80 : 0;
}

static int
add_scores(struct fmt_job *job, const cJSON *o, struct ps_record *rec, struct ps_err *err)
{
    double v;
    int present;
    if (fmt_get_num(job, o, "score_chosen", 0, &v, &present, err))
        return err->code;
    if (present)
        ps_record_add_rating(rec, 0, "score", v, "dataset");
    if (fmt_get_num(job, o, "score_rejected", 0, &v, &present, err))
        return err->code;
    if (present)
        ps_record_add_rating(rec, 1, "score", v, "dataset");
    return PS_OK;
}

static int
trl_record(struct fmt_job *job, const cJSON *o, struct ps_err *err)
{
    struct ps_record rec;
    ps_record_clear(&rec);
    const cJSON *prompt = cJSON_GetObjectItemCaseSensitive(o, "prompt");
    const cJSON *chosen = cJSON_GetObjectItemCaseSensitive(o, "chosen");
    const cJSON *rejected = cJSON_GetObjectItemCaseSensitive(o, "rejected");
    const char *a = NULL, *b = NULL;
    if (!chosen || cJSON_IsNull(chosen))
        return fmt_fail(job, err, "missing field 'chosen'");
    if (!rejected || cJSON_IsNull(rejected))
        return fmt_fail(job, err, "missing field 'rejected'");
    if (prompt && !cJSON_IsNull(prompt)) {
        if (cJSON_IsString(prompt)) {
            rec.prompt = prompt->valuestring;
        } else if (cJSON_IsArray(prompt)) {
            if (fmt_split_messages(job, prompt, cJSON_GetArraySize(prompt), "prompt", &rec.system,
                                   &rec.history_json, &rec.prompt, err))
                return err->code;
        } else {
            return fmt_fail(job, err,
                            "field 'prompt': expected a string or a list of messages, found %s",
                            fmt_json_type(prompt));
        }
        if (fmt_response_text(job, chosen, "chosen", &a, err) ||
            fmt_response_text(job, rejected, "rejected", &b, err))
            return err->code;
    } else if (cJSON_GetObjectItemCaseSensitive(o, "instruction")) {
        const char *instr, *input;
        if (fmt_get_str(job, o, "instruction", 1, &instr, err) ||
            fmt_get_str(job, o, "input", 0, &input, err))
            return err->code;
        rec.prompt = input && *input ? fmt_tmp_printf(job, "%s\n\n%s", instr, input) : instr;
        if (fmt_get_str(job, o, "system", 0, &rec.system, err) ||
            fmt_response_text(job, chosen, "chosen", &a, err) ||
            fmt_response_text(job, rejected, "rejected", &b, err))
            return err->code;
    } else {
        /* implicit prompt: the shared leading messages */
        if (!cJSON_IsArray(chosen) || !cJSON_IsArray(rejected))
            return fmt_fail(job, err,
                            "without 'prompt', 'chosen' and 'rejected' must be message lists");
        int shared = fmt_shared_messages(job, chosen, rejected);
        if (shared == cJSON_GetArraySize(chosen) || shared == cJSON_GetArraySize(rejected))
            return fmt_fail(job, err, "'chosen' and 'rejected' are identical message lists");
        if (fmt_split_messages(job, chosen, shared, "chosen", &rec.system, &rec.history_json,
                               &rec.prompt, err))
            return err->code;
        a = fmt_messages_text(job, chosen, shared);
        b = fmt_messages_text(job, rejected, shared);
    }
    ps_record_add_response(&rec, a, NULL);
    ps_record_add_response(&rec, b, NULL);
    ps_record_add_judgment(&rec, 0, 1, "dataset", "A", 1.0, NULL);
    if (add_scores(job, o, &rec, err))
        return err->code;
    return fmt_emit(job, &rec, err);
}

const struct import_format format_trl = {
    .name = "trl",
    .summary = "TRL preference data {prompt, chosen, rejected} (standard or conversational)",
    .mapping =
        "prompt (string or messages: system, history, last user turn) -> item; chosen, rejected"
        " -> responses; judgment A (annotator 'dataset'); score_chosen/score_rejected -> ratings",
    .detect_json = trl_detect,
    .json_record = trl_record,
};

/* ---- ShareGPT ---- */

static int
sharegpt_detect(const cJSON *o, const char *path)
{
    (void)path;
    const cJSON *conv = cJSON_GetObjectItemCaseSensitive(o, "conversations");
    if (!conv)
        conv = cJSON_GetObjectItemCaseSensitive(o, "messages");
    return cJSON_IsArray(conv) && cJSON_GetObjectItemCaseSensitive(o, "chosen") &&
                   cJSON_GetObjectItemCaseSensitive(o, "rejected")
               ? 90
               : 0;
}

static int
sharegpt_record(struct fmt_job *job, const cJSON *o, struct ps_err *err)
{
    struct ps_record rec;
    ps_record_clear(&rec);
    const char *field = "conversations";
    const cJSON *conv = cJSON_GetObjectItemCaseSensitive(o, field);
    if (!conv) {
        field = "messages";
        conv = cJSON_GetObjectItemCaseSensitive(o, field);
    }
    if (!cJSON_IsArray(conv))
        return fmt_fail(job, err, "field 'conversations': expected a list of messages, found %s",
                        fmt_json_type(conv));
    if (fmt_split_messages(job, conv, cJSON_GetArraySize(conv), field, &rec.system,
                           &rec.history_json, &rec.prompt, err))
        return err->code;
    const char *sys;
    if (fmt_get_str(job, o, "system", 0, &sys, err))
        return err->code;
    if (sys && !rec.system)
        rec.system = sys;
    const char *a, *b;
    if (fmt_response_text(job, cJSON_GetObjectItemCaseSensitive(o, "chosen"), "chosen", &a, err) ||
        fmt_response_text(job, cJSON_GetObjectItemCaseSensitive(o, "rejected"), "rejected", &b,
                          err))
        return err->code;
    ps_record_add_response(&rec, a, NULL);
    ps_record_add_response(&rec, b, NULL);
    ps_record_add_judgment(&rec, 0, 1, "dataset", "A", 1.0, NULL);
    return fmt_emit(job, &rec, err);
}

const struct import_format format_sharegpt = {
    .name = "sharegpt",
    .summary = "ShareGPT preference data {conversations, chosen, rejected} (LLaMA-Factory)",
    .mapping = "conversations: leading system -> system, last human turn -> prompt, the rest ->"
               " history; chosen, rejected -> responses; judgment A (annotator 'dataset')",
    .detect_json = sharegpt_detect,
    .json_record = sharegpt_record,
};

/* ---- KTO ---- */

static int
kto_detect(const cJSON *o, const char *path)
{
    (void)path;
    return cJSON_GetObjectItemCaseSensitive(o, "prompt") &&
                   cJSON_GetObjectItemCaseSensitive(o, "completion") &&
                   cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(o, "label"))
               ? 85
               : 0;
}

static int
kto_record(struct fmt_job *job, const cJSON *o, struct ps_err *err)
{
    struct ps_record rec;
    ps_record_clear(&rec);
    const cJSON *prompt = cJSON_GetObjectItemCaseSensitive(o, "prompt");
    if (cJSON_IsString(prompt)) {
        rec.prompt = prompt->valuestring;
    } else if (cJSON_IsArray(prompt)) {
        if (fmt_split_messages(job, prompt, cJSON_GetArraySize(prompt), "prompt", &rec.system,
                               &rec.history_json, &rec.prompt, err))
            return err->code;
    } else {
        return fmt_fail(job, err,
                        "field 'prompt': expected a string or a list of messages, found %s",
                        fmt_json_type(prompt));
    }
    const char *text;
    if (fmt_response_text(job, cJSON_GetObjectItemCaseSensitive(o, "completion"), "completion",
                          &text, err))
        return err->code;
    const cJSON *label = cJSON_GetObjectItemCaseSensitive(o, "label");
    if (!cJSON_IsBool(label))
        return fmt_fail(job, err, "field 'label': expected true or false, found %s",
                        fmt_json_type(label));
    ps_record_add_response(&rec, text, NULL);
    ps_record_add_rating(&rec, 0, "kto", cJSON_IsTrue(label) ? 1 : 0, "dataset");
    return fmt_emit(job, &rec, err);
}

const struct import_format format_kto = {
    .name = "kto",
    .summary = "TRL unpaired preference data {prompt, completion, label}",
    .mapping = "prompt -> item; completion -> the single response; label true/false -> rating"
               " 'kto' = 1/0 (annotator 'dataset')",
    .detect_json = kto_detect,
    .json_record = kto_record,
};
