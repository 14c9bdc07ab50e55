/* Bradley-Terry and Elo leaderboards with bootstrap intervals (see stats_rank.h). */
#include "core/stats_rank.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>
#endif

void
stats_rank_opts_init(struct stats_rank_opts *o)
{
    memset(o, 0, sizeof *o);
    o->bootstrap = 1000;
    o->seed = 1;
    o->level = 0.95;
    o->prior = 0.01;
    o->center = 1000;
    o->anchor = -1;
    o->anchor_rating = 1000;
    o->elo_k = 4;
    o->elo_init = 1000;
}

/* Resamples rated together in one pass over the items: online Elo is a chain of
 * dependent updates, and interleaving independent resamples lets the CPU overlap
 * their chains (several times the throughput of one resample at a time). */
#define RANK_BATCH 8

/* The battles grouped by item (in dataset order within an item), so that a resample
 * given as per-item multiplicities is rated without materialising its rows: a
 * resample may draw an item with many judgments many times, and its row count is
 * unbounded by the table's. */
struct rank_ctx {
    const struct stats_table *t;
    const struct stats_rank_opts *o;
    int NM, NI;
    struct stats_battle *bat; /* [n_bat] (model_lo, model_hi, score of lo, weight) */
    int *pair;                /* [n_bat] i*NM+j of the battle's pair, i < j */
    double *s_pair;           /* [n_bat] score of the pair's lower model index */
    int *bfirst;              /* [NI+1] item it's battles: bat[bfirst[it] .. bfirst[it+1]) */
    double *wins, *games;     /* [RANK_BATCH][NM*NM] scratch per resample */
    struct stats_battle *agg; /* [NM*NM] aggregated per pair (i<j) */
};

static double
row_score_lo(const struct stats_jrow *r)
{
    if (!isnan(r->p_lo))
        return r->p_lo;
    return r->cls == STATS_A ? 1 : r->cls == STATS_B ? 0 : 0.5;
}

/* BT ratings br[NM] of one resample from its wins and games per pair (i*NM+j, i < j),
 * agg[NM*NM] being scratch; not yet anchored (rate_tail).  Returns the BT iterations. */
static int
rate_bt(const struct rank_ctx *c, struct stats_battle *agg, const double *wins, const double *games,
        double *br)
{
    int NM = c->NM;
    size_t na = 0;
    for (int i = 0; i < NM; i++)
        for (int j = i + 1; j < NM; j++) {
            size_t p = (size_t)i * (size_t)NM + (size_t)j;
            if (games[p] > 0)
                agg[na++] = (struct stats_battle){i, j, wins[p] / games[p], games[p]};
        }
    return stats_bt(agg, na, NM, c->o->prior, c->o->center, br);
}

/* After rate_bt: Elo er[NM] of players absent from the resample becomes NaN, and the
 * BT ratings are moved to the anchor's scale. */
static void
rate_tail(const struct rank_ctx *c, double *br, double *er)
{
    int NM = c->NM;
    for (int m = 0; m < NM; m++)
        if (isnan(br[m]))
            er[m] = NAN;
    int anchor = c->o->anchor;
    if (anchor >= 0 && anchor < NM) {
        /* a resample without the anchor has no rating on the anchored scale */
        double shift = isnan(br[anchor]) ? NAN : c->o->anchor_rating - br[anchor];
        for (int m = 0; m < NM; m++)
            br[m] += shift;
    }
}

static int
rate_finish(struct rank_ctx *c, const double *wins, const double *games, double *br, double *er)
{
    int its = rate_bt(c, c->agg, wins, games, br);
    rate_tail(c, br, er);
    return its;
}

/* BT and Elo ratings of nr <= RANK_BATCH resamples at once: resample r draws item it
 * mult[r*NI + it] times; bt and elo are [nr][NM].  Online Elo visits the items in
 * dataset order, each as many times as drawn, so in a resample it is the same
 * estimator as on the full data.  Returns the BT iterations of the last resample. */
static int
rate(struct rank_ctx *c, const int *mult, int nr, double *bt, double *elo)
{
    int NM = c->NM, NI = c->NI;
    size_t nn = (size_t)NM * (size_t)NM;
    const double k_elo = c->o->elo_k;
    /* the BT likelihood depends only on wins and games per pair: aggregate first */
    memset(c->wins, 0, (size_t)nr * nn * sizeof *c->wins);
    memset(c->games, 0, (size_t)nr * nn * sizeof *c->games);
    for (int i = 0; i < nr * NM; i++)
        elo[i] = c->o->elo_init;
    for (int it = 0; it < NI; it++) {
        int k0 = c->bfirst[it], k1 = c->bfirst[it + 1];
        for (int r = 0; r < nr; r++) {
            int times = mult[(size_t)r * (size_t)NI + (size_t)it];
            if (times <= 0)
                continue;
            double *wins = c->wins + (size_t)r * nn, *games = c->games + (size_t)r * nn;
            double *er = elo + (size_t)r * (size_t)NM;
            for (int k = k0; k < k1; k++) {
                double w = (double)times * c->bat[k].weight;
                wins[c->pair[k]] += w * c->s_pair[k];
                games[c->pair[k]] += w;
            }
            for (int x = 0; x < times; x++)
                for (int k = k0; k < k1; k++) {
                    const struct stats_battle *b = &c->bat[k];
                    if (b->weight == 1)
                        stats_elo_step(er, b->i, b->j, b->score, k_elo);
                    else
                        stats_elo_update(er, b, k_elo);
                }
        }
    }
    int its = 0;
    for (int r = 0; r < nr; r++)
        its = rate_finish(c, c->wins + (size_t)r * nn, c->games + (size_t)r * nn,
                          bt + (size_t)r * (size_t)NM, elo + (size_t)r * (size_t)NM);
    return its;
}

