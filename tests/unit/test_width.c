/* Display widths: table-driven cases over ASCII, CJK, emoji (incl. ZWJ sequences,
 * flags, skin tones, keycaps), combining marks, controls and invalid UTF-8. */
#include <stdint.h>
#include <string.h>

#include "core/width.h"
#include "test.h"

/* The generated tables themselves, for a linear lookup independent of width.c's
 * binary searches and fast paths. */
struct text_range {
    uint32_t lo, hi;
};
#include "core/width_tables.h"

static int
linear_in(uint32_t cp, const struct text_range *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (cp >= r[i].lo && cp <= r[i].hi)
            return 1;
    return 0;
}

static const struct {
    uint32_t cp;
    int w;
} cp_cases[] = {
    {'a', 1},     {' ', 1},     {'~', 1},       {0x00, -1},  {0x1B, -1},  {0x7F, -1},
    {0x85, -1},   {0x9B, -1},   {0xA0, 1},      {0xE9, 1},   {0x0301, 0}, /* combining acute */
    {0x200D, 0},                                                          /* ZWJ */
    {0x200B, 0},                                                          /* zero width space */
    {0xFE0F, 0},  {0xFE0E, 0},                                            /* variation selectors */
    {0xE0100, 0}, /* variation selector 17 */
    {0xE0067, 0}, /* tag latin small g (flag subdivisions) */
    {0x00AD, 1},  /* soft hyphen is drawn */
    {0x1160, 0},  /* Hangul jungseong */
    {0x4E2D, 2},  {0x3042, 2},  {0x30A2, 2},    {0xAC00, 2}, {0xFF21, 2}, /* 中 あ ア 가 Ａ */
    {0x3000, 2},                                                          /* ideographic space */
    {0xFF61, 1},                              /* halfwidth katakana punctuation */
    {0x1F600, 2}, {0x1F44D, 2}, {0x1F1FA, 1}, /* 😀 👍, regional indicator U */
    {0x2764, 1},                              /* ❤ text presentation by default */
    {0x231A, 2},                              /* ⌚ emoji presentation */
    {0x20000, 2}, {0x2FFFD, 2}, {0x3134A, 2}, /* CJK ext B, unassigned plane 2, ext G */
    {0x2028, -1}, {0xD800, -1}, {0x110000, -1}, {0x0E01, 1}, {0x0E31, 0}, /* Thai letter and vowel
                                                                             sign */
    {0x05D0, 1},  {0x0627, 1},               /* Hebrew, Arabic letters */
    {0x241B, 1},  {0x240D, 1},  {0x27E8, 1}, /* our placeholders are narrow */
};

static const struct {
    const char *s;
    size_t w;
} str_cases[] = {
    {"", 0},
    {"hello", 5},
    {"中文字", 6},
    {"日本語のテキスト", 16},
    {"e\xCC\x81", 1},                        /* e + combining acute */
    {"a\xCC\x81\xCC\xA7", 1},                /* two marks */
    {"\xF0\x9F\x98\x80", 2},                 /* 😀 */
    {"\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD", 4}, /* 👍🏽: modifier counts 2 (wcwidth-like) */
    {"\xF0\x9F\x87\xAB\xF0\x9F\x87\xB7", 2}, /* 🇫🇷 flag = two RIs */
    {"\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7",
     6},                              /* 👨‍👩‍👧 */
    {"\xE2\x9D\xA4\xEF\xB8\x8F", 1},  /* ❤️ (VS16 is zero width) */
    {"1\xEF\xB8\x8F\xE2\x83\xA3", 1}, /* keycap 1️⃣ */
    {"ab\xE4\xB8\xAD", 4},
    {"\xEF\xBC\xA1\xEF\xBC\xA2", 4},             /* fullwidth ＡＢ */
    {"\xED\x95\x9C\xEA\xB8\x80", 4},             /* 한글 */
    {"\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB", 2}, /* conjoining jamo 한 */
    {"\xFF", 1},                                 /* invalid byte counts as U+FFFD */
    {"\xE4\xB8", 1},                             /* truncated 3-byte: one U+FFFD */
};

