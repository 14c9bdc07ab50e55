/* Statistics primitives: see stats.h and docs/evaluation.md for the definitions. */
#include "core/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

static const char *const class_names[] = {"A", "B", "tie", "invalid"};

int
stats_class_parse(const char *v)
{
    if (!v)
        return -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(v, class_names[i]) == 0)
            return i;
    return -1;
}

const char *
stats_class_name(int cls)
{
    return cls >= 0 && cls < 4 ? class_names[cls] : "?";
}

/* ---- rng ---- */

static uint64_t
splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void
stats_rng_seed(struct stats_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static uint64_t
rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t
stats_rng_next(struct stats_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t
stats_rng_below(struct stats_rng *r, uint64_t n)
{
    /* Rejection keeps every residue equally likely. */
    uint64_t limit = UINT64_MAX - (UINT64_MAX % n);
    uint64_t x;
    do
        x = stats_rng_next(r);
    while (x >= limit);
    return x % n;
}

#ifdef __SIZEOF_INT128__
__extension__ typedef unsigned __int128 rng_u128;
#endif

/* One draw of stats_rng_below(r, n) given limit = UINT64_MAX - UINT64_MAX % n and
 * m = UINT64_MAX / n, computed once per resample. */
static inline uint64_t
rng_below_fast(struct stats_rng *r, uint64_t n, uint64_t limit, uint64_t m)
{
    uint64_t x;
    do
        x = stats_rng_next(r);
    while (x >= limit);
#ifdef __SIZEOF_INT128__
    /* x % n without a division: m*n > 2^64 - n, so q = floor(x*m / 2^64) >
     * floor(x/n - x/2^64) - 1 falls short of floor(x/n) by at most 1, which one
     * branch-free correction restores exactly (a loop here costs a mispredicted branch
     * on a large share of the draws) */
    uint64_t q = (uint64_t)(((rng_u128)x * m) >> 64), rem = x - q * n;
    return rem - (n & (0 - (uint64_t)(rem >= n)));
#else
    (void)m;
    return x % n;
#endif
}

void
stats_rng_counts(struct stats_rng *r, uint64_t n, const int *map, int *counts)
{
    if (n == 0)
        return;
    uint64_t limit = UINT64_MAX - (UINT64_MAX % n), m = UINT64_MAX / n;
    if (map)
        for (uint64_t k = 0; k < n; k++)
            counts[map[rng_below_fast(r, n, limit, m)]]++;
    else
        for (uint64_t k = 0; k < n; k++)
            counts[rng_below_fast(r, n, limit, m)]++;
}

int
stats_rng_counts16(struct stats_rng *r, uint64_t n, uint16_t *counts)
{
    if (n == 0)
        return 1;
    uint64_t limit = UINT64_MAX - (UINT64_MAX % n), m = UINT64_MAX / n;
    for (uint64_t k = 0; k < n; k++) {
        uint16_t *c = &counts[rng_below_fast(r, n, limit, m)];
        *c = (uint16_t)(*c + 1);
    }
    /* a count that passed 65535 lost 65536 from the total: one pass over the counts
     * (vectorised, in cache) instead of a test per draw */
    uint64_t total = 0;
    for (uint64_t k = 0; k < n; k++)
        total += counts[k];
    return total == n;
}

double
stats_rng_double(struct stats_rng *r)
{
    return (double)(stats_rng_next(r) >> 11) * 0x1.0p-53;
}

unsigned char *
stats_sample_mask(struct stats_rng *r, int64_t n, int64_t want)
{
    unsigned char *sel = xcalloc((size_t)n + 1, 1);
    int64_t *idx = xmalloc(((size_t)n + 1) * sizeof *idx);
    for (int64_t i = 0; i < n; i++)
        idx[i] = i;
    if (want > n)
        want = n;
    for (int64_t i = 0; i < want; i++) {
        int64_t j = i + (int64_t)stats_rng_below(r, (uint64_t)(n - i));
        int64_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
        sel[idx[i]] = 1;
    }
    free(idx);
    return sel;
}

/* ---- quantiles ---- */

double
stats_quantile_sorted(const double *v, size_t n, double q)
{
    if (n == 0)
        return NAN;
    if (q <= 0)
        return v[0];
    if (q >= 1)
        return v[n - 1];
    double pos = q * (double)(n - 1);
    size_t i = (size_t)pos;
    double frac = pos - (double)i;
    if (i + 1 >= n)
        return v[n - 1];
    return v[i] + (v[i + 1] - v[i]) * frac;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void
stats_percentile_ci(double *v, size_t n, double level, double *lo, double *hi)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isnan(v[i])) {
            double t = v[m];
            v[m++] = v[i];
            v[i] = t;
        }
    }
    qsort(v, m, sizeof *v, cmp_double);
    *lo = stats_quantile_sorted(v, m, (1 - level) / 2);
    *hi = stats_quantile_sorted(v, m, (1 + level) / 2);
}

