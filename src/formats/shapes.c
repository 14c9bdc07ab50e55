/* Common public shapes, recognised automatically.
 *
 * Most are a built-in --map: the generic converter reads them with that mapping, so
 * `import --dry-run` shows it and a user can copy and adjust it.  Two need more than a
 * mapping and convert their records here: PKU-SafeRLHF (two labels, two annotators)
 * and MT-Bench's pairwise judgment files (one judge, both orders).  docs/formats.md
 * ("Recipes for common shapes") lists them with one command each. */
#include <stdlib.h>
#include <string.h>

#include "formats/fieldmap.h"
#include "formats/formats.h"
#include "formats/join.h"

/* Do all the comma-separated keys exist in o? */
static int
has_keys(const cJSON *o, const char *keys)
{
    char key[64];
    while (*keys) {
        size_t n = strcspn(keys, ",");
        if (n >= sizeof key)
            return 0;
        memcpy(key, keys, n);
        key[n] = '\0';
        if (!cJSON_GetObjectItemCaseSensitive(o, key))
            return 0;
        keys += n + (keys[n] == ',');
    }
    return 1;
}

static void
map_free(void *state)
{
    fieldmap_free(state);
}

/* Convert one record with a shape's built-in mapping (parsed once per file). */
static int
shape_record(struct fmt_job *job, const cJSON *o, const char *spec, struct ps_err *err)
{
    if (!job->state) {
        struct field_map *m;
        if (fieldmap_parse(spec, &m, err) != PS_OK)
            return err->code;
        job->state = m;
        job->state_free = map_free;
    }
    job->map = job->state;
    int rc = fmt_generic_record(job, o, err);
    fieldmap_release(job->map);
    return rc;
}

/* name, detection score, required keys, mapping, summary */
#define SHAPES(_) \
    _(ultrafeedback, 80, "instruction,completions", \
      "prompt=instruction,responses=completions[*].response,models=completions[*].model," \
      "scores=completions[*].overall_score,ratings.fine_grained=completions[*].fine-grained_" \
      "score," \
      "ratings.helpfulness=completions[*].annotations.helpfulness.Rating," \
      "ratings.honesty=completions[*].annotations.honesty.Rating," \
      "ratings.instruction_following=completions[*].annotations.instruction_following.Rating," \
      "ratings.truthfulness=completions[*].annotations.truthfulness.Rating", \
      "UltraFeedback {instruction, completions: [{model, response, annotations, overall_score}]}") \
    _(helpsteer2, 80, "prompt,response,helpfulness,correctness,coherence,complexity,verbosity", \
      "group=prompt,prompt=prompt,response=response,rating.response.helpfulness=helpfulness," \
      "rating.response.correctness=correctness,rating.response.coherence=coherence," \
      "rating.response.complexity=complexity,rating.response.verbosity=verbosity", \
      "HelpSteer2 {prompt, response, helpfulness..verbosity}; lines of one prompt are one item") \
    _(nectar, 80, "prompt,answers", \
      "prompt=prompt,responses=answers[*].answer,models=answers[*].model,ranks=answers[*].rank", \
      "Nectar {prompt, answers: [{answer, model, rank}]}: ranks become all pairs") \
    _(shp, 85, "history,human_ref_A,human_ref_B,labels", \
      "id=post_id,prompt=history,a=human_ref_A,b=human_ref_B,label=labels,label.a=1,label.b=0," \
      "rating.a.score=score_A,rating.b.score=score_B", \
      "SHP {history, human_ref_A, human_ref_B, labels (1: A preferred), score_A, score_B}") \
    _(kto_messages, 70, "messages,label", "prompt=messages,response=messages,label=label", \
      "LLaMA-Factory KTO {messages ending with the completion, label: true|false}")

#define SHAPE_FUNCS(s_name, s_score, s_keys, s_map, s_summary) \
    static int detect_##s_name(const cJSON *o, const char *path) \
    { \
        (void)path; \
        return has_keys(o, s_keys) ? s_score : 0; \
    } \
    static int record_##s_name(struct fmt_job *job, const cJSON *o, struct ps_err *err) \
    { \
        return shape_record(job, o, s_map, err); \
    } \
    const struct import_format format_##s_name = { \
        .name = #s_name, \
        .summary = s_summary, \
        .mapping = "--map '" s_map "'", \
        .detect_json = detect_##s_name, \
        .json_record = record_##s_name, \
    };