/* ---- the bootstrap kernel ----
 *
 * A resample of 300k battles is 300k dependent Elo updates, so 1,000 resamples are
 * 3e8 of them.  Profiled (perf, 200 resamples of 300k battles) the old per-item loop
 * spent its time in mispredicted branches on the random multiplicities (70% of the
 * loop) and in libm's exp (a third of the rest).  Here each resample's items are first
 * expanded, branch-free for the common item of one battle, into a stream of Elo steps
 * in dataset order, each item repeated as many times as it was drawn; the streams of
 * RANK_BATCH resamples are then replayed in lockstep, so that every update is
 * independent of the RANK_BATCH - 1 before it, with an inline exp.  BT needs only the
 * wins and games per pair: items with the same battles form a class, and a resample's
 * pair sums come from its class counts. */

/* One Elo update of weight 1 (a weighted battle is several: see stats_elo_update). */
struct rank_step {
    int i, j;
    double s, k;
};

/* The draws of RANK_BATCH resamples and their step streams: one is rated while the
 * next is drawn. */
struct rank_batch {
    int nr;    /* resamples in it */
    int ok;    /* 0: a count did not fit 16 bits, rate mult instead */
    int *mult; /* [RANK_BATCH][NI], allocated when !ok */
    int *stream[RANK_BATCH];
    size_t cap[RANK_BATCH], len[RANK_BATCH];
    int *count; /* [RANK_BATCH][n_cls] */
    double *bt; /* [RANK_BATCH][NM] the resamples' BT ratings, before anchoring */
};

struct rank_boot {
    struct rank_step *step; /* the steps of every item, item by item */
    int *sfirst;            /* [NI+1] item it's steps: step[sfirst[it] .. sfirst[it+1]) */
    int *cls;               /* [NI] the item's class: items with identical battles */
    int *rep;               /* [n_cls] an item of each class */
    int n_cls;
    int simple;        /* every item has at most one step */
    uint64_t tab[256]; /* rank_exp's table */
    struct stats_rng rng;
    uint16_t *m16; /* [NI] the draws of the resample being drawn (then expanded) */
    struct rank_batch set[2];
    double *wins, *games;     /* [NM*NM] the drawing thread's scratch for boot_bt */
    struct stats_battle *agg; /* [NM*NM] */
};

/* exp(x) to about 1 ulp, inline and short (the Elo chain waits on it): x =
 * (256n + j) ln2/256 + r with |r| <= ln2/512, so exp(x) = 2^n 2^(j/256) exp(r), with
 * exp(r) - 1 by its Taylor polynomial of degree 4 (the next term is below 4e-17
 * relative) evaluated in two halves.  n and j come from the bits of x*256/ln2 rounded
 * by adding 1.5*2^52; tab[j] holds the bits of 2^(j/256) less j << 44, so adding that
 * rounded value's bits shifted by 44 adds n to the exponent.  |x| is clamped to 700,
 * where 1/(1 + exp(x)) is 0 or 1 to double precision anyway. */
static inline double
rank_exp(const uint64_t *tab, double x)
{
    /* ln2/256 split so that n * hi is exact for |n| < 2^20 */
    const double hi = 6.93147180369123816490e-01 / 256, lo = 1.90821492927058770002e-10 / 256;
    const double shift = 0x1.8p52;
    x = x < -700 ? -700 : x > 700 ? 700 : x;
    double kd = x * (256 / M_LN2) + shift;
    uint64_t ki;
    memcpy(&ki, &kd, sizeof ki);
    kd -= shift;
    double r = (x - kd * hi) - kd * lo, r2 = r * r;
    double p = (r + r2 * 0.5) + r2 * (r * (1.0 / 6) + r2 * (1.0 / 24));
    uint64_t sbits = tab[ki & 255] + (ki << 44);
    double sc;
    memcpy(&sc, &sbits, sizeof sc);
    return sc + sc * p;
}

static inline void
rank_step_apply(double *rating, const struct rank_step *st, const uint64_t *tab)
{
    double ri = rating[st->i], rj = rating[st->j];
    double e = 1 / (1 + rank_exp(tab, (rj - ri) * (M_LN10 / 400)));
    rating[st->i] = ri + st->k * (st->s - e);
    rating[st->j] = rj - st->k * (st->s - e);
}

