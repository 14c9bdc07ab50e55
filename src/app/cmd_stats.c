/* prefscope stats: win rates, agreement, accuracy against a reference, position
 * consistency and length bias of every annotator of a dataset, with bootstrap CIs. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/evalfig.h"
#include "core/stats_report.h"
#include "core/strbuf.h"
#include "core/width.h"
#include "store/judgments.h"
#include "store/store.h"

static const char stats_usage[] =
    "usage: prefscope stats DATASET [--annotator A]... [--against B] [--invalid wrong|tie]\n"
    "                       [--bootstrap N] [--seed S] [--level L] [--min-n N] [--json]\n"
    "                       [--baseline MODEL] [--pairs-from-ratings ASPECT [--margin M]]\n"
    "\n"
    "Per annotator: win rate of the second-presented response (ties half, AlpacaEval\n"
    "style) and of every model; how often the longer response wins; consistency of\n"
    "judgments made in both orders; accuracy and macro precision/recall/F1 against a\n"
    "reference.  Between annotators: agreement and Cohen's kappa per pair, Fleiss'\n"
    "kappa and Krippendorff's alpha over all.  Every figure has a percentile bootstrap\n"
    "interval over items.  Also: accuracy right in both presentation orders, win/tie/\n"
    "loss per model pair, AlpacaEval's length-controlled win rate against a baseline\n"
    "model and the mean rating per model.  Definitions: docs/evaluation.md.\n"
    "\n"
    "  -a, --annotator A     report only A (repeatable; 'human:*' matches a prefix)\n"
    "  -r, --against B       reference annotator; 'majority:A1,A2,A3' (or a pattern\n"
    "                        matching several) is their majority vote, where the\n"
    "                        first listed annotator breaks a tie; default 'dataset'\n"
    "                        when the dataset has its own labels, 'none' for none\n"
    "  --invalid wrong|tie   score invalid answers as wrong (default) or as 'tie'\n"
    "                        (the rule of PandaLM's metric script)\n"
    "  -b, --bootstrap N     resamples for the intervals (default 1000; 0 = none)\n"
    "  --seed S              bootstrap seed (default 1)\n"
    "  --level L             interval level (default 0.95)\n"
    "  --min-n N             withhold a figure computed on fewer than N judgments or\n"
    "                        units: it says \"n too small\" (default 10; 0 = none)\n"
    "  --baseline MODEL      baseline of the length-controlled win rate (default: the\n"
    "                        model in every judgment of the annotator)\n"
    "  --pairs-from-ratings ASPECT\n"
    "                        add one judgment per pair of responses an item's ratings\n"
    "                        of ASPECT compare (higher wins; lower for 'rank'), as\n"
    "                        annotator 'ratings:ASPECT>M' (the rule)\n"
    "  --margin M            a rating difference up to M is a tie (default 0)\n"
    "  --lower-better        lower ratings win (default only for the aspect 'rank')\n"
    "  --json                one JSON object on stdout\n"
    "  -w, --workspace FILE  workspace file\n";

enum {
    OPT_INVALID = APP_OPT_FIRST_FREE,
    OPT_SEED,
    OPT_LEVEL,
    OPT_MIN_N,
    OPT_BASELINE,
    OPT_FROM_RATINGS,
    OPT_MARGIN,
    OPT_LOWER_BETTER
};

#define MAX_SEL 256

/* Resolve a comma-separated list of names or prefix patterns into annotator indices. */
static int
resolve_list(struct app *app, const struct stats_table *t, const char *list, int *out, int *n)
{
    char *copy = strdup(list);
    int rc = 0;
    for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (!stats_table_match(t, tok, out, n, MAX_SEL)) {
            ps_error(&app->err, PS_ERR_NOTFOUND, "stats: no annotator '%s' in this dataset", tok);
            rc = -1;
            break;
        }
    }
    free(copy);
    return rc;
}

static int
derive_found(const struct stats_rating_table *rt, const char *aspect)
{
    for (int i = 0; i < rt->n_aspects; i++)
        if (strcmp(rt->aspects[i], aspect) == 0)
            return 1;
    return 0;
}

