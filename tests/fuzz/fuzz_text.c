/* Fuzz target for the text pipeline a view runs on untrusted data: sanitize ->
 * width/fit -> wrap -> word diff, plus the escape visualisation.  Checks:
 *   - sanitized and visualised text hold only printable characters, '\n', ' ', '\t';
 *   - sanitizing is idempotent;
 *   - text_fit never exceeds its columns and never cuts a cluster;
 *   - wrapped rows tile the text in order and fit their width;
 *   - diff hunks tile both texts and EQUAL hunks hold equal bytes.
 *
 * Built two ways (tests/CMakeLists.txt):
 *   fuzz_text            a deterministic random harness run by ctest (label fuzz):
 *                        `fuzz_text [ITERATIONS] [FILE...]`
 *   fuzz_text_libfuzzer  with clang and -DPS_FUZZ=ON: a libFuzzer binary under
 *                        ASan+UBSan: `fuzz_text_libfuzzer -max_total_time=60` */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/diff.h"
#include "core/sanitize.h"
#include "core/width.h"
#include "core/wrap.h"

static void
fail(const char *what, const uint8_t *data, size_t n)
{
    fprintf(stderr, "fuzz_text: property failed: %s (input of %zu bytes:", what, n);
    for (size_t i = 0; i < n && i < 64; i++)
        fprintf(stderr, " %02x", data[i]);
    fprintf(stderr, "), saved in fuzz_text-failure.bin\n");
    FILE *f = fopen("fuzz_text-failure.bin", "wb");
    if (f) {
        fwrite(data, 1, n, f);
        fclose(f);
    }
    abort();
}

static int
printable(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t k = text_decode(s + i, n - i, &cp);
        if (cp == 0xFFFD && !(k == 3 && (unsigned char)s[i] == 0xEF))
            return 0;
        if (cp != '\n' && cp != '\t' && text_cp_width(cp) < 0)
            return 0;
        if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E ||
            cp == 0x200F || cp == 0x061C)
            return 0;
        i += k;
    }
    return 1;
}

static void
check_wrap(const char *s, size_t n, int cols, const uint8_t *data, size_t dn)
{
    struct text_rows rows = {0};
    text_wrap(s, n, cols, 8, &rows);
    size_t end = 0;
    for (size_t i = 0; i < rows.n; i++) {
        const struct text_row *r = &rows.v[i];
        if (r->off < end || r->off + r->len > n)
            fail("wrap rows out of order", data, dn);
        for (size_t k = end; k < r->off; k++)
            if (s[k] != ' ' && s[k] != '\t' && s[k] != '\n')
                fail("wrap skipped visible text", data, dn);
        end = r->off + r->len;
        if (r->cols > cols && !(r->cols == 2 && cols < 2) &&
            text_cluster(s + r->off, r->len, NULL) != r->len)
            fail("wrap row wider than cols", data, dn);
    }
    for (size_t k = end; k < n; k++)
        if (s[k] != ' ' && s[k] != '\t' && s[k] != '\n')
            fail("wrap dropped the end", data, dn);
    if (text_wrap_count(s, n, cols, 8) != rows.n)
        fail("wrap count differs", data, dn);
    text_rows_free(&rows);
}