#if defined(__GNUC__) && RANK_BATCH == 8
/* RANK_BATCH lanes of rank_step_apply at once, the arithmetic in vectors (GCC/clang
 * vector extensions, so SSE2 everywhere and AVX2/AVX-512 where the CPU has them, the
 * same operations in the same order as the scalar code, so the same bits; no FMA
 * contraction under -std=c11): the loads
 * and stores stay per lane, but exp and the division are done for eight lanes in the
 * instructions of one.  Profiled, the scalar loop was bound by its instruction count
 * (8 lanes in flight gave the same time as 16). */
typedef double rank_vd __attribute__((vector_size(RANK_BATCH * sizeof(double))));
typedef uint64_t rank_vu __attribute__((vector_size(RANK_BATCH * sizeof(uint64_t))));

/* The lockstep loop as a macro that defines the function NAME with attributes ATTR;
 * TABLE(ki) gives the bits of tab[ki[r] & 255] for the eight lanes (a gather
 * instruction where AVX-512 has one: intrinsics cannot be inlined into a function
 * compiled for another target, so the loop is not an inline function shared by the
 * three). */
#define RANK_LOCKSTEP_DEFINE(NAME, ATTR, TABLE) \
    ATTR static void NAME(const struct rank_step *step, int *const *stream, size_t n, double *elo, \
                          size_t NM, const uint64_t *tab) \
    { \
        const double hi = 6.93147180369123816490e-01 / 256, lo = 1.90821492927058770002e-10 / 256; \
        const rank_vd zero = {0}, shift = zero + 0x1.8p52, lim = zero + 700; \
        for (size_t t = 0; t < n; t++) { \
            const struct rank_step *st[RANK_BATCH]; \
            double *pi[RANK_BATCH], *pj[RANK_BATCH]; \
            for (int r = 0; r < RANK_BATCH; r++) { \
                st[r] = &step[stream[r][t]]; \
                pi[r] = elo + (size_t)r * NM + (size_t)st[r]->i; \
                pj[r] = elo + (size_t)r * NM + (size_t)st[r]->j; \
            } \
            rank_vd ri = RANK_V(RANK_RI), rj = RANK_V(RANK_RJ), s = RANK_V(RANK_S), \
                    k = RANK_V(RANK_K); \
            rank_vd x = (rj - ri) * (M_LN10 / 400); \
            rank_vu below = (rank_vu)(x < -lim), above = (rank_vu)(x > lim); \
            x = (rank_vd)(((rank_vu)x & ~(below | above)) | (below & (rank_vu)-lim) | \
                          (above & (rank_vu)lim)); \
            rank_vd kd = x * (256 / M_LN2) + shift; \
            rank_vu ki = (rank_vu)kd; \
            kd -= shift; \
            rank_vd r1 = (x - kd * hi) - kd * lo, r2 = r1 * r1; \
            rank_vd p = (r1 + r2 * 0.5) + r2 * (r1 * (1.0 / 6) + r2 * (1.0 / 24)); \
            rank_vu sb = TABLE(ki); \
            rank_vd sc = (rank_vd)(sb + (ki << 44)); \
            rank_vd e = 1 / (1 + (sc + sc * p)); \
            rank_vd d = k * (s - e); \
            rank_vd ni = ri + d, nj = rj - d; \
            for (int r = 0; r < RANK_BATCH; r++) { \
                *pi[r] = ni[r]; \
                *pj[r] = nj[r]; \
            } \
        } \
    }
/* vectors built from scalars in registers: eight stores to memory read back as one
 * vector stall the load (no store forwarding), which perf showed */
#define RANK_V(e) \
    { \
        e(0), e(1), e(2), e(3), e(4), e(5), e(6), e(7) \
    }
#define RANK_RI(r) *pi[r]
#define RANK_RJ(r) *pj[r]
#define RANK_S(r) st[r]->s
#define RANK_K(r) st[r]->k
#define RANK_TAB(r) tab[ki[r] & 255]
#define RANK_TABLE_SCALAR(ki) RANK_V(RANK_TAB)

RANK_LOCKSTEP_DEFINE(boot_lockstep_generic, , RANK_TABLE_SCALAR)

/* The loop compiled for the vector units the CPU has, chosen per call (plain calls,
 * not an ifunc: a resolver runs before the sanitizers' runtimes are up). */
#if defined(__x86_64__) && !defined(__clang__)
/* the table lookup as one gather instruction: 4% of the loop's time (1,000 resamples
 * of 300k battles).  Gathering the ratings too was slower (1.24 -> 1.9 s: a gather
 * does not take its data from the stores of the update before), and so were
 * scattering the new ratings and a constant k vector for weight-1 battles (no gain). */
#define RANK_TABLE_GATHER(ki) \
    (rank_vu) _mm512_i64gather_epi64((__m512i)((ki)&255), (const void *)tab, 8)
#define RANK_AVX512 __attribute__((target("avx512f")))
#define RANK_AVX2 __attribute__((target("avx2")))
RANK_LOCKSTEP_DEFINE(boot_lockstep_avx512, RANK_AVX512, RANK_TABLE_GATHER)
RANK_LOCKSTEP_DEFINE(boot_lockstep_avx2, RANK_AVX2, RANK_TABLE_SCALAR)
#undef RANK_TABLE_GATHER
#undef RANK_AVX512
#undef RANK_AVX2
#endif
#undef RANK_V
#undef RANK_RI
#undef RANK_RJ
#undef RANK_S
#undef RANK_K
#undef RANK_TAB
#undef RANK_TABLE_SCALAR
#undef RANK_LOCKSTEP_DEFINE

