/* The evaluation report: every figure is a function of per-item multiplicities, so
 * the point estimate (all ones) and each bootstrap resample run the same code. */
#include "core/stats_report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/sanitize.h"
#include "core/width.h"
#include "core/xalloc.h"

/* ---- table ---- */

void
stats_table_free(struct stats_table *t)
{
    for (int i = 0; i < t->n_annot; i++)
        free(t->annotators[i]);
    for (int i = 0; i < t->n_models; i++)
        free(t->models[i]);
    free(t->annotators);
    free(t->models);
    free(t->rows);
    memset(t, 0, sizeof *t);
}

static int
name_index(char ***names, int *n, const char *name, int add)
{
    for (int i = 0; i < *n; i++)
        if (strcmp((*names)[i], name) == 0)
            return i;
    if (!add)
        return -1;
    *names = xrealloc(*names, (size_t)(*n + 1) * sizeof **names);
    (*names)[*n] = xstrdup(name);
    return (*n)++;
}

int
stats_table_annot(struct stats_table *t, const char *name)
{
    return name_index(&t->annotators, &t->n_annot, name, 1);
}

int
stats_table_model(struct stats_table *t, const char *name)
{
    return name_index(&t->models, &t->n_models, name, 1);
}

int
stats_table_find_annot(const struct stats_table *t, const char *name)
{
    char **names = t->annotators;
    int n = t->n_annot;
    return name_index(&names, &n, name, 0);
}

int
stats_table_match(const struct stats_table *t, const char *pattern, int *out, int *n, int max)
{
    size_t len = strlen(pattern);
    int prefix = len > 0 && pattern[len - 1] == '*', matched = 0;
    for (int a = 0; a < t->n_annot; a++) {
        const char *name = t->annotators[a];
        if (prefix ? strncmp(name, pattern, len - 1) != 0 : strcmp(name, pattern) != 0)
            continue;
        matched++;
        int seen = 0;
        for (int i = 0; i < *n; i++)
            seen |= out[i] == a;
        if (!seen && *n < max)
            out[(*n)++] = a;
    }
    return matched;
}

void
stats_table_add(struct stats_table *t, const struct stats_jrow *row)
{
    t->rows = xgrow(t->rows, sizeof *t->rows, t->n_rows, &t->cap_rows, 256);
    t->rows[t->n_rows++] = *row;
    if (row->item >= t->n_items)
        t->n_items = row->item + 1;
    if (row->unit >= t->n_units)
        t->n_units = row->unit + 1;
}

/* ---- evaluation context ---- */

#define PA_FIXED 20

struct ctx {
    const struct stats_table *t;
    const struct stats_opts *o;
    int NA, NS, NM;                   /* annotators in the table, selected, models */
    int *sel;                         /* [NS] table index */
    int *sel_of;                      /* [NA] selected index or -1 */
    int *unit_item;                   /* [n_units] */
    int *lab;                         /* [n_units*NA] canonical label (-1 missing) */
    int *ref;                         /* [n_units] reference class or -1 */
    int *pos_unit, *pos_sel, *pos_ok; /* units judged in both orders; pos_ok: 1 consistent,
                                       * 2 first-shown won both times, 3 second-shown */
    int n_pos;
    int *complete; /* units every selected annotator judged validly */
    int n_complete;
    int n_metrics, PA;
    /* scratch */
    double *acc;    /* per selected annotator accumulators */
    double *counts; /* [n_units*3] */
    double *uw;     /* [n_units] */
};

enum {
    AC_N,
    AC_INV,
    AC_SB,
    AC_WB,
    AC_CONS,
    AC_WCONS,
    AC_FIRST,
    AC_SECOND,
    AC_SL,
    AC_WL,
    AC_OK_FWD,
    AC_N_FWD,
    AC_OK_REV,
    AC_N_REV,
    AC_CONF,
    AC_FIXED = AC_CONF + 12
};
/* followed by per model: score, weight */

static int
acc_stride(const struct ctx *c)
{
    return AC_FIXED + 2 * c->NM;
}

static double
score_lo(const struct stats_jrow *r)
{
    if (!isnan(r->p_lo))
        return r->p_lo;
    return r->cls == STATS_A ? 1 : r->cls == STATS_B ? 0 : 0.5;
}

