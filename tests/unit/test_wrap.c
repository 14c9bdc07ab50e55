/* Wrapping by display width: spaces, hard breaks of long words, CJK, emoji,
 * combining marks, tabs, newlines; rows never exceed the width. */
#include <string.h>

#include "core/width.h"
#include "core/wrap.h"
#include "test.h"

/* Render the rows as "row|row|row" (tabs expanded) for compact expectations. */
static void
rows_str(const char *s, int cols, struct strbuf *out)
{
    struct text_rows rows = {0};
    size_t n = strlen(s);
    text_wrap(s, n, cols, 4, &rows);
    sb_reset(out);
    for (size_t i = 0; i < rows.n; i++) {
        if (i)
            sb_putc(out, '|');
        if (rows.v[i].flags & TEXT_ROW_CONT)
            sb_putc(out, '+');
        text_row_render(s, &rows.v[i], 4, out);
    }
    CHECK_EQ(text_wrap_count(s, n, cols, 4), rows.n);
    text_rows_free(&rows);
}

static const struct {
    const char *in;
    int cols;
    const char *out;
} cases[] = {
    {"", 10, ""},
    {"hello", 10, "hello"},
    {"hello world", 5, "hello|+world"},
    {"hello world", 8, "hello|+world"},
    {"hello world", 11, "hello world"},
    {"the quick brown fox", 10, "the quick|+brown fox"},
    {"a  b", 2, "a|+b"},                 /* the spaces at a soft break vanish */
    {"abcdefghij", 4, "abcd|+efgh|+ij"}, /* hard break of a long word */
    {"ab abcdefghij", 4, "ab|+abcd|+efgh|+ij"},
    {"line1\nline2", 20, "line1|line2"},
    {"a\n\nb", 20, "a||b"},
    {"a\n", 20, "a"}, /* a final newline adds no row */
    {"a\n\n", 20, "a|"},
    {"\n", 20, ""},
    {"  indented text", 10, "  indented|+text"},
    {"中文字符测试", 5, "中文|+字符|+测试"}, /* CJK breaks between characters */
    {"中文abc", 4, "中文|+abc"},
    {"ab中文", 3, "ab|+中|+文"},
    {"\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80", 4,
     "\xF0\x9F\x98\x80\xF0\x9F\x98\x80|+\xF0\x9F\x98\x80"},
    {"e\xCC\x81"
     "e\xCC\x81"
     "e\xCC\x81",
     2,
     "e\xCC\x81"
     "e\xCC\x81|+e\xCC\x81"},
    {"\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9 ok", 4,
     "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9|+ok"},
    {"\xE4\xB8\xAD", 1, "\xE4\xB8\xAD"}, /* a wide char alone overflows cols 1 */
    {"a\tb", 10, "a   b"},               /* tab stops of 4 */
    {"a\tb", 4, "a|+b"},                 /* a tab that does not fit breaks */
    {"\tx", 10, "    x"},
    {"word      \nnext", 6, "word|next"}, /* overflowing trailing spaces */
    {"word      ", 6, "word"},
    {"      x", 3, "   |+x"}, /* indentation wider than the row */
};

int
main(void)
{
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rows_str(cases[i].in, cases[i].cols, &sb);
        if (strcmp(sb_str(&sb), cases[i].out) != 0)
            fprintf(stderr, "case %zu (cols %d)\n", i, cases[i].cols);
        CHECK_STREQ(sb_str(&sb), cases[i].out);
    }

    /* Row widths are reported and never exceed cols; rows tile the text in order. */
    const char *text = "Lorem ipsum dolor sit amet, 中文 consectetur\tadipiscing elit 😀 sed do "
                       "eiusmod tempor incididunt ut labore et dolore magna aliqua.\nUt enim";
    for (int cols = 1; cols < 40; cols++) {
        struct text_rows rows = {0};
        text_wrap(text, strlen(text), cols, 8, &rows);
        size_t prev_end = 0;
        for (size_t i = 0; i < rows.n; i++) {
            const struct text_row *r = &rows.v[i];
            CHECK(r->off >= prev_end);
            prev_end = r->off + r->len;
            sb_reset(&sb);
            text_row_render(text, r, 8, &sb);
            CHECK_EQ(text_width(sb.p, sb.len), r->cols);
            CHECK(r->cols <= cols || (cols == 1 && r->cols == 2));
            /* skipped bytes between rows are only spaces, tabs or one newline */
            if (i + 1 < rows.n)
                for (size_t k = prev_end; k < rows.v[i + 1].off; k++)
                    CHECK(text[k] == ' ' || text[k] == '\t' || text[k] == '\n');
        }
        text_rows_free(&rows);
    }

    /* The cache rewraps only when the key, length or width changes. */
    struct text_wrap_cache c = {0};
    const struct text_rows *r1 = text_wrap_cached(&c, 7, "aa bb cc", 8, 2, 8);
    CHECK_EQ(r1->n, 3);
    struct text_row *first = r1->v;
    const struct text_rows *r2 = text_wrap_cached(&c, 7, "aa bb cc", 8, 2, 8);
    CHECK(r2 == r1 && r2->v == first && r2->n == 3);
    r2 = text_wrap_cached(&c, 7, "aa bb cc", 8, 8, 8);
    CHECK_EQ(r2->n, 1);
    text_wrap_cache_free(&c);
    sb_free(&sb);
    return test_summary();
}
