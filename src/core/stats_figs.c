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

/* first[u * NA + a]: the first judgment of annotator a on unit u presented in
 * canonical order (fwd) and reversed (rev); -1 when none. */
static void
first_by_order(const struct stats_table *t, int *fwd, int *rev)
{
    size_t n = (size_t)t->n_units * (size_t)t->n_annot;
    for (size_t i = 0; i < n; i++)
        fwd[i] = rev[i] = -1;
    for (int i = 0; i < t->n_rows; i++) {
        const struct stats_jrow *r = &t->rows[i];
        int *slot = (r->reversed ? rev : fwd) + (size_t)r->unit * (size_t)t->n_annot + r->annot;
        if (*slot < 0)
            *slot = r->cls;
    }
}

void
stats_reference_labels(const struct stats_table *t, const int *ref, int n_ref, int *out)
{
    size_t n = (size_t)t->n_units * (size_t)t->n_annot + 1;
    int *fwd = xmalloc(n * sizeof *fwd), *rev = xmalloc(n * sizeof *rev);
    int *votes = xcalloc((size_t)n_ref + 1, sizeof *votes);
    first_by_order(t, fwd, rev);
    for (int u = 0; u < t->n_units; u++) {
        for (int i = 0; i < n_ref; i++) {
            size_t k = (size_t)u * (size_t)t->n_annot + ref[i];
            int l = fwd[k] >= 0 ? fwd[k] : rev[k];
            votes[i] = l == STATS_INVALID ? -1 : l;
        }
        out[u] = n_ref <= 0   ? -1
                 : n_ref == 1 ? votes[0]
                              : stats_majority(votes, n_ref, STATS_NCLASS);
    }
    free(votes);
    free(fwd);
    free(rev);
}

/* ---- right in both orders ---- */

static const char b_first_suffix[] = " [b first]";

/* The annotator named "<name of a> [b first]", or -1. */
static int
partner_of(const struct stats_table *t, int a)
{
    size_t len = strlen(t->annotators[a]);
    for (int p = 0; p < t->n_annot; p++) {
        const char *nm = t->annotators[p];
        if (p != a && strlen(nm) == len + sizeof b_first_suffix - 1 &&
            !strncmp(nm, t->annotators[a], len) && !strcmp(nm + len, b_first_suffix))
            return p;
    }
    return -1;
}

static int
is_partner(const struct stats_table *t, int p)
{
    for (int a = 0; a < t->n_annot; a++)
        if (partner_of(t, a) == p)
            return 1;
    return 0;
}

/* slots of one judge: first right, second right, both right, consistent, units */
enum { BO_FIRST, BO_SECOND, BO_BOTH, BO_CONS, BO_UNITS, BO_NSLOT };

void
stats_both_orders_compute(const struct stats_table *t, const int *annots, int n_annots,
                          const int *ref, int n_ref, int invalid_as_tie,
                          const struct stats_fig_opts *o, struct stats_both_orders **out,
                          int *n_out)
{
    *out = NULL;
    *n_out = 0;
    size_t n = (size_t)t->n_units * (size_t)t->n_annot + 1;
    int *fwd = xmalloc(n * sizeof *fwd), *rev = xmalloc(n * sizeof *rev);
    int *refl = xmalloc(((size_t)t->n_units + 1) * sizeof *refl);
    int *unit_item = xcalloc((size_t)t->n_units + 1, sizeof *unit_item);
    first_by_order(t, fwd, rev);
    stats_reference_labels(t, ref, n_ref, refl);
    for (int i = 0; i < t->n_rows; i++)
        unit_item[t->rows[i].unit] = t->rows[i].item;
    int n_judge = annots ? n_annots : t->n_annot;
    *out = xcalloc((size_t)n_judge + 1, sizeof **out);
    for (int j = 0; j < n_judge; j++) {
        int a = annots ? annots[j] : j;
        if ((n_ref == 1 && a == ref[0]) || is_partner(t, a))
            continue;
        int p = partner_of(t, a);
        struct stats_sums s;
        stats_sums_init(&s, t->n_items, BO_NSLOT);
        for (int u = 0; u < t->n_units; u++) {
            size_t ka = (size_t)u * (size_t)t->n_annot + a;
            size_t kp = p >= 0 ? (size_t)u * (size_t)t->n_annot + p : 0;
            int f = fwd[ka] >= 0 ? fwd[ka] : p >= 0 ? fwd[kp] : -1;
            int r = rev[ka] >= 0 ? rev[ka] : p >= 0 ? rev[kp] : -1;
            if (refl[u] < 0 || f < 0 || r < 0)
                continue;
            int cons = f == r && f != STATS_INVALID;
            if (invalid_as_tie) {
                f = f == STATS_INVALID ? STATS_TIE : f;
                r = r == STATS_INVALID ? STATS_TIE : r;
            }
            int it = unit_item[u];
            stats_sums_add(&s, it, BO_UNITS, 1);
            stats_sums_add(&s, it, BO_FIRST, f == refl[u]);
            stats_sums_add(&s, it, BO_SECOND, r == refl[u]);
            stats_sums_add(&s, it, BO_BOTH, f == refl[u] && r == refl[u]);
            stats_sums_add(&s, it, BO_CONS, cons);
        }
        if (s.n > 0) {
            static const int num[4] = {BO_BOTH, BO_FIRST, BO_SECOND, BO_CONS};
            static const int den[4] = {BO_UNITS, BO_UNITS, BO_UNITS, BO_UNITS};
            struct stats_est e[4];
            double d[4];
            stats_sums_ratios(&s, num, den, 4, o, e, d);
            (*out)[(*n_out)++] = (struct stats_both_orders){
                .annot = a,
                .partner = p,
                .units = d[0],
                .both = e[0],
                .first = e[1],
                .second = e[2],
                .consistency = e[3],
            };
        }
        stats_sums_free(&s);
    }
    free(fwd);
    free(rev);
    free(refl);
    free(unit_item);
}

