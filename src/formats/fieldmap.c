#include "formats/fieldmap.h"

#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

enum step_kind { STEP_KEY, STEP_INDEX, STEP_SLICE };

struct field_step {
    enum step_kind kind;
    char *key;     /* STEP_KEY */
    int index;     /* STEP_INDEX (negative: from the end); STEP_SLICE: start */
    int end;       /* STEP_SLICE: end (exclusive) */
    int has_start; /* STEP_SLICE: start given ([2:] vs [:]) */
    int has_end;   /* STEP_SLICE: end given */
};

/* Arrays built by resolving paths with slices, owned by the map until
 * fieldmap_release. */
struct field_tmp {
    cJSON **v;
    int n;
};

struct field_path {
    struct field_step *s;
    int n;
    int slices;            /* any STEP_SLICE: resolving builds a new array */
    struct field_tmp *tmp; /* shared by every path of the map */
};

static const char *const targets[] = {
    "id",        "system",    "history",       "prompt",     "a",         "b",
    "chosen",    "rejected",  "model.a",       "model.b",    "label",     "label.a",
    "label.b",   "label.tie", "label.invalid", "p_a",        "annotator", "annotator.name",
    "rationale", "tags",      "response",      "label.good", "label.bad", "responses",
    "models",    "ranks",     "scores",        "score.a",    "score.b",   "margin",
    "pairs",     "group",
};

static int
is_constant_target(const char *t)
{
    return strncmp(t, "label.", 6) == 0 || strcmp(t, "annotator.name") == 0 ||
           strcmp(t, "margin") == 0 || strcmp(t, "pairs") == 0;
}

