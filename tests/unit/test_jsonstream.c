/* formats/jsonstream + reader: arrays, JSON Lines, single documents, BOM, CRLF,
 * gzip, records straddling the 64 KiB read buffer, a 10 MB line, and errors that
 * name file:line. */
#include <stdlib.h>
#include <zlib.h>

#include "core/strbuf.h"
#include "formats/jsonstream.h"
#include "test.h"

#define MAXREC 4096

/* Everything a stream yielded: the "n" member of each record, its start line, and
 * the error (if any). */
struct seen {
    int count;
    int mode;
    int rc; /* last js_next result (or js_open status as -2) */
    long n[MAXREC];
    long line[MAXREC];
    struct ps_err err;
};

static void
read_all(const char *path, struct seen *s)
{
    struct json_stream js;
    memset(s, 0, sizeof *s);
    if (js_open(&js, path, &s->err) != PS_OK) {
        s->rc = -2;
        return;
    }
    s->mode = js.mode;
    cJSON *v;
    while ((s->rc = js_next(&js, &v, &s->err)) > 0) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(v, "n");
        if (s->count < MAXREC) {
            s->n[s->count] = cJSON_IsNumber(n) ? (long)n->valuedouble : -1;
            s->line[s->count] = js.rec_line;
        }
        s->count++;
        cJSON_Delete(v);
    }
    js_close(&js);
}

static const char *
put(const char *name, const char *text)
{
    return test_write(test_tmpdir(), name, text, strlen(text));
}

static void
test_lines(void)
{
    struct seen s;
    read_all(put("a.jsonl", "{\"n\":1}\n{\"n\":2}\n\n{\"n\":3}  \n"), &s);
    CHECK_EQ(s.rc, 0);
    CHECK_EQ(s.mode, JS_LINES);
    CHECK_EQ(s.count, 3);
    CHECK_EQ(s.n[2], 3);
    CHECK_EQ(s.line[0], 1);
    CHECK_EQ(s.line[1], 2);
    CHECK_EQ(s.line[2], 4); /* the blank line is counted */

    /* no trailing newline */
    read_all(put("b.jsonl", "{\"n\":1}\n{\"n\":2}"), &s);
    CHECK_EQ(s.rc, 0);
    CHECK_EQ(s.count, 2);

    /* CRLF line ends, and a BOM */
    read_all(put("c.jsonl", "\xef\xbb\xbf{\"n\":1}\r\n{\"n\":2}\r\n{\"n\":3}\r\n"), &s);
    CHECK_EQ(s.rc, 0);
    CHECK_EQ(s.count, 3);
    CHECK_EQ(s.n[0], 1);
    CHECK_EQ(s.line[2], 3);

    /* one record only */
    read_all(put("d.jsonl", "{\"n\":7}\n"), &s);
    CHECK_EQ(s.rc, 0);
    CHECK_EQ(s.count, 1);
    CHECK_EQ(s.n[0], 7);

    /* strings holding braces, brackets and escaped quotes do not confuse the scanner */
    read_all(put("e.jsonl", "{\"n\":1,\"t\":\"}{][\\\"}\\\\\"}\n{\"n\":2}\n"), &s);
    CHECK_EQ(s.rc, 0);
    CHECK_EQ(s.count, 2);
}