static void
ctx_init(struct ctx *c, const struct stats_table *t, const struct stats_opts *o)
{
    memset(c, 0, sizeof *c);
    c->t = t;
    c->o = o;
    c->NA = t->n_annot;
    c->NM = t->n_models;
    c->sel = xcalloc((size_t)c->NA + 1, sizeof *c->sel);
    c->sel_of = xcalloc((size_t)c->NA + 1, sizeof *c->sel_of);
    for (int a = 0; a < c->NA; a++)
        c->sel_of[a] = -1;
    if (o->annots) {
        for (int i = 0; i < o->n_annots; i++)
            if (o->annots[i] >= 0 && o->annots[i] < c->NA && c->sel_of[o->annots[i]] < 0) {
                c->sel_of[o->annots[i]] = c->NS;
                c->sel[c->NS++] = o->annots[i];
            }
    } else {
        for (int a = 0; a < c->NA; a++) {
            c->sel_of[a] = c->NS;
            c->sel[c->NS++] = a;
        }
    }
    size_t nu = (size_t)t->n_units;
    c->unit_item = xcalloc(nu + 1, sizeof *c->unit_item);
    c->lab = xmalloc((nu * (size_t)c->NA + 1) * sizeof *c->lab);
    int *lab_rev = xmalloc((nu * (size_t)c->NA + 1) * sizeof *lab_rev);
    int *fwd = xmalloc((nu * (size_t)c->NA + 1) * sizeof *fwd);
    int *rev = xmalloc((nu * (size_t)c->NA + 1) * sizeof *rev);
    for (size_t i = 0; i < nu * (size_t)c->NA; i++)
        c->lab[i] = lab_rev[i] = fwd[i] = rev[i] = -1;
    for (int i = 0; i < t->n_rows; i++) {
        const struct stats_jrow *r = &t->rows[i];
        size_t k = (size_t)r->unit * (size_t)c->NA + (size_t)r->annot;
        c->unit_item[r->unit] = r->item;
        /* The label of an annotator on a unit is its first judgment presented in
         * canonical order, else its first judgment. */
        if (c->lab[k] < 0 || (lab_rev[k] == 1 && !r->reversed)) {
            c->lab[k] = r->cls;
            lab_rev[k] = r->reversed;
        }
        int *slot = r->reversed ? &rev[k] : &fwd[k];
        if (*slot < 0)
            *slot = r->cls;
    }
    /* reference labels; invalid votes are missing */
    c->ref = xmalloc((nu + 1) * sizeof *c->ref);
    int *votes = xcalloc((size_t)o->n_ref + 1, sizeof *votes);
    for (size_t u = 0; u < nu; u++) {
        c->ref[u] = -1;
        if (o->n_ref <= 0)
            continue;
        for (int i = 0; i < o->n_ref; i++) {
            int l = c->lab[u * (size_t)c->NA + (size_t)o->ref[i]];
            votes[i] = l == STATS_INVALID ? -1 : l;
        }
        c->ref[u] = o->n_ref == 1 ? votes[0] : stats_majority(votes, o->n_ref, STATS_NCLASS);
    }
    free(votes);
    /* position consistency units */
    c->pos_unit = xmalloc((nu * (size_t)c->NA + 1) * sizeof(int));
    c->pos_sel = xmalloc((nu * (size_t)c->NA + 1) * sizeof(int));
    c->pos_ok = xmalloc((nu * (size_t)c->NA + 1) * sizeof(int));
    for (size_t u = 0; u < nu; u++)
        for (int s = 0; s < c->NS; s++) {
            size_t k = u * (size_t)c->NA + (size_t)c->sel[s];
            if (fwd[k] >= 0 && rev[k] >= 0) {
                c->pos_unit[c->n_pos] = (int)u;
                c->pos_sel[c->n_pos] = s;
                int f = fwd[k], b = rev[k];
                c->pos_ok[c->n_pos] = f == b && f != STATS_INVALID   ? 1
                                      : f == STATS_A && b == STATS_B ? 2
                                      : f == STATS_B && b == STATS_A ? 3
                                                                     : 0;
                c->n_pos++;
            }
        }
    c->complete = xmalloc((nu + 1) * sizeof *c->complete);
    for (size_t u = 0; u < nu && c->NS >= 2; u++) {
        int all = 1;
        for (int s = 0; s < c->NS && all; s++) {
            int l = c->lab[u * (size_t)c->NA + (size_t)c->sel[s]];
            all = l >= 0 && l != STATS_INVALID;
        }
        if (all)
            c->complete[c->n_complete++] = (int)u;
    }
    free(lab_rev);
    free(fwd);
    free(rev);
    c->PA = PA_FIXED + c->NM;
    c->n_metrics = c->NS * c->PA + c->NS * c->NS * 2 + 2;
    c->acc = xcalloc((size_t)c->NS * (size_t)acc_stride(c) + 1, sizeof *c->acc);
    c->counts = xcalloc(nu * 3 + 1, sizeof *c->counts);
    c->uw = xcalloc(nu + 1, sizeof *c->uw);
}

static void
ctx_free(struct ctx *c)
{
    free(c->sel);
    free(c->sel_of);
    free(c->unit_item);
    free(c->lab);
    free(c->ref);
    free(c->pos_unit);
    free(c->pos_sel);
    free(c->pos_ok);
    free(c->complete);
    free(c->acc);
    free(c->counts);
    free(c->uw);
}

static double
ratio(double s, double w)
{
    return w > 0 ? s / w : NAN;
}

/* Evaluate every metric for item multiplicities `mult` into out[n_metrics].  When
 * `rep` is given (the point estimate) the counts are stored there too. */
