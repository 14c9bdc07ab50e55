/* prefscope rank: a Bradley-Terry / Elo leaderboard of the models in a dataset. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/evalfig.h"
#include "core/stats_rank.h"
#include "core/strbuf.h"
#include "store/judgments.h"
#include "store/store.h"

static const char rank_usage[] =
    "usage: prefscope rank DATASET [--annotator A]... [--bootstrap N] [--seed S]\n"
    "                      [--level L] [--prior P] [--anchor MODEL[=RATING]] [--elo-k K] [--json]\n"
    "                      [--from-ratings ASPECT [--margin M] [--lower-better]]\n"
    "\n"
    "Rank the models of a dataset from its pairwise judgments (every valid judgment\n"
    "between responses of two different models is a battle; a tie is half a win;\n"
    "weights repeat battles).  Bradley-Terry ratings are the maximum-likelihood fit\n"
    "(Newton's method with step halving on the wins and games of each model pair) on\n"
    "the Elo scale (400*log10 strength, mean 1000); online Elo processes battles in\n"
    "dataset order.  Intervals: percentile bootstrap over items (each resample draws\n"
    "as many items as the data has, uniformly with replacement, xoshiro256** seeded\n"
    "by --seed), each resample rated afresh by both: one thread draws the resamples\n"
    "in order and fits their BT from their pair counts, the other replays their Elo\n"
    "(the drawn items in dataset order, eight resamples in lockstep).  The same seed\n"
    "gives the same output.  Definitions: docs/evaluation.md.\n"
    "\n"
    "  -a, --annotator A     count only A's judgments (repeatable; 'llm:*' = prefix)\n"
    "  -b, --bootstrap N     resamples (default 1000; 0 = none)\n"
    "  --seed S              bootstrap seed (default 1)\n"
    "  --level L             interval level (default 0.95)\n"
    "  --prior P             virtual tied games per model against a fixed reference,\n"
    "                        keeping ratings finite (default 0.01; 0 = plain MLE)\n"
    "  --anchor M[=R]        pin model M's BT rating to R (default 1000)\n"
    "  --elo-k K             Elo step (default 4)\n"
    "  --from-ratings ASPECT rank from ratings instead of judgments: every pair of\n"
    "                        responses of an item rated on ASPECT is a battle (higher\n"
    "                        wins; lower for 'rank'), and the mean rating per model\n"
    "                        is shown with its interval\n"
    "  --margin M            a rating difference up to M is a tie (default 0)\n"
    "  --lower-better        lower ratings win (default only for the aspect 'rank')\n"
    "  --json                one JSON object on stdout\n"
    "  -w, --workspace FILE  workspace file\n";

enum {
    OPT_SEED = APP_OPT_FIRST_FREE,
    OPT_LEVEL,
    OPT_PRIOR,
    OPT_ANCHOR,
    OPT_ELO_K,
    OPT_FROM_RATINGS,
    OPT_MARGIN,
    OPT_LOWER_BETTER
};

#define MAX_SEL 256

static int
parse_num(struct app *app, const char *what, const char *s, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (*s == '\0' || *end || !(v >= lo && v <= hi))
        return app_failf(app, "rank: %s expects a number in [%g, %g], not '%s'", what, lo, hi, s);
    *out = v;
    return 0;
}

/* The mean rating of the model named `name` among m[0..n) (one aspect, pooled). */
static const struct stats_rating_mean *
mean_of(const struct stats_rating_table *rt, const struct stats_rating_mean *m, int n,
        const char *name)
{
    for (int i = 0; i < n; i++)
        if (m[i].model >= 0 && strcmp(rt->models[m[i].model], name) == 0)
            return &m[i];
    return NULL;
}

/* The ratings of `aspect` as a table of one aspect and one (pooled) annotator. */
static int
load_aspect(struct store *st, int64_t ds_id, const char *aspect, struct stats_rating_table *out,
            struct ps_err *err)
{
    struct stats_rating_table all;
    if (store_rating_table(st, ds_id, &all, err) != PS_OK)
        return err->code;
    memset(out, 0, sizeof *out);
    stats_rating_table_aspect(out, aspect);
    stats_rating_table_annot(out, "*");
    int item = -1, last = -1; /* items renumbered: those with ratings of the aspect */
    for (int i = 0; i < all.n_rows; i++) {
        struct stats_rating_row r = all.rows[i];
        if (strcmp(all.aspects[r.aspect], aspect) != 0)
            continue;
        if (r.item != last) {
            last = r.item;
            item++;
        }
        r.item = item;
        r.aspect = r.annot = 0;
        r.model = r.model >= 0 ? stats_rating_table_model(out, all.models[r.model]) : -1;
        stats_rating_table_add(out, &r);
    }
    stats_rating_table_free(&all);
    return PS_OK;
}

