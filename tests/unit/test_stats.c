/* Statistics primitives on hand-computed cases (the arithmetic is in the comments). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/stats.h"
#include "test.h"

static void
test_classes(void)
{
    CHECK_EQ(stats_class_parse("A"), STATS_A);
    CHECK_EQ(stats_class_parse("tie"), STATS_TIE);
    CHECK_EQ(stats_class_parse("invalid"), STATS_INVALID);
    CHECK_EQ(stats_class_parse("a"), -1);
    CHECK_STREQ(stats_class_name(STATS_B), "B");
}

/* stats_rng_counts and stats_rng_counts16 make the draws of the plain loop over
 * stats_rng_below (their division-free remainder included), for sizes where the
 * correction matters (n just above a power of two, n with a large 2^64 mod n). */
static void
test_rng_counts(void)
{
    struct stats_rng pick;
    stats_rng_seed(&pick, 99);
    uint64_t sizes[40] = {1, 2, 3, 7, 255, 256, 257, 65535, 65536, 65537, 300000, 12345};
    for (int i = 12; i < 40; i++)
        sizes[i] = 1 + stats_rng_below(&pick, i < 30 ? 1000 : 200000);
    int same = 1, ok16 = 1;
    for (int i = 0; i < 40; i++) {
        uint64_t n = sizes[i];
        int *want = calloc(n, sizeof *want), *got = calloc(n, sizeof *got);
        uint16_t *got16 = calloc(n, sizeof *got16);
        int *map = calloc(n, sizeof *map), *wmap = calloc(4, sizeof *wmap);
        int *gmap = calloc(4, sizeof *gmap);
        for (uint64_t k = 0; k < n; k++)
            map[k] = (int)(k % 4);
        struct stats_rng a, b, c, d;
        stats_rng_seed(&a, 1000 + (uint64_t)i);
        b = c = d = a;
        for (uint64_t k = 0; k < n; k++) {
            uint64_t x = stats_rng_below(&a, n);
            want[x]++;
            wmap[map[x]]++;
        }
        stats_rng_counts(&b, n, NULL, got);
        ok16 &= stats_rng_counts16(&c, n, got16);
        stats_rng_counts(&d, n, map, gmap);
        for (uint64_t k = 0; k < n; k++)
            same &= want[k] == got[k] && want[k] == got16[k];
        for (int k = 0; k < 4; k++)
            same &= wmap[k] == gmap[k];
        /* the stream continues at the same place */
        uint64_t na = stats_rng_next(&a);
        same &= na == stats_rng_next(&b) && na == stats_rng_next(&c) && na == stats_rng_next(&d);
        free(want);
        free(got);
        free(got16);
        free(map);
        free(wmap);
        free(gmap);
    }
    CHECK(same);
    CHECK(ok16);
    /* 16 bits wrap: the count is reported as not fitting */
    struct stats_rng r;
    stats_rng_seed(&r, 5);
    uint16_t one = 65535;
    CHECK_EQ(stats_rng_counts16(&r, 1, &one), 0);
}

static void
test_rng(void)
{
    struct stats_rng r1, r2;
    stats_rng_seed(&r1, 42);
    stats_rng_seed(&r2, 42);
    int same = 1;
    for (int i = 0; i < 100; i++)
        same &= stats_rng_next(&r1) == stats_rng_next(&r2);
    CHECK(same);
    stats_rng_seed(&r2, 43);
    CHECK(stats_rng_next(&r1) != stats_rng_next(&r2));
    /* 10,000 draws below 10: every value appears, roughly 1,000 times each */
    int hist[10] = {0}, inrange = 1;
    for (int i = 0; i < 10000; i++) {
        uint64_t x = stats_rng_below(&r1, 10);
        inrange &= x < 10;
        if (x < 10)
            hist[x]++;
    }
    CHECK(inrange);
    for (int i = 0; i < 10; i++)
        CHECK(hist[i] > 850 && hist[i] < 1150);
    double s = 0;
    for (int i = 0; i < 10000; i++)
        s += stats_rng_double(&r1);
    CHECK_NEAR(s / 10000, 0.5, 0.02);
}

