#include "formats/fieldmap.h"

#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

struct field_step {
    char *key; /* object key, or NULL for an index */
    int index;
};

struct field_path {
    struct field_step *s;
    int n;
};

static const char *const targets[] = {
    "id",        "system",    "history",       "prompt",     "a",         "b",
    "chosen",    "rejected",  "model.a",       "model.b",    "label",     "label.a",
    "label.b",   "label.tie", "label.invalid", "p_a",        "annotator", "annotator.name",
    "rationale", "tags",      "response",      "label.good", "label.bad",
};

static int
is_constant_target(const char *t)
{
    return strncmp(t, "label.", 6) == 0 || strcmp(t, "annotator.name") == 0;
}

static int
valid_target(const char *t)
{
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
        if (strcmp(t, targets[i]) == 0)
            return 1;
    return (strncmp(t, "rating.a.", 9) == 0 && t[9]) || (strncmp(t, "rating.b.", 9) == 0 && t[9]) ||
           (strncmp(t, "rating.response.", 16) == 0 && t[16]);
}

static void
path_free(struct field_path *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->n; i++)
        free(p->s[i].key);
    free(p->s);
    free(p);
}

static void
path_add(struct field_path *p, char *key, int index)
{
    p->s = xrealloc(p->s, (size_t)(p->n + 1) * sizeof *p->s);
    p->s[p->n].key = key;
    p->s[p->n].index = index;
    p->n++;
}

static int
path_parse(const char *src, struct field_path **out, struct ps_err *err)
{
    struct field_path *p = xcalloc(1, sizeof *p);
    const char *s = src;
    while (*s) {
        if (*s == '[') {
            s++;
            if (*s == '"' || *s == '\'') {
                char q = *s++;
                const char *end = strchr(s, q);
                if (!end || end[1] != ']') {
                    path_free(p);
                    return ps_error(err, PS_ERR_USAGE, "--map: unterminated [\"key\"] in '%s'",
                                    src);
                }
                path_add(p, xstrndup(s, (size_t)(end - s)), 0);
                s = end + 2;
            } else {
                char *end;
                long idx = strtol(s, &end, 10);
                if (end == s || *end != ']' || idx < 0) {
                    path_free(p);
                    return ps_error(err, PS_ERR_USAGE,
                                    "--map: expected a number or a quoted key inside [] in '%s'",
                                    src);
                }
                path_add(p, NULL, (int)idx);
                s = end + 1;
            }
        } else {
            if (*s == '.' && p->n > 0)
                s++;
            size_t len = strcspn(s, ".[");
            if (len == 0) {
                path_free(p);
                return ps_error(err, PS_ERR_USAGE, "--map: empty field name in '%s'", src);
            }
            path_add(p, xstrndup(s, len), 0);
            s += len;
        }
    }
    if (p->n == 0) {
        path_free(p);
        return ps_error(err, PS_ERR_USAGE, "--map: empty path");
    }
    *out = p;
    return PS_OK;
}

const cJSON *
fieldmap_resolve(const struct field_path *p, const cJSON *root)
{
    const cJSON *v = root;
    for (int i = 0; v && i < p->n; i++) {
        if (p->s[i].key)
            v = cJSON_IsObject(v) ? cJSON_GetObjectItemCaseSensitive(v, p->s[i].key) : NULL;
        else
            v = cJSON_IsArray(v) ? cJSON_GetArrayItem(v, p->s[i].index) : NULL;
    }
    return v;
}

/* Split on commas outside [] and quotes. */
static const char *
next_entry(const char *s, size_t *len)
{
    int depth = 0;
    char q = 0;
    const char *p = s;
    for (; *p; p++) {
        if (q) {
            if (*p == q)
                q = 0;
        } else if (*p == '"' || *p == '\'') {
            q = *p;
        } else if (*p == '[') {
            depth++;
        } else if (*p == ']') {
            depth--;
        } else if (*p == ',' && depth == 0) {
            break;
        }
    }
    *len = (size_t)(p - s);
    return p;
}