SHAPES(SHAPE_FUNCS)
#undef SHAPE_FUNCS

/* ---- PKU-SafeRLHF: better_response_id and safer_response_id, two annotators ---- */

static int
pku_detect(const cJSON *o, const char *path)
{
    (void)path;
    return has_keys(o, "prompt,response_0,response_1,better_response_id,safer_response_id") ? 90
                                                                                            : 0;
}

/* A 0/1 response id as a verdict of (response_0, response_1). */
static int
pku_verdict(struct fmt_job *job, const cJSON *o, const char *key, struct ps_record *rec,
            const char *annotator, struct ps_err *err)
{
    double v;
    int present;
    if (fmt_get_num(job, o, key, 0, &v, &present, err))
        return err->code;
    if (!present)
        return PS_OK;
    if (v != 0 && v != 1)
        return fmt_fail(job, err, "field '%s': expected 0 or 1, found %g", key, v);
    ps_record_add_judgment(rec, 0, 1, annotator, v == 0 ? "A" : "B", v == 0 ? 1.0 : 0.0, NULL);
    return PS_OK;
}

static int
pku_record(struct fmt_job *job, const cJSON *o, struct ps_err *err)
{
    struct ps_record rec;
    ps_record_clear(&rec);
    const char *r[2], *model[2];
    if (fmt_get_str(job, o, "prompt", 1, &rec.prompt, err) ||
        fmt_get_str(job, o, "response_0", 1, &r[0], err) ||
        fmt_get_str(job, o, "response_1", 1, &r[1], err))
        return err->code;
    for (int i = 0; i < 2; i++) {
        const cJSON *src =
            cJSON_GetObjectItemCaseSensitive(o, i ? "response_1_source" : "response_0_source");
        model[i] = cJSON_IsString(src) ? src->valuestring : NULL;
        ps_record_add_response(&rec, r[i], model[i]);
        const cJSON *safe =
            cJSON_GetObjectItemCaseSensitive(o, i ? "is_response_1_safe" : "is_response_0_safe");
        if (cJSON_IsBool(safe))
            ps_record_add_rating(&rec, i, "safe", cJSON_IsTrue(safe) ? 1 : 0, "dataset");
    }
    const char *parts[] = {rec.prompt, r[0], r[1]};
    rec.key = fmt_occurrence_key(job, fmt_hash_key(job, "pku", parts, 3));
    if (pku_verdict(job, o, "better_response_id", &rec, "dataset:better", err) ||
        pku_verdict(job, o, "safer_response_id", &rec, "dataset:safer", err))
        return err->code;
    return fmt_emit(job, &rec, err);
}

const struct import_format format_pku_saferlhf = {
    .name = "pku_saferlhf",
    .summary = "PKU-SafeRLHF {prompt, response_0, response_1, better_response_id,"
               " safer_response_id}",
    .mapping = "prompt -> item; response_0/1 -> responses (models from response_N_source);"
               " better_response_id -> judgment by 'dataset:better', safer_response_id -> by"
               " 'dataset:safer' (0 -> A, 1 -> B); is_response_N_safe -> rating 'safe' 1/0",
    .detect_json = pku_detect,
    .json_record = pku_record,
};

/* ---- MT-Bench pairwise judgments (FastChat model_judgment, gpt-4_pair.jsonl) ---- */

static int
mtb_detect(const cJSON *o, const char *path)
{
    (void)path;
    return has_keys(o, "question_id,model_1,model_2,g1_winner,g2_winner") ? 90 : 0;
}