/* ---- win / tie / loss ---- */

/* Indices 0..n-1 ordered by names[i] (insertion sort: the lists are short). */
static int *
name_order(char *const *names, int n)
{
    int *o = xmalloc(((size_t)n + 1) * sizeof *o);
    for (int i = 0; i < n; i++) {
        int pos = i;
        while (pos > 0 && strcmp(names[o[pos - 1]], names[i]) > 0) {
            o[pos] = o[pos - 1];
            pos--;
        }
        o[pos] = i;
    }
    return o;
}

void
stats_wtl_compute(const struct stats_table *t, const int *annots, int n_annots,
                  struct stats_wtl **out, int *n_out)
{
    int NM = t->n_models, NA = t->n_annot;
    int *sel = xcalloc((size_t)NA + 1, sizeof *sel);
    for (int i = 0; i < (annots ? n_annots : NA); i++)
        sel[annots ? annots[i] : i] = 1;
    /* counts[(a * NM + m1) * NM + m2][4] with m1 < m2 as indices */
    size_t cells = (size_t)NA * (size_t)NM * (size_t)NM;
    double *cnt = xcalloc(cells * 4 + 1, sizeof *cnt);
    for (int i = 0; i < t->n_rows; i++) {
        const struct stats_jrow *r = &t->rows[i];
        if (!sel[r->annot] || r->model_lo < 0 || r->model_hi < 0 || r->model_lo == r->model_hi)
            continue;
        int lo_first = r->model_lo < r->model_hi;
        int m1 = lo_first ? r->model_lo : r->model_hi, m2 = lo_first ? r->model_hi : r->model_lo;
        double *c = cnt + (((size_t)r->annot * NM + m1) * NM + m2) * 4;
        int k = r->cls == STATS_TIE               ? 1
                : r->cls == STATS_INVALID         ? 3
                : (r->cls == STATS_A) == lo_first ? 0
                                                  : 2;
        c[k] += r->weight;
    }
    *n_out = 0;
    *out = NULL;
    int cap = 0, *ord = name_order(t->models, NM);
    for (int a = 0; a < NA; a++)
        for (int i1 = 0; i1 < NM; i1++)
            for (int i2 = i1 + 1; i2 < NM; i2++) {
                int m1 = ord[i1], m2 = ord[i2], swap = m1 > m2;
                const double *c =
                    cnt + (((size_t)a * NM + (swap ? m2 : m1)) * NM + (size_t)(swap ? m1 : m2)) * 4;
                if (c[0] + c[1] + c[2] + c[3] <= 0)
                    continue;
                *out = xgrow(*out, sizeof **out, *n_out, &cap, 16);
                (*out)[(*n_out)++] = (struct stats_wtl){
                    .annot = a,
                    .m1 = m1,
                    .m2 = m2,
                    .win = swap ? c[2] : c[0],
                    .tie = c[1],
                    .loss = swap ? c[0] : c[2],
                    .invalid = c[3],
                };
            }
    free(ord);
    free(cnt);
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

int
stats_lc_baseline(const struct stats_table *t, int annot)
{
    int NM = t->n_models;
    double *in = xcalloc((size_t)NM + 1, sizeof *in),
           *first = xcalloc((size_t)NM + 1, sizeof *first);
    double total = 0;
    for (int i = 0; i < t->n_rows; i++) {
        const struct stats_jrow *r = &t->rows[i];
        if (r->annot != annot || r->cls == STATS_INVALID || r->model_lo < 0 || r->model_hi < 0 ||
            r->model_lo == r->model_hi)
            continue;
        total += 1;
        in[r->model_lo] += 1;
        in[r->model_hi] += 1;
        first[r->reversed ? r->model_hi : r->model_lo] += 1;
    }
    int best = -1;
    for (int m = 0; m < NM && total > 0; m++)
        if (in[m] == total && (best < 0 || first[m] > first[best]))
            best = m;
    free(in);
    free(first);
    return best;
}

/* The judgments of one model against the baseline, as GLM inputs. */
struct lc_data {
    double *pref, *lm, *lb, *w0, *w;
    int *item;
    size_t n;
};

void
stats_lc_compute(const struct stats_table *t, int annot, int baseline,
                 const struct stats_fig_opts *o, struct stats_lc_report *out)
{
    memset(out, 0, sizeof *out);
    out->annot = annot;
    out->baseline = baseline >= 0 ? baseline : stats_lc_baseline(t, annot);
    int B = out->baseline;
    if (B < 0)
        return;
    int NM = t->n_models;
    struct lc_data *d = xcalloc((size_t)NM + 1, sizeof *d);
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < t->n_rows; i++) {
            const struct stats_jrow *r = &t->rows[i];
            if (r->annot != annot || r->cls == STATS_INVALID || r->len_lo < 0 || r->len_hi < 0)
                continue;
            int m = r->model_lo == B ? r->model_hi : r->model_hi == B ? r->model_lo : -1;
            if (m < 0 || m == B)
                continue;
            struct lc_data *x = &d[m];
            if (pass == 0) {
                x->n++;
                continue;
            }
            double sl = !isnan(r->p_lo)     ? r->p_lo
                        : r->cls == STATS_A ? 1
                        : r->cls == STATS_B ? 0
                                            : 0.5;
            int lo_is_model = r->model_lo == m;
            x->pref[x->n] = lo_is_model ? sl : 1 - sl;
            x->lm[x->n] = (double)(lo_is_model ? r->len_lo : r->len_hi);
            x->lb[x->n] = (double)(lo_is_model ? r->len_hi : r->len_lo);
            x->w0[x->n] = r->weight;
            x->item[x->n] = r->item;
            x->n++;
        }
        if (pass == 0)
            for (int m = 0; m < NM; m++) {
                size_t cnt = d[m].n + 1;
                d[m].pref = xmalloc(cnt * sizeof(double));
                d[m].lm = xmalloc(cnt * sizeof(double));
                d[m].lb = xmalloc(cnt * sizeof(double));
                d[m].w0 = xmalloc(cnt * sizeof(double));
                d[m].w = xmalloc(cnt * sizeof(double));
                d[m].item = xmalloc(cnt * sizeof(int));
                d[m].n = 0;
            }
    }
    int *order = name_order(t->models, NM), n_m = 0;
    for (int i = 0; i < NM; i++)
        if (d[order[i]].n > 0)
            order[n_m++] = order[i];
    out->m = xcalloc((size_t)n_m + 1, sizeof *out->m);
    out->n_m = n_m;
    int nb = o->bootstrap > 0 ? o->bootstrap : 0;
    double *boot = xmalloc(((size_t)n_m * 2 * (size_t)nb + 1) * sizeof *boot);
    for (int k = 0; k < n_m; k++) {
        struct stats_lc_model *e = &out->m[k];
        const struct lc_data *x = &d[order[k]];
        e->model = order[k];
        stats_lc_minimal(x->pref, x->lm, x->lb, x->w0, x->n, &e->fit);
        e->win_rate.v = e->fit.win_rate;
        e->lc_win_rate.v = e->fit.lc_win_rate;
        e->win_rate.why = why_of(e->fit.n, e->win_rate.v, o->min_n);
        e->lc_win_rate.why = why_of(e->fit.n, e->lc_win_rate.v, o->min_n);
        if (e->win_rate.why)
            e->win_rate.v = e->lc_win_rate.v = NAN;
    }
    int *counts = xmalloc(((size_t)t->n_items + 1) * sizeof *counts);
    struct stats_rng rng;
    stats_rng_seed(&rng, o->seed);
    for (int b = 0; b < nb; b++) {
        memset(counts, 0, ((size_t)t->n_items + 1) * sizeof *counts);
        stats_rng_counts(&rng, (uint64_t)t->n_items, NULL, counts);
        for (int k = 0; k < n_m; k++) {
            struct lc_data *x = &d[order[k]];
            for (size_t i = 0; i < x->n; i++)
                x->w[i] = x->w0[i] * counts[x->item[i]];
            struct stats_lc_fit f;
            stats_lc_minimal(x->pref, x->lm, x->lb, x->w, x->n, &f);
            boot[(size_t)(2 * k) * (size_t)nb + (size_t)b] = f.win_rate;
            boot[(size_t)(2 * k + 1) * (size_t)nb + (size_t)b] = f.lc_win_rate;
        }
    }
    for (int k = 0; k < n_m; k++) {
        struct stats_est e2[2] = {out->m[k].win_rate, out->m[k].lc_win_rate};
        fill_intervals(boot + (size_t)(2 * k) * (size_t)nb, 2, nb, o->level, e2);
        out->m[k].win_rate = e2[0];
        out->m[k].lc_win_rate = e2[1];
    }
    free(counts);
    free(boot);
    free(order);
    for (int m = 0; m < NM; m++) {
        free(d[m].pref);
        free(d[m].lm);
        free(d[m].lb);
        free(d[m].w0);
        free(d[m].w);
        free(d[m].item);
    }
    free(d);
}

void
stats_lc_report_free(struct stats_lc_report *r)
{
    free(r->m);
    memset(r, 0, sizeof *r);
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
