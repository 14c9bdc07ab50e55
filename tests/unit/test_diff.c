/* Word diff: tokenizer cases, expected hunks, and properties over random edits:
 * the hunks tile both texts, EQUAL hunks hold equal text, identical texts have no
 * change, and the edit count is minimal for single-token edits. */
#include <stdlib.h>
#include <string.h>

#include "core/diff.h"
#include "core/width.h"
#include "test.h"

static void
tokens_str(const char *s, struct strbuf *out)
{
    struct text_spans t = {0};
    text_tokenize(s, strlen(s), &t);
    sb_reset(out);
    for (size_t i = 0; i < t.n; i++) {
        if (i)
            sb_putc(out, '|');
        sb_append(out, s + t.v[i].off, t.v[i].len);
    }
    text_spans_free(&t);
}

/* The tokenizer as diff.h specifies it, one cluster at a time through width.h:
 * runs of word clusters, runs of space clusters, single newlines, single others,
 * a wide cluster alone (tokenize_mismatches: how many tokens of text_tokenize
 * differ). */
static int
tok_class_ref(const char *s, size_t n, size_t *len)
{
    int w;
    uint32_t cp;
    *len = text_cluster(s, n, &w);
    text_decode(s, n, &cp);
    if (cp == '\n')
        return 1;
    if (cp == ' ' || cp == '\t' || cp == 0xA0 || cp == 0x3000 || (cp >= 0x2000 && cp <= 0x200A))
        return 0;
    if (w >= 2 && cp >= 0x80) /* an ASCII base keeps its class whatever joins it */
        return 3;
    return text_cp_is_word(cp) ? 2 : 3;
}

static int
tokenize_mismatches(const char *s, size_t n)
{
    struct text_spans t = {0};
    text_tokenize(s, n, &t);
    size_t i = 0, k = 0;
    int bad = 0;
    while (i < n) {
        size_t len, start = i;
        int c = tok_class_ref(s + i, n - i, &len);
        i += len;
        while ((c == 0 || c == 2) && i < n) {
            size_t l2;
            if (tok_class_ref(s + i, n - i, &l2) != c)
                break;
            i += l2;
        }
        if (k >= t.n || t.v[k].off != start || t.v[k].len != i - start)
            bad++;
        k++;
    }
    bad += k != t.n;
    text_spans_free(&t);
    return bad;
}

/* Hunks as text: "=same" "-del" "+ins" "~old>new", joined by spaces. */
static int
diff_str_opts(const char *a, const char *b, const struct text_diff_opts *o, struct strbuf *out)
{
    struct text_diff d;
    text_diff(a, strlen(a), b, strlen(b), o, &d);
    sb_reset(out);
    for (size_t i = 0; i < d.n; i++) {
        const struct text_diff_hunk *h = &d.h[i];
        if (i)
            sb_putc(out, ' ');
        switch (h->tag) {
        case TEXT_DIFF_EQUAL:
            sb_putc(out, '=');
            sb_append(out, a + h->a_off, h->a_len);
            break;
        case TEXT_DIFF_DELETED:
            sb_putc(out, '-');
            sb_append(out, a + h->a_off, h->a_len);
            break;
        case TEXT_DIFF_INSERTED:
            sb_putc(out, '+');
            sb_append(out, b + h->b_off, h->b_len);
            break;
        case TEXT_DIFF_CHANGED:
            sb_putc(out, '~');
            sb_append(out, a + h->a_off, h->a_len);
            sb_putc(out, '>');
            sb_append(out, b + h->b_off, h->b_len);
            break;
        }
    }
    int simplified = d.simplified;
    text_diff_free(&d);
    return simplified;
}

static void
diff_str(const char *a, const char *b, unsigned flags, struct strbuf *out)
{
    struct text_diff_opts o = {flags, 0, 0};
    diff_str_opts(a, b, &o, out);
}

