/* TF-IDF and seeded k-means (see cluster.h).  Dense vectors are converted to the
 * sparse form so one k-means serves both. */
#include "core/cluster.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/stats.h"
#include "core/xalloc.h"

static const char *const stop_words[] = {
    "select", "the",    "response",   "that",   "a",     "an",      "and",      "or",    "of",
    "to",     "in",     "is",         "it",     "its",   "for",     "with",     "on",    "as",
    "by",     "be",     "more",       "most",   "than",  "this",    "are",      "was",   "which",
    "over",   "has",    "have",       "not",    "no",    "instead", "whose",    "about", "uses",
    "use",    "better", "prefers",    "prefer", "picks", "chooses", "mentions", "says",  "features",
    "their",  "them",   "response's", NULL};

static int
is_stop(const char *w)
{
    for (const char *const *s = stop_words; *s; s++)
        if (strcmp(*s, w) == 0)
            return 1;
    return 0;
}

/* The vocabulary: an open-addressing table of words to column numbers. */
struct vocab {
    char **word;
    int *col;
    size_t cap;
    int n;
};

static int
vocab_get(struct vocab *v, const char *w, int add)
{
    if ((size_t)(v->n + 1) * 2 > v->cap) {
        struct vocab nv = {xcalloc(v->cap * 2, sizeof(char *)), xcalloc(v->cap * 2, sizeof(int)),
                           v->cap * 2, v->n};
        for (size_t i = 0; i < v->cap; i++)
            if (v->word[i]) {
                size_t j = hash_fnv64(v->word[i], strlen(v->word[i]), HASH_FNV_SEED) & (nv.cap - 1);
                while (nv.word[j])
                    j = (j + 1) & (nv.cap - 1);
                nv.word[j] = v->word[i];
                nv.col[j] = v->col[i];
            }
        free(v->word);
        free(v->col);
        v->word = nv.word;
        v->col = nv.col;
        v->cap = nv.cap;
    }
    size_t j = hash_fnv64(w, strlen(w), HASH_FNV_SEED) & (v->cap - 1);
    while (v->word[j]) {
        if (strcmp(v->word[j], w) == 0)
            return v->col[j];
        j = (j + 1) & (v->cap - 1);
    }
    if (!add)
        return -1;
    v->word[j] = xstrdup(w);
    v->col[j] = v->n;
    return v->n++;
}

