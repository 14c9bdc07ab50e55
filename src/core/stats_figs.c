/* Further evaluation figures (see stats_figs.h and docs/evaluation.md). */
#include "core/stats_figs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

/* ---- ratios of sums ---- */

void
stats_sums_init(struct stats_sums *s, int n_items, int n_slots)
{
    memset(s, 0, sizeof *s);
    s->n_items = n_items;
    s->n_slots = n_slots;
}

void
stats_sums_free(struct stats_sums *s)
{
    free(s->c);
    memset(s, 0, sizeof *s);
}

void
stats_sums_add(struct stats_sums *s, int item, int slot, double v)
{
    s->c = xgrow(s->c, sizeof *s->c, s->n, &s->cap, 64);
    s->c[s->n++] = (struct stats_sum_c){item, slot, v};
}

static void
sums_total(const struct stats_sums *s, const int *counts, double *tot)
{
    memset(tot, 0, (size_t)s->n_slots * sizeof *tot);
    for (int i = 0; i < s->n; i++) {
        const struct stats_sum_c *c = &s->c[i];
        tot[c->slot] += (counts ? counts[c->item] : 1) * c->v;
    }
}

/* The why of a figure on weight n with value v. */
static int
why_of(double n, double v, double min_n)
{
    if (!(n > 0))
        return STATS_WHY_NO_DATA;
    if (n < min_n)
        return STATS_WHY_SMALL_N;
    return isnan(v) ? STATS_WHY_ONE_CLASS : STATS_WHY_NONE;
}

/* Percentile intervals of `k` figures from boot[k * B + b]; figures whose point
 * value is missing keep NaN bounds. */
static void
fill_intervals(double *boot, int k, int B, double level, struct stats_est *out)
{
    for (int i = 0; i < k; i++) {
        out[i].lo = out[i].hi = NAN;
        if (B > 0 && !isnan(out[i].v))
            stats_percentile_ci(boot + (size_t)i * (size_t)B, (size_t)B, level, &out[i].lo,
                                &out[i].hi);
    }
}

void
stats_sums_ratios(const struct stats_sums *s, const int *num, const int *den, int n_ratio,
                  const struct stats_fig_opts *o, struct stats_est *out, double *dens)
{
    double *tot = xcalloc((size_t)s->n_slots + 1, sizeof *tot);
    sums_total(s, NULL, tot);
    for (int k = 0; k < n_ratio; k++) {
        double n = tot[den[k]], v = n > 0 ? tot[num[k]] / n : NAN;
        out[k].why = why_of(n, v, o->min_n);
        out[k].v = out[k].why ? NAN : v;
        if (dens)
            dens[k] = n;
    }
    int B = o->bootstrap > 0 ? o->bootstrap : 0;
    double *boot = xmalloc(((size_t)n_ratio * (size_t)B + 1) * sizeof *boot);
    int *counts = xmalloc(((size_t)s->n_items + 1) * sizeof *counts);
    struct stats_rng rng;
    stats_rng_seed(&rng, o->seed);
    for (int b = 0; b < B; b++) {
        memset(counts, 0, ((size_t)s->n_items + 1) * sizeof *counts);
        stats_rng_counts(&rng, (uint64_t)s->n_items, NULL, counts);
        sums_total(s, counts, tot);
        for (int k = 0; k < n_ratio; k++)
            boot[(size_t)k * (size_t)B + (size_t)b] =
                tot[den[k]] > 0 ? tot[num[k]] / tot[den[k]] : NAN;
    }
    fill_intervals(boot, n_ratio, B, o->level, out);
    free(boot);
    free(counts);
    free(tot);
}

/* ---- reference labels ---- */

/* Row indices grouped by annotator, table order within each: rows of annotator a are
 * order[first[a] .. first[a + 1]).  Both arrays allocated. */
static void
rows_by_annot(const struct stats_table *t, int **first_out, int **order_out)
{
    int *first = xcalloc((size_t)t->n_annot + 2, sizeof *first);
    int *order = xmalloc(((size_t)t->n_rows + 1) * sizeof *order);
    int *fill = xcalloc((size_t)t->n_annot + 1, sizeof *fill);
    for (int i = 0; i < t->n_rows; i++)
        first[t->rows[i].annot + 1]++;
    for (int a = 0; a < t->n_annot; a++)
        first[a + 1] += first[a];
    for (int i = 0; i < t->n_rows; i++)
        order[first[t->rows[i].annot] + fill[t->rows[i].annot]++] = i;
    free(fill);
    *first_out = first;
    *order_out = order;
}

