/* ICAI's pairwise CSV: ",text_a,text_b,preferred_text" (the first column is pandas'
 * unnamed index), optionally with model_a, model_b and input (the prompt).
 *
 * preferred_text text_a -> A, text_b -> B, tie and "tie (bothbad)" -> tie (the
 * original value kept in the judgment meta), by "dataset".  ICAI's synthetic files
 * embed the prompt in both texts as "Instruction: <prompt>\n\nOutput: <response>";
 * when both texts carry the same such prefix it is split off: the prompt becomes the
 * item prompt and the rest the responses (the item meta records
 * {"icai_prefix_split": true}).  An input (or prompt) column, when present, is the
 * prompt.  The index column becomes the item id; other columns go into the meta. */
#include <string.h>

#include "formats/formats.h"

static const char INSTR[] = "Instruction: ";
static const char OUTPUT[] = "\n\nOutput: ";

static int
icai_detect(const struct csv_row *h, const char *path)
{
    (void)path;
    return csv_col(h, "text_a") >= 0 && csv_col(h, "text_b") >= 0 &&
                   csv_col(h, "preferred_text") >= 0
               ? 95
               : 0;
}

/* Split "Instruction: P\n\nOutput: R" into P (length *plen) and R; NULL when the text
 * does not have that shape. */
static const char *
split_prefix(const char *text, size_t *plen)
{
    if (strncmp(text, INSTR, sizeof INSTR - 1))
        return NULL;
    const char *out = strstr(text, OUTPUT);
    if (!out)
        return NULL;
    *plen = (size_t)(out - text) - (sizeof INSTR - 1);
    return out + sizeof OUTPUT - 1;
}

static int
is_known_column(const char *name)
{
    static const char *const known[] = {"",        "index",   "text_a", "text_b", "preferred_text",
                                        "model_a", "model_b", "input",  "prompt"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcmp(name, known[i]))
            return 1;
    return 0;
}

static const char *
column(const struct fmt_job *job, const struct csv_row *row, const char *name)
{
    int c = csv_col(job->header, name);
    return c >= 0 ? row->field[c] : NULL;
}

static int
icai_record(struct fmt_job *job, const struct csv_row *row, struct ps_err *err)
{
    struct ps_record rec;
    ps_record_clear(&rec);
    const char *a = column(job, row, "text_a"), *b = column(job, row, "text_b");
    const char *pref = column(job, row, "preferred_text");
    const char *input = column(job, row, "input");
    if (!input)
        input = column(job, row, "prompt");
    rec.ext_id = column(job, row, "");
    if (!rec.ext_id)
        rec.ext_id = column(job, row, "index");
    cJSON *meta = cJSON_CreateObject();
    size_t pa = 0, pb = 0;
    const char *ra = split_prefix(a, &pa), *rb = split_prefix(b, &pb);
    if (ra && rb && pa == pb && !strncmp(a, b, sizeof INSTR - 1 + pa)) {
        if (!input || !*input)
            rec.prompt = fmt_tmp(job, a + sizeof INSTR - 1, pa);
        a = ra;
        b = rb;
        cJSON_AddBoolToObject(meta, "icai_prefix_split", 1);
    }
    if (input && *input)
        rec.prompt = input;
    const char *ma = column(job, row, "model_a"), *mb = column(job, row, "model_b");
    ps_record_add_response(&rec, a, ma && *ma ? ma : NULL);
    ps_record_add_response(&rec, b, mb && *mb ? mb : NULL);
    const char *verdict;
    if (!strcmp(pref, "text_a"))
        verdict = "A";
    else if (!strcmp(pref, "text_b"))
        verdict = "B";
    else if (!strcmp(pref, "tie") || !strcmp(pref, "tie (bothbad)"))
        verdict = "tie";
    else {
        cJSON_Delete(meta);
        return fmt_fail(job, err,
                        "column 'preferred_text': expected text_a, text_b, tie or"
                        " \"tie (bothbad)\", found \"%.40s\"",
                        pref);
    }
    int k = ps_record_add_judgment(&rec, 0, 1, "dataset", verdict,
                                   *verdict == 'A'   ? 1.0
                                   : *verdict == 'B' ? 0.0
                                                     : 0.5,
                                   NULL);
    if (!strcmp(pref, "tie (bothbad)"))
        rec.judg[k].meta_json = "{\"preferred_text\":\"tie (bothbad)\"}";
    for (int i = 0; i < job->header->n; i++)
        if (!is_known_column(job->header->field[i]))
            cJSON_AddStringToObject(meta, job->header->field[i], row->field[i]);
    if (cJSON_GetArraySize(meta))
        rec.meta_json = fmt_tmp_json(job, meta);
    cJSON_Delete(meta);
    return fmt_emit(job, &rec, err);
}

const struct import_format format_icai = {
    .name = "icai",
    .summary =
        "ICAI pairwise CSV {(index), text_a, text_b, preferred_text[, model_a, model_b, input]}",
    .mapping =
        "text_a/text_b -> responses (a shared \"Instruction: P\\n\\nOutput: \" prefix is split"
        " off into the prompt); input -> prompt; model_a/model_b -> models; preferred_text"
        " text_a -> A, text_b -> B, tie / tie (bothbad) -> tie by 'dataset'; index -> id",
    .detect_csv = icai_detect,
    .csv_record = icai_record,
    .csv_columns = (const char *const[]){"text_a", "text_b", "preferred_text", NULL},
};