static void
eval_all(struct ctx *c, const double *mult, double *out, struct stats_report *rep)
{
    const struct stats_table *t = c->t;
    int stride = acc_stride(c);
    memset(c->acc, 0, (size_t)c->NS * (size_t)stride * sizeof *c->acc);
    for (int i = 0; i < t->n_rows; i++) {
        const struct stats_jrow *r = &t->rows[i];
        int s = c->sel_of[r->annot];
        if (s < 0)
            continue;
        double w = mult[r->item] * r->weight;
        if (w == 0)
            continue;
        double *A = c->acc + (size_t)s * (size_t)stride;
        A[AC_N] += w;
        int ref = c->ref[r->unit];
        if (ref >= 0) {
            int pred = r->cls;
            if (pred == STATS_INVALID && c->o->invalid_as_tie)
                pred = STATS_TIE;
            A[AC_CONF + ref * 4 + pred] += w;
            A[r->reversed ? AC_N_REV : AC_N_FWD] += w;
            A[r->reversed ? AC_OK_REV : AC_OK_FWD] += w * (pred == ref);
        }
        if (r->cls == STATS_INVALID) {
            A[AC_INV] += w;
            continue;
        }
        double sl = score_lo(r);
        A[AC_SB] += w * (r->reversed ? sl : 1 - sl);
        A[AC_WB] += w;
        if (r->len_lo >= 0 && r->len_hi >= 0 && r->len_lo != r->len_hi) {
            A[AC_SL] += w * (r->len_lo > r->len_hi ? sl : 1 - sl);
            A[AC_WL] += w;
        }
        if (r->model_lo >= 0 && r->model_hi >= 0 && r->model_lo != r->model_hi) {
            A[AC_FIXED + 2 * r->model_lo] += w * sl;
            A[AC_FIXED + 2 * r->model_lo + 1] += w;
            A[AC_FIXED + 2 * r->model_hi] += w * (1 - sl);
            A[AC_FIXED + 2 * r->model_hi + 1] += w;
        }
    }
    for (int p = 0; p < c->n_pos; p++) {
        double w = mult[c->unit_item[c->pos_unit[p]]];
        double *A = c->acc + (size_t)c->pos_sel[p] * (size_t)stride;
        A[AC_CONS] += w * (c->pos_ok[p] == 1);
        A[AC_FIRST] += w * (c->pos_ok[p] == 2);
        A[AC_SECOND] += w * (c->pos_ok[p] == 3);
        A[AC_WCONS] += w;
    }
    for (int s = 0; s < c->NS; s++) {
        double *A = c->acc + (size_t)s * (size_t)stride;
        double *M = out + (size_t)s * (size_t)c->PA;
        M[0] = ratio(A[AC_SB], A[AC_WB]);
        M[1] = ratio(A[AC_CONS], A[AC_WCONS]);
        M[2] = ratio(A[AC_SL], A[AC_WL]);
        struct stats_cls cls;
        stats_classify(A + AC_CONF, STATS_NCLASS, 4, &cls);
        M[3] = cls.accuracy;
        M[4] = cls.macro_p;
        M[5] = cls.macro_r;
        M[6] = cls.macro_f1;
        for (int k = 0; k < STATS_NCLASS; k++) {
            double defined = cls.n > 0 ? 1 : NAN;
            M[7 + k] = cls.p[k] * defined;
            M[10 + k] = cls.r[k] * defined;
            M[13 + k] = cls.f1[k] * defined;
        }
        M[16] = ratio(A[AC_OK_FWD], A[AC_N_FWD]);
        M[17] = ratio(A[AC_OK_REV], A[AC_N_REV]);
        M[18] = ratio(A[AC_FIRST], A[AC_WCONS]);
        M[19] = ratio(A[AC_SECOND], A[AC_WCONS]);
        for (int m = 0; m < c->NM; m++)
            M[PA_FIXED + m] = ratio(A[AC_FIXED + 2 * m], A[AC_FIXED + 2 * m + 1]);
        if (rep) {
            struct stats_annot_report *ar = &rep->annot[s];
            ar->n = A[AC_N];
            ar->n_invalid = A[AC_INV];
            ar->n_pos_units = A[AC_WCONS];
            ar->n_len = A[AC_WL];
            ar->n_ref = cls.n;
            ar->n_ref_fwd = A[AC_N_FWD];
            ar->n_ref_rev = A[AC_N_REV];
            for (int x = 0; x < STATS_NCLASS; x++)
                for (int y = 0; y < 4; y++)
                    ar->conf[x][y] = A[AC_CONF + x * 4 + y];
            for (int m = 0; m < c->NM; m++)
                ar->model_n[m] = A[AC_FIXED + 2 * m + 1];
        }
    }
    /* pairwise agreement over units both annotators labelled validly */
    double *P = out + (size_t)c->NS * (size_t)c->PA;
    size_t nu = (size_t)t->n_units;
    int pi = 0;
    for (int s1 = 0; s1 < c->NS; s1++)
        for (int s2 = s1 + 1; s2 < c->NS; s2++, pi++) {
            double tab[9] = {0};
            for (size_t u = 0; u < nu; u++) {
                int l1 = c->lab[u * (size_t)c->NA + (size_t)c->sel[s1]];
                int l2 = c->lab[u * (size_t)c->NA + (size_t)c->sel[s2]];
                if (l1 < 0 || l2 < 0 || l1 == STATS_INVALID || l2 == STATS_INVALID)
                    continue;
                tab[l1 * 3 + l2] += mult[c->unit_item[u]];
            }
            stats_cohen(tab, 3, &P[2 * pi], &P[2 * pi + 1]);
            if (rep) {
                double n = 0;
                for (int k = 0; k < 9; k++)
                    n += tab[k];
                rep->pairs[pi].n = n;
            }
        }
    double *G = out + c->n_metrics - 2;
    /* Fleiss over units every selected annotator judged validly */
    for (int i = 0; i < c->n_complete; i++) {
        int u = c->complete[i];
        double *row = c->counts + (size_t)i * 3;
        row[0] = row[1] = row[2] = 0;
        for (int s = 0; s < c->NS; s++)
            row[c->lab[(size_t)u * (size_t)c->NA + (size_t)c->sel[s]]] += 1;
        c->uw[i] = mult[c->unit_item[u]];
    }
    G[0] = c->NS >= 2 ? stats_fleiss(c->counts, c->uw, (size_t)c->n_complete, 3, NULL) : NAN;
    /* Krippendorff over every unit (missing and invalid values allowed) */
    double alpha_units = 0;
    for (size_t u = 0; u < nu; u++) {
        double *row = c->counts + u * 3;
        row[0] = row[1] = row[2] = 0;
        int m = 0;
        for (int s = 0; s < c->NS; s++) {
            int l = c->lab[u * (size_t)c->NA + (size_t)c->sel[s]];
            if (l >= 0 && l != STATS_INVALID) {
                row[l] += 1;
                m++;
            }
        }
        c->uw[u] = mult[c->unit_item[u]];
        if (m >= 2)
            alpha_units += c->uw[u];
    }
    G[1] = c->NS >= 2 ? stats_kripp_alpha_nominal(c->counts, c->uw, nu, 3) : NAN;
    if (rep) {
        double fu = 0, ru = 0;
        for (int i = 0; i < c->n_complete; i++)
            fu += mult[c->unit_item[c->complete[i]]];
        for (size_t u = 0; u < nu; u++)
            if (c->ref[u] >= 0)
                ru += mult[c->unit_item[u]];
        rep->fleiss_units = c->NS >= 2 ? fu : 0;
        rep->alpha_units = alpha_units;
        rep->n_ref_units = ru;
    }
}