void
stats_reference_labels(const struct stats_table *t, const int *ref, int n_ref, int *out)
{
    size_t nu = (size_t)t->n_units, nr = n_ref > 0 ? (size_t)n_ref : 0;
    int *slot = xmalloc(((size_t)t->n_annot + 1) * sizeof *slot);
    for (int a = 0; a < t->n_annot; a++)
        slot[a] = -1;
    for (size_t i = nr; i-- > 0;)
        if (ref[i] >= 0 && ref[i] < t->n_annot)
            slot[ref[i]] = (int)i;
    /* the first canonical-order and first reversed judgment of each reference */
    int *fwd = xmalloc((nu * nr + 1) * sizeof *fwd), *rev = xmalloc((nu * nr + 1) * sizeof *rev);
    for (size_t i = 0; i < nu * nr; i++)
        fwd[i] = rev[i] = -1;
    for (int i = 0; i < t->n_rows; i++) {
        const struct stats_jrow *r = &t->rows[i];
        int sl = slot[r->annot];
        if (sl < 0)
            continue;
        int *x = (r->reversed ? rev : fwd) + (size_t)r->unit * nr + (size_t)sl;
        if (*x < 0)
            *x = r->cls;
    }
    int *votes = xcalloc(nr + 1, sizeof *votes);
    for (size_t u = 0; u < nu; u++) {
        for (size_t i = 0; i < nr; i++) {
            /* a reference named twice votes with the label of its first slot */
            size_t k = u * nr + (size_t)(slot[ref[i]] >= 0 ? slot[ref[i]] : (int)i);
            int l = fwd[k] >= 0 ? fwd[k] : rev[k];
            votes[i] = l == STATS_INVALID ? -1 : l;
        }
        out[u] = nr == 0 ? -1 : nr == 1 ? votes[0] : stats_majority(votes, (int)nr, STATS_NCLASS);
    }
    free(votes);
    free(fwd);
    free(rev);
    free(slot);
}

/* ---- right in both orders ---- */

static const char b_first_suffix[] = " [b first]";

/* partner[a]: the annotator named "<name of a> [b first]", or -1; is_partner[p] = 1
 * for those.  Both allocated. */
static void
partners(const struct stats_table *t, int **partner_out, int **is_partner_out)
{
    int *partner = xmalloc(((size_t)t->n_annot + 1) * sizeof *partner);
    int *is_partner = xcalloc((size_t)t->n_annot + 1, sizeof *is_partner);
    size_t sl = sizeof b_first_suffix - 1;
    for (int a = 0; a < t->n_annot; a++)
        partner[a] = -1;
    for (int p = 0; p < t->n_annot; p++) {
        const char *nm = t->annotators[p];
        size_t len = strlen(nm);
        if (len <= sl || strcmp(nm + len - sl, b_first_suffix) != 0)
            continue;
        for (int a = 0; a < t->n_annot; a++)
            if (a != p && strlen(t->annotators[a]) == len - sl &&
                !strncmp(t->annotators[a], nm, len - sl) && partner[a] < 0) {
                partner[a] = p;
                is_partner[p] = 1;
                break;
            }
    }
    *partner_out = partner;
    *is_partner_out = is_partner;
}

/* slots of one judge: first right, second right, both right, consistent, units */
enum { BO_FIRST, BO_SECOND, BO_BOTH, BO_CONS, BO_UNITS, BO_NSLOT };

