/* The evaluation report over a tiny dataset written through the store, so the
 * judgment table (canonical order, swaps, lengths, models) is tested with it. */
#include <math.h>

#include "core/record.h"
#include "core/stats_report.h"
#include "store/judgments.h"
#include "store/store.h"
#include "test.h"

/* Three items, responses r0 (model m1) and r1 (model m2).  "dataset" gives the gold
 * label in order (r0, r1); "llm:j" judges each item in both orders:
 *
 *   item  lengths r0/r1  gold  j as (r0,r1)  j as (r1,r0)   canonical j
 *   0     2 / 4          A     A             B              A, A      consistent
 *   1     3 / 1          B     tie           A              tie, B    inconsistent
 *   2     1 / 2          A     invalid       A              inv, B    inconsistent
 */
static void
put(struct store *st, int64_t ds, const char *key, const char *t0, const char *t1, const char *gold,
    const char *fwd, const char *rev)
{
    struct ps_record rec;
    ps_record_clear(&rec);
    rec.key = key;
    rec.prompt = key;
    ps_record_add_response(&rec, t0, "m1");
    ps_record_add_response(&rec, t1, "m2");
    ps_record_add_judgment(&rec, 0, 1, "dataset", gold, !strcmp(gold, "A") ? 1 : 0, NULL);
    int k = ps_record_add_judgment(&rec, 0, 1, "llm:j", fwd,
                                   !strcmp(fwd, "A")   ? 1
                                   : !strcmp(fwd, "B") ? 0
                                                       : 0.5,
                                   NULL);
    if (!strcmp(fwd, "invalid"))
        rec.judg[k].has_p = 0;
    k = ps_record_add_judgment(&rec, 1, 0, "llm:j", rev,
                               !strcmp(rev, "A")   ? 1
                               : !strcmp(rev, "B") ? 0
                                                   : 0.5,
                               NULL);
    rec.judg[k].meta_json = "{\"swap\":true}";
    struct ps_err err;
    CHECK_EQ(store_put_record(st, ds, &rec, &err), PS_OK);
}

/* The loader's name lookup (a hash cache, full past 192 names) and its no-length mode
 * (rank): random items between 300 hostile model names, judged by 5 annotators, read
 * both ways; every row must name the models and annotator it was written with, and
 * the two tables differ only in the lengths. */
static void
test_loader_names(struct store *st)
{
    struct ps_err err;
    int64_t ds;
    CHECK_EQ(store_dataset_create(st, "names", NULL, NULL, &ds, &err), PS_OK);
    enum { NM = 300, NI = 400 };
    static char names[NM][24];
    static const char *const annots[] = {"u", "u ", "llm:\x1b[2J", "\"q\"", "\xc3\xa9"};
    unsigned seed = 12345;
    for (int m = 0; m < NM; m++) {
        /* short names that share prefixes, control bytes and UTF-8 */
        seed = seed * 1103515245u + 12345u;
        snprintf(names[m], sizeof names[m], "%s%d%s", (seed >> 16) % 3 ? "m" : "\x1b[31mm", m,
                 (seed >> 8) % 2 ? "\xe2\x80\xae" : "");
    }
    int want_lo[NI], want_hi[NI], want_a[NI];
    for (int i = 0; i < NI; i++) {
        struct ps_record rec;
        ps_record_clear(&rec);
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        rec.key = rec.prompt = key;
        seed = seed * 1103515245u + 12345u;
        want_lo[i] = (int)((seed >> 8) % NM);
        want_hi[i] = (want_lo[i] + 1 + (int)((seed >> 20) % (NM - 1))) % NM;
        want_a[i] = (int)((seed >> 4) % 5);
        ps_record_add_response(&rec, "x", names[want_lo[i]]);
        ps_record_add_response(&rec, "yy", names[want_hi[i]]);
        ps_record_add_judgment(&rec, 0, 1, annots[want_a[i]], (seed >> 2) % 2 ? "A" : "tie", 0.5,
                               NULL);
        CHECK_EQ(store_put_record(st, ds, &rec, &err), PS_OK);
    }
    struct stats_table a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    CHECK_EQ(store_judgment_table(st, ds, &a, &err), PS_OK);
    CHECK_EQ(store_judgment_table_derived(st, ds, NULL, STORE_JT_NO_LENGTHS, &b, &err), PS_OK);
    CHECK_EQ(a.n_rows, NI);
    CHECK_EQ(b.n_rows, NI);
    int named = 0, same = 0;
    for (int i = 0; i < NI && i < a.n_rows && i < b.n_rows; i++) {
        const struct stats_jrow *x = &a.rows[i], *y = &b.rows[i];
        named += x->model_lo >= 0 && x->model_hi >= 0 && x->annot >= 0 &&
                 !strcmp(a.models[x->model_lo], names[want_lo[i]]) &&
                 !strcmp(a.models[x->model_hi], names[want_hi[i]]) &&
                 !strcmp(a.annotators[x->annot], annots[want_a[i]]);
        same += x->model_lo == y->model_lo && x->model_hi == y->model_hi && x->annot == y->annot &&
                x->cls == y->cls && x->item == y->item && x->unit == y->unit && x->len_lo == 1 &&
                x->len_hi == 2 && y->len_lo == -1 && y->len_hi == -1;
    }
    CHECK_EQ(named, NI);
    CHECK_EQ(same, NI);
    /* each name once in the lists */
    int dup = 0;
    for (int m = 0; m < a.n_models; m++)
        for (int k = m + 1; k < a.n_models; k++)
            dup += !strcmp(a.models[m], a.models[k]);
    CHECK_EQ(dup, 0);
    CHECK_EQ(a.n_annot, 5);
    stats_table_free(&a);
    stats_table_free(&b);
}

