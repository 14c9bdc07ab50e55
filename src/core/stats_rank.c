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

/* Resamples rated together in one pass over the items: online Elo is a chain of
 * dependent updates, and interleaving independent resamples lets the CPU overlap
 * their chains (several times the throughput of one resample at a time). */
#define RANK_BATCH 8

/* The battles grouped by item (in dataset order within an item), so that a resample
 * given as per-item multiplicities is rated without materialising its rows: a
 * resample may draw an item with many judgments many times, and its row count is
 * unbounded by the table's. */
struct rank_ctx {
    const struct stats_table *t;
    const struct stats_rank_opts *o;
    int NM, NI;
    struct stats_battle *bat; /* [n_bat] (model_lo, model_hi, score of lo, weight) */
    int *pair;                /* [n_bat] i*NM+j of the battle's pair, i < j */
    double *s_pair;           /* [n_bat] score of the pair's lower model index */
    int *bfirst;              /* [NI+1] item it's battles: bat[bfirst[it] .. bfirst[it+1]) */
    double *wins, *games;     /* [RANK_BATCH][NM*NM] scratch per resample */
    struct stats_battle *agg; /* [NM*NM] aggregated per pair (i<j) */
};

static double
row_score_lo(const struct stats_jrow *r)
{
    if (!isnan(r->p_lo))
        return r->p_lo;
    return r->cls == STATS_A ? 1 : r->cls == STATS_B ? 0 : 0.5;
}

/* BT and Elo ratings of nr <= RANK_BATCH resamples at once: resample r draws item it
 * mult[r*NI + it] times; bt and elo are [nr][NM].  Online Elo visits the items in
 * dataset order, each as many times as drawn, so in a resample it is the same
 * estimator as on the full data.  Returns the BT iterations of the last resample. */