void
stats_both_orders_compute(const struct stats_table *t, const int *annots, int n_annots,
                          const int *ref, int n_ref, int invalid_as_tie,
                          const struct stats_fig_opts *o, struct stats_both_orders **out,
                          int *n_out)
{
    size_t nu = (size_t)t->n_units;
    int *refl = xmalloc((nu + 1) * sizeof *refl);
    int *unit_item = xcalloc(nu + 1, sizeof *unit_item);
    int *f = xmalloc((nu + 1) * sizeof *f), *r = xmalloc((nu + 1) * sizeof *r);
    int *touched = xmalloc((nu + 1) * sizeof *touched);
    int *first, *order, *partner, *is_partner;
    stats_reference_labels(t, ref, n_ref, refl);
    rows_by_annot(t, &first, &order);
    partners(t, &partner, &is_partner);
    for (int i = 0; i < t->n_rows; i++)
        unit_item[t->rows[i].unit] = t->rows[i].item;
    for (size_t u = 0; u < nu; u++)
        f[u] = r[u] = -1;
    int n_judge = annots ? n_annots : t->n_annot, nj = 0;
    int *judge = xmalloc(((size_t)n_judge + 1) * sizeof *judge);
    for (int j = 0; j < n_judge; j++) {
        int a = annots ? annots[j] : j;
        if (!(n_ref == 1 && a == ref[0]) && !is_partner[a])
            judge[nj++] = a;
    }
    /* every judge's sums in one set of slots, so that one pass of draws serves all */
    struct stats_sums s;
    stats_sums_init(&s, t->n_items, BO_NSLOT * nj);
    for (int j = 0; j < nj; j++) {
        int who[2] = {judge[j], partner[judge[j]]}, nt = 0;
        for (int w = 0; w < 2 && who[w] >= 0; w++)
            for (int k = first[who[w]]; k < first[who[w] + 1]; k++) {
                const struct stats_jrow *x = &t->rows[order[k]];
                if (f[x->unit] < 0 && r[x->unit] < 0)
                    touched[nt++] = x->unit;
                int *slot = x->reversed ? &r[x->unit] : &f[x->unit];
                if (*slot < 0)
                    *slot = x->cls;
            }
        for (int k = 0; k < nt; k++) {
            int u = touched[k], fv = f[u], rv = r[u];
            f[u] = r[u] = -1;
            if (refl[u] < 0 || fv < 0 || rv < 0)
                continue;
            int cons = fv == rv && fv != STATS_INVALID;
            if (invalid_as_tie) {
                fv = fv == STATS_INVALID ? STATS_TIE : fv;
                rv = rv == STATS_INVALID ? STATS_TIE : rv;
            }
            int it = unit_item[u], b = BO_NSLOT * j;
            stats_sums_add(&s, it, b + BO_UNITS, 1);
            stats_sums_add(&s, it, b + BO_FIRST, fv == refl[u]);
            stats_sums_add(&s, it, b + BO_SECOND, rv == refl[u]);
            stats_sums_add(&s, it, b + BO_BOTH, fv == refl[u] && rv == refl[u]);
            stats_sums_add(&s, it, b + BO_CONS, cons);
        }
    }
    int *num = xmalloc(((size_t)nj * 4 + 1) * sizeof *num);
    int *den = xmalloc(((size_t)nj * 4 + 1) * sizeof *den);
    static const int fig[4] = {BO_BOTH, BO_FIRST, BO_SECOND, BO_CONS};
    for (int j = 0; j < nj; j++)
        for (int k = 0; k < 4; k++) {
            num[4 * j + k] = BO_NSLOT * j + fig[k];
            den[4 * j + k] = BO_NSLOT * j + BO_UNITS;
        }
    struct stats_est *e = xcalloc((size_t)nj * 4 + 1, sizeof *e);
    double *d = xcalloc((size_t)nj * 4 + 1, sizeof *d);
    stats_sums_ratios(&s, num, den, 4 * nj, o, e, d);
    *out = xcalloc((size_t)nj + 1, sizeof **out);
    *n_out = 0;
    for (int j = 0; j < nj; j++)
        if (d[4 * j] > 0)
            (*out)[(*n_out)++] = (struct stats_both_orders){
                .annot = judge[j],
                .partner = partner[judge[j]],
                .units = d[4 * j],
                .both = e[4 * j],
                .first = e[4 * j + 1],
                .second = e[4 * j + 2],
                .consistency = e[4 * j + 3],
            };
    stats_sums_free(&s);
    free(num);
    free(den);
    free(e);
    free(d);
    free(judge);
    free(refl);
    free(unit_item);
    free(f);
    free(r);
    free(touched);
    free(first);
    free(order);
    free(partner);
    free(is_partner);
}

/* ---- win / tie / loss ---- */

/* Indices 0..n-1 ordered by names[i] (merge sort: model lists can be long). */
static void
name_sort(char *const *names, int *o, int *tmp, int n)
{
    if (n < 2)
        return;
    int h = n / 2;
    name_sort(names, o, tmp, h);
    name_sort(names, o + h, tmp, n - h);
    int i = 0, j = h, k = 0;
    while (i < h || j < n)
        tmp[k++] = j >= n || (i < h && strcmp(names[o[i]], names[o[j]]) <= 0) ? o[i++] : o[j++];
    memcpy(o, tmp, (size_t)n * sizeof *o);
}

static int *
name_order(char *const *names, int n)
{
    int *o = xmalloc(((size_t)n + 1) * sizeof *o), *tmp = xmalloc(((size_t)n + 1) * sizeof *tmp);
    for (int i = 0; i < n; i++)
        o[i] = i;
    name_sort(names, o, tmp, n);
    free(tmp);
    return o;
}

/* One valid judgment between two models, keyed for sorting. */
struct wtl_key {
    int annot, r1, r2; /* annotator, name ranks of the two models (r1 < r2) */
    int k;             /* 0 win of r1's model, 1 tie, 2 loss, 3 invalid */
    double w;
};