static void
test_array(void)
{
    struct seen s;
    read_all(put("a.json", "[{\"n\":1},{\"n\":2}, {\"n\":3}]"), &s);
    CHECK_EQ(s.rc, 0);
    CHECK_EQ(s.mode, JS_ARRAY);
    CHECK_EQ(s.count, 3);
    CHECK_EQ(s.n[1], 2);

    /* pretty-printed, CRLF, BOM: lines of each element */
    read_all(
        put("b.json",
            "\xef\xbb\xbf[\r\n  {\r\n    \"n\": 1\r\n  },\r\n  {\r\n    \"n\": 2\r\n  }\r\n]\r\n"),
        &s);
    CHECK_EQ(s.rc, 0);
    CHECK_EQ(s.count, 2);
    CHECK_EQ(s.line[0], 2);
    CHECK_EQ(s.line[1], 5);

    read_all(put("c.json", "  [ ]  \n"), &s);
    CHECK_EQ(s.rc, 0);
    CHECK_EQ(s.count, 0);

    /* an element that is not an object */
    read_all(put("d.json", "[{\"n\":1},\n 42]"), &s);
    CHECK_EQ(s.rc, -1);
    CHECK_CONTAINS(s.err.msg, "d.json:2:");
    CHECK_CONTAINS(s.err.msg, "expected a JSON object");

    /* truncated inside an element and between elements */
    read_all(put("e.json", "[{\"n\":1},\n{\"n\":2,\n\"t\":\"abc"), &s);
    CHECK_EQ(s.rc, -1);
    CHECK_EQ(s.count, 1);
    CHECK_CONTAINS(s.err.msg, "e.json:3:");
    CHECK_CONTAINS(s.err.msg, "starts at line 2");
    CHECK_CONTAINS(s.err.msg, "truncated");
    read_all(put("f.json", "[{\"n\":1},\n{\"n\":2}\n"), &s);
    CHECK_EQ(s.rc, -1);
    CHECK_EQ(s.count, 2);
    CHECK_CONTAINS(s.err.msg, "truncated");
    read_all(put("g.json", "[{\"n\":1} {\"n\":2}]"), &s);
    CHECK_EQ(s.rc, -1);
    CHECK_CONTAINS(s.err.msg, "expected ',' or ']'");
    read_all(put("h.json", "[{\"n\":1}] trailing"), &s);
    CHECK_EQ(s.rc, -1);
    CHECK_CONTAINS(s.err.msg, "after the closing ']'");
}

static void
test_document(void)
{
    struct seen s;
    read_all(put("doc.json", "{\n  \"n\": 5,\n  \"list\": [1, 2, {\"x\": \"}\"}]\n}\n"), &s);
    CHECK_EQ(s.rc, 0);
    CHECK_EQ(s.mode, JS_DOCUMENT);
    CHECK_EQ(s.count, 1);
    CHECK_EQ(s.n[0], 5);

    /* several pretty-printed objects one after another (concatenated JSON) */
    read_all(put("cat.json", "{\n \"n\": 1\n}\n{\n \"n\": 2\n}\n\n{\"n\": 3}\n"), &s);
    CHECK_EQ(s.rc, 0);
    CHECK_EQ(s.count, 3);
    CHECK_EQ(s.n[1], 2);
    CHECK_EQ(s.line[1], 4);
    CHECK_EQ(s.line[2], 8);

    /* a JSON Lines record cut short */
    read_all(put("cut.jsonl", "{\"n\":1}\n{\"n\":2,\"t\":[1,\n"), &s);
    CHECK_EQ(s.rc, -1);
    CHECK_CONTAINS(s.err.msg,
                   "cut.jsonl:2: column 15: the JSON record that starts at line 2 ends early");

    /* a truncated document */
    read_all(put("trunc.json", "{\n  \"n\": 5,\n  \"list\": [1, 2\n"), &s);
    CHECK_EQ(s.rc, -2);
    CHECK_CONTAINS(s.err.msg, "trunc.json:");
    CHECK_CONTAINS(s.err.msg, "truncated");
}

