/* Measurable principles (core/features.c) and the per-principle metrics, filter and
 * rank (core/constitution.c): every feature on hand-made texts, properties on
 * random texts, and the Feedback Forensics worked example. */
#include <math.h>
#include <stdint.h>

#include "core/constitution.h"
#include "core/features.h"
#include "core/stats.h"
#include "test.h"

static double
f_of(const char *prompt, const char *text, int id)
{
    double v[FEAT__COUNT];
    struct feat_prompt p;
    features_prompt_init(&p, prompt);
    features_measure(&p, text, v);
    features_prompt_free(&p);
    return v[id];
}

static int
vote_of(const char *prompt, const char *a, const char *b, int id)
{
    double va[FEAT__COUNT], vb[FEAT__COUNT];
    struct feat_prompt p;
    features_prompt_init(&p, prompt);
    features_measure(&p, a, va);
    features_measure(&p, b, vb);
    features_prompt_free(&p);
    return features_vote(id, va, vb);
}

static void
test_table(void)
{
    CHECK(FEAT__COUNT >= 15);
    for (int i = 0; i < FEAT__COUNT; i++) {
        CHECK(features_name(i) != NULL);
        CHECK(strncmp(features_principle(i), "Select the response that ", 25) == 0);
        CHECK_EQ(features_find(features_name(i)), i);
    }
    CHECK(features_name(FEAT__COUNT) == NULL);
    CHECK_EQ(features_find("nope"), -1);
    for (int v = 0; v < ICAI_NVOTES; v++)
        CHECK_EQ(icai_vote_parse(icai_vote_name(v)), v);
    CHECK_EQ(icai_vote_parse("None"), -1);
}

static void
test_each_feature(void)
{
    /* length in code points, not bytes */
    CHECK_EQ(f_of(NULL, "h\xc3\xa9llo", FEAT_LONGER), 5);
    CHECK_EQ(vote_of(NULL, "abc", "ab", FEAT_LONGER), ICAI_VOTE_A);
    CHECK_EQ(vote_of(NULL, "abc", "ab", FEAT_SHORTER), ICAI_VOTE_B);
    CHECK_EQ(vote_of(NULL, "ab", "cd", FEAT_SHORTER), ICAI_VOTE_BOTH);
    CHECK_EQ(vote_of(NULL, "", "", FEAT_LONGER), ICAI_VOTE_NEITHER);
    /* list items: -, *, +, bullet, 1. and 2) followed by a blank; not **bold** or 3.5 */
    CHECK_EQ(f_of(NULL, "- a\n  * b\n+ c\n\xe2\x80\xa2 d\n1. e\n2) f\n**g**\n3.5 h\n-x",
                  FEAT_LIST_ITEMS),
             6);
    /* headers: 1 to 6 #, then a blank */
    CHECK_EQ(f_of(NULL, "# a\n###### b\n####### c\n#d\n  ## e", FEAT_HEADERS), 3);
    /* code blocks: fence lines, an unclosed block counts */
    CHECK_EQ(f_of(NULL, "```c\nx\n```\n~~~\ny", FEAT_CODE_BLOCKS), 2);
    CHECK_EQ(f_of(NULL, "inline `x` only", FEAT_CODE_BLOCKS), 0);
    CHECK_EQ(f_of(NULL, "see https://a.b and HTTP://c.d, not ftp://e", FEAT_LINKS), 2);
    CHECK_EQ(f_of(NULL, "hi \xf0\x9f\x98\x80 \xe2\x98\x80 \xe2\x9c\x85 x", FEAT_EMOJI), 3);
    CHECK_EQ(f_of(NULL, "wow!! yes!", FEAT_EXCLAMATIONS), 3);
    CHECK_EQ(f_of(NULL, "Shall I go on?", FEAT_QUESTION), 1);
    CHECK_EQ(f_of(NULL, "No question here.", FEAT_QUESTION), 0);
    CHECK_EQ(vote_of(NULL, "Why?", "Really?", FEAT_QUESTION), ICAI_VOTE_BOTH);
    CHECK_EQ(f_of(NULL, "I\xe2\x80\x99m sorry, but no.", FEAT_REFUSAL), 1);
    CHECK_EQ(f_of(NULL, "As an AI language model", FEAT_REFUSAL), 1);
    CHECK_EQ(f_of(NULL, "Sure, here it is.", FEAT_REFUSAL), 0);
    CHECK_EQ(f_of(NULL, "It might work; perhaps. Mayday is not may.", FEAT_HEDGING), 3);
    CHECK_EQ(f_of(NULL, "I think my cat likes me. Myself? Mine. Im", FEAT_FIRST_PERSON), 5);
    CHECK_EQ(f_of(NULL, "You and your yourself; youth", FEAT_SECOND_PERSON), 3);
    CHECK_EQ(f_of(NULL, "3 cats, 12.5 dogs and v2", FEAT_NUMBERS), 4);
    /* overlap: distinct prompt words of 3+ letters, case-insensitive */
    CHECK_EQ(f_of("Tell me about Paris and France", "paris PARIS france is in Europe",
                  FEAT_PROMPT_OVERLAP),
             2);
    CHECK_EQ(f_of(NULL, "paris", FEAT_PROMPT_OVERLAP), 0);
    /* Flesch: "The cat sat." = 3 words, 1 sentence, 3 syllables */
    CHECK_NEAR(f_of(NULL, "The cat sat.", FEAT_READABILITY), 206.835 - 1.015 * 3 - 84.6 * 1, 1e-9);
    /* "Beautiful elephants." = 2 words, beau-ti-ful (3), el-e-phants (3) */
    CHECK_NEAR(f_of(NULL, "Beautiful elephants.", FEAT_READABILITY), 206.835 - 1.015 * 2 - 84.6 * 3,
               1e-9);
    CHECK(isnan(f_of(NULL, "...", FEAT_READABILITY)));
    CHECK_EQ(vote_of(NULL, "...", "The cat sat.", FEAT_READABILITY), ICAI_VOTE_NEITHER);
    CHECK_EQ(vote_of(NULL, "The cat sat.", "Beautiful elephants.", FEAT_READABILITY), ICAI_VOTE_A);
    CHECK_EQ(f_of(NULL, "**a** and **b**", FEAT_BOLD), 2);
    CHECK_EQ(f_of(NULL, "one\n\n  \ntwo\nstill two\n\nthree", FEAT_PARAGRAPHS), 3);
    CHECK_EQ(f_of(NULL, "", FEAT_PARAGRAPHS), 0);
    CHECK_EQ(vote_of(NULL, "x", "y", FEAT_EMOJI), ICAI_VOTE_NEITHER);
    CHECK_EQ(features_vote(-1, NULL, NULL), ICAI_VOTE_INVALID);
}