static int
wtl_cmp(const void *x, const void *y)
{
    const struct wtl_key *a = x, *b = y;
    if (a->annot != b->annot)
        return a->annot < b->annot ? -1 : 1;
    if (a->r1 != b->r1)
        return a->r1 < b->r1 ? -1 : 1;
    return a->r2 < b->r2 ? -1 : a->r2 > b->r2;
}

void
stats_wtl_compute(const struct stats_table *t, const int *annots, int n_annots,
                  struct stats_wtl **out, int *n_out)
{
    int NM = t->n_models, NA = t->n_annot;
    int *sel = xcalloc((size_t)NA + 1, sizeof *sel);
    for (int i = 0; i < (annots ? n_annots : NA); i++)
        sel[annots ? annots[i] : i] = 1;
    int *ord = name_order(t->models, NM), *rank = xmalloc(((size_t)NM + 1) * sizeof *rank);
    for (int i = 0; i < NM; i++)
        rank[ord[i]] = i;
    struct wtl_key *key = xmalloc(((size_t)t->n_rows + 1) * sizeof *key);
    int nk = 0;
    for (int i = 0; i < t->n_rows; i++) {
        const struct stats_jrow *r = &t->rows[i];
        if (!sel[r->annot] || r->model_lo < 0 || r->model_hi < 0 || r->model_lo == r->model_hi)
            continue;
        int lo_first = rank[r->model_lo] < rank[r->model_hi];
        key[nk++] = (struct wtl_key){
            .annot = r->annot,
            .r1 = lo_first ? rank[r->model_lo] : rank[r->model_hi],
            .r2 = lo_first ? rank[r->model_hi] : rank[r->model_lo],
            .k = r->cls == STATS_TIE               ? 1
                 : r->cls == STATS_INVALID         ? 3
                 : (r->cls == STATS_A) == lo_first ? 0
                                                   : 2,
            .w = r->weight,
        };
    }
    if (nk > 1)
        qsort(key, (size_t)nk, sizeof *key, wtl_cmp);
    *n_out = 0;
    *out = xcalloc((size_t)nk + 1, sizeof **out);
    for (int i = 0; i < nk;) {
        double c[4] = {0};
        int end = i;
        while (end < nk && wtl_cmp(&key[end], &key[i]) == 0)
            c[key[end].k] += key[end].w, end++;
        (*out)[(*n_out)++] = (struct stats_wtl){
            .annot = key[i].annot,
            .m1 = ord[key[i].r1],
            .m2 = ord[key[i].r2],
            .win = c[0],
            .tie = c[1],
            .loss = c[2],
            .invalid = c[3],
        };
        i = end;
    }
    free(key);
    free(rank);
    free(ord);
    free(sel);
}

/* ---- logistic regression ---- */

static double
sigmoid(double z)
{
    return z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z));
}

/* log(1 + e^z) without overflow */
static double
log1pexp(double z)
{
    return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z));
}

static double
logit_ll(const double *x, const double *y, const double *w, size_t n, int k, double ridge,
         const double *b)
{
    double ll = 0;
    for (int j = 0; j < k; j++)
        ll -= ridge / 2 * b[j] * b[j];
    for (size_t i = 0; i < n; i++) {
        double z = 0;
        for (int j = 0; j < k; j++)
            z += x[i * (size_t)k + (size_t)j] * b[j];
        double wi = w ? w[i] : 1;
        ll -= wi * (y[i] * log1pexp(-z) + (1 - y[i]) * log1pexp(z));
    }
    return ll;
}

int
stats_logit_fit(const double *x, const double *y, const double *w, size_t n, int k, double ridge,
                double *beta)
{
    if (k < 1 || k > 4)
        return -1;
    double ll = logit_ll(x, y, w, n, k, ridge, beta);
    for (int it = 1; it <= 100; it++) {
        double g[4] = {0}, H[16] = {0};
        for (size_t i = 0; i < n; i++) {
            const double *xi = x + i * (size_t)k;
            double z = 0;
            for (int j = 0; j < k; j++)
                z += xi[j] * beta[j];
            double p = sigmoid(z), wi = w ? w[i] : 1;
            for (int j = 0; j < k; j++) {
                g[j] += wi * (y[i] - p) * xi[j];
                for (int l = 0; l < k; l++)
                    H[j * k + l] += wi * p * (1 - p) * xi[j] * xi[l];
            }
        }
        double gmax = 0;
        for (int j = 0; j < k; j++) {
            g[j] -= ridge * beta[j];
            H[j * k + j] += ridge;
            gmax = fmax(gmax, fabs(g[j]));
        }
        if (gmax < 1e-10)
            return it - 1;
        if (stats_solve(H, g, k) != 0)
            return -1;
        double step = 1, nb[4];
        for (int half = 0; half < 60; half++, step /= 2) {
            for (int j = 0; j < k; j++)
                nb[j] = beta[j] + step * g[j];
            double nll = logit_ll(x, y, w, n, k, ridge, nb);
            if (nll >= ll - 1e-12 * fabs(ll)) {
                double change = 0;
                for (int j = 0; j < k; j++)
                    change = fmax(change, fabs(nb[j] - beta[j]));
                memcpy(beta, nb, (size_t)k * sizeof *beta);
                ll = fmax(ll, nll);
                if (change < 1e-12)
                    return it;
                break;
            }
        }
    }
    return -1;
}