int
main(void)
{
    struct ps_err err;
    struct store *st;
    CHECK_EQ(store_open(&st, ":memory:", &err), PS_OK);
    int64_t ds;
    CHECK_EQ(store_dataset_create(st, "t", NULL, NULL, &ds, &err), PS_OK);
    put(st, ds, "i0", "aa", "bbbb", "A", "A", "B");
    put(st, ds, "i1", "ccc", "d", "B", "tie", "A");
    put(st, ds, "i2", "e", "ff", "A", "invalid", "A");

    struct stats_table t;
    memset(&t, 0, sizeof t);
    CHECK_EQ(store_judgment_table(st, ds, &t, &err), PS_OK);
    CHECK_EQ(t.n_rows, 9);
    CHECK_EQ(t.n_items, 3);
    CHECK_EQ(t.n_units, 3);
    CHECK_EQ(t.n_annot, 2);
    CHECK_EQ(t.n_models, 2);
    /* the swapped judgment of item 0 ("B" as presented) is "A" in canonical order */
    CHECK_EQ(t.rows[2].reversed, 1);
    CHECK_EQ(t.rows[2].cls, STATS_A);
    CHECK_NEAR(t.rows[2].p_lo, 1, 1e-12);
    CHECK_EQ(t.rows[2].len_lo, 2);
    CHECK_EQ(t.rows[2].len_hi, 4);

    int j = stats_table_find_annot(&t, "llm:j"), gold = stats_table_find_annot(&t, "dataset");
    CHECK(j >= 0 && gold >= 0);
    int sel[4], n = 0;
    CHECK_EQ(stats_table_match(&t, "llm:*", sel, &n, 4), 1);
    CHECK_EQ(stats_table_match(&t, "nobody", sel, &n, 4), 0);
    int ref[1] = {gold};
    struct stats_opts o = {.ref = ref, .n_ref = 1, .bootstrap = 200, .seed = 7, .level = 0.95};
    struct stats_report r;
    stats_report_compute(&t, &o, &r);
    CHECK_EQ(r.n_annot, 2);
    const struct stats_annot_report *a = r.annot[0].annot == j ? &r.annot[0] : &r.annot[1];
    const struct stats_annot_report *g = r.annot[0].annot == j ? &r.annot[1] : &r.annot[0];
    CHECK_NEAR(a->n, 6, 0);
    CHECK_NEAR(a->n_invalid, 1, 0);
    /* Second-presented response's score over the 5 valid judgments:
     * i0 (r0,r1) A -> 0; i0 (r1,r0) B -> 1; i1 tie -> .5; i1 (r1,r0) A -> 0;
     * i2 (r1,r0) A -> 0.  1.5/5 = 0.3 */
    CHECK_NEAR(a->winrate_b.v, 0.3, 1e-12);
    CHECK(a->winrate_b.lo <= a->winrate_b.v && a->winrate_b.v <= a->winrate_b.hi);
    /* both orders on all 3 units, only item 0 consistent (an invalid never is) */
    CHECK_NEAR(a->n_pos_units, 3, 0);
    CHECK_NEAR(a->consistency.v, 1.0 / 3.0, 1e-12);
    /* item 1: tie then B, item 2: invalid then B: no unit won by the same slot twice */
    CHECK_NEAR(a->first_wins.v, 0, 1e-12);
    CHECK_NEAR(a->second_wins.v, 0, 1e-12);
    /* Longer response (r1, r0, r1 for items 0, 1, 2) over the valid judgments:
     * i0: A, A -> 0, 0; i1: tie -> .5, B (r1 better, r0 longer) -> 0; i2: B -> 1.
     * 1.5/5 = 0.3 */
    CHECK_NEAR(a->n_len, 5, 0);
    CHECK_NEAR(a->longer_wins.v, 0.3, 1e-12);
    /* Against gold (canonical A, B, A), every judgment counted, invalid wrong:
     * i0 A ok, A ok; i1 tie x, B ok; i2 invalid x, B x -> 3/6.
     * Confusion A: [2 1 0 | 1], B: [0 1 1 | 0].  A: P 2/2, R 2/4, F1 2/3;
     * B: P 1/2, R 1/2, F1 1/2; tie (predicted once, never true): P 0, R 0, F1 0.
     * macro P = 1.5/3 = 0.5, macro R = 1/3, macro F1 = (2/3 + 1/2)/3 = 7/18 */
    CHECK_NEAR(a->n_ref, 6, 0);
    CHECK_NEAR(a->accuracy.v, 0.5, 1e-12);
    CHECK_NEAR(a->macro_p.v, 0.5, 1e-12);
    CHECK_NEAR(a->macro_r.v, 1.0 / 3.0, 1e-12);
    CHECK_NEAR(a->macro_f1.v, 7.0 / 18.0, 1e-12);
    CHECK_NEAR(a->conf[STATS_A][STATS_INVALID], 1, 0);
    /* by presentation order: (r0,r1) A ok, tie x, invalid x -> 1/3; (r1,r0) ok, ok, x -> 2/3 */
    CHECK_NEAR(a->accuracy_fwd.v, 1.0 / 3.0, 1e-12);
    CHECK_NEAR(a->accuracy_rev.v, 2.0 / 3.0, 1e-12);
    CHECK_NEAR(a->n_ref_rev, 3, 0);
    CHECK_NEAR(g->accuracy.v, 1, 1e-12);
    /* Per model: m2 scores 0, 0, .5, 1, 1 over the valid judgments -> 2.5/5 */
    int m2 = strcmp(t.models[0], "m2") == 0 ? 0 : 1;
    CHECK_NEAR(a->model_winrate[m2].v, 0.5, 1e-12);
    CHECK_NEAR(g->model_winrate[m2].v, 1.0 / 3.0, 1e-12); /* gold: A, B, A */
    /* Agreement gold vs j on units both valid (i0: A/A, i1: B/tie): 1/2; table
     * A->A 1, B->tie 1: pe = (1*1 + 1*0 + 0*1)/4 = 1/4, kappa = (1/2-1/4)/(3/4) = 1/3.
     * Krippendorff over the same values: units (A,A), (B,tie): n = 4, o_AA = 2,
     * off-diagonal 2, n_A = 2, n_B = n_tie = 1: 2*2 + 1*3 + 1*3 = 10;
     * alpha = 1 - 3*2/10 = 0.4 */
    CHECK_EQ(r.n_pairs, 1);
    CHECK_NEAR(r.pairs[0].n, 2, 0);
    CHECK_NEAR(r.pairs[0].agreement.v, 0.5, 1e-12);
    CHECK_NEAR(r.pairs[0].kappa.v, 1.0 / 3.0, 1e-12);
    CHECK_NEAR(r.alpha.v, 0.4, 1e-12);
    CHECK_NEAR(r.alpha_units, 2, 0);
    CHECK_NEAR(r.fleiss_units, 2, 0);

    /* the same seed gives the same intervals; JSON carries them */
    struct stats_report r2;
    stats_report_compute(&t, &o, &r2);
    CHECK(r2.annot[0].winrate_b.lo == r.annot[0].winrate_b.lo);
    struct strbuf sb = STRBUF_INIT;
    stats_report_json(&r, &sb);
    CHECK_CONTAINS(sb_str(&sb), "\"winrate_b\":{\"value\":0.3,\"ci\":[");
    CHECK_CONTAINS(sb_str(&sb), "\"cohen_kappa\":{\"value\":0.3333333333");
    sb_free(&sb);
    stats_report_free(&r2);
    stats_report_free(&r);

    /* majority reference with the invalid rule: j's invalid on item 2 becomes tie
     * (still wrong against A), so accuracy stays 3/6 */
    o.invalid_as_tie = 1;
    o.bootstrap = 0;
    stats_report_compute(&t, &o, &r);
    a = r.annot[0].annot == j ? &r.annot[0] : &r.annot[1];
    CHECK_NEAR(a->accuracy.v, 0.5, 1e-12);
    CHECK(isnan(a->accuracy.lo));
    stats_report_free(&r);

    struct strbuf bar = STRBUF_INIT;
    stats_bar(&bar, 0.5, 4);
    CHECK_STREQ(sb_str(&bar), "\u2588\u2588  ");
    sb_reset(&bar);
    stats_bar(&bar, 0.5, 1); /* 4 of 8 eighths: the left half block */
    CHECK_STREQ(sb_str(&bar), "\u258c");
    sb_free(&bar);

    stats_table_free(&t);

    /* An item with 12 responses judged on all 66 pairs by two annotators who agree:
     * 66 units (more than any fixed-size pair table would hold), agreement 1. */
    int64_t ds2;
    CHECK_EQ(store_dataset_create(st, "many", NULL, NULL, &ds2, &err), PS_OK);
    struct ps_record rec;
    ps_record_clear(&rec);
    rec.key = rec.prompt = "big";
    static const char *const texts[] = {"r0", "r1", "r2", "r3", "r4",  "r5",
                                        "r6", "r7", "r8", "r9", "r10", "r11"};
    for (int i = 0; i < 12; i++)
        ps_record_add_response(&rec, texts[i], NULL);
    CHECK_EQ(store_put_record(st, ds2, &rec, &err), PS_OK);
    for (int who = 0; who < 2; who++) {
        ps_record_clear(&rec);
        rec.key = rec.prompt = "big";
        for (int i = 0; i < 12; i++)
            ps_record_add_response(&rec, texts[i], NULL);
        for (int i = 0; i < 12; i++)
            for (int k = i + 1; k < 12; k++)
                ps_record_add_judgment(&rec, k, i, who ? "u2" : "u1", (i + k) % 2 ? "A" : "B", 0.5,
                                       NULL);
        if (rec.n_judg != 64) /* the record holds 64 judgments: add the other 2 separately */
            fprintf(stderr, "record holds %d judgments\n", rec.n_judg);
        CHECK_EQ(store_put_record(st, ds2, &rec, &err), PS_OK);
        ps_record_clear(&rec);
        rec.key = rec.prompt = "big";
        for (int i = 0; i < 12; i++)
            ps_record_add_response(&rec, texts[i], NULL);
        ps_record_add_judgment(&rec, 11, 9, who ? "u2" : "u1", "B", 0, NULL);
        ps_record_add_judgment(&rec, 11, 10, who ? "u2" : "u1", "A", 1, NULL);
        CHECK_EQ(store_put_record(st, ds2, &rec, &err), PS_OK);
    }
    memset(&t, 0, sizeof t);
    CHECK_EQ(store_judgment_table(st, ds2, &t, &err), PS_OK);
    CHECK_EQ(t.n_units, 66);
    CHECK_EQ(t.n_rows, 132);
    struct stats_opts o2 = {.bootstrap = 0};
    stats_report_compute(&t, &o2, &r);
    CHECK_EQ(r.n_pairs, 1);
    CHECK_NEAR(r.pairs[0].n, 66, 0);
    CHECK_NEAR(r.pairs[0].agreement.v, 1, 1e-12);
    stats_report_free(&r);
    stats_table_free(&t);
    test_loader_names(st);
    store_close(st);
    return test_summary();
}
