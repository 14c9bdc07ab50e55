/* Bradley-Terry and Elo leaderboards with bootstrap intervals (see stats_rank.h). */
#include "core/stats_rank.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

void
stats_rank_opts_init(struct stats_rank_opts *o)
{
    memset(o, 0, sizeof *o);
    o->bootstrap = 1000;
    o->seed = 1;
    o->level = 0.95;
    o->prior = 0.01;
    o->center = 1000;
    o->anchor = -1;
    o->anchor_rating = 1000;
    o->elo_k = 4;
    o->elo_init = 1000;
}

struct rank_ctx {
    const struct stats_table *t;
    const struct stats_rank_opts *o;
    int NM;
    char *use;                    /* [n_rows] row is a battle */
    int *item_first, *item_count; /* battle rows of each item (rows are item-ordered) */
    struct stats_battle *agg;     /* [NM*NM] aggregated per ordered pair (i<j) */
    struct stats_battle *seq;     /* battles in processing order (Elo) */
    size_t n_seq;
};

static double
row_score_lo(const struct stats_jrow *r)
{
    if (!isnan(r->p_lo))
        return r->p_lo;
    return r->cls == STATS_A ? 1 : r->cls == STATS_B ? 0 : 0.5;
}

/* BT and Elo ratings for item multiplicities given as a list of drawn items. */
static int
rate(struct rank_ctx *c, const int *items, int n_items, double *bt, double *elo)
{
    const struct stats_table *t = c->t;
    int NM = c->NM;
    /* the BT likelihood depends only on wins and games per pair: aggregate first */
    double *wins = xcalloc((size_t)NM * (size_t)NM + 1, sizeof *wins);
    double *games = xcalloc((size_t)NM * (size_t)NM + 1, sizeof *games);
    c->n_seq = 0;
    for (int k = 0; k < n_items; k++) {
        int it = items[k];
        for (int x = 0; x < c->item_count[it]; x++) {
            int ri = c->item_first[it] + x;
            if (!c->use[ri])
                continue;
            const struct stats_jrow *r = &t->rows[ri];
            double s = row_score_lo(r);
            int i = r->model_lo, j = r->model_hi;
            c->seq[c->n_seq++] = (struct stats_battle){i, j, s, r->weight};
            if (i > j) {
                int tmp = i;
                i = j;
                j = tmp;
                s = 1 - s;
            }
            wins[i * NM + j] += r->weight * s;
            games[i * NM + j] += r->weight;
        }
    }
    size_t na = 0;
    for (int i = 0; i < NM; i++)
        for (int j = i + 1; j < NM; j++)
            if (games[i * NM + j] > 0)
                c->agg[na++] = (struct stats_battle){i, j, wins[i * NM + j] / games[i * NM + j],
                                                     games[i * NM + j]};
    free(wins);
    free(games);
    int its = stats_bt(c->agg, na, NM, c->o->prior, c->o->center, bt);
    if (c->o->anchor >= 0 && c->o->anchor < NM && !isnan(bt[c->o->anchor])) {
        double shift = c->o->anchor_rating - bt[c->o->anchor];
        for (int m = 0; m < NM; m++)
            bt[m] += shift;
    }
    stats_elo(c->seq, c->n_seq, NM, c->o->elo_k, c->o->elo_init, elo);
    /* players absent from this resample have no Elo either */
    for (int m = 0; m < NM; m++)
        if (isnan(bt[m]))
            elo[m] = NAN;
    return its;
}

static int
cmp_entry(const void *a, const void *b)
{
    const struct stats_rank_entry *x = a, *y = b;
    double u = isnan(x->bt.v) ? -INFINITY : x->bt.v, v = isnan(y->bt.v) ? -INFINITY : y->bt.v;
    return (u < v) - (u > v);
}

