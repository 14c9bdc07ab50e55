/* --join: records of another file, found by key or by position, visible to --map
 * paths as $ALIAS (formats/joinfile.h). */
#include "formats/joinfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sanitize.h"
#include "core/strbuf.h"
#include "core/xalloc.h"
#include "formats/fieldmap.h"
#include "formats/jsonstream.h"

#define JOIN_MAX_KEYS 4
#define JOIN_SHOWN 3

struct join_entry {
    char *key;
    int rec;
};

struct fmt_join {
    char *alias; /* "$q" */
    char *spec;  /* as given, for messages */
    int by_position;
    struct field_path *kpath[JOIN_MAX_KEYS], *mpath[JOIN_MAX_KEYS];
    int n_keys;
    cJSON **recs;
    int n_recs;
    struct join_entry *index; /* sorted by key */
    int n_index;
    long matched, unmatched;
    char shown[JOIN_SHOWN][48];
    int n_shown;
};

struct fmt_joins {
    struct fmt_join *j;
    int n;
};

static void
join_free(struct fmt_join *j)
{
    free(j->alias);
    free(j->spec);
    for (int k = 0; k < j->n_keys; k++) {
        fieldmap_path_free(j->kpath[k]);
        fieldmap_path_free(j->mpath[k]);
    }
    for (int i = 0; i < j->n_recs; i++)
        cJSON_Delete(j->recs[i]);
    free(j->recs);
    for (int i = 0; i < j->n_index; i++)
        free(j->index[i].key);
    free(j->index);
}

void
fmt_joins_free(struct fmt_joins *js)
{
    if (!js)
        return;
    for (int i = 0; i < js->n; i++)
        join_free(&js->j[i]);
    free(js->j);
    free(js);
}

/* The key of a record: the values at the key paths, printed and separated by U+001F;
 * 0 when a part is missing. */
static int
record_key(struct field_path *const *paths, int n, const cJSON *o, struct strbuf *sb)
{
    sb_reset(sb);
    for (int k = 0; k < n; k++) {
        const cJSON *v = fieldmap_resolve(paths[k], o);
        if (k)
            sb_putc(sb, '\x1f');
        if (cJSON_IsString(v))
            sb_puts(sb, v->valuestring);
        else if (cJSON_IsNumber(v))
            sb_printf(sb, "%.17g", v->valuedouble);
        else if (cJSON_IsBool(v))
            sb_puts(sb, cJSON_IsTrue(v) ? "true" : "false");
        else
            return 0;
    }
    return 1;
}

static int
entry_cmp(const void *x, const void *y)
{
    const struct join_entry *a = x, *b = y;
    int c = strcmp(a->key, b->key);
    return c ? c : (a->rec > b->rec) - (a->rec < b->rec);
}

/* Parse "+"-separated paths into out[]; returns the count or -1. */
static int
parse_paths(const char *text, struct field_path **out, const char *spec, struct ps_err *err)
{
    int n = 0;
    const char *s = text;
    while (*s) {
        size_t len = strcspn(s, "+");
        if (n == JOIN_MAX_KEYS) {
            ps_error(err, PS_ERR_USAGE, "--join %s: at most %d key fields", spec, JOIN_MAX_KEYS);
            return -1;
        }
        char *one = xstrndup(s, len);
        int rc = fieldmap_path_parse(one, &out[n], err);
        free(one);
        if (rc != PS_OK)
            return -1;
        n++;
        s += len + (s[len] == '+');
    }
    return n;
}

/* ALIAS=FILE:KEY[=MAINKEY] */
static int
join_load(struct fmt_join *j, const char *spec, struct ps_err *err)
{
    const char *eq = strchr(spec, '=');
    const char *colon = eq ? strrchr(eq + 1, ':') : NULL;
    if (!eq || eq == spec || !colon || colon == eq + 1 || !colon[1])
        return ps_error(err, PS_ERR_USAGE,
                        "--join '%s': expected ALIAS=FILE:KEY[=MAINKEY] (docs/formats.md)", spec);
    for (const char *p = spec; p < eq; p++)
        if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9')))
            return ps_error(err, PS_ERR_USAGE, "--join '%s': the alias is letters, digits and _",
                            spec);
    j->spec = xstrdup(spec);
    struct strbuf a = STRBUF_INIT;
    sb_printf(&a, "$%.*s", (int)(eq - spec), spec);
    j->alias = xstrdup(sb_str(&a));
    sb_free(&a);
    char *file = xstrndup(eq + 1, (size_t)(colon - eq - 1));
    const char *keys = colon + 1, *mkeys = strchr(keys, '=');
    int rc = PS_OK;
    if (!strcmp(keys, "#")) {
        j->by_position = 1;
    } else {
        char *k = xstrndup(keys, mkeys ? (size_t)(mkeys - keys) : strlen(keys));
        j->n_keys = parse_paths(k, j->kpath, spec, err);
        int nm = parse_paths(mkeys ? mkeys + 1 : k, j->mpath, spec, err);
        free(k);
        if (j->n_keys < 0 || nm < 0)
            rc = PS_ERR_USAGE;
        else if (nm != j->n_keys)
            rc = ps_error(err, PS_ERR_USAGE, "--join '%s': %d key fields but %d main fields", spec,
                          j->n_keys, nm);
        if (j->n_keys < 0)
            j->n_keys = 0;
    }
    struct json_stream js;
    if (rc == PS_OK && js_open(&js, file, err) == PS_OK) {
        cJSON *o;
        int got;
        while ((got = js_next(&js, &o, err)) > 0) {
            j->recs = xrealloc(j->recs, (size_t)(j->n_recs + 1) * sizeof *j->recs);
            j->recs[j->n_recs++] = o;
        }
        if (got < 0)
            rc = err->code ? err->code : PS_ERR_PARSE;
        js_close(&js);
    } else if (rc == PS_OK) {
        rc = err->code;
    }
    free(file);
    if (rc != PS_OK || j->by_position)
        return rc;
    struct strbuf sb = STRBUF_INIT;
    j->index = xcalloc((size_t)j->n_recs + 1, sizeof *j->index);
    for (int i = 0; i < j->n_recs; i++) {
        if (!record_key(j->kpath, j->n_keys, j->recs[i], &sb))
            continue;
        j->index[j->n_index].key = xstrdup(sb_str(&sb));
        j->index[j->n_index++].rec = i;
        fieldmap_path_release(j->kpath, j->n_keys);
    }
    sb_free(&sb);
    qsort(j->index, (size_t)j->n_index, sizeof *j->index, entry_cmp);
    return PS_OK;
}

