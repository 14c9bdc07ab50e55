/* Per-principle metrics, filter and rank (see constitution.h). */
#include "core/constitution.h"

#include <math.h>
#include <stdlib.h>

#include "core/features.h"
#include "core/stats.h"
#include "core/xalloc.h"

void
icai_count(struct icai_counts *c, int vote, int label)
{
    if (label != 0 && label != 1)
        return;
    switch (vote) {
    case ICAI_VOTE_A: *(label == 0 ? &c->n_for : &c->n_against) += 1; break;
    case ICAI_VOTE_B: *(label == 1 ? &c->n_for : &c->n_against) += 1; break;
    case ICAI_VOTE_BOTH: c->n_both++; break;
    case ICAI_VOTE_NEITHER: c->n_neither++; break;
    default: c->n_invalid++; break;
    }
}

void
icai_metrics(const struct icai_counts *c, struct icai_metrics *m)
{
    double dec = c->n_for + c->n_against;
    m->total = dec + c->n_both + c->n_neither + c->n_invalid;
    m->relevance = m->total > 0 ? dec / m->total : 0;
    m->relevance_for = m->total > 0 ? c->n_for / m->total : 0;
    m->accuracy = dec > 0 ? c->n_for / dec : 0.5;
    m->kappa = 2 * (m->accuracy - 0.5);
    m->strength = m->kappa * m->relevance;
    m->for_minus_against = c->n_for - c->n_against;
    m->invalid_frac = m->total > 0 ? c->n_invalid / m->total : 0;
}

void
icai_filter_defaults(struct icai_filter *f)
{
    f->require_more_for = 1;
    f->min_relevance = 0.1;
    f->relevance_for_only = 0;
    f->max_invalid = 0.5;
    f->top = 5;
}

const char *
icai_filter_reason(const struct icai_filter *f, const struct icai_counts *c)
{
    struct icai_metrics m;
    icai_metrics(c, &m);
    if (m.total <= 0)
        return "no votes";
    if (f->require_more_for && !(c->n_for > c->n_against))
        return "for <= against";
    if ((f->relevance_for_only ? m.relevance_for : m.relevance) < f->min_relevance)
        return "relevance below the minimum";
    if (m.invalid_frac > f->max_invalid)
        return "mostly invalid";
    return NULL;
}

struct rank_key {
    double fma, strength;
    int i;
};

static int
rank_cmp(const void *x, const void *y)
{
    const struct rank_key *a = x, *b = y;
    if (a->fma != b->fma)
        return a->fma > b->fma ? -1 : 1;
    if (a->strength != b->strength)
        return a->strength > b->strength ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

int
icai_rank(const struct icai_counts *c, int n, const struct icai_filter *f, int *rank)
{
    struct rank_key *k = xmalloc(((size_t)n + 1) * sizeof *k);
    int nk = 0;
    for (int i = 0; i < n; i++) {
        rank[i] = 0;
        if (icai_filter_reason(f, &c[i]))
            continue;
        struct icai_metrics m;
        icai_metrics(&c[i], &m);
        k[nk++] = (struct rank_key){m.for_minus_against, m.strength, i};
    }
    qsort(k, (size_t)nk, sizeof *k, rank_cmp);
    if (f->top > 0 && nk > f->top)
        nk = f->top;
    for (int r = 0; r < nk; r++)
        rank[k[r].i] = r + 1;
    free(k);
    return nk;
}

/* Smallest k with P(Binomial(n, p) <= k) >= q, summing the pmf in log space. */
static size_t
binom_quantile(size_t n, double p, double q)
{
    if (p <= 0)
        return 0;
    if (p >= 1)
        return n;
    double lp = log(p), lq = log1p(-p), cdf = 0;
    for (size_t k = 0; k <= n; k++) {
        double lpmf = lgamma((double)n + 1) - lgamma((double)k + 1) - lgamma((double)(n - k) + 1) +
                      (double)k * lp + (double)(n - k) * lq;
        cdf += exp(lpmf);
        if (cdf >= q - 1e-12)
            return k;
    }
    return n;
}

void
icai_agreement_ci(const unsigned char *correct, size_t n, uint64_t seed, int reps, double level,
                  double *mean, double *lo, double *hi)
{
    *mean = *lo = *hi = NAN;
    if (n == 0)
        return;
    size_t ok = 0;
    for (size_t i = 0; i < n; i++)
        ok += correct[i] != 0;
    *mean = (double)ok / (double)n;
    if (reps == 0)
        return;
    if (reps < 0) {
        /* The bootstrap distribution of a mean of 0/1 values is Binomial(n, mean)/n
         * exactly: its quantiles are the interval of infinitely many resamples. */
        *lo = (double)binom_quantile(n, *mean, (1 - level) / 2) / (double)n;
        *hi = (double)binom_quantile(n, *mean, (1 + level) / 2) / (double)n;
        return;
    }
    double *v = xmalloc((size_t)reps * sizeof *v);
    struct stats_rng rng;
    stats_rng_seed(&rng, seed);
    for (int r = 0; r < reps; r++) {
        size_t s = 0;
        for (size_t i = 0; i < n; i++)
            s += correct[stats_rng_below(&rng, n)] != 0;
        v[r] = (double)s / (double)n;
    }
    stats_percentile_ci(v, (size_t)reps, level, lo, hi);
    free(v);
}