double
stats_wmean(const double *x, const double *w, size_t n)
{
    double sw = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1;
        sw += wi;
        s += wi * x[i];
    }
    return sw > 0 ? s / sw : NAN;
}

/* ---- agreement ---- */

void
stats_cohen(const double *t, int k, double *agreement, double *kappa)
{
    double n = 0, diag = 0, pe = 0;
    for (int i = 0; i < k; i++) {
        diag += t[i * k + i];
        for (int j = 0; j < k; j++)
            n += t[i * k + j];
    }
    if (n <= 0) {
        *agreement = *kappa = NAN;
        return;
    }
    for (int c = 0; c < k; c++) {
        double row = 0, col = 0;
        for (int j = 0; j < k; j++) {
            row += t[c * k + j];
            col += t[j * k + c];
        }
        pe += (row / n) * (col / n);
    }
    double po = diag / n;
    *agreement = po;
    *kappa = pe >= 1 - 1e-15 ? NAN : (po - pe) / (1 - pe);
}

double
stats_fleiss(const double *counts, const double *unit_w, size_t n_units, int k, size_t *used)
{
    /* The rater count m is taken from the first unit with at least two raters. */
    double m = 0;
    for (size_t u = 0; u < n_units && m < 2; u++) {
        double t = 0;
        for (int c = 0; c < k; c++)
            t += counts[u * k + c];
        if (t >= 2)
            m = t;
    }
    size_t kept = 0;
    double wsum = 0, pbar = 0, pc[16] = {0};
    if (m >= 2 && k <= 16) {
        for (size_t u = 0; u < n_units; u++) {
            const double *row = counts + u * k;
            double t = 0, agree = 0;
            for (int c = 0; c < k; c++)
                t += row[c];
            if (fabs(t - m) > 1e-9)
                continue;
            double w = unit_w ? unit_w[u] : 1;
            kept++;
            for (int c = 0; c < k; c++) {
                agree += row[c] * (row[c] - 1);
                pc[c] += w * row[c];
            }
            pbar += w * agree / (m * (m - 1));
            wsum += w;
        }
    }
    if (used)
        *used = kept;
    if (wsum <= 0)
        return NAN;
    pbar /= wsum;
    double pe = 0;
    for (int c = 0; c < k; c++) {
        double p = pc[c] / (wsum * m);
        pe += p * p;
    }
    if (pe >= 1 - 1e-15)
        return NAN;
    return (pbar - pe) / (1 - pe);
}

double
stats_kripp_alpha_nominal(const double *counts, const double *unit_w, size_t n_units, int k)
{
    if (k > 16)
        return NAN;
    double o_diag = 0, o_total = 0, nc[16] = {0};
    for (size_t u = 0; u < n_units; u++) {
        const double *row = counts + u * k;
        double mu = 0;
        for (int c = 0; c < k; c++)
            mu += row[c];
        if (mu < 2)
            continue;
        double w = unit_w ? unit_w[u] : 1;
        /* Unit u adds row_c*(row_k - [c==k])/(m_u-1) to o_ck; summed over k the row
         * margin is row_c, so only the diagonal needs computing explicitly. */
        for (int c = 0; c < k; c++) {
            o_diag += w * row[c] * (row[c] - 1) / (mu - 1);
            nc[c] += w * row[c];
        }
        o_total += w * mu;
    }
    if (o_total < 2)
        return NAN;
    double do_ = o_total - o_diag; /* sum over c != k of o_ck */
    double de = 0;                 /* sum over c != k of n_c n_k */
    for (int c = 0; c < k; c++)
        de += nc[c] * (o_total - nc[c]);
    if (de <= 0)
        return NAN;
    return 1 - (o_total - 1) * do_ / de;
}

int
stats_majority(const int *labels, int n, int k)
{
    int best = -1, best_count = 0, best_first = n;
    for (int c = 0; c < k; c++) {
        int count = 0, first = n;
        for (int i = 0; i < n; i++)
            if (labels[i] == c) {
                if (first == n)
                    first = i;
                count++;
            }
        if (count > best_count || (count == best_count && count > 0 && first < best_first)) {
            best = c;
            best_count = count;
            best_first = first;
        }
    }
    return best;
}

