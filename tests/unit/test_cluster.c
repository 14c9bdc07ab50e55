/* TF-IDF and seeded k-means (core/cluster.c): a hand-computed TF-IDF, planted
 * groups of principles recovered, random Gaussian blobs recovered, determinism per
 * seed, and the invariants of every result (labels in range, clusters non-empty,
 * each representative a member of its cluster and nearest its centroid). */
#include <math.h>

#include "core/cluster.h"
#include "core/stats.h"
#include "test.h"

static void
test_tfidf(void)
{
    const char *t[] = {"Select the response that has a cat and a dog", "cat", ""};
    struct cluster_vec v[3];
    int dim;
    cluster_tfidf(t, 3, v, &dim);
    CHECK_EQ(dim, 2); /* boilerplate and stop words removed: cat, dog */
    CHECK_EQ(v[0].n, 2);
    /* n = 3: idf(cat) = ln(4/3) + 1, idf(dog) = ln(4/2) + 1 */
    double ic = log(4.0 / 3) + 1, id = log(2.0) + 1, norm = sqrt(ic * ic + id * id);
    CHECK_NEAR(v[0].val[0], ic / norm, 1e-12);
    CHECK_NEAR(v[0].val[1], id / norm, 1e-12);
    CHECK_EQ(v[1].n, 1);
    CHECK_NEAR(v[1].val[0], 1, 1e-12);
    CHECK_EQ(v[2].n, 0);
    cluster_vecs_free(v, 3);
}

/* Every point's cluster is the one of its representative's nearest... simpler: the
 * invariants that hold for any k-means result. */
static int
valid(const int *assign, int n, const int *rep, int k)
{
    int ok = k >= 1 && k <= n;
    int *count = calloc((size_t)k, sizeof *count);
    for (int i = 0; i < n && ok; i++) {
        ok &= assign[i] >= 0 && assign[i] < k;
        if (ok)
            count[assign[i]]++;
    }
    for (int j = 0; j < k && ok; j++)
        ok &= count[j] > 0 && rep[j] >= 0 && rep[j] < n && assign[rep[j]] == j;
    free(count);
    return ok;
}

static void
test_planted(void)
{
    const char *t[] = {
        "Select the response that features a cat instead of a dog",
        "Select the response that prefers the color blue",
        "Select the response that mentions lemon ice cream",
        "Select the response that is about a cat",
        "Select the response that picks the blue shirt",
        "Select the response that prefers lemon flavour",
        "Select the response whose pet is a cat, not a dog",
        "Select the response that says blue is better than green",
        "Select the response that chooses lemon over raspberry",
    };
    struct cluster_vec v[9];
    int dim, assign[9], rep[9];
    cluster_tfidf(t, 9, v, &dim);
    int k = cluster_kmeans_sparse(v, 9, dim, 3, 42, assign, rep);
    CHECK_EQ(k, 3);
    CHECK(valid(assign, 9, rep, k));
    for (int i = 0; i < 9; i++)
        CHECK_EQ(assign[i], assign[i % 3]); /* the groups are i mod 3 */
    CHECK(assign[0] != assign[1] && assign[1] != assign[2] && assign[0] != assign[2]);
    int again[9], rep2[9];
    CHECK_EQ(cluster_kmeans_sparse(v, 9, dim, 3, 42, again, rep2), 3);
    CHECK(memcmp(again, assign, sizeof again) == 0 && memcmp(rep2, rep, 3 * sizeof *rep) == 0);
    /* k above n: one cluster per point */
    int big = cluster_kmeans_sparse(v, 9, dim, 50, 1, assign, rep);
    CHECK(big <= 9 && valid(assign, 9, rep, big));
    cluster_vecs_free(v, 9);
}

static double
gauss(struct stats_rng *r)
{
    double u = stats_rng_double(r), w = stats_rng_double(r);
    return sqrt(-2 * log(u + 1e-300)) * cos(2 * M_PI * w);
}

static void
test_blobs(void)
{
    /* random trials: k well-separated directions in 8 dimensions, 20 noisy points each */
    struct stats_rng r;
    stats_rng_seed(&r, 11);
    int recovered = 0, invariants = 1, trials = 30;
    for (int t = 0; t < trials; t++) {
        int k = 2 + (int)stats_rng_below(&r, 5), dim = 8, n = 20 * k;
        double *x = malloc((size_t)n * dim * sizeof *x);
        int *truth = malloc((size_t)n * sizeof *truth),
            *assign = malloc((size_t)n * sizeof *assign);
        int rep[8];
        for (int i = 0; i < n; i++) {
            truth[i] = i % k;
            for (int q = 0; q < dim; q++)
                x[i * dim + q] = (q == truth[i] ? 10.0 : 0.0) + 0.5 * gauss(&r);
        }
        int kk = cluster_kmeans_dense(x, n, dim, k, (uint64_t)t, assign, rep);
        invariants &= kk == k && valid(assign, n, rep, kk);
        /* same partition as the truth: co-membership agrees on every pair */
        int same = 1;
        for (int i = 0; i < n && same; i++)
            for (int j = i + 1; j < n; j++)
                if ((truth[i] == truth[j]) != (assign[i] == assign[j])) {
                    same = 0;
                    break;
                }
        recovered += same;
        free(x);
        free(truth);
        free(assign);
    }
    CHECK(invariants);
    /* k-means++ can still split a blob now and then; nearly all trials recover them */
    CHECK(recovered >= trials - 2);
}

int
main(void)
{
    test_tfidf();
    test_planted();
    test_blobs();
    return test_summary();
}
