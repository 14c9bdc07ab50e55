/* formats/csv: RFC 4180 quoting, doubled quotes, embedded newlines, CRLF, BOM, TSV,
 * and errors that name the line where a bad quote opened. */
#include <zlib.h>

#include "formats/csv.h"
#include "test.h"

struct rows {
    int n;
    int rc;
    char cell[16][8][256];
    int ncol[16];
    long line[16];
    struct ps_err err;
};

static void
read_csv(const char *name, const char *text, size_t len, char sep, struct rows *out)
{
    const char *path = test_write(test_tmpdir(), name, text, len);
    struct csv_reader c;
    struct csv_row row = {0};
    memset(out, 0, sizeof *out);
    if (csv_open(&c, path, sep, &out->err) != PS_OK) {
        out->rc = -2;
        return;
    }
    while ((out->rc = csv_next(&c, &row, &out->err)) > 0) {
        if (out->n < 16) {
            out->ncol[out->n] = row.n;
            out->line[out->n] = row.line;
            for (int i = 0; i < row.n && i < 8; i++)
                snprintf(out->cell[out->n][i], 256, "%s", row.field[i]);
        }
        out->n++;
    }
    csv_row_free(&row);
    csv_close(&c);
}

#define READ(name, lit, r) read_csv(name, lit, sizeof(lit) - 1, ',', r)

static void
test_basic(void)
{
    struct rows r;
    READ("a.csv", "id,prompt,a\n1,hello,world\n2,,x\n", &r);
    CHECK_EQ(r.rc, 0);
    CHECK_EQ(r.n, 3);
    CHECK_EQ(r.ncol[0], 3);
    CHECK_STREQ(r.cell[0][1], "prompt");
    CHECK_STREQ(r.cell[1][2], "world");
    CHECK_STREQ(r.cell[2][1], "");
    CHECK_EQ(r.line[2], 3);

    /* trailing empty field, no final newline */
    READ("b.csv", "x,y,\n1,2,", &r);
    CHECK_EQ(r.rc, 0);
    CHECK_EQ(r.n, 2);
    CHECK_EQ(r.ncol[0], 3);
    CHECK_EQ(r.ncol[1], 3);
    CHECK_STREQ(r.cell[1][2], "");

    /* blank lines between records are skipped, lines still counted */
    READ("c.csv", "h\n\n1\n\r\n2\n", &r);
    CHECK_EQ(r.n, 3);
    CHECK_STREQ(r.cell[2][0], "2");
    CHECK_EQ(r.line[1], 3);
    CHECK_EQ(r.line[2], 5);
}

static void
test_quotes(void)
{
    struct rows r;
    READ("q.csv",
         "a,b,c\n"
         "\"with, comma\",\"say \"\"hi\"\"\",plain\n"
         "\"line one\nline two\n\nline four\",\"\",\"\"\"\"\n"
         "last,\"x\",y\n",
         &r);
    CHECK_EQ(r.rc, 0);
    CHECK_EQ(r.n, 4);
    CHECK_STREQ(r.cell[1][0], "with, comma");
    CHECK_STREQ(r.cell[1][1], "say \"hi\"");
    CHECK_STREQ(r.cell[2][0], "line one\nline two\n\nline four");
    CHECK_STREQ(r.cell[2][1], "");
    CHECK_STREQ(r.cell[2][2], "\"");
    CHECK_EQ(r.line[2], 3);
    CHECK_EQ(r.line[3], 7); /* the embedded newlines advance the line count */
    CHECK_STREQ(r.cell[3][0], "last");

    /* a quote inside an unquoted field is data */
    READ("q2.csv", "a,b\nit's,5\" tall\n", &r);
    CHECK_EQ(r.rc, 0);
    CHECK_STREQ(r.cell[1][1], "5\" tall");
}

