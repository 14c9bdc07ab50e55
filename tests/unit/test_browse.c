/* store/browse: keyset paging forwards and backwards under filters and sorts,
 * counts and positions, FTS query building and search, labels with undo, tags,
 * notes, agreement, and the item_stat figures kept by triggers. */
#include <stdlib.h>
#include <string.h>

#include "core/record.h"
#include "store/annotate.h"
#include "store/browse.h"
#include "store/internal.h"
#include "store/store.h"
#include "test.h"

static struct ps_err err;

#define OK(call) \
    do { \
        int ok_rc_ = (call); \
        if (ok_rc_ != PS_OK) \
            fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #call, err.msg); \
        CHECK_EQ(ok_rc_, PS_OK); \
    } while (0)

#define N_ITEMS 30

/* Item k: prompt "prompt k ...", response 0 of length 10 + k, response 1 of length
 * 40 - k; models alternate; every item has a dataset verdict; items divisible by 5
 * have a second annotator that disagrees; items divisible by 3 are tagged "three". */
static int64_t
make_dataset(struct store *st, const char *name)
{
    int64_t ds;
    OK(store_dataset_create(st, name, "test", "test", &ds, &err));
    OK(store_begin(st, &err));
    for (int k = 0; k < N_ITEMS; k++) {
        struct ps_record r;
        char prompt[64], key[16], a[64], b[64];
        ps_record_clear(&r);
        snprintf(prompt, sizeof prompt, "prompt %d %s", k, k == 7 ? "zebra crossing" : "plain");
        snprintf(key, sizeof key, "k%d", k);
        memset(a, 'a', sizeof a);
        memset(b, 'b', sizeof b);
        a[10 + k] = '\0';
        b[40 - k] = '\0';
        if (k == 12)
            memcpy(a, "unicorn ", 8);
        r.key = key;
        r.prompt = prompt;
        ps_record_add_response(&r, a, k % 2 ? "gpt-4o" : "llama-3-8b");
        ps_record_add_response(&r, b, "claude_3");
        ps_record_add_judgment(&r, 0, 1, "dataset", k % 4 == 0 ? "B" : "A", k % 4 == 0 ? 0 : 1,
                               NULL);
        if (k % 5 == 0) /* stored in the other order: "A" on (1,0) means response 1 */
            ps_record_add_judgment(&r, 1, 0, "llm:judge", k % 4 == 0 ? "B" : "A",
                                   k % 4 == 0 ? 0 : 1, NULL);
        if (k % 3 == 0)
            ps_record_add_tag(&r, "three");
        OK(store_put_record(st, ds, &r, &err));
    }
    OK(store_commit(st, &err));
    OK(store_dataset_refresh_counts(st, ds, &err));
    return ds;
}

static int
page(struct store *st, int64_t ds, const struct browse_filter *f, int64_t after, int limit,
     int64_t *seqs)
{
    struct browse_row *rows = NULL;
    int n = -1;
    OK(store_browse_rows(st, ds, f, after, limit, &rows, &n, &err));
    for (int i = 0; i < n; i++)
        seqs[i] = rows[i].seq;
    store_browse_rows_free(rows, n);
    return n;
}

/* Walk every page forwards and backwards; both must list the same seqs. */
static int
walk(struct store *st, int64_t ds, const struct browse_filter *f, int64_t *all)
{
    int total = 0;
    int64_t after = -1, buf[7];
    for (;;) {
        int n = page(st, ds, f, after, 7, buf);
        if (n <= 0)
            break;
        memcpy(all + total, buf, (size_t)n * sizeof *buf);
        total += n;
        after = buf[n - 1];
        CHECK(total <= N_ITEMS);
        if (total > N_ITEMS)
            break;
    }
    int back = total;
    int64_t before = -1;
    for (;;) {
        struct browse_row *rows = NULL;
        int n = -1;
        OK(store_browse_rows_before(st, ds, f, before, 4, &rows, &n, &err));
        for (int i = n - 1; i >= 0; i--) {
            back--;
            CHECK(back >= 0 && all[back] == rows[i].seq);
        }
        if (n > 0)
            before = rows[0].seq;
        store_browse_rows_free(rows, n);
        if (n <= 0 || back <= 0)
            break;
    }
    CHECK_EQ(back, 0);
    int64_t cnt = -1;
    OK(store_browse_count(st, ds, f, &cnt, &err));
    CHECK_EQ(cnt, total);
    for (int i = 0; i < total; i++) {
        int64_t pos = -1;
        OK(store_browse_position(st, ds, f, all[i], &pos, &err));
        CHECK_EQ(pos, i);
    }
    return total;
}

