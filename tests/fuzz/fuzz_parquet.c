/* Fuzz target for the Parquet reader (src/formats/parquet.c, thrift_compact.c,
 * snappy.c), which reads untrusted files.  Checks:
 *   - any input gives rows or one error, never a crash, a hang or a leak (ASan);
 *   - every row is a JSON object and row indexes count up from 0;
 *   - an error message names the file;
 *   - Snappy: decompress(compress(x)) == x, and decompressing any bytes stays in
 *     bounds.
 *
 * Built two ways (tests/CMakeLists.txt):
 *   fuzz_parquet            a deterministic random harness run by ctest (label fuzz):
 *                           `fuzz_parquet [ITERATIONS] [FILE...]`: mutations (bit
 *                           flips, cuts, byte runs) of a small built-in file, of the
 *                           FILEs and of $PS_DATA/parquet_fixtures/smollm2_*.parquet
 *   fuzz_parquet_libfuzzer  with clang and -DPS_FUZZ=ON, under ASan+UBSan:
 *                           `fuzz_parquet_libfuzzer -max_total_time=60 CORPUS` */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/parquet.h"
#include "formats/snappy.h"

static void
fail(const char *what, const uint8_t *data, size_t n)
{
    fprintf(stderr,
            "fuzz_parquet: property failed: %s (input of %zu bytes), saved in "
            "fuzz_parquet-failure.bin\n",
            what, n);
    FILE *f = fopen("fuzz_parquet-failure.bin", "wb");
    if (f) {
        fwrite(data, 1, n, f);
        fclose(f);
    }
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    struct ps_err err = {0};
    struct pq_file *f;
    if (pq_open_mem(data, n, "fuzz.parquet", &f, &err) == PS_OK) {
        cJSON *row;
        int got;
        int64_t want = 0;
        while ((got = pq_next(f, &row, &err)) > 0) {
            if (!cJSON_IsObject(row))
                fail("a row is not an object", data, n);
            if (pq_row_index(f) != want++)
                fail("row index out of step", data, n);
            cJSON_Delete(row);
        }
        pq_close(f);
        if (got < 0 && strncmp(err.msg, "fuzz.parquet: ", 14))
            fail("error without the file name", data, n);
    } else if (strncmp(err.msg, "fuzz.parquet: ", 14)) {
        fail("open error without the file name", data, n);
    }
    /* Snappy on the same bytes: in-bounds decoding and a lossless round trip */
    uint8_t out[4096];
    size_t got_len;
    const char *why;
    snappy_decompress(data, n, out, sizeof out, &got_len, &why);
    if (n <= 4096) {
        static uint8_t comp[8192], back[4096];
        size_t c = snappy_compress(data, n, comp);
        if (c > snappy_max_compressed(n) ||
            snappy_decompress(comp, c, back, sizeof back, &got_len, &why) || got_len != n ||
            memcmp(back, data, n))
            fail("snappy round trip", data, n);
    }
    return 0;
}

#ifndef PS_LIBFUZZER
/* A valid file: one optional INT32 column x, rows 7, null, -2, null, 2147483647. */
static const uint8_t sample[] = {
    0x50, 0x41, 0x52, 0x31, 0x15, 0x00, 0x15, 0x24, 0x15, 0x24, 0x2c, 0x15, 0x0a, 0x15, 0x00, 0x15,
    0x06, 0x15, 0x06, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x03, 0x15, 0x07, 0x00, 0x00, 0x00, 0xfe,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x15, 0x02, 0x19, 0x2c, 0x48, 0x06, 0x73, 0x63, 0x68,
    0x65, 0x6d, 0x61, 0x15, 0x02, 0x00, 0x15, 0x02, 0x25, 0x02, 0x18, 0x01, 0x78, 0x00, 0x16, 0x0a,
    0x19, 0x1c, 0x19, 0x1c, 0x26, 0x08, 0x1c, 0x15, 0x02, 0x19, 0x15, 0x00, 0x19, 0x18, 0x01, 0x78,
    0x15, 0x00, 0x16, 0x0a, 0x16, 0x46, 0x16, 0x46, 0x26, 0x08, 0x00, 0x00, 0x16, 0x46, 0x16, 0x0a,
    0x00, 0x00, 0x3b, 0x00, 0x00, 0x00, 0x50, 0x41, 0x52, 0x31,
};

static size_t
load(const char *path, uint8_t *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

int
main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 20000;
    enum { CAP = 1 << 16 };
    static uint8_t seeds[4][CAP], buf[CAP];
    size_t seed_len[4] = {0};
    int nseeds = 0;
    memcpy(seeds[nseeds], sample, sizeof sample);
    seed_len[nseeds++] = sizeof sample;
    const char *data = getenv("PS_DATA");
    if (data) {
        char path[4096];
        snprintf(path, sizeof path, "%s/parquet_fixtures/smollm2_customs_train.parquet", data);
        if ((seed_len[nseeds] = load(path, seeds[nseeds], CAP)) > 0)
            nseeds++;
    }
    for (int i = 2; i < argc && nseeds < 4; i++) {
        if ((seed_len[nseeds] = load(argv[i], seeds[nseeds], CAP)) == 0) {
            perror(argv[i]);
            return 1;
        }
        LLVMFuzzerTestOneInput(seeds[nseeds], seed_len[nseeds]);
        nseeds++;
    }
    for (int s = 0; s < nseeds; s++)
        LLVMFuzzerTestOneInput(seeds[s], seed_len[s]);
    unsigned seed = 20261204;
    for (long it = 0; it < iters; it++) {
        int s = (int)(it % nseeds);
        size_t n = seed_len[s];
        memcpy(buf, seeds[s], n);
        int muts = 1 + rand_r(&seed) % 6;
        for (int m = 0; m < muts; m++) {
            /* aim half the mutations at the footer, where the lengths and counts are */
            size_t span = rand_r(&seed) % 2 && n > 600 ? 600 : n;
            size_t at = n - 1 - (size_t)rand_r(&seed) % span;
            switch (rand_r(&seed) % 5) {
            case 0: buf[at] ^= (uint8_t)(1u << (rand_r(&seed) % 8)); break;
            case 1: buf[at] = (uint8_t)rand_r(&seed); break;
            case 2: buf[at] = (uint8_t)(rand_r(&seed) % 2 ? 0xff : 0x00); break;
            case 3: /* a cut, with the tail magic kept so the footer gets parsed */
                if (n > 16) {
                    size_t keep = 8 + (size_t)rand_r(&seed) % (n - 8);
                    memmove(buf + keep - 8, buf + n - 8, 8);
                    n = keep;
                }
                break;
            default: buf[at] = (uint8_t)(buf[at] + 1); break;
            }
        }
        LLVMFuzzerTestOneInput(buf, n);
    }
    printf("fuzz_parquet: %ld random inputs over %d seed files, all properties held\n", iters,
           nseeds);
    return 0;
}
#endif