void
stats_classify(const double *conf, int k, int kp, struct stats_cls *out)
{
    memset(out, 0, sizeof *out);
    if (k > 8)
        k = 8;
    double n = 0, correct = 0;
    for (int t = 0; t < k; t++)
        for (int p = 0; p < kp; p++) {
            n += conf[t * kp + p];
            if (t == p)
                correct += conf[t * kp + p];
        }
    out->n = n;
    if (n <= 0) {
        out->accuracy = out->macro_p = out->macro_r = out->macro_f1 = NAN;
        return;
    }
    out->accuracy = correct / n;
    int present = 0;
    for (int c = 0; c < k; c++) {
        double tp = conf[c * kp + c], pred = 0, sup = 0;
        for (int t = 0; t < k; t++)
            pred += conf[t * kp + c];
        for (int p = 0; p < kp; p++)
            sup += conf[c * kp + p];
        out->support[c] = sup;
        out->p[c] = pred > 0 ? tp / pred : 0;
        out->r[c] = sup > 0 ? tp / sup : 0;
        double pr = out->p[c] + out->r[c];
        out->f1[c] = pr > 0 ? 2 * out->p[c] * out->r[c] / pr : 0;
        /* scikit-learn's macro average runs over the labels present in either the
         * reference or the predictions; a class nobody used would only add zeros */
        if (sup > 0 || pred > 0) {
            out->macro_p += out->p[c];
            out->macro_r += out->r[c];
            out->macro_f1 += out->f1[c];
            present++;
        }
    }
    if (present) {
        out->macro_p /= present;
        out->macro_r /= present;
        out->macro_f1 /= present;
    }
}

/* ---- Bradley-Terry / Elo ---- */

/* Log-likelihood of log-strengths th[] (players with games only), including the
 * prior's virtual tied games against a player of log-strength 0. */
static double
bt_loglik(const struct stats_battle *b, size_t nb, int np, const double *games, double prior,
          const double *th)
{
    double ll = 0;
    for (size_t e = 0; e < nb; e++) {
        double d = th[b[e].i] - th[b[e].j];
        /* s*log sigma(d) + (1-s)*log sigma(-d), computed stably */
        double lse = d > 0 ? d + log1p(exp(-d)) : log1p(exp(d));
        ll += b[e].weight * (b[e].score * d - lse);
    }
    for (int i = 0; prior > 0 && i < np; i++)
        if (games[i] > 0) {
            double d = th[i];
            double lse = d > 0 ? d + log1p(exp(-d)) : log1p(exp(d));
            ll += prior * (0.5 * d - lse);
        }
    return ll;
}

/* Solve the dense system A x = y (n x n, row-major) by Gaussian elimination with
 * partial pivoting; A and y are destroyed.  Returns 0, or -1 when singular. */
static int
solve_dense(double *A, double *y, int n)
{
    for (int c = 0; c < n; c++) {
        int piv = c;
        for (int r = c + 1; r < n; r++)
            if (fabs(A[r * n + c]) > fabs(A[piv * n + c]))
                piv = r;
        if (fabs(A[piv * n + c]) < 1e-300)
            return -1;
        if (piv != c) {
            for (int k = 0; k < n; k++) {
                double t = A[c * n + k];
                A[c * n + k] = A[piv * n + k];
                A[piv * n + k] = t;
            }
            double t = y[c];
            y[c] = y[piv];
            y[piv] = t;
        }
        for (int r = c + 1; r < n; r++) {
            double f = A[r * n + c] / A[c * n + c];
            if (f == 0)
                continue;
            for (int k = c; k < n; k++)
                A[r * n + k] -= f * A[c * n + k];
            y[r] -= f * y[c];
        }
    }
    for (int c = n - 1; c >= 0; c--) {
        double s = y[c];
        for (int k = c + 1; k < n; k++)
            s -= A[c * n + k] * y[k];
        y[c] = s / A[c * n + c];
    }
    return 0;
}

/* Without a prior the MLE exists iff every player can be reached from every other
 * through "beat at least partly" edges (Zermelo/Ford): check strong connectivity of
 * that graph over the active players by transitive closure. */
static int
bt_mle_exists(const struct stats_battle *b, size_t nb, int np, const int *pos, int na)
{
    (void)np;
    char *reach = xcalloc((size_t)na * (size_t)na + 1, 1);
    for (int k = 0; k < na; k++)
        reach[k * na + k] = 1;
    for (size_t e = 0; e < nb; e++) {
        int x = pos[b[e].i], y = pos[b[e].j];
        if (b[e].weight <= 0)
            continue;
        if (b[e].score > 0)
            reach[x * na + y] = 1;
        if (b[e].score < 1)
            reach[y * na + x] = 1;
    }
    for (int k = 0; k < na; k++)
        for (int i = 0; i < na; i++)
            if (reach[i * na + k])
                for (int j = 0; j < na; j++)
                    reach[i * na + j] |= reach[k * na + j];
    int ok = 1;
    for (int i = 0; i < na * na && ok; i++)
        ok = reach[i];
    free(reach);
    return ok;
}

