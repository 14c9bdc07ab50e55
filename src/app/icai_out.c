/* Output of `prefscope icai` (see icai_out.h). */
#include "app/icai_out.h"

#include "core/datadir.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "app/app.h"
#include "core/features.h"
#include "core/sanitize.h"
#include "core/sha256.h"
#include "core/xalloc.h"
#include "store/constitution.h"
#include "store/store.h"

void
icai_json_num(struct strbuf *sb, double v)
{
    if (isfinite(v))
        sb_printf(sb, "%.17g", v);
    else
        sb_puts(sb, "null");
}

void
icai_filter_json(struct strbuf *sb, const struct icai_filter *f)
{
    sb_printf(sb,
              "\"filter\":{\"more_for_than_against\":%s,\"min_relevance\":%g,"
              "\"relevance\":\"%s\",\"max_invalid\":%g,\"top\":%d}",
              f->require_more_for ? "true" : "false", f->min_relevance,
              f->relevance_for_only ? "for/total" : "(for+against)/total", f->max_invalid, f->top);
}

void
icai_stats_json(struct strbuf *sb, const struct icai_counts *c, const char *reason)
{
    struct icai_metrics m;
    icai_metrics(c, &m);
    sb_printf(sb, "{\"for\":%.0f,\"against\":%.0f,\"both\":%.0f,\"neither\":%.0f,\"invalid\":%.0f",
              c->n_for, c->n_against, c->n_both, c->n_neither, c->n_invalid);
    const struct {
        const char *k;
        double v;
    } f[] = {{"total", m.total},
             {"relevance", m.relevance},
             {"relevance_for", m.relevance_for},
             {"accuracy", m.accuracy},
             {"kappa", m.kappa},
             {"strength", m.strength},
             {"for_minus_against", m.for_minus_against}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        sb_printf(sb, ",\"%s\":", f[i].k);
        icai_json_num(sb, f[i].v);
    }
    sb_printf(sb, ",\"kept\":%s", reason ? "false" : "true");
    if (reason) {
        sb_puts(sb, ",\"reason\":");
        sb_json_str(sb, reason, strlen(reason));
    }
    sb_putc(sb, '}');
}

static const char *const metric_names[] = {"strength", "relevance", "accuracy", "kappa"};

int
icai_metric_index(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, metric_names[i]) == 0)
            return i;
    return -1;
}

int
icai_find_module_file(const char *name, char *buf, size_t n)
{
    char rel[512];
    snprintf(rel, sizeof rel, "prefscope/%s", name);
    return datadir_find("lua-modules", rel, buf, n);
}

static void
put_clean(FILE *out, const char *s)
{
    struct strbuf sb = STRBUF_INIT;
    text_sanitize(s ? s : "", strlen(s ? s : ""), &sb, 0);
    fputs(sb_str(&sb), out);
    sb_free(&sb);
}

static void
put_json_str(FILE *out, const char *s)
{
    struct strbuf sb = STRBUF_INIT;
    if (s)
        sb_json_str(&sb, s, strlen(s));
    else
        sb_puts(&sb, "null");
    fputs(sb_str(&sb), out);
    sb_free(&sb);
}

