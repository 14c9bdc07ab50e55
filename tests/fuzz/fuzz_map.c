/* Fuzz target for --map parsing (src/formats/fieldmap.c): any spec either parses or
 * fails with a message; a parsed map describes itself, and every entry resolves
 * against a small document without crashing.  Driver: tests/fuzz/driver.h. */
#include <stdint.h>
#include <string.h>

#include "core/xalloc.h"
#include "driver.h"
#include "formats/fieldmap.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    char *spec = xmalloc(n + 1);
    memcpy(spec, data, n);
    spec[n] = '\0';
    struct field_map *m = NULL;
    struct ps_err err = {0, ""};
    if (fieldmap_parse(spec, &m, &err) == PS_OK) {
        struct strbuf sb = STRBUF_INIT;
        fieldmap_describe(m, &sb);
        sb_free(&sb);
        cJSON *doc = cJSON_Parse("{\"q\":\"x\",\"answers\":[\"1\",{\"t\":[2,3]}],\"pref\":1,"
                                 "\"a b\":{\"c.d\":[null]}}");
        for (int i = 0; i < m->n; i++) {
            if (!m->e[i].target || fieldmap_get(m, m->e[i].target) == NULL)
                fuzz_fail("fuzz_map", "a parsed target is not found again", data, n);
            if (m->e[i].path)
                fieldmap_resolve(m->e[i].path, doc);
        }
        cJSON_Delete(doc);
        fieldmap_free(m);
    } else if (!err.msg[0]) {
        fuzz_fail("fuzz_map", "error without a message", data, n);
    }
    free(spec);
    return 0;
}

#ifndef PS_LIBFUZZER
int
main(int argc, char **argv)
{
    return fuzz_main(argc, argv, "fuzz_map");
}
#endif
