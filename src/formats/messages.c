/* Chat message lists in their common spellings (OpenAI role/content, ShareGPT
 * from/value, multi-part content). */
#include <string.h>

#include "formats/formats.h"

const char *
fmt_content_text(struct fmt_job *job, const cJSON *c)
{
    if (cJSON_IsString(c))
        return c->valuestring;
    if (!cJSON_IsArray(c))
        return NULL;
    struct strbuf sb = STRBUF_INIT;
    const cJSON *part;
    int any = 0;
    cJSON_ArrayForEach(part, c)
    {
        const cJSON *t =
            cJSON_IsString(part) ? part : cJSON_GetObjectItemCaseSensitive(part, "text");
        if (cJSON_IsString(t)) {
            if (any)
                sb_putc(&sb, '\n');
            sb_puts(&sb, t->valuestring);
            any = 1;
        }
    }
    const char *r = any ? fmt_tmp(job, sb_str(&sb), sb.len) : NULL;
    sb_free(&sb);
    return r;
}

const char *
fmt_message_role(const cJSON *msg)
{
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(msg, "role");
    if (!cJSON_IsString(r))
        r = cJSON_GetObjectItemCaseSensitive(msg, "from");
    if (!cJSON_IsString(r))
        return NULL;
    const char *s = r->valuestring;
    if (!strcmp(s, "human") || !strcmp(s, "user") || !strcmp(s, "Human") || !strcmp(s, "USER"))
        return "user";
    if (!strcmp(s, "gpt") || !strcmp(s, "assistant") || !strcmp(s, "Assistant") ||
        !strcmp(s, "bot") || !strcmp(s, "model") || !strcmp(s, "ASSISTANT"))
        return "assistant";
    if (!strcmp(s, "system") || !strcmp(s, "System"))
        return "system";
    return s;
}

const char *
fmt_message_content(struct fmt_job *job, const cJSON *msg)
{
    static const char *const keys[] = {"content", "value", "text"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(msg, keys[i]);
        if (c)
            return fmt_content_text(job, c);
    }
    return NULL;
}

int
fmt_split_messages(struct fmt_job *job, const cJSON *msgs, int n, const char *field,
                   const char **system, const char **history, const char **prompt,
                   struct ps_err *err)
{
    *system = *history = *prompt = NULL;
    int start = 0, last_user = -1;
    for (int i = 0; i < n; i++) {
        const cJSON *m = cJSON_GetArrayItem(msgs, i);
        if (!cJSON_IsObject(m))
            return fmt_fail(job, err, "%s[%d]: expected a message object, found %s", field, i,
                            fmt_json_type(m));
        const char *role = fmt_message_role(m);
        if (!role)
            return fmt_fail(job, err,
                            "%s[%d]: message without a role (expected \"role\" or \"from\")", field,
                            i);
        if (!fmt_message_content(job, m))
            return fmt_fail(job, err,
                            "%s[%d]: message without text (expected \"content\" or \"value\")",
                            field, i);
        if (!strcmp(role, "user"))
            last_user = i;
    }
    if (n > 0) {
        const cJSON *m0 = cJSON_GetArrayItem(msgs, 0);
        if (!strcmp(fmt_message_role(m0), "system")) {
            *system = fmt_message_content(job, m0);
            start = 1;
        }
    }
    int end = last_user >= start ? last_user : n; /* history is [start, end) */
    if (last_user >= start)
        *prompt = fmt_message_content(job, cJSON_GetArrayItem(msgs, last_user));
    int has_after = last_user >= start && last_user + 1 < n;
    if (end > start || has_after) {
        struct strbuf sb = STRBUF_INIT;
        sb_putc(&sb, '[');
        int first = 1;
        for (int i = start; i < n; i++) {
            if (i == last_user)
                continue;
            const cJSON *m = cJSON_GetArrayItem(msgs, i);
            const char *role = fmt_message_role(m), *content = fmt_message_content(job, m);
            if (!first)
                sb_putc(&sb, ',');
            first = 0;
            sb_puts(&sb, "{\"role\":");
            sb_json_str(&sb, role, strlen(role));
            sb_puts(&sb, ",\"content\":");
            sb_json_str(&sb, content, strlen(content));
            if (i > last_user && last_user >= start)
                sb_puts(&sb, ",\"after_prompt\":true");
            sb_putc(&sb, '}');
        }
        sb_putc(&sb, ']');
        *history = fmt_tmp(job, sb_str(&sb), sb.len);
        sb_free(&sb);
    }
    return PS_OK;
}

int
fmt_response_text(struct fmt_job *job, const cJSON *v, const char *field, const char **out,
                  struct ps_err *err)
{
    *out = NULL;
    if (cJSON_IsString(v)) {
        *out = v->valuestring;
    } else if (cJSON_IsObject(v)) {
        *out = fmt_message_content(job, v);
    } else if (cJSON_IsArray(v)) {
        int n = cJSON_GetArraySize(v);
        if (n > 0) {
            const cJSON *last = cJSON_GetArrayItem(v, n - 1);
            *out = cJSON_IsObject(last) ? fmt_message_content(job, last) : fmt_content_text(job, v);
        }
    }
    if (!*out)
        return fmt_fail(job, err, "field '%s': expected a string or a message, found %s", field,
                        fmt_json_type(v));
    return PS_OK;
}

/* Number of leading messages two lists share (same role and content). */
int
fmt_shared_messages(struct fmt_job *job, const cJSON *a, const cJSON *b)
{
    int n = 0, na = cJSON_GetArraySize(a), nb = cJSON_GetArraySize(b);
    while (n < na && n < nb) {
        const cJSON *x = cJSON_GetArrayItem(a, n), *y = cJSON_GetArrayItem(b, n);
        const char *rx = fmt_message_role(x), *ry = fmt_message_role(y);
        const char *cx = fmt_message_content(job, x), *cy = fmt_message_content(job, y);
        if (!rx || !ry || !cx || !cy || strcmp(rx, ry) || strcmp(cx, cy))
            break;
        n++;
    }
    return n;
}

/* Text of the messages of `list` from index `from` on (normally one assistant turn). */
const char *
fmt_messages_text(struct fmt_job *job, const cJSON *list, int from)
{
    int n = cJSON_GetArraySize(list);
    if (n - from == 1)
        return fmt_message_content(job, cJSON_GetArrayItem(list, from));
    struct strbuf sb = STRBUF_INIT;
    for (int i = from; i < n; i++) {
        const char *t = fmt_message_content(job, cJSON_GetArrayItem(list, i));
        if (i > from)
            sb_puts(&sb, "\n\n");
        sb_puts(&sb, t ? t : "");
    }
    const char *r = fmt_tmp(job, sb_str(&sb), sb.len);
    sb_free(&sb);
    return r;
}