void
icai_print_list(const struct store_constitution *v, int n, int json, FILE *out)
{
    if (json) {
        fputc('[', out);
        for (int i = 0; i < n; i++) {
            fprintf(out, "%s{\"id\":%lld,\"name\":", i ? "," : "", (long long)v[i].id);
            put_json_str(out, v[i].name);
            fputs(",\"dataset\":", out);
            put_json_str(out, v[i].dataset);
            fputs(",\"method\":", out);
            put_json_str(out, v[i].method);
            fprintf(out, ",\"principles\":%d,\"ranked\":%d,\"created_at\":", v[i].n_principles,
                    v[i].n_ranked);
            put_json_str(out, v[i].created_at);
            fputc('}', out);
        }
        fputs("]\n", out);
        return;
    }
    if (!n) {
        fputs("no constitutions (prefscope icai DATASET --offline builds one)\n", out);
        return;
    }
    fprintf(out, "%4s  %-20s %-28s %-8s %6s %6s  %s\n", "ID", "NAME", "DATASET", "METHOD", "KEPT",
            "TESTED", "CREATED");
    for (int i = 0; i < n; i++) {
        fprintf(out, "%4lld  ", (long long)v[i].id);
        struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
        text_sanitize(v[i].name, strlen(v[i].name), &a, 0);
        text_sanitize(v[i].dataset ? v[i].dataset : "-", strlen(v[i].dataset ? v[i].dataset : "-"),
                      &b, 0);
        fprintf(out, "%-20s %-28s %-8s %6d %6d  %s\n", sb_str(&a), sb_str(&b),
                v[i].method ? v[i].method : "-", v[i].n_ranked, v[i].n_principles,
                v[i].created_at ? v[i].created_at : "");
        sb_free(&a);
        sb_free(&b);
    }
}

static double
jnum(const cJSON *o, const char *k)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

static const char *
jstr(const cJSON *o, const char *k)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

static void
print_eval_line(FILE *out, const char *split, const cJSON *e)
{
    if (!cJSON_IsObject(e))
        return;
    const cJSON *ci = cJSON_GetObjectItemCaseSensitive(e, "constitutional_ci");
    const cJSON *bci = cJSON_GetObjectItemCaseSensitive(e, "baseline_ci");
    const cJSON *l0 = cJSON_GetArrayItem(ci, 0), *l1 = cJSON_GetArrayItem(ci, 1);
    const cJSON *b0 = cJSON_GetArrayItem(bci, 0), *b1 = cJSON_GetArrayItem(bci, 1);
    fprintf(out,
            "  %-5s %5.0f pairs: constitutional %5.1f%% [%.1f, %.1f]   without %5.1f%% [%.1f, "
            "%.1f]",
            split, jnum(e, "pairs"), 100 * jnum(e, "constitutional"),
            cJSON_IsNumber(l0) ? 100 * l0->valuedouble : NAN,
            cJSON_IsNumber(l1) ? 100 * l1->valuedouble : NAN, 100 * jnum(e, "baseline"),
            cJSON_IsNumber(b0) ? 100 * b0->valuedouble : NAN,
            cJSON_IsNumber(b1) ? 100 * b1->valuedouble : NAN);
    const char *kind = jstr(e, "baseline_kind");
    if (kind)
        fprintf(out, " (%s)", kind);
    fputc('\n', out);
}

static void
bar(FILE *out, double v, int width)
{
    /* |v| in [0,1] as a bar of `width` cells; negative values drawn with '-' */
    int n = isfinite(v) ? (int)floor(fabs(v) * width + 0.5) : 0;
    if (n > width)
        n = width;
    for (int i = 0; i < width; i++)
        fputc(i < n ? (v < 0 ? '-' : '#') : ' ', out);
}