static int
rate(struct rank_ctx *c, const int *mult, int nr, double *bt, double *elo)
{
    int NM = c->NM, NI = c->NI;
    size_t nn = (size_t)NM * (size_t)NM;
    const double k_elo = c->o->elo_k;
    /* the BT likelihood depends only on wins and games per pair: aggregate first */
    memset(c->wins, 0, (size_t)nr * nn * sizeof *c->wins);
    memset(c->games, 0, (size_t)nr * nn * sizeof *c->games);
    for (int i = 0; i < nr * NM; i++)
        elo[i] = c->o->elo_init;
    for (int it = 0; it < NI; it++) {
        int k0 = c->bfirst[it], k1 = c->bfirst[it + 1];
        for (int r = 0; r < nr; r++) {
            int times = mult[(size_t)r * (size_t)NI + (size_t)it];
            if (times <= 0)
                continue;
            double *wins = c->wins + (size_t)r * nn, *games = c->games + (size_t)r * nn;
            double *er = elo + (size_t)r * (size_t)NM;
            for (int k = k0; k < k1; k++) {
                double w = (double)times * c->bat[k].weight;
                wins[c->pair[k]] += w * c->s_pair[k];
                games[c->pair[k]] += w;
            }
            for (int x = 0; x < times; x++)
                for (int k = k0; k < k1; k++) {
                    const struct stats_battle *b = &c->bat[k];
                    if (b->weight == 1)
                        stats_elo_step(er, b->i, b->j, b->score, k_elo);
                    else
                        stats_elo_update(er, b, k_elo);
                }
        }
    }
    int its = 0;
    for (int r = 0; r < nr; r++) {
        double *wins = c->wins + (size_t)r * nn, *games = c->games + (size_t)r * nn;
        double *br = bt + (size_t)r * (size_t)NM, *er = elo + (size_t)r * (size_t)NM;
        size_t na = 0;
        for (int i = 0; i < NM; i++)
            for (int j = i + 1; j < NM; j++) {
                size_t p = (size_t)i * (size_t)NM + (size_t)j;
                if (games[p] > 0)
                    c->agg[na++] = (struct stats_battle){i, j, wins[p] / games[p], games[p]};
            }
        its = stats_bt(c->agg, na, NM, c->o->prior, c->o->center, br);
        /* players absent from this resample have no Elo either */
        for (int m = 0; m < NM; m++)
            if (isnan(br[m]))
                er[m] = NAN;
        int anchor = c->o->anchor;
        if (anchor >= 0 && anchor < NM) {
            /* a resample without the anchor has no rating on the anchored scale */
            double shift = isnan(br[anchor]) ? NAN : c->o->anchor_rating - br[anchor];
            for (int m = 0; m < NM; m++)
                br[m] += shift;
        }
    }
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
    struct rank_ctx c = {.t = t, .o = o, .NM = t->n_models, .NI = t->n_items};
    int NM = c.NM, NI = c.NI;
    size_t nn = (size_t)NM * (size_t)NM;
    char *sel = xcalloc((size_t)t->n_annot + 1, 1);
    for (int a = 0; a < t->n_annot; a++)
        sel[a] = o->annots == NULL;
    for (int i = 0; i < o->n_annots && o->annots; i++)
        if (o->annots[i] >= 0 && o->annots[i] < t->n_annot)
            sel[o->annots[i]] = 1;
    double *battles = xcalloc((size_t)NM + 1, sizeof *battles);
    double *score = xcalloc((size_t)NM + 1, sizeof *score);
    char *use = xcalloc((size_t)t->n_rows + 1, 1);
    /* counting sort of the battle rows by item: bfirst[it+1] counts item it first */
    c.bfirst = xcalloc((size_t)NI + 2, sizeof *c.bfirst);
    int n_bat = 0;
    for (int i = 0; i < t->n_rows; i++) {
        const struct stats_jrow *r = &t->rows[i];
        use[i] = r->item >= 0 && r->item < NI && r->annot >= 0 && r->annot < t->n_annot &&
                 sel[r->annot] && r->cls != STATS_INVALID && r->model_lo >= 0 && r->model_lo < NM &&
                 r->model_hi >= 0 && r->model_hi < NM && r->model_lo != r->model_hi &&
                 r->weight > 0;
        if (!use[i])
            continue;
        double s = row_score_lo(r);
        battles[r->model_lo] += r->weight;
        battles[r->model_hi] += r->weight;
        score[r->model_lo] += r->weight * s;
        score[r->model_hi] += r->weight * (1 - s);
        out->n_battles += r->weight;
        c.bfirst[r->item + 1]++;
        n_bat++;
    }
    free(sel);
    for (int it = 0; it < NI; it++)
        c.bfirst[it + 1] += c.bfirst[it];
    c.bat = xcalloc((size_t)n_bat + 1, sizeof *c.bat);
    c.pair = xcalloc((size_t)n_bat + 1, sizeof *c.pair);
    c.s_pair = xcalloc((size_t)n_bat + 1, sizeof *c.s_pair);
    int *fill = xcalloc((size_t)NI + 1, sizeof *fill);
    for (int i = 0; i < t->n_rows; i++) {
        if (!use[i])
            continue;
        const struct stats_jrow *r = &t->rows[i];
        int k = c.bfirst[r->item] + fill[r->item]++;
        double s = row_score_lo(r);
        c.bat[k] = (struct stats_battle){r->model_lo, r->model_hi, s, r->weight};
        int lo = r->model_lo < r->model_hi ? r->model_lo : r->model_hi;
        int hi = r->model_lo < r->model_hi ? r->model_hi : r->model_lo;
        c.pair[k] = lo * NM + hi;
        c.s_pair[k] = lo == r->model_lo ? s : 1 - s;
    }
    free(fill);
    free(use);
    c.wins = xcalloc(RANK_BATCH * nn + 1, sizeof *c.wins);
    c.games = xcalloc(RANK_BATCH * nn + 1, sizeof *c.games);
    c.agg = xcalloc(nn + 1, sizeof *c.agg);
    int *mult = xcalloc((size_t)RANK_BATCH * (size_t)NI + 1, sizeof *mult);
    double *bt = xcalloc((size_t)NM + 1, sizeof *bt), *elo = xcalloc((size_t)NM + 1, sizeof *elo);
    for (int i = 0; i < NI; i++)
        mult[i] = 1;
    out->bt_iterations = rate(&c, mult, 1, bt, elo);
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
        double *tb = xcalloc((size_t)RANK_BATCH * (size_t)NM + 1, sizeof *tb);
        double *te = xcalloc((size_t)RANK_BATCH * (size_t)NM + 1, sizeof *te);
        for (int b0 = 0; b0 < B; b0 += RANK_BATCH) {
            int nr = B - b0 < RANK_BATCH ? B - b0 : RANK_BATCH;
            /* resample b: NI draws of an item with replacement, in stream order */
            memset(mult, 0, (size_t)nr * (size_t)NI * sizeof *mult);
            for (int r = 0; r < nr; r++)
                stats_rng_counts(&rng, (uint64_t)NI, NULL, mult + (size_t)r * (size_t)NI);
            rate(&c, mult, nr, tb, te);
            for (int r = 0; r < nr; r++) {
                const double *br = tb + (size_t)r * (size_t)NM, *er = te + (size_t)r * (size_t)NM;
                size_t b = (size_t)(b0 + r);
                for (int m = 0; m < NM; m++) {
                    bbt[(size_t)m * (size_t)B + b] = br[m];
                    belo[(size_t)m * (size_t)B + b] = er[m];
                    if (isnan(br[m]))
                        continue;
                    int rank = 1;
                    for (int x = 0; x < NM; x++)
                        rank += !isnan(br[x]) && br[x] > br[m];
                    if (rank < rank_lo[m])
                        rank_lo[m] = rank;
                    if (rank > rank_hi[m])
                        rank_hi[m] = rank;
                }
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
        e->bt = (struct stats_est){bt[m], NAN, NAN, STATS_WHY_NONE};
        e->elo = (struct stats_est){elo[m], NAN, NAN, STATS_WHY_NONE};
        e->rank_lo = B && rank_lo[m] <= NM ? rank_lo[m] : 0;
        e->rank_hi = B && rank_lo[m] <= NM ? rank_hi[m] : 0;
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
    free(mult);
    free(battles);
    free(score);
    free(c.bat);
    free(c.pair);
    free(c.s_pair);
    free(c.bfirst);
    free(c.wins);
    free(c.games);
    free(c.agg);
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