static void
test_quantiles(void)
{
    double v[] = {1, 2, 3, 4, 5};
    /* q=0.25: position 0.25*4 = 1 -> v[1] = 2; q=0.1: position 0.4 -> 1 + 0.4*(2-1) = 1.4 */
    CHECK_NEAR(stats_quantile_sorted(v, 5, 0.25), 2, 1e-12);
    CHECK_NEAR(stats_quantile_sorted(v, 5, 0.1), 1.4, 1e-12);
    CHECK_NEAR(stats_quantile_sorted(v, 5, 1), 5, 1e-12);
    CHECK(isnan(stats_quantile_sorted(v, 0, 0.5)));
    /* level 0.5 over {5,1,3,2,4} (NaN ignored): quantiles 0.25 and 0.75 -> 2 and 4 */
    double w[] = {5, 1, NAN, 3, 2, 4};
    double lo, hi;
    stats_percentile_ci(w, 6, 0.5, &lo, &hi);
    CHECK_NEAR(lo, 2, 1e-12);
    CHECK_NEAR(hi, 4, 1e-12);
    /* 95% of 1..101: positions 0.025*100 = 2.5 -> 3.5 and 97.5 -> 98.5 */
    double u[101];
    for (int i = 0; i < 101; i++)
        u[i] = 101 - i;
    stats_percentile_ci(u, 101, 0.95, &lo, &hi);
    CHECK_NEAR(lo, 3.5, 1e-12);
    CHECK_NEAR(hi, 98.5, 1e-12);
    double nan1[] = {NAN};
    stats_percentile_ci(nan1, 1, 0.95, &lo, &hi);
    CHECK(isnan(lo) && isnan(hi));
    /* weighted mean: (1*1 + 3*3)/(1+3) = 2.5 */
    double x[] = {1, 3}, ww[] = {1, 3};
    CHECK_NEAR(stats_wmean(x, ww, 2), 2.5, 1e-12);
    CHECK_NEAR(stats_wmean(x, NULL, 2), 2, 1e-12);
    CHECK(isnan(stats_wmean(x, NULL, 0)));
}

static void
test_cohen(void)
{
    /* rows rater 1, cols rater 2 (A, B, tie):
     *   A:   4 1 0      row margins 5 5 2, column margins 5 4 3, N = 12
     *   B:   1 3 1      po = (4+3+2)/12 = 0.75
     *   tie: 0 0 2      pe = (5*5 + 5*4 + 2*3)/144 = 51/144
     * kappa = (108/144 - 51/144)/(93/144) = 57/93 = 19/31 */
    double t[9] = {4, 1, 0, 1, 3, 1, 0, 0, 2};
    double ag, k;
    stats_cohen(t, 3, &ag, &k);
    CHECK_NEAR(ag, 0.75, 1e-12);
    CHECK_NEAR(k, 19.0 / 31.0, 1e-12);
    /* perfect agreement on a single class: pe = 1, kappa undefined */
    double one[4] = {5, 0, 0, 0};
    stats_cohen(one, 2, &ag, &k);
    CHECK_NEAR(ag, 1, 1e-12);
    CHECK(isnan(k));
    /* chance-level: 2x2 all ones: po = .5, pe = .5 -> kappa 0 */
    double flat[4] = {1, 1, 1, 1};
    stats_cohen(flat, 2, &ag, &k);
    CHECK_NEAR(k, 0, 1e-12);
    double empty[4] = {0};
    stats_cohen(empty, 2, &ag, &k);
    CHECK(isnan(ag) && isnan(k));
}

