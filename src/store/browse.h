/* The queries behind the TUI's item list and pair view: keyset paging through a
 * dataset under filters and sorts, full-text search and live agreement (labels,
 * tags and notes are in annotate.h).
 *
 * Nothing here loads a whole dataset.  Paging is keyset-based (WHERE (key, seq) >
 * (last key, last seq) ORDER BY key, seq LIMIT n) over the table item_stat, which
 * triggers keep up to date with per-item figures (prompt length, response lengths,
 * models, whether annotators disagree), so the common pages are index range scans.
 *
 * Costs measured on a 1,000,000-item dataset (bench/browse_bench.sh; medians, warm
 * cache; the first call of a kind adds statement preparation and cold pages, <10 ms):
 *   - a page of 50 rows by seq, anywhere (first, next, middle, last, backwards):
 *     0.15 ms; by length difference or prompt length: 0.2 ms (their indexes);
 *   - dense filters (unlabeled by me, a model substring matching a third): 0.2 ms;
 *     "disagree": 0.2 ms (a partial index); a tag on 1% of items: 1 ms;
 *   - my label A/B/tie/labeled: 0.1 ms, starting from my judgments while I have
 *     fewer than 20,000 of them (then sorted), else scanning like the others;
 *   - sparse filters scan in sort order until the page is full: a length range
 *     matching few items took 150 ms, and up to a full scan (~0.5 s) when fewer
 *     matches than a page remain;
 *   - a search filter under the seq sort walks the FTS5 doclist in order: 0.2 ms
 *     for common and rare words; under other sorts it collects all matches first
 *     (220 ms for a word in every item);
 *   - store_search_next: < 0.1 ms (common, rare, AND, phrase, absent);
 *   - store_browse_count: O(1) without a filter; "unlabeled by me" alone is the
 *     complement of my labels while they are few (0.03 ms, also for its positions);
 *     other filtered counts scan (disagree 2 ms, a model substring 250 ms, a word in
 *     every item 490 ms) and are cached until the workspace changes;
 *   - store_browse_position: O(1) by seq without a filter; otherwise it counts the
 *     rows before the item (100 ms at the middle of a sorted 1M list), so call it
 *     after jumps and track the position while moving row by row;
 *   - labels: 0.1 ms; store_agreement for a human's few hundred labels: 0.1 ms;
 *   - store_browse_sample (:queue) reads every matching row twice: on 200,000 items
 *     (bench/browse_bench.sh build 200000) 0.31 s, stratified by model 0.56 s,
 *     by disagree 0.37 s — linear, so a few seconds on a million, once per queue.
 *   Peak RSS of all these queries together: 15 MB (the 1M-match search).
 *
 * Verdicts are normalized to the pair's order by response id (response.idx order
 * for imported data): a judgment stored as (b, a) with verdict "A" reads as "B". */
#ifndef PS_STORE_BROWSE_H
#define PS_STORE_BROWSE_H

#include <stdint.h>

#include "core/err.h"
#include "core/strbuf.h"
#include "store/annotate.h"

struct store;

enum browse_label {
    BROWSE_LABEL_ANY = 0,   /* no label filter */
    BROWSE_LABEL_UNLABELED, /* not labeled by f->annotator */
    BROWSE_LABEL_LABELED,   /* labeled by f->annotator (any verdict) */
    BROWSE_LABEL_A,         /* f->annotator said A */
    BROWSE_LABEL_B,
    BROWSE_LABEL_TIE,
};

enum browse_sort {
    BROWSE_SORT_SEQ = 0,    /* import order (default) */
    BROWSE_SORT_LEN_DIFF,   /* |len(response 0) - len(response 1)| in characters */
    BROWSE_SORT_PROMPT_LEN, /* characters of the final prompt */
};

/* A filter; zero-initialized means "everything, by seq".  Strings are borrowed. */
struct browse_filter {
    const char *annotator; /* the current user ("human:alice"): whose labels `label`
                              and browse_row.my_label refer to; NULL = nobody */
    enum browse_label label;
    int disagree;             /* 1: only items whose annotators disagree on a pair */
    const char *tag;          /* exact tag, or NULL */
    const char *model;        /* substring of any response's model name, or NULL */
    int64_t len_min, len_max; /* characters of the longer of responses 0 and 1;
                                 len_max <= 0 means no upper bound */
    const char *search;       /* user search text (see store_fts_query), or NULL */
    enum browse_sort sort;
    int desc;       /* 1: descending (largest first) */
    int plain_scan; /* tests and benchmarks: always scan in sort order, never
                       start from the annotator's labels or the FTS doclist
                       (the results are the same, only the plan differs) */
};

/* One line of the item list.  Strings are owned by the row array. */
struct browse_row {
    int64_t item_id, seq;
    char *preview; /* the first 200 characters of the final prompt, raw (sanitize
                      before drawing); "" when there is none */
    int n_resp;
    int64_t len0, len1;          /* characters of responses 0 and 1 (0 when absent) */
    enum store_verdict my_label; /* f->annotator's latest verdict */
    enum store_verdict ds_label; /* the dataset's verdict: annotator "dataset" first,
                                    else the earliest other annotator's */
    int disagree;                /* annotators disagree on some pair of this item */
    char *tags;                  /* comma-separated, NULL when none */
    char *models;                /* distinct model names of the responses, ", "-separated,
                                    NULL when none */
    int64_t sort_key;            /* the value sorted on (seq for BROWSE_SORT_SEQ) */
    int has_note;                /* the item has at least one note */
};