/* g1 shows (model_1, model_2), g2 the exchanged order; winners name the model. */
static int
mtb_judgment(struct fmt_job *job, const cJSON *o, int game, struct ps_record *rec,
             const char *annotator, struct ps_err *err)
{
    const char *w, *why;
    if (fmt_get_str(job, o, game == 1 ? "g1_winner" : "g2_winner", 1, &w, err) ||
        fmt_get_str(job, o, game == 1 ? "g1_judgment" : "g2_judgment", 0, &why, err))
        return err->code;
    int a = game == 1 ? 0 : 1, b = 1 - a; /* positions shown first and second */
    const char *v = !strcmp(w, "tie")       ? "tie"
                    : !strcmp(w, "model_1") ? (a == 0 ? "A" : "B")
                    : !strcmp(w, "model_2") ? (a == 1 ? "A" : "B")
                                            : "invalid";
    int k = ps_record_add_judgment(rec, a, b, annotator, v,
                                   *v == 'A'   ? 1.0
                                   : *v == 'B' ? 0.0
                                               : 0.5,
                                   why);
    rec->judg[k].meta_json = fmt_tmp_printf(
        job, "{\"game\":%d,\"winner\":%s}", game,
        fmt_tmp_json(job,
                     cJSON_GetObjectItemCaseSensitive(o, game == 1 ? "g1_winner" : "g2_winner")));
    return PS_OK;
}

static int
mtb_record(struct fmt_job *job, const cJSON *o, struct ps_err *err)
{
    struct ps_record rec;
    ps_record_clear(&rec);
    const char *m1, *m2;
    if (fmt_get_str(job, o, "model_1", 1, &m1, err) || fmt_get_str(job, o, "model_2", 1, &m2, err))
        return err->code;
    const cJSON *qid = cJSON_GetObjectItemCaseSensitive(o, "question_id");
    const cJSON *turn = cJSON_GetObjectItemCaseSensitive(o, "turn");
    rec.ext_id = fmt_tmp_json(job, qid);
    rec.key = fmt_occurrence_key(
        job, fmt_tmp_printf(job, "mtb:%s:%s:%s:%s", rec.ext_id, m1, m2, fmt_tmp_json(job, turn)));
    rec.meta_json = fmt_tmp_printf(job, "{\"question_id\":%s,\"turn\":%s}", rec.ext_id,
                                   turn ? fmt_tmp_json(job, turn) : "null");
    ps_record_add_response(&rec, NULL, m1);
    ps_record_add_response(&rec, NULL, m2);
    const cJSON *judge = cJSON_GetObjectItemCaseSensitive(o, "judge");
    const char *annotator = "llm:judge";
    if (cJSON_IsArray(judge) && cJSON_IsString(cJSON_GetArrayItem(judge, 0)))
        annotator =
            cJSON_IsString(cJSON_GetArrayItem(judge, 1))
                ? fmt_tmp_printf(job, "llm:%s/%s", cJSON_GetArrayItem(judge, 0)->valuestring,
                                 cJSON_GetArrayItem(judge, 1)->valuestring)
                : fmt_tmp_printf(job, "llm:%s", cJSON_GetArrayItem(judge, 0)->valuestring);
    else if (cJSON_IsString(judge))
        annotator = fmt_tmp_printf(job, "llm:%s", judge->valuestring);
    if (mtb_judgment(job, o, 1, &rec, annotator, err) ||
        mtb_judgment(job, o, 2, &rec, annotator, err))
        return err->code;
    return fmt_emit(job, &rec, err);
}

const struct import_format format_mtbench_pair = {
    .name = "mtbench_pair",
    .summary = "MT-Bench pairwise judgments {question_id, model_1, model_2, g1_winner,"
               " g2_winner, judge, turn}",
    .mapping = "one item per (question, model pair, turn); responses are the two models (no"
               " text); g1 -> judgment (model_1 shown first), g2 -> judgment of the exchanged"
               " order, both by 'llm:<judge>/<prompt>'; g1/g2_judgment -> rationales",
    .detect_json = mtb_detect,
    .json_record = mtb_record,
};

/* ---- OpenAssistant message trees: one item per prompt with two or more ranked
 * replies ---- */

static int
oasst_detect(const cJSON *o, const char *path)
{
    (void)path;
    return has_keys(o, "message_tree_id,prompt") &&
                   cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(o, "prompt"))
               ? 90
               : 0;
}

#define OASST_MAX_DEPTH 256

/* Node `n` of a tree; `hist` holds the messages from the root to n's parent.  A
 * prompter node whose assistant replies carry ranks (0 = best) becomes an item: the
 * path so far is its history, the ranked replies its responses, every pair of them a
 * judgment by 'dataset' (lower rank wins), the ranks ratings. */