static void
test_fleiss_alpha(void)
{
    /* 4 units, 3 raters, classes A/B/tie:
     *   u1 3 0 0   P_u = (3*2)/(3*2) = 1
     *   u2 2 1 0   P_u = (2*1)/6 = 1/3
     *   u3 0 3 0   P_u = 1
     *   u4 1 1 1   P_u = 0
     * Pbar = (1 + 1/3 + 1 + 0)/4 = 7/12.  Class shares: A 6/12, B 5/12, tie 1/12,
     * Pe = (36 + 25 + 1)/144 = 31/72.  kappa = (42/72 - 31/72)/(41/72) = 11/41. */
    double c[] = {3, 0, 0, 2, 1, 0, 0, 3, 0, 1, 1, 1};
    size_t used = 0;
    CHECK_NEAR(stats_fleiss(c, NULL, 4, 3, &used), 11.0 / 41.0, 1e-12);
    CHECK_EQ(used, 4);
    /* Krippendorff (nominal), same data: o_cc = sum_u n_uc(n_uc-1)/(m_u-1)
     * = 6/2 + 2/2 + 6/2 + 0 = 7 of n = 12 pairable values, so 5 off-diagonal.
     * n_c = 6, 5, 1: sum_c n_c (n - n_c) = 36 + 35 + 11 = 82.
     * alpha = 1 - (n-1) * 5 / 82 = 1 - 55/82 = 27/82. */
    CHECK_NEAR(stats_kripp_alpha_nominal(c, NULL, 4, 3), 27.0 / 82.0, 1e-12);
    /* add u5 = [1 0 0] (one value: not pairable, ignored) and u6 = [1 1 0]
     * (m = 2: o_AB = o_BA = 1): n = 14, diagonal still 7, off-diagonal 7;
     * n_c = 7, 6, 1: 7*7 + 6*8 + 1*13 = 110.  alpha = 1 - 13*7/110 = 19/110. */
    double c2[] = {3, 0, 0, 2, 1, 0, 0, 3, 0, 1, 1, 1, 1, 0, 0, 1, 1, 0};
    CHECK_NEAR(stats_kripp_alpha_nominal(c2, NULL, 6, 3), 19.0 / 110.0, 1e-12);
    /* Fleiss skips units whose rater count differs from the first (u5, u6) */
    CHECK_NEAR(stats_fleiss(c2, NULL, 6, 3, &used), 11.0 / 41.0, 1e-12);
    CHECK_EQ(used, 4);
    /* a unit weight of 2 equals listing the unit twice */
    double dup[] = {3, 0, 0, 2, 1, 0, 0, 3, 0, 1, 1, 1, 2, 1, 0};
    double w[] = {1, 2, 1, 1};
    CHECK_NEAR(stats_fleiss(c, w, 4, 3, NULL), stats_fleiss(dup, NULL, 5, 3, NULL), 1e-12);
    CHECK_NEAR(stats_kripp_alpha_nominal(c, w, 4, 3), stats_kripp_alpha_nominal(dup, NULL, 5, 3),
               1e-12);
    /* Two raters on binary data: alpha = 1 - (n-1) D_o / D_e.  Units (A,A),(B,B),(A,B):
     * n = 6, o_AB + o_BA = 2, n_A = n_B = 3: alpha = 1 - 5*2/(3*3+3*3) = 1 - 10/18 = 4/9. */
    double two[] = {2, 0, 0, 2, 1, 1};
    CHECK_NEAR(stats_kripp_alpha_nominal(two, NULL, 3, 2), 4.0 / 9.0, 1e-12);
    /* only one class used: undefined */
    double same[] = {2, 0, 2, 0};
    CHECK(isnan(stats_kripp_alpha_nominal(same, NULL, 2, 2)));
    CHECK(isnan(stats_fleiss(same, NULL, 2, 2, NULL)));
}

static void
test_majority(void)
{
    int all_differ[] = {1, 2, 0};
    CHECK_EQ(stats_majority(all_differ, 3, 3), 1); /* PandaLM: the first annotator wins */
    int two_zero[] = {2, 0, 0};
    CHECK_EQ(stats_majority(two_zero, 3, 3), 0);
    int missing[] = {-1, 2, -1};
    CHECK_EQ(stats_majority(missing, 3, 3), 2);
    int none[] = {-1, -1};
    CHECK_EQ(stats_majority(none, 2, 3), -1);
    int tie22[] = {1, 2, 2, 1}; /* 2-2: class 1's first vote comes first */
    CHECK_EQ(stats_majority(tie22, 4, 3), 1);
    int tie22b[] = {2, 1, 1, 2};
    CHECK_EQ(stats_majority(tie22b, 4, 3), 2);
}

