/* Browse benchmark: the item-list queries of src/store/browse.h on a large dataset.
 *
 *   browse_bench WORKSPACE [N_ITEMS] [--no-triggers]
 *
 * When WORKSPACE has no dataset "bench", one of N_ITEMS (default 1,000,000)
 * synthetic pairs is generated first (Zipf-distributed pseudo-words, so there are
 * common and rare search terms; 2% of items have a second annotator, 1% a tag) and
 * the import rate is printed.  --no-triggers drops the item_stat triggers before
 * generating, to measure what they cost the import (browsing then is wrong).
 * BB_SQL="..." in the environment runs that SQL before generating (experiments).
 * Then every query is timed (median of several runs, in ms).  See
 * bench/browse_bench.sh. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/record.h"
#include "core/strbuf.h"
#include "store/browse.h"
#include "store/store.h"

#define VOCAB 20000
#define RUNS 9

static struct ps_err err;

static double
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void
die(const char *what)
{
    fprintf(stderr, "browse_bench: %s: %s\n", what, err.msg);
    exit(1);
}

/* Pseudo-word i: deterministic consonant-vowel syllables. */
static void
word(unsigned i, char *out)
{
    static const char c[] = "bdfghklmnprstvz", v[] = "aeiou";
    int n = 0;
    do {
        out[n++] = c[i % 15];
        i /= 15;
        out[n++] = v[i % 5];
        i /= 5;
    } while (i);
    out[n] = '\0';
}

static unsigned
rnd(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return (*s >> 1) & 0x7fffffff;
}

/* Zipf-ish rank: the inverse CDF of a 1/x density over [1, VOCAB]. */
static unsigned
zipf(unsigned *s)
{
    double u = (rnd(s) % 1000000) / 1e6;
    return (unsigned)(exp(u * log((double)VOCAB))) - 1;
}

static void
sentence(unsigned *s, int words, struct strbuf *out)
{
    char w[32];
    sb_reset(out);
    for (int i = 0; i < words; i++) {
        word(zipf(s), w);
        if (i)
            sb_putc(out, ' ');
        sb_puts(out, w);
    }
}

static void
generate(struct store *st, long n, int no_triggers)
{
    int64_t ds;
    if (no_triggers && store_exec(st,
                                  "DROP TRIGGER IF EXISTS item_stat_item_ins;"
                                  "DROP TRIGGER IF EXISTS item_stat_resp_ins;"
                                  "DROP TRIGGER IF EXISTS item_stat_judg_ins;",
                                  &err) != PS_OK)
        die("drop triggers");
    if (getenv("BB_SQL") && store_exec(st, getenv("BB_SQL"), &err) != PS_OK)
        die("BB_SQL");
    if (store_dataset_create(st, "bench", "synthetic", "bench", &ds, &err) != PS_OK)
        die("create dataset");
    struct strbuf p = STRBUF_INIT, a = STRBUF_INIT, b = STRBUF_INIT;
    unsigned seed = 42;
    double t0 = now_ms();
    if (store_begin(st, &err) != PS_OK)
        die("begin");
    for (long i = 0; i < n; i++) {
        struct ps_record r;
        char key[24];
        ps_record_clear(&r);
        snprintf(key, sizeof key, "k%ld", i);
        sentence(&seed, 8 + (int)(rnd(&seed) % 20), &p);
        sentence(&seed, 20 + (int)(rnd(&seed) % 80), &a);
        sentence(&seed, 20 + (int)(rnd(&seed) % 80), &b);
        r.key = key;
        r.prompt = p.p;
        ps_record_add_response(&r, a.p, i % 2 ? "model-alpha" : "model-beta");
        ps_record_add_response(&r, b.p, i % 3 ? "model-gamma" : "model-delta");
        int v = (int)(rnd(&seed) % 3);
        const char *verdict = v == 0 ? "A" : v == 1 ? "B" : "tie";
        ps_record_add_judgment(&r, 0, 1, "dataset", verdict, v == 0 ? 1 : v == 1 ? 0 : 0.5, NULL);
        if (i % 50 == 0)
            ps_record_add_judgment(&r, 0, 1, "llm:judge", i % 100 ? verdict : "A", 1, NULL);
        if (i % 100 == 7)
            ps_record_add_tag(&r, "rare");
        if (store_put_record(st, ds, &r, &err) != PS_OK)
            die("put record");
        if (i % 100000 == 99999) {
            if (store_commit(st, &err) != PS_OK || store_begin(st, &err) != PS_OK)
                die("commit");
            fprintf(stderr, "\r%ld items, %.0f/s", i + 1, (i + 1) / ((now_ms() - t0) / 1e3));
        }
    }
    if (store_commit(st, &err) != PS_OK)
        die("commit");
    double t1 = now_ms();
    if (store_dataset_refresh_counts(st, ds, &err) != PS_OK)
        die("counts");
    fprintf(stderr, "\n");
    printf("generate: %ld items in %.1f s (%.0f items/s)%s\n", n, (t1 - t0) / 1e3,
           n / ((t1 - t0) / 1e3), no_triggers ? " without item_stat triggers" : "");
    sb_free(&p);
    sb_free(&a);
    sb_free(&b);
}