static void
test_paging(struct store *st, int64_t ds)
{
    int64_t all[N_ITEMS + 8];
    CHECK_EQ(walk(st, ds, NULL, all), N_ITEMS);
    for (int i = 0; i < N_ITEMS; i++)
        CHECK_EQ(all[i], i);

    /* the first row's figures */
    struct browse_row *rows = NULL;
    int n = 0;
    struct browse_filter me = {.annotator = "human:me"};
    OK(store_browse_rows(st, ds, &me, 2, 2, &rows, &n, &err));
    CHECK_EQ(n, 2);
    if (n == 2) {
        CHECK_EQ(rows[0].seq, 3);
        CHECK_STREQ(rows[0].preview, "prompt 3 plain");
        CHECK_EQ(rows[0].n_resp, 2);
        CHECK_EQ(rows[0].len0, 13);
        CHECK_EQ(rows[0].len1, 37);
        CHECK_EQ(rows[0].ds_label, STORE_VERDICT_A);
        CHECK_EQ(rows[0].my_label, STORE_VERDICT_NONE);
        CHECK_STREQ(rows[0].tags, "three");
        CHECK_STREQ(rows[0].models, "gpt-4o, claude_3");
        CHECK_EQ(rows[0].disagree, 0);
        CHECK_EQ(rows[1].seq, 4);
        CHECK_EQ(rows[1].ds_label, STORE_VERDICT_B);
        CHECK(rows[1].tags == NULL);
    }
    store_browse_rows_free(rows, n);

    /* descending */
    struct browse_filter desc = {.desc = 1};
    CHECK_EQ(walk(st, ds, &desc, all), N_ITEMS);
    CHECK_EQ(all[0], N_ITEMS - 1);
    CHECK_EQ(all[N_ITEMS - 1], 0);

    /* sort by length difference: |(10+k) - (40-k)| = |2k - 30|, ties by seq */
    struct browse_filter byd = {.sort = BROWSE_SORT_LEN_DIFF};
    CHECK_EQ(walk(st, ds, &byd, all), N_ITEMS);
    CHECK_EQ(all[0], 15);
    CHECK_EQ(all[1], 14);
    CHECK_EQ(all[2], 16);
    CHECK_EQ(all[N_ITEMS - 1], 0);
    byd.desc = 1;
    CHECK_EQ(walk(st, ds, &byd, all), N_ITEMS);
    CHECK_EQ(all[0], 0);
    struct browse_filter byp = {.sort = BROWSE_SORT_PROMPT_LEN};
    CHECK_EQ(walk(st, ds, &byp, all), N_ITEMS);
    CHECK_EQ(all[N_ITEMS - 1], 7); /* "prompt 7 zebra crossing" is the longest */

    /* filters */
    struct browse_filter tag = {.tag = "three"};
    CHECK_EQ(walk(st, ds, &tag, all), 10);
    CHECK_EQ(all[1], 3);
    struct browse_filter model = {.model = "gpt-4"};
    CHECK_EQ(walk(st, ds, &model, all), 15);
    CHECK_EQ(all[0], 1);
    struct browse_filter wild = {.model = "claude_"}; /* '_' is literal, not a wildcard */
    CHECK_EQ(walk(st, ds, &wild, all), N_ITEMS);
    struct browse_filter wild2 = {.model = "claude%3"};
    CHECK_EQ(walk(st, ds, &wild2, all), 0);
    struct browse_filter len = {.len_min = 30, .len_max = 35};
    /* max(10+k, 40-k) in [30,35]: k = 5..10 (40-k) and k = 20..25 (10+k) */
    CHECK_EQ(walk(st, ds, &len, all), 12);
    struct browse_filter dis = {.disagree = 1};
    /* the judge contradicts the dataset on every item k % 5 == 0 */
    CHECK_EQ(walk(st, ds, &dis, all), 6);
    CHECK_EQ(all[1], 5);
    struct browse_filter combo = {.tag = "three", .disagree = 1, .sort = BROWSE_SORT_LEN_DIFF};
    CHECK_EQ(walk(st, ds, &combo, all), 2); /* k = 0, 15 */
    CHECK_EQ(all[0], 15);
    struct browse_filter srch = {.search = "zebra"};
    CHECK_EQ(walk(st, ds, &srch, all), 1);
    CHECK_EQ(all[0], 7);
    struct browse_filter srch2 = {.search = "unicorn OR zebra"};
    CHECK_EQ(walk(st, ds, &srch2, all), 2);
    /* a word in every item: pages walk the FTS doclist, which also holds the
     * second dataset's items */
    struct browse_filter every = {.search = "prompt"};
    CHECK_EQ(walk(st, ds, &every, all), N_ITEMS);
    for (int i = 0; i < N_ITEMS; i++)
        CHECK_EQ(all[i], i);
    every.desc = 1;
    CHECK_EQ(walk(st, ds, &every, all), N_ITEMS);
    CHECK_EQ(all[0], N_ITEMS - 1);
    struct browse_filter every_tag = {.search = "prompt", .tag = "three", .desc = 1};
    CHECK_EQ(walk(st, ds, &every_tag, all), 10);
    CHECK_EQ(all[0], 27);
    struct browse_filter every_len = {.search = "prompt", .sort = BROWSE_SORT_LEN_DIFF};
    CHECK_EQ(walk(st, ds, &every_len, all), N_ITEMS);
    CHECK_EQ(all[0], 15);

    /* a bad search is a usage error, not a crash or a DB error */
    struct browse_filter bad = {.search = "   "};
    rows = NULL;
    CHECK_EQ(store_browse_rows(st, ds, &bad, -1, 5, &rows, &n, &err), PS_ERR_USAGE);
    CHECK(rows == NULL);

    /* an anchor that does not exist */
    CHECK_EQ(store_browse_rows(st, ds, &byd, 999, 5, &rows, &n, &err), PS_ERR_NOTFOUND);
    int64_t cnt = 0;
    OK(store_browse_count(st, ds, NULL, &cnt, &err));
    CHECK_EQ(cnt, N_ITEMS);
}