void
stats_lc_minimal(const double *pref, const double *len_model, const double *len_base,
                 const double *w, size_t n, struct stats_lc_fit *out)
{
    memset(out, 0, sizeof *out);
    double sw = 0, sd1 = 0, sp = 0;
    for (size_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1;
        sw += wi;
        sd1 += wi * (len_base[i] - len_model[i]);
        sp += wi * pref[i];
    }
    out->n = sw;
    if (!(sw > 0)) {
        out->win_rate = out->lc_win_rate = out->intercept = out->length_coef = out->sd = NAN;
        return;
    }
    out->win_rate = sp / sw;
    double mean = sd1 / sw, ss = 0;
    for (size_t i = 0; i < n; i++) {
        double d = len_base[i] - len_model[i] - mean;
        ss += (w ? w[i] : 1) * d * d;
    }
    out->sd = sw > 1 ? sqrt(ss / (sw - 1)) : NAN;
    int k = out->sd > 0 ? 2 : 1;
    double *x = xmalloc((n * 2 + 1) * sizeof *x);
    for (size_t i = 0; i < n; i++) {
        x[i * (size_t)k] = 1;
        if (k == 2)
            x[i * 2 + 1] = tanh((len_base[i] - len_model[i]) / out->sd);
    }
    double beta[2] = {0, 0};
    out->converged = stats_logit_fit(x, pref, w, n, k, STATS_LC_RIDGE, beta) >= 0;
    out->intercept = beta[0];
    out->length_coef = k == 2 ? beta[1] : 0;
    out->lc_win_rate = sigmoid(beta[0]);
    free(x);
}

/* The baseline among the rows order[from .. to) of one annotator; in/first are
 * zeroed scratch of n_models entries, left zeroed. */
static int
lc_baseline_rows(const struct stats_table *t, const int *order, int from, int to, double *in,
                 double *first)
{
    double total = 0;
    for (int k = from; k < to; k++) {
        const struct stats_jrow *r = &t->rows[order[k]];
        if (r->cls == STATS_INVALID || r->model_lo < 0 || r->model_hi < 0 ||
            r->model_lo == r->model_hi)
            continue;
        total += 1;
        in[r->model_lo] += 1;
        in[r->model_hi] += 1;
        first[r->reversed ? r->model_hi : r->model_lo] += 1;
    }
    int best = -1;
    for (int k = from; k < to; k++) {
        const struct stats_jrow *r = &t->rows[order[k]];
        int m2[2] = {r->model_lo, r->model_hi};
        for (int i = 0; i < 2; i++) {
            int m = m2[i];
            if (m < 0 || !(total > 0) || in[m] != total)
                continue;
            if (best < 0 || first[m] > first[best] || (first[m] == first[best] && m < best))
                best = m;
        }
    }
    for (int k = from; k < to; k++) {
        const struct stats_jrow *r = &t->rows[order[k]];
        if (r->model_lo >= 0)
            in[r->model_lo] = first[r->model_lo] = 0;
        if (r->model_hi >= 0)
            in[r->model_hi] = first[r->model_hi] = 0;
    }
    return best;
}

int
stats_lc_baseline(const struct stats_table *t, int annot)
{
    int *first, *order;
    rows_by_annot(t, &first, &order);
    double *in = xcalloc((size_t)t->n_models + 1, sizeof *in);
    double *fs = xcalloc((size_t)t->n_models + 1, sizeof *fs);
    int b = annot >= 0 && annot < t->n_annot
                ? lc_baseline_rows(t, order, first[annot], first[annot + 1], in, fs)
                : -1;
    free(in);
    free(fs);
    free(first);
    free(order);
    return b;
}

/* The judgments of one model against an annotator's baseline, as GLM inputs. */
struct lc_group {
    int annot, model, report;
    double *pref, *lm, *lb, *w0, *w;
    int *item;
    int n, cap;
    int boot; /* refit in the bootstrap (its figure is not withheld) */
};