/* Check the structural properties; returns the number of failed checks. */
static void
check_props(const char *a, size_t na, const char *b, size_t nb, const struct text_diff_opts *o)
{
    struct text_diff d;
    text_diff(a, na, b, nb, o, &d);
    size_t pa = 0, pb = 0;
    int ok = 1;
    for (size_t i = 0; i < d.n; i++) {
        const struct text_diff_hunk *h = &d.h[i];
        ok &= h->a_off == pa && h->b_off == pb;
        pa += h->a_len;
        pb += h->b_len;
        switch (h->tag) {
        case TEXT_DIFF_EQUAL:
            ok &= (o && (o->flags & TEXT_DIFF_IGNORE_WS)) ||
                  (h->a_len == h->b_len && memcmp(a + h->a_off, b + h->b_off, h->a_len) == 0);
            break;
        case TEXT_DIFF_DELETED: ok &= h->a_len > 0 && h->b_len == 0; break;
        case TEXT_DIFF_INSERTED: ok &= h->a_len == 0 && h->b_len > 0; break;
        case TEXT_DIFF_CHANGED: ok &= h->a_len > 0 && h->b_len > 0; break;
        }
        if (i > 0)
            ok &= !(h->tag == TEXT_DIFF_EQUAL && d.h[i - 1].tag == TEXT_DIFF_EQUAL);
    }
    ok &= pa == na && pb == nb;
    CHECK(ok);
    text_diff_free(&d);
}

static const char *const words[] = {"the", "cat", "sat", "on", "mat",   " ", "  ", "\n", ",", ".",
                                    "中",  "文",  "😀",   "é",  "naïve", "x", "42", "-",  "\t"};

/* ntok tokens: words of `words`, or, about one in `every` (0: never), one of `uniq`
 * numbered words ("u17 ") that the other text may or may not hold. */
static size_t
rand_text_uniq(unsigned *seed, char *buf, size_t cap, size_t ntok, unsigned uniq, unsigned every)
{
    size_t n = 0;
    for (size_t i = 0; i < ntok; i++) {
        char w[32];
        if (every && (unsigned)rand_r(seed) % every == 0)
            snprintf(w, sizeof w, "u%u ", (unsigned)rand_r(seed) % uniq);
        else
            snprintf(w, sizeof w, "%s",
                     words[(unsigned)rand_r(seed) % (sizeof words / sizeof words[0])]);
        size_t l = strlen(w);
        if (n + l >= cap)
            break;
        memcpy(buf + n, w, l);
        n += l;
    }
    buf[n] = '\0';
    return n;
}

static size_t
rand_text(unsigned *seed, char *buf, size_t cap, size_t ntok)
{
    return rand_text_uniq(seed, buf, cap, ntok, 0, 0);
}

/* Tokens of s as strings, for the independent check below. */
static size_t
tok_list(const char *s, size_t n, struct text_spans *t)
{
    t->n = 0;
    text_tokenize(s, n, t);
    return t->n;
}

/* The diff is an edit script: applying it to A (keep EQUAL, drop DELETED, take B's
 * side of INSERTED and CHANGED) gives B, and reading it backwards gives A; and when
 * the search stayed exact (small texts, simplified == 0) its edit count is the
 * shortest possible, n + m - 2 LCS over the tokens, the LCS by dynamic programming. */
