/* Clustering of candidate principles (ICAI's deduplication step, DESIGN §6): an
 * offline TF-IDF representation, or vectors from an embedding model, grouped by
 * seeded k-means (k-means++ initialisation, Lloyd iterations, cosine geometry). */
#ifndef PS_CORE_CLUSTER_H
#define PS_CORE_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

/* A sparse, L2-normalised vector. */
struct cluster_vec {
    int *idx;
    double *val;
    int n;
};

/* TF-IDF of n texts over their words (ASCII letters and digits in lower case, stop
 * words and the boilerplate "select the response that" removed): tf = count,
 * idf = ln((1 + n) / (1 + df)) + 1, each vector normalised to length 1 (an empty
 * text gets the zero vector).  out[n] and *dim are filled; release with
 * cluster_vecs_free. */
void cluster_tfidf(const char *const *texts, int n, struct cluster_vec *out, int *dim);
void cluster_vecs_free(struct cluster_vec *v, int n);

/* Seeded k-means of n sparse unit vectors of dimension dim into at most k clusters
 * (k > n is reduced to n).  assign[n] receives cluster numbers 0..k'-1 and rep[k']
 * the member nearest each centroid (cosine; lowest index on ties).  Returns k',
 * the number of clusters.  Deterministic for a given seed. */
int cluster_kmeans_sparse(const struct cluster_vec *v, int n, int dim, int k, uint64_t seed,
                          int *assign, int *rep);

/* The same for dense vectors (embeddings), data[n * dim]; each row is normalised
 * first (a copy; data is not changed). */
int cluster_kmeans_dense(const double *data, int n, int dim, int k, uint64_t seed, int *assign,
                         int *rep);

#endif