int
stats_bt(const struct stats_battle *b, size_t nb, int np, double prior, double center,
         double *rating)
{
    /* Newton's method on the concave log-likelihood in log-strengths, with step
     * halving.  Without a prior the likelihood is invariant to a common shift, so the
     * last active player is pinned at 0 and the reduced system is solved. */
    double *games = xcalloc((size_t)np + 1, sizeof *games);
    int *act = xcalloc((size_t)np + 1, sizeof *act), na = 0;
    for (size_t e = 0; e < nb; e++) {
        games[b[e].i] += b[e].weight;
        games[b[e].j] += b[e].weight;
    }
    int *pos = xcalloc((size_t)np + 1, sizeof *pos);
    for (int i = 0; i < np; i++) {
        pos[i] = -1;
        if (games[i] > 0) {
            pos[i] = na;
            act[na++] = i;
        }
    }
    int nv = prior > 0 ? na : na - 1; /* free variables */
    int exists = prior > 0 || bt_mle_exists(b, nb, np, pos, na);
    double *th = xcalloc((size_t)np + 1, sizeof *th),
           *trial = xcalloc((size_t)np + 1, sizeof *trial);
    double *g = xcalloc((size_t)na + 1, sizeof *g);
    double *H = xcalloc((size_t)na * (size_t)na + 1, sizeof *H);
    int it, converged = nv <= 0;
    double ll = bt_loglik(b, nb, np, games, prior, th);
    for (it = 1; it <= 500 && !converged; it++) {
        memset(g, 0, (size_t)na * sizeof *g);
        memset(H, 0, (size_t)na * (size_t)na * sizeof *H);
        for (size_t e = 0; e < nb; e++) {
            int x = pos[b[e].i], y = pos[b[e].j];
            double sg = 1 / (1 + exp(th[b[e].j] - th[b[e].i])), w = b[e].weight;
            double v = w * sg * (1 - sg);
            g[x] += w * (b[e].score - sg);
            g[y] -= w * (b[e].score - sg);
            H[x * na + x] += v;
            H[y * na + y] += v;
            H[x * na + y] -= v;
            H[y * na + x] -= v;
        }
        for (int k = 0; prior > 0 && k < na; k++) {
            double sg = 1 / (1 + exp(-th[act[k]]));
            g[k] += prior * (0.5 - sg);
            H[k * na + k] += prior * sg * (1 - sg);
        }
        double gmax = 0;
        for (int k = 0; k < nv; k++)
            if (fabs(g[k]) > gmax)
                gmax = fabs(g[k]);
        if (gmax < 1e-10) {
            converged = 1;
            break;
        }
        /* the negative Hessian (positive semi-definite) restricted to the free variables */
        if (nv < na)
            for (int r = 0; r < nv; r++)
                memmove(H + (size_t)r * (size_t)nv, H + (size_t)r * (size_t)na,
                        (size_t)nv * sizeof *H);
        if (solve_dense(H, g, nv) != 0)
            break;
        double step = 1;
        for (int half = 0; half < 40; half++, step /= 2) {
            memcpy(trial, th, (size_t)np * sizeof *th);
            for (int k = 0; k < nv; k++)
                trial[act[k]] += step * g[k];
            double lt = bt_loglik(b, nb, np, games, prior, trial);
            if (lt >= ll - 1e-12) {
                double moved = 0;
                for (int k = 0; k < nv; k++)
                    moved = fmax(moved, fabs(step * g[k]));
                memcpy(th, trial, (size_t)np * sizeof *th);
                ll = lt;
                if (moved < 1e-12)
                    converged = 1;
                break;
            }
        }
    }
    double mean = 0;
    for (int k = 0; k < na; k++)
        mean += 400 * th[act[k]] / log(10);
    if (na)
        mean /= na;
    for (int i = 0; i < np; i++)
        rating[i] = games[i] > 0 ? 400 * th[i] / log(10) - mean + center : NAN;
    free(games);
    free(act);
    free(pos);
    free(th);
    free(trial);
    free(g);
    free(H);
    return converged && exists ? it : -1;
}

void
stats_elo_update(double *rating, const struct stats_battle *b, double k)
{
    /* A weight w counts as floor(w) repeated battles plus one scaled step. */
    double w = b->weight;
    for (; w >= 1; w -= 1)
        stats_elo_step(rating, b->i, b->j, b->score, k);
    if (w > 1e-12)
        stats_elo_step(rating, b->i, b->j, b->score, k * w);
}

void
stats_elo(const struct stats_battle *b, size_t nb, int np, double k, double init, double *rating)
{
    for (int i = 0; i < np; i++)
        rating[i] = init;
    for (size_t e = 0; e < nb; e++)
        stats_elo_update(rating, &b[e], k);
}

int
stats_solve(double *a, double *y, int n)
{
    return solve_dense(a, y, n);
}