static void
boot_lockstep(const struct rank_step *step, int *const *stream, size_t n, double *elo, size_t NM,
              const uint64_t *tab)
{
#if defined(__x86_64__) && !defined(__clang__)
    if (__builtin_cpu_supports("avx512f")) {
        boot_lockstep_avx512(step, stream, n, elo, NM, tab);
        return;
    }
    if (__builtin_cpu_supports("avx2")) {
        boot_lockstep_avx2(step, stream, n, elo, NM, tab);
        return;
    }
#endif
    boot_lockstep_generic(step, stream, n, elo, NM, tab);
}
#else
static void
boot_lockstep(const struct rank_step *step, int *const *stream, size_t n, double *elo, size_t NM,
              const uint64_t *tab)
{
    for (size_t t = 0; t < n; t++)
        for (int r = 0; r < RANK_BATCH; r++)
            rank_step_apply(elo + (size_t)r * NM, &step[stream[r][t]], tab);
}
#endif

/* Elo steps of the battles; 0 if a weight would make them more than `limit` (the
 * per-item path in rate() handles any weight in constant memory). */
static int
boot_steps(struct rank_ctx *c, struct rank_boot *bt, size_t limit)
{
    size_t n = 0, cap = 0;
    bt->sfirst = xcalloc((size_t)c->NI + 1, sizeof *bt->sfirst);
    for (int it = 0; it < c->NI; it++) {
        bt->sfirst[it] = (int)n;
        for (int k = c->bfirst[it]; k < c->bfirst[it + 1]; k++) {
            const struct stats_battle *b = &c->bat[k];
            /* the weight rule of stats_elo_update, step by step */
            double w = b->weight, ks[2];
            size_t reps = 0;
            int tail = 0;
            if (w == 1) {
                reps = 1;
            } else {
                for (; w >= 1 && reps <= limit; w -= 1)
                    reps++;
                if (w > 1e-12)
                    ks[1] = c->o->elo_k * w, tail = 1;
            }
            ks[0] = c->o->elo_k;
            if (n + reps + (size_t)tail > limit)
                return 0;
            if (n + reps + 1 > cap) {
                cap = (n + reps + 1) * 2;
                bt->step = xrealloc(bt->step, cap * sizeof *bt->step);
            }
            for (size_t x = 0; x < reps; x++)
                bt->step[n++] = (struct rank_step){b->i, b->j, b->score, ks[0]};
            if (tail)
                bt->step[n++] = (struct rank_step){b->i, b->j, b->score, ks[1]};
        }
    }
    bt->sfirst[c->NI] = (int)n;
    return 1;
}

static uint64_t
boot_hash_item(const struct rank_ctx *c, int it)
{
    uint64_t h = 1469598103934665603ULL;
    for (int k = c->bfirst[it]; k < c->bfirst[it + 1]; k++) {
        uint64_t v[3];
        memcpy(&v[0], &c->s_pair[k], 8);
        memcpy(&v[1], &c->bat[k].weight, 8);
        v[2] = (uint64_t)c->pair[k];
        for (int x = 0; x < 3; x++)
            h = (h ^ v[x]) * 1099511628211ULL;
    }
    return h ^ (h >> 29);
}

static int
boot_same_item(const struct rank_ctx *c, int a, int b)
{
    int n = c->bfirst[a + 1] - c->bfirst[a];
    if (n != c->bfirst[b + 1] - c->bfirst[b])
        return 0;
    for (int x = 0; x < n; x++) {
        int ka = c->bfirst[a] + x, kb = c->bfirst[b] + x;
        if (c->pair[ka] != c->pair[kb] || c->s_pair[ka] != c->s_pair[kb] ||
            c->bat[ka].weight != c->bat[kb].weight)
            return 0;
    }
    return 1;
}

/* Classes of items whose battles add the same wins and games per pair. */
static void
boot_classes(struct rank_ctx *c, struct rank_boot *bt)
{
    size_t hcap = 64;
    while (hcap < (size_t)c->NI * 2)
        hcap *= 2;
    int *slot = xmalloc(hcap * sizeof *slot);
    memset(slot, -1, hcap * sizeof *slot);
    bt->cls = xcalloc((size_t)c->NI + 1, sizeof *bt->cls);
    bt->rep = xcalloc((size_t)c->NI + 1, sizeof *bt->rep);
    for (int it = 0; it < c->NI; it++) {
        size_t h = (size_t)boot_hash_item(c, it) & (hcap - 1);
        while (slot[h] >= 0 && !boot_same_item(c, bt->rep[slot[h]], it))
            h = (h + 1) & (hcap - 1);
        if (slot[h] < 0) {
            slot[h] = bt->n_cls;
            bt->rep[bt->n_cls++] = it;
        }
        bt->cls[it] = slot[h];
    }
    free(slot);
}

/* Resample r's step stream (items in order, each repeated as many times as drawn in
 * bt->m16) and class counts into set `b`. */
