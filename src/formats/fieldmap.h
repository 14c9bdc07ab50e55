/* --map: an explicit field mapping for shapes prefscope does not know.
 *
 *   --map 'prompt=question,a=answers[0].text,b=answers[1].text,label=pref,
 *          label.a=first,label.b=second,label.tie=same'
 *
 * Targets (left of '='): id, system, history, prompt, a, b, chosen, rejected,
 * model.a, model.b, label, label.a, label.b, label.tie, label.invalid, p_a,
 * annotator, annotator.name, rationale, rating.a.ASPECT, rating.b.ASPECT, tags.
 * Sources (right) are paths: name, a.b, list[0].c, ["key with spaces, or dots"].
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

struct field_map {
    struct field_map_entry *e;
    int n;
};

/* Parse a --map spec.  On success *out is owned by the caller (fieldmap_free). */
int fieldmap_parse(const char *spec, struct field_map **out, struct ps_err *err);
void fieldmap_free(struct field_map *m);
/* The entry for `target`, or NULL. */
const struct field_map_entry *fieldmap_get(const struct field_map *m, const char *target);
/* Resolve a parsed path in a JSON value; NULL when any step is missing. */
const cJSON *fieldmap_resolve(const struct field_path *p, const cJSON *root);
/* One-line human description ("prompt <- question; a <- answers[0].text; ..."). */
void fieldmap_describe(const struct field_map *m, struct strbuf *sb);

#endif