int
icai_print(struct app *app, struct store *st, const struct store_constitution *c, int json, int all,
           FILE *out)
{
    struct store_principle *p;
    int np;
    if (store_principle_list(st, c->id, &p, &np, &app->err) != PS_OK)
        return app_fail(app);
    cJSON *params = c->params ? cJSON_Parse(c->params) : NULL;
    if (json) {
        fprintf(out, "{\"id\":%lld,\"name\":", (long long)c->id);
        put_json_str(out, c->name);
        fputs(",\"dataset\":", out);
        put_json_str(out, c->dataset);
        fputs(",\"method\":", out);
        put_json_str(out, c->method);
        fputs(",\"created_at\":", out);
        put_json_str(out, c->created_at);
        fprintf(out, ",\"params\":%s,\"principles\":[", c->params ? c->params : "null");
        for (int i = 0; i < np; i++) {
            fprintf(out, "%s{\"id\":%lld,\"rank\":%d,\"text\":", i ? "," : "", (long long)p[i].id,
                    p[i].rank);
            put_json_str(out, p[i].text);
            fputs(",\"kind\":", out);
            put_json_str(out, p[i].kind);
            fprintf(out, ",\"stats\":%s}", p[i].stats ? p[i].stats : "null");
        }
        fputs("]}\n", out);
    } else {
        fprintf(out, "constitution %lld '", (long long)c->id);
        put_clean(out, c->name);
        fputs("' of ", out);
        put_clean(out, c->dataset ? c->dataset : "?");
        fprintf(out, " (%s)", c->method ? c->method : "?");
        const char *annot = jstr(params, "annotator");
        if (annot) {
            fputs(", labels of ", out);
            put_clean(out, annot);
        }
        fputc('\n', out);
        if (params) {
            fprintf(out, "  %.0f pairs, %.0f labelled (train %.0f, test %.0f), %.0f ties skipped",
                    jnum(params, "pairs"), jnum(params, "labelled"), jnum(params, "train"),
                    jnum(params, "test"), jnum(params, "ties"));
            double k = jnum(params, "clusters");
            if (isfinite(k))
                fprintf(out, ", k = %.0f clusters", k);
            double calls = jnum(params, "calls");
            if (isfinite(calls))
                fprintf(out, ", %.0f LLM calls", calls);
            fputc('\n', out);
            double gf = jnum(params, "generate_parse_failures"),
                   vf = jnum(params, "vote_parse_failures"), tr = jnum(params, "truncated");
            if (gf > 0 || vf > 0 || tr > 0)
                fprintf(out,
                        "  unparseable replies: %.0f generation, %.0f voting; %.0f cut off by the "
                        "token "
                        "limit (--max-tokens)\n",
                        gf > 0 ? gf : 0, vf > 0 ? vf : 0, tr > 0 ? tr : 0);
            const cJSON *f = cJSON_GetObjectItemCaseSensitive(params, "filter");
            if (f)
                fprintf(out, "  filter: %srelevance %s >= %g, invalid <= %g, top %.0f\n",
                        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, "more_for_than_against"))
                            ? "for > against, "
                            : "",
                        jstr(f, "relevance") ? jstr(f, "relevance") : "", jnum(f, "min_relevance"),
                        jnum(f, "max_invalid"), jnum(f, "top"));
            const cJSON *ev = cJSON_GetObjectItemCaseSensitive(params, "evaluation");
            if (cJSON_IsObject(ev)) {
                fputs("  agreement with the labels:\n", out);
                print_eval_line(out, "train", cJSON_GetObjectItemCaseSensitive(ev, "train"));
                print_eval_line(out, "test", cJSON_GetObjectItemCaseSensitive(ev, "test"));
            }
        }
        fprintf(out, "\n%3s  %-60s %6s %6s %6s %6s %6s %7s  %-10s\n", "#", "PRINCIPLE", "FOR",
                "AGAINST", "N/A", "RELEV", "ACC", "KAPPA", "STRENGTH");
        int shown_rest = 0;
        for (int i = 0; i < np; i++) {
            if (!p[i].rank && !all)
                continue;
            if (!p[i].rank && !shown_rest) {
                fputs("  -- tested, not kept --\n", out);
                shown_rest = 1;
            }
            cJSON *s = p[i].stats ? cJSON_Parse(p[i].stats) : NULL;
            struct strbuf t = STRBUF_INIT;
            text_sanitize(p[i].text, strlen(p[i].text), &t, 0);
            char rank[16];
            snprintf(rank, sizeof rank, p[i].rank ? "%d" : "-", p[i].rank);
            fprintf(out, "%3s  %-60.60s %6.0f %6.0f %6.0f %6.2f %6.2f %7.2f  ", rank, sb_str(&t),
                    jnum(s, "for"), jnum(s, "against"),
                    jnum(s, "both") + jnum(s, "neither") + jnum(s, "invalid"), jnum(s, "relevance"),
                    jnum(s, "accuracy"), jnum(s, "kappa"));
            bar(out, jnum(s, "strength"), 10);
            fprintf(out, " %+.3f", jnum(s, "strength"));
            const char *why = jstr(s, "reason");
            if (why && all)
                fprintf(out, "  (%s)", why);
            fputc('\n', out);
            sb_free(&t);
            cJSON_Delete(s);
        }
        if (!all && np > c->n_ranked)
            fprintf(out, "  (%d more tested principles: prefscope icai show %lld --all)\n",
                    np - c->n_ranked, (long long)c->id);
    }
    cJSON_Delete(params);
    store_principle_list_free(p, np);
    return 0;
}