static void
boot_expand(const struct rank_ctx *c, const struct rank_boot *bt, struct rank_batch *b, int r)
{
    const uint16_t *mult = bt->m16;
    int *cnt = b->count + (size_t)r * (size_t)bt->n_cls;
    memset(cnt, 0, (size_t)bt->n_cls * sizeof *cnt);
    const int *sf = bt->sfirst, *cls = bt->cls;
    size_t p = 0, cap = b->cap[r];
    int *out = b->stream[r];
    if (bt->simple) {
        /* the stream holds at most NI steps (the draws); an item drawn 0-3 times (98%
         * of them) is written without a branch on its count, the extra copies being
         * overwritten by the next item */
        for (int it = 0; it < c->NI; it++) {
            int times = mult[it], s0 = sf[it];
            cnt[cls[it]] += times;
            out[p] = out[p + 1] = out[p + 2] = s0;
            for (int x = 3; x < times; x++)
                out[p + (size_t)x] = s0;
            p += (size_t)(times * (sf[it + 1] - s0));
        }
        b->len[r] = p;
        return;
    }
    for (int it = 0; it < c->NI; it++) {
        int times = mult[it], s0 = sf[it], ns = sf[it + 1] - s0;
        cnt[cls[it]] += times;
        if (p + (size_t)times * (size_t)ns > cap) {
            cap = (p + (size_t)times * (size_t)ns) * 2;
            out = b->stream[r] = xrealloc(out, cap * sizeof *out);
            b->cap[r] = cap;
        }
        for (int x = 0; x < times; x++)
            for (int k = 0; k < ns; k++)
                out[p++] = s0 + k;
    }
    b->len[r] = p;
}

/* The BT fit of resample r of set b from its class counts, into b->bt (on the drawing
 * thread, whose scratch is bt->wins, bt->games and bt->agg: it is independent of the
 * Elo replay, and the rating thread has the longer share of the work). */
static void
boot_bt(const struct rank_ctx *c, struct rank_boot *bt, struct rank_batch *b, int r)
{
    size_t nn = (size_t)c->NM * (size_t)c->NM;
    memset(bt->wins, 0, nn * sizeof *bt->wins);
    memset(bt->games, 0, nn * sizeof *bt->games);
    const int *cnt = b->count + (size_t)r * (size_t)bt->n_cls;
    for (int q = 0; q < bt->n_cls; q++) {
        if (cnt[q] == 0)
            continue;
        int it = bt->rep[q];
        for (int k = c->bfirst[it]; k < c->bfirst[it + 1]; k++) {
            double w = (double)cnt[q] * c->bat[k].weight;
            bt->wins[c->pair[k]] += w * c->s_pair[k];
            bt->games[c->pair[k]] += w;
        }
    }
    rate_bt(c, bt->agg, bt->wins, bt->games, b->bt + (size_t)r * (size_t)c->NM);
}

/* Draw the next nr resamples into set b (the draws of stats_rng_counts, in order). */
static void
boot_draw(const struct rank_ctx *c, struct rank_boot *bt, struct rank_batch *b, int nr)
{
    size_t NI = (size_t)c->NI;
    struct stats_rng before = bt->rng;
    b->nr = nr;
    b->ok = 1;
    /* each resample's counts are zeroed, drawn and expanded in turn, so that its
     * 2*NI bytes stay in the core's L2 cache for all three (zeroing the whole set
     * first left the first counts in L3 by the time they were drawn: perf showed the
     * draws waiting on the increments' loads) */
    for (int r = 0; r < nr && b->ok; r++) {
        uint16_t *m = bt->m16;
        memset(m, 0, NI * sizeof *m);
        b->ok &= stats_rng_counts16(&bt->rng, NI, m);
        if (b->ok) {
            boot_expand(c, bt, b, r);
            boot_bt(c, bt, b, r);
        }
    }
    if (b->ok)
        return;
    /* an item drawn 65536 times: the same draws in int counts */
    bt->rng = before;
    if (!b->mult)
        b->mult = xmalloc((size_t)RANK_BATCH * NI * sizeof *b->mult + 1);
    memset(b->mult, 0, (size_t)nr * NI * sizeof *b->mult);
    for (int r = 0; r < nr; r++)
        stats_rng_counts(&bt->rng, NI, NULL, b->mult + (size_t)r * NI);
}

/* BT and Elo ratings of set b's resamples ([nr][NM] each), as rate() computes them but
 * for the Elo exp: rank_exp for libm's, within an ulp or so. */
static void
boot_rate(struct rank_ctx *c, const struct rank_boot *bt, const struct rank_batch *b, double *brt,
          double *elo)
{
    int NM = c->NM, nr = b->nr;
    if (!b->ok) {
        rate(c, b->mult, nr, brt, elo);
        return;
    }
    size_t lmin = SIZE_MAX;
    for (int r = 0; r < nr; r++)
        lmin = b->len[r] < lmin ? b->len[r] : lmin;
    for (int i = 0; i < nr * NM; i++)
        elo[i] = c->o->elo_init;
    if (nr == RANK_BATCH)
        boot_lockstep(bt->step, b->stream, lmin, elo, (size_t)NM, bt->tab);
    else
        lmin = 0;
    for (int r = 0; r < nr; r++)
        for (size_t t = lmin; t < b->len[r]; t++)
            rank_step_apply(elo + (size_t)r * (size_t)NM, &bt->step[b->stream[r][t]], bt->tab);
    /* the BT fits came with the draws (boot_bt) */
    memcpy(brt, b->bt, (size_t)nr * (size_t)NM * sizeof *brt);
    for (int r = 0; r < nr; r++)
        rate_tail(c, brt + (size_t)r * (size_t)NM, elo + (size_t)r * (size_t)NM);
}

