/* ICAI constitutions in the workspace: the tables constitution, principle and
 * principle_vote (DESIGN §6), and the labelled pairs they are built from.
 *
 * A principle's vote on an item is stored relative to the item's responses 0 and 1
 * ('A' = response 0), independent of any annotator, so one set of votes can be
 * scored against every annotator of the dataset (the Feedback Forensics view). */
#ifndef PS_STORE_CONSTITUTION_H
#define PS_STORE_CONSTITUTION_H

#include <stdint.h>

#include "core/err.h"

struct store;

/* One pair of an item (responses 0 and 1) with the reference label of an annotator:
 * label 0 = response 0 preferred, 1 = response 1, 2 = tie, 3 = invalid, -1 = the
 * annotator did not judge the pair.  All strings are borrowed for the callback. */
struct store_icai_pair {
    int64_t item_id, seq;
    const char *prompt, *a, *b;
    int label;
};
typedef int (*store_icai_pair_fn)(void *ud, const struct store_icai_pair *p, struct ps_err *err);

/* Visit every item of the dataset with at least two responses, in order.  The label
 * is the annotator's first judgment of responses 0 and 1 (either order, turned
 * around as needed).  With with_text == 0 the strings are NULL (faster).  A non-zero
 * return from fn stops the walk and is returned. */
int store_icai_pairs(struct store *st, int64_t dataset_id, const char *annotator, int with_text,
                     store_icai_pair_fn fn, void *ud, struct ps_err *err);

/* The labels of `annotator` by item position: labels[seq] for seq < n (the label
 * codes above; items without two responses or a judgment keep -1).  labels[] is
 * caller-owned. */
int store_icai_labels(struct store *st, int64_t dataset_id, const char *annotator,
                      signed char *labels, int64_t n, struct ps_err *err);

/* The dataset's reference annotator when none is named: "dataset" when present,
 * else the one with most judgments.  *out is caller-owned; PS_ERR_NOTFOUND when the
 * dataset has no judgments. */
int store_icai_default_annotator(struct store *st, int64_t dataset_id, char **out,
                                 struct ps_err *err);

/* The annotators of a dataset with their judgment counts, most judgments first.
 * *names (array of caller-owned strings) and *counts are caller-owned. */
int store_icai_annotators(struct store *st, int64_t dataset_id, char ***names, int64_t **counts,
                          int *n, struct ps_err *err);

struct store_constitution {
    int64_t id, dataset_id;
    char *name, *method, *params, *created_at, *dataset;
    int n_principles, n_ranked;
};
void store_constitution_free(struct store_constitution *c);

/* Create a constitution; its name must be unique within the dataset (PS_ERR_EXISTS). */
int store_constitution_create(struct store *st, int64_t dataset_id, const char *name,
                              const char *method, const char *params_json, int64_t *id,
                              struct ps_err *err);
int store_constitution_set_params(struct store *st, int64_t id, const char *params_json,
                                  struct ps_err *err);
/* Every constitution (of one dataset, or all when dataset_id == 0), newest last.
 * Caller frees with store_constitution_list_free. */
int store_constitution_list(struct store *st, int64_t dataset_id, struct store_constitution **out,
                            int *n, struct ps_err *err);
void store_constitution_list_free(struct store_constitution *v, int n);
/* Find by id ("12") or by name ("offline-1", or "DATASET/NAME" when the name is used
 * in several datasets).  PS_ERR_NOTFOUND naming it otherwise. */
int store_constitution_find(struct store *st, const char *ref, struct store_constitution *out,
                            struct ps_err *err);
int store_constitution_delete(struct store *st, int64_t id, struct ps_err *err);

struct store_principle {
    int64_t id;
    char *text, *kind, *stats; /* stats: JSON object or NULL */
    int rank;                  /* 1.. in the constitution, 0 = tested but not kept */
};
/* Principles ranked first (by rank), then the rest in insertion order.  Caller frees
 * with store_principle_list_free. */
int store_principle_list(struct store *st, int64_t constitution_id, struct store_principle **out,
                         int *n, struct ps_err *err);
void store_principle_list_free(struct store_principle *v, int n);
int store_principle_add(struct store *st, int64_t constitution_id, const char *text,
                        const char *kind, int rank, const char *stats_json, int64_t *id,
                        struct ps_err *err);
int store_principle_update(struct store *st, int64_t principle_id, int rank, const char *stats_json,
                           struct ps_err *err);

/* Writing votes in bulk (call inside a transaction): open, put many, close.  Rows
 * are written in batches, so an error may surface on a later put or on close. */
struct store_votes;
int store_votes_open(struct store *st, struct store_votes **out, struct ps_err *err);
/* vote: "A", "B", "both", "neither" or "invalid" (copied); replaces an earlier vote. */
int store_votes_put(struct store_votes *v, int64_t principle_id, int64_t item_id, const char *vote,
                    struct ps_err *err);
/* Write the rows still buffered and release v (NULL is fine).  With err == NULL the
 * buffered rows are dropped (after an error, before a rollback). */
int store_votes_close(struct store_votes *v, struct ps_err *err);

/* Visit the votes of a constitution's principles (principle_id == 0: all of them),
 * with the item's seq, ordered by principle then seq. */
typedef int (*store_vote_fn)(void *ud, int64_t principle_id, int64_t item_id, int64_t seq,
                             const char *vote);
int store_votes_foreach(struct store *st, int64_t constitution_id, int64_t principle_id,
                        store_vote_fn fn, void *ud, struct ps_err *err);

/* The votes on one item of the newest constitution of its dataset: fn(ud, text,
 * rank, vote) for each principle that voted, ranked ones first.  *constitution_id
 * receives that constitution's id (0 when the dataset has none; fn is not called). */
typedef int (*store_item_vote_fn)(void *ud, const char *text, int rank, const char *vote);
int store_item_votes(struct store *st, int64_t dataset_id, int64_t item_id,
                     int64_t *constitution_id, store_item_vote_fn fn, void *ud, struct ps_err *err);

#endif