static void
check_script_opts(const char *a, size_t na, const char *b, size_t nb, int want_minimal,
                  const struct text_diff_opts *o)
{
    struct text_diff d;
    text_diff(a, na, b, nb, o, &d);
    struct strbuf ra = STRBUF_INIT, rb = STRBUF_INIT;
    for (size_t i = 0; i < d.n; i++) {
        const struct text_diff_hunk *h = &d.h[i];
        sb_append(&ra, a + h->a_off, h->a_len);
        sb_append(&rb, h->tag == TEXT_DIFF_EQUAL ? a + h->a_off : b + h->b_off,
                  h->tag == TEXT_DIFF_EQUAL ? h->a_len : h->b_len);
    }
    CHECK(ra.len == na && memcmp(ra.p ? ra.p : "", a, na) == 0);
    CHECK(rb.len == nb && memcmp(rb.p ? rb.p : "", b, nb) == 0);
    if (want_minimal && d.simplified == 0) {
        struct text_spans ta = {0}, tb = {0};
        size_t n = tok_list(a, na, &ta), m = tok_list(b, nb, &tb);
        size_t *row = calloc((n + 1) * (m + 1), sizeof *row);
        for (size_t i = 1; i <= n; i++)
            for (size_t j = 1; j <= m; j++) {
                const struct text_span *x = &ta.v[i - 1], *y = &tb.v[j - 1];
                size_t up = row[(i - 1) * (m + 1) + j], left = row[i * (m + 1) + j - 1];
                size_t diag = row[(i - 1) * (m + 1) + j - 1];
                int eq = x->len == y->len && memcmp(a + x->off, b + y->off, x->len) == 0;
                size_t best = up > left ? up : left;
                row[i * (m + 1) + j] = eq && diag + 1 > best ? diag + 1 : best;
            }
        size_t lcs = row[n * (m + 1) + m];
        if (d.edit_tokens != n + m - 2 * lcs)
            fprintf(stderr, "not minimal: %zu edits, %zu + %zu tokens, lcs %zu\n", d.edit_tokens, n,
                    m, lcs);
        CHECK_EQ(d.edit_tokens, n + m - 2 * lcs);
        free(row);
        text_spans_free(&ta);
        text_spans_free(&tb);
    }
    sb_free(&ra);
    sb_free(&rb);
    text_diff_free(&d);
}

static void
check_script(const char *a, size_t na, const char *b, size_t nb, int want_minimal)
{
    check_script_opts(a, na, b, nb, want_minimal, NULL);
}

/* Under a small search budget the diff keeps what the search settled and diffs the
 * rest by lines (then words while the budget lasts): still a script of a into b. */
static void
check_script_budget(unsigned *seed, const char *a, size_t na, const char *b, size_t nb)
{
    struct text_diff_opts o = {0, 0, 1 + (size_t)rand_r(seed) % 40000};
    check_script_opts(a, na, b, nb, 0, &o);
}

/* Texts of many repeats of few tokens, unrelated texts, long ones (where the search
 * splits after dlim edits), and texts with many tokens only one side holds (the
 * search runs without them): every diff still applies, and the exact ones are
 * shortest. */
static void
test_scripts(void)
{
    unsigned seed = 777;
    static char a[1 << 16], b[1 << 16];
    for (int iter = 0; iter < 800; iter++) {
        size_t na, nb;
        int kind = iter % 6;
        if (kind >= 4) {
            /* tokens only one side holds: up to 120 tokens a side (span <= 240, so
             * dlim = 70000 / span > span / 2 and the search is exact), or long */
            unsigned uniq = 1 + (unsigned)rand_r(&seed) % 400,
                     every = 1 + (unsigned)rand_r(&seed) % 4;
            size_t len =
                kind == 4 ? 30 + (size_t)rand_r(&seed) % 30 : 3000 + (size_t)rand_r(&seed) % 5000;
            na = rand_text_uniq(&seed, a, sizeof a, len, uniq, every);
            if (rand_r(&seed) % 2) {
                nb = rand_text_uniq(&seed, b, sizeof b, len, uniq, every);
            } else { /* an edited copy with words only it holds */
                nb = 0;
                for (size_t i = 0; i < na && nb + 8 < sizeof b; i++) {
                    if (a[i] == ' ' && rand_r(&seed) % 6 == 0)
                        nb += (size_t)snprintf(b + nb, sizeof b - nb, " v%d", rand_r(&seed) % 50);
                    b[nb++] = a[i];
                }
            }
            check_script(a, na, b, nb, kind == 4);
            check_script_budget(&seed, a, na, b, nb);
            continue;
        }
        if (kind == 0) { /* small, unrelated or edited: exact */
            na = rand_text(&seed, a, sizeof a, (size_t)(rand_r(&seed) % 60));
            nb = rand_text(&seed, b, sizeof b, (size_t)(rand_r(&seed) % 60));
        } else if (kind == 1) { /* few distinct tokens, many repeats */
            static const char *const rep[] = {"a ", "a", " ", "b ", "a a "};
            na = nb = 0;
            size_t ka = (size_t)(rand_r(&seed) % 3000), kb = (size_t)(rand_r(&seed) % 3000);
            for (size_t k = 0; k < ka; k++)
                na += (size_t)snprintf(a + na, sizeof a - na, "%s", rep[rand_r(&seed) % 2]);
            for (size_t k = 0; k < kb; k++)
                nb += (size_t)snprintf(b + nb, sizeof b - nb, "%s", rep[2 + rand_r(&seed) % 3]);
        } else { /* long: unrelated, or a copy with scattered edits */
            na = rand_text(&seed, a, sizeof a, 2000 + (size_t)(rand_r(&seed) % 8000));
            if (kind == 2) {
                nb = rand_text(&seed, b, sizeof b, 2000 + (size_t)(rand_r(&seed) % 8000));
            } else {
                nb = 0;
                for (size_t i = 0; i < na; i++) {
                    if (rand_r(&seed) % 7 == 0)
                        b[nb++] = (char)('a' + rand_r(&seed) % 26);
                    if (rand_r(&seed) % 9 != 0)
                        b[nb++] = a[i];
                }
            }
        }
        check_script(a, na, b, nb, kind == 0);
        check_script_budget(&seed, a, na, b, nb);
    }
}