static void
test_classify(void)
{
    /* reference rows A, B, tie; predicted columns A, B, tie, invalid:
     *   A:   5 1 0 1     support 7
     *   B:   2 6 0 0     support 8
     *   tie: 1 1 1 1     support 4        N = 19, correct = 12 -> accuracy 12/19
     * A:   P = 5/(5+2+1) = 5/8, R = 5/7, F1 = 2PR/(P+R) = (50/56)/(75/56) = 2/3
     * B:   P = 6/(1+6+1) = 3/4, R = 6/8 = 3/4, F1 = 3/4
     * tie: P = 1/1 = 1,  R = 1/4, F1 = 2*(1/4)/(5/4) = 2/5
     * (the invalid column adds no false positive anywhere)
     * macro P = (5/8 + 3/4 + 1)/3 = 19/24, macro R = (5/7 + 3/4 + 1/4)/3 = 4/7,
     * macro F1 = (2/3 + 3/4 + 2/5)/3 = 109/180 */
    double conf[12] = {5, 1, 0, 1, 2, 6, 0, 0, 1, 1, 1, 1};
    struct stats_cls m;
    stats_classify(conf, 3, 4, &m);
    CHECK_NEAR(m.n, 19, 1e-12);
    CHECK_NEAR(m.accuracy, 12.0 / 19.0, 1e-12);
    CHECK_NEAR(m.p[0], 5.0 / 8.0, 1e-12);
    CHECK_NEAR(m.r[0], 5.0 / 7.0, 1e-12);
    CHECK_NEAR(m.f1[0], 2.0 / 3.0, 1e-12);
    CHECK_NEAR(m.f1[2], 0.4, 1e-12);
    CHECK_NEAR(m.macro_p, 19.0 / 24.0, 1e-12);
    CHECK_NEAR(m.macro_r, 4.0 / 7.0, 1e-12);
    CHECK_NEAR(m.macro_f1, 109.0 / 180.0, 1e-12);
    CHECK_NEAR(m.support[2], 4, 1e-12);
    /* a class never predicted and never true (tie) is left out of the macro average,
     * as scikit-learn does: macro F1 = (1 + 1)/2 */
    double c2[9] = {2, 0, 0, 0, 2, 0, 0, 0, 0};
    stats_classify(c2, 3, 3, &m);
    CHECK_NEAR(m.accuracy, 1, 1e-12);
    CHECK_NEAR(m.macro_f1, 1, 1e-12);
    CHECK_NEAR(m.f1[2], 0, 1e-12);
    /* predicted but never true: included with P = 0, R = 0 (zero support).
     *   A: 1 0 1  (one A predicted as tie)    B: 0 2 0
     * A: P 1, R 1/2, F1 2/3; B: P 1, R 1, F1 1; tie: P 0, R 0, F1 0 -> macro F1 5/9 */
    double c4[9] = {1, 0, 1, 0, 2, 0, 0, 0, 0};
    stats_classify(c4, 3, 3, &m);
    CHECK_NEAR(m.macro_f1, 5.0 / 9.0, 1e-12);
    CHECK_NEAR(m.macro_p, 2.0 / 3.0, 1e-12);
    double c3[9] = {0};
    stats_classify(c3, 3, 3, &m);
    CHECK(isnan(m.accuracy));
}

static void
test_bt(void)
{
    /* Two players, i beats j 3 times and loses once: the MLE has p_i/p_j = 3, so the
     * rating gap is 400*log10(3) = 190.8485; centred on 1000 -> 1095.424, 904.576. */
    struct stats_battle b[] = {{0, 1, 1, 3}, {0, 1, 0, 1}};
    double r[3];
    CHECK(stats_bt(b, 2, 2, 0, 1000, r) > 0);
    CHECK_NEAR(r[0] - r[1], 400 * log10(3.0), 1e-6);
    CHECK_NEAR(r[0] + r[1], 2000, 1e-6);
    /* Ties are half wins and weights multiply: 0 beats 1 (w 1), a tie (w 1), and 1
     * beats 0 twice with weight 0.5: W_0 = 1 + 0.5 = 1.5, W_1 = 0.5 + 0.5 + 0.5 = 1.5
     * over 3 games each -> equal ratings. */
    struct stats_battle t[] = {{0, 1, 1, 1}, {1, 0, 0.5, 1}, {0, 1, 0, 0.5}, {1, 0, 1, 0.5}};
    CHECK(stats_bt(t, 4, 2, 0, 1000, r) > 0);
    CHECK_NEAR(r[0], r[1], 1e-6);
    /* Rock-paper-scissors, each 2-1: all equal. */
    struct stats_battle rps[] = {{0, 1, 1, 2}, {0, 1, 0, 1}, {1, 2, 1, 2},
                                 {1, 2, 0, 1}, {2, 0, 1, 2}, {2, 0, 0, 1}};
    CHECK(stats_bt(rps, 6, 3, 0, 1000, r) > 0);
    CHECK_NEAR(r[0], 1000, 1e-6);
    CHECK_NEAR(r[2], 1000, 1e-6);
    /* A chain with unequal counts: check the MLE score equations
     * W_i = sum_j n_ij p_i/(p_i+p_j) at the solution (p = 10^(r/400)). */
    struct stats_battle ch[] = {{0, 1, 1, 5}, {0, 1, 0, 2},   {1, 2, 1, 4}, {1, 2, 0, 3},
                                {0, 2, 1, 2}, {0, 2, 0.5, 1}, {2, 0, 1, 1}};
    CHECK(stats_bt(ch, 7, 3, 0, 1000, r) > 0);
    double W[3] = {0}, E[3] = {0}, p[3];
    for (int i = 0; i < 3; i++)
        p[i] = pow(10, r[i] / 400);
    for (int e = 0; e < 7; e++) {
        W[ch[e].i] += ch[e].weight * ch[e].score;
        W[ch[e].j] += ch[e].weight * (1 - ch[e].score);
        double pi = p[ch[e].i] / (p[ch[e].i] + p[ch[e].j]);
        E[ch[e].i] += ch[e].weight * pi;
        E[ch[e].j] += ch[e].weight * (1 - pi);
    }
    for (int i = 0; i < 3; i++)
        CHECK_NEAR(W[i], E[i], 1e-6);
    CHECK(r[0] > r[1] && r[1] > r[2]);
    /* A player that never wins: the plain MLE diverges, the prior keeps it finite and
     * still below the other. */
    struct stats_battle lose[] = {{0, 1, 1, 3}};
    CHECK_EQ(stats_bt(lose, 1, 2, 0, 1000, r), -1); /* the MLE does not exist */
    CHECK(stats_bt(lose, 1, 2, 0.01, 1000, r) > 0);
    CHECK(isfinite(r[1]) && r[1] < r[0]);
    /* a player in no battle has no rating */
    double r3[3];
    stats_bt(b, 2, 3, 0, 1000, r3);
    CHECK(isnan(r3[2]));
}

