/* Fuzz target for every importer through import_files (src/formats/import.c): the
 * input is written to a file whose extension (.jsonl, .json, .csv, .jsonl.gz is not
 * used: zlib reads plain files too) and forced format (none = detection, or one of
 * the registry's formats) come from its first byte, and imported into an in-memory
 * workspace.  Checks: an import either succeeds or fails with a message that names
 * the file, and a failed import leaves no dataset behind (atomicity).
 * Driver: tests/fuzz/driver.h. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "driver.h"
#include "formats/formats.h"
#include "formats/import.h"
#include "store/store.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    static struct store *st;
    static char dir[64];
    struct ps_err err = {0, ""};
    if (!st) {
        snprintf(dir, sizeof dir, "/tmp/ps-fuzz-import-%ld", (long)getpid());
        if (store_open(&st, ":memory:", &err) != PS_OK)
            fuzz_fail("fuzz_import", err.msg, data, n);
    }
    static const char *const ext[] = {".jsonl", ".json", ".csv", ".txt"};
    unsigned sel = n ? data[0] : 0;
    if (n) {
        data++;
        n--;
    }
    const struct import_format *const *fl = format_list();
    int nf = 0;
    while (fl[nf])
        nf++;
    /* half of the inputs detect the format, the others force one */
    const char *format = (sel & 0x80) ? fl[(sel >> 2) % (unsigned)nf]->name : NULL;
    char path[128];
    snprintf(path, sizeof path, "%s%s", dir, ext[sel & 3]);
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, n, f);
    fclose(f);

    struct import_opts o;
    memset(&o, 0, sizeof o);
    o.name = "fuzz";
    o.format = format;
    o.replace = 1;
    FILE *sink = fopen("/dev/null", "w");
    o.out = sink;
    struct import_result res;
    char *files[1] = {path};
    int rc = import_files(st, files, 1, &o, &res, &err);
    int64_t id;
    int exists = store_dataset_find(st, "fuzz", &id, NULL) == PS_OK;
    if (rc != PS_OK) {
        if (!err.msg[0] || !strstr(err.msg, dir))
            fuzz_fail("fuzz_import", "an import error does not name the file", data - 1, n + 1);
        if (exists)
            fuzz_fail("fuzz_import", "a failed import left a dataset", data - 1, n + 1);
    } else if (!exists) {
        fuzz_fail("fuzz_import", "a successful import left no dataset", data - 1, n + 1);
    }
    if (exists) {
        struct ps_err e2 = {0, ""};
        store_begin(st, &e2);
        store_dataset_delete(st, id, &e2);
        store_commit(st, &e2);
    }
    if (sink)
        fclose(sink);
    remove(path);
    return 0;
}

#ifndef PS_LIBFUZZER
int
main(int argc, char **argv)
{
    return fuzz_main(argc, argv, "fuzz_import");
}
#endif