/* Words of a text, lower-cased, stop words dropped; calls fn for each. */
static void
each_word(const char *s, void (*fn)(void *, const char *), void *ud)
{
    char w[64];
    size_t n = 0;
    for (const char *p = s;; p++) {
        char c = *p;
        int word = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (word) {
            if (n + 1 < sizeof w)
                w[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        } else {
            if (n) {
                w[n] = 0;
                if (!is_stop(w))
                    fn(ud, w);
            }
            n = 0;
        }
        if (!c)
            break;
    }
}

struct tf_state {
    struct vocab *v;
    int *cols, n, cap;
};

static void
add_word(void *ud, const char *w)
{
    struct tf_state *t = ud;
    t->cols = xgrow(t->cols, sizeof *t->cols, t->n, &t->cap, 16);
    t->cols[t->n++] = vocab_get(t->v, w, 1);
}

static int
int_cmp(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

void
cluster_tfidf(const char *const *texts, int n, struct cluster_vec *out, int *dim)
{
    struct vocab v = {xcalloc(64, sizeof(char *)), xcalloc(64, sizeof(int)), 64, 0};
    int *df = NULL, cap_df = 0;
    for (int i = 0; i < n; i++) {
        struct tf_state t = {&v, NULL, 0, 0};
        each_word(texts[i] ? texts[i] : "", add_word, &t);
        if (t.n)
            qsort(t.cols, (size_t)t.n, sizeof *t.cols, int_cmp);
        struct cluster_vec *o = &out[i];
        o->idx = xmalloc(((size_t)t.n + 1) * sizeof *o->idx);
        o->val = xmalloc(((size_t)t.n + 1) * sizeof *o->val);
        o->n = 0;
        for (int k = 0; k < t.n; k++) {
            if (o->n && o->idx[o->n - 1] == t.cols[k]) {
                o->val[o->n - 1] += 1;
                continue;
            }
            o->idx[o->n] = t.cols[k];
            o->val[o->n++] = 1;
            while (cap_df <= t.cols[k]) {
                df = xrealloc(df, (size_t)(cap_df ? cap_df * 2 : 64) * sizeof *df);
                memset(df + cap_df, 0, (size_t)(cap_df ? cap_df : 64) * sizeof *df);
                cap_df = cap_df ? cap_df * 2 : 64;
            }
            df[t.cols[k]]++;
        }
        free(t.cols);
    }
    for (int i = 0; i < n; i++) {
        double norm = 0;
        for (int k = 0; k < out[i].n; k++) {
            out[i].val[k] *= log((1.0 + n) / (1.0 + df[out[i].idx[k]])) + 1;
            norm += out[i].val[k] * out[i].val[k];
        }
        norm = sqrt(norm);
        for (int k = 0; k < out[i].n && norm > 0; k++)
            out[i].val[k] /= norm;
    }
    for (size_t i = 0; i < v.cap; i++)
        free(v.word[i]);
    free(v.word);
    free(v.col);
    free(df);
    *dim = v.n;
}

void
cluster_vecs_free(struct cluster_vec *v, int n)
{
    for (int i = 0; i < n; i++) {
        free(v[i].idx);
        free(v[i].val);
    }
}

static double
dot(const struct cluster_vec *x, const double *c)
{
    double s = 0;
    for (int k = 0; k < x->n; k++)
        s += x->val[k] * c[x->idx[k]];
    return s;
}

/* Squared distance between unit vector x and centroid c (|c|^2 given). */
static double
dist2(const struct cluster_vec *x, const double *c, double c2)
{
    double d = 1 - 2 * dot(x, c) + c2;
    if (x->n == 0)
        d = c2;
    return d > 0 ? d : 0;
}

/* One k-means run; *inertia receives the sum of squared distances. */
static int
kmeans_once(const struct cluster_vec *v, int n, int dim, int k, uint64_t seed, int *assign,
            int *rep, double *inertia)
{
    *inertia = INFINITY;
    if (n <= 0)
        return 0;
    if (k > n)
        k = n;
    if (k < 1)
        k = 1;
    size_t d = (size_t)(dim > 0 ? dim : 1);
    double *c = xcalloc((size_t)k * d, sizeof *c), *c2 = xcalloc((size_t)k, sizeof *c2);
    double *best = xmalloc((size_t)n * sizeof *best);
    struct stats_rng rng;
    stats_rng_seed(&rng, seed);
    /* k-means++: the first centre uniform, then by squared distance */
    for (int j = 0; j < k; j++) {
        int pick = 0;
        if (j == 0) {
            pick = (int)stats_rng_below(&rng, (uint64_t)n);
        } else {
            double total = 0;
            for (int i = 0; i < n; i++)
                total += best[i];
            if (total <= 0) {
                pick = (int)stats_rng_below(&rng, (uint64_t)n);
            } else {
                double r = stats_rng_double(&rng) * total;
                for (pick = 0; pick < n - 1; pick++) {
                    r -= best[pick];
                    if (r < 0)
                        break;
                }
            }
        }
        double *cj = c + (size_t)j * d;
        for (int q = 0; q < v[pick].n; q++)
            cj[v[pick].idx[q]] = v[pick].val[q];
        c2[j] = v[pick].n ? 1 : 0;
        for (int i = 0; i < n; i++) {
            double dd = dist2(&v[i], cj, c2[j]);
            if (j == 0 || dd < best[i])
                best[i] = dd;
        }
    }
    int *count = xcalloc((size_t)k, sizeof *count);
    for (int i = 0; i < n; i++)
        assign[i] = -1;
    for (int iter = 0; iter < 100; iter++) {
        int changed = 0;
        for (int i = 0; i < n; i++) {
            int bj = 0;
            double bd = INFINITY;
            for (int j = 0; j < k; j++) {
                double dd = dist2(&v[i], c + (size_t)j * d, c2[j]);
                if (dd < bd - 1e-12) {
                    bd = dd;
                    bj = j;
                }
            }
            best[i] = bd;
            if (assign[i] != bj) {
                assign[i] = bj;
                changed = 1;
            }
        }
        if (!changed)
            break;
        memset(c, 0, (size_t)k * d * sizeof *c);
        memset(count, 0, (size_t)k * sizeof *count);
        for (int i = 0; i < n; i++) {
            double *cj = c + (size_t)assign[i] * d;
            count[assign[i]]++;
            for (int q = 0; q < v[i].n; q++)
                cj[v[i].idx[q]] += v[i].val[q];
        }
        for (int j = 0; j < k; j++) {
            double *cj = c + (size_t)j * d;
            if (!count[j]) {
                /* an empty cluster takes the point farthest from its centre */
                int far = 0;
                for (int i = 1; i < n; i++)
                    if (best[i] > best[far])
                        far = i;
                best[far] = 0;
                for (int q = 0; q < v[far].n; q++)
                    cj[v[far].idx[q]] = v[far].val[q];
                c2[j] = v[far].n ? 1 : 0;
                continue;
            }
            double s = 0;
            for (size_t q = 0; q < d; q++) {
                cj[q] /= count[j];
                s += cj[q] * cj[q];
            }
            c2[j] = s;
        }
    }
    /* renumber the non-empty clusters 0..k'-1 in order of their first member */
    int *map = xmalloc((size_t)k * sizeof *map);
    for (int j = 0; j < k; j++)
        map[j] = -1;
    int kk = 0;
    for (int i = 0; i < n; i++)
        if (map[assign[i]] < 0)
            map[assign[i]] = kk++;
    double *rep_d = xmalloc((size_t)kk * sizeof *rep_d);
    for (int j = 0; j < kk; j++)
        rep[j] = -1;
    *inertia = 0;
    for (int i = 0; i < n; i++) {
        int j = map[assign[i]];
        double dd = dist2(&v[i], c + (size_t)assign[i] * d, c2[assign[i]]);
        *inertia += dd;
        if (rep[j] < 0 || dd < rep_d[j] - 1e-12) {
            rep[j] = i;
            rep_d[j] = dd;
        }
        assign[i] = j;
    }
    free(rep_d);
    free(map);
    free(count);
    free(best);
    free(c);
    free(c2);
    return kk;
}

enum { KMEANS_RUNS = 10 };

int
cluster_kmeans_sparse(const struct cluster_vec *v, int n, int dim, int k, uint64_t seed,
                      int *assign, int *rep)
{
    /* like scikit-learn's n_init: several seeded starts, the lowest inertia wins */
    int *a = xmalloc(((size_t)n + 1) * sizeof *a), *r = xmalloc(((size_t)n + 1) * sizeof *r);
    double best = INFINITY;
    int kbest = 0;
    struct stats_rng rng;
    stats_rng_seed(&rng, seed);
    for (int run = 0; run < KMEANS_RUNS; run++) {
        double inertia = INFINITY;
        int kk = kmeans_once(v, n, dim, k, stats_rng_next(&rng), a, r, &inertia);
        if (run == 0 || inertia < best - 1e-12) {
            best = inertia;
            kbest = kk;
            memcpy(assign, a, (size_t)n * sizeof *a);
            memcpy(rep, r, (size_t)kk * sizeof *r);
        }
    }
    free(a);
    free(r);
    return kbest;
}

int
cluster_kmeans_dense(const double *data, int n, int dim, int k, uint64_t seed, int *assign,
                     int *rep)
{
    struct cluster_vec *v = xcalloc((size_t)n + 1, sizeof *v);
    for (int i = 0; i < n; i++) {
        const double *row = data + (size_t)i * (size_t)dim;
        double norm = 0;
        for (int q = 0; q < dim; q++)
            norm += row[q] * row[q];
        norm = sqrt(norm);
        v[i].idx = xmalloc(((size_t)dim + 1) * sizeof *v[i].idx);
        v[i].val = xmalloc(((size_t)dim + 1) * sizeof *v[i].val);
        for (int q = 0; q < dim; q++)
            if (row[q] != 0 && norm > 0) {
                v[i].idx[v[i].n] = q;
                v[i].val[v[i].n++] = row[q] / norm;
            }
    }
    int kk = cluster_kmeans_sparse(v, n, dim, k, seed, assign, rep);
    cluster_vecs_free(v, n);
    free(v);
    return kk;
}