/* ---- items grouped into classes ----
 *
 * Every figure is a function of sums over items of mult[item] x (what the item's
 * judgments add), so items whose judgments are alike in everything the report reads
 * (annotator, verdict, score, weight, order, models, which response is longer, and
 * which judgments share a pair) add the same and can be counted together: a resample
 * is rated from per-class counts, over one representative item per class.  Arena
 * style data (a few models, discrete verdicts) has a few thousand classes for
 * hundreds of thousands of items. */

struct row_key { /* what eval_all and ctx_init read of a row; padding zeroed */
    int unit_local, annot, cls, reversed, model_lo, model_hi, len_order;
    int pad;
    uint64_t p_bits, w_bits;
};

struct item_classes {
    struct stats_table t; /* one item per class (names borrowed from the source table) */
    int *class_of;        /* [source n_items] */
    double *size;         /* [n_classes] items in the class */
    int n;
};

static uint64_t
double_bits(double v)
{
    uint64_t b;
    if (isnan(v))
        v = NAN;
    memcpy(&b, &v, sizeof b);
    return b;
}

static void
classes_build(const struct stats_table *t, struct item_classes *ic)
{
    memset(ic, 0, sizeof *ic);
    int NI = t->n_items;
    /* the rows of each item, in table order (a counting sort) */
    int *first = xcalloc((size_t)NI + 2, sizeof *first);
    for (int i = 0; i < t->n_rows; i++)
        first[t->rows[i].item + 1]++;
    for (int it = 0; it < NI; it++)
        first[it + 1] += first[it];
    int *order = xmalloc(((size_t)t->n_rows + 1) * sizeof *order);
    int *fill = xcalloc((size_t)NI + 1, sizeof *fill);
    for (int i = 0; i < t->n_rows; i++)
        order[first[t->rows[i].item] + fill[t->rows[i].item]++] = i;
    free(fill);
    struct row_key *key = xcalloc((size_t)t->n_rows + 1, sizeof *key);
    int *n_units = xcalloc((size_t)NI + 1, sizeof *n_units);
    for (int it = 0; it < NI; it++)
        for (int k = first[it]; k < first[it + 1]; k++) {
            const struct stats_jrow *r = &t->rows[order[k]];
            int ul = 0; /* the unit's rank of first appearance within the item */
            while (ul < n_units[it] && key[first[it] + ul].pad != r->unit)
                ul++;
            struct row_key *x = &key[k];
            memset(x, 0, sizeof *x);
            x->unit_local = ul;
            x->annot = r->annot;
            x->cls = r->cls;
            x->reversed = r->reversed;
            x->model_lo = r->model_lo;
            x->model_hi = r->model_hi;
            x->len_order = r->len_lo < 0 || r->len_hi < 0 ? 3
                           : r->len_lo > r->len_hi        ? 1
                           : r->len_lo < r->len_hi        ? 2
                                                          : 0;
            x->p_bits = double_bits(r->p_lo);
            x->w_bits = double_bits(r->weight);
            if (ul == n_units[it])
                n_units[it]++;
            /* remember unit ids in the pad of the item's first keys while building */
            key[first[it] + ul].pad = r->unit;
        }
    for (int k = 0; k < t->n_rows; k++)
        key[k].pad = 0;
    /* hash the items' key runs into classes */
    size_t cap = 16;
    while (cap < 2 * (size_t)NI + 2)
        cap *= 2;
    int *slot = xmalloc(cap * sizeof *slot);
    for (size_t i = 0; i < cap; i++)
        slot[i] = -1;
    int *rep = xmalloc(((size_t)NI + 1) * sizeof *rep); /* class -> representative item */
    ic->class_of = xmalloc(((size_t)NI + 1) * sizeof *ic->class_of);
    ic->size = xcalloc((size_t)NI + 1, sizeof *ic->size);
    for (int it = 0; it < NI; it++) {
        size_t len = (size_t)(first[it + 1] - first[it]) * sizeof *key;
        const unsigned char *bytes = (const unsigned char *)(key + first[it]);
        uint64_t h = 1469598103934665603ULL ^ len;
        for (size_t b = 0; b < len; b++)
            h = (h ^ bytes[b]) * 1099511628211ULL;
        size_t pos = (size_t)(h & (cap - 1));
        int cls = -1;
        for (; slot[pos] >= 0; pos = (pos + 1) & (cap - 1)) {
            int o = rep[slot[pos]];
            if ((size_t)(first[o + 1] - first[o]) * sizeof *key == len &&
                memcmp(key + first[o], key + first[it], len) == 0) {
                cls = slot[pos];
                break;
            }
        }
        if (cls < 0) {
            cls = ic->n++;
            slot[pos] = cls;
            rep[cls] = it;
            /* the representative's rows, renumbered: item = class, units dense */
            int base = ic->t.n_units;
            for (int k = first[it]; k < first[it + 1]; k++) {
                struct stats_jrow r = t->rows[order[k]];
                r.item = cls;
                r.unit = base + key[k].unit_local;
                stats_table_add(&ic->t, &r);
            }
            ic->t.n_units = base + n_units[it];
        }
        ic->class_of[it] = cls;
        ic->size[cls] += 1;
    }
    ic->t.n_items = ic->n;
    ic->t.annotators = t->annotators;
    ic->t.n_annot = t->n_annot;
    ic->t.models = t->models;
    ic->t.n_models = t->n_models;
    free(slot);
    free(rep);
    free(key);
    free(n_units);
    free(order);
    free(first);
}