int
main(void)
{
    for (size_t i = 0; i < sizeof cp_cases / sizeof cp_cases[0]; i++) {
        int w = text_cp_width(cp_cases[i].cp);
        if (w != cp_cases[i].w)
            fprintf(stderr, "cp U+%04X: width %d, expected %d\n", (unsigned)cp_cases[i].cp, w,
                    cp_cases[i].w);
        CHECK_EQ(w, cp_cases[i].w);
    }
    for (size_t i = 0; i < sizeof str_cases / sizeof str_cases[0]; i++) {
        size_t w = text_width(str_cases[i].s, strlen(str_cases[i].s));
        if (w != str_cases[i].w)
            fprintf(stderr, "case %zu: width %zu, expected %zu\n", i, w, str_cases[i].w);
        CHECK_EQ(w, str_cases[i].w);
    }

    /* every printable code point of the CJK blocks and around them (the ideographs
     * take a fast path) has the width the tables give */
    int table_mismatch = 0;
    for (uint32_t c = 0x2E80; c <= 0xA4FF; c++) {
        int want =
            linear_in(c, text_zero_ranges, sizeof text_zero_ranges / sizeof text_zero_ranges[0]) ? 0
            : linear_in(c, text_wide_ranges, sizeof text_wide_ranges / sizeof text_wide_ranges[0])
                ? 2
                : 1;
        if (text_cp_width(c) != want && table_mismatch++ == 0)
            fprintf(stderr, "U+%04X: width %d, tables say %d\n", (unsigned)c, text_cp_width(c),
                    want);
    }
    CHECK_EQ(table_mismatch, 0);

    /* decoding: maximal subparts */
    uint32_t cp;
    CHECK_EQ(text_decode("\xE4\xB8\xAD", 3, &cp), 3);
    CHECK_EQ(cp, 0x4E2D);
    CHECK_EQ(text_decode("\xE4\xB8x", 3, &cp), 2);
    CHECK_EQ(cp, 0xFFFD);
    CHECK_EQ(text_decode("\xC0\x80", 2, &cp), 1);     /* overlong lead */
    CHECK_EQ(text_decode("\xED\xA0\x80", 3, &cp), 1); /* surrogate: ED then bad second byte */
    CHECK_EQ(text_decode("\xF0\x9F\x98", 3, &cp), 3);
    CHECK_EQ(cp, 0xFFFD);
    CHECK_EQ(text_decode("\xF4\x90\x80\x80", 4, &cp), 1); /* > U+10FFFF */
    CHECK_EQ(text_decode("\x80", 1, &cp), 1);

    /* clusters */
    int w;
    const char *fam = "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7x";
    CHECK_EQ(text_cluster(fam, strlen(fam), &w), strlen(fam) - 1);
    CHECK_EQ(w, 6);
    const char *flags2 = "\xF0\x9F\x87\xAB\xF0\x9F\x87\xB7\xF0\x9F\x87\xA9\xF0\x9F\x87\xAA";
    CHECK_EQ(text_cluster(flags2, 16, &w), 8); /* 🇫🇷 then 🇩🇪: pairs, not a run */
    CHECK_EQ(w, 2);
    CHECK_EQ(text_cluster("e\xCC\x81x", 4, &w), 3);
    CHECK_EQ(text_cluster("\x1b\xCC\x81", 3, &w), 1); /* nothing attaches to a control */
    CHECK_EQ(w, 0);

    /* text_fit never splits a wide char or a cluster */
    int used;
    CHECK_EQ(text_fit("\xE4\xB8\xAD\xE6\x96\x87", 6, 3, &used), 3);
    CHECK_EQ(used, 2);
    CHECK_EQ(text_fit("\xE4\xB8\xAD\xE6\x96\x87", 6, 1, &used), 0);
    CHECK_EQ(used, 0);
    CHECK_EQ(text_fit("abe\xCC\x81z", 6, 3, &used), 5);
    CHECK_EQ(used, 3);
    CHECK_EQ(text_fit("abc", 3, 10, &used), 3);
    CHECK_EQ(used, 3);
    CHECK_EQ(text_fit(fam, strlen(fam), 5, &used), 0);
    CHECK_EQ(text_fit("ab\xCC\x81", 4, 1, &used), 1);

    CHECK(text_cp_is_word('a') && text_cp_is_word('_') && text_cp_is_word('7'));
    CHECK(!text_cp_is_word('-') && !text_cp_is_word(' '));
    CHECK(text_cp_is_word(0xE9) && text_cp_is_word(0x0416) && text_cp_is_word(0x0301));
    CHECK(!text_cp_is_word(0x2014) && !text_cp_is_word(0x1F600));
    return test_summary();
}