static int
oasst_node(struct fmt_job *job, const cJSON *n, cJSON *hist, int depth, struct ps_err *err)
{
    if (depth > OASST_MAX_DEPTH)
        return fmt_fail(job, err, "message tree deeper than %d levels", OASST_MAX_DEPTH);
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(n, "text");
    const cJSON *role = cJSON_GetObjectItemCaseSensitive(n, "role");
    const cJSON *replies = cJSON_GetObjectItemCaseSensitive(n, "replies");
    if (!cJSON_IsString(text) || !cJSON_IsString(role))
        return fmt_fail(job, err, "a tree message without text or role");
    int prompter = !strcmp(role->valuestring, "prompter");
    if (prompter) {
        struct ps_record rec;
        ps_record_clear(&rec);
        double rank[PS_REC_MAX_RESP];
        const cJSON *r;
        cJSON_ArrayForEach(r, replies)
        {
            const cJSON *rk = cJSON_GetObjectItemCaseSensitive(r, "rank");
            const cJSON *rt = cJSON_GetObjectItemCaseSensitive(r, "text");
            if (!cJSON_IsNumber(rk) || !cJSON_IsString(rt) || rec.n_resp == PS_REC_MAX_RESP)
                continue;
            const cJSON *model = cJSON_GetObjectItemCaseSensitive(r, "model_name");
            rank[rec.n_resp] = rk->valuedouble;
            int k = ps_record_add_response(&rec, rt->valuestring,
                                           cJSON_IsString(model) ? model->valuestring : NULL);
            ps_record_add_rating(&rec, k, "rank", rk->valuedouble, "dataset");
        }
        if (rec.n_resp >= 2) {
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(n, "message_id");
            rec.prompt = text->valuestring;
            rec.history_json = cJSON_GetArraySize(hist) ? fmt_tmp_json(job, hist) : NULL;
            rec.ext_id = cJSON_IsString(id) ? id->valuestring : NULL;
            rec.key = rec.ext_id ? fmt_tmp_printf(job, "oasst:%s", rec.ext_id) : NULL;
            for (int a = 0; a < rec.n_resp; a++)
                for (int b = a + 1; b < rec.n_resp; b++) {
                    const char *v = rank[a] < rank[b] ? "A" : rank[a] > rank[b] ? "B" : "tie";
                    if (ps_record_add_judgment(&rec, a, b, "dataset", v,
                                               *v == 'A'   ? 1.0
                                               : *v == 'B' ? 0.0
                                                           : 0.5,
                                               NULL) < 0)
                        return fmt_fail(job, err, "more than %d ranked pairs under one prompt",
                                        PS_REC_MAX_JUDG);
                }
            if (fmt_emit(job, &rec, err))
                return err->code;
            if (job->stop)
                return PS_OK;
        }
    }
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "role", prompter ? "user" : "assistant");
    cJSON_AddStringToObject(m, "content", text->valuestring);
    cJSON_AddItemToArray(hist, m);
    int rc = PS_OK;
    const cJSON *r;
    cJSON_ArrayForEach(r, replies)
    {
        if ((rc = oasst_node(job, r, hist, depth + 1, err)) != PS_OK || job->stop)
            break;
    }
    cJSON_DeleteItemFromArray(hist, cJSON_GetArraySize(hist) - 1);
    return rc;
}

static int
oasst_record(struct fmt_job *job, const cJSON *o, struct ps_err *err)
{
    cJSON *hist = cJSON_CreateArray();
    int rc = oasst_node(job, cJSON_GetObjectItemCaseSensitive(o, "prompt"), hist, 0, err);
    cJSON_Delete(hist);
    return rc;
}

const struct import_format format_oasst_trees = {
    .name = "oasst_trees",
    .summary = "OpenAssistant message trees {message_tree_id, prompt: {text, role, replies}}",
    .mapping = "one item per prompter message with two or more ranked replies: the path to it"
               " -> history, its text -> prompt, the ranked replies -> responses (model_name),"
               " every pair -> judgment by 'dataset' (lower rank wins), ranks -> ratings",
    .detect_json = oasst_detect,
    .json_record = oasst_record,
};
