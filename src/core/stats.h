/* Statistics primitives for evaluating judges and ranking models (pure C).
 *
 * Everything here works on plain arrays owned by the caller; nothing allocates
 * except where a function says so.  Weights are doubles so that the same code
 * serves plain counts, weighted battles and bootstrap multiplicities (an item drawn
 * twice by the bootstrap simply has weight 2).  Results that are undefined (no data,
 * zero expected disagreement) are NaN; callers print them as null / "-".
 *
 * The exact definitions are written down in docs/evaluation.md. */
#ifndef PS_CORE_STATS_H
#define PS_CORE_STATS_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

/* Verdict classes, in the canonical order used by every table below. */
enum stats_class { STATS_A = 0, STATS_B = 1, STATS_TIE = 2, STATS_INVALID = 3 };
#define STATS_NCLASS 3 /* the valid classes A, B, tie */

/* Map "A"/"B"/"tie"/"invalid" to a class; -1 for anything else. */
int stats_class_parse(const char *verdict);
/* Static name of a class ("A", "B", "tie", "invalid"). */
const char *stats_class_name(int cls);

/* ---- random numbers (seeded, reproducible across platforms) ---- */

/* xoshiro256** seeded through splitmix64: a seed gives the same stream everywhere. */
struct stats_rng {
    uint64_t s[4];
};
void stats_rng_seed(struct stats_rng *r, uint64_t seed);
uint64_t stats_rng_next(struct stats_rng *r);
/* Uniform integer in [0, n) without modulo bias (n > 0). */
uint64_t stats_rng_below(struct stats_rng *r, uint64_t n);
/* One bootstrap resample of n items: n draws of stats_rng_below(r, n), each adding 1
 * to counts[draw], or to counts[map[draw]] when map is given (items grouped into
 * classes; the caller sizes and zeroes counts).  The same stream and the same draws
 * as the loop over stats_rng_below, several times faster: the two divisions per draw
 * are done once. */
void stats_rng_counts(struct stats_rng *r, uint64_t n, const int *map, int *counts);
/* The same draws as stats_rng_counts without a map, counted in 16 bits (half the
 * cache of int counts, which is most of the time on large n) into counts[n] zeroed by
 * the caller.  Returns 1, or 0 when a count passed 65535 and wrapped (then replay the
 * draws with stats_rng_counts). */
int stats_rng_counts16(struct stats_rng *r, uint64_t n, uint16_t *counts);
/* Uniform double in [0, 1). */
double stats_rng_double(struct stats_rng *r);
/* A uniform choice of min(want, n) of n positions without replacement (a partial
 * Fisher-Yates shuffle, min(want, n) draws from r), as a caller-owned mask of n + 1
 * bytes: mask[i] = 1 when position i is chosen. */
unsigned char *stats_sample_mask(struct stats_rng *r, int64_t n, int64_t want);

/* ---- quantiles and bootstrap intervals ---- */

/* Quantile q in [0,1] of a sorted array by linear interpolation between order
 * statistics (numpy's default: position q*(n-1)).  NaN when n == 0. */
double stats_quantile_sorted(const double *sorted, size_t n, double q);

/* Percentile interval of the finite values among v[0..n) at `level` (e.g. 0.95):
 * the (1-level)/2 and (1+level)/2 quantiles.  v is reordered in place (NaNs moved to
 * the end and the rest sorted).  *lo and *hi are NaN when no value is finite. */
void stats_percentile_ci(double *v, size_t n, double level, double *lo, double *hi);

/* ---- weighted means ---- */

/* sum(w*x)/sum(w) (w may be NULL for all ones); NaN when the weight sum is 0. */
double stats_wmean(const double *x, const double *w, size_t n);

/* ---- agreement ---- */

/* Cohen's kappa and raw agreement from a k x k table of (weighted) counts,
 * row = rater 1's class, column = rater 2's class (row-major).
 * po = trace/N, pe = sum_c row_c*col_c / N^2, kappa = (po-pe)/(1-pe).
 * kappa is NaN when N == 0 or pe == 1. */
void stats_cohen(const double *table, int k, double *agreement, double *kappa);

/* Fleiss' kappa.  counts is n_units x k (row-major): counts[u*k+c] = how many of the
 * unit's raters chose class c.  Every unit must have the same number of raters m >= 2
 * (units with a different total are skipped; *used receives how many were kept,
 * may be NULL).  unit_w weights units (NULL = 1).  NaN when undefined. */