static void
test_elo(void)
{
    /* k = 4, both at 1000: E = 0.5, winner +2 -> 1002 / 998.  Then 1 beats 0:
     * E_1 = 1/(1+10^((1002-998)/400)) = 1/(1+10^0.01) = 0.4942441;
     * R_1 = 998 + 4*(1-0.4942441) = 1000.0230236, R_0 = 999.9769764. */
    struct stats_battle b[] = {{0, 1, 1, 1}, {1, 0, 1, 1}};
    double r[2];
    stats_elo(b, 2, 2, 4, 1000, r);
    CHECK_NEAR(r[1], 998 + 4 * (1 - 1 / (1 + pow(10, 0.01))), 1e-9);
    CHECK_NEAR(r[0] + r[1], 2000, 1e-9);
    /* weight 2 = the same battle twice */
    struct stats_battle w2[] = {{0, 1, 1, 2}};
    struct stats_battle twice[] = {{0, 1, 1, 1}, {0, 1, 1, 1}};
    double ra[2], rb[2];
    stats_elo(w2, 1, 2, 4, 1000, ra);
    stats_elo(twice, 2, 2, 4, 1000, rb);
    CHECK_NEAR(ra[0], rb[0], 1e-12);
    /* a tie between equals changes nothing */
    struct stats_battle tie[] = {{0, 1, 0.5, 1}};
    stats_elo(tie, 1, 2, 4, 1000, r);
    CHECK_NEAR(r[0], 1000, 1e-12);
}

/* stats_sample_mask: exactly min(want, n) positions, the same mask for the same
 * seed, min(want, n) draws consumed, and each position chosen want/n of the time. */
static void
test_sample_mask(void)
{
    enum { N = 20, WANT = 5, ROUNDS = 20000 };
    int hits[N] = {0};
    for (int round = 0; round < ROUNDS; round++) {
        struct stats_rng r, r2, r3;
        stats_rng_seed(&r, (uint64_t)round);
        unsigned char *m = stats_sample_mask(&r, N, WANT);
        int k = 0;
        for (int i = 0; i < N; i++) {
            k += m[i];
            hits[i] += m[i];
        }
        CHECK(k == WANT);
        stats_rng_seed(&r2, (uint64_t)round);
        unsigned char *again = stats_sample_mask(&r2, N, WANT);
        CHECK(memcmp(m, again, N) == 0);
        /* the stream moved on by exactly WANT draws */
        stats_rng_seed(&r3, (uint64_t)round);
        for (int i = 0; i < WANT; i++)
            stats_rng_below(&r3, (uint64_t)(N - i));
        CHECK(stats_rng_next(&r) == stats_rng_next(&r3));
        free(m);
        free(again);
    }
    for (int i = 0; i < N; i++) /* expected 5000, sd ~61 */
        CHECK(abs(hits[i] - ROUNDS * WANT / N) < 400);
    struct stats_rng r;
    stats_rng_seed(&r, 7);
    unsigned char *all = stats_sample_mask(&r, 6, 99);
    int k = 0;
    for (int i = 0; i < 6; i++)
        k += all[i];
    CHECK(k == 6 && all[6] == 0);
    free(all);
}

int
main(void)
{
    test_classes();
    test_sample_mask();
    test_rng();
    test_rng_counts();
    test_quantiles();
    test_cohen();
    test_fleiss_alpha();
    test_majority();
    test_classify();
    test_bt();
    test_elo();
    return test_summary();
}
