/* The sanitizer: every hostile construct becomes a visible placeholder and nothing
 * non-printable survives. */
#include <string.h>

#include "core/sanitize.h"
#include "core/width.h"
#include "test.h"

static const struct {
    const char *in;
    size_t n; /* 0: strlen */
    unsigned flags;
    const char *out;
} cases[] = {
    {"plain text", 0, 0, "plain text"},
    {"line1\nline2", 0, 0, "line1\nline2"},
    {"a\r\nb", 0, 0, "a\nb"},
    {"progress 10%\rprogress 99%", 0, 0, "progress 10%\xE2\x90\x8Dprogress 99%"},
    {"end\r", 0, 0, "end\xE2\x90\x8D"},
    {"\x1b[2Jcleared", 0, 0, "\xE2\x90\x9B[2Jcleared"},
    {"\x1b[31mred\x1b[0m", 0, 0, "\xE2\x90\x9B[31mred\xE2\x90\x9B[0m"},
    {"\x1b[38;5;196mX", 0, 0, "\xE2\x90\x9B[38;5;196mX"},
    {"\x1b]0;pwned\x07title", 0, 0, "\xE2\x90\x9B]0;pwnedtitle"},
    {"\x1b]52;c;aGVsbG8=\x1b\\after", 0, 0, "\xE2\x90\x9B]52;c;aGVsbG8=after"},
    {"\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", 0, 0,
     "\xE2\x90\x9B]8;;http://xlink\xE2\x90\x9B]8;;"},
    {"\x1bPq#0;2;0;0;0\x1b\\x", 0, 0, "\xE2\x90\x9BPq#0;2;0;0;0x"},
    {"\x1b_apc\x1b\\x", 0, 0, "\xE2\x90\x9B_apcx"},
    {"\x1b^pm\x07x", 0, 0, "\xE2\x90\x9B^pmx"},
    {"\x1b"
     "cR",
     0, 0,
     "\xE2\x90\x9B"
     "cR"},                               /* RIS reset: 2-byte ESC c */
    {"\x1b(Bx", 0, 0, "\xE2\x90\x9B(Bx"}, /* charset designation */
    {"\x1b#8x", 0, 0, "\xE2\x90\x9B#8x"},
    {"\x1b", 0, 0, "\xE2\x90\x9B"}, /* lone ESC at the end */
    {"\x1b\x1b[Ax", 0, 0, "\xE2\x90\x9B\xE2\x90\x9B[Ax"},
    {"\x1b[", 0, 0, "\xE2\x90\x9B["},           /* truncated CSI */
    {"\x1b[12\nx", 0, 0, "\xE2\x90\x9B[12\nx"}, /* CSI broken by a newline */
    {"\x1b]0;no end\nvisible", 0, 0,
     "\xE2\x90\x9B]0;no\xE2\x90\xA3"
     "end\nvisible"},
    {"\xC2\x9B"
     "2J!",
     0, 0, "\xE2\x90\x9B[2J!"}, /* C1 CSI */
    {"\xC2\x9D"
     "0;t\xC2\x9C!",
     0, 0, "\xE2\x90\x9B]0;t!"}, /* C1 OSC ended by C1 ST */
    {"a\xC2\x85"
     "b",
     0, 0,
     "a\xE2\x90\x9B"
     "Eb"}, /* NEL */
    {"\x9b"
     "2J",
     0, 0,
     "\xEF\xBF\xBD"
     "2J"}, /* raw 8-bit CSI is invalid UTF-8 */
    {"bell\x07", 0, 0, "bell\xE2\x90\x87"},
    {"nul\0x", 5, 0, "nul\xE2\x90\x80x"},
    {"del\x7f", 0, 0, "del\xE2\x90\xA1"},
    {"bs\x08\x08", 0, 0, "bs\xE2\x90\x88\xE2\x90\x88"},
    {"a\x0c"
     "b\x0b",
     0, 0,
     "a\xE2\x90\x8C"
     "b\xE2\x90\x8B"},
    {"x\xE2\x80\xAE"
     "evil",
     0, 0,
     "x\xE2\x9F\xA8RLO\xE2\x9F\xA9"
     "evil"},
    {"\xE2\x80\xAA\xE2\x80\xAB\xE2\x80\xAC\xE2\x80\xAD", 0, 0,
     "\xE2\x9F\xA8LRE\xE2\x9F\xA9\xE2\x9F\xA8RLE\xE2\x9F\xA9\xE2\x9F\xA8PDF\xE2\x9F\xA9"
     "\xE2\x9F\xA8LRO\xE2\x9F\xA9"},
    {"\xE2\x81\xA6\xE2\x81\xA7\xE2\x81\xA8\xE2\x81\xA9", 0, 0,
     "\xE2\x9F\xA8LRI\xE2\x9F\xA9\xE2\x9F\xA8RLI\xE2\x9F\xA9\xE2\x9F\xA8"
     "FSI\xE2\x9F\xA9"
     "\xE2\x9F\xA8PDI\xE2\x9F\xA9"},
    {"\xE2\x80\x8E\xE2\x80\x8F\xD8\x9C", 0, 0,
     "\xE2\x9F\xA8LRM\xE2\x9F\xA9\xE2\x9F\xA8RLM\xE2\x9F\xA9\xE2\x9F\xA8"
     "ALM\xE2\x9F\xA9"},
    {"bad\xFFutf", 0, 0, "bad\xEF\xBF\xBDutf"},
    {"trunc\xE4\xB8", 0, 0, "trunc\xEF\xBF\xBD"}, /* one U+FFFD per broken sequence */
    {"\xE4\xB8\xE4\xB8\xAD", 0, 0, "\xEF\xBF\xBD\xE4\xB8\xAD"},
    {"\xC0\xAF", 0, 0, "\xEF\xBF\xBD\xEF\xBF\xBD"},                 /* overlong: each byte */
    {"\xED\xA0\x80", 0, 0, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"}, /* encoded surrogate */
    {"ok \xEF\xBF\xBD", 0, 0, "ok \xEF\xBF\xBD"},                   /* a real U+FFFD stays */
    {"\xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x98\x80 e\xCC\x81", 0, 0,
     "\xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x98\x80 e\xCC\x81"},
    {"a\xE2\x80\xA8"
     "b",
     0, 0, "a\nb"}, /* LINE SEPARATOR */
    {"a\tb", 0, 0, "a\tb"},
    {"a\tb", 0, TEXT_SAN_EXPAND_TABS, "a       b"},
    {"\xE4\xB8\xAD\tb\n\tc", 0, TEXT_SAN_EXPAND_TABS, "\xE4\xB8\xAD      b\n        c"},
    {"  one\n\ntwo\t three  ", 0, TEXT_SAN_ONELINE, "one two three"},
    {"x\x1b[2J\ny", 0, TEXT_SAN_ONELINE, "x\xE2\x90\x9B[2J y"},
    /* tag characters: hidden ASCII is shown, subdivision flags are kept */
    {"hi\xF3\xA0\x81\x88\xF3\xA0\x81\xA9\xF3\xA0\x80\xA0!", 0, 0,
     "hi\xE2\x9F\xA8TAG:Hi\xE2\x90\xA3\xE2\x9F\xA9!"},
    {"\xF0\x9F\x8F\xB4\xF3\xA0\x81\xA7\xF3\xA0\x81\xA2\xF3\xA0\x81\xA5\xF3\xA0\x81\xAE"
     "\xF3\xA0\x81\xA7\xF3\xA0\x81\xBF ok",
     0, 0,
     "\xF0\x9F\x8F\xB4\xF3\xA0\x81\xA7\xF3\xA0\x81\xA2\xF3\xA0\x81\xA5\xF3\xA0\x81\xAE"
     "\xF3\xA0\x81\xA7\xF3\xA0\x81\xBF ok"},
    /* a flood of combining marks keeps 8 */
    {"a\xCC\x81\xCC\x81\xCC\x81\xCC\x81\xCC\x81\xCC\x81\xCC\x81\xCC\x81\xCC\x81\xCC\x81"
     "\xCC\x81\xCC\x81z",
     0, 0,
     "a\xCC\x81\xCC\x81\xCC\x81\xCC\x81\xCC\x81\xCC\x81\xCC\x81\xCC\x81\xE2\x9F\xA8+"
     "4\xE2\x9F\xA9z"},
    {"a\xCC\x81\xCC\x81\xCC\x81\xCC\x81\xCC\x81\xCC\x81\xCC\x81\xCC\x81"
     "b\xCC\x81\xCC\x81\xCC\x81\xCC\x81\xCC\x81\xCC\x81\xCC\x81\xCC\x81",
     0, 0,
     "a\xCC\x81\xCC\x81\xCC\x81\xCC\x81\xCC\x81\xCC\x81\xCC\x81\xCC\x81"
     "b\xCC\x81\xCC\x81\xCC\x81\xCC\x81\xCC\x81\xCC\x81\xCC\x81\xCC\x81"},
    {"\x1b[1111111111111111111111111111111111m", 0, 0,
     "\xE2\x90\x9B[111111111111111111111111\xE2\x80\xA6m"},
};

/* Only printable code points, '\n', ' ' and '\t' may remain. */
static int
all_printable(const char *s, size_t n)
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

int
main(void)
{
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = cases[i].n ? cases[i].n : strlen(cases[i].in);
        sb_reset(&sb);
        text_sanitize(cases[i].in, n, &sb, cases[i].flags);
        if (strcmp(sb_str(&sb), cases[i].out) != 0)
            fprintf(stderr, "case %zu\n", i);
        CHECK_STREQ(sb_str(&sb), cases[i].out);
        CHECK(all_printable(sb.p, sb.len));
    }

    /* Marks cover exactly the placeholders. */
    struct text_spans marks = {0};
    sb_reset(&sb);
    text_sanitize_marked("a\x1b[1mb\rc\xE2\x80\xAE", strlen("a\x1b[1mb\rc\xE2\x80\xAE"), &sb, 0,
                         &marks);
    CHECK_EQ(marks.n, 3);
    if (marks.n == 3) {
        CHECK_EQ(marks.v[0].off, 1);
        CHECK(strncmp(sb.p + marks.v[0].off, "\xE2\x90\x9B[1m", marks.v[0].len) == 0);
        CHECK_EQ(marks.v[0].len, 6);
        CHECK(strncmp(sb.p + marks.v[1].off, "\xE2\x90\x8D", marks.v[1].len) == 0);
        CHECK(strncmp(sb.p + marks.v[2].off, "\xE2\x9F\xA8RLO\xE2\x9F\xA9", marks.v[2].len) == 0);
    }
    text_spans_free(&marks);

    /* Empty input gives an empty, NUL-terminated buffer. */
    struct strbuf e = STRBUF_INIT;
    text_sanitize("", 0, &e, 0);
    CHECK(e.p != NULL && e.len == 0);
    CHECK(strcmp(sb_str(&e), "") == 0); /* ASan: reads past an unterminated buffer */
    sb_free(&e);

    /* Escape visualisation */
    static const struct {
        const char *in, *out;
    } vis[] = {
        {"\x1b[31mred\x1b[0m", "\\e[31mred\\e[0m"},
        {"a\r\nb\tc", "a\\r\nb\\tc"},
        {"back\\slash", "back\\\\slash"},
        {"\x07\x7f", "\\a\\x7f"},
        {"\xC2\x9B"
         "1m",
         "\\u009b1m"},
        {"x\xE2\x80\xAEy", "x\\u202ey"},
        {"\xFF\xE4\xB8", "\\xff\\xe4\\xb8"},
        {"\xE4\xB8\xAD ok", "\xE4\xB8\xAD ok"},
        {"a\xE2\x80\x8B"
         "b\xF3\xA0\x81\x81",
         "a\\u200bb\\U000e0041"},
    };
    for (size_t i = 0; i < sizeof vis / sizeof vis[0]; i++) {
        sb_reset(&sb);
        text_escape_visual(vis[i].in, strlen(vis[i].in), &sb);
        CHECK_STREQ(sb_str(&sb), vis[i].out);
        CHECK(all_printable(sb.p, sb.len));
    }

    /* Every byte value alone and in pairs: output always printable. */
    for (int c1 = 0; c1 < 256; c1++) {
        for (int c2 = 0; c2 < 256; c2 += 7) {
            char in[3] = {(char)c1, (char)c2, 'z'};
            sb_reset(&sb);
            text_sanitize(in, 3, &sb, 0);
            CHECK(all_printable(sb.p, sb.len));
            sb_reset(&sb);
            text_escape_visual(in, 3, &sb);
            CHECK(all_printable(sb.p, sb.len));
        }
    }
    sb_free(&sb);
    return test_summary();
}
