/* Anthropic HH-RLHF: {"chosen": transcript, "rejected": transcript}, where a
 * transcript is "\n\nHuman: ...\n\nAssistant: ..." and the two share everything but
 * the final Assistant turn.
 *
 * Regular records: the shared prefix up to the final "\n\nAssistant:" becomes the
 * system-less history plus the final Human prompt; the two final turns are the
 * responses; the label is chosen (A).  Irregular records (the prefixes differ, or the
 * context does not end in a Human turn) are cut at the last "\n\nAssistant:" that
 * lies inside the text both transcripts share, so nothing is lost: whatever differs
 * stays in the responses.  They are marked in the item's meta as
 * {"hh_irregular": "<reason>"} and counted in the import summary. */
#include <string.h>

#include "formats/formats.h"

static const char HUMAN[] = "\n\nHuman:";
static const char ASSISTANT[] = "\n\nAssistant:";

static size_t
common_prefix(const char *a, const char *b)
{
    size_t i = 0;
    while (a[i] && a[i] == b[i])
        i++;
    return i;
}

/* Last occurrence of `needle` starting at or before `limit - len(needle)`. */
static const char *
last_before(const char *s, size_t limit, const char *needle)
{
    size_t m = strlen(needle);
    const char *best = NULL, *p = s;
    while ((p = strstr(p, needle)) && (size_t)(p - s) + m <= limit) {
        best = p;
        p++;
    }
    return best;
}

static const char *
skip_space(const char *s)
{
    return *s == ' ' ? s + 1 : s;
}

static void
turn_text(struct strbuf *text, int first, const char *s, size_t n)
{
    if (!first)
        sb_putc(text, ' ');
    sb_append(text, s, n);
}

/* Parse ctx[0..n) into turns appended to a history array; the last Human turn becomes
 * the prompt when it is the final turn. */
static void
split_turns(struct fmt_job *job, const char *ctx, size_t n, const char **history,
            const char **history_text, const char **prompt, int *ends_with_human)
{
    /* sb: the turns as JSON; text: their contents joined by spaces, which the store
     * would otherwise compute from the JSON again (store.h, ps_record) */
    struct strbuf sb = STRBUF_INIT, text = STRBUF_INIT;
    const char *p = ctx, *end = ctx + n;
    const char *last_user = NULL;
    size_t last_user_len = 0;
    int count = 0;
    *ends_with_human = 0;
    sb_putc(&sb, '[');
    while (p < end) {
        const char *role;
        if (!strncmp(p, HUMAN, sizeof HUMAN - 1)) {
            role = "user";
            p += sizeof HUMAN - 1;
        } else if (!strncmp(p, ASSISTANT, sizeof ASSISTANT - 1)) {
            role = "assistant";
            p += sizeof ASSISTANT - 1;
        } else {
            role = "user"; /* text before the first marker */
        }
        p = skip_space(p);
        /* the turn runs to the next marker */
        const char *next = end;
        const char *h = strstr(p, HUMAN), *a = strstr(p, ASSISTANT);
        if (h && h < next)
            next = h;
        if (a && a < next)
            next = a;
        size_t len = (size_t)(next - p);
        if (last_user) {
            /* the previous human turn was not the final one: flush it into history */
            if (count++)
                sb_putc(&sb, ',');
            sb_puts(&sb, "{\"role\":\"user\",\"content\":");
            sb_json_str(&sb, last_user, last_user_len);
            sb_putc(&sb, '}');
            turn_text(&text, count == 1, last_user, last_user_len);
            last_user = NULL;
        }
        if (!strcmp(role, "user")) {
            last_user = p;
            last_user_len = len;
        } else {
            if (count++)
                sb_putc(&sb, ',');
            sb_puts(&sb, "{\"role\":\"assistant\",\"content\":");
            sb_json_str(&sb, p, len);
            sb_putc(&sb, '}');
            turn_text(&text, count == 1, p, len);
        }
        p = next;
    }
    sb_putc(&sb, ']');
    *prompt = last_user ? fmt_tmp(job, last_user, last_user_len) : NULL;
    *ends_with_human = last_user != NULL;
    *history = count ? fmt_tmp(job, sb_str(&sb), sb.len) : NULL;
    *history_text = count ? fmt_tmp(job, sb_str(&text), text.len) : NULL;
    sb_free(&sb);
    sb_free(&text);
}

static int
hh_detect(const cJSON *o, const char *path)
{
    (void)path;
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "chosen");
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(o, "rejected");
    if (!cJSON_IsString(c) || !cJSON_IsString(r) || cJSON_GetObjectItemCaseSensitive(o, "prompt"))
        return 0;
    return strstr(c->valuestring, "Human:") && strstr(c->valuestring, "Assistant:") ? 90 : 0;
}

static int
hh_record(struct fmt_job *job, const cJSON *o, struct ps_err *err)
{
    const char *chosen, *rejected;
    if (fmt_get_str(job, o, "chosen", 1, &chosen, err) ||
        fmt_get_str(job, o, "rejected", 1, &rejected, err))
        return err->code;
    const char *reason = NULL;
    const char *lc = last_before(chosen, strlen(chosen), ASSISTANT);
    const char *lr = last_before(rejected, strlen(rejected), ASSISTANT);
    size_t cut;
    if (lc && lr && lc - chosen == lr - rejected &&
        !strncmp(chosen, rejected, (size_t)(lc - chosen))) {
        cut = (size_t)(lc - chosen);
    } else {
        size_t common = common_prefix(chosen, rejected);
        const char *m = last_before(chosen, common, ASSISTANT);
        if (m) {
            cut = (size_t)(m - chosen);
            reason = "the transcripts differ before their final Assistant turn";
        } else {
            cut = common;
            /* back off to a turn boundary so no marker is split */
            const char *hm = last_before(chosen, common, HUMAN);
            cut = hm ? (size_t)(hm - chosen) : 0;
            reason = "no shared Assistant turn; responses hold the differing turns";
        }
    }
    const char *ra = chosen + cut, *rb = rejected + cut;
    if (!strncmp(ra, ASSISTANT, sizeof ASSISTANT - 1) &&
        !strncmp(rb, ASSISTANT, sizeof ASSISTANT - 1)) {
        ra = skip_space(ra + sizeof ASSISTANT - 1);
        rb = skip_space(rb + sizeof ASSISTANT - 1);
    }
    struct ps_record rec;
    ps_record_clear(&rec);
    int ends_with_human;
    split_turns(job, chosen, cut, &rec.history_json, &rec.history_text, &rec.prompt,
                &ends_with_human);
    if (!reason && !ends_with_human)
        reason = "the context before the final Assistant turn does not end with a Human turn";
    if (!reason && (strstr(ra, HUMAN) || strstr(rb, HUMAN)))
        reason = "a final Assistant turn contains a Human turn";
    if (reason) {
        rec.meta_json = fmt_tmp_printf(job, "{\"hh_irregular\":\"%s\"}", reason);
        job->sink->n_repaired++;
    }
    ps_record_add_response(&rec, ra, NULL);
    ps_record_add_response(&rec, rb, NULL);
    ps_record_add_judgment(&rec, 0, 1, "dataset", "A", 1.0, NULL);
    return fmt_emit(job, &rec, err);
}

const struct import_format format_hh = {
    .name = "hh",
    .summary = "Anthropic HH-RLHF transcripts {chosen, rejected}",
    .mapping = "shared transcript prefix -> history + final Human prompt; final Assistant turns ->"
               " responses [chosen, rejected]; judgment A (annotator 'dataset')",
    .detect_json = hh_detect,
    .json_record = hh_record,
};
