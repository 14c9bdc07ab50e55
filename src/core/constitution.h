/* Per-principle metrics and ICAI's filter-and-rank step (pure C).
 *
 * A principle's vote on a pair (features.h: A, B, both, neither, invalid) is read
 * against a reference label (the side an annotator preferred):
 *   for      the principle selects the preferred response  (FF: agree)
 *   against  it selects the other one                      (FF: disagree)
 *   both, neither, invalid: not applicable.
 * Pairs whose reference is a tie or missing are not counted (callers count them).
 *
 * Metrics (Feedback Forensics' definitions, shared/reference/icai.md §3.3):
 *   relevance = (for + against) / total
 *   accuracy  = for / (for + against), 0.5 when nothing applies
 *   kappa     = 2 * (accuracy - 0.5)   (Cohen's kappa with chance agreement 0.5:
 *                                       the voter saw the pair in a random order)
 *   strength  = kappa * relevance = (for - against) / total
 * plus ICAI's own relevance_for = for / total. */
#ifndef PS_CORE_CONSTITUTION_H
#define PS_CORE_CONSTITUTION_H

#include <stddef.h>
#include <stdint.h>

struct icai_counts {
    double n_for, n_against, n_both, n_neither, n_invalid;
};

struct icai_metrics {
    double total, relevance, relevance_for, accuracy, kappa, strength, for_minus_against,
        invalid_frac;
};

/* Add one vote (enum icai_vote) of a pair whose reference label is `label`
 * (0 = the first response preferred, 1 = the second); other labels are ignored. */
void icai_count(struct icai_counts *c, int vote, int label);
void icai_metrics(const struct icai_counts *c, struct icai_metrics *m);

/* ICAI's filters, each configurable (defaults by icai_filter_defaults):
 * keep a principle when for > against (if require_more_for), its relevance (FF's
 * definition, or for/total when relevance_for_only) is >= min_relevance, and
 * invalid votes are at most max_invalid of the total; order the kept ones by
 * for - against (then strength, then input order) and keep the first `top`
 * (0 = all). */
struct icai_filter {
    int require_more_for;
    double min_relevance;
    int relevance_for_only;
    double max_invalid;
    int top;
};
void icai_filter_defaults(struct icai_filter *f);

/* Why principle counts `c` fail the filter: NULL when they pass, else a static
 * reason ("for <= against", "relevance < min", "mostly invalid"). */
const char *icai_filter_reason(const struct icai_filter *f, const struct icai_counts *c);

/* Rank n principles: rank[i] = 1.. for the kept ones in order, 0 for the rest.
 * Returns the number ranked (<= top when top > 0). */
int icai_rank(const struct icai_counts *c, int n, const struct icai_filter *f, int *rank);

/* Agreement of a judge with the labels: correct[i] is 1 or 0 for each of n judged
 * pairs.  *mean = the fraction correct; [*lo, *hi] the percentile bootstrap interval
 * at `level` from `reps` resamples drawn with `seed`, or with reps < 0 the exact
 * bootstrap distribution (Binomial(n, mean) / n: the limit of infinitely many
 * resamples, computed without drawing any).  reps == 0: no interval (NaN).  NaN
 * when n == 0. */
void icai_agreement_ci(const unsigned char *correct, size_t n, uint64_t seed, int reps,
                       double level, double *mean, double *lo, double *hi);

#endif