/* Random texts from a small alphabet of meaningful pieces. */
static void
random_text(struct stats_rng *r, char *buf, size_t n)
{
    static const char *const pieces[] = {"I ",       "you ",     "might ",     "- item\n",
                                         "# head\n", "```\n",    "http://x ",  "\xf0\x9f\x98\x80",
                                         "!",        "?",        "I'm sorry ", "12 ",
                                         "**b** ",   "\n\n",     "Paris ",     "word ",
                                         ". ",       "\xc3\xa9", "\xff"};
    size_t len = 0, k = stats_rng_below(r, 12);
    buf[0] = 0;
    for (size_t i = 0; i < k; i++) {
        const char *p = pieces[stats_rng_below(r, sizeof pieces / sizeof pieces[0])];
        size_t m = strlen(p);
        if (len + m + 1 >= n)
            break;
        memcpy(buf + len, p, m + 1);
        len += m;
    }
}

static void
test_properties(void)
{
    struct stats_rng r;
    stats_rng_seed(&r, 7);
    static const int flip[] = {ICAI_VOTE_B, ICAI_VOTE_A, ICAI_VOTE_BOTH, ICAI_VOTE_NEITHER,
                               ICAI_VOTE_INVALID};
    int antisym = 1, inverse = 1, self = 1, valid = 1;
    for (int t = 0; t < 3000; t++) {
        char a[256], b[256];
        random_text(&r, a, sizeof a);
        random_text(&r, b, sizeof b);
        double va[FEAT__COUNT], vb[FEAT__COUNT];
        struct feat_prompt p;
        features_prompt_init(&p, "Tell me about Paris words");
        features_measure(&p, a, va);
        features_measure(&p, b, vb);
        features_prompt_free(&p);
        for (int f = 0; f < FEAT__COUNT; f++) {
            int x = features_vote(f, va, vb), y = features_vote(f, vb, va);
            valid &= x >= 0 && x < ICAI_VOTE_INVALID;
            antisym &= y == flip[x];
            int s = features_vote(f, va, va);
            self &= s == ICAI_VOTE_BOTH || s == ICAI_VOTE_NEITHER;
        }
        int l = features_vote(FEAT_LONGER, va, vb), s = features_vote(FEAT_SHORTER, va, vb);
        inverse &= (l == ICAI_VOTE_A) == (s == ICAI_VOTE_B) &&
                   (l == ICAI_VOTE_BOTH) == (s == ICAI_VOTE_BOTH);
    }
    CHECK(valid);
    CHECK(antisym);
    CHECK(self);
    CHECK(inverse);
}