static void
print_text(const struct stats_rank *r, const struct stats_table *t, const char *dataset,
           const struct stats_rank_opts *o, const struct stats_rating_table *rt,
           const struct stats_rating_mean *means, int n_means)
{
    struct strbuf sb = STRBUF_INIT;
    sb_printf(&sb, "dataset %s: %.0f battles between %d models", dataset, r->n_battles, r->n);
    if (o->bootstrap > 0)
        sb_printf(&sb, "; %g%% bootstrap CIs (%d resamples of items, seed %llu)", o->level * 100,
                  o->bootstrap, (unsigned long long)o->seed);
    sb_putc(&sb, '\n');
    if (r->bt_iterations < 0)
        sb_puts(&sb, "warning: Bradley-Terry did not converge; try --prior\n");
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < r->n; i++) {
        double a = isnan(r->e[i].bt.lo) ? r->e[i].bt.v : r->e[i].bt.lo;
        double b = isnan(r->e[i].bt.hi) ? r->e[i].bt.v : r->e[i].bt.hi;
        if (a < lo)
            lo = a;
        if (b > hi)
            hi = b;
    }
    /* bars start a little below the weakest interval so the last model still shows */
    double base = lo - (hi - lo) * 0.1 - 1, span = hi - base;
    if (rt)
        sb_printf(&sb,
                  "battles derived from the ratings '%s' (annotator %s); mean rating per model"
                  " over every rating, percentile bootstrap CI\n",
                  rt->aspects[0], t->n_annot == 1 ? t->annotators[0] : "ratings:* (several)");
    sb_printf(&sb, "\n%4s  %-36s %8s %7s  %-24s %-24s %-7s ", "rank", "model", "battles", "win %",
              "Bradley-Terry", "Elo", "ranks");
    sb_puts(&sb, rt ? "mean rating\n" : "\n");
    for (int i = 0; i < r->n; i++) {
        const struct stats_rank_entry *e = &r->e[i];
        char btb[64], elob[64], ranks[16] = "";
        if (isnan(e->bt.lo))
            snprintf(btb, sizeof btb, "%.1f", e->bt.v);
        else
            snprintf(btb, sizeof btb, "%.1f [%.1f, %.1f]", e->bt.v, e->bt.lo, e->bt.hi);
        if (isnan(e->elo.lo))
            snprintf(elob, sizeof elob, "%.1f", e->elo.v);
        else
            snprintf(elob, sizeof elob, "%.1f [%.1f, %.1f]", e->elo.v, e->elo.lo, e->elo.hi);
        if (e->rank_lo > 0)
            snprintf(ranks, sizeof ranks, "%d-%d", e->rank_lo, e->rank_hi);
        sb_printf(&sb, "%4d  ", i + 1);
        stats_put_cell(&sb, t->models[e->model], 36);
        sb_printf(&sb, " %8.0f %7.2f  %-24s %-24s %-7s ", e->battles, 100 * e->score / e->battles,
                  btb, elob, ranks);
        if (rt) {
            const struct stats_rating_mean *m = mean_of(rt, means, n_means, t->models[e->model]);
            if (m)
                evalfig_put_est(&sb, m->mean, 1, 3, 0);
        } else {
            stats_bar(&sb, span > 0 ? (e->bt.v - base) / span : 1, 24);
        }
        sb_putc(&sb, '\n');
    }
    app_print_clean(stdout, sb_str(&sb));
    sb_free(&sb);
}

