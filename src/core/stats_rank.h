/* Leaderboards from pairwise judgments: Bradley-Terry (MLE by Newton's method) and online Elo,
 * with item-level bootstrap intervals.  Battles are the valid judgments whose two
 * responses carry different model names; a tie is half a win for each side and a
 * judgment's weight counts as that many battles.  Pure C over a struct stats_table. */
#ifndef PS_CORE_STATS_RANK_H
#define PS_CORE_STATS_RANK_H

#include "core/stats_report.h"

struct stats_rank_opts {
    const int *annots; /* annotators whose judgments count; NULL = all */
    int n_annots;
    int bootstrap; /* resamples of items; 0 = no intervals */
    uint64_t seed;
    double level;  /* e.g. 0.95 */
    double prior;  /* BT regularisation (virtual tied games per model), 0 = MLE */
    double center; /* mean BT rating (default scale 1000) */
    int anchor;    /* model index pinned to anchor_rating, or -1 */
    double anchor_rating;
    double elo_k;    /* Elo step (FastChat uses 4) */
    double elo_init; /* Elo start (1000) */
};

/* Fill defaults: level .95, prior 0.01, center 1000, anchor -1, k 4, init 1000,
 * bootstrap 1000, seed 1. */
void stats_rank_opts_init(struct stats_rank_opts *o);

struct stats_rank_entry {
    int model;      /* index into the table's models */
    double battles; /* weighted battles */
    double score;   /* weighted wins, ties half */
    struct stats_est bt, elo;
    int rank_lo, rank_hi; /* best and worst rank over the bootstrap (1 = top) */
};

struct stats_rank {
    struct stats_rank_entry *e; /* sorted by BT rating, best first */
    int n;
    double n_battles;
    int bt_iterations; /* -1 when MM did not converge on the full data */
};

/* Compute the leaderboard; free with stats_rank_free.  The table must outlive it. */
void stats_rank_compute(const struct stats_table *t, const struct stats_rank_opts *o,
                        struct stats_rank *out);
void stats_rank_free(struct stats_rank *r);

/* Append the leaderboard as a JSON object (models named from `t`). */
void stats_rank_json(const struct stats_rank *r, const struct stats_table *t,
                     const struct stats_rank_opts *o, struct strbuf *sb);

#endif