static void
lc_group_add(struct lc_group *g, const struct stats_jrow *r)
{
    if (g->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 16;
        g->pref = xrealloc(g->pref, (size_t)g->cap * sizeof *g->pref);
        g->lm = xrealloc(g->lm, (size_t)g->cap * sizeof *g->lm);
        g->lb = xrealloc(g->lb, (size_t)g->cap * sizeof *g->lb);
        g->w0 = xrealloc(g->w0, (size_t)g->cap * sizeof *g->w0);
        g->w = xrealloc(g->w, (size_t)g->cap * sizeof *g->w);
        g->item = xrealloc(g->item, (size_t)g->cap * sizeof *g->item);
    }
    double sl = !isnan(r->p_lo) ? r->p_lo : r->cls == STATS_A ? 1 : r->cls == STATS_B ? 0 : 0.5;
    int lo_is_model = r->model_lo == g->model;
    g->pref[g->n] = lo_is_model ? sl : 1 - sl;
    g->lm[g->n] = (double)(lo_is_model ? r->len_lo : r->len_hi);
    g->lb[g->n] = (double)(lo_is_model ? r->len_hi : r->len_lo);
    g->w0[g->n] = r->weight;
    g->item[g->n] = r->item;
    g->n++;
}

void
stats_lc_compute(const struct stats_table *t, const int *annots, int n_annots, int baseline,
                 const struct stats_fig_opts *o, struct stats_lc_report **out, int *n_out)
{
    int NM = t->n_models, na = annots ? n_annots : t->n_annot;
    int *first, *order, *rank = xmalloc(((size_t)NM + 1) * sizeof *rank);
    rows_by_annot(t, &first, &order);
    int *ord = name_order(t->models, NM);
    for (int i = 0; i < NM; i++)
        rank[ord[i]] = i;
    double *in = xcalloc((size_t)NM + 1, sizeof *in), *fs = xcalloc((size_t)NM + 1, sizeof *fs);
    int *gslot = xmalloc(((size_t)NM + 1) * sizeof *gslot);
    for (int m = 0; m < NM; m++)
        gslot[m] = -1;
    struct lc_group *g = NULL;
    int ng = 0, gcap = 0;
    *out = xcalloc((size_t)na + 1, sizeof **out);
    *n_out = 0;
    for (int i = 0; i < na; i++) {
        int a = annots ? annots[i] : i;
        if (a < 0 || a >= t->n_annot)
            continue;
        int B =
            baseline >= 0 ? baseline : lc_baseline_rows(t, order, first[a], first[a + 1], in, fs);
        if (B < 0)
            continue;
        int g0 = ng;
        for (int k = first[a]; k < first[a + 1]; k++) {
            const struct stats_jrow *r = &t->rows[order[k]];
            if (r->cls == STATS_INVALID || r->len_lo < 0 || r->len_hi < 0)
                continue;
            int m = r->model_lo == B ? r->model_hi : r->model_hi == B ? r->model_lo : -1;
            if (m < 0 || m == B)
                continue;
            if (gslot[m] < 0) {
                g = xgrow(g, sizeof *g, ng, &gcap, 16);
                memset(&g[ng], 0, sizeof g[ng]);
                g[ng].annot = a;
                g[ng].model = m;
                g[ng].report = *n_out;
                gslot[m] = ng++;
            }
            lc_group_add(&g[gslot[m]], r);
        }
        if (ng == g0)
            continue;
        /* the report's models by name */
        for (int x = g0 + 1; x < ng; x++)
            for (int y = x; y > g0 && rank[g[y - 1].model] > rank[g[y].model]; y--) {
                struct lc_group tmp = g[y];
                g[y] = g[y - 1];
                g[y - 1] = tmp;
            }
        struct stats_lc_report *rep = &(*out)[(*n_out)++];
        rep->annot = a;
        rep->baseline = B;
        rep->n_m = ng - g0;
        rep->m = xcalloc((size_t)rep->n_m + 1, sizeof *rep->m);
        for (int x = g0; x < ng; x++) {
            gslot[g[x].model] = -1;
            struct stats_lc_model *e = &rep->m[x - g0];
            e->model = g[x].model;
            stats_lc_minimal(g[x].pref, g[x].lm, g[x].lb, g[x].w0, (size_t)g[x].n, &e->fit);
            e->win_rate.why = why_of(e->fit.n, e->fit.win_rate, o->min_n);
            e->lc_win_rate.why = e->win_rate.why;
            e->win_rate.v = e->win_rate.why ? NAN : e->fit.win_rate;
            e->lc_win_rate.v = e->win_rate.why ? NAN : e->fit.lc_win_rate;
            g[x].boot = !e->win_rate.why;
        }
    }
    /* intervals: one resample of items serves every model of every annotator */
    int nb = o->bootstrap > 0 ? o->bootstrap : 0;
    double *boot = xmalloc(((size_t)ng * 2 * (size_t)nb + 1) * sizeof *boot);
    int *counts = xmalloc(((size_t)t->n_items + 1) * sizeof *counts);
    struct stats_rng rng;
    stats_rng_seed(&rng, o->seed);
    for (int b = 0; b < nb && ng > 0; b++) {
        memset(counts, 0, ((size_t)t->n_items + 1) * sizeof *counts);
        stats_rng_counts(&rng, (uint64_t)t->n_items, NULL, counts);
        for (int x = 0; x < ng; x++) {
            if (!g[x].boot)
                continue;
            for (int i = 0; i < g[x].n; i++)
                g[x].w[i] = g[x].w0[i] * counts[g[x].item[i]];
            struct stats_lc_fit f;
            stats_lc_minimal(g[x].pref, g[x].lm, g[x].lb, g[x].w, (size_t)g[x].n, &f);
            boot[(size_t)(2 * x) * (size_t)nb + (size_t)b] = f.win_rate;
            boot[(size_t)(2 * x + 1) * (size_t)nb + (size_t)b] = f.lc_win_rate;
        }
    }
    int *base_of = xcalloc((size_t)*n_out + 1, sizeof *base_of);
    for (int x = ng - 1; x >= 0; x--)
        base_of[g[x].report] = x; /* the report's first group */
    for (int x = 0; x < ng; x++) {
        struct stats_lc_model *e = &(*out)[g[x].report].m[x - base_of[g[x].report]];
        struct stats_est e2[2] = {e->win_rate, e->lc_win_rate};
        fill_intervals(boot + (size_t)(2 * x) * (size_t)nb, 2, g[x].boot ? nb : 0, o->level, e2);
        e->win_rate = e2[0];
        e->lc_win_rate = e2[1];
        free(g[x].pref);
        free(g[x].lm);
        free(g[x].lb);
        free(g[x].w0);
        free(g[x].w);
        free(g[x].item);
    }
    free(base_of);
    free(g);
    free(counts);
    free(boot);
    free(gslot);
    free(in);
    free(fs);
    free(ord);
    free(rank);
    free(first);
    free(order);
}