int
cmd_rank(struct app *app, int argc, char **argv)
{
    static const struct option opts[] = {
        {"workspace", required_argument, NULL, 'w'},
        {"config", required_argument, NULL, APP_OPT_CONFIG},
        {"json", no_argument, NULL, APP_OPT_JSON},
        {"annotator", required_argument, NULL, 'a'},
        {"bootstrap", required_argument, NULL, 'b'},
        {"seed", required_argument, NULL, OPT_SEED},
        {"level", required_argument, NULL, OPT_LEVEL},
        {"prior", required_argument, NULL, OPT_PRIOR},
        {"anchor", required_argument, NULL, OPT_ANCHOR},
        {"elo-k", required_argument, NULL, OPT_ELO_K},
        {"from-ratings", required_argument, NULL, OPT_FROM_RATINGS},
        {"margin", required_argument, NULL, OPT_MARGIN},
        {"lower-better", no_argument, NULL, OPT_LOWER_BETTER},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct stats_rank_opts o;
    stats_rank_opts_init(&o);
    int json = 0, c;
    const char *annot_args[MAX_SEL];
    int n_annot_args = 0;
    const char *anchor = NULL;
    double v = 0;
    struct store_derive derive = {.aspect = NULL};
    int lower_better = 0;
    optind = 1;
    opterr = 0; /* app_bad_option reports it in one line */
    while ((c = getopt_long(argc, argv, "w:a:b:h", opts, NULL)) != -1) {
        if (app_common_opt(app, c, optarg))
            continue;
        switch (c) {
        case APP_OPT_JSON: json = 1; break;
        case 'a':
            if (n_annot_args < MAX_SEL)
                annot_args[n_annot_args++] = optarg;
            break;
        case 'b':
            if (parse_num(app, "--bootstrap", optarg, 0, 1e6, &v))
                return 1;
            o.bootstrap = (int)v;
            break;
        case OPT_SEED:
            if (parse_num(app, "--seed", optarg, 0, 1.8e19, &v))
                return 1;
            o.seed = (uint64_t)v;
            break;
        case OPT_LEVEL:
            if (parse_num(app, "--level", optarg, 0.01, 0.999, &o.level))
                return 1;
            break;
        case OPT_PRIOR:
            if (parse_num(app, "--prior", optarg, 0, 1e6, &o.prior))
                return 1;
            break;
        case OPT_ELO_K:
            if (parse_num(app, "--elo-k", optarg, 0, 1e4, &o.elo_k))
                return 1;
            break;
        case OPT_ANCHOR: anchor = optarg; break;
        case OPT_FROM_RATINGS: derive.aspect = optarg; break;
        case OPT_MARGIN:
            if (parse_num(app, "--margin", optarg, 0, 1e12, &derive.margin))
                return 1;
            break;
        case OPT_LOWER_BETTER: lower_better = 1; break;
        case 'h': fputs(rank_usage, stdout); return 0;
        default: return app_bad_option("rank", argv);
        }
    }
    if (optind != argc - 1)
        return app_failf(app, "rank: expected one DATASET (see prefscope rank --help)");
    const char *dataset = argv[optind];
    struct store *st = app_store(app);
    struct stats_table t;
    int64_t ds_id;
    memset(&t, 0, sizeof t);
    if (!st || store_dataset_find(st, dataset, &ds_id, &app->err) != PS_OK)
        return app_fail(app);
    derive.lower_better =
        lower_better || (derive.aspect && stats_rating_lower_better(derive.aspect));
    /* a leaderboard needs no response lengths: the texts are not read */
    int jt_flags = STORE_JT_NO_LENGTHS | (derive.aspect ? STORE_JT_DERIVED_ONLY : 0);
    if (store_judgment_table_derived(st, ds_id, derive.aspect ? &derive : NULL, jt_flags, &t,
                                     &app->err) != PS_OK)
        return app_fail(app);
    /* the ratings of the aspect alone, every rating annotator pooled, for the mean column */
    struct stats_rating_table rt = {0};
    if (derive.aspect && load_aspect(st, ds_id, derive.aspect, &rt, &app->err) != PS_OK) {
        stats_table_free(&t);
        return app_fail(app);
    }
    int status = 0, sel[MAX_SEL], n_sel = 0;
    for (int i = 0; i < n_annot_args && !status; i++)
        if (!stats_table_match(&t, annot_args[i], sel, &n_sel, MAX_SEL))
            status =
                app_failf(app, "rank: no annotator '%s' in dataset '%s'", annot_args[i], dataset);
    if (anchor && !status) {
        char *name = strdup(anchor), *eq = strrchr(name, '=');
        if (eq) {
            *eq = '\0';
            if (parse_num(app, "--anchor rating", eq + 1, -1e6, 1e6, &o.anchor_rating))
                status = 1;
        }
        for (int m = 0; m < t.n_models && !status; m++)
            if (strcmp(t.models[m], name) == 0)
                o.anchor = m;
        if (!status && o.anchor < 0)
            status = app_failf(app, "rank: --anchor: no model '%s' in dataset '%s'", name, dataset);
        free(name);
    }
    if (!status) {
        o.annots = n_sel ? sel : NULL;
        o.n_annots = n_sel;
        struct stats_rank r;
        stats_rank_compute(&t, &o, &r);
        struct stats_rating_mean *means = NULL;
        int n_means = 0;
        if (derive.aspect) {
            struct stats_fig_opts fo = {
                .bootstrap = o.bootstrap, .seed = o.seed, .level = o.level, .min_n = 0};
            stats_rating_means(&rt, -1, &fo, &means, &n_means);
        }
        if (r.n == 0 && derive.aspect) {
            status = app_failf(app,
                               "rank: dataset '%s' has no two responses of different models rated "
                               "'%s' on one item",
                               dataset, derive.aspect);
        } else if (r.n == 0) {
            status =
                app_failf(app, "rank: dataset '%s' has no judgments between named models", dataset);
        } else if (json) {
            struct strbuf sb = STRBUF_INIT;
            sb_puts(&sb, "{\"dataset\":");
            sb_json_str(&sb, dataset, strlen(dataset));
            sb_puts(&sb, ",\"leaderboard\":");
            stats_rank_json(&r, &t, &o, &sb);
            if (derive.aspect) {
                sb_putc(&sb, ',');
                evalfig_json_derived(&derive, &sb);
                sb_putc(&sb, ',');
                evalfig_json_means(&rt, means, n_means, &sb);
            }
            sb_puts(&sb, "}\n");
            fputs(sb_str(&sb), stdout);
            sb_free(&sb);
        } else {
            print_text(&r, &t, dataset, &o, derive.aspect ? &rt : NULL, means, n_means);
        }
        free(means);
        stats_rank_free(&r);
    }
    stats_table_free(&t);
    stats_rating_table_free(&rt);
    return status;
}
