/* --map: an explicit field mapping for shapes prefscope does not know.
 *
 *   --map 'prompt=question,a=answers[0].text,b=answers[1].text,label=pref,
 *          label.a=first,label.b=second,label.tie=same'
 *
 * Targets (left of '='): id, system, history, prompt, a, b, chosen, rejected,
 * model.a, model.b, label, label.a, label.b, label.tie, label.invalid, p_a,
 * annotator, annotator.name, rationale, rating.a.ASPECT, rating.b.ASPECT, tags.
 * Sources (right) are paths: name, a.b, list[0].c, list[-1], list[1:], list[*].text,
 * ["key with spaces, or dots"].
 * The full grammar is in docs/formats.md. */
#ifndef PS_FORMATS_FIELDMAP_H
#define PS_FORMATS_FIELDMAP_H

#include <cjson/cJSON.h>

#include "core/err.h"
#include "core/strbuf.h"

struct field_path;

struct field_map_entry {
    char *target;            /* e.g. "prompt", "rating.a.helpfulness" */
    char *source;            /* the path text, or the constant for label.* / annotator.name */
    struct field_path *path; /* parsed path (NULL for constants) */
};

struct field_tmp;

struct field_map {
    struct field_map_entry *e;
    int n;
    struct field_tmp *tmp; /* arrays built by paths with slices (fieldmap_release) */
};

/* Parse a --map spec.  On success *out is owned by the caller (fieldmap_free). */
int fieldmap_parse(const char *spec, struct field_map **out, struct ps_err *err);
void fieldmap_free(struct field_map *m);
/* The entry for `target`, or NULL. */
const struct field_map_entry *fieldmap_get(const struct field_map *m, const char *target);
/* Resolve a parsed path in a JSON value; NULL when any step is missing.  Indices may
 * be negative (-1 is the last element).  A slice ([a:b], Python rules) or [*] applies
 * the rest of the path to each element and gives the array of the results: a new
 * array owned by the map, valid until fieldmap_release(m) (call it after each record)
 * or fieldmap_free.  Without slices the result points into root. */
const cJSON *fieldmap_resolve(const struct field_path *p, const cJSON *root);
/* A path on its own (--join keys); it owns its slice arrays: release them with
 * fieldmap_path_release, and the path with fieldmap_path_free. */
int fieldmap_path_parse(const char *src, struct field_path **out, struct ps_err *err);
void fieldmap_path_release(struct field_path *const *paths, int n);
void fieldmap_path_free(struct field_path *p);
/* Free the arrays built by resolving paths with slices. */
void fieldmap_release(const struct field_map *m);
/* One-line human description ("prompt <- question; a <- answers[0].text; ..."). */
void fieldmap_describe(const struct field_map *m, struct strbuf *sb);

#endif