void
stats_lc_reports_free(struct stats_lc_report *r, int n)
{
    for (int i = 0; i < n; i++)
        free(r[i].m);
    free(r);
}

/* ---- ratings ---- */

void
stats_rating_table_free(struct stats_rating_table *rt)
{
    char **lists[3] = {rt->aspects, rt->annotators, rt->models};
    int counts[3] = {rt->n_aspects, rt->n_annot, rt->n_models};
    for (int l = 0; l < 3; l++) {
        for (int i = 0; i < counts[l]; i++)
            free(lists[l][i]);
        free(lists[l]);
    }
    free(rt->rows);
    memset(rt, 0, sizeof *rt);
}

static int
rt_name(char ***names, int *n, const char *name)
{
    for (int i = 0; i < *n; i++)
        if (strcmp((*names)[i], name) == 0)
            return i;
    *names = xrealloc(*names, (size_t)(*n + 1) * sizeof **names);
    (*names)[*n] = xstrdup(name);
    return (*n)++;
}

int
stats_rating_table_aspect(struct stats_rating_table *rt, const char *name)
{
    return rt_name(&rt->aspects, &rt->n_aspects, name);
}

int
stats_rating_table_annot(struct stats_rating_table *rt, const char *name)
{
    return rt_name(&rt->annotators, &rt->n_annot, name);
}

int
stats_rating_table_model(struct stats_rating_table *rt, const char *name)
{
    return rt_name(&rt->models, &rt->n_models, name);
}

void
stats_rating_table_add(struct stats_rating_table *rt, const struct stats_rating_row *row)
{
    rt->rows = xgrow(rt->rows, sizeof *rt->rows, rt->n_rows, &rt->cap_rows, 256);
    rt->rows[rt->n_rows++] = *row;
    if (row->item >= rt->n_items)
        rt->n_items = row->item + 1;
}

int
stats_rating_lower_better(const char *aspect)
{
    return strcmp(aspect, "rank") == 0;
}

int
stats_rating_verdict(double v_lo, double v_hi, double margin, int lower_better)
{
    double d = lower_better ? v_hi - v_lo : v_lo - v_hi;
    return d > margin ? STATS_A : -d > margin ? STATS_B : STATS_TIE;
}

void
stats_rating_rule_name(struct strbuf *sb, const char *aspect, double margin, int lower_better,
                       const char *annotator)
{
    sb_printf(sb, "ratings:%s%c%g", aspect, lower_better ? '<' : '>', margin);
    if (annotator && strcmp(annotator, "dataset"))
        sb_printf(sb, " by %s", annotator);
}