static int
cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

/* Time `fn` RUNS times (the first run is reported separately: cold statement). */
#define TIME(label, body) \
    do { \
        double t_[RUNS]; \
        for (int r_ = 0; r_ < RUNS; r_++) { \
            double s_ = now_ms(); \
            body; \
            t_[r_] = now_ms() - s_; \
        } \
        double first_ = t_[0]; \
        qsort(t_, RUNS, sizeof t_[0], cmp_double); \
        printf("%-46s first %8.2f ms   median %8.2f ms\n", label, first_, t_[RUNS / 2]); \
    } while (0)

static void
page(struct store *st, int64_t ds, const struct browse_filter *f, int64_t after, int *n,
     int64_t *last)
{
    struct browse_row *rows;
    if (store_browse_rows(st, ds, f, after, 50, &rows, n, &err) != PS_OK)
        die("rows");
    *last = *n ? rows[*n - 1].seq : -1;
    store_browse_rows_free(rows, *n);
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: browse_bench WORKSPACE [N_ITEMS] [--no-triggers]\n");
        return 2;
    }
    long n_items = argc > 2 && argv[2][0] != '-' ? atol(argv[2]) : 1000000;
    int no_triggers = argc > 2 && !strcmp(argv[argc - 1], "--no-triggers");
    struct store *st;
    double t0 = now_ms();
    if (store_open(&st, argv[1], &err) != PS_OK)
        die("open");
    printf("open workspace: %.2f ms\n", now_ms() - t0);
    int64_t ds;
    if (store_dataset_find(st, "bench", &ds, &err) != PS_OK) {
        generate(st, n_items, no_triggers);
        if (store_dataset_find(st, "bench", &ds, &err) != PS_OK)
            die("find");
    }
    if (no_triggers) {
        store_close(st);
        return 0;
    }
    int64_t total;
    if (store_browse_count(st, ds, NULL, &total, &err) != PS_OK)
        die("count");
    printf("dataset: %lld items\n", (long long)total);

    int n;
    int64_t last = -1, mid = total / 2, cnt = 0, pos = 0;
    double c0;
    struct browse_filter none = {.annotator = "human:bench"};
    TIME("first page (50 rows)", page(st, ds, &none, -1, &n, &last));
    int64_t after = last;
    TIME("next page", page(st, ds, &none, after, &n, &last));
    TIME("page in the middle", page(st, ds, &none, mid, &n, &last));
    {
        struct browse_row *rows;
        TIME("last page (rows_before -1)",
             (store_browse_rows_before(st, ds, &none, -1, 50, &rows, &n, &err),
              store_browse_rows_free(rows, n)));
        TIME("page up from the middle",
             (store_browse_rows_before(st, ds, &none, mid, 50, &rows, &n, &err),
              store_browse_rows_free(rows, n)));
    }
    struct browse_filter desc = {.desc = 1};
    TIME("first page, descending", page(st, ds, &desc, -1, &n, &last));
    struct browse_filter byd = {.sort = BROWSE_SORT_LEN_DIFF, .desc = 1};
    TIME("first page by length difference", page(st, ds, &byd, -1, &n, &last));
    after = last;
    TIME("next page by length difference", page(st, ds, &byd, after, &n, &last));
    struct browse_filter byp = {.sort = BROWSE_SORT_PROMPT_LEN};
    TIME("first page by prompt length", page(st, ds, &byp, -1, &n, &last));
    struct browse_filter unl = {.annotator = "human:bench", .label = BROWSE_LABEL_UNLABELED};
    TIME("filter unlabeled-by-me, first page", page(st, ds, &unl, -1, &n, &last));
    {
        /* a human who labeled 3 items: the sparse case of the label filter */
        for (int64_t q = 1; q <= 3; q++) {
            struct store_item li;
            if (store_item_get(st, ds, q * total / 4, &li, &err) != PS_OK)
                die("item");
            store_label_set(st, li.id, li.resp[0].id, li.resp[1].id, "human:sparse",
                            STORE_VERDICT_A, NULL, &err);
            store_item_free(&li);
        }
        struct browse_filter mine = {.annotator = "human:sparse", .label = BROWSE_LABEL_A};
        TIME("filter my label = A (3 labels), first page", page(st, ds, &mine, -1, &n, &last));
        mine.label = BROWSE_LABEL_LABELED;
        TIME("filter labeled by me (3 labels), first page", page(st, ds, &mine, -1, &n, &last));
        mine.label = BROWSE_LABEL_UNLABELED;
        TIME("count unlabeled by me (3 labels)", store_browse_count(st, ds, &mine, &cnt, &err));
        TIME("position in unlabeled by me (3 labels)",
             store_browse_position(st, ds, &mine, mid, &pos, &err));
    }
    struct browse_filter dis = {.disagree = 1};
    TIME("filter disagree (1%), first page", page(st, ds, &dis, -1, &n, &last));
    after = last;
    TIME("filter disagree, next page", page(st, ds, &dis, after, &n, &last));
    struct browse_filter tag = {.tag = "rare"};
    TIME("filter tag (1%), first page", page(st, ds, &tag, -1, &n, &last));
    struct browse_filter model = {.model = "delta"};
    TIME("filter model substring (33%), first page", page(st, ds, &model, -1, &n, &last));
    struct browse_filter len = {.len_min = 600, .len_max = 700};
    TIME("filter length 600-700 chars, first page", page(st, ds, &len, -1, &n, &last));
    struct browse_filter srch = {.search = "ba"};
    TIME("filter search common word, first page", page(st, ds, &srch, -1, &n, &last));
    struct browse_filter srch2 = {.search = "zuzu"};
    TIME("filter search rare word, first page", page(st, ds, &srch2, -1, &n, &last));
    struct browse_filter srch3 = {.search = "ba", .sort = BROWSE_SORT_LEN_DIFF};
    TIME("filter search common word by length diff", page(st, ds, &srch3, -1, &n, &last));
    c0 = now_ms();
    store_browse_count(st, ds, &srch, &cnt, &err);
    printf("%-46s %8.2f ms (%lld)\n", "count search common word, uncached", now_ms() - c0,
           (long long)cnt);

    TIME("count, no filter", store_browse_count(st, ds, NULL, &cnt, &err));
    struct browse_filter dis2 = {.disagree = 1, .tag = NULL};
    c0 = now_ms();
    store_browse_count(st, ds, &dis2, &cnt, &err);
    printf("%-46s %8.2f ms (%lld)\n", "count disagree, uncached", now_ms() - c0, (long long)cnt);
    TIME("count disagree, cached", store_browse_count(st, ds, &dis2, &cnt, &err));
    c0 = now_ms();
    store_browse_count(st, ds, &model, &cnt, &err);
    printf("%-46s %8.2f ms (%lld)\n", "count model substring, uncached", now_ms() - c0,
           (long long)cnt);
    TIME("position of mid item, no filter", store_browse_position(st, ds, NULL, mid, &pos, &err));
    c0 = now_ms();
    store_browse_position(st, ds, &byd, mid, &pos, &err);
    printf("%-46s %8.2f ms\n", "position of mid item by length diff", now_ms() - c0);

    int64_t seq = 0;
    int rc = 0;
    TIME("search next: common word from top",
         rc = store_search_next(st, ds, "ba", -1, 1, &seq, &err));
    TIME("search next: common word from middle",
         rc = store_search_next(st, ds, "ba", mid, 1, &seq, &err));
    TIME("search prev: common word from middle",
         rc = store_search_next(st, ds, "ba", mid, -1, &seq, &err));
    TIME("search next: rare word from middle",
         rc = store_search_next(st, ds, "zuzu", mid, 1, &seq, &err));
    TIME("search next: two common words (AND)",
         rc = store_search_next(st, ds, "ba be", mid, 1, &seq, &err));
    TIME("search next: phrase", rc = store_search_next(st, ds, "\"ba be\"", mid, 1, &seq, &err));
    TIME("search next: absent word", rc = store_search_next(st, ds, "qqqqq", -1, 1, &seq, &err));
    (void)rc;

    /* labeling in the middle of the dataset, and agreement */
    struct store_item it;
    if (store_item_get(st, ds, mid, &it, &err) != PS_OK)
        die("item");
    enum store_verdict prev;
    int k = 0;
    static const enum store_verdict vs[] = {STORE_VERDICT_A, STORE_VERDICT_B, STORE_VERDICT_TIE};
    TIME("label set (upsert)", store_label_set(st, it.id, it.resp[0].id, it.resp[1].id,
                                               "human:bench", vs[k++ % 3], &prev, &err));
    struct store_agreement *ag;
    int nag;
    TIME("agreement (few labels)",
         (store_agreement(st, ds, "human:bench", &ag, &nag, &err), store_agreement_free(ag, nag)));
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak RSS so far (all queries above): %ld KB\n", ru.ru_maxrss);
    /* Not a TUI query (the TUI asks for the human's agreement): the worst case. */
    c0 = now_ms();
    store_agreement(st, ds, "dataset", &ag, &nag, &err);
    printf("%-46s %8.2f ms\n", "agreement of 'dataset' (1M judgments)", now_ms() - c0);
    store_agreement_free(ag, nag);
    /* :queue's sample (one run each: two passes over every row). */
    static const struct {
        enum browse_stratum st;
        const char *name;
    } strata[] = {{BROWSE_STRATUM_NONE, "sample 100 (queue)"},
                  {BROWSE_STRATUM_MODEL, "sample 100 stratified by model"},
                  {BROWSE_STRATUM_DISAGREE, "sample 100 stratified by disagree"}};
    for (size_t i = 0; i < sizeof strata / sizeof strata[0]; i++) {
        int64_t *ids;
        int nid;
        c0 = now_ms();
        if (store_browse_sample(st, ds, NULL, 100, strata[i].st, 7, &ids, &nid, &err) != PS_OK)
            die("sample");
        printf("%-46s %8.2f ms\n", strata[i].name, now_ms() - c0);
        free(ids);
    }
    store_label_clear(st, it.id, it.resp[0].id, it.resp[1].id, "human:bench", &prev, &err);
    store_item_free(&it);
    store_close(st);
    return 0;
}