void
stats_rank_compute(const struct stats_table *t, const struct stats_rank_opts *o,
                   struct stats_rank *out)
{
    memset(out, 0, sizeof *out);
    struct rank_ctx c = {.t = t, .o = o, .NM = t->n_models};
    int NM = c.NM, NI = t->n_items;
    c.use = xcalloc((size_t)t->n_rows + 1, 1);
    c.item_first = xcalloc((size_t)NI + 1, sizeof(int));
    c.item_count = xcalloc((size_t)NI + 1, sizeof(int));
    c.agg = xcalloc((size_t)NM * (size_t)NM + 1, sizeof *c.agg);
    c.seq = xcalloc((size_t)t->n_rows + 1, sizeof *c.seq);
    char *sel = xcalloc((size_t)t->n_annot + 1, 1);
    for (int a = 0; a < t->n_annot; a++)
        sel[a] = o->annots == NULL;
    for (int i = 0; i < o->n_annots && o->annots; i++)
        if (o->annots[i] >= 0 && o->annots[i] < t->n_annot)
            sel[o->annots[i]] = 1;
    double *battles = xcalloc((size_t)NM + 1, sizeof *battles);
    double *score = xcalloc((size_t)NM + 1, sizeof *score);
    for (int i = 0; i < t->n_rows; i++) {
        const struct stats_jrow *r = &t->rows[i];
        if (i == 0 || r->item != t->rows[i - 1].item)
            c.item_first[r->item] = i;
        c.item_count[r->item]++;
        c.use[i] = sel[r->annot] && r->cls != STATS_INVALID && r->model_lo >= 0 &&
                   r->model_hi >= 0 && r->model_lo != r->model_hi;
        if (c.use[i]) {
            double s = row_score_lo(r);
            battles[r->model_lo] += r->weight;
            battles[r->model_hi] += r->weight;
            score[r->model_lo] += r->weight * s;
            score[r->model_hi] += r->weight * (1 - s);
            out->n_battles += r->weight;
        }
    }
    free(sel);
    int *items = xcalloc((size_t)NI + 1, sizeof *items);
    int *mult = xcalloc((size_t)NI + 1, sizeof *mult);
    for (int i = 0; i < NI; i++)
        items[i] = i;
    double *bt = xcalloc((size_t)NM + 1, sizeof *bt), *elo = xcalloc((size_t)NM + 1, sizeof *elo);
    out->bt_iterations = rate(&c, items, NI, bt, elo);
    int B = o->bootstrap > 0 && NI > 0 ? o->bootstrap : 0;
    double *bbt = xcalloc((size_t)NM * (size_t)B + 1, sizeof *bbt);
    double *belo = xcalloc((size_t)NM * (size_t)B + 1, sizeof *belo);
    int *rank_lo = xcalloc((size_t)NM + 1, sizeof *rank_lo);
    int *rank_hi = xcalloc((size_t)NM + 1, sizeof *rank_hi);
    for (int m = 0; m < NM; m++)
        rank_lo[m] = NM + 1;
    if (B) {
        struct stats_rng rng;
        stats_rng_seed(&rng, o->seed);
        double *tb = xcalloc((size_t)NM + 1, sizeof *tb), *te = xcalloc((size_t)NM + 1, sizeof *te);
        for (int b = 0; b < B; b++) {
            /* draw with replacement, then visit in dataset order so that online Elo
             * in the resample is the same estimator as on the full data */
            memset(mult, 0, (size_t)NI * sizeof *mult);
            for (int i = 0; i < NI; i++)
                mult[stats_rng_below(&rng, (uint64_t)NI)]++;
            for (int i = 0, k = 0; i < NI; i++)
                for (int x = 0; x < mult[i]; x++)
                    items[k++] = i;
            rate(&c, items, NI, tb, te);
            for (int m = 0; m < NM; m++) {
                bbt[(size_t)m * (size_t)B + (size_t)b] = tb[m];
                belo[(size_t)m * (size_t)B + (size_t)b] = te[m];
                if (isnan(tb[m]))
                    continue;
                int rank = 1;
                for (int x = 0; x < NM; x++)
                    rank += !isnan(tb[x]) && tb[x] > tb[m];
                if (rank < rank_lo[m])
                    rank_lo[m] = rank;
                if (rank > rank_hi[m])
                    rank_hi[m] = rank;
            }
        }
        free(tb);
        free(te);
    }
    out->e = xcalloc((size_t)NM + 1, sizeof *out->e);
    for (int m = 0; m < NM; m++) {
        if (battles[m] <= 0)
            continue;
        struct stats_rank_entry *e = &out->e[out->n++];
        e->model = m;
        e->battles = battles[m];
        e->score = score[m];
        e->bt = (struct stats_est){bt[m], NAN, NAN};
        e->elo = (struct stats_est){elo[m], NAN, NAN};
        e->rank_lo = B ? rank_lo[m] : 0;
        e->rank_hi = B ? rank_hi[m] : 0;
        if (B) {
            stats_percentile_ci(bbt + (size_t)m * (size_t)B, (size_t)B, o->level, &e->bt.lo,
                                &e->bt.hi);
            stats_percentile_ci(belo + (size_t)m * (size_t)B, (size_t)B, o->level, &e->elo.lo,
                                &e->elo.hi);
        }
    }
    qsort(out->e, (size_t)out->n, sizeof *out->e, cmp_entry);
    free(bbt);
    free(belo);
    free(rank_lo);
    free(rank_hi);
    free(bt);
    free(elo);
    free(items);
    free(mult);
    free(battles);
    free(score);
    free(c.use);
    free(c.item_first);
    free(c.item_count);
    free(c.agg);
    free(c.seq);
}

void
stats_rank_free(struct stats_rank *r)
{
    free(r->e);
    memset(r, 0, sizeof *r);
}

void
stats_rank_json(const struct stats_rank *r, const struct stats_table *t,
                const struct stats_rank_opts *o, struct strbuf *sb)
{
    sb_printf(sb,
              "{\"battles\":%.10g,\"bootstrap\":%d,\"seed\":%llu,\"level\":%.10g,\"prior\":%.10g,"
              "\"bt_iterations\":%d,\"elo_k\":%.10g,\"anchor\":",
              r->n_battles, o->bootstrap, (unsigned long long)o->seed, o->level, o->prior,
              r->bt_iterations, o->elo_k);
    if (o->anchor >= 0 && o->anchor < t->n_models) {
        sb_puts(sb, "{\"model\":");
        sb_json_str(sb, t->models[o->anchor], strlen(t->models[o->anchor]));
        sb_printf(sb, ",\"rating\":%.10g}", o->anchor_rating);
    } else {
        sb_puts(sb, "null");
    }
    sb_puts(sb, ",\"models\":[");
    for (int i = 0; i < r->n; i++) {
        const struct stats_rank_entry *e = &r->e[i];
        sb_puts(sb, i ? ",\n {" : "\n {");
        sb_printf(sb, "\"rank\":%d,\"model\":", i + 1);
        const char *name = t->models[e->model];
        sb_json_str(sb, name, strlen(name));
        sb_printf(sb, ",\"battles\":%.10g,\"winrate\":", e->battles);
        stats_json_num(sb, e->battles > 0 ? e->score / e->battles : NAN);
        sb_putc(sb, ',');
        stats_json_est(sb, "bt", e->bt);
        sb_putc(sb, ',');
        stats_json_est(sb, "elo", e->elo);
        if (e->rank_lo > 0)
            sb_printf(sb, ",\"rank_range\":[%d,%d]", e->rank_lo, e->rank_hi);
        sb_putc(sb, '}');
    }
    sb_puts(sb, "]}\n");
}