static int
valid_target(const char *t)
{
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
        if (strcmp(t, targets[i]) == 0)
            return 1;
    return (strncmp(t, "rating.a.", 9) == 0 && t[9]) || (strncmp(t, "rating.b.", 9) == 0 && t[9]) ||
           (strncmp(t, "rating.response.", 16) == 0 && t[16]) ||
           (strncmp(t, "ratings.", 8) == 0 && t[8]);
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

static struct field_step *
path_add(struct field_path *p, enum step_kind kind, char *key, int index)
{
    p->s = xrealloc(p->s, (size_t)(p->n + 1) * sizeof *p->s);
    struct field_step *st = &p->s[p->n++];
    memset(st, 0, sizeof *st);
    st->kind = kind;
    st->key = key;
    st->index = index;
    return st;
}

/* An optional signed integer at *s (for slices); 0 when absent. */
static int
opt_int(const char **s, int *present)
{
    char *end;
    long v = strtol(*s, &end, 10);
    *present = end != *s;
    *s = end;
    return (int)v;
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
                path_add(p, STEP_KEY, xstrndup(s, (size_t)(end - s)), 0);
                s = end + 2;
            } else if (*s == '*' && s[1] == ']') {
                path_add(p, STEP_SLICE, NULL, 0); /* [*]: every element */
                p->slices = 1;
                s += 2;
            } else {
                int has_start, has_end = 0;
                const char *q = s;
                int idx = opt_int(&q, &has_start), end = 0;
                int slice = *q == ':';
                if (slice) {
                    q++;
                    end = opt_int(&q, &has_end);
                }
                if (*q != ']' || (!slice && !has_start)) {
                    path_free(p);
                    return ps_error(err, PS_ERR_USAGE,
                                    "--map: expected a number (-1 is the last), a slice [a:b], [*]"
                                    " or a quoted key inside [] in '%s'",
                                    src);
                }
                struct field_step *st = path_add(p, slice ? STEP_SLICE : STEP_INDEX, NULL, idx);
                if (slice) {
                    st->has_start = has_start;
                    st->end = end;
                    st->has_end = has_end;
                    p->slices = 1;
                }
                s = q + 1;
            }
        } else {
            if (*s == '.' && p->n > 0)
                s++;
            size_t len = strcspn(s, ".[");
            if (len == 0) {
                path_free(p);
                return ps_error(err, PS_ERR_USAGE, "--map: empty field name in '%s'", src);
            }
            path_add(p, STEP_KEY, xstrndup(s, len), 0);
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

/* Python-style bounds of a slice of an array of n elements. */
static void
slice_bounds(const struct field_step *st, int n, int *lo, int *hi)
{
    int a = st->has_start ? st->index : 0, b = st->has_end ? st->end : n;
    if (a < 0)
        a += n;
    if (b < 0)
        b += n;
    *lo = a < 0 ? 0 : a > n ? n : a;
    *hi = b < 0 ? 0 : b > n ? n : b;
}

/* Steps [i, n) from v.  After a slice the remaining steps apply to each element and
 * the results (those present) are collected in a new array, added to `out`. */
static const cJSON *
resolve_from(const struct field_path *p, int i, const cJSON *v, cJSON **built)
{
    for (; v && i < p->n; i++) {
        const struct field_step *st = &p->s[i];
        if (st->kind == STEP_KEY) {
            v = cJSON_IsObject(v) ? cJSON_GetObjectItemCaseSensitive(v, st->key) : NULL;
        } else if (st->kind == STEP_INDEX) {
            int n = cJSON_IsArray(v) ? cJSON_GetArraySize(v) : 0, k = st->index;
            if (k < 0)
                k += n;
            v = k >= 0 && k < n ? cJSON_GetArrayItem(v, k) : NULL;
        } else {
            if (!cJSON_IsArray(v))
                return NULL;
            int lo, hi;
            slice_bounds(st, cJSON_GetArraySize(v), &lo, &hi);
            cJSON *arr = cJSON_CreateArray();
            for (int k = lo; k < hi; k++) {
                cJSON *sub = NULL;
                const cJSON *e = resolve_from(p, i + 1, cJSON_GetArrayItem(v, k), &sub);
                if (e)
                    cJSON_AddItemToArray(arr, cJSON_Duplicate(e, 1));
                cJSON_Delete(sub);
            }
            cJSON_Delete(*built);
            *built = arr;
            return arr;
        }
    }
    return v;
}

int
fieldmap_path_parse(const char *src, struct field_path **out, struct ps_err *err)
{
    if (path_parse(src, out, err) != PS_OK)
        return err->code;
    if ((*out)->slices)
        (*out)->tmp = xcalloc(1, sizeof *(*out)->tmp);
    return PS_OK;
}

void
fieldmap_path_release(struct field_path *const *paths, int n)
{
    for (int i = 0; i < n; i++) {
        struct field_tmp *t = paths[i]->tmp;
        for (int k = 0; t && k < t->n; k++)
            cJSON_Delete(t->v[k]);
        if (t)
            t->n = 0;
    }
}

void
fieldmap_path_free(struct field_path *p)
{
    if (p && p->tmp) {
        fieldmap_path_release(&p, 1);
        free(p->tmp->v);
        free(p->tmp);
    }
    path_free(p);
}

const cJSON *
fieldmap_resolve(const struct field_path *p, const cJSON *root)
{
    if (!p->slices)
        return resolve_from(p, 0, root, NULL);
    cJSON *built = NULL;
    const cJSON *v = resolve_from(p, 0, root, &built);
    if (built) {
        struct field_tmp *t = p->tmp;
        t->v = xrealloc(t->v, (size_t)(t->n + 1) * sizeof *t->v);
        t->v[t->n++] = built;
    }
    return v;
}

void
fieldmap_release(const struct field_map *m)
{
    if (!m || !m->tmp)
        return;
    for (int i = 0; i < m->tmp->n; i++)
        cJSON_Delete(m->tmp->v[i]);
    m->tmp->n = 0;
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
        if (e->path) {
            if (!m->tmp)
                m->tmp = xcalloc(1, sizeof *m->tmp);
            e->path->tmp = m->tmp;
        }
        free(entry);
        s = *end ? end + 1 : end;
    }
    /* Exactly one way of naming the responses: a[,b] | chosen,rejected | response. */
    int has_a = fieldmap_get(m, "a") != NULL, has_b = fieldmap_get(m, "b") != NULL;
    int has_c = fieldmap_get(m, "chosen") != NULL, has_r = fieldmap_get(m, "rejected") != NULL;
    int has_s = fieldmap_get(m, "response") != NULL, has_l = fieldmap_get(m, "responses") != NULL;
    const char *why = NULL;
    if (!fieldmap_get(m, "prompt") && !has_a && !has_c && !has_s && !has_l)
        why = "needs a prompt or a response field (prompt=, a=, chosen=, response= or"
              " responses=)";
    else if (has_a + has_c + has_s + has_l > 1 || ((has_a || has_s || has_l) && has_r) ||
             ((has_c || has_s || has_l) && has_b))
        why = "use one of a=,b= or chosen=,rejected= or response= or responses= to name the"
              " responses, not a mix";
    else if (has_c != has_r)
        why = "chosen= and rejected= go together";
    else if (has_b && !has_a)
        why = "b= needs a=";
    else if ((fieldmap_get(m, "models") || fieldmap_get(m, "ranks") || fieldmap_get(m, "scores")) &&
             !has_l)
        why = "models=, ranks= and scores= are lists parallel to responses=";
    else if ((fieldmap_get(m, "score.a") != NULL) != (fieldmap_get(m, "score.b") != NULL))
        why = "score.a= and score.b= go together";
    else if (fieldmap_get(m, "pairs") && strcmp(fieldmap_get(m, "pairs")->source, "all") &&
             strcmp(fieldmap_get(m, "pairs")->source, "best"))
        why = "pairs= is 'all' or 'best'";
    for (int i = 0; !why && i < m->n; i++)
        if (!strncmp(m->e[i].target, "ratings.", 8) && !has_l)
            why = "ratings.ASPECT= is a list parallel to responses=";
    if (!why && fieldmap_get(m, "margin")) {
        char *end;
        double v = strtod(fieldmap_get(m, "margin")->source, &end);
        if (*end || end == fieldmap_get(m, "margin")->source || !(v >= 0))
            why = "margin= takes a number >= 0";
    }
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
    fieldmap_release(m);
    if (m->tmp)
        free(m->tmp->v);
    free(m->tmp);
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