static void
test_fts_query(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"cat", "(\"cat\")"},
        {"cat dog", "(\"cat\" AND \"dog\")"},
        {"  \"black cat\"  dog*", "(\"black cat\" AND \"dog\"*)"},
        {"cat -dog", "(\"cat\") NOT \"dog\""},
        {"cat OR dog", "(\"cat\" OR \"dog\")"},
        {"it's", "(\"it's\")"},
        {"say \"hi", "(\"say\" AND \"hi\")"},
        {"a\"b", "(\"a\"\"b\")"},
        {"NEAR(a b) AND col:x", "(\"NEAR(a\" AND \"b)\" AND \"AND\" AND \"col:x\")"},
        {"prompt:cat response:dog", "(prompt : \"cat\" AND responses : \"dog\")"},
        {"cat !!! ---", "(\"cat\")"},
        {"中文", "(\"中文\")"},
    };
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sb_reset(&sb);
        OK(store_fts_query(cases[i].in, &sb, &err));
        CHECK_STREQ(sb_str(&sb), cases[i].out);
    }
    const char *bad[] = {"", "   ", "-cat", "!!!", "OR", NULL};
    for (int i = 0; i < 6; i++) {
        sb_reset(&sb);
        CHECK_EQ(store_fts_query(bad[i], &sb, &err), PS_ERR_USAGE);
    }
    sb_free(&sb);
}

