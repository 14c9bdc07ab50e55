/* formats/parquet: the real fixtures of ../shared/data/parquet_fixtures read row for
 * row and compared field by field with their dumps by an independent reader
 * (DuckDB); files built here byte by byte (a tiny Thrift compact writer) for the
 * paths the fixtures lack and for hostile input: truncated footers, lengths past the
 * end, levels out of range, decompression bombs, random corruption.
 *
 * `test_parquet --dump FILE` prints FILE's rows as JSON Lines (for debugging). */
#include <stdint.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "core/strbuf.h"
#include "core/xalloc.h"
#include "formats/parquet.h"
#include "formats/reader.h"
#include "formats/snappy.h"
#include "test.h"

/* ---- comparing with the DuckDB dumps ---- */

/* DuckDB renames a column whose name equals an earlier one but for case: n -> n_1. */
static int
same_key(const char *got, const char *want)
{
    if (!strcmp(got, want))
        return 1;
    size_t n = strlen(got);
    return !strncasecmp(got, want, n) && want[n] == '_' && want[n + 1] &&
           strspn(want + n + 1, "0123456789") == strlen(want + n + 1);
}

/* First difference between got and want, written to why; 0 when equal. */
static int
json_diff(const cJSON *got, const cJSON *want, const char *path, char *why, size_t size)
{
    if (cJSON_IsNumber(want) && cJSON_IsNumber(got)) {
        double a = got->valuedouble, b = want->valuedouble;
        if (fabs(a - b) <= 1e-12 * fmax(1, fabs(b)))
            return 0;
        snprintf(why, size, "%s: %.17g, expected %.17g", path, a, b);
        return 1;
    }
    if ((got->type & 0xff) != (want->type & 0xff)) {
        snprintf(why, size, "%s: type %d, expected %d", path, got->type & 0xff, want->type & 0xff);
        return 1;
    }
    if (cJSON_IsString(want)) {
        if (strcmp(got->valuestring, want->valuestring)) {
            snprintf(why, size, "%s: \"%.60s\", expected \"%.60s\"", path, got->valuestring,
                     want->valuestring);
            return 1;
        }
        return 0;
    }
    if (cJSON_IsArray(want) || cJSON_IsObject(want)) {
        if (cJSON_GetArraySize(got) != cJSON_GetArraySize(want)) {
            snprintf(why, size, "%s: %d members, expected %d", path, cJSON_GetArraySize(got),
                     cJSON_GetArraySize(want));
            return 1;
        }
        const cJSON *g = got->child, *w = want->child;
        for (int i = 0; g && w; g = g->next, w = w->next, i++) {
            char sub[512];
            if (cJSON_IsObject(want)) {
                if (!same_key(g->string, w->string)) {
                    snprintf(why, size, "%s: member '%s', expected '%s'", path, g->string,
                             w->string);
                    return 1;
                }
                snprintf(sub, sizeof sub, "%s.%s", path, g->string);
            } else {
                snprintf(sub, sizeof sub, "%s[%d]", path, i);
            }
            if (json_diff(g, w, sub, why, size))
                return 1;
        }
    }
    return 0;
}

struct tally {
    long rows, nulls, numbers, strings, lists;
};

static void
count_values(const cJSON *v, struct tally *t)
{
    if (cJSON_IsNull(v))
        t->nulls++;
    else if (cJSON_IsNumber(v))
        t->numbers++;
    else if (cJSON_IsString(v))
        t->strings++;
    else if (cJSON_IsArray(v))
        t->lists++;
    for (const cJSON *c = v->child; c; c = c->next)
        count_values(c, t);
}