int
main(void)
{
    struct strbuf sb = STRBUF_INIT;
    static const struct {
        const char *in, *out;
    } tok[] = {
        {"", ""},
        {"hello world", "hello| |world"},
        {"don't stop!", "don|'|t| |stop|!"},
        {"a  b\n\nc", "a|  |b|\n|\n|c"},
        {"x=1.5;", "x|=|1|.|5|;"},
        {"中文字", "中|文|字"},
        {"naïve café", "naïve| |café"},
        {"e\xCC\x81t\xC3\xA9", "e\xCC\x81t\xC3\xA9"}, /* combining mark stays in the word */
        {"hi😀there", "hi|😀|there"},
        {"\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9!",
         "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9|!"},
        {"snake_case42", "snake_case42"},
        {"Привет мир", "Привет| |мир"},
        {"tab\there", "tab|\t|here"},
    };
    for (size_t i = 0; i < sizeof tok / sizeof tok[0]; i++) {
        tokens_str(tok[i].in, &sb);
        CHECK_STREQ(sb_str(&sb), tok[i].out);
    }
    /* random strings of ASCII, marks, wide and joined clusters, odd spaces, controls
     * and broken UTF-8, against the cluster-by-cluster tokenizer above */
    static const char *const pieces[] = {
        "a",
        "Z",
        "7",
        "_",
        " ",
        "\t",
        "\n",
        ",",
        "'",
        "\x01",
        "\x7f",
        "é",
        "\xCC\x81",
        "中",
        "文",
        "😀",
        "\xE2\x80\x8D",
        "\xF0\x9F\x87\xAB",
        "\xC2\xA0",
        "\xE3\x80\x80",
        "\xE2\x80\x83",
        "\xFF",
        "\xE4\xB8",
        "Ж",
        "\xC2\x85",
    };
    unsigned tseed = 99;
    int tok_bad = 0;
    for (int iter = 0; iter < 2000; iter++) {
        char buf[256];
        size_t n = 0, len = (size_t)rand_r(&tseed) % 60;
        for (size_t i = 0; i < len; i++) {
            const char *p = pieces[(unsigned)rand_r(&tseed) % (sizeof pieces / sizeof pieces[0])];
            size_t l = strlen(p);
            memcpy(buf + n, p, l);
            n += l;
        }
        tok_bad += tokenize_mismatches(buf, n);
    }
    CHECK_EQ(tok_bad, 0);

    static const struct {
        const char *a, *b;
        unsigned flags;
        const char *out;
    } cases[] = {
        {"same text", "same text", 0, "=same text"},
        {"", "", 0, ""},
        {"", "new", 0, "+new"},
        {"old", "", 0, "-old"},
        {"the cat sat", "the dog sat", 0, "=the  ~cat>dog = sat"},
        {"the cat sat", "the cat sat down", 0, "=the cat sat + down"},
        {"a b c d", "a x y d", 0, "=a  ~b c>x y = d"}, /* whitespace gap folded */
        {"keep this word", "keep word", 0, "=keep  -this  =word"},
        {"我喜欢猫", "我喜欢狗", 0, "=我喜欢 ~猫>狗"},
        {"x  y", "x y", 0, "=x ~  >  =y"},
        {"x  y", "x y", TEXT_DIFF_IGNORE_WS, "=x  y"},
        {"line one\nline two\n", "line one\nline 2\n", 0, "=line one\nline  ~two>2 =\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        diff_str(cases[i].a, cases[i].b, cases[i].flags, &sb);
        if (strcmp(sb_str(&sb), cases[i].out) != 0)
            fprintf(stderr, "diff case %zu\n", i);
        CHECK_STREQ(sb_str(&sb), cases[i].out);
    }

    /* Identical texts: exactly one EQUAL hunk, no edits. */
    struct text_diff d;
    const char *t = "Some response with 中文 and 😀 emoji.\nSecond line.";
    text_diff(t, strlen(t), t, strlen(t), NULL, &d);
    CHECK_EQ(d.n, 1);
    CHECK_EQ(d.h[0].tag, TEXT_DIFF_EQUAL);
    CHECK_EQ(d.edit_tokens, 0);
    CHECK_EQ(d.simplified, 0);
    text_diff_free(&d);

    /* Random texts and random edits of them. */
    unsigned seed = 12345;
    static char a[4096], b[4096];
    for (int iter = 0; iter < 400; iter++) {
        size_t na = rand_text(&seed, a, sizeof a, (size_t)(rand_r(&seed) % 200));
        size_t nb;
        if (iter % 3 == 0) {
            nb = rand_text(&seed, b, sizeof b, (size_t)(rand_r(&seed) % 200));
        } else {
            /* a few token-level mutations of a */
            memcpy(b, a, na);
            nb = na;
            int edits = rand_r(&seed) % 5;
            for (int e = 0; e < edits && nb > 0; e++) {
                size_t pos = (size_t)rand_r(&seed) % nb;
                const char *w = words[(unsigned)rand_r(&seed) % (sizeof words / sizeof words[0])];
                size_t l = strlen(w);
                if (nb + l < sizeof b) {
                    memmove(b + pos + l, b + pos, nb - pos);
                    memcpy(b + pos, w, l);
                    nb += l;
                }
            }
        }
        check_props(a, na, b, nb, NULL);
        struct text_diff_opts ws = {TEXT_DIFF_IGNORE_WS, 0, 0};
        check_props(a, na, b, nb, &ws);
        struct text_diff_opts tiny = {0, 30, 50}; /* force the fallbacks */
        check_props(a, na, b, nb, &tiny);
        check_props(a, na, a, na, NULL);
        text_diff(a, na, a, na, NULL, &d);
        CHECK(d.n <= 1 && d.edit_tokens == 0);
        text_diff_free(&d);
    }

    /* One inserted word in a long text costs one token. */
    char big_a[8192], big_b[8192];
    size_t la = 0;
    for (int i = 0; i < 500; i++)
        la += (size_t)snprintf(big_a + la, sizeof big_a - la, "w%d ", i);
    size_t lb = 0;
    for (int i = 0; i < 500; i++)
        lb += (size_t)snprintf(big_b + lb, sizeof big_b - lb, i == 30 ? "NEW w%d " : "w%d ", i);
    text_diff(big_a, la, big_b, lb, NULL, &d);
    CHECK_EQ(d.simplified, 0);
    CHECK_EQ(d.edit_tokens, 2); /* "NEW" and " " */
    text_diff_free(&d);

    /* Caps: too many tokens fall back to lines, whose changed blocks are then
     * diffed word by word; too much work even for lines leaves one block. */
    struct text_diff_opts cap = {0, 5, 0};
    const char *la2 = "a b c d e f g\nsame line\nlast x\n",
               *lb2 = "a b c d e f h\nsame line\nlast y\n";
    CHECK_EQ(diff_str_opts(la2, lb2, &cap, &sb), 1);
    CHECK_STREQ(sb_str(&sb), "=a b c d e f  ~g>h =\nsame line\nlast  ~x>y =\n");
    check_props(la2, strlen(la2), lb2, strlen(lb2), &cap);
    struct text_diff_opts cap1 = {0, 1, 0}; /* lines too: 3 lines > 1 */
    CHECK_EQ(diff_str_opts(la2, lb2, &cap1, &sb), 2);
    CHECK_STREQ(sb_str(&sb),
                "~a b c d e f g\nsame line\nlast x\n>a b c d e f h\nsame line\nlast y\n");
    /* No search steps at all: the common first and last tokens (found without a
     * search) stay, the rest is diffed by lines, and a block of lines the budget
     * does not reach stays one change. */
    struct text_diff_opts cap2 = {0, 0, 1};
    CHECK_EQ(diff_str_opts(la2, lb2, &cap2, &sb), 1);
    CHECK_STREQ(sb_str(&sb), "=a b c d e f  ~g\nsame line\nlast x>h\nsame line\nlast y =\n");
    check_props(la2, strlen(la2), lb2, strlen(lb2), &cap2);
    const char *pa = "head\nmid a b\ntail\n", *pb = "head\nmid c d\ntail\n";
    CHECK_EQ(diff_str_opts(pa, pb, &cap2, &sb), 1);
    CHECK_STREQ(sb_str(&sb), "=head\nmid  ~a b>c d =\ntail\n");
    text_diff(pa, strlen(pa), pb, strlen(pb), &cap2, &d);
    CHECK_EQ(d.n, 3);
    if (d.n == 3) {
        CHECK_EQ(d.h[0].a_len, 9);
        CHECK_EQ(d.h[1].a_len, 3);
        CHECK_EQ(d.h[2].a_len, 6);
    }
    /* text_diff_find */
    CHECK_EQ(text_diff_find(&d, 0, 0), 0);
    CHECK_EQ(text_diff_find(&d, 0, 8), 0);
    CHECK_EQ(text_diff_find(&d, 0, 9), 1);
    CHECK_EQ(text_diff_find(&d, 1, 11), 1);
    CHECK_EQ(text_diff_find(&d, 1, 12), 2);
    CHECK_EQ(text_diff_find(&d, 1, 100), 3);
    text_diff_free(&d);

    test_scripts();

    /* One scratch reused by diffs of every size and kind gives the hunks a diff
     * without it gives (stale buffers must not leak into a result). */
    struct text_diff_scratch *scr = text_diff_scratch_new();
    unsigned sseed = 4242;
    int scratch_bad = 0;
    static char sa[1 << 15], sbuf[1 << 15];
    for (int iter = 0; iter < 300; iter++) {
        size_t len = (size_t)rand_r(&sseed) % (iter % 3 == 0 ? 6000 : 300);
        unsigned every = (unsigned)rand_r(&sseed) % 3;
        size_t na = rand_text_uniq(&sseed, sa, sizeof sa, len, 50, every);
        size_t nb = rand_text_uniq(&sseed, sbuf, sizeof sbuf, len, 50, every);
        struct text_diff_opts o = {iter % 2 ? TEXT_DIFF_IGNORE_WS : 0, 0,
                                   iter % 5 == 0 ? 2000 + (size_t)rand_r(&sseed) % 20000 : 0};
        struct text_diff x, y;
        text_diff(sa, na, sbuf, nb, &o, &x);
        text_diff_with(scr, sa, na, sbuf, nb, &o, &y);
        int same = x.n == y.n && x.edit_tokens == y.edit_tokens && x.simplified == y.simplified &&
                   x.tokens_a == y.tokens_a && x.tokens_b == y.tokens_b;
        for (size_t k = 0; same && k < x.n; k++)
            same = x.h[k].a_off == y.h[k].a_off && x.h[k].a_len == y.h[k].a_len &&
                   x.h[k].b_off == y.h[k].b_off && x.h[k].b_len == y.h[k].b_len &&
                   x.h[k].tag == y.h[k].tag;
        scratch_bad += !same;
        text_diff_free(&x);
        text_diff_free(&y);
    }
    CHECK_EQ(scratch_bad, 0);
    text_diff_scratch_free(scr);
    text_diff_scratch_free(NULL);
    sb_free(&sb);
    return test_summary();
}