static void
test_search(struct store *st, int64_t ds, int64_t ds2)
{
    int64_t seq = -1;
    OK(store_search_next(st, ds, "prompt", -1, 1, &seq, &err));
    CHECK_EQ(seq, 0);
    OK(store_search_next(st, ds, "prompt", 0, 1, &seq, &err));
    CHECK_EQ(seq, 1);
    OK(store_search_next(st, ds, "prompt", -1, -1, &seq, &err));
    CHECK_EQ(seq, N_ITEMS - 1);
    OK(store_search_next(st, ds, "prompt", 10, -1, &seq, &err));
    CHECK_EQ(seq, 9);
    OK(store_search_next(st, ds, "zebra", -1, 1, &seq, &err));
    CHECK_EQ(seq, 7);
    CHECK_EQ(store_search_next(st, ds, "zebra", 7, 1, &seq, &err), PS_ERR_NOTFOUND);
    CHECK_EQ(store_search_next(st, ds, "zebra", 7, -1, &seq, &err), PS_ERR_NOTFOUND);
    OK(store_search_next(st, ds, "unicorn", 3, 1, &seq, &err)); /* in a response */
    CHECK_EQ(seq, 12);
    OK(store_search_next(st, ds, "ZEB*", -1, 1, &seq, &err));
    CHECK_EQ(seq, 7);
    /* the second dataset has the same texts: searching it never returns ds items */
    OK(store_search_next(st, ds2, "zebra", -1, 1, &seq, &err));
    CHECK_EQ(seq, 7);
    CHECK_EQ(store_search_next(st, ds2, "zebra", 7, 1, &seq, &err), PS_ERR_NOTFOUND);
    /* hostile input is quoted, never an FTS5 syntax error */
    CHECK_EQ(store_search_next(st, ds, "\"unbalanced AND (", -1, 1, &seq, &err), PS_ERR_NOTFOUND);
    CHECK_EQ(store_search_next(st, ds, "***", -1, 1, &seq, &err), PS_ERR_USAGE);
    CHECK_CONTAINS(err.msg, "nothing to search");
}

static void
item_pair(struct store *st, int64_t ds, int64_t seq, int64_t *item, int64_t *r0, int64_t *r1)
{
    struct store_item it;
    OK(store_item_get(st, ds, seq, &it, &err));
    *item = it.id;
    *r0 = it.resp[0].id;
    *r1 = it.resp[1].id;
    store_item_free(&it);
}