static void
classes_free(struct item_classes *ic)
{
    free(ic->t.rows);
    free(ic->class_of);
    free(ic->size);
}

static struct stats_est
est(const double *point, const double *lo, const double *hi, int k)
{
    struct stats_est e = {point[k], lo ? lo[k] : NAN, hi ? hi[k] : NAN, STATS_WHY_NONE};
    if (isnan(e.v))
        e.lo = e.hi = NAN;
    return e;
}

const char *
stats_why_text(int why)
{
    switch (why) {
    case STATS_WHY_NO_DATA: return "no data";
    case STATS_WHY_SMALL_N: return "n too small";
    case STATS_WHY_NO_COMMON: return "no unit judged by all annotators";
    case STATS_WHY_ONE_CLASS: return "undefined: every label is the same class";
    case STATS_WHY_ONE_ANNOTATOR: return "needs two annotators";
    default: return "";
    }
}

/* Withhold an estimate whose n is below the minimum, and say why any missing one is
 * missing (`undefined`: the reason when n suffices but the figure is undefined). */
static void
gate(struct stats_est *e, double n, double min_n, int undefined)
{
    int why = n <= 0                   ? STATS_WHY_NO_DATA
              : min_n > 0 && n < min_n ? STATS_WHY_SMALL_N
              : isnan(e->v)            ? undefined
                                       : STATS_WHY_NONE;
    if (why != STATS_WHY_NONE)
        *e = (struct stats_est){NAN, NAN, NAN, why};
}

static void
gate_report(struct stats_report *r, int n_models)
{
    double mn = r->opts.min_n;
    for (int s = 0; s < r->n_annot; s++) {
        struct stats_annot_report *a = &r->annot[s];
        gate(&a->winrate_b, a->n - a->n_invalid, mn, STATS_WHY_NO_DATA);
        gate(&a->consistency, a->n_pos_units, mn, STATS_WHY_NO_DATA);
        gate(&a->first_wins, a->n_pos_units, mn, STATS_WHY_NO_DATA);
        gate(&a->second_wins, a->n_pos_units, mn, STATS_WHY_NO_DATA);
        gate(&a->longer_wins, a->n_len, mn, STATS_WHY_NO_DATA);
        struct stats_est *by_ref[] = {&a->accuracy, &a->macro_p, &a->macro_r, &a->macro_f1};
        for (size_t k = 0; k < sizeof by_ref / sizeof *by_ref; k++)
            gate(by_ref[k], a->n_ref, mn, STATS_WHY_NO_DATA);
        for (int k = 0; k < STATS_NCLASS; k++) {
            gate(&a->p[k], a->n_ref, mn, STATS_WHY_NO_DATA);
            gate(&a->r[k], a->n_ref, mn, STATS_WHY_NO_DATA);
            gate(&a->f1[k], a->n_ref, mn, STATS_WHY_NO_DATA);
        }
        gate(&a->accuracy_fwd, a->n_ref_fwd, mn, STATS_WHY_NO_DATA);
        gate(&a->accuracy_rev, a->n_ref_rev, mn, STATS_WHY_NO_DATA);
        for (int m = 0; m < n_models; m++)
            gate(&a->model_winrate[m], a->model_n[m], mn, STATS_WHY_NO_DATA);
    }
    for (int k = 0; k < r->n_pairs; k++) {
        gate(&r->pairs[k].agreement, r->pairs[k].n, mn, STATS_WHY_NO_DATA);
        gate(&r->pairs[k].kappa, r->pairs[k].n, mn, STATS_WHY_ONE_CLASS);
    }
    if (r->n_annot < 2) {
        r->fleiss = r->alpha = (struct stats_est){NAN, NAN, NAN, STATS_WHY_ONE_ANNOTATOR};
        return;
    }
    gate(&r->fleiss, r->fleiss_units, mn, STATS_WHY_ONE_CLASS);
    if (r->fleiss.why == STATS_WHY_NO_DATA)
        r->fleiss.why = STATS_WHY_NO_COMMON;
    gate(&r->alpha, r->alpha_units, mn, STATS_WHY_ONE_CLASS);
}

