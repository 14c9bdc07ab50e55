/* Field access, temporary strings and record emission for converters. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "formats/formats.h"
#include "store/store.h"

const char *
fmt_json_type(const cJSON *v)
{
    if (!v)
        return "nothing";
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsBool(v))
        return "a boolean";
    if (cJSON_IsNull(v))
        return "null";
    if (cJSON_IsArray(v))
        return "an array";
    if (cJSON_IsObject(v))
        return "an object";
    return "an invalid value";
}

/* The nested-object prefix of field names in messages. */
#define FP(job) ((job)->field_prefix ? (job)->field_prefix : "")

const char *
fmt_where(struct fmt_job *job)
{
    return job->rows ? fmt_tmp_printf(job, "%s: row %ld", job->path, job->line)
                     : fmt_tmp_printf(job, "%s:%ld", job->path, job->line);
}

int
fmt_fail(struct fmt_job *job, struct ps_err *err, const char *fmt, ...)
{
    char msg[PS_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* Messages quote dataset text; keep them on one line and free of terminal
     * control bytes. */
    for (char *p = msg; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    return ps_error(err, PS_ERR_PARSE, "%s: %s", fmt_where(job), msg);
}

int
fmt_get_str(struct fmt_job *job, const cJSON *obj, const char *key, int required, const char **out,
            struct ps_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = NULL;
    if (!v || cJSON_IsNull(v)) {
        if (required)
            return fmt_fail(job, err, "missing field '%s%s' (expected a string)", FP(job), key);
        return PS_OK;
    }
    if (!cJSON_IsString(v))
        return fmt_fail(job, err, "field '%s%s': expected a string, found %s", FP(job), key,
                        fmt_json_type(v));
    *out = v->valuestring;
    return PS_OK;
}

int
fmt_get_num(struct fmt_job *job, const cJSON *obj, const char *key, int required, double *out,
            int *present, struct ps_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (present)
        *present = 0;
    if (!v || cJSON_IsNull(v)) {
        if (required)
            return fmt_fail(job, err, "missing field '%s%s' (expected a number)", FP(job), key);
        return PS_OK;
    }
    if (cJSON_IsNumber(v)) {
        *out = v->valuedouble;
    } else if (cJSON_IsBool(v)) {
        *out = cJSON_IsTrue(v) ? 1 : 0;
    } else if (cJSON_IsString(v)) {
        char *end;
        double d = strtod(v->valuestring, &end);
        if (end == v->valuestring || *end)
            return fmt_fail(job, err, "field '%s%s': expected a number, found the string \"%.40s\"",
                            FP(job), key, v->valuestring);
        *out = d;
    } else {
        return fmt_fail(job, err, "field '%s%s': expected a number, found %s", FP(job), key,
                        fmt_json_type(v));
    }
    if (present)
        *present = 1;
    return PS_OK;
}

const char *
fmt_tmp(struct fmt_job *job, const char *s, size_t n)
{
    job->tmp = xgrow(job->tmp, sizeof *job->tmp, job->n_tmp, &job->cap_tmp, 16);
    char *p = xstrndup(s, n);
    job->tmp[job->n_tmp++] = p;
    return p;
}

const char *
fmt_tmp_str(struct fmt_job *job, const char *s)
{
    return s ? fmt_tmp(job, s, strlen(s)) : NULL;
}

const char *
fmt_tmp_json(struct fmt_job *job, const cJSON *v)
{
    if (!v)
        return NULL;
    char *s = cJSON_PrintUnformatted(v);
    if (!s)
        return NULL;
    const char *r = fmt_tmp_str(job, s);
    cJSON_free(s);
    return r;
}

const char *
fmt_tmp_printf(struct fmt_job *job, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&sb, fmt, ap);
    va_end(ap);
    const char *r = fmt_tmp(job, sb_str(&sb), sb.len);
    sb_free(&sb);
    return r;
}

int
fmt_emit(struct fmt_job *job, struct ps_record *rec, struct ps_err *err)
{
    struct import_sink *sink = job->sink;
    if (sink->dry_run) {
        struct strbuf sb = STRBUF_INIT;
        fmt_record_to_json(rec, &sb);
        cJSON *pretty = cJSON_Parse(sb_str(&sb));
        char *txt = pretty ? cJSON_Print(pretty) : NULL;
        struct strbuf safe = STRBUF_INIT;
        fmt_json_for_terminal(txt ? txt : sb_str(&sb), &safe);
        fprintf(sink->out, "first record (%s) as it would be stored:\n%s\n", fmt_where(job),
                sb_str(&safe));
        sb_free(&safe);
        cJSON_free(txt);
        cJSON_Delete(pretty);
        sb_free(&sb);
        sink->n_records++;
        job->stop = 1;
        return PS_OK;
    }
    if (sink->skip > 0) { /* in the workspace already: a resumed import */
        sink->skip--;
        sink->n_records++;
        return PS_OK;
    }
    if (store_put_record(sink->st, sink->dataset_id, rec, err) != PS_OK)
        return ps_error_prefix(err, "%s: ", fmt_where(job));
    sink->n_records++;
    return sink->chunk ? sink->chunk(sink, err) : PS_OK;
}

int
fmt_emit_feedback(struct fmt_job *job, const char *feedback, const char *domain, const char *effect,
                  const char *meta_json, struct ps_err *err)
{
    struct import_sink *sink = job->sink;
    if (sink->dry_run) {
        struct strbuf sb = STRBUF_INIT;
        sb_puts(&sb, "{\"feedback\": ");
        sb_json_str(&sb, feedback, strlen(feedback));
        sb_puts(&sb, ", \"domain\": ");
        if (domain)
            sb_json_str(&sb, domain, strlen(domain));
        else
            sb_puts(&sb, "null");
        sb_puts(&sb, ", \"effect\": ");
        if (effect)
            sb_json_str(&sb, effect, strlen(effect));
        else
            sb_puts(&sb, "null");
        sb_puts(&sb, "}");
        fprintf(sink->out, "first record (%s) as it would be stored (a feedback record):\n%s\n",
                fmt_where(job), sb_str(&sb));
        sb_free(&sb);
        sink->n_feedback++;
        job->stop = 1;
        return PS_OK;
    }
    if (sink->skip > 0) {
        sink->skip--;
        sink->n_feedback++;
        return PS_OK;
    }
    if (store_put_feedback(sink->st, sink->dataset_id, feedback, domain, effect, meta_json, err) !=
        PS_OK)
        return ps_error_prefix(err, "%s: ", fmt_where(job));
    sink->n_feedback++;
    return sink->chunk ? sink->chunk(sink, err) : PS_OK;
}