static void
test_labels(struct store *st, int64_t ds)
{
    int64_t item, r0, r1;
    enum store_verdict prev = STORE_VERDICT_TIE, v;
    struct store_dataset d0, d1;
    OK(store_dataset_get(st, ds, &d0, &err));
    item_pair(st, ds, 1, &item, &r0, &r1);

    OK(store_label_set(st, item, r0, r1, "human:me", STORE_VERDICT_A, &prev, &err));
    CHECK_EQ(prev, STORE_VERDICT_NONE);
    OK(store_label_get(st, item, r0, r1, "human:me", &v, &err));
    CHECK_EQ(v, STORE_VERDICT_A);
    OK(store_label_get(st, item, r1, r0, "human:me", &v, &err));
    CHECK_EQ(v, STORE_VERDICT_B); /* the same judgment seen from the other order */
    /* relabel from the swapped order (blind labeling): still one judgment */
    OK(store_label_set(st, item, r1, r0, "human:me", STORE_VERDICT_A, &prev, &err));
    CHECK_EQ(prev, STORE_VERDICT_B);
    OK(store_label_get(st, item, r0, r1, "human:me", &v, &err));
    CHECK_EQ(v, STORE_VERDICT_B);
    struct store_item it;
    OK(store_item_get(st, ds, 1, &it, &err));
    int mine = 0;
    for (int i = 0; i < it.n_judg; i++)
        mine += !strcmp(it.judg[i].annotator, "human:me");
    CHECK_EQ(mine, 1);
    store_item_free(&it);
    /* undo: put back the previous verdict */
    OK(store_label_set(st, item, r1, r0, "human:me", prev, &prev, &err));
    CHECK_EQ(prev, STORE_VERDICT_A);
    OK(store_label_get(st, item, r0, r1, "human:me", &v, &err));
    CHECK_EQ(v, STORE_VERDICT_A);
    /* meta: the replaced judgment's comes back, so that undo can restore it */
    char *pm = (char *)"unset";
    OK(store_label_set_meta(st, item, r0, r1, "human:me", STORE_VERDICT_B, "{\"k\":1}", &prev, &pm,
                            &err));
    CHECK(pm == NULL); /* the label before had none */
    OK(store_label_set_meta(st, item, r1, r0, "human:me", STORE_VERDICT_TIE, "{\"k\":2}", &prev,
                            &pm, &err));
    CHECK(pm && !strcmp(pm, "{\"k\":1}"));
    CHECK_EQ(prev, STORE_VERDICT_A); /* B seen from (r1, r0) */
    free(pm);
    OK(store_label_set_meta(st, item, r0, r1, "human:me", STORE_VERDICT_NONE, NULL, &prev, &pm,
                            &err));
    CHECK(pm && !strcmp(pm, "{\"k\":2}"));
    free(pm);
    OK(store_label_set_meta(st, item, r0, r1, "human:me", STORE_VERDICT_A, NULL, &prev, &pm, &err));
    CHECK(pm == NULL && prev == STORE_VERDICT_NONE);

    /* the row shows it, and the disagreement with the dataset ("A" too: none) */
    struct browse_filter me = {.annotator = "human:me"};
    struct browse_row *rows = NULL;
    int n = 0;
    OK(store_browse_rows(st, ds, &me, 0, 1, &rows, &n, &err));
    CHECK(n == 1 && rows[0].my_label == STORE_VERDICT_A && !rows[0].disagree);
    store_browse_rows_free(rows, n);

    /* label some more: item 2 tie (disagrees with dataset A), item 3 B */
    int64_t i2, a2, b2, i3, a3, b3;
    item_pair(st, ds, 2, &i2, &a2, &b2);
    item_pair(st, ds, 3, &i3, &a3, &b3);
    OK(store_label_set(st, i2, a2, b2, "human:me", STORE_VERDICT_TIE, NULL, &err));
    OK(store_label_set(st, i3, a3, b3, "human:me", STORE_VERDICT_B, NULL, &err));
    int64_t all[N_ITEMS];
    struct browse_filter f = {.annotator = "human:me", .label = BROWSE_LABEL_LABELED};
    CHECK_EQ(walk(st, ds, &f, all), 3);
    f.label = BROWSE_LABEL_UNLABELED;
    CHECK_EQ(walk(st, ds, &f, all), N_ITEMS - 3);
    CHECK_EQ(all[0], 0);
    CHECK_EQ(all[1], 4);
    f.label = BROWSE_LABEL_A;
    CHECK_EQ(walk(st, ds, &f, all), 1);
    f.label = BROWSE_LABEL_TIE;
    CHECK_EQ(walk(st, ds, &f, all), 1);
    CHECK_EQ(all[0], 2);
    f.label = BROWSE_LABEL_B;
    CHECK_EQ(walk(st, ds, &f, all), 1);
    /* the cached count follows the label changes */
    f.label = BROWSE_LABEL_LABELED;
    int64_t cnt;
    OK(store_browse_count(st, ds, &f, &cnt, &err));
    CHECK_EQ(cnt, 3);
    OK(store_label_clear(st, i3, a3, b3, "human:me", &prev, &err));
    CHECK_EQ(prev, STORE_VERDICT_B);
    OK(store_browse_count(st, ds, &f, &cnt, &err));
    CHECK_EQ(cnt, 2);
    OK(store_label_clear(st, i3, a3, b3, "human:me", &prev, &err)); /* nothing to clear */
    CHECK_EQ(prev, STORE_VERDICT_NONE);
    struct browse_filter dis = {.disagree = 1};
    CHECK_EQ(walk(st, ds, &dis, all), 7); /* 6 from the judge + my tie on item 2 */

    OK(store_dataset_get(st, ds, &d1, &err));
    CHECK_EQ(d1.n_judgments, d0.n_judgments + 2);
    store_dataset_free(&d0);
    store_dataset_free(&d1);

    /* The plain scan plan (used when the annotator has many labels, or forced here)
     * gives the same results as the plans driven by labels or by the FTS doclist. */
    static const struct browse_filter variants[] = {
        {.annotator = "human:me", .label = BROWSE_LABEL_LABELED},
        {.annotator = "human:me", .label = BROWSE_LABEL_TIE},
        {.annotator = "human:me", .label = BROWSE_LABEL_A, .desc = 1},
        {.annotator = "human:me", .label = BROWSE_LABEL_LABELED, .sort = BROWSE_SORT_LEN_DIFF},
        {.search = "prompt"},
        {.search = "prompt", .desc = 1, .tag = "three"},
        {.search = "zebra OR unicorn", .annotator = "human:me", .label = BROWSE_LABEL_UNLABELED},
        {.annotator = "human:me", .label = BROWSE_LABEL_UNLABELED},
        {.annotator = "human:me", .label = BROWSE_LABEL_UNLABELED, .desc = 1},
        {.annotator = "human:me",
         .label = BROWSE_LABEL_UNLABELED,
         .sort = BROWSE_SORT_LEN_DIFF,
         .desc = 1},
    };
    for (size_t vi = 0; vi < sizeof variants / sizeof variants[0]; vi++) {
        int64_t got[N_ITEMS + 8], want[N_ITEMS + 8];
        struct browse_filter fv = variants[vi];
        int ng = walk(st, ds, &fv, got);
        fv.plain_scan = 1;
        int nw = walk(st, ds, &fv, want);
        CHECK_EQ(ng, nw);
        CHECK(ng > 0);
        CHECK(ng == nw && memcmp(got, want, (size_t)ng * sizeof got[0]) == 0);
    }

    /* errors */
    CHECK_EQ(store_label_set(st, item, r0, r0, "human:me", STORE_VERDICT_A, NULL, &err),
             PS_ERR_USAGE);
    CHECK_EQ(store_label_set(st, item, r0, r1, "", STORE_VERDICT_A, NULL, &err), PS_ERR_USAGE);
    CHECK_EQ(store_label_set(st, item, r0, b3, "human:me", STORE_VERDICT_A, NULL, &err),
             PS_ERR_NOTFOUND);

    /* agreement: me vs dataset on items 1 (A/A) and 2 (tie/A) */
    struct store_agreement *ag = NULL;
    OK(store_agreement(st, ds, "human:me", &ag, &n, &err));
    CHECK_EQ(n, 1);
    if (n == 1) {
        CHECK_STREQ(ag[0].annotator, "dataset");
        CHECK_EQ(ag[0].both, 2);
        CHECK_EQ(ag[0].agree, 1);
    }
    store_agreement_free(ag, n);
    /* the judge vs the dataset: 6 pairs, the judge stored them in the other order
     * with the same letter, so they all disagree once normalized */
    OK(store_agreement(st, ds, "llm:judge", &ag, &n, &err));
    CHECK_EQ(n, 1);
    if (n == 1) {
        CHECK_STREQ(ag[0].annotator, "dataset");
        CHECK_EQ(ag[0].both, 6);
        CHECK_EQ(ag[0].agree, 0);
    }
    store_agreement_free(ag, n);
    /* label item 5 like the judge: agreement with it, disagreement with the dataset */
    int64_t i5, a5, b5;
    item_pair(st, ds, 5, &i5, &a5, &b5);
    OK(store_label_set(st, i5, a5, b5, "human:me", STORE_VERDICT_B, NULL, &err));
    OK(store_agreement(st, ds, "human:me", &ag, &n, &err));
    CHECK_EQ(n, 2);
    if (n == 2) {
        CHECK_STREQ(ag[0].annotator, "dataset");
        CHECK_EQ(ag[0].both, 3);
        CHECK_EQ(ag[0].agree, 1);
        CHECK_STREQ(ag[1].annotator, "llm:judge");
        CHECK_EQ(ag[1].both, 1);
        CHECK_EQ(ag[1].agree, 1);
    }
    store_agreement_free(ag, n);
}