static void
test_errors(void)
{
    struct seen s;
    read_all(put("empty.json", ""), &s);
    CHECK_EQ(s.rc, -2);
    CHECK_CONTAINS(s.err.msg, "empty.json: empty file");
    read_all(put("blank.jsonl", " \n\r\n\t\n"), &s);
    CHECK_EQ(s.rc, -2);
    CHECK_CONTAINS(s.err.msg, "empty file");
    read_all(put("bomonly.json", "\xef\xbb\xbf"), &s);
    CHECK_EQ(s.rc, -2);
    CHECK_CONTAINS(s.err.msg, "empty file");

    read_all(put("scalar.json", "42\n"), &s);
    CHECK_EQ(s.rc, -2);
    CHECK_CONTAINS(s.err.msg, "scalar.json:1: expected a JSON array or object, found '4'");

    /* a bad middle line names its own line */
    read_all(put("mid.jsonl", "{\"n\":1}\n{\"n\":2}\n{\"n\":3,}\n{\"n\":4}\n"), &s);
    CHECK_EQ(s.rc, -1);
    CHECK_EQ(s.count, 2);
    CHECK_CONTAINS(s.err.msg, "mid.jsonl:3: column 8: invalid JSON near \"}\"");
    read_all(put("mid2.jsonl", "{\"n\":1}\n[1,2]\n"), &s);
    CHECK_EQ(s.rc, -1);
    CHECK_CONTAINS(s.err.msg, "mid2.jsonl:2: expected a JSON object");
    read_all(put("mid3.jsonl", "{\"n\":1}\n{\"n\":2} {\"n\":3}\n"), &s);
    CHECK_EQ(s.rc, -1);
    CHECK_CONTAINS(s.err.msg, "mid3.jsonl:2:");

    /* invalid UTF-8 and NUL bytes, on line 3 */
    const char bad[] = "{\"n\":1}\n{\"n\":2}\n{\"n\":3,\"t\":\"\xc3\x28\"}\n";
    read_all(test_write(test_tmpdir(), "utf8.jsonl", bad, sizeof bad - 1), &s);
    CHECK_EQ(s.rc, -1);
    CHECK_CONTAINS(s.err.msg, "utf8.jsonl:3: invalid UTF-8");
    const char nul[] = "{\"n\":1}\n{\"n\":2,\"t\":\"a\0b\"}\n";
    read_all(test_write(test_tmpdir(), "nul.jsonl", nul, sizeof nul - 1), &s);
    CHECK_EQ(s.rc, -1);
    CHECK_CONTAINS(s.err.msg, "nul.jsonl:2: NUL byte");
    /* invalid UTF-8 inside a pretty array: the line of the bad byte, not the record */
    const char badarr[] = "[\n{\"n\":1,\n\"t\":\"ok\",\n\"u\":\"\xff\"}\n]\n";
    read_all(test_write(test_tmpdir(), "utf8arr.json", badarr, sizeof badarr - 1), &s);
    CHECK_EQ(s.rc, -1);
    CHECK_CONTAINS(s.err.msg, "utf8arr.json:4: invalid UTF-8");
    /* a broken BOM */
    read_all(put("badbom.json", "\xef\xbb{}"), &s);
    CHECK_EQ(s.rc, -2);
    CHECK_CONTAINS(s.err.msg, "badbom.json:1:");

    /* missing file */
    read_all("/nonexistent/dir/x.jsonl", &s);
    CHECK_EQ(s.rc, -2);
    CHECK_CONTAINS(s.err.msg, "/nonexistent/dir/x.jsonl: cannot open");
}

/* Records of every length around the 64 KiB buffer size, so that record starts,
 * ends, escapes and multi-byte characters fall on every side of a refill. */
static void
test_buffer_boundaries(void)
{
    const char *dir = test_tmpdir();
    char path[4200];
    snprintf(path, sizeof path, "%s/straddle.jsonl", dir);
    FILE *f = fopen(path, "wb");
    long expect = 0;
    int n = 0;
    for (int len = 1; n < 400; len += 997, n++) {
        fprintf(f, "{\"n\":%d,\"t\":\"", n);
        for (int i = 0; i < len; i++) {
            /* mix escaped quotes, backslashes and a 3-byte character */
            if (i % 97 == 0)
                fputs("\\\"", f);
            else if (i % 89 == 0)
                fputs("\xe4\xb8\xad", f);
            else
                fputc('a' + i % 26, f);
        }
        fputs("\"}\n", f);
        expect += n;
    }
    fclose(f);
    struct seen s;
    read_all(path, &s);
    CHECK_EQ(s.rc, 0);
    CHECK_EQ(s.count, n);
    long sum = 0;
    for (int i = 0; i < s.count && i < MAXREC; i++) {
        sum += s.n[i];
        if (s.line[i] != i + 1) {
            CHECK_EQ(s.line[i], i + 1);
            break;
        }
    }
    CHECK_EQ(sum, expect);

    /* the same records as a pretty array, gzip-compressed */
    char gzpath[4200];
    snprintf(gzpath, sizeof gzpath, "%s/straddle.json.gz", dir);
    gzFile gz = gzopen(gzpath, "wb");
    gzputs(gz, "[\n");
    for (int i = 0; i < n; i++) {
        gzprintf(gz, "%s  {\"n\": %d, \"t\": \"", i ? ",\n" : "", i);
        for (int k = 0; k < 1 + i * 611; k++)
            gzputc(gz, k % 50 == 0 ? '{' : k % 51 == 0 ? ']' : 'x');
        gzputs(gz, "\"}");
    }
    gzputs(gz, "\n]\n");
    gzclose(gz);
    read_all(gzpath, &s);
    CHECK_EQ(s.rc, 0);
    CHECK_EQ(s.mode, JS_ARRAY);
    CHECK_EQ(s.count, n);
    CHECK_EQ(s.n[n - 1], n - 1);
    CHECK_EQ(s.line[n - 1], n + 1);
}

