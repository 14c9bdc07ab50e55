/* core: UTF-8 validation/decoding, strbuf, record builders, errors, hashing. */
#include <stdint.h>
#include <stdlib.h>

#include "core/err.h"
#include "core/hash.h"
#include "core/record.h"
#include "core/strbuf.h"
#include "core/utf8.h"
#include "test.h"

static void
test_utf8_valid(void)
{
    size_t bad = 99;
    CHECK(utf8_valid("", 0, &bad));
    CHECK(utf8_valid("plain ascii", 11, NULL));
    const char *mixed = "caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80"; /* café 中文 😀 */
    CHECK(utf8_valid(mixed, strlen(mixed), &bad));
    /* a lone continuation byte */
    CHECK(!utf8_valid("ab\x80", 3, &bad));
    CHECK_EQ(bad, 2);
    /* overlong encodings of '/' and NUL */
    CHECK(!utf8_valid("\xc0\xaf", 2, &bad));
    CHECK_EQ(bad, 0);
    CHECK(!utf8_valid("x\xe0\x80\xaf", 4, &bad));
    CHECK_EQ(bad, 1);
    /* UTF-16 surrogate U+D800 */
    CHECK(!utf8_valid("\xed\xa0\x80", 3, &bad));
    /* above U+10FFFF */
    CHECK(!utf8_valid("\xf4\x90\x80\x80", 4, &bad));
    CHECK(!utf8_valid("\xf5\x80\x80\x80", 4, &bad));
    /* truncated sequence at the end */
    CHECK(!utf8_valid("ok\xe4\xb8", 4, &bad));
    CHECK_EQ(bad, 2);
    /* 0xFF never appears */
    CHECK(!utf8_valid("\xff", 1, &bad));
    /* the largest valid code point and the replacement character itself */
    CHECK(utf8_valid("\xf4\x8f\xbf\xbf", 4, NULL));
    CHECK(utf8_valid("\xef\xbf\xbd", 3, NULL));
    /* embedded NUL is valid UTF-8 (callers check for NUL separately) */
    CHECK(utf8_valid("a\0b", 3, NULL));
}

static void
test_utf8_decode(void)
{
    uint32_t cp;
    CHECK_EQ(utf8_decode("A", 1, &cp), 1);
    CHECK_EQ(cp, 'A');
    CHECK_EQ(utf8_decode("\xc3\xa9", 2, &cp), 2);
    CHECK_EQ(cp, 0xE9);
    CHECK_EQ(utf8_decode("\xe4\xb8\xad", 3, &cp), 3);
    CHECK_EQ(cp, 0x4E2D);
    CHECK_EQ(utf8_decode("\xf0\x9f\x98\x80", 4, &cp), 4);
    CHECK_EQ(cp, 0x1F600);
    /* invalid: length 1 and U+FFFD, so a caller always advances */
    CHECK_EQ(utf8_decode("\x80", 1, &cp), 1);
    CHECK_EQ(cp, 0xFFFD);
    CHECK_EQ(utf8_decode("\xe4\xb8", 2, &cp), 1); /* truncated */
    CHECK_EQ(cp, 0xFFFD);
    CHECK_EQ(utf8_decode("", 0, &cp), 1);
    CHECK_EQ(cp, 0xFFFD);
    /* encode/decode round trip over the interesting boundaries */
    static const uint32_t cps[] = {0, 0x7F, 0x80, 0x7FF, 0x800, 0xFFFD, 0xFFFF, 0x10000, 0x10FFFF};
    for (size_t i = 0; i < sizeof cps / sizeof cps[0]; i++) {
        char buf[4];
        int n = utf8_encode(cps[i], buf);
        uint32_t back = 0;
        CHECK_EQ(utf8_decode(buf, (size_t)n, &back), n);
        CHECK_EQ(back, cps[i]);
    }
}