void
stats_report_compute(const struct stats_table *t, const struct stats_opts *o,
                     struct stats_report *out)
{
    memset(out, 0, sizeof *out);
    out->table = t;
    out->opts = *o;
    if (out->opts.level <= 0 || out->opts.level >= 1)
        out->opts.level = 0.95;
    struct item_classes ic;
    classes_build(t, &ic);
    struct ctx c;
    ctx_init(&c, &ic.t, &out->opts);
    out->n_annot = c.NS;
    out->annot = xcalloc((size_t)c.NS + 1, sizeof *out->annot);
    for (int s = 0; s < c.NS; s++) {
        out->annot[s].annot = c.sel[s];
        out->annot[s].model_winrate = xcalloc((size_t)c.NM + 1, sizeof(struct stats_est));
        out->annot[s].model_n = xcalloc((size_t)c.NM + 1, sizeof(double));
        out->annot[s].model_len = xcalloc((size_t)c.NM + 1, sizeof(double));
    }
    out->n_pairs = c.NS * (c.NS - 1) / 2;
    out->pairs = xcalloc((size_t)out->n_pairs + 1, sizeof *out->pairs);
    for (int s1 = 0, k = 0; s1 < c.NS; s1++)
        for (int s2 = s1 + 1; s2 < c.NS; s2++, k++) {
            out->pairs[k].a = s1;
            out->pairs[k].b = s2;
        }
    size_t ni = (size_t)t->n_items, nc = (size_t)ic.n, nm = (size_t)c.n_metrics;
    double *mult = xmalloc((nc + 1) * sizeof *mult); /* per class */
    double *point = xmalloc(nm * sizeof *point);
    memcpy(mult, ic.size, nc * sizeof *mult);
    eval_all(&c, mult, point, out);
    /* mean response length per model (AlpacaEval's avg_length), valid or not */
    double *lsum = xcalloc((size_t)c.NS * (size_t)c.NM + 1, sizeof *lsum);
    double *lcnt = xcalloc((size_t)c.NS * (size_t)c.NM + 1, sizeof *lcnt);
    for (int i = 0; i < t->n_rows; i++) {
        const struct stats_jrow *r = &t->rows[i];
        int s = c.sel_of[r->annot];
        if (s < 0)
            continue;
        size_t base = (size_t)s * (size_t)c.NM;
        if (r->model_lo >= 0 && r->len_lo >= 0) {
            lsum[base + (size_t)r->model_lo] += (double)r->len_lo;
            lcnt[base + (size_t)r->model_lo] += 1;
        }
        if (r->model_hi >= 0 && r->len_hi >= 0) {
            lsum[base + (size_t)r->model_hi] += (double)r->len_hi;
            lcnt[base + (size_t)r->model_hi] += 1;
        }
    }
    for (int s = 0; s < c.NS; s++)
        for (int m = 0; m < c.NM; m++) {
            size_t k = (size_t)s * (size_t)c.NM + (size_t)m;
            out->annot[s].model_len[m] = lcnt[k] > 0 ? lsum[k] / lcnt[k] : NAN;
        }
    free(lsum);
    free(lcnt);
    double *lo = NULL, *hi = NULL;
    int B = out->opts.bootstrap;
    if (B > 0 && ni > 0) {
        /* boot[k*B + b]: metric k in resample b, so each metric's draws are contiguous */
        double *boot = xmalloc(nm * (size_t)B * sizeof *boot);
        double *tmp = xmalloc(nm * sizeof *tmp);
        struct stats_rng rng;
        stats_rng_seed(&rng, out->opts.seed);
        int *draws = xmalloc((nc + 1) * sizeof *draws);
        for (int b = 0; b < B; b++) {
            memset(draws, 0, nc * sizeof *draws);
            stats_rng_counts(&rng, ni, ic.class_of, draws);
            for (size_t i = 0; i < nc; i++)
                mult[i] = draws[i];
            eval_all(&c, mult, tmp, NULL);
            for (size_t k = 0; k < nm; k++)
                boot[k * (size_t)B + (size_t)b] = tmp[k];
        }
        free(draws);
        lo = xmalloc(nm * sizeof *lo);
        hi = xmalloc(nm * sizeof *hi);
        for (size_t k = 0; k < nm; k++)
            stats_percentile_ci(boot + k * (size_t)B, (size_t)B, out->opts.level, &lo[k], &hi[k]);
        free(boot);
        free(tmp);
    }
    for (int s = 0; s < c.NS; s++) {
        struct stats_annot_report *ar = &out->annot[s];
        int base = s * c.PA;
        ar->winrate_b = est(point, lo, hi, base + 0);
        ar->consistency = est(point, lo, hi, base + 1);
        ar->longer_wins = est(point, lo, hi, base + 2);
        ar->accuracy = est(point, lo, hi, base + 3);
        ar->macro_p = est(point, lo, hi, base + 4);
        ar->macro_r = est(point, lo, hi, base + 5);
        ar->macro_f1 = est(point, lo, hi, base + 6);
        for (int k = 0; k < STATS_NCLASS; k++) {
            ar->p[k] = est(point, lo, hi, base + 7 + k);
            ar->r[k] = est(point, lo, hi, base + 10 + k);
            ar->f1[k] = est(point, lo, hi, base + 13 + k);
        }
        ar->accuracy_fwd = est(point, lo, hi, base + 16);
        ar->accuracy_rev = est(point, lo, hi, base + 17);
        ar->first_wins = est(point, lo, hi, base + 18);
        ar->second_wins = est(point, lo, hi, base + 19);
        for (int m = 0; m < c.NM; m++)
            ar->model_winrate[m] = est(point, lo, hi, base + PA_FIXED + m);
    }
    int pbase = c.NS * c.PA;
    for (int k = 0; k < out->n_pairs; k++) {
        out->pairs[k].agreement = est(point, lo, hi, pbase + 2 * k);
        out->pairs[k].kappa = est(point, lo, hi, pbase + 2 * k + 1);
    }
    out->fleiss = est(point, lo, hi, c.n_metrics - 2);
    out->alpha = est(point, lo, hi, c.n_metrics - 1);
    gate_report(out, c.NM);
    free(lo);
    free(hi);
    free(point);
    free(mult);
    ctx_free(&c);
    classes_free(&ic);
}