static int
boot_init(struct rank_ctx *c, struct rank_boot *bt, uint64_t seed)
{
    memset(bt, 0, sizeof *bt);
    stats_rng_seed(&bt->rng, seed);
    /* the streams hold about RANK_BATCH times the steps: keep them near the battles */
    if (!boot_steps(c, bt, (size_t)c->bfirst[c->NI] * 4 + 4096))
        return 0;
    boot_classes(c, bt);
    bt->simple = 1;
    for (int it = 0; it < c->NI; it++)
        bt->simple &= bt->sfirst[it + 1] - bt->sfirst[it] <= 1;
    for (int s = 0; s < 2; s++) {
        struct rank_batch *b = &bt->set[s];
        b->count = xcalloc((size_t)RANK_BATCH * (size_t)bt->n_cls + 1, sizeof *b->count);
        b->bt = xcalloc((size_t)RANK_BATCH * (size_t)c->NM + 1, sizeof *b->bt);
        for (int r = 0; r < RANK_BATCH; r++) {
            b->cap[r] = (size_t)c->NI + 4;
            b->stream[r] = xmalloc(b->cap[r] * sizeof *b->stream[r]);
        }
    }
    size_t nn = (size_t)c->NM * (size_t)c->NM;
    bt->m16 = xcalloc((size_t)c->NI + 1, sizeof *bt->m16);
    bt->wins = xcalloc(nn + 1, sizeof *bt->wins);
    bt->games = xcalloc(nn + 1, sizeof *bt->games);
    bt->agg = xcalloc(nn + 1, sizeof *bt->agg);
    for (int j = 0; j < 256; j++) {
        double v = exp2(j / 256.0);
        memcpy(&bt->tab[j], &v, sizeof v);
        bt->tab[j] -= (uint64_t)j << 44;
    }
    return 1;
}

static void
boot_free(struct rank_boot *bt)
{
    free(bt->step);
    free(bt->sfirst);
    free(bt->cls);
    free(bt->rep);
    free(bt->m16);
    free(bt->wins);
    free(bt->games);
    free(bt->agg);
    for (int s = 0; s < 2; s++) {
        struct rank_batch *b = &bt->set[s];
        free(b->mult);
        free(b->count);
        free(b->bt);
        for (int r = 0; r < RANK_BATCH; r++)
            free(b->stream[r]);
    }
}

struct boot_job {
    const struct rank_ctx *c;
    struct rank_boot *bt;
    struct rank_batch *b;
    int nr;
};

static void *
boot_draw_main(void *arg)
{
    struct boot_job *j = arg;
    boot_draw(j->c, j->bt, j->b, j->nr);
    return NULL;
}

/* Rate B resamples, calling done(b0, nr, bt, elo) for each batch in order.  The next
 * batch is drawn and expanded on a second thread while one is rated (the draws stay
 * in stream order, so the results are those of one thread); without the thread it is
 * done in turn.  Returns 0 (nothing done) when the steps would not fit in memory. */
static int
boot_run(struct rank_ctx *c, int B, uint64_t seed, double *tb, double *te,
         void (*done)(void *arg, int b0, int nr, const double *bt, const double *elo), void *arg)
{
    struct rank_boot bt;
    if (!boot_init(c, &bt, seed)) {
        boot_free(&bt);
        return 0;
    }
    boot_draw(c, &bt, &bt.set[0], B < RANK_BATCH ? B : RANK_BATCH);
    for (int b0 = 0, s = 0; b0 < B; b0 += RANK_BATCH, s ^= 1) {
        int next = B - b0 - RANK_BATCH, threaded = 0;
        pthread_t th;
        struct boot_job job = {c, &bt, &bt.set[s ^ 1], next < RANK_BATCH ? next : RANK_BATCH};
        if (next > 0)
            threaded = pthread_create(&th, NULL, boot_draw_main, &job) == 0;
        boot_rate(c, &bt, &bt.set[s], tb, te);
        done(arg, b0, bt.set[s].nr, tb, te);
        if (threaded)
            pthread_join(th, NULL);
        else if (next > 0)
            boot_draw_main(&job);
    }
    boot_free(&bt);
    return 1;
}

/* The resamples' ratings, per model, and the range of ranks each model took. */
struct boot_sink {
    int NM, B;
    double *bbt, *belo; /* [NM][B] */
    int *rank_lo, *rank_hi;
};