double stats_fleiss(const double *counts, const double *unit_w, size_t n_units, int k,
                    size_t *used);

/* Krippendorff's alpha for nominal data.  Same layout as stats_fleiss but units may
 * have any number of values; units with fewer than 2 values are not pairable and are
 * ignored.  alpha = 1 - (n-1) * sum_{c!=k} o_ck / sum_{c!=k} n_c n_k, where o is the
 * coincidence matrix (each unit contributes counts_c*(counts_k - [c==k])/(m_u-1))
 * and n_c its margins.  NaN when fewer than two pairable values or only one class. */
double stats_kripp_alpha_nominal(const double *counts, const double *unit_w, size_t n_units, int k);

/* Majority vote over n labels (each in [0,k) or negative = missing).  Among the
 * classes with the highest count, the one whose first vote comes earliest wins, so
 * with three raters who all differ the first rater's label is chosen (PandaLM's
 * rule).  Returns -1 when every label is missing. */
int stats_majority(const int *labels, int n, int k);

/* ---- classification against a reference ---- */

struct stats_cls {
    double n; /* total weight of scored predictions */
    double accuracy;
    double macro_p, macro_r, macro_f1; /* unweighted mean over the classes present */
    double p[8], r[8], f1[8], support[8];
};

/* Metrics from a confusion table conf[t*kp + p] (row = reference class t in [0,k),
 * column = predicted class p in [0,kp), kp >= k).  Columns >= k (e.g. "invalid")
 * are never correct: they lower accuracy and the recall of the reference class but
 * add no false positive to any class.  Precision of a class never predicted is 0
 * and so is an F1 with P+R == 0 (scikit-learn's zero_division=0).  The macro
 * averages run over the classes that occur in the reference or among the valid
 * predictions (scikit-learn's default label set).  k <= 8. */
void stats_classify(const double *conf, int k, int kp, struct stats_cls *out);

/* ---- Bradley-Terry and Elo ---- */

struct stats_battle {
    int i, j;      /* players (0..n_players) */
    double score;  /* score of i: 1 win, 0 loss, 0.5 tie (any value in [0,1]) */
    double weight; /* multiplicity (> 0) */
};

/* Bradley-Terry ratings: the maximum of the log-likelihood
 *   sum_e w_e [s_e log sigma(t_i - t_j) + (1 - s_e) log sigma(t_j - t_i)]
 * over log-strengths t (Newton's method with step halving), so a tie (s = 0.5) is
 * half a win for each side.  `prior` > 0 adds `prior` virtual tied games between
 * every player and a fixed reference player of log-strength 0, which keeps the
 * estimate finite when a player never wins or never loses (0 = the plain MLE).  On
 * return rating[p] = 400*t_p/ln(10) shifted so that the players' mean rating is
 * `center` (players in no battle get NaN).  Returns the number of Newton steps, or
 * -1 if it did not converge (ratings are still the last iterate; without a prior
 * this happens when the MLE does not exist).  Allocates its own scratch. */
int stats_bt(const struct stats_battle *b, size_t nb, int n_players, double prior, double center,
             double *rating);

/* Online Elo over battles in the given order: expected score
 * E_i = 1/(1+10^((R_j-R_i)/400)), R_i += k*(s-E_i), R_j -= k*(s-E_i), every player
 * starting at `init`.  A weight w counts as floor(w) repeated battles followed by one
 * step scaled by the fractional part. */
void stats_elo(const struct stats_battle *b, size_t nb, int n_players, double k, double init,
               double *rating);
/* One battle of stats_elo (weight rule included) applied to rating[] in place. */
void stats_elo_update(double *rating, const struct stats_battle *b, double k);

/* Solve the dense system a x = y (n x n, row-major) by Gaussian elimination with
 * partial pivoting; x replaces y, a is destroyed.  Returns 0, or -1 when singular. */
int stats_solve(double *a, double *y, int n);

/* One Elo step of weight 1 with step size k (inline: bootstraps run it per battle per
 * resample).  10^(d/400) as exp: pow is several times slower. */
static inline void
stats_elo_step(double *rating, int i, int j, double s, double k)
{
    double e = 1 / (1 + exp((rating[j] - rating[i]) * (M_LN10 / 400)));
    rating[i] += k * (s - e);
    rating[j] -= k * (s - e);
}

#endif