/* Up to `limit` rows of dataset `dataset_id` matching `f` (NULL = no filter) that
 * come after the item at position `after_seq` in the filter's sort order (-1: from
 * the start).  after_seq need not match the filter itself.  On success *out is a
 * caller-owned array of *n rows (possibly 0) in sort order; free it with
 * store_browse_rows_free.  A bad search is PS_ERR_USAGE. */
int store_browse_rows(struct store *st, int64_t dataset_id, const struct browse_filter *f,
                      int64_t after_seq, int limit, struct browse_row **out, int *n,
                      struct ps_err *err);

/* The rows just before the item at `before_seq` (-1: the last page), still returned
 * in sort order (the last row is the one right before before_seq). */
int store_browse_rows_before(struct store *st, int64_t dataset_id, const struct browse_filter *f,
                             int64_t before_seq, int limit, struct browse_row **out, int *n,
                             struct ps_err *err);

void store_browse_rows_free(struct browse_row *rows, int n);

/* Number of items matching `f`.  Unfiltered: O(1) from the dataset's counts.
 * Filtered: a counting scan, cached until the workspace changes. */
int store_browse_count(struct store *st, int64_t dataset_id, const struct browse_filter *f,
                       int64_t *count, struct ps_err *err);

/* 0-based position of the item at `seq` among the items matching `f` in sort order
 * (the number of matching items before it; the item itself need not match). */
int store_browse_position(struct store *st, int64_t dataset_id, const struct browse_filter *f,
                          int64_t seq, int64_t *pos, struct ps_err *err);

/* ---- sampling (labeling queues) ---- */

enum browse_stratum {
    BROWSE_STRATUM_NONE = 0,
    BROWSE_STRATUM_MODEL,     /* the item's response models (browse_row.models) */
    BROWSE_STRATUM_DISAGREE,  /* whether annotators disagree */
    BROWSE_STRATUM_RESPONSES, /* the number of responses */
};

/* A random sample of up to n items of the dataset matching f (NULL = all),
 * stratified by `stratum`: each stratum gets n times its share of the matching
 * items (largest remainders, so the sizes add up to n), and within a stratum every
 * item is equally likely (reservoir sampling, xorshift64* seeded by `seed`: a
 * seed always gives the same sample).  Two passes over the matching rows (their
 * counts per stratum, then their ids); memory O(n + strata).  On success *ids is a
 * caller-owned array of *n_ids item ids (min(n, matches)), in import order. */
int store_browse_sample(struct store *st, int64_t dataset_id, const struct browse_filter *f, int n,
                        enum browse_stratum stratum, uint64_t seed, int64_t **ids, int *n_ids,
                        struct ps_err *err);

/* ---- search ---- */

/* Turn what a user typed into a safe FTS5 query, appended to `out`:
 *   words          each word is quoted ("it's" -> "it's"), all must occur
 *   "a phrase"     an exact phrase
 *   word*          a prefix
 *   -word          must not occur (needs at least one positive term)
 *   a OR b         either
 *   prompt:word    only in the prompt (system, history, final prompt);
 *   response:word  only in the responses
 * Never produces an FTS5 syntax error from user text.  PS_ERR_USAGE when nothing
 * searchable is left (empty text, only negative terms). */
int store_fts_query(const char *user, struct strbuf *out, struct ps_err *err);

/* The seq of the next item of the dataset (dir > 0: after from_seq; dir < 0: before
 * it) whose text matches the user search `query` (see store_fts_query).  from_seq
 * -1 with dir > 0 starts at the top, -1 with dir < 0 at the bottom.
 * PS_ERR_NOTFOUND (message "no more matches") when there is none that way; the
 * caller wraps around by searching again from -1. */
int store_search_next(struct store *st, int64_t dataset_id, const char *query, int64_t from_seq,
                      int dir, int64_t *seq, struct ps_err *err);

/* For the item at `seq` matching `query`: *rank (1-based) among the dataset's
 * matches in import order and *total matches.  Counts at most `cap` matches (0:
 * no cap); *total = cap + 1 means "more than cap". */
int store_search_rank(struct store *st, int64_t dataset_id, const char *query, int64_t seq,
                      int64_t cap, int64_t *rank, int64_t *total, struct ps_err *err);

/* ---- agreement ---- */

struct store_agreement {
    char *annotator; /* the other annotator */
    int64_t both;    /* pairs judged by both (invalid verdicts left out) */
    int64_t agree;   /* of which the same verdict (A/B/tie, order normalized) */
};

/* For every other annotator of the dataset: on how many pairs `annotator` and they
 * both gave a verdict, and how many of those agree.  When an annotator judged a pair
 * several times (e.g. both orders), their latest judgment counts.  Sorted by
 * annotator; *out is caller-owned, free with store_agreement_free.  Cost: one pass
 * over `annotator`'s judgments in the dataset. */
int store_agreement(struct store *st, int64_t dataset_id, const char *annotator,
                    struct store_agreement **out, int *n, struct ps_err *err);
void store_agreement_free(struct store_agreement *v, int n);

#endif