int
fmt_joins_load(const char *const *specs, int n, struct fmt_joins **out, struct ps_err *err)
{
    struct fmt_joins *js = xcalloc(1, sizeof *js);
    js->j = xcalloc((size_t)n + 1, sizeof *js->j);
    for (int i = 0; i < n; i++) {
        js->n++;
        if (join_load(&js->j[i], specs[i], err) != PS_OK) {
            fmt_joins_free(js);
            return err->code;
        }
    }
    *out = js;
    return PS_OK;
}

/* The joined record for main record o (the index-th of its file), or NULL. */
static const cJSON *
join_find(struct fmt_join *j, const cJSON *o, long index, struct strbuf *sb)
{
    if (j->by_position) {
        sb_reset(sb);
        sb_printf(sb, "record %ld", index + 1);
        return index >= 0 && index < j->n_recs ? j->recs[index] : NULL;
    }
    if (!record_key(j->mpath, j->n_keys, o, sb)) {
        fieldmap_path_release(j->mpath, j->n_keys);
        return NULL;
    }
    fieldmap_path_release(j->mpath, j->n_keys);
    struct join_entry probe = {(char *)sb_str(sb), -1};
    int lo = 0, hi = j->n_index;
    while (lo < hi) { /* the first entry >= probe: the earliest record with that key */
        int mid = (lo + hi) / 2;
        if (entry_cmp(&j->index[mid], &probe) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < j->n_index && !strcmp(j->index[lo].key, sb_str(sb)) ? j->recs[j->index[lo].rec]
                                                                    : NULL;
}

cJSON *
fmt_joins_wrap(struct fmt_joins *js, const cJSON *o, long index)
{
    cJSON *w = cJSON_CreateObject();
    const cJSON *c;
    cJSON_ArrayForEach(c, o) cJSON_AddItemReferenceToObject(w, c->string, (cJSON *)c);
    struct strbuf sb = STRBUF_INIT;
    for (int i = 0; i < js->n; i++) {
        struct fmt_join *j = &js->j[i];
        const cJSON *r = join_find(j, o, index, &sb);
        if (r) {
            j->matched++;
            cJSON_AddItemReferenceToObject(w, j->alias, (cJSON *)r);
            continue;
        }
        j->unmatched++;
        if (j->n_shown < JOIN_SHOWN) {
            /* keys come from the data: shown sanitized (no terminal controls) */
            for (size_t k = 0; k < sb.len; k++)
                if (sb.p[k] == '\x1f')
                    sb.p[k] = '+';
            struct strbuf clean = STRBUF_INIT;
            text_sanitize(sb_str(&sb), sb.len, &clean, TEXT_SAN_ONELINE);
            snprintf(j->shown[j->n_shown++], sizeof j->shown[0], "%s",
                     sb.len ? sb_str(&clean) : "(no key)");
            sb_free(&clean);
        }
    }
    sb_free(&sb);
    return w;
}

int
fmt_joins_check(const struct fmt_joins *js, struct strbuf *notes, struct ps_err *err)
{
    for (int i = 0; js && i < js->n; i++) {
        const struct fmt_join *j = &js->j[i];
        if (!j->unmatched)
            continue;
        struct strbuf keys = STRBUF_INIT;
        for (int k = 0; k < j->n_shown; k++)
            sb_printf(&keys, "%s\"%s\"", k ? ", " : "", j->shown[k]);
        if (!j->matched) {
            ps_error(err, PS_ERR_PARSE,
                     "--join %s: no record found its match (%ld records; first keys: %s)", j->spec,
                     j->unmatched, sb_str(&keys));
            sb_free(&keys);
            return PS_ERR_PARSE;
        }
        sb_printf(notes, "%s--join %s: %ld record%s without a match (first keys: %s)",
                  notes->len ? "; " : "", j->alias + 1, j->unmatched, j->unmatched == 1 ? "" : "s",
                  sb_str(&keys));
        sb_free(&keys);
    }
    return PS_OK;
}