static void
test_crlf_bom_tsv(void)
{
    struct rows r;
    READ("crlf.csv", "\xef\xbb\xbfid,text\r\n1,\"a\r\nb\"\r\n2,c\r\n", &r);
    CHECK_EQ(r.rc, 0);
    CHECK_EQ(r.n, 3);
    CHECK_STREQ(r.cell[0][0], "id");     /* the BOM is not part of the first header */
    CHECK_STREQ(r.cell[1][1], "a\r\nb"); /* quoted content is kept verbatim */
    CHECK_STREQ(r.cell[2][1], "c");
    CHECK_EQ(r.line[2], 4);

    read_csv("t.tsv", "a\tb\n1,2\t\"x\ty\"\n", 14, '\t', &r);
    CHECK_EQ(r.rc, 0);
    CHECK_EQ(r.n, 2);
    CHECK_STREQ(r.cell[1][0], "1,2");
    CHECK_STREQ(r.cell[1][1], "x\ty");

    /* gzip-compressed CSV */
    char path[4200];
    snprintf(path, sizeof path, "%s/z.csv.gz", test_tmpdir());
    gzFile gz = gzopen(path, "wb");
    gzputs(gz, "a,b\n\"1\",\"2\"\n");
    gzclose(gz);
    struct csv_reader c;
    struct csv_row row = {0};
    struct ps_err err = {0};
    CHECK_EQ(csv_open(&c, path, ',', &err), PS_OK);
    CHECK_EQ(csv_next(&c, &row, &err), 1);
    CHECK_EQ(csv_next(&c, &row, &err), 1);
    CHECK_STREQ(row.field[1], "2");
    CHECK_EQ(csv_next(&c, &row, &err), 0);
    csv_row_free(&row);
    csv_close(&c);
}

static void
test_errors(void)
{
    struct rows r;
    /* an unbalanced quote: the error names where the quote opened */
    READ("open.csv", "a,b\n1,2\n3,\"never closed\n4,5\n6,7\n", &r);
    CHECK_EQ(r.rc, -1);
    CHECK_EQ(r.n, 2);
    CHECK_CONTAINS(r.err.msg, "open.csv:3: column 2: unterminated quoted field");
    CHECK_CONTAINS(r.err.msg, "end of the file at line 6");

    READ("after.csv", "a,b\n\"x\"y,2\n", &r);
    CHECK_EQ(r.rc, -1);
    CHECK_CONTAINS(r.err.msg, "after.csv:2:");
    CHECK_CONTAINS(r.err.msg, "column 1");

    const char bad[] = "a,b\n1,ok\n2,\xc3\x28\n";
    read_csv("utf8.csv", bad, sizeof bad - 1, ',', &r);
    CHECK_EQ(r.rc, -1);
    CHECK_CONTAINS(r.err.msg, "utf8.csv:3: invalid UTF-8");
    const char nul[] = "a,b\n1,o\0k\n";
    read_csv("nul.csv", nul, sizeof nul - 1, ',', &r);
    CHECK_EQ(r.rc, -1);
    CHECK_CONTAINS(r.err.msg, "nul.csv:2: NUL byte");

    READ("empty.csv", "", &r);
    CHECK_EQ(r.rc, 0);
    CHECK_EQ(r.n, 0);
}

static void
test_col(void)
{
    struct csv_row hdr = {0};
    struct csv_reader c;
    struct ps_err err = {0};
    const char *path = test_write(test_tmpdir(), "h.csv", ",text_a,text_b\n", 15);
    CHECK_EQ(csv_open(&c, path, ',', &err), PS_OK);
    CHECK_EQ(csv_next(&c, &hdr, &err), 1);
    CHECK_EQ(hdr.n, 3);
    CHECK_EQ(csv_col(&hdr, ""), 0);
    CHECK_EQ(csv_col(&hdr, "text_b"), 2);
    CHECK_EQ(csv_col(&hdr, "missing"), -1);
    csv_row_free(&hdr);
    csv_close(&c);
}

int
main(void)
{
    test_basic();
    test_quotes();
    test_crlf_bom_tsv();
    test_errors();
    test_col();
    return test_summary();
}