int
fieldmap_parse(const char *spec, struct field_map **out, struct ps_err *err)
{
    struct field_map *m = xcalloc(1, sizeof *m);
    const char *s = spec;
    while (*s) {
        size_t len;
        const char *end = next_entry(s, &len);
        char *entry = xstrndup(s, len);
        char *eq = strchr(entry, '=');
        if (eq) {
            /* whitespace around the target and the path is layout, not a name;
             * a key with leading or trailing spaces is written ["  key "] */
            char *t = entry, *te = eq;
            while (*t == ' ' || *t == '\t')
                t++;
            while (te > t && (te[-1] == ' ' || te[-1] == '\t'))
                te--;
            *te = '\0';
            char *src = eq + 1;
            while (*src == ' ' || *src == '\t')
                src++;
            size_t sl = strlen(src);
            while (sl && (src[sl - 1] == ' ' || src[sl - 1] == '\t'))
                src[--sl] = '\0';
            memmove(entry, t, (size_t)(te - t) + 1);
            eq = entry + (te - t);
            memmove(eq + 1, src, sl + 1);
        }
        if (!eq || eq == entry) {
            fieldmap_free(m);
            ps_error(err, PS_ERR_USAGE, "--map: expected TARGET=FIELD, found '%s'", entry);
            free(entry);
            return PS_ERR_USAGE;
        }
        *eq = '\0';
        const char *target = entry, *source = eq + 1;
        if (!valid_target(target)) {
            ps_error(err, PS_ERR_USAGE,
                     "--map: unknown target '%s' (expected prompt, a, b, label, label.a, ...;"
                     " see docs/formats.md)",
                     target);
            free(entry);
            fieldmap_free(m);
            return PS_ERR_USAGE;
        }
        if (fieldmap_get(m, target)) {
            ps_error(err, PS_ERR_USAGE, "--map: target '%s' is mapped twice", target);
            free(entry);
            fieldmap_free(m);
            return PS_ERR_USAGE;
        }
        m->e = xrealloc(m->e, (size_t)(m->n + 1) * sizeof *m->e);
        struct field_map_entry *e = &m->e[m->n];
        e->target = xstrdup(target);
        e->source = xstrdup(source);
        e->path = NULL;
        m->n++;
        if (!is_constant_target(target) && path_parse(source, &e->path, err) != PS_OK) {
            free(entry);
            fieldmap_free(m);
            return PS_ERR_USAGE;
        }
        free(entry);
        s = *end ? end + 1 : end;
    }
    /* Exactly one way of naming the responses: a[,b] | chosen,rejected | response. */
    int has_a = fieldmap_get(m, "a") != NULL, has_b = fieldmap_get(m, "b") != NULL;
    int has_c = fieldmap_get(m, "chosen") != NULL, has_r = fieldmap_get(m, "rejected") != NULL;
    int has_s = fieldmap_get(m, "response") != NULL;
    const char *why = NULL;
    if (!has_a && !has_c && !has_s)
        why = "needs at least a response field (a=FIELD, chosen=FIELD or response=FIELD)";
    else if (has_a + has_c + has_s > 1 || ((has_a || has_s) && has_r) ||
             ((has_c || has_s) && has_b))
        why = "use one of a=,b= or chosen=,rejected= or response= to name the responses, not a mix";
    else if (has_c != has_r)
        why = "chosen= and rejected= go together";
    if (why) {
        fieldmap_free(m);
        return ps_error(err, PS_ERR_USAGE, "--map: %s", why);
    }
    *out = m;
    return PS_OK;
}

void
fieldmap_free(struct field_map *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->n; i++) {
        free(m->e[i].target);
        free(m->e[i].source);
        path_free(m->e[i].path);
    }
    free(m->e);
    free(m);
}

const struct field_map_entry *
fieldmap_get(const struct field_map *m, const char *target)
{
    for (int i = 0; m && i < m->n; i++)
        if (strcmp(m->e[i].target, target) == 0)
            return &m->e[i];
    return NULL;
}

void
fieldmap_describe(const struct field_map *m, struct strbuf *sb)
{
    for (int i = 0; i < m->n; i++)
        sb_printf(sb, "%s%s %s %s", i ? "; " : "", m->e[i].target,
                  is_constant_target(m->e[i].target) ? "=" : "<-", m->e[i].source);
}