static void
md_text(FILE *out, const char *s)
{
    struct strbuf sb = STRBUF_INIT;
    text_sanitize(s ? s : "", strlen(s ? s : ""), &sb, 0);
    for (const char *q = sb_str(&sb); *q; q++) {
        if (*q == '|' || *q == '\\' || *q == '*' || *q == '_' || *q == '`')
            fputc('\\', out);
        fputc(*q == '\n' ? ' ' : *q, out);
    }
    sb_free(&sb);
}

int
icai_write_markdown(struct app *app, struct store *st, const struct store_constitution *c,
                    FILE *out)
{
    struct store_principle *p;
    int np;
    if (store_principle_list(st, c->id, &p, &np, &app->err) != PS_OK)
        return app_fail(app);
    cJSON *params = c->params ? cJSON_Parse(c->params) : NULL;
    fputs("# Constitution ", out);
    md_text(out, c->name);
    fputs("\n\nDataset: ", out);
    md_text(out, c->dataset);
    fprintf(out, " · method: %s", c->method ? c->method : "?");
    if (jstr(params, "annotator")) {
        fputs(" · labels of: ", out);
        md_text(out, jstr(params, "annotator"));
    }
    fputs("\n\n", out);
    for (int i = 0; i < np; i++)
        if (p[i].rank) {
            fprintf(out, "%d. ", p[i].rank);
            md_text(out, p[i].text);
            fputc('\n', out);
        }
    fputs(
        "\n| rank | principle | for | against | both | neither | invalid | relevance | "
        "accuracy | kappa | strength |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        out);
    for (int i = 0; i < np; i++) {
        cJSON *s = p[i].stats ? cJSON_Parse(p[i].stats) : NULL;
        if (p[i].rank)
            fprintf(out, "| %d | ", p[i].rank);
        else
            fputs("| – | ", out);
        md_text(out, p[i].text);
        fprintf(out, " | %.0f | %.0f | %.0f | %.0f | %.0f | %.3f | %.3f | %.3f | %.3f |\n",
                jnum(s, "for"), jnum(s, "against"), jnum(s, "both"), jnum(s, "neither"),
                jnum(s, "invalid"), jnum(s, "relevance"), jnum(s, "accuracy"), jnum(s, "kappa"),
                jnum(s, "strength"));
        cJSON_Delete(s);
    }
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(params, "evaluation");
    if (cJSON_IsObject(ev)) {
        fputs("\n## Evaluation\n\n| split | pairs | with the constitution | without |\n"
              "|---|---:|---:|---:|\n",
              out);
        const char *splits[] = {"train", "test"};
        for (int k = 0; k < 2; k++) {
            const cJSON *e = cJSON_GetObjectItemCaseSensitive(ev, splits[k]);
            if (!cJSON_IsObject(e))
                continue;
            fprintf(out, "| %s | %.0f | %.1f%% | %.1f%% |\n", splits[k], jnum(e, "pairs"),
                    100 * jnum(e, "constitutional"), 100 * jnum(e, "baseline"));
        }
    }
    cJSON_Delete(params);
    store_principle_list_free(p, np);
    return 0;
}

/* ---- votes in memory: [principle index][item seq] ---- */

struct vote_grid {
    struct store_principle *p;
    int np;
    int64_t n_items;
    unsigned char *v; /* np * n_items, 255 = no vote */
    int last;
};

static int
grid_put(void *ud, int64_t pid, int64_t item_id, int64_t seq, const char *vote)
{
    (void)item_id;
    struct vote_grid *g = ud;
    if (g->p[g->last].id != pid)
        for (g->last = 0; g->last < g->np && g->p[g->last].id != pid; g->last++)
            ;
    if (g->last >= g->np || seq < 0 || seq >= g->n_items) {
        g->last = 0;
        return 0;
    }
    int v = icai_vote_parse(vote);
    g->v[(size_t)g->last * (size_t)g->n_items + (size_t)seq] =
        (unsigned char)(v < 0 ? ICAI_VOTE_INVALID : v);
    return 0;
}

static int
grid_load(struct app *app, struct store *st, const struct store_constitution *c,
          struct vote_grid *g)
{
    memset(g, 0, sizeof *g);
    struct store_dataset d;
    if (store_dataset_get(st, c->dataset_id, &d, &app->err) != PS_OK)
        return app_fail(app);
    g->n_items = d.n_items;
    store_dataset_free(&d);
    if (store_principle_list(st, c->id, &g->p, &g->np, &app->err) != PS_OK)
        return app_fail(app);
    size_t cells = (size_t)g->np * (size_t)g->n_items;
    g->v = xmalloc(cells + 1);
    memset(g->v, 255, cells + 1);
    if (g->np && store_votes_foreach(st, c->id, 0, grid_put, g, &app->err) != PS_OK)
        return app_fail(app);
    return 0;
}

static void
grid_free(struct vote_grid *g)
{
    store_principle_list_free(g->p, g->np);
    free(g->v);
}

static void
short_id(const char *text, char out[9])
{
    struct sha256 s;
    unsigned char d[32];
    char hex[65];
    sha256_init(&s);
    sha256_update(&s, text, strlen(text));
    sha256_final(&s, d);
    sha256_hex(d, hex);
    memcpy(out, hex, 8);
    out[8] = 0;
}

struct ap_state {
    FILE *out;
    struct vote_grid *g;
    char (*ids)[9];
    char ref_id[9];
    const char *dataset;
    int first;
};

static int
ap_pair(void *ud, const struct store_icai_pair *pp, struct ps_err *err)
{
    (void)err;
    struct ap_state *x = ud;
    FILE *out = x->out;
    /* A comparison id that is stable across exports: the dataset and item position. */
    char key[512], cid[9];
    snprintf(key, sizeof key, "%s#%lld", x->dataset, (long long)pp->seq);
    short_id(key, cid);
    fprintf(out, "%s\n    {\"id\": \"%s\", \"prompt\": ", x->first ? "" : ",", cid);
    x->first = 0;
    put_json_str(out, pp->prompt);
    fputs(", \"response_a\": {\"text\": ", out);
    put_json_str(out, pp->a);
    fputs("}, \"response_b\": {\"text\": ", out);
    put_json_str(out, pp->b);
    fputs("}, \"annotations\": {", out);
    int any = 0;
    if (pp->label >= 0) {
        static const char *const lab[] = {"{\"pref\": \"a\"}", "{\"pref\": \"b\"}",
                                          "{\"pref\": null, \"no_pref_reason\": \"tie\"}",
                                          "{\"pref\": null, \"no_pref_reason\": \"invalid\"}"};
        fprintf(out, "\"%s\": %s", x->ref_id, lab[pp->label]);
        any = 1;
    }
    for (int i = 0; i < x->g->np; i++) {
        unsigned char v = x->g->v[(size_t)i * (size_t)x->g->n_items + (size_t)pp->seq];
        if (v == 255)
            continue;
        static const char *const ann[] = {"{\"pref\": \"a\"}", "{\"pref\": \"b\"}",
                                          "{\"pref\": null, \"no_pref_reason\": \"both\"}",
                                          "{\"pref\": null, \"no_pref_reason\": \"neither\"}",
                                          "{\"pref\": null, \"no_pref_reason\": \"invalid\"}"};
        fprintf(out, "%s\"%s\": %s", any ? ", " : "", x->ids[i], ann[v < ICAI_NVOTES ? v : 4]);
        any = 1;
    }
    fprintf(out, "}, \"metadata\": {\"index\": %lld}}", (long long)pp->seq);
    return 0;
}

int
icai_write_ap(struct app *app, struct store *st, const struct store_constitution *c,
              const char *annotator, FILE *out)
{
    cJSON *params = c->params ? cJSON_Parse(c->params) : NULL;
    const char *ref = annotator ? annotator : jstr(params, "annotator");
    if (!ref)
        ref = "dataset";
    struct vote_grid g;
    if (grid_load(app, st, c, &g)) {
        cJSON_Delete(params);
        grid_free(&g);
        return 1;
    }
    struct ap_state x = {.out = out, .g = &g, .dataset = c->dataset ? c->dataset : "", .first = 1};
    x.ids = xcalloc((size_t)g.np + 1, sizeof *x.ids);
    char desc[600];
    snprintf(desc, sizeof desc, "Preferences of %.500s (prefscope)", ref);
    short_id(desc, x.ref_id);
    char created[32];
    time_t now = time(NULL);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    fputs("{\n  \"metadata\": {\"version\": \"2.0\", \"description\": ", out);
    char d2[600];
    snprintf(d2, sizeof d2, "ICAI constitution '%.200s' exported by prefscope", c->name);
    put_json_str(out, d2);
    fprintf(out, ", \"created_at\": \"%s\", \"dataset_name\": ", created);
    put_json_str(out, c->dataset);
    fprintf(out, ", \"default_annotator\": \"%s\"},\n  \"annotators\": {\n    \"%s\": {\"name\": ",
            x.ref_id, x.ref_id);
    put_json_str(out, ref);
    fputs(", \"description\": ", out);
    put_json_str(out, desc);
    fprintf(out, ", \"type\": \"%s\"}", strncmp(ref, "human", 5) == 0 ? "human" : "unknown");
    for (int i = 0; i < g.np; i++) {
        short_id(g.p[i].text, x.ids[i]);
        fprintf(out, ",\n    \"%s\": {\"description\": ", x.ids[i]);
        put_json_str(out, g.p[i].text);
        fputs(", \"type\": \"principle\"}", out);
    }
    fputs("\n  },\n  \"comparisons\": [", out);
    int64_t ds = c->dataset_id;
    int rc = store_icai_pairs(st, ds, ref, 1, ap_pair, &x, &app->err);
    fputs("\n  ]\n}\n", out);
    free(x.ids);
    grid_free(&g);
    cJSON_Delete(params);
    return rc == PS_OK ? 0 : app_fail(app);
}

/* ---- comparisons ---- */

static double
metric_value(const struct icai_counts *c, int metric)
{
    struct icai_metrics m;
    icai_metrics(c, &m);
    switch (metric) {
    case 1: return m.relevance;
    case 2: return m.accuracy;
    case 3: return m.kappa;
    default: return m.strength;
    }
}

struct cmp_row {
    int p;
    double diff;
};

static int
row_cmp(const void *x, const void *y)
{
    const struct cmp_row *a = x, *b = y;
    if (a->diff != b->diff)
        return a->diff > b->diff ? -1 : 1;
    return a->p - b->p;
}

int
icai_compare_annotators(struct app *app, struct store *st, const struct store_constitution *c,
                        const char *annotators, const char *metric_name, int json, FILE *out)
{
    int metric = icai_metric_index(metric_name);
    char **names = NULL;
    int64_t *counts = NULL;
    int na = 0;
    if (annotators) {
        int cap = 0;
        char *copy = xstrdup(annotators), *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            names = xgrow(names, sizeof *names, na, &cap, 8);
            names[na++] = xstrdup(t);
        }
        free(copy);
    } else if (store_icai_annotators(st, c->dataset_id, &names, &counts, &na, &app->err) != PS_OK) {
        return app_fail(app);
    }
    free(counts);
    struct vote_grid g;
    int status = 1;
    struct icai_counts *cnt = NULL;
    signed char *labels = NULL;
    int64_t *n_lab = NULL;
    if (grid_load(app, st, c, &g))
        goto out;
    if (!na) {
        app_failf(app, "icai compare: the dataset has no annotators");
        goto out;
    }
    cnt = xcalloc((size_t)g.np * (size_t)na + 1, sizeof *cnt);
    labels = xmalloc((size_t)g.n_items + 1);
    n_lab = xcalloc((size_t)na, sizeof *n_lab);
    for (int a = 0; a < na; a++) {
        if (store_icai_labels(st, c->dataset_id, names[a], labels, g.n_items, &app->err) != PS_OK) {
            app_fail(app);
            goto out;
        }
        for (int64_t s = 0; s < g.n_items; s++)
            n_lab[a] += labels[s] == 0 || labels[s] == 1;
        for (int i = 0; i < g.np; i++)
            for (int64_t s = 0; s < g.n_items; s++) {
                unsigned char v = g.v[(size_t)i * (size_t)g.n_items + (size_t)s];
                if (v != 255)
                    icai_count(&cnt[(size_t)i * (size_t)na + (size_t)a], v, labels[s]);
            }
    }
    struct cmp_row *rows = xcalloc((size_t)g.np + 1, sizeof *rows);
    for (int i = 0; i < g.np; i++) {
        double lo = INFINITY, hi = -INFINITY;
        for (int a = 0; a < na; a++) {
            const struct icai_counts *k = &cnt[(size_t)i * (size_t)na + (size_t)a];
            if (k->n_for + k->n_against + k->n_both + k->n_neither + k->n_invalid <= 0)
                continue;
            double v = metric_value(k, metric);
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        rows[i] = (struct cmp_row){i, hi >= lo ? hi - lo : 0};
    }
    qsort(rows, (size_t)g.np, sizeof *rows, row_cmp);
    if (json) {
        fprintf(out, "{\"constitution\":%lld,\"metric\":\"%s\",\"annotators\":[", (long long)c->id,
                metric_names[metric]);
        for (int a = 0; a < na; a++) {
            fprintf(out, "%s{\"name\":", a ? "," : "");
            put_json_str(out, names[a]);
            fprintf(out, ",\"labelled_pairs\":%lld}", (long long)n_lab[a]);
        }
        fputs("],\"principles\":[", out);
        for (int r = 0; r < g.np; r++) {
            int i = rows[r].p;
            fprintf(out, "%s{\"text\":", r ? "," : "");
            put_json_str(out, g.p[i].text);
            fputs(",\"max_diff\":", out);
            struct strbuf sb = STRBUF_INIT;
            icai_json_num(&sb, rows[r].diff);
            sb_puts(&sb, ",\"by_annotator\":[");
            for (int a = 0; a < na; a++) {
                if (a)
                    sb_putc(&sb, ',');
                icai_stats_json(&sb, &cnt[(size_t)i * (size_t)na + (size_t)a], NULL);
            }
            sb_puts(&sb, "]}");
            fputs(sb_str(&sb), out);
            sb_free(&sb);
        }
        fputs("]}\n", out);
    } else {
        fprintf(out, "%s of each principle by annotator, sorted by the largest difference\n\n",
                metric_names[metric]);
        fprintf(out, "%-50s %8s", "PRINCIPLE", "MAXDIFF");
        for (int a = 0; a < na; a++) {
            struct strbuf t = STRBUF_INIT;
            text_sanitize(names[a], strlen(names[a]), &t, 0);
            fprintf(out, " %14.14s", sb_str(&t));
            sb_free(&t);
        }
        fputc('\n', out);
        for (int r = 0; r < g.np; r++) {
            int i = rows[r].p;
            struct strbuf t = STRBUF_INIT;
            text_sanitize(g.p[i].text, strlen(g.p[i].text), &t, 0);
            const char *txt = sb_str(&t);
            if (strncmp(txt, "Select the response that ", 25) == 0)
                txt += 25;
            fprintf(out, "%-50.50s %8.3f", txt, rows[r].diff);
            for (int a = 0; a < na; a++)
                fprintf(out, " %+14.3f",
                        metric_value(&cnt[(size_t)i * (size_t)na + (size_t)a], metric));
            fputc('\n', out);
            sb_free(&t);
        }
        fputs("\npairs labelled (A or B) by each annotator:", out);
        for (int a = 0; a < na; a++) {
            fputc(' ', out);
            put_clean(out, names[a]);
            fprintf(out, " %lld%s", (long long)n_lab[a], a + 1 < na ? "," : "\n");
        }
    }
    free(rows);
    status = 0;
out:
    for (int a = 0; a < na; a++)
        free(names[a]);
    free(names);
    free(cnt);
    free(labels);
    free(n_lab);
    grid_free(&g);
    return status;
}

int
icai_compare_constitutions(struct app *app, struct store *st, const struct store_constitution *a,
                           const struct store_constitution *b, int json, FILE *out)
{
    struct store_principle *pa, *pb;
    int na, nb;
    if (store_principle_list(st, a->id, &pa, &na, &app->err) != PS_OK)
        return app_fail(app);
    if (store_principle_list(st, b->id, &pb, &nb, &app->err) != PS_OK) {
        store_principle_list_free(pa, na);
        return app_fail(app);
    }
    /* rows: every principle of a, then those only in b */
    if (json)
        fprintf(out, "{\"a\":%lld,\"b\":%lld,\"principles\":[", (long long)a->id, (long long)b->id);
    else
        fprintf(out, "%-56s %6s %9s %6s %9s  %s\n", "PRINCIPLE", "RANK_A", "STRENGTH", "RANK_B",
                "STRENGTH", "DIFF");
    int first = 1;
    for (int pass = 0; pass < 2; pass++) {
        struct store_principle *p = pass ? pb : pa, *q = pass ? pa : pb;
        int np = pass ? nb : na, nq = pass ? na : nb;
        for (int i = 0; i < np; i++) {
            int j = -1;
            for (int k = 0; k < nq && j < 0; k++)
                if (strcmp(p[i].text, q[k].text) == 0)
                    j = k;
            if (pass && j >= 0)
                continue;
            const struct store_principle *x = pass ? NULL : &p[i];
            const struct store_principle *y = pass ? &p[i] : (j >= 0 ? &q[j] : NULL);
            if (pass == 0 && !x->rank && (!y || !y->rank))
                continue;
            if (pass == 1 && !y->rank)
                continue;
            cJSON *sx = x && x->stats ? cJSON_Parse(x->stats) : NULL;
            cJSON *sy = y && y->stats ? cJSON_Parse(y->stats) : NULL;
            double vx = x ? jnum(sx, "strength") : NAN, vy = y ? jnum(sy, "strength") : NAN;
            const char *mark = !x   ? "only in b"
                               : !y ? "only in a"
                               : (x->rank > 0) != (y->rank > 0)
                                   ? (x->rank ? "kept in a" : "kept in b")
                               : x->rank != y->rank ? "rank differs"
                                                    : "";
            if (json) {
                fprintf(out, "%s{\"text\":", first ? "" : ",");
                put_json_str(out, (x ? x : y)->text);
                struct strbuf sb = STRBUF_INIT;
                sb_printf(&sb, ",\"rank_a\":%d,\"rank_b\":%d,\"strength_a\":", x ? x->rank : 0,
                          y ? y->rank : 0);
                icai_json_num(&sb, vx);
                sb_puts(&sb, ",\"strength_b\":");
                icai_json_num(&sb, vy);
                sb_printf(&sb, ",\"mark\":\"%s\"}", mark);
                fputs(sb_str(&sb), out);
                sb_free(&sb);
            } else {
                struct strbuf t = STRBUF_INIT;
                text_sanitize((x ? x : y)->text, strlen((x ? x : y)->text), &t, 0);
                fprintf(out, "%-56.56s %6d %+9.3f %6d %+9.3f  %s\n", sb_str(&t), x ? x->rank : 0,
                        vx, y ? y->rank : 0, vy, mark);
                sb_free(&t);
            }
            first = 0;
            cJSON_Delete(sx);
            cJSON_Delete(sy);
        }
    }
    if (json)
        fputs("]}\n", out);
    store_principle_list_free(pa, na);
    store_principle_list_free(pb, nb);
    return 0;
}
