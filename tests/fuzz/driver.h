/* The deterministic driver shared by the fuzz targets that have a seed corpus
 * (tests/fuzz/corpus/<target>/): ctest runs `fuzz_X ITERATIONS CORPUS_DIR`, which
 * feeds every corpus file (the seeds and the kept findings) once, then ITERATIONS
 * mutations of them (bit flips, byte sets, inserts of interesting bytes, cuts,
 * splices) with a fixed seed.  Under libFuzzer (PS_LIBFUZZER) this is left out and
 * libFuzzer's own main runs LLVMFuzzerTestOneInput over the same corpus. */
#ifndef PS_FUZZ_DRIVER_H
#define PS_FUZZ_DRIVER_H

#ifndef PS_LIBFUZZER
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

enum { FUZZ_MAX_SEEDS = 256, FUZZ_CAP = 1 << 15 };

static int
fuzz_main(int argc, char **argv, const char *name)
{
    long iters = argc > 1 ? atol(argv[1]) : 20000;
    static uint8_t *seeds[FUZZ_MAX_SEEDS];
    static size_t len[FUZZ_MAX_SEEDS];
    static uint8_t buf[2 * FUZZ_CAP + 64];
    int n = 0;
    for (int a = 2; a < argc; a++) {
        DIR *d = opendir(argv[a]);
        struct dirent *e;
        while (d && (e = readdir(d)) && n < FUZZ_MAX_SEEDS) {
            if (e->d_name[0] == '.')
                continue;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[a], e->d_name);
            FILE *f = fopen(path, "rb");
            if (!f)
                continue;
            seeds[n] = malloc(FUZZ_CAP);
            len[n] = fread(seeds[n], 1, FUZZ_CAP, f);
            fclose(f);
            LLVMFuzzerTestOneInput(seeds[n], len[n]);
            n++;
        }
        if (d)
            closedir(d);
        else
            perror(argv[a]);
    }
    if (n == 0) {
        seeds[0] = calloc(1, 1);
        len[n++] = 0;
    }
    static const uint8_t interesting[] = {0,    '"', '\\', '{', '}', '[',  ']',  ',',  ':',  '\n',
                                          '\r', ' ', '\'', '=', '.', 0x1b, 0xc2, 0xe2, 0xff, '0'};
    unsigned seed = 20261204;
    for (long it = 0; it < iters; it++) {
        int s = (int)(it % n);
        size_t m = len[s];
        memcpy(buf, seeds[s], m);
        int muts = 1 + rand_r(&seed) % 8;
        for (int k = 0; k < muts; k++) {
            size_t at = m ? (size_t)rand_r(&seed) % m : 0;
            switch (rand_r(&seed) % 6) {
            case 0:
                if (m)
                    buf[at] ^= (uint8_t)(1u << (rand_r(&seed) % 8));
                break;
            case 1:
                if (m)
                    buf[at] = interesting[rand_r(&seed) % sizeof interesting];
                break;
            case 2: /* insert */
                if (m < 2 * FUZZ_CAP) {
                    memmove(buf + at + 1, buf + at, m - at);
                    buf[at] = interesting[rand_r(&seed) % sizeof interesting];
                    m++;
                }
                break;
            case 3: /* cut */
                if (m)
                    m = at;
                break;
            case 4: /* delete a run */
                if (m) {
                    size_t k2 = at + 1 + (size_t)rand_r(&seed) % 16;
                    if (k2 > m)
                        k2 = m;
                    memmove(buf + at, buf + k2, m - k2);
                    m -= k2 - at;
                }
                break;
            default: { /* splice a piece of another seed */
                int o = rand_r(&seed) % n;
                if (len[o] && m + 64 < 2 * FUZZ_CAP) {
                    size_t from = (size_t)rand_r(&seed) % len[o];
                    size_t cnt = len[o] - from < 64 ? len[o] - from : 64;
                    memmove(buf + at + cnt, buf + at, m - at);
                    memcpy(buf + at, seeds[o] + from, cnt);
                    m += cnt;
                }
            }
            }
        }
        LLVMFuzzerTestOneInput(buf, m);
    }
    printf("%s: %d corpus files, %ld random inputs, all properties held\n", name, n, iters);
    for (int i = 0; i < n; i++)
        free(seeds[i]);
    return 0;
}
#endif

/* Save a failing input next to the working directory and abort (both builds). */
#include <stdio.h>
#include <stdlib.h>
static void
fuzz_fail(const char *name, const char *what, const uint8_t *data, size_t n)
{
    char path[256];
    snprintf(path, sizeof path, "%s-failure.bin", name);
    fprintf(stderr, "%s: property failed: %s (%zu bytes, saved in %s)\n", name, what, n, path);
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data, 1, n, f);
        fclose(f);
    }
    abort();
}

#endif