static void
test_metrics(void)
{
    /* Feedback Forensics' worked example: agree 6, disagree 2, not applicable 2 */
    struct icai_counts c = {0};
    for (int i = 0; i < 6; i++)
        icai_count(&c, i % 2 ? ICAI_VOTE_A : ICAI_VOTE_B, i % 2 ? 0 : 1);
    icai_count(&c, ICAI_VOTE_A, 1);
    icai_count(&c, ICAI_VOTE_B, 0);
    icai_count(&c, ICAI_VOTE_BOTH, 0);
    icai_count(&c, ICAI_VOTE_NEITHER, 1);
    icai_count(&c, ICAI_VOTE_A, 2);  /* a tie label: not counted */
    icai_count(&c, ICAI_VOTE_A, -1); /* no label */
    struct icai_metrics m;
    icai_metrics(&c, &m);
    CHECK_NEAR(m.total, 10, 0);
    CHECK_NEAR(m.relevance, 0.8, 1e-12);
    CHECK_NEAR(m.accuracy, 0.75, 1e-12);
    CHECK_NEAR(m.kappa, 0.5, 1e-12);
    CHECK_NEAR(m.strength, 0.4, 1e-12);
    CHECK_NEAR(m.relevance_for, 0.6, 1e-12);
    struct icai_counts none = {0};
    icai_metrics(&none, &m);
    CHECK_NEAR(m.accuracy, 0.5, 0);
    CHECK_NEAR(m.strength, 0, 0);
    /* strength == (for - against) / total on random counts */
    struct stats_rng r;
    stats_rng_seed(&r, 3);
    int ok = 1;
    for (int t = 0; t < 1000; t++) {
        struct icai_counts k = {(double)stats_rng_below(&r, 50), (double)stats_rng_below(&r, 50),
                                (double)stats_rng_below(&r, 5), (double)stats_rng_below(&r, 5),
                                (double)stats_rng_below(&r, 5)};
        icai_metrics(&k, &m);
        double tot = k.n_for + k.n_against + k.n_both + k.n_neither + k.n_invalid;
        if (tot > 0)
            ok &= fabs(m.strength - (k.n_for - k.n_against) / tot) < 1e-12;
    }
    CHECK(ok);
}

static void
test_rank(void)
{
    struct icai_counts c[5] = {
        {10, 2, 0, 0, 0},  /* fma 8 */
        {30, 10, 0, 0, 0}, /* fma 20 */
        {3, 5, 0, 0, 0},   /* for <= against */
        {1, 0, 0, 99, 0},  /* relevance 0.01 */
        {6, 1, 0, 0, 20},  /* mostly invalid */
    };
    struct icai_filter f;
    icai_filter_defaults(&f);
    int rank[5];
    CHECK_EQ(icai_rank(c, 5, &f, rank), 2);
    CHECK_EQ(rank[0], 2);
    CHECK_EQ(rank[1], 1);
    CHECK_EQ(rank[2], 0);
    CHECK_EQ(rank[3], 0);
    CHECK_EQ(rank[4], 0);
    CHECK_STREQ(icai_filter_reason(&f, &c[2]), "for <= against");
    CHECK_STREQ(icai_filter_reason(&f, &c[3]), "relevance below the minimum");
    CHECK_STREQ(icai_filter_reason(&f, &c[4]), "mostly invalid");
    f.top = 1;
    CHECK_EQ(icai_rank(c, 5, &f, rank), 1);
    CHECK_EQ(rank[1], 1);
    CHECK_EQ(rank[0], 0);
    f.top = 0;
    f.max_invalid = 1;
    f.min_relevance = 0;
    f.require_more_for = 0;
    CHECK_EQ(icai_rank(c, 5, &f, rank), 5);
    CHECK_EQ(rank[2], 5); /* fma -2 last */
    /* the two relevance definitions: (8+4)/100 = 0.12 passes, 8/100 = 0.08 does not */
    icai_filter_defaults(&f);
    struct icai_counts d = {8, 4, 0, 88, 0};
    CHECK(icai_filter_reason(&f, &d) == NULL);
    f.relevance_for_only = 1;
    CHECK_STREQ(icai_filter_reason(&f, &d), "relevance below the minimum");
}

static void
test_agreement(void)
{
    unsigned char ok[200];
    for (int i = 0; i < 200; i++)
        ok[i] = i % 4 != 0; /* 75 % */
    double m, lo, hi;
    icai_agreement_ci(ok, 200, 1, 2000, 0.95, &m, &lo, &hi);
    CHECK_NEAR(m, 0.75, 1e-12);
    CHECK(lo < 0.75 && hi > 0.75);
    /* normal approximation: sd = sqrt(.75*.25/200) = 0.0306, 95 % half-width ~ 0.06 */
    CHECK(lo > 0.68 && lo < 0.72);
    CHECK(hi > 0.78 && hi < 0.82);
    /* the exact bootstrap distribution agrees with 2,000 resamples */
    double elo, ehi;
    icai_agreement_ci(ok, 200, 1, -1, 0.95, &m, &elo, &ehi);
    CHECK_NEAR(elo, lo, 0.011);
    CHECK_NEAR(ehi, hi, 0.011);
    /* and with Python's exact binomial quantiles: n=200, p=.75 -> 138/200 and 162/200 */
    CHECK_NEAR(elo, 0.69, 1e-12);
    CHECK_NEAR(ehi, 0.81, 1e-12);
    icai_agreement_ci(ok, 0, 1, 100, 0.95, &m, &lo, &hi);
    CHECK(isnan(m) && isnan(lo));
}

int
main(void)
{
    test_table();
    test_each_feature();
    test_properties();
    test_metrics();
    test_rank();
    test_agreement();
    return test_summary();
}