static void
check_diff(const char *a, size_t na, const char *b, size_t nb, const struct text_diff_opts *o,
           const uint8_t *data, size_t dn)
{
    struct text_diff d;
    text_diff(a, na, b, nb, o, &d);
    size_t pa = 0, pb = 0;
    for (size_t i = 0; i < d.n; i++) {
        const struct text_diff_hunk *h = &d.h[i];
        if (h->a_off != pa || h->b_off != pb)
            fail("diff hunks do not tile", data, dn);
        if (h->tag == TEXT_DIFF_EQUAL && !(o && (o->flags & TEXT_DIFF_IGNORE_WS)) &&
            (h->a_len != h->b_len || memcmp(a + h->a_off, b + h->b_off, h->a_len)))
            fail("EQUAL hunk differs", data, dn);
        pa += h->a_len;
        pb += h->b_len;
    }
    if (pa != na || pb != nb)
        fail("diff hunks do not cover the texts", data, dn);
    text_diff_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    const char *s = (const char *)data;
    struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, v = STRBUF_INIT;
    unsigned flags = n ? data[0] & 3 : 0;
    text_sanitize(s, n, &a, flags);
    if (!printable(a.p, a.len))
        fail("sanitized text not printable", data, n);
    text_sanitize(a.p, a.len, &b, flags);
    if (b.len != a.len || memcmp(a.p, b.p, a.len))
        fail("sanitize not idempotent", data, n);
    text_escape_visual(s, n, &v);
    if (!printable(v.p, v.len))
        fail("visualised text not printable", data, n);

    int cols = n ? 1 + data[n - 1] % 50 : 10, used;
    size_t fit = text_fit(a.p, a.len, cols, &used);
    if (used > cols || fit > a.len || text_width(a.p, fit) != (size_t)used)
        fail("text_fit", data, n);
    check_wrap(a.p, a.len, cols, data, n);

    /* diff the two halves of the sanitized input, and the text with itself */
    size_t half = a.len / 2;
    struct text_diff_opts o = {flags & 1 ? TEXT_DIFF_IGNORE_WS : 0, 0, 0};
    check_diff(a.p, half, a.p + half, a.len - half, &o, data, n);
    struct text_diff_opts tiny = {0, 8, 20};
    check_diff(a.p, half, a.p + half, a.len - half, &tiny, data, n);
    struct text_diff d;
    text_diff(a.p, a.len, a.p, a.len, NULL, &d);
    if (d.edit_tokens != 0 || d.n > 1)
        fail("identical texts differ", data, n);
    text_diff_free(&d);
    sb_free(&a);
    sb_free(&b);
    sb_free(&v);
    return 0;
}

#ifndef PS_LIBFUZZER
/* Fragments that make random inputs hit the interesting paths. */
static const char *const frags[] = {
    "\x1b[",
    "\x1b]",
    "\x1bP",
    "\x1b\\",
    "\x07",
    "\r",
    "\r\n",
    "\n",
    "\t",
    " ",
    "  ",
    "m",
    "2J",
    "0;",
    "\xc2\x9b",
    "\xc2\x9d",
    "\xc2\x9c",
    "\xe2\x80\xae",
    "\xe2\x81\xa6",
    "\xe4\xb8\xad",
    "\xf0\x9f\x98\x80",
    "\xe2\x80\x8d",
    "\xcc\x81",
    "\xef\xb8\x8f",
    "\xf0\x9f\x87\xab",
    "e",
    "word",
    "the",
    "\xff",
    "\xe4\xb8",
    "\xf0\x9f",
    "\x7f",
    "\x00",
    "-",
    "\xe3\x80\x80",
    "\xf3\xa0\x81\x88",
    "\xf3\xa0\x81\xbf",
    "\xf0\x9f\x8f\xb4",
    "\xcc\x81\xcc\x81\xcc\x81",
};

int
main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 20000;
    for (int i = 2; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            perror(argv[i]);
            return 1;
        }
        static uint8_t buf[1 << 20];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, n);
    }
    unsigned seed = 20261127;
    static uint8_t buf[4096];
    for (long it = 0; it < iters; it++) {
        size_t n = 0, parts = (size_t)(rand_r(&seed) % 40);
        for (size_t p = 0; p < parts; p++) {
            if (rand_r(&seed) % 4 == 0) {
                buf[n++] = (uint8_t)rand_r(&seed);
            } else {
                const char *fr = frags[(unsigned)rand_r(&seed) % (sizeof frags / sizeof frags[0])];
                size_t l = fr[0] ? strlen(fr) : 1;
                memcpy(buf + n, fr, l);
                n += l;
            }
        }
        LLVMFuzzerTestOneInput(buf, n);
    }
    printf("fuzz_text: %ld random inputs, all properties held\n", iters);
    return 0;
}
#endif