static void
sink_done(void *arg, int b0, int nr, const double *tb, const double *te)
{
    struct boot_sink *k = arg;
    int NM = k->NM;
    for (int r = 0; r < nr; r++) {
        const double *br = tb + (size_t)r * (size_t)NM, *er = te + (size_t)r * (size_t)NM;
        size_t b = (size_t)(b0 + r), B = (size_t)k->B;
        for (int m = 0; m < NM; m++) {
            k->bbt[(size_t)m * B + b] = br[m];
            k->belo[(size_t)m * B + b] = er[m];
            if (isnan(br[m]))
                continue;
            int rank = 1;
            for (int x = 0; x < NM; x++)
                rank += !isnan(br[x]) && br[x] > br[m];
            if (rank < k->rank_lo[m])
                k->rank_lo[m] = rank;
            if (rank > k->rank_hi[m])
                k->rank_hi[m] = rank;
        }
    }
}

static int
cmp_entry(const void *a, const void *b)
{
    const struct stats_rank_entry *x = a, *y = b;
    double u = isnan(x->bt.v) ? -INFINITY : x->bt.v, v = isnan(y->bt.v) ? -INFINITY : y->bt.v;
    return (u < v) - (u > v);
}

void
stats_rank_compute(const struct stats_table *t, const struct stats_rank_opts *o,
                   struct stats_rank *out)
{
    memset(out, 0, sizeof *out);
    struct rank_ctx c = {.t = t, .o = o, .NM = t->n_models, .NI = t->n_items};
    int NM = c.NM, NI = c.NI;
    size_t nn = (size_t)NM * (size_t)NM;
    char *sel = xcalloc((size_t)t->n_annot + 1, 1);
    for (int a = 0; a < t->n_annot; a++)
        sel[a] = o->annots == NULL;
    for (int i = 0; i < o->n_annots && o->annots; i++)
        if (o->annots[i] >= 0 && o->annots[i] < t->n_annot)
            sel[o->annots[i]] = 1;
    double *battles = xcalloc((size_t)NM + 1, sizeof *battles);
    double *score = xcalloc((size_t)NM + 1, sizeof *score);
    char *use = xcalloc((size_t)t->n_rows + 1, 1);
    /* counting sort of the battle rows by item: bfirst[it+1] counts item it first */
    c.bfirst = xcalloc((size_t)NI + 2, sizeof *c.bfirst);
    int n_bat = 0;
    for (int i = 0; i < t->n_rows; i++) {
        const struct stats_jrow *r = &t->rows[i];
        use[i] = r->item >= 0 && r->item < NI && r->annot >= 0 && r->annot < t->n_annot &&
                 sel[r->annot] && r->cls != STATS_INVALID && r->model_lo >= 0 && r->model_lo < NM &&
                 r->model_hi >= 0 && r->model_hi < NM && r->model_lo != r->model_hi &&
                 r->weight > 0;
        if (!use[i])
            continue;
        double s = row_score_lo(r);
        battles[r->model_lo] += r->weight;
        battles[r->model_hi] += r->weight;
        score[r->model_lo] += r->weight * s;
        score[r->model_hi] += r->weight * (1 - s);
        out->n_battles += r->weight;
        c.bfirst[r->item + 1]++;
        n_bat++;
    }
    free(sel);
    for (int it = 0; it < NI; it++)
        c.bfirst[it + 1] += c.bfirst[it];
    c.bat = xcalloc((size_t)n_bat + 1, sizeof *c.bat);
    c.pair = xcalloc((size_t)n_bat + 1, sizeof *c.pair);
    c.s_pair = xcalloc((size_t)n_bat + 1, sizeof *c.s_pair);
    int *fill = xcalloc((size_t)NI + 1, sizeof *fill);
    for (int i = 0; i < t->n_rows; i++) {
        if (!use[i])
            continue;
        const struct stats_jrow *r = &t->rows[i];
        int k = c.bfirst[r->item] + fill[r->item]++;
        double s = row_score_lo(r);
        c.bat[k] = (struct stats_battle){r->model_lo, r->model_hi, s, r->weight};
        int lo = r->model_lo < r->model_hi ? r->model_lo : r->model_hi;
        int hi = r->model_lo < r->model_hi ? r->model_hi : r->model_lo;
        c.pair[k] = lo * NM + hi;
        c.s_pair[k] = lo == r->model_lo ? s : 1 - s;
    }
    free(fill);
    free(use);
    c.wins = xcalloc(RANK_BATCH * nn + 1, sizeof *c.wins);
    c.games = xcalloc(RANK_BATCH * nn + 1, sizeof *c.games);
    c.agg = xcalloc(nn + 1, sizeof *c.agg);
    int *mult = xcalloc((size_t)NI + 1, sizeof *mult);
    double *bt = xcalloc((size_t)NM + 1, sizeof *bt), *elo = xcalloc((size_t)NM + 1, sizeof *elo);
    for (int i = 0; i < NI; i++)
        mult[i] = 1;
    out->bt_iterations = rate(&c, mult, 1, bt, elo);
    free(mult);
    int B = o->bootstrap > 0 && NI > 0 ? o->bootstrap : 0;
    struct boot_sink sink = {NM,
                             B,
                             xcalloc((size_t)NM * (size_t)B + 1, sizeof *sink.bbt),
                             xcalloc((size_t)NM * (size_t)B + 1, sizeof *sink.belo),
                             xcalloc((size_t)NM + 1, sizeof *sink.rank_lo),
                             xcalloc((size_t)NM + 1, sizeof *sink.rank_hi)};
    int *rank_lo = sink.rank_lo, *rank_hi = sink.rank_hi;
    double *bbt = sink.bbt, *belo = sink.belo;
    for (int m = 0; m < NM; m++)
        rank_lo[m] = NM + 1;
    if (B) {
        double *tb = xcalloc((size_t)RANK_BATCH * (size_t)NM + 1, sizeof *tb);
        double *te = xcalloc((size_t)RANK_BATCH * (size_t)NM + 1, sizeof *te);
        if (!boot_run(&c, B, o->seed, tb, te, sink_done, &sink)) {
            /* weights too large to unroll into steps: rate the items as they are */
            struct stats_rng rng;
            stats_rng_seed(&rng, o->seed);
            mult = xcalloc((size_t)RANK_BATCH * (size_t)NI + 1, sizeof *mult);
            for (int b0 = 0; b0 < B; b0 += RANK_BATCH) {
                int nr = B - b0 < RANK_BATCH ? B - b0 : RANK_BATCH;
                /* resample b: NI draws of an item with replacement, in stream order */
                memset(mult, 0, (size_t)nr * (size_t)NI * sizeof *mult);
                for (int r = 0; r < nr; r++)
                    stats_rng_counts(&rng, (uint64_t)NI, NULL, mult + (size_t)r * (size_t)NI);
                rate(&c, mult, nr, tb, te);
                sink_done(&sink, b0, nr, tb, te);
            }
            free(mult);
        }
        free(tb);
        free(te);
    }
    out->e = xcalloc((size_t)NM + 1, sizeof *out->e);
    for (int m = 0; m < NM; m++) {
        if (battles[m] <= 0)
            continue;
        struct stats_rank_entry *e = &out->e[out->n++];
        e->model = m;
        e->battles = battles[m];
        e->score = score[m];
        e->bt = (struct stats_est){bt[m], NAN, NAN, STATS_WHY_NONE};
        e->elo = (struct stats_est){elo[m], NAN, NAN, STATS_WHY_NONE};
        e->rank_lo = B && rank_lo[m] <= NM ? rank_lo[m] : 0;
        e->rank_hi = B && rank_lo[m] <= NM ? rank_hi[m] : 0;
        if (B) {
            stats_percentile_ci(bbt + (size_t)m * (size_t)B, (size_t)B, o->level, &e->bt.lo,
                                &e->bt.hi);
            stats_percentile_ci(belo + (size_t)m * (size_t)B, (size_t)B, o->level, &e->elo.lo,
                                &e->elo.hi);
        }
    }
    qsort(out->e, (size_t)out->n, sizeof *out->e, cmp_entry);
    free(bbt);
    free(belo);
    free(rank_lo);
    free(rank_hi);
    free(bt);
    free(elo);
    free(battles);
    free(score);
    free(c.bat);
    free(c.pair);
    free(c.s_pair);
    free(c.bfirst);
    free(c.wins);
    free(c.games);
    free(c.agg);
}