static void
fmt_est(struct strbuf *sb, struct stats_est e, double scale, int prec)
{
    if (isnan(e.v)) {
        sb_printf(sb, "%-*s", 3 * (prec + 4) + 6, e.why ? stats_why_text(e.why) : "-");
        return;
    }
    char buf[96];
    if (isnan(e.lo))
        snprintf(buf, sizeof buf, "%.*f", prec, e.v * scale);
    else
        snprintf(buf, sizeof buf, "%.*f [%.*f, %.*f]", prec, e.v * scale, prec, e.lo * scale, prec,
                 e.hi * scale);
    sb_printf(sb, "%-*s", 3 * (prec + 4) + 6, buf);
}

static void
print_text(const struct stats_report *r, const struct evalfig *fig, const char *dataset,
           int n_items)
{
    const struct stats_table *t = r->table;
    struct strbuf sb = STRBUF_INIT;
    sb_printf(&sb, "dataset %s: %d judgments on %d items by %d annotators", dataset, t->n_rows,
              n_items, t->n_annot);
    if (r->opts.bootstrap > 0)
        sb_printf(&sb, "; %g%% percentile bootstrap CIs (%d resamples of items, seed %llu)\n",
                  r->opts.level * 100, r->opts.bootstrap, (unsigned long long)r->opts.seed);
    else
        sb_puts(&sb, "; no intervals (--bootstrap 0)\n");
    if (r->opts.min_n > 0)
        sb_printf(&sb,
                  "figures on fewer than %g judgments or units say \"n too small\" (--min-n)\n",
                  r->opts.min_n);

    sb_puts(&sb, "\nWIN RATE OF THE SECOND-PRESENTED RESPONSE (%, ties half)\n");
    sb_printf(&sb, "%-36s %7s %7s  %-24s %s\n", "annotator", "n", "invalid", "win rate B", "");
    for (int s = 0; s < r->n_annot; s++) {
        const struct stats_annot_report *a = &r->annot[s];
        stats_put_cell(&sb, t->annotators[a->annot], 36);
        sb_printf(&sb, " %7.0f %7.0f  ", a->n, a->n_invalid);
        fmt_est(&sb, a->winrate_b, 100, 2);
        stats_bar(&sb, a->winrate_b.v, 20);
        sb_putc(&sb, '\n');
    }

    int any_model = 0;
    for (int s = 0; s < r->n_annot; s++)
        for (int m = 0; m < t->n_models; m++)
            any_model |= r->annot[s].model_n[m] > 0;
    if (any_model) {
        sb_puts(&sb, "\nWIN RATE PER MODEL (%, ties half, over its judged pairs)\n");
        for (int s = 0; s < r->n_annot; s++) {
            const struct stats_annot_report *a = &r->annot[s];
            int header = 0;
            for (int m = 0; m < t->n_models; m++) {
                if (a->model_n[m] <= 0)
                    continue;
                if (!header) {
                    stats_put_cell(&sb, t->annotators[a->annot], 78);
                    sb_putc(&sb, '\n');
                }
                header = 1;
                sb_puts(&sb, "  ");
                stats_put_cell(&sb, t->models[m], 34);
                sb_printf(&sb, " %7.0f  ", a->model_n[m]);
                fmt_est(&sb, a->model_winrate[m], 100, 2);
                stats_bar(&sb, a->model_winrate[m].v, 20);
                if (!isnan(a->model_len[m]))
                    sb_printf(&sb, "  avg len %.0f", a->model_len[m]);
                sb_putc(&sb, '\n');
            }
        }
    }

    sb_puts(&sb, "\nPOSITION AND LENGTH\n");
    sb_printf(&sb, "%-36s %7s  %-24s %7s  %s\n", "annotator", "units", "consistency (2 orders)",
              "n", "longer response wins (%)");
    for (int s = 0; s < r->n_annot; s++) {
        const struct stats_annot_report *a = &r->annot[s];
        stats_put_cell(&sb, t->annotators[a->annot], 36);
        sb_printf(&sb, " %7.0f  ", a->n_pos_units);
        fmt_est(&sb, a->consistency, 100, 2);
        sb_printf(&sb, "%7.0f  ", a->n_len);
        fmt_est(&sb, a->longer_wins, 100, 2);
        sb_putc(&sb, '\n');
        if (a->n_pos_units > 0 && (a->first_wins.v > 0 || a->second_wins.v > 0)) {
            sb_puts(&sb, "  position bias: first-shown wins in both orders ");
            fmt_est(&sb, a->first_wins, 100, 2);
            sb_puts(&sb, "second-shown ");
            fmt_est(&sb, a->second_wins, 100, 2);
            sb_putc(&sb, '\n');
        }
    }

    if (r->opts.n_ref > 0) {
        sb_puts(&sb, "\nAGAINST ");
        if (r->opts.n_ref > 1)
            sb_puts(&sb, "the majority of ");
        for (int i = 0; i < r->opts.n_ref; i++) {
            const char *nm = t->annotators[r->opts.ref[i]];
            size_t w = text_width(nm, strlen(nm));
            sb_puts(&sb, i ? ", " : "");
            stats_put_cell(&sb, nm, w < 60 ? (int)w : 60);
        }
        sb_printf(&sb, " (%.0f units; invalid scored as %s)\n", r->n_ref_units,
                  r->opts.invalid_as_tie ? "tie" : "wrong");
        sb_printf(&sb, "%-36s %7s  %-30s%-30s%-30s%-30s\n", "annotator", "n", "accuracy",
                  "macro precision", "macro recall", "macro F1");
        for (int s = 0; s < r->n_annot; s++) {
            const struct stats_annot_report *a = &r->annot[s];
            if (a->n_ref <= 0 || (r->opts.n_ref == 1 && a->annot == r->opts.ref[0]))
                continue; /* the reference against itself says nothing */
            stats_put_cell(&sb, t->annotators[a->annot], 36);
            sb_printf(&sb, " %7.0f  ", a->n_ref);
            fmt_est(&sb, a->accuracy, 1, 4);
            fmt_est(&sb, a->macro_p, 1, 4);
            fmt_est(&sb, a->macro_r, 1, 4);
            fmt_est(&sb, a->macro_f1, 1, 4);
            sb_putc(&sb, '\n');
            if (a->n_ref_rev > 0) {
                sb_printf(&sb, "  by order: as stored (n %.0f) ", a->n_ref_fwd);
                fmt_est(&sb, a->accuracy_fwd, 1, 4);
                sb_printf(&sb, "swapped (n %.0f) ", a->n_ref_rev);
                fmt_est(&sb, a->accuracy_rev, 1, 4);
                sb_putc(&sb, '\n');
            }
        }
    }

    if (r->n_pairs > 0) {
        sb_puts(&sb, "\nAGREEMENT (units both judged validly)\n");
        sb_printf(&sb, "%-36s %-36s %6s  %-30s %s\n", "annotator", "annotator", "n", "agreement",
                  "Cohen's kappa");
        for (int k = 0; k < r->n_pairs; k++) {
            const struct stats_pair_report *p = &r->pairs[k];
            if (p->n <= 0)
                continue;
            stats_put_cell(&sb, t->annotators[r->annot[p->a].annot], 36);
            sb_putc(&sb, ' ');
            stats_put_cell(&sb, t->annotators[r->annot[p->b].annot], 36);
            sb_printf(&sb, " %6.0f  ", p->n);
            fmt_est(&sb, p->agreement, 1, 4);
            fmt_est(&sb, p->kappa, 1, 4);
            sb_putc(&sb, '\n');
        }
        sb_printf(&sb, "Fleiss' kappa (%.0f units judged by all %d):  ", r->fleiss_units,
                  r->n_annot);
        fmt_est(&sb, r->fleiss, 1, 4);
        sb_printf(&sb, "\nKrippendorff's alpha, nominal (%.0f units):  ", r->alpha_units);
        fmt_est(&sb, r->alpha, 1, 4);
        sb_putc(&sb, '\n');
    }
    evalfig_text(fig, &sb);
    app_print_clean(stdout, sb_str(&sb));
    sb_free(&sb);
}