static void
check_fixture(const char *base, long want_rows, struct tally *t)
{
    const char *data = getenv("PS_DATA");
    char pq[4096], dump[4096];
    snprintf(pq, sizeof pq, "%s/parquet_fixtures/%s.parquet", data, base);
    snprintf(dump, sizeof dump, "%s/parquet_fixtures/%s.expected.jsonl", data, base);
    struct ps_err err = {0};
    struct pq_file *f;
    struct rd r;
    memset(t, 0, sizeof *t);
    CHECK_EQ(pq_open(pq, &f, &err), PS_OK);
    CHECK_EQ(rd_open(&r, dump, &err), PS_OK);
    if (!f)
        return;
    CHECK_EQ(pq_num_rows(f), want_rows);
    struct strbuf line = STRBUF_INIT;
    cJSON *row;
    int got, diffs = 0;
    while ((got = pq_next(f, &row, &err)) > 0) {
        CHECK_EQ(rd_line(&r, &line), 1);
        cJSON *want = cJSON_Parse(sb_str(&line));
        char why[600] = "", path[64];
        snprintf(path, sizeof path, "%s row %ld", base, t->rows + 1);
        if (want && json_diff(row, want, path, why, sizeof why) && diffs++ < 5)
            fprintf(stderr, "difference: %s\n", why);
        CHECK(want != NULL);
        count_values(row, t);
        t->rows++;
        cJSON_Delete(want);
        cJSON_Delete(row);
    }
    CHECK_EQ(got, 0);
    if (got < 0)
        fprintf(stderr, "%s\n", err.msg);
    CHECK_EQ(diffs, 0);
    CHECK_EQ(rd_line(&r, &line), 0); /* the dump has no more rows than the file */
    CHECK_EQ(t->rows, want_rows);
    CHECK_EQ(pq_row_index(f), want_rows - 1);
    sb_free(&line);
    rd_close(&r);
    pq_close(f);
}

static void
test_fixtures(void)
{
    const char *data = getenv("PS_DATA");
    char probe[4096];
    snprintf(probe, sizeof probe, "%s/parquet_fixtures/ifbench_test.parquet", data ? data : "");
    if (!data || access(probe, R_OK) != 0) {
        fprintf(stderr, "fixtures skipped: %s not found\n", probe);
        return;
    }
    struct tally t;
    /* 2 row groups, nested messages and kwargs list<struct>, SNAPPY, dictionaries */
    check_fixture("ifbench_test", 1387, &t);
    CHECK(t.nulls > 10000);     /* kwargs structs are mostly null fields */
    CHECK(t.lists >= 1387 * 3); /* three list columns per row */
    /* ZSTD from Polars, one column without dictionary, a double column */
    check_fixture("smollm2_customs_train", 48, &t);
    CHECK(t.numbers >= 48);
    /* the same file from memory gives the same first row */
    snprintf(probe, sizeof probe, "%s/parquet_fixtures/smollm2_customs_train.parquet", data);
    FILE *fp = fopen(probe, "rb");
    static uint8_t buf[1 << 16];
    size_t n = fp ? fread(buf, 1, sizeof buf, fp) : 0;
    if (fp)
        fclose(fp);
    struct pq_file *f;
    struct ps_err err = {0};
    CHECK_EQ(pq_open_mem(buf, n, "mem", &f, &err), PS_OK);
    cJSON *row = NULL;
    CHECK_EQ(f ? pq_next(f, &row, &err) : -1, 1);
    CHECK(cJSON_IsString(cJSON_GetObjectItem(row, "prompt")));
    CHECK(pq_meta(f, "ARROW:schema") != NULL);
    CHECK(pq_meta(f, "huggingface") == NULL);
    cJSON_Delete(row);
    pq_close(f);
}

/* ---- a tiny Thrift compact writer for hand-built files ---- */

struct tw {
    struct strbuf b;
    int16_t last[16];
    int depth;
};

static void
tw_varint(struct tw *w, uint64_t v)
{
    while (v >= 0x80) {
        sb_putc(&w->b, (char)(v | 0x80));
        v >>= 7;
    }
    sb_putc(&w->b, (char)v);
}