static void
test_tags_notes(struct store *st, int64_t ds)
{
    int64_t item, r0, r1;
    item_pair(st, ds, 4, &item, &r0, &r1);
    int added = -1, removed = -1;
    OK(store_tag_add(st, item, "check", &added, &err));
    CHECK_EQ(added, 1);
    OK(store_tag_add(st, item, "check", &added, &err));
    CHECK_EQ(added, 0);
    OK(store_tag_add(st, item, "alpha", NULL, &err));
    char **tags = NULL;
    int n = 0;
    OK(store_tag_list(st, item, &tags, &n, &err));
    CHECK_EQ(n, 2);
    if (n == 2) {
        CHECK_STREQ(tags[0], "alpha");
        CHECK_STREQ(tags[1], "check");
    }
    store_strings_free(tags, n);
    int64_t *counts = NULL;
    OK(store_tag_names(st, ds, &tags, &counts, &n, &err));
    CHECK_EQ(n, 3);
    if (n == 3) {
        CHECK_STREQ(tags[2], "three");
        CHECK_EQ(counts[2], 10);
        CHECK_EQ(counts[0], 1);
    }
    store_strings_free(tags, n);
    free(counts);
    OK(store_tag_remove(st, item, "check", &removed, &err));
    CHECK_EQ(removed, 1);
    OK(store_tag_remove(st, item, "check", &removed, &err));
    CHECK_EQ(removed, 0);
    CHECK_EQ(store_tag_add(st, item, "", NULL, &err), PS_ERR_USAGE);

    int64_t nid = 0;
    OK(store_note_add(st, item, "human:me", "first note", &nid, &err));
    OK(store_note_add(st, item, NULL, "second \x1b[2J note", NULL, &err));
    CHECK_EQ(store_note_add(st, 999999, NULL, "x", NULL, &err), PS_ERR_NOTFOUND);
    struct store_note *notes = NULL;
    OK(store_note_list(st, item, &notes, &n, &err));
    CHECK_EQ(n, 2);
    if (n == 2) {
        CHECK_EQ(notes[0].id, nid);
        CHECK_STREQ(notes[0].author, "human:me");
        CHECK_STREQ(notes[1].text, "second \x1b[2J note");
        CHECK(notes[1].author == NULL);
        CHECK(notes[0].created_at != NULL);
    }
    store_notes_free(notes, n);
    OK(store_note_delete(st, nid, &err));
    OK(store_note_list(st, item, &notes, &n, &err));
    CHECK_EQ(n, 1);
    store_notes_free(notes, n);
}

