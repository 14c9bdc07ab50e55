/* Arena battles: JSON Lines of {question_id, model_a, model_b, winner} (arena-hard's
 * battles export, Chatbot Arena's clean_battle files).
 *
 * One item per battle: duplicates are kept, because the exporters repeat a battle
 * on purpose (both positions, strong verdicts three times).  Without
 * conversation_a/conversation_b the two responses carry only their model names;
 * with them, the shared leading turns become the prompt and history and each side's
 * remaining turns its response text.  winner model_a -> A, model_b -> B, tie and
 * "tie (bothbad)" -> tie, by "dataset", or by the record's `judge` when it names one
 * (Chatbot Arena conversations, MT-Bench human judgments): "human:<judge>", or
 * "llm:<judge>" for MT-Bench's GPT-4 judge ("gpt4_pair").  Every other field
 * (question_id, judge, turn, language, tstamp, ...) goes into the item meta. */
#include <string.h>

#include "formats/formats.h"

static int
arena_detect(const cJSON *o, const char *path)
{
    (void)path;
    return cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "model_a")) &&
                   cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "model_b")) &&
                   cJSON_GetObjectItemCaseSensitive(o, "winner")
               ? 90
               : 0;
}

static int
is_battle_field(const char *k)
{
    return !strcmp(k, "model_a") || !strcmp(k, "model_b") || !strcmp(k, "winner") ||
           !strcmp(k, "conversation_a") || !strcmp(k, "conversation_b");
}

static int
arena_record(struct fmt_job *job, const cJSON *o, struct ps_err *err)
{
    struct ps_record rec;
    ps_record_clear(&rec);
    const char *ma, *mb, *winner;
    if (fmt_get_str(job, o, "model_a", 1, &ma, err) ||
        fmt_get_str(job, o, "model_b", 1, &mb, err) ||
        fmt_get_str(job, o, "winner", 1, &winner, err))
        return err->code;
    const char *ta = NULL, *tb = NULL;
    const cJSON *ca = cJSON_GetObjectItemCaseSensitive(o, "conversation_a");
    const cJSON *cb = cJSON_GetObjectItemCaseSensitive(o, "conversation_b");
    if (cJSON_IsArray(ca) && cJSON_IsArray(cb)) {
        /* the last user turn both conversations share ends the prompt */
        int shared = fmt_shared_messages(job, ca, cb), last_user = -1;
        for (int i = 0; i < shared; i++) {
            const char *role = fmt_message_role(cJSON_GetArrayItem(ca, i));
            if (role && !strcmp(role, "user"))
                last_user = i;
        }
        if (last_user >= 0) {
            if (fmt_split_messages(job, ca, last_user + 1, "conversation_a", &rec.system,
                                   &rec.history_json, &rec.prompt, err))
                return err->code;
            ta = fmt_messages_text(job, ca, last_user + 1);
            tb = fmt_messages_text(job, cb, last_user + 1);
        }
    }
    ps_record_add_response(&rec, ta, ma);
    ps_record_add_response(&rec, tb, mb);
    const char *verdict;
    if (!strcmp(winner, "model_a"))
        verdict = "A";
    else if (!strcmp(winner, "model_b"))
        verdict = "B";
    else if (!strncmp(winner, "tie", 3))
        verdict = "tie";
    else
        return fmt_fail(job, err,
                        "field 'winner': expected model_a, model_b, tie or"
                        " \"tie (bothbad)\", found \"%.40s\"",
                        winner);
    const cJSON *judge = cJSON_GetObjectItemCaseSensitive(o, "judge");
    const char *annotator = "dataset";
    if (cJSON_IsString(judge) && *judge->valuestring)
        annotator =
            fmt_tmp_printf(job, "%s:%s", strncmp(judge->valuestring, "gpt", 3) ? "human" : "llm",
                           judge->valuestring);
    int k = ps_record_add_judgment(&rec, 0, 1, annotator, verdict,
                                   *verdict == 'A'   ? 1.0
                                   : *verdict == 'B' ? 0.0
                                                     : 0.5,
                                   NULL);
    if (strcmp(winner, "model_a") && strcmp(winner, "model_b") && strcmp(winner, "tie"))
        rec.judg[k].meta_json =
            fmt_tmp_printf(job, "{\"winner\":%s}",
                           fmt_tmp_json(job, cJSON_GetObjectItemCaseSensitive(o, "winner")));
    cJSON *meta = cJSON_CreateObject();
    const cJSON *c;
    cJSON_ArrayForEach(c, o)
    {
        if (c->string && !is_battle_field(c->string))
            cJSON_AddItemToObject(meta, c->string, cJSON_Duplicate(c, 1));
    }
    if (cJSON_GetArraySize(meta))
        rec.meta_json = fmt_tmp_json(job, meta);
    cJSON_Delete(meta);
    const cJSON *qid = cJSON_GetObjectItemCaseSensitive(o, "question_id");
    if (cJSON_IsString(qid))
        rec.ext_id = qid->valuestring;
    else if (cJSON_IsNumber(qid))
        rec.ext_id = fmt_tmp_printf(job, "%.17g", qid->valuedouble);
    return fmt_emit(job, &rec, err);
}

const struct import_format format_arena = {
    .name = "arena",
    .summary =
        "Arena battles {question_id, model_a, model_b, winner} (text-free or with conversations)",
    .mapping = "one item per battle (duplicates kept); model_a/model_b -> responses (model names;"
               " text from conversation_a/b when present); winner model_a -> A, model_b -> B,"
               " tie* -> tie by 'dataset'; question_id -> id; other fields -> item meta",
    .detect_json = arena_detect,
    .json_record = arena_record,
};
