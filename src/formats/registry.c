/* Every import format, in detection-priority order (ties go to the earlier one). */
#include <string.h>

#include "formats/formats.h"

#define FORMAT_LIST(_) \
    _(native) \
    _(hh) \
    _(sharegpt) \
    _(trl) \
    _(kto) \
    _(alpaca_eval) \
    _(alpaca_eval_outputs) \
    _(pandalm) \
    _(pandalm_judge) \
    _(llmbar) \
    _(arena) \
    _(icai) \
    _(annotated_pairs) \
    _(c3po) \
    _(ultrafeedback) \
    _(helpsteer2) \
    _(nectar) \
    _(shp) \
    _(kto_messages) \
    _(pku_saferlhf) \
    _(mtbench_pair) \
    _(oasst_trees) \
    _(generic)

#define FORMAT_EXTERN(name) extern const struct import_format format_##name;
FORMAT_LIST(FORMAT_EXTERN)
#undef FORMAT_EXTERN

static const struct import_format *const all_formats[] = {
#define FORMAT_PTR(name) &format_##name,
    FORMAT_LIST(FORMAT_PTR)
#undef FORMAT_PTR
        NULL,
};

const struct import_format *const *
format_list(void)
{
    return all_formats;
}

const struct import_format *
format_find(const char *name)
{
    for (int i = 0; all_formats[i]; i++)
        if (strcmp(all_formats[i]->name, name) == 0)
            return all_formats[i];
    return NULL;
}