/* A mean with its sort keys: aspect and annotator by name, then the mean (best
 * first), then the model's name (no model last). */
struct mean_key {
    int ka, kb, km;
    double v;
    struct stats_rating_mean m;
};

static int
mean_cmp(const void *x, const void *y)
{
    const struct mean_key *a = x, *b = y;
    if (a->ka != b->ka)
        return a->ka < b->ka ? -1 : 1;
    if (a->kb != b->kb)
        return a->kb < b->kb ? -1 : 1;
    if (a->v != b->v)
        return a->v < b->v ? -1 : 1;
    return a->km < b->km ? -1 : a->km > b->km;
}

void
stats_rating_means(const struct stats_rating_table *rt, int aspect, const struct stats_fig_opts *o,
                   struct stats_rating_mean **out, int *n_out)
{
    /* group (aspect, annot, model + 1) -> slots 2g (sum) and 2g + 1 (count) */
    size_t NG = (size_t)rt->n_aspects * (size_t)rt->n_annot * ((size_t)rt->n_models + 1);
    int *gid = xmalloc((NG + 1) * sizeof *gid);
    for (size_t g = 0; g < NG; g++)
        gid[g] = -1;
    int ng = 0;
    struct stats_sums s;
    stats_sums_init(&s, rt->n_items, 0);
    for (int i = 0; i < rt->n_rows; i++) {
        const struct stats_rating_row *r = &rt->rows[i];
        if ((aspect >= 0 && r->aspect != aspect) || !isfinite(r->value))
            continue;
        size_t g = ((size_t)r->aspect * (size_t)rt->n_annot + (size_t)r->annot) *
                       ((size_t)rt->n_models + 1) +
                   (size_t)(r->model + 1);
        if (gid[g] < 0)
            gid[g] = ng++;
        stats_sums_add(&s, r->item, 2 * gid[g], r->value);
        stats_sums_add(&s, r->item, 2 * gid[g] + 1, 1);
    }
    s.n_slots = 2 * ng;
    int *num = xmalloc(((size_t)ng + 1) * sizeof *num),
        *den = xmalloc(((size_t)ng + 1) * sizeof *den);
    for (int g = 0; g < ng; g++) {
        num[g] = 2 * g;
        den[g] = 2 * g + 1;
    }
    struct stats_est *e = xcalloc((size_t)ng + 1, sizeof *e);
    double *n = xcalloc((size_t)ng + 1, sizeof *n);
    stats_sums_ratios(&s, num, den, ng, o, e, n);
    int *oa = name_order(rt->aspects, rt->n_aspects), *ob = name_order(rt->annotators, rt->n_annot);
    int *om = name_order(rt->models, rt->n_models);
    int *ra = xmalloc(((size_t)rt->n_aspects + 1) * sizeof *ra);
    int *rb = xmalloc(((size_t)rt->n_annot + 1) * sizeof *rb);
    int *rm = xmalloc(((size_t)rt->n_models + 1) * sizeof *rm);
    for (int i = 0; i < rt->n_aspects; i++)
        ra[oa[i]] = i;
    for (int i = 0; i < rt->n_annot; i++)
        rb[ob[i]] = i;
    for (int i = 0; i < rt->n_models; i++)
        rm[om[i]] = i;
    struct mean_key *k = xcalloc((size_t)ng + 1, sizeof *k);
    for (size_t g = 0; g < NG; g++) {
        if (gid[g] < 0)
            continue;
        size_t per_annot = (size_t)rt->n_models + 1;
        struct mean_key *x = &k[gid[g]];
        x->m.model = (int)(g % per_annot) - 1;
        x->m.annot = (int)(g / per_annot % (size_t)rt->n_annot);
        x->m.aspect = (int)(g / per_annot / (size_t)rt->n_annot);
        x->m.n = n[gid[g]];
        x->m.mean = e[gid[g]];
        x->ka = ra[x->m.aspect];
        x->kb = rb[x->m.annot];
        x->km = x->m.model < 0 ? rt->n_models : rm[x->m.model];
        double v = x->m.mean.v;
        x->v = isnan(v) ? INFINITY : stats_rating_lower_better(rt->aspects[x->m.aspect]) ? v : -v;
    }
    if (ng > 1)
        qsort(k, (size_t)ng, sizeof *k, mean_cmp);
    *out = xcalloc((size_t)ng + 1, sizeof **out);
    *n_out = ng;
    for (int g = 0; g < ng; g++)
        (*out)[g] = k[g].m;
    free(k);
    free(oa);
    free(ob);
    free(om);
    free(ra);
    free(rb);
    free(rm);
    free(e);
    free(n);
    free(num);
    free(den);
    free(gid);
    stats_sums_free(&s);
}