static void
test_big_line(void)
{
    const char *dir = test_tmpdir();
    char path[4200];
    snprintf(path, sizeof path, "%s/big.jsonl", dir);
    FILE *f = fopen(path, "wb");
    const size_t big = 10u * 1024 * 1024;
    fputs("{\"n\":1}\n{\"n\":2,\"t\":\"", f);
    for (size_t i = 0; i < big; i++)
        fputc('a' + (int)(i % 26), f);
    fputs("\"}\n{\"n\":3}\n", f);
    fclose(f);
    struct json_stream js;
    struct ps_err err = {0};
    CHECK_EQ(js_open(&js, path, &err), PS_OK);
    cJSON *v;
    int count = 0;
    size_t got_len = 0;
    int rc;
    while ((rc = js_next(&js, &v, &err)) > 0) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(v, "t");
        if (cJSON_IsString(t))
            got_len = strlen(t->valuestring);
        count++;
        cJSON_Delete(v);
    }
    js_close(&js);
    CHECK_EQ(rc, 0);
    CHECK_EQ(count, 3);
    CHECK_EQ(got_len, big);
}

static void
test_gzip(void)
{
    const char *dir = test_tmpdir();
    char path[4200];
    snprintf(path, sizeof path, "%s/x.jsonl.gz", dir);
    gzFile gz = gzopen(path, "wb");
    for (int i = 0; i < 1000; i++)
        gzprintf(gz, "{\"n\":%d,\"pad\":\"%0200d\"}\n", i, i);
    gzclose(gz);
    struct seen s;
    read_all(path, &s);
    CHECK_EQ(s.rc, 0);
    CHECK_EQ(s.count, 1000);
    CHECK_EQ(s.n[999], 999);

    /* truncated gzip: half the compressed bytes */
    FILE *f = fopen(path, "rb");
    static unsigned char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    read_all(test_write(dir, "trunc.jsonl.gz", buf, n / 2), &s);
    CHECK(s.rc < 0);
    CHECK(s.count < 1000);
    CHECK_CONTAINS(s.err.msg, "trunc.jsonl.gz:");
    CHECK_CONTAINS(s.err.msg, "truncated gzip data");

    /* a damaged checksum in the trailer: all data reads, then the stream fails */
    buf[n - 6] ^= 0x55;
    read_all(test_write(dir, "crc.jsonl.gz", buf, n), &s);
    CHECK(s.rc < 0);
    CHECK_CONTAINS(s.err.msg, "crc.jsonl.gz:");
    CHECK_CONTAINS(s.err.msg, "corrupt gzip data");
    buf[n - 6] ^= 0x55;
    /* an invalid deflate block right after the header */
    memset(buf + 10, 0xFF, 64);
    read_all(test_write(dir, "corrupt.jsonl.gz", buf, n), &s);
    CHECK(s.rc < 0);
    CHECK_EQ(s.count, 0);
    CHECK_CONTAINS(s.err.msg, "corrupt.jsonl.gz:1: corrupt gzip data");
}

static void
test_check_text(void)
{
    struct ps_err err = {0};
    CHECK_EQ(js_check_text("f", 1, "abc\ndef", 7, &err), PS_OK);
    CHECK_EQ(js_check_text("f", 10, "abc\n\n\xc3", 6, &err), PS_ERR_PARSE);
    CHECK_CONTAINS(err.msg, "f:12: invalid UTF-8 (byte 0xc3)");
    CHECK_EQ(js_check_text("f", 1, "a\nb\0", 4, &err), PS_ERR_PARSE);
    CHECK_CONTAINS(err.msg, "f:2: NUL byte");
}

int
main(void)
{
    test_lines();
    test_array();
    test_document();
    test_errors();
    test_buffer_boundaries();
    test_big_line();
    test_gzip();
    test_check_text();
    return test_summary();
}