int
main(void)
{
    struct store *st = NULL;
    char path[4200];
    snprintf(path, sizeof path, "%s/browse.db", test_tmpdir());
    OK(store_open(&st, path, &err));
    if (!st)
        return test_summary();
    int64_t ds = make_dataset(st, "one");
    int64_t ds2 = make_dataset(st, "two");
    test_paging(st, ds);
    test_fts_query();
    test_search(st, ds, ds2);
    test_labels(st, ds);
    test_tags_notes(st, ds);

    /* item_stat is maintained through a dataset delete (cascade) */
    OK(store_dataset_delete(st, ds2, &err));
    int64_t cnt = -1;
    struct browse_filter any = {.len_min = 1};
    OK(store_browse_count(st, ds2, &any, &cnt, &err));
    CHECK_EQ(cnt, 0);
    store_close(st);

    /* A workspace with data from before the item_stat migration is backfilled: drop
     * what the migration made and run it again on the data. */
    st = NULL;
    OK(store_open(&st, path, &err));
    OK(store_exec(st, "DROP TABLE item_stat", &err));
    OK(store_exec(st,
                  "DROP TRIGGER item_stat_item_ins; DROP TRIGGER item_stat_item_upd;"
                  " DROP TRIGGER item_stat_resp_ins; DROP TRIGGER item_stat_resp_upd;"
                  " DROP TRIGGER item_stat_resp_del; DROP TRIGGER item_stat_judg_ins;"
                  " DROP TRIGGER item_stat_judg_upd; DROP TRIGGER item_stat_judg_del;",
                  &err));
    int found = 0;
    for (int i = 0; i < store_n_migrations; i++) {
        if (strstr(store_migrations[i], "CREATE TABLE item_stat")) {
            OK(store_exec(st, store_migrations[i], &err));
            found++;
        }
    }
    CHECK_EQ(found, 1);
    int64_t all[N_ITEMS + 8];
    struct browse_filter byd = {.sort = BROWSE_SORT_LEN_DIFF};
    CHECK_EQ(walk(st, ds, &byd, all), N_ITEMS);
    CHECK_EQ(all[0], 15);
    struct browse_filter dis = {.disagree = 1};
    CHECK_EQ(walk(st, ds, &dis, all), 7);
    struct browse_filter model = {.model = "llama"};
    CHECK_EQ(walk(st, ds, &model, all), 15);
    store_close(st);
    return test_summary();
}