void
stats_report_free(struct stats_report *r)
{
    for (int s = 0; s < r->n_annot; s++) {
        free(r->annot[s].model_winrate);
        free(r->annot[s].model_n);
        free(r->annot[s].model_len);
    }
    free(r->annot);
    free(r->pairs);
    memset(r, 0, sizeof *r);
}

void
stats_length_curve(const struct stats_table *t, int annot, const double *edges, int n_buckets,
                   double *rate, double *n)
{
    for (int k = 0; k < n_buckets; k++)
        rate[k] = n[k] = 0;
    for (int i = 0; i < t->n_rows; i++) {
        const struct stats_jrow *r = &t->rows[i];
        if (r->annot != annot || r->cls == STATS_INVALID || r->len_lo < 0 || r->len_hi < 0 ||
            r->len_lo == r->len_hi)
            continue;
        double mx = (double)(r->len_lo > r->len_hi ? r->len_lo : r->len_hi);
        double d = fabs((double)(r->len_lo - r->len_hi)) / mx;
        int k = 0;
        while (k < n_buckets - 1 && d >= edges[k + 1])
            k++;
        if (d < edges[0])
            continue;
        double sl = score_lo(r);
        rate[k] += r->weight * (r->len_lo > r->len_hi ? sl : 1 - sl);
        n[k] += r->weight;
    }
    for (int k = 0; k < n_buckets; k++)
        rate[k] = n[k] > 0 ? rate[k] / n[k] : NAN;
}

/* ---- text helpers ---- */

void
stats_bar(struct strbuf *sb, double frac, int width)
{
    static const char *const eighths[] = {"",       "\u258f", "\u258e", "\u258d",
                                          "\u258c", "\u258b", "\u258a", "\u2589"};
    int cells = 0;
    if (!isnan(frac)) {
        if (frac < 0)
            frac = 0;
        if (frac > 1)
            frac = 1;
        int units = (int)lround(frac * width * 8);
        for (; units >= 8; units -= 8, cells++)
            sb_puts(sb, "\u2588");
        if (units > 0) {
            sb_puts(sb, eighths[units]);
            cells++;
        }
    }
    for (; cells < width; cells++)
        sb_putc(sb, ' ');
}

void
stats_put_cell(struct strbuf *sb, const char *s, int cols)
{
    struct strbuf clean = STRBUF_INIT;
    text_sanitize(s ? s : "", s ? strlen(s) : 0, &clean, TEXT_SAN_ONELINE | TEXT_SAN_EXPAND_TABS);
    int used = 0;
    size_t w = text_width(clean.p ? clean.p : "", clean.len);
    if ((int)w <= cols) {
        sb_append(sb, sb_str(&clean), clean.len);
        used = (int)w;
    } else if (cols > 0) {
        size_t n = text_fit(sb_str(&clean), clean.len, cols - 1, &used);
        sb_append(sb, sb_str(&clean), n);
        sb_puts(sb, "\u2026");
        used++;
    }
    for (; used < cols; used++)
        sb_putc(sb, ' ');
    sb_free(&clean);
}

/* ---- JSON ---- */

void
stats_json_num(struct strbuf *sb, double v)
{
    if (isnan(v) || isinf(v))
        sb_puts(sb, "null");
    else
        sb_printf(sb, "%.10g", v);
}

void
stats_json_est(struct strbuf *sb, const char *key, struct stats_est e)
{
    sb_printf(sb, "\"%s\":{\"value\":", key);
    stats_json_num(sb, e.v);
    sb_puts(sb, ",\"ci\":[");
    stats_json_num(sb, e.lo);
    sb_putc(sb, ',');
    stats_json_num(sb, e.hi);
    sb_putc(sb, ']');
    if (e.why != STATS_WHY_NONE)
        sb_printf(sb, ",\"reason\":\"%s\"", stats_why_text(e.why));
    sb_putc(sb, '}');
}

static void
json_key_str(struct strbuf *sb, const char *key, const char *val)
{
    sb_printf(sb, "\"%s\":", key);
    sb_json_str(sb, val, strlen(val));
}

