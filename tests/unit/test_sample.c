/* store_browse_sample (labeling queues): on random datasets the sample has
 * min(n, matches) distinct items, each stratum gets its largest-remainder share
 * (computed here independently), items come from the filter and their stratum, a
 * seed always gives the same sample, and every item is about equally likely. */
#include <stdlib.h>
#include <string.h>

#include "core/record.h"
#include "store/annotate.h"
#include "store/browse.h"
#include "store/store.h"
#include "test.h"

static struct ps_err err;

/* Items with 2..4 responses (the stratum "responses"); every third one tagged "t".
 * nresp[k] receives item k's response count; ids[k] its id. */
static int64_t
make(struct store *st, const char *name, int n, unsigned *rng, int *nresp, int64_t *ids)
{
    int64_t ds;
    CHECK_EQ(store_dataset_create(st, name, "test", "test", &ds, &err), PS_OK);
    CHECK_EQ(store_begin(st, &err), PS_OK);
    for (int k = 0; k < n; k++) {
        struct ps_record r;
        char key[16], text[4][32];
        ps_record_clear(&r);
        snprintf(key, sizeof key, "k%d", k);
        r.key = key;
        r.prompt = key;
        nresp[k] = 2 + (int)(rand_r(rng) % 3);
        for (int j = 0; j < nresp[k]; j++) {
            snprintf(text[j], sizeof text[j], "r%d-%d", k, j);
            ps_record_add_response(&r, text[j], "m");
        }
        if (k % 3 == 0)
            ps_record_add_tag(&r, "t");
        CHECK_EQ(store_put_record(st, ds, &r, &err), PS_OK);
    }
    CHECK_EQ(store_commit(st, &err), PS_OK);
    CHECK_EQ(store_dataset_refresh_counts(st, ds, &err), PS_OK);
    for (int k = 0; k < n; k++) {
        struct store_item it;
        CHECK_EQ(store_item_get(st, ds, k, &it, &err), PS_OK);
        ids[k] = it.id;
        store_item_free(&it);
    }
    return ds;
}

/* Hamilton's method, written independently: floors, then the largest fractional
 * parts (the earlier stratum first on a tie), never above a stratum's size. */
static void
expected_alloc(const int64_t *size, int ns, int n, int *alloc)
{
    int64_t total = 0;
    for (int i = 0; i < ns; i++)
        total += size[i];
    int want = total < n ? (int)total : n, given = 0;
    double frac[8];
    for (int i = 0; i < ns; i++) {
        double q = total ? (double)want * (double)size[i] / (double)total : 0;
        alloc[i] = (int)q;
        frac[i] = q - alloc[i];
        given += alloc[i];
    }
    int used[8] = {0};
    while (given < want) {
        int b = -1;
        for (int i = 0; i < ns; i++)
            if (!used[i] && alloc[i] < size[i] && (b < 0 || frac[i] > frac[b]))
                b = i;
        used[b] = 1;
        alloc[b]++;
        given++;
    }
}

static int
index_of(const int64_t *ids, int n, int64_t id)
{
    for (int k = 0; k < n; k++)
        if (ids[k] == id)
            return k;
    return -1;
}

int
main(void)
{
    struct store *st = NULL;
    char path[4200];
    snprintf(path, sizeof path, "%s/sample.db", test_tmpdir());
    CHECK_EQ(store_open(&st, path, &err), PS_OK);
    if (!st)
        return test_summary();
    unsigned rng = 12345;
    int nresp[400];
    int64_t ids[400];
    for (int trial = 0; trial < 25; trial++) {
        char name[32];
        snprintf(name, sizeof name, "d%d", trial);
        int n_items = (int)(rand_r(&rng) % 300);
        int64_t ds = make(st, name, n_items, &rng, nresp, ids);
        int want = (int)(rand_r(&rng) % 120);
        int tagged = trial % 2;
        struct browse_filter f = {0};
        f.tag = tagged ? "t" : NULL;
        /* Stratum sizes among the matching items: n_resp 2, 3, 4 (in that order). */
        int64_t size[3] = {0, 0, 0};
        for (int k = 0; k < n_items; k++)
            if (!tagged || k % 3 == 0)
                size[nresp[k] - 2]++;
        int64_t sizes_nz[3];
        int ns = 0, map[3];
        for (int i = 0; i < 3; i++)
            if (size[i]) {
                map[i] = ns;
                sizes_nz[ns++] = size[i];
            }
        int alloc[8];
        expected_alloc(sizes_nz, ns, want, alloc);
        int64_t *got = NULL, *again = NULL;
        int ng = -1, na = -1;
        uint64_t seed = (uint64_t)rand_r(&rng);
        CHECK_EQ(
            store_browse_sample(st, ds, &f, want, BROWSE_STRATUM_RESPONSES, seed, &got, &ng, &err),
            PS_OK);
        int64_t matches = size[0] + size[1] + size[2];
        CHECK_EQ(ng, matches < want ? matches : want);
        int per[3] = {0, 0, 0}, last = -1;
        for (int i = 0; i < ng; i++) {
            int k = index_of(ids, n_items, got[i]);
            CHECK(k >= 0);
            if (k < 0)
                continue;
            CHECK(k > last); /* import order, hence distinct */
            last = k;
            if (tagged)
                CHECK_EQ(k % 3, 0);
            per[nresp[k] - 2]++;
        }
        for (int i = 0; i < 3; i++)
            CHECK_EQ(per[i], size[i] ? alloc[map[i]] : 0);
        /* The same seed gives the same sample. */
        CHECK_EQ(store_browse_sample(st, ds, &f, want, BROWSE_STRATUM_RESPONSES, seed, &again, &na,
                                     &err),
                 PS_OK);
        CHECK_EQ(na, ng);
        CHECK(na == ng && memcmp(got, again, (size_t)ng * sizeof *got) == 0);
        free(got);
        free(again);
        /* Unstratified: exactly min(n, matches). */
        CHECK_EQ(
            store_browse_sample(st, ds, NULL, want, BROWSE_STRATUM_NONE, seed, &got, &ng, &err),
            PS_OK);
        CHECK_EQ(ng, n_items < want ? n_items : want);
        free(got);
    }

    /* Every item about equally likely: 5 of 20, 400 seeds -> 100 expected each. */
    int64_t ds = make(st, "uniform", 20, &rng, nresp, ids);
    int hits[20] = {0}, distinct = 0;
    int64_t first[5] = {0};
    for (uint64_t seed = 0; seed < 400; seed++) {
        int64_t *got = NULL;
        int ng = 0;
        CHECK_EQ(store_browse_sample(st, ds, NULL, 5, BROWSE_STRATUM_NONE, seed, &got, &ng, &err),
                 PS_OK);
        CHECK_EQ(ng, 5);
        if (seed == 0)
            memcpy(first, got, sizeof first);
        else if (memcmp(first, got, sizeof first) != 0)
            distinct = 1;
        for (int i = 0; i < ng; i++) {
            int k = index_of(ids, 20, got[i]);
            if (k >= 0)
                hits[k]++;
        }
        free(got);
    }
    CHECK(distinct);
    for (int k = 0; k < 20; k++) {
        if (hits[k] < 60 || hits[k] > 140)
            fprintf(stderr, "item %d drawn %d times of 400 (expected 100)\n", k, hits[k]);
        CHECK(hits[k] >= 60 && hits[k] <= 140);
    }
    store_close(st);
    return test_summary();
}