static void
test_strbuf(void)
{
    struct strbuf sb = STRBUF_INIT;
    CHECK_STREQ(sb_str(&sb), "");
    sb_puts(&sb, "hello");
    sb_putc(&sb, ' ');
    sb_printf(&sb, "%d-%s", 42, "x");
    CHECK_STREQ(sb_str(&sb), "hello 42-x");
    CHECK_EQ(sb.len, 10);
    /* binary safe */
    sb_append(&sb, "\0z", 2);
    CHECK_EQ(sb.len, 12);
    CHECK_EQ(sb.p[10], '\0');
    CHECK_EQ(sb.p[11], 'z');
    CHECK_EQ(sb.p[12], '\0');
    sb_reset(&sb);
    CHECK_EQ(sb.len, 0);
    CHECK_STREQ(sb_str(&sb), "");
    /* growth across many reallocations */
    for (int i = 0; i < 100000; i++)
        sb_putc(&sb, (char)('a' + i % 26));
    CHECK_EQ(sb.len, 100000);
    CHECK_EQ(sb.p[99999], 'a' + 99999 % 26);
    CHECK_EQ(strlen(sb.p), 100000);
    /* a long printf (beyond any internal first guess) */
    sb_reset(&sb);
    char big[5000];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    sb_printf(&sb, "<%s>", big);
    CHECK_EQ(sb.len, 5001);
    CHECK_EQ(sb.p[5000], '>');
    /* JSON string escaping */
    sb_reset(&sb);
    const char *raw = "q\"b\\n\n\t\x01\x1b\xc3\xa9";
    sb_json_str(&sb, raw, strlen(raw));
    CHECK_STREQ(sb_str(&sb), "\"q\\\"b\\\\n\\n\\t\\u0001\\u001b\xc3\xa9\"");
    /* random strings against a byte-at-a-time escaper (the original one): runs of
     * plain characters are copied at once, all else escaped the same way */
    static const char *const pieces[] = {
        "a",    "Z ",   "~",        "\"",       "\\",           "\n",   "\r",       "\t",    "\x01",
        "\x1f", "\x7f", "\xc3\xa9", "\xc2\x85", "\xe2\x80\xae", "\xff", "\xe2\x82", "{}[]:,"};
    unsigned long long seed = 7;
    for (int t = 0; t < 2000; t++) {
        struct strbuf in = STRBUF_INIT, want = STRBUF_INIT;
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        int len = (int)((seed >> 33) % 40);
        for (int k = 0; k < len; k++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            sb_puts(&in, pieces[(seed >> 33) % (sizeof pieces / sizeof pieces[0])]);
        }
        static const char hex[] = "0123456789abcdef";
        sb_putc(&want, '"');
        for (size_t i = 0; i < in.len; i++) {
            unsigned char c = (unsigned char)in.p[i];
            if (c == '"' || c == '\\')
                sb_printf(&want, "\\%c", c);
            else if (c == '\n' || c == '\r' || c == '\t')
                sb_printf(&want, "\\%c", c == '\n' ? 'n' : c == '\r' ? 'r' : 't');
            else if (c < 0x20 || c == 0x7f)
                sb_printf(&want, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
            else if (c < 0x80)
                sb_putc(&want, (char)c);
            else {
                uint32_t cp;
                int l = utf8_decode(in.p + i, in.len - i, &cp);
                if (l > 1 && utf8_terminal_active(cp))
                    sb_json_u(&want, cp);
                else if (l == 1)
                    sb_json_u(&want, 0xfffd);
                else
                    sb_append(&want, in.p + i, (size_t)l);
                i += (size_t)l - 1;
            }
        }
        sb_putc(&want, '"');
        sb_reset(&sb);
        sb_json_str(&sb, sb_str(&in), in.len);
        CHECK_STREQ(sb_str(&sb), sb_str(&want));
        sb_free(&in);
        sb_free(&want);
    }
    char *taken = sb_take(&sb);
    CHECK(taken != NULL);
    CHECK_EQ(sb.len, 0);
    CHECK(sb.p == NULL);
    free(taken);
    taken = sb_take(&sb); /* never NULL, even empty */
    CHECK(taken != NULL && taken[0] == '\0');
    free(taken);
    sb_free(&sb);
}

static void
test_record(void)
{
    struct ps_record r;
    ps_record_clear(&r);
    CHECK_EQ(r.n_resp, 0);
    CHECK(r.key == NULL);
    CHECK_EQ(ps_record_add_response(&r, "one", "m1"), 0);
    CHECK_EQ(ps_record_add_response(&r, NULL, "m2"), 1);
    CHECK_STREQ(r.resp[1].model, "m2");
    CHECK(r.resp[1].text == NULL);
    CHECK(r.resp[0].meta_json == NULL);
    int j = ps_record_add_judgment(&r, 0, 1, "human:alice", "A", 1.0, "clearer");
    CHECK_EQ(j, 0);
    CHECK_EQ(r.judg[0].has_p, 1);
    CHECK(r.judg[0].weight == 1.0);
    j = ps_record_add_judgment(&r, 1, 0, "llm:x", "invalid", 0, NULL);
    CHECK_EQ(r.judg[j].has_p, 0);
    CHECK_EQ(ps_record_add_rating(&r, 1, "helpfulness", 4, "human:bob"), 0);
    CHECK_EQ(ps_record_add_tag(&r, "t"), 0);
    /* fixed capacities report exhaustion instead of overflowing */
    for (int i = r.n_resp; i < PS_REC_MAX_RESP; i++)
        CHECK(ps_record_add_response(&r, "x", NULL) >= 0);
    CHECK_EQ(ps_record_add_response(&r, "overflow", NULL), -1);
    CHECK_EQ(r.n_resp, PS_REC_MAX_RESP);
    for (int i = r.n_tags; i < PS_REC_MAX_TAGS; i++)
        CHECK_EQ(ps_record_add_tag(&r, "t"), 0);
    CHECK_EQ(ps_record_add_tag(&r, "overflow"), -1);
    for (int i = r.n_judg; i < PS_REC_MAX_JUDG; i++)
        ps_record_add_judgment(&r, 0, 1, NULL, "A", 1, NULL);
    CHECK_EQ(ps_record_add_judgment(&r, 0, 1, NULL, "A", 1, NULL), -1);
    for (int i = r.n_rating; i < PS_REC_MAX_RATING; i++)
        ps_record_add_rating(&r, 0, "x", 1, NULL);
    CHECK_EQ(ps_record_add_rating(&r, 0, "x", 1, NULL), -1);

    CHECK_STREQ(ps_verdict_from_p(1.0), "A");
    CHECK_STREQ(ps_verdict_from_p(0.75), "A");
    CHECK_STREQ(ps_verdict_from_p(0.5), "tie");
    CHECK_STREQ(ps_verdict_from_p(0.0), "B");
    CHECK_STREQ(ps_verdict_from_p(0.25), "B");
}

static void
test_err(void)
{
    struct ps_err err;
    ps_err_clear(&err);
    CHECK_EQ(err.code, PS_OK);
    CHECK_STREQ(err.msg, "");
    CHECK_EQ(ps_error(&err, PS_ERR_PARSE, "line %d: %s", 3, "bad"), PS_ERR_PARSE);
    CHECK_STREQ(err.msg, "line 3: bad");
    CHECK_EQ(ps_error_prefix(&err, "%s:", "f.json"), PS_ERR_PARSE);
    CHECK_STREQ(err.msg, "f.json:line 3: bad");
    CHECK_EQ(ps_error(NULL, PS_ERR_IO, "ignored"), PS_ERR_IO);
    CHECK_STREQ(ps_status_str(PS_ERR_NOMEM), "out of memory");
    CHECK_STREQ(ps_status_str(9999), "unknown status");
    /* a message longer than the buffer is truncated, still terminated */
    char big[3000];
    memset(big, 'm', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ps_error(&err, PS_ERR, "%s", big);
    CHECK_EQ(strlen(err.msg), PS_ERR_MSG_MAX - 1);
    ps_error_prefix(&err, "prefix: ");
    CHECK_EQ(strlen(err.msg), PS_ERR_MSG_MAX - 1);
    CHECK(strncmp(err.msg, "prefix: mmm", 11) == 0);
}

static void
test_hash(void)
{
    /* published FNV-1a 64 test vectors */
    CHECK(hash_fnv64("", 0, HASH_FNV_SEED) == 0xcbf29ce484222325ULL);
    CHECK(hash_fnv64("a", 1, HASH_FNV_SEED) == 0xaf63dc4c8601ec8cULL);
    CHECK(hash_fnv64("foobar", 6, HASH_FNV_SEED) == 0x85944171f73967e8ULL);
    /* chaining equals hashing the concatenation */
    CHECK(hash_fnv64("bar", 3, hash_fnv64("foo", 3, HASH_FNV_SEED)) ==
          hash_fnv64("foobar", 6, HASH_FNV_SEED));
    char hex[17];
    hash_hex64(0x85944171f73967e8ULL, hex);
    CHECK_STREQ(hex, "85944171f73967e8");
    hash_hex64(1, hex);
    CHECK_STREQ(hex, "0000000000000001");
}

/* utf8_count against an independent count: random code points of every length
 * (1-4 bytes) are encoded and the count must be how many were written; stray
 * continuation bytes count as nothing, lead bytes as one, as in sqlite's length(). */
static void
test_utf8_count(void)
{
    uint32_t seed = 20261204;
    char buf[4 * 64 + 1];
    for (int round = 0; round < 2000; round++) {
        size_t n = 0, cps = 0;
        int want = (int)(seed % 64);
        for (int k = 0; k < want; k++) {
            seed = seed * 1103515245u + 12345u;
            static const uint32_t top[] = {0x7F, 0x7FF, 0xFFFF, 0x10FFFF};
            uint32_t cp = (seed >> 8) % (top[(seed >> 4) & 3] + 1);
            if (cp >= 0xD800 && cp <= 0xDFFF)
                cp = 'x';
            n += (size_t)utf8_encode(cp, buf + n);
            cps++;
        }
        seed = seed * 1103515245u + 12345u;
        CHECK(utf8_count(buf, n) == cps);
    }
    CHECK(utf8_count("", 0) == 0);
    CHECK(utf8_count("\xe6\x97\xa5\xe6\x9c\xac", 6) == 2);
    CHECK(utf8_count("\x80\x80"
                     "a",
                     3) == 1);
}

int
main(void)
{
    test_utf8_valid();
    test_utf8_count();
    test_utf8_decode();
    test_strbuf();
    test_record();
    test_err();
    test_hash();
    return test_summary();
}