void
stats_report_json(const struct stats_report *r, struct strbuf *sb)
{
    const struct stats_table *t = r->table;
    sb_printf(sb, "{\"bootstrap\":%d,\"seed\":%llu,\"level\":", r->opts.bootstrap,
              (unsigned long long)r->opts.seed);
    stats_json_num(sb, r->opts.level);
    sb_puts(sb, ",\"min_n\":");
    stats_json_num(sb, r->opts.min_n);
    sb_puts(sb, ",\"reference\":");
    if (r->opts.n_ref > 0) {
        sb_printf(sb, "{\"rule\":\"%s\",\"annotators\":[",
                  r->opts.n_ref > 1 ? "majority" : "single");
        for (int i = 0; i < r->opts.n_ref; i++) {
            if (i)
                sb_putc(sb, ',');
            const char *n = t->annotators[r->opts.ref[i]];
            sb_json_str(sb, n, strlen(n));
        }
        sb_printf(sb, "],\"units\":%.10g,\"invalid_as\":\"%s\"}", r->n_ref_units,
                  r->opts.invalid_as_tie ? "tie" : "wrong");
    } else {
        sb_puts(sb, "null");
    }
    sb_puts(sb, ",\"annotators\":[");
    for (int s = 0; s < r->n_annot; s++) {
        const struct stats_annot_report *a = &r->annot[s];
        sb_puts(sb, s ? ",\n {" : "\n {");
        json_key_str(sb, "annotator", t->annotators[a->annot]);
        sb_printf(sb, ",\"n\":%.10g,\"invalid\":%.10g,", a->n, a->n_invalid);
        stats_json_est(sb, "winrate_b", a->winrate_b);
        sb_printf(sb, ",\"position\":{\"units\":%.10g,", a->n_pos_units);
        stats_json_est(sb, "consistency", a->consistency);
        sb_putc(sb, ',');
        stats_json_est(sb, "first_shown_wins_both", a->first_wins);
        sb_putc(sb, ',');
        stats_json_est(sb, "second_shown_wins_both", a->second_wins);
        sb_printf(sb, "},\"length\":{\"n\":%.10g,", a->n_len);
        stats_json_est(sb, "longer_wins", a->longer_wins);
        sb_puts(sb, "},\"models\":[");
        int first = 1;
        for (int m = 0; m < t->n_models; m++) {
            if (a->model_n[m] <= 0)
                continue;
            sb_puts(sb, first ? "{" : ",{");
            first = 0;
            json_key_str(sb, "model", t->models[m]);
            sb_printf(sb, ",\"n\":%.10g,\"avg_length\":", a->model_n[m]);
            stats_json_num(sb, a->model_len[m]);
            sb_putc(sb, ',');
            stats_json_est(sb, "winrate", a->model_winrate[m]);
            sb_putc(sb, '}');
        }
        sb_puts(sb, "]");
        if (r->opts.n_ref > 0) {
            sb_printf(sb, ",\"vs_reference\":{\"n\":%.10g,", a->n_ref);
            stats_json_est(sb, "accuracy", a->accuracy);
            sb_putc(sb, ',');
            stats_json_est(sb, "macro_precision", a->macro_p);
            sb_putc(sb, ',');
            stats_json_est(sb, "macro_recall", a->macro_r);
            sb_putc(sb, ',');
            stats_json_est(sb, "macro_f1", a->macro_f1);
            sb_printf(sb, ",\"by_order\":{\"canonical\":{\"n\":%.10g,", a->n_ref_fwd);
            stats_json_est(sb, "accuracy", a->accuracy_fwd);
            sb_printf(sb, "},\"reversed\":{\"n\":%.10g,", a->n_ref_rev);
            stats_json_est(sb, "accuracy", a->accuracy_rev);
            sb_puts(sb, "}}");
            sb_puts(sb, ",\"classes\":{");
            for (int k = 0; k < STATS_NCLASS; k++) {
                sb_printf(sb, "%s\"%s\":{", k ? "," : "", stats_class_name(k));
                stats_json_est(sb, "precision", a->p[k]);
                sb_putc(sb, ',');
                stats_json_est(sb, "recall", a->r[k]);
                sb_putc(sb, ',');
                stats_json_est(sb, "f1", a->f1[k]);
                sb_putc(sb, '}');
            }
            sb_puts(sb,
                    "},\"confusion\":{\"rows\":\"reference A,B,tie\",\"cols\":\"A,B,tie,invalid\","
                    "\"counts\":[");
            for (int x = 0; x < STATS_NCLASS; x++) {
                sb_puts(sb, x ? ",[" : "[");
                for (int y = 0; y < 4; y++) {
                    if (y)
                        sb_putc(sb, ',');
                    stats_json_num(sb, a->conf[x][y]);
                }
                sb_putc(sb, ']');
            }
            sb_puts(sb, "]}}");
        }
        sb_putc(sb, '}');
    }
    sb_puts(sb, "],\n\"agreement\":[");
    for (int k = 0; k < r->n_pairs; k++) {
        const struct stats_pair_report *p = &r->pairs[k];
        sb_puts(sb, k ? ",\n {" : "\n {");
        json_key_str(sb, "a", t->annotators[r->annot[p->a].annot]);
        sb_putc(sb, ',');
        json_key_str(sb, "b", t->annotators[r->annot[p->b].annot]);
        sb_printf(sb, ",\"n\":%.10g,", p->n);
        stats_json_est(sb, "agreement", p->agreement);
        sb_putc(sb, ',');
        stats_json_est(sb, "cohen_kappa", p->kappa);
        sb_putc(sb, '}');
    }
    sb_printf(sb, "],\n\"fleiss_kappa\":{\"units\":%.10g,", r->fleiss_units);
    stats_json_est(sb, "kappa", r->fleiss);
    sb_printf(sb, "},\"krippendorff_alpha\":{\"units\":%.10g,", r->alpha_units);
    stats_json_est(sb, "alpha", r->alpha);
    sb_puts(sb, "}}\n");
}