void
stats_rank_free(struct stats_rank *r)
{
    free(r->e);
    memset(r, 0, sizeof *r);
}

void
stats_rank_json(const struct stats_rank *r, const struct stats_table *t,
                const struct stats_rank_opts *o, struct strbuf *sb)
{
    sb_printf(sb,
              "{\"battles\":%.10g,\"bootstrap\":%d,\"seed\":%llu,\"level\":%.10g,\"prior\":%.10g,"
              "\"bt_iterations\":%d,\"elo_k\":%.10g,\"anchor\":",
              r->n_battles, o->bootstrap, (unsigned long long)o->seed, o->level, o->prior,
              r->bt_iterations, o->elo_k);
    if (o->anchor >= 0 && o->anchor < t->n_models) {
        sb_puts(sb, "{\"model\":");
        sb_json_str(sb, t->models[o->anchor], strlen(t->models[o->anchor]));
        sb_printf(sb, ",\"rating\":%.10g}", o->anchor_rating);
    } else {
        sb_puts(sb, "null");
    }
    sb_puts(sb, ",\"models\":[");
    for (int i = 0; i < r->n; i++) {
        const struct stats_rank_entry *e = &r->e[i];
        sb_puts(sb, i ? ",\n {" : "\n {");
        sb_printf(sb, "\"rank\":%d,\"model\":", i + 1);
        const char *name = t->models[e->model];
        sb_json_str(sb, name, strlen(name));
        sb_printf(sb, ",\"battles\":%.10g,\"winrate\":", e->battles);
        stats_json_num(sb, e->battles > 0 ? e->score / e->battles : NAN);
        sb_putc(sb, ',');
        stats_json_est(sb, "bt", e->bt);
        sb_putc(sb, ',');
        stats_json_est(sb, "elo", e->elo);
        if (e->rank_lo > 0)
            sb_printf(sb, ",\"rank_range\":[%d,%d]", e->rank_lo, e->rank_hi);
        sb_putc(sb, '}');
    }
    sb_puts(sb, "]}\n");
}