int
cmd_stats(struct app *app, int argc, char **argv)
{
    static const struct option opts[] = {
        {"workspace", required_argument, NULL, 'w'},
        {"config", required_argument, NULL, APP_OPT_CONFIG},
        {"json", no_argument, NULL, APP_OPT_JSON},
        {"annotator", required_argument, NULL, 'a'},
        {"against", required_argument, NULL, 'r'},
        {"invalid", required_argument, NULL, OPT_INVALID},
        {"bootstrap", required_argument, NULL, 'b'},
        {"seed", required_argument, NULL, OPT_SEED},
        {"level", required_argument, NULL, OPT_LEVEL},
        {"min-n", required_argument, NULL, OPT_MIN_N},
        {"baseline", required_argument, NULL, OPT_BASELINE},
        {"pairs-from-ratings", required_argument, NULL, OPT_FROM_RATINGS},
        {"margin", required_argument, NULL, OPT_MARGIN},
        {"lower-better", no_argument, NULL, OPT_LOWER_BETTER},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int json = 0, c, invalid_as_tie = 0, bootstrap = 1000, bootstrap_set = 0;
    unsigned long long seed = 1;
    double level = 0.95, min_n = STATS_MIN_N;
    const char *annot_args[MAX_SEL];
    int n_annot_args = 0;
    const char *against = NULL, *baseline = NULL;
    struct store_derive derive = {.aspect = NULL};
    int lower_better = 0;
    optind = 1;
    opterr = 0; /* app_bad_option reports it in one line */
    while ((c = getopt_long(argc, argv, "w:a:r:b:h", opts, NULL)) != -1) {
        if (app_common_opt(app, c, optarg))
            continue;
        char *end = NULL;
        switch (c) {
        case APP_OPT_JSON: json = 1; break;
        case 'a':
            if (n_annot_args < MAX_SEL)
                annot_args[n_annot_args++] = optarg;
            break;
        case 'r': against = optarg; break;
        case OPT_INVALID:
            if (strcmp(optarg, "tie") == 0)
                invalid_as_tie = 1;
            else if (strcmp(optarg, "wrong") == 0)
                invalid_as_tie = 0;
            else
                return app_failf(app, "stats: --invalid expects 'wrong' or 'tie', not '%s'",
                                 optarg);
            break;
        case 'b':
            bootstrap = (int)strtol(optarg, &end, 10);
            bootstrap_set = 1;
            if (*end || bootstrap < 0 || bootstrap > 1000000)
                return app_failf(app, "stats: --bootstrap expects a count, not '%s'", optarg);
            break;
        case OPT_SEED:
            seed = strtoull(optarg, &end, 10);
            if (*end)
                return app_failf(app, "stats: --seed expects an integer, not '%s'", optarg);
            break;
        case OPT_LEVEL:
            level = strtod(optarg, &end);
            if (*end || !(level > 0 && level < 1))
                return app_failf(app, "stats: --level expects a number in (0,1), not '%s'", optarg);
            break;
        case OPT_MIN_N:
            min_n = strtod(optarg, &end);
            if (!*optarg || *end || !(min_n >= 0 && min_n <= 1e12))
                return app_failf(app, "stats: --min-n expects a number >= 0, not '%s'", optarg);
            break;
        case OPT_BASELINE: baseline = optarg; break;
        case OPT_FROM_RATINGS: derive.aspect = optarg; break;
        case OPT_MARGIN:
            derive.margin = strtod(optarg, &end);
            if (!*optarg || *end || !(derive.margin >= 0 && derive.margin <= 1e12))
                return app_failf(app, "stats: --margin expects a number >= 0, not '%s'", optarg);
            break;
        case OPT_LOWER_BETTER: lower_better = 1; break;
        case 'h': fputs(stats_usage, stdout); return 0;
        default: return app_bad_option("stats", argv);
        }
    }
    if (optind != argc - 1)
        return app_failf(app, "stats: expected one DATASET (see prefscope stats --help)");
    const char *dataset = argv[optind];
    struct store *st = app_store(app);
    struct stats_table t;
    struct stats_rating_table rt;
    int64_t ds_id;
    memset(&t, 0, sizeof t);
    if (!st || store_dataset_find(st, dataset, &ds_id, &app->err) != PS_OK)
        return app_fail(app);
    derive.lower_better =
        lower_better || (derive.aspect && stats_rating_lower_better(derive.aspect));
    if (store_judgment_table_derived(st, ds_id, derive.aspect ? &derive : NULL, 0, &t, &app->err) !=
        PS_OK)
        return app_fail(app);
    if (store_rating_table(st, ds_id, &rt, &app->err) != PS_OK) {
        stats_table_free(&t);
        return app_fail(app);
    }
    int status = 0, base_model = -1;
    if (derive.aspect && !derive_found(&rt, derive.aspect))
        status = app_failf(app, "stats: dataset '%s' has no ratings '%s'", dataset, derive.aspect);
    for (int m = 0; baseline && m < t.n_models; m++)
        if (strcmp(t.models[m], baseline) == 0)
            base_model = m;
    if (baseline && base_model < 0 && !status)
        status =
            app_failf(app, "stats: --baseline: no model '%s' in dataset '%s'", baseline, dataset);
    int sel[MAX_SEL], n_sel = 0, ref[MAX_SEL], n_ref = 0;
    for (int i = 0; i < n_annot_args && status == 0; i++)
        if (resolve_list(app, &t, annot_args[i], sel, &n_sel) != 0)
            status = app_fail(app);
    /* The dataset's own label is the natural reference when there is one. */
    if (!against && stats_table_find_annot(&t, "dataset") >= 0)
        against = "dataset";
    if (against && strcmp(against, "none") == 0)
        against = NULL;
    if (against && status == 0) {
        const char *list = strncmp(against, "majority:", 9) == 0 ? against + 9 : against;
        if (resolve_list(app, &t, list, ref, &n_ref) != 0)
            status = app_fail(app);
    }
    if (status == 0 && !bootstrap_set) {
        /* Each resample costs about rows + units x annotator pairs; keep the default
         * run within a few seconds on many-annotator datasets. */
        double k = n_sel ? n_sel : t.n_annot;
        double per = (double)t.n_rows + (double)t.n_units * (k * (k - 1) / 2 + k) + 1;
        if (per * bootstrap > 3e9) {
            bootstrap = (int)(3e9 / per);
            fprintf(stderr,
                    "prefscope: stats: %d bootstrap resamples (reduced for size; "
                    "--bootstrap N to choose)\n",
                    bootstrap);
        }
    }
    if (status == 0) {
        if (t.n_rows == 0)
            fprintf(stderr, "prefscope: stats: dataset '%s' has no judgments\n", dataset);
        struct stats_opts o = {
            .annots = n_sel ? sel : NULL,
            .n_annots = n_sel,
            .ref = ref,
            .n_ref = n_ref,
            .invalid_as_tie = invalid_as_tie,
            .bootstrap = bootstrap,
            .seed = seed,
            .level = level,
            .min_n = min_n,
        };
        struct stats_report rep;
        stats_report_compute(&t, &o, &rep);
        struct stats_fig_opts fo = {
            .bootstrap = bootstrap, .seed = seed, .level = level, .min_n = min_n};
        struct evalfig fig;
        evalfig_compute(&fig, &t, &rt, o.annots, o.n_annots, ref, n_ref, invalid_as_tie, base_model,
                        &fo);
        if (json) {
            struct strbuf sb = STRBUF_INIT;
            sb_puts(&sb, "{\"dataset\":");
            sb_json_str(&sb, dataset, strlen(dataset));
            sb_printf(&sb, ",\"judgments\":%d,\"items\":%d,\"report\":", t.n_rows, t.n_items);
            stats_report_json(&rep, &sb);
            evalfig_json(&fig, &sb);
            if (derive.aspect) {
                sb_putc(&sb, ',');
                evalfig_json_derived(&derive, &sb);
            }
            sb_puts(&sb, "}\n");
            fputs(sb_str(&sb), stdout);
            sb_free(&sb);
        } else {
            print_text(&rep, &fig, dataset, t.n_items);
        }
        evalfig_free(&fig);
        stats_report_free(&rep);
    }
    stats_table_free(&t);
    stats_rating_table_free(&rt);
    return status;
}