static void
tw_field(struct tw *w, int id, int type)
{
    int d = id - w->last[w->depth];
    if (d > 0 && d <= 15) {
        sb_putc(&w->b, (char)(d << 4 | type));
    } else {
        sb_putc(&w->b, (char)type);
        tw_varint(w, (uint64_t)((id << 1) ^ (id >> 15)));
    }
    w->last[w->depth] = (int16_t)id;
}

static void
tw_i(struct tw *w, int id, int type, int64_t v)
{
    tw_field(w, id, type);
    tw_varint(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

static void
tw_str(struct tw *w, int id, const char *s)
{
    tw_field(w, id, 8);
    tw_varint(w, strlen(s));
    sb_puts(&w->b, s);
}

static void
tw_begin(struct tw *w, int id) /* a struct field (id > 0) or a list element (0) */
{
    if (id)
        tw_field(w, id, 12);
    w->last[++w->depth] = 0;
}

static void
tw_end(struct tw *w)
{
    sb_putc(&w->b, 0);
    w->depth--;
}

static void
tw_list(struct tw *w, int id, int etype, int n)
{
    tw_field(w, id, 9);
    sb_putc(&w->b, (char)(n < 15 ? n << 4 | etype : 0xf0 | etype));
    if (n >= 15)
        tw_varint(w, (uint64_t)n);
}

/* One optional column `x` of `type` (1 INT32, 6 BYTE_ARRAY) in one row group of one
 * data page V1: `levels` and `values` are the page body before compression; usize
 * and csize override the sizes the header declares (-1: the real ones). */
struct spec {
    int type, codec, nrows, nvalues;
    const void *body;
    size_t body_len;
    long usize, csize, chunk_size;
    int v2, def_len;
};

static size_t
build(const struct spec *s, uint8_t *out, size_t cap)
{
    struct tw w;
    memset(&w, 0, sizeof w);
    sb_append(&w.b, "PAR1", 4);
    long usize = s->usize >= 0 ? s->usize : (long)s->body_len;
    long csize = s->csize >= 0 ? s->csize : (long)s->body_len;
    size_t hstart = w.b.len;
    tw_i(&w, 1, 5, s->v2 ? 3 : 0);
    tw_i(&w, 2, 5, usize);
    tw_i(&w, 3, 5, csize);
    tw_begin(&w, s->v2 ? 8 : 5);
    tw_i(&w, 1, 5, s->nvalues);
    if (s->v2) {
        tw_i(&w, 2, 5, 0);
        tw_i(&w, 3, 5, s->nrows);
        tw_i(&w, 4, 5, 0);
        tw_i(&w, 5, 5, s->def_len);
        tw_i(&w, 6, 5, 0);
    } else {
        tw_i(&w, 2, 5, 0);
        tw_i(&w, 3, 5, 3);
        tw_i(&w, 4, 5, 3);
    }
    tw_end(&w);
    sb_putc(&w.b, 0);
    sb_append(&w.b, s->body, s->body_len);
    long chunk = s->chunk_size >= 0 ? s->chunk_size : (long)(w.b.len - hstart);
    size_t fstart = w.b.len;
    memset(w.last, 0, sizeof w.last);
    tw_i(&w, 1, 5, 1);
    tw_list(&w, 2, 12, 2);
    tw_begin(&w, 0);
    tw_str(&w, 4, "schema");
    tw_i(&w, 5, 5, 1);
    tw_end(&w);
    tw_begin(&w, 0);
    tw_i(&w, 1, 5, s->type);
    tw_i(&w, 3, 5, 1);
    tw_str(&w, 4, "x");
    if (s->type == 6)
        tw_i(&w, 6, 5, 0); /* UTF8 */
    tw_end(&w);
    tw_i(&w, 3, 6, s->nrows);
    tw_list(&w, 4, 12, 1);
    tw_begin(&w, 0);
    tw_list(&w, 1, 12, 1);
    tw_begin(&w, 0);
    tw_i(&w, 2, 6, 4);
    tw_begin(&w, 3);
    tw_i(&w, 1, 5, s->type);
    tw_list(&w, 2, 5, 1);
    tw_varint(&w, 0);
    tw_list(&w, 3, 8, 1);
    tw_varint(&w, 1);
    sb_putc(&w.b, 'x');
    tw_i(&w, 4, 5, s->codec);
    tw_i(&w, 5, 6, s->nvalues);
    tw_i(&w, 6, 6, chunk);
    tw_i(&w, 7, 6, chunk);
    tw_i(&w, 9, 6, 4);
    tw_end(&w);
    tw_end(&w);
    tw_i(&w, 2, 6, chunk);
    tw_i(&w, 3, 6, s->nrows);
    tw_end(&w);
    sb_putc(&w.b, 0);
    uint32_t flen = (uint32_t)(w.b.len - fstart);
    uint8_t tail[8] = {(uint8_t)flen,
                       (uint8_t)(flen >> 8),
                       (uint8_t)(flen >> 16),
                       (uint8_t)(flen >> 24),
                       'P',
                       'A',
                       'R',
                       '1'};
    sb_append(&w.b, (const char *)tail, 8);
    size_t n = w.b.len < cap ? w.b.len : cap;
    memcpy(out, w.b.p, n);
    sb_free(&w.b);
    return n;
}

/* Read every row; returns 0 when all rows were read, -1 on an error (in err). */
static int
read_all(const uint8_t *data, size_t n, struct strbuf *rows, struct ps_err *err)
{
    struct pq_file *f;
    if (pq_open_mem(data, n, "t.parquet", &f, err) != PS_OK)
        return -1;
    cJSON *row;
    int got;
    while ((got = pq_next(f, &row, err)) > 0) {
        char *s = cJSON_PrintUnformatted(row);
        if (rows)
            sb_printf(rows, "%s\n", s);
        free(s);
        cJSON_Delete(row);
    }
    pq_close(f);
    return got < 0 ? -1 : 0;
}

/* Definition levels (bit width 1) as one bit-packed run, with the V1 length prefix. */
static size_t
def_levels(const int *def, int n, uint8_t *out)
{
    int groups = (n + 7) / 8;
    size_t len = 1 + (size_t)groups;
    out[0] = (uint8_t)len;
    out[1] = out[2] = out[3] = 0;
    out[4] = (uint8_t)(groups << 1 | 1);
    memset(out + 5, 0, (size_t)groups);
    for (int i = 0; i < n; i++)
        out[5 + i / 8] |= (uint8_t)((def[i] & 1) << (i % 8));
    return 4 + len;
}

/* A good file: 5 rows, nulls at 1 and 3, PLAIN int32 7, -2, 2147483647.  Returns
 * the length of the levels in body. */
static size_t
good_spec(struct spec *s, uint8_t *body)
{
    int def[5] = {1, 0, 1, 0, 1};
    size_t n = def_levels(def, 5, body);
    int32_t vals[3] = {7, -2, 2147483647};
    memcpy(body + n, vals, sizeof vals);
    struct spec g = {1, 0, 5, 5, body, n + sizeof vals, -1, -1, -1, 0, 0};
    *s = g;
    return n;
}

static void
test_built(void)
{
    static uint8_t file[1 << 16], body[4096];
    struct ps_err err = {0};
    struct strbuf rows = STRBUF_INIT;
    struct spec s;
    good_spec(&s, body);
    size_t len = build(&s, file, sizeof file);
    CHECK_EQ(read_all(file, len, &rows, &err), 0);
    CHECK_STREQ(sb_str(&rows),
                "{\"x\":7}\n{\"x\":null}\n{\"x\":-2}\n{\"x\":null}\n{\"x\":2147483647}\n");

    /* the same page GZIP- and ZSTD-compressed */
    uint8_t comp[8192];
    uLongf clen = sizeof comp;
    CHECK_EQ(compress2(comp, &clen, body, s.body_len, 9), Z_OK);
    struct spec g = s;
    g.codec = 2;
    g.body = comp;
    g.body_len = clen;
    g.usize = (long)s.body_len;
    len = build(&g, file, sizeof file);
    sb_reset(&rows);
    CHECK_EQ(read_all(file, len, &rows, &err), 0);
    CHECK_STREQ(sb_str(&rows),
                "{\"x\":7}\n{\"x\":null}\n{\"x\":-2}\n{\"x\":null}\n{\"x\":2147483647}\n");

    /* levels out of range: an RLE run of definition level 3 where the max is 1 */
    uint8_t bad_lv[] = {2, 0, 0, 0, 5 << 1, 3, 7, 0, 0, 0};
    struct spec l = {1, 0, 5, 5, bad_lv, sizeof bad_lv, -1, -1, -1, 0, 0};
    len = build(&l, file, sizeof file);
    CHECK_EQ(read_all(file, len, NULL, &err), -1);
    CHECK_CONTAINS(err.msg, "column 'x': definition levels");
    CHECK_CONTAINS(err.msg, "t.parquet: row group 1 of 1");

    /* levels that end early, and a level length past the page */
    uint8_t short_lv[] = {2, 0, 0, 0, 2 << 1, 1};
    struct spec sl = {1, 0, 5, 5, short_lv, sizeof short_lv, -1, -1, -1, 0, 0};
    len = build(&sl, file, sizeof file);
    CHECK_EQ(read_all(file, len, NULL, &err), -1);
    CHECK_CONTAINS(err.msg, "definition levels");
    uint8_t long_lv[] = {200, 0, 0, 0, 5 << 1, 1};
    sl.body = long_lv;
    len = build(&sl, file, sizeof file);
    CHECK_EQ(read_all(file, len, NULL, &err), -1);
    CHECK_CONTAINS(err.msg, "length past the end of the page");

    /* values past the end: 3 defined levels, 2 int32 values */
    struct spec v = s;
    v.body_len = s.body_len - 4;
    len = build(&v, file, sizeof file);
    CHECK_EQ(read_all(file, len, NULL, &err), -1);
    CHECK_CONTAINS(err.msg, "PLAIN values past the end of the page");

    /* a page that says it is longer than its column chunk */
    struct spec p = s;
    p.csize = 100000;
    p.usize = 100000;
    len = build(&p, file, sizeof file);
    CHECK_EQ(read_all(file, len, NULL, &err), -1);
    CHECK_CONTAINS(err.msg, "runs past the column chunk");

    /* a column chunk that lies past the end of the file */
    struct spec c = s;
    c.chunk_size = 1L << 40;
    len = build(&c, file, sizeof file);
    CHECK_EQ(read_all(file, len, NULL, &err), -1);
    CHECK_CONTAINS(err.msg, "lies outside the data");

    /* more rows declared than the levels hold */
    struct spec r = s;
    r.nrows = 6;
    len = build(&r, file, sizeof file);
    CHECK_EQ(read_all(file, len, NULL, &err), -1);
    CHECK_CONTAINS(err.msg, "levels end before");

    /* decompression bombs: 16 MiB of zeros in a page that says 100 bytes (GZIP,
     * ZSTD, SNAPPY), and a page that says 2 GiB */
    size_t big = 16u << 20;
    uint8_t *zeros = xcalloc(1, big), *bomb = xmalloc(big);
    clen = (uLongf)big;
    CHECK_EQ(compress2(bomb, &clen, zeros, big, 9), Z_OK);
    struct spec b = {1, 2, 5, 5, bomb, clen, 100, -1, -1, 0, 0};
    static uint8_t bigfile[1 << 20];
    len = build(&b, bigfile, sizeof bigfile);
    CHECK_EQ(read_all(bigfile, len, NULL, &err), -1);
    CHECK_CONTAINS(err.msg, "GZIP page: decompresses to more bytes than the page header says");
    size_t zl = ZSTD_compress(bomb, big, zeros, big, 3);
    CHECK(!ZSTD_isError(zl));
    b.codec = 6;
    b.body_len = zl;
    len = build(&b, bigfile, sizeof bigfile);
    CHECK_EQ(read_all(bigfile, len, NULL, &err), -1);
    CHECK_CONTAINS(err.msg, "ZSTD page");
    size_t sl_len = snappy_compress(zeros, 1u << 20, bomb);
    b.codec = 1;
    b.body_len = sl_len;
    len = build(&b, bigfile, sizeof bigfile);
    CHECK_EQ(read_all(bigfile, len, NULL, &err), -1);
    CHECK_CONTAINS(err.msg, "SNAPPY page");
    b.codec = 6;
    b.body_len = zl;
    b.usize = 2000000000;
    len = build(&b, bigfile, sizeof bigfile);
    CHECK_EQ(read_all(bigfile, len, NULL, &err), -1);
    CHECK_CONTAINS(err.msg, "exceeds the 512 MiB limit");
    free(zeros);
    free(bomb);

    /* truncated files: every cut of the good file is an error, never a crash */
    len = build(&s, file, sizeof file);
    int errors = 0;
    for (size_t cut = 0; cut < len; cut++)
        errors += read_all(file, cut, NULL, &err) == -1;
    CHECK_EQ(errors, (long)len);
    CHECK(read_all(file, len - 1, NULL, &err) == -1);
    CHECK_CONTAINS(err.msg, "truncated Parquet file");
    /* a footer length past the start of the file */
    file[len - 8] = 0xff;
    file[len - 7] = 0xff;
    CHECK_EQ(read_all(file, len, NULL, &err), -1);
    CHECK_CONTAINS(err.msg, "footer length");
    sb_free(&rows);
}

/* Random corruption of a real file and of a built one: errors or rows, never a
 * crash (run under ASan with PS_SANITIZE=1). */
static void
test_corrupt(void)
{
    const char *data = getenv("PS_DATA");
    char path[4096];
    snprintf(path, sizeof path, "%s/parquet_fixtures/smollm2_customs_train.parquet",
             data ? data : "");
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return;
    static uint8_t orig[1 << 16], buf[1 << 16];
    size_t n = fread(orig, 1, sizeof orig, fp);
    fclose(fp);
    struct ps_err err;
    uint64_t seed = 12345;
    int fails = 0;
    for (int iter = 0; iter < 3000; iter++) {
        memcpy(buf, orig, n);
        int flips = 1 + iter % 8;
        for (int k = 0; k < flips; k++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            /* half the flips hit the footer, where the lengths are */
            size_t at = (seed >> 33) % 2 ? n - 1 - (seed >> 20) % 2000 : (seed >> 20) % n;
            buf[at] ^= (uint8_t)(1u << ((seed >> 8) % 8));
        }
        fails += read_all(buf, n, NULL, &err) == -1;
    }
    CHECK(fails > 100); /* the corruption is seen */
}

int
main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--dump")) {
        struct ps_err err = {0};
        struct pq_file *f;
        if (pq_open(argv[2], &f, &err) != PS_OK) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        cJSON *row;
        int got;
        while ((got = pq_next(f, &row, &err)) > 0) {
            char *s = cJSON_PrintUnformatted(row);
            puts(s);
            free(s);
            cJSON_Delete(row);
        }
        if (got < 0)
            fprintf(stderr, "%s\n", err.msg);
        pq_close(f);
        return got < 0;
    }
    if (argc == 2 && !strcmp(argv[1], "--sample")) { /* the good built file, as C */
        static uint8_t file[4096], body[64];
        struct spec s;
        good_spec(&s, body);
        size_t len = build(&s, file, sizeof file);
        for (size_t i = 0; i < len; i++)
            printf("0x%02x,%s", file[i], i % 12 == 11 ? "\n" : " ");
        return 0;
    }
    test_fixtures();
    test_built();
    test_corrupt();
    return test_summary();
}
