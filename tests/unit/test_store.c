/* store: migrations, put_record (merge by key, responses matched by text+model),
 * reading back, FTS search, dataset delete/replace and rollback leaving no orphans
 * and a consistent full-text index. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/record.h"
#include "store/check.h"
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

static void
check_consistent(struct store *st, int line)
{
    int rc = store_check(st, &err);
    if (rc != PS_OK)
        fprintf(stderr, "store_check (line %d): %s\n", line, err.msg);
    CHECK_EQ(rc, PS_OK);
}
#define CONSISTENT(st) check_consistent(st, __LINE__)

static int64_t
fts(struct store *st, int64_t ds, const char *q)
{
    int64_t n = -1;
    OK(store_fts_count(st, ds, q, &n, &err));
    return n;
}

static void
test_migrations(void)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/ws.db", test_tmpdir());
    struct store *st = NULL;
    OK(store_open(&st, path, &err));
    int v = -1;
    OK(store_schema_version(st, &v, &err));
    CHECK_EQ(v, STORE_SCHEMA_VERSION);
    CHECK(v >= 1);
    CONSISTENT(st);
    store_close(st);

    /* reopening migrates nothing and keeps the version */
    st = NULL;
    OK(store_open(&st, path, &err));
    OK(store_schema_version(st, &v, &err));
    CHECK_EQ(v, STORE_SCHEMA_VERSION);
    /* a workspace from a newer prefscope is refused with a message naming it */
    OK(store_exec(st, "PRAGMA user_version = 9999", &err));
    store_close(st);
    st = NULL;
    CHECK_EQ(store_open(&st, path, &err), PS_ERR_DB);
    CHECK(st == NULL);
    CHECK_CONTAINS(err.msg, path);
    CHECK_CONTAINS(err.msg, "newer");

    /* a file that is not a database */
    snprintf(path, sizeof path, "%s/notadb.db", test_tmpdir());
    FILE *f = fopen(path, "w");
    fputs("this is not sqlite, just text that is long enough to have a header...........\n", f);
    fclose(f);
    CHECK(store_open(&st, path, &err) != PS_OK);
    CHECK_CONTAINS(err.msg, path);

    CHECK_STREQ(store_default_path("x.db"), "x.db");
    setenv("PREFSCOPE_WORKSPACE", "/tmp/env.db", 1);
    CHECK_STREQ(store_default_path(NULL), "/tmp/env.db");
    unsetenv("PREFSCOPE_WORKSPACE");
    CHECK_STREQ(store_default_path(""), "prefscope.db");
}

static void
test_put_and_merge(void)
{
    struct store *st = NULL;
    OK(store_open(&st, ":memory:", &err));
    int64_t ds = 0, other = 0;
    OK(store_dataset_create(st, "pairs", "src.jsonl", "test", &ds, &err));
    CHECK_EQ(store_dataset_create(st, "pairs", NULL, NULL, &other, &err), PS_ERR_EXISTS);
    CHECK_CONTAINS(err.msg, "already exists");
    OK(store_dataset_create(st, "other", NULL, NULL, &other, &err));

    OK(store_begin(st, &err));
    struct ps_record r;
    ps_record_clear(&r);
    r.key = "k1";
    r.ext_id = "ext-1";
    r.system = "You are terse.";
    r.history_json = "[{\"role\":\"user\",\"content\":\"earlier zebra question\"},"
                     "{\"role\":\"assistant\",\"content\":\"earlier answer\"}]";
    r.prompt = "Explain photosynthesis briefly";
    r.meta_json = "{\"source\":\"unit\"}";
    ps_record_add_response(&r, "Plants turn sunlight into sugar.", "model-x");
    ps_record_add_response(&r, "It is how chlorophyll captures light.", "model-y");
    r.resp[1].meta_json = "{\"tokens\":9}";
    ps_record_add_judgment(&r, 0, 1, "dataset", "A", 1.0, NULL);
    ps_record_add_rating(&r, 0, "helpfulness", 4, "human:alice");
    ps_record_add_tag(&r, "biology");
    OK(store_put_record(st, ds, &r, &err));

    /* the same key again: one existing response (same text and model), one response
     * with the same text but another model (a different response), and a new one */
    ps_record_clear(&r);
    r.key = "k1";
    r.prompt = "ignored: the item exists";
    ps_record_add_response(&r, "It is how chlorophyll captures light.", "model-y");
    ps_record_add_response(&r, "Plants turn sunlight into sugar.", "model-z");
    ps_record_add_response(&r, "Quokkas photosynthesize? No.", NULL);
    ps_record_add_judgment(&r, 0, 2, "human:bob", "tie", 0.5, "both fine");
    ps_record_add_judgment(&r, 2, 1, "llm:judge", "invalid", 0, NULL);
    ps_record_add_rating(&r, 2, "helpfulness", 1, "human:bob");
    ps_record_add_tag(&r, "biology"); /* duplicate tag ignored */
    ps_record_add_tag(&r, "merged");
    OK(store_put_record(st, ds, &r, &err));

    /* an unkeyed record gets its own item; text-free battle responses match by model */
    ps_record_clear(&r);
    ps_record_add_response(&r, NULL, "gpt-4");
    ps_record_add_response(&r, NULL, "claude");
    ps_record_add_judgment(&r, 0, 1, "dataset", "B", 0.0, NULL);
    OK(store_put_record(st, ds, &r, &err));
    r.key = "battle";
    OK(store_put_record(st, ds, &r, &err));
    ps_record_clear(&r);
    r.key = "battle";
    ps_record_add_response(&r, NULL, "claude");
    ps_record_add_response(&r, NULL, "gpt-4");
    ps_record_add_response(&r, NULL, "llama");
    ps_record_add_judgment(&r, 0, 2, "dataset", "A", 1.0, NULL);
    OK(store_put_record(st, ds, &r, &err));

    /* a record in another dataset with the same key is a different item */
    ps_record_clear(&r);
    r.key = "k1";
    r.prompt = "unrelated walrus prompt";
    ps_record_add_response(&r, "walrus answer", NULL);
    OK(store_put_record(st, other, &r, &err));

    /* invalid records are refused */
    ps_record_clear(&r);
    CHECK_EQ(store_put_record(st, ds, &r, &err), PS_ERR_PARSE);
    ps_record_add_response(&r, "x", NULL);
    ps_record_add_judgment(&r, 0, 3, NULL, "A", 1, NULL);
    CHECK_EQ(store_put_record(st, other, &r, &err), PS_ERR_PARSE);
    CHECK_CONTAINS(err.msg, "missing response");
    OK(store_dataset_refresh_counts(st, ds, &err));
    OK(store_dataset_refresh_counts(st, other, &err));
    OK(store_commit(st, &err));

    struct store_item it;
    OK(store_item_get(st, ds, 0, &it, &err));
    CHECK_STREQ(it.key, "k1");
    CHECK_STREQ(it.ext_id, "ext-1");
    CHECK_STREQ(it.system, "You are terse.");
    CHECK_STREQ(it.prompt, "Explain photosynthesis briefly");
    CHECK_CONTAINS(it.history, "earlier zebra question");
    CHECK_STREQ(it.meta, "{\"source\":\"unit\"}");
    CHECK_EQ(it.n_resp, 4);
    CHECK_STREQ(it.resp[0].model, "model-x");
    CHECK_STREQ(it.resp[1].meta, "{\"tokens\":9}");
    CHECK_STREQ(it.resp[2].text, "Plants turn sunlight into sugar.");
    CHECK_STREQ(it.resp[2].model, "model-z");
    CHECK_STREQ(it.resp[3].text, "Quokkas photosynthesize? No.");
    CHECK(it.resp[3].model == NULL);
    CHECK_EQ(it.n_judg, 3);
    CHECK_STREQ(it.judg[0].annotator, "dataset");
    CHECK_EQ(it.judg[0].a, 0);
    CHECK_EQ(it.judg[0].b, 1);
    CHECK_STREQ(it.judg[1].annotator, "human:bob");
    CHECK_STREQ(it.judg[1].verdict, "tie");
    CHECK_EQ(it.judg[1].a, 1); /* mapped onto the existing response */
    CHECK_EQ(it.judg[1].b, 3);
    CHECK(it.judg[1].p_a == 0.5);
    CHECK_STREQ(it.judg[1].rationale, "both fine");
    CHECK_STREQ(it.judg[2].verdict, "invalid");
    CHECK_EQ(it.judg[2].has_p, 0);
    CHECK_EQ(it.judg[2].a, 3);
    CHECK_EQ(it.judg[2].b, 2);
    CHECK_EQ(it.n_rating, 2);
    CHECK_EQ(it.rating[0].resp, 0);
    CHECK_EQ(it.rating[1].resp, 3);
    CHECK_STREQ(it.rating[1].annotator, "human:bob");
    CHECK_EQ(it.n_tags, 2);
    CHECK_STREQ(it.tags[0], "biology");
    CHECK_STREQ(it.tags[1], "merged");
    int64_t item0 = it.id;
    store_item_free(&it);

    OK(store_item_get(st, ds, 1, &it, &err));
    CHECK_STREQ(it.key, "#1");
    CHECK_EQ(it.n_resp, 2);
    store_item_free(&it);
    OK(store_item_get(st, ds, 2, &it, &err));
    CHECK_STREQ(it.key, "battle");
    CHECK_EQ(it.n_resp, 3); /* claude and gpt-4 matched by model, llama added */
    CHECK_EQ(it.n_judg, 2);
    CHECK_STREQ(it.resp[it.judg[1].a].model, "claude");
    CHECK_STREQ(it.resp[it.judg[1].b].model, "llama");
    store_item_free(&it);
    CHECK_EQ(store_item_get(st, ds, 3, &it, &err), PS_ERR_NOTFOUND);
    OK(store_item_get_by_id(st, item0, &it, &err));
    CHECK_EQ(it.seq, 0);
    store_item_free(&it);

    struct store_dataset d;
    OK(store_dataset_get(st, ds, &d, &err));
    CHECK_EQ(d.n_items, 3);
    CHECK_EQ(d.n_responses, 9);
    CHECK_EQ(d.n_judgments, 6);
    CHECK_EQ(d.n_ratings, 2);
    CHECK_STREQ(d.annotators, "dataset,human:alice,human:bob,llm:judge");
    store_dataset_free(&d);

    /* full-text search: words of the system prompt, history, prompt and responses,
     * including a response added by a merge; scoped by dataset */
    CHECK_EQ(fts(st, ds, "photosynthesis"), 1);
    CHECK_EQ(fts(st, ds, "terse"), 1);
    CHECK_EQ(fts(st, ds, "zebra"), 1);
    /* the history's text is indexed, not its JSON keys and roles */
    CHECK_EQ(fts(st, ds, "earlier"), 1);
    CHECK_EQ(fts(st, ds, "role"), 0);
    CHECK_EQ(fts(st, ds, "content"), 0);
    CHECK_EQ(fts(st, ds, "assistant"), 0);
    CHECK_EQ(fts(st, ds, "chlorophyll"), 1);
    CHECK_EQ(fts(st, ds, "quokkas"), 1);
    CHECK_EQ(fts(st, ds, "responses:quokkas"), 1);
    CHECK_EQ(fts(st, ds, "prompt:quokkas"), 0);
    CHECK_EQ(fts(st, ds, "walrus"), 0);
    CHECK_EQ(fts(st, other, "walrus"), 1);
    CHECK_EQ(fts(st, -1, "walrus OR quokkas"), 2);
    int64_t n;
    CHECK_EQ(store_fts_count(st, ds, "\"unbalanced", &n, &err), PS_ERR_USAGE);
    CONSISTENT(st);

    /* walking in order */
    struct store_totals t;
    OK(store_totals(st, &t, &err));
    CHECK_EQ(t.datasets, 2);
    CHECK_EQ(t.items, 4);
    CHECK_EQ(t.fts_docs, 4);

    /* delete: everything hanging off the dataset goes, the other one stays intact */
    OK(store_begin(st, &err));
    OK(store_dataset_delete(st, ds, &err));
    OK(store_commit(st, &err));
    OK(store_totals(st, &t, &err));
    CHECK_EQ(t.datasets, 1);
    CHECK_EQ(t.items, 1);
    CHECK_EQ(t.responses, 1);
    CHECK_EQ(t.judgments, 0);
    CHECK_EQ(t.ratings, 0);
    CHECK_EQ(t.tags, 0);
    CHECK_EQ(t.fts_docs, 1);
    CHECK_EQ(fts(st, -1, "photosynthesis"), 0);
    CHECK_EQ(fts(st, -1, "walrus"), 1);
    CHECK_EQ(store_dataset_find(st, "pairs", &n, &err), PS_ERR_NOTFOUND);
    CHECK_CONTAINS(err.msg, "no dataset named 'pairs'");
    CONSISTENT(st);
    store_close(st);
}

/* Replace (delete + create + insert in one transaction), then a failed import that
 * is rolled back: the workspace and its index are exactly as before. */
static void
test_replace_and_rollback(void)
{
    struct store *st = NULL;
    OK(store_open(&st, ":memory:", &err));
    int64_t ds;
    struct ps_record r;
    char key[32], prompt[64];
    OK(store_begin(st, &err));
    OK(store_dataset_create(st, "d", NULL, NULL, &ds, &err));
    for (int i = 0; i < 50; i++) {
        ps_record_clear(&r);
        snprintf(key, sizeof key, "k%d", i);
        snprintf(prompt, sizeof prompt, "first version prompt %d alpha", i);
        r.key = key;
        r.prompt = prompt;
        ps_record_add_response(&r, "old answer beta", "m");
        ps_record_add_response(&r, "other old answer", "n");
        ps_record_add_judgment(&r, 0, 1, NULL, "A", 1, NULL);
        OK(store_put_record(st, ds, &r, &err));
    }
    OK(store_commit(st, &err));
    CONSISTENT(st);

    OK(store_begin(st, &err));
    OK(store_dataset_delete(st, ds, &err));
    OK(store_dataset_create(st, "d", NULL, NULL, &ds, &err));
    for (int i = 0; i < 20; i++) {
        ps_record_clear(&r);
        snprintf(key, sizeof key, "k%d", i); /* same keys, new dataset id */
        snprintf(prompt, sizeof prompt, "second version prompt %d gamma", i);
        r.key = key;
        r.prompt = prompt;
        ps_record_add_response(&r, "new answer delta", "m");
        OK(store_put_record(st, ds, &r, &err));
    }
    OK(store_dataset_refresh_counts(st, ds, &err));
    OK(store_commit(st, &err));
    CONSISTENT(st);
    CHECK_EQ(fts(st, -1, "alpha"), 0);
    CHECK_EQ(fts(st, -1, "beta"), 0);
    CHECK_EQ(fts(st, -1, "gamma"), 20);
    struct store_item it;
    OK(store_item_get(st, ds, 0, &it, &err)); /* sequence restarts at 0 */
    CHECK_CONTAINS(it.prompt, "second version prompt 0");
    store_item_free(&it);

    struct store_totals before, after;
    OK(store_totals(st, &before, &err));
    OK(store_begin(st, &err));
    OK(store_dataset_delete(st, ds, &err));
    int64_t ds2;
    OK(store_dataset_create(st, "d", NULL, NULL, &ds2, &err));
    for (int i = 0; i < 10; i++) {
        ps_record_clear(&r);
        r.prompt = "doomed epsilon";
        ps_record_add_response(&r, "never stored", NULL);
        OK(store_put_record(st, ds2, &r, &err));
    }
    store_rollback(st);
    OK(store_totals(st, &after, &err));
    CHECK(memcmp(&before, &after, sizeof before) == 0);
    CHECK_EQ(fts(st, -1, "epsilon"), 0);
    CHECK_EQ(fts(st, -1, "gamma"), 20);
    OK(store_dataset_find(st, "d", &ds2, &err));
    CHECK_EQ(ds2, ds);
    CONSISTENT(st);

    /* After a rollback the sequence cache must not hand out a used seq. */
    OK(store_begin(st, &err));
    ps_record_clear(&r);
    r.prompt = "appended zeta";
    ps_record_add_response(&r, "z", NULL);
    OK(store_put_record(st, ds, &r, &err));
    OK(store_commit(st, &err));
    OK(store_item_get(st, ds, 20, &it, &err));
    CHECK_STREQ(it.prompt, "appended zeta");
    store_item_free(&it);
    CONSISTENT(st);

    /* list */
    struct store_dataset *list;
    int nd;
    OK(store_dataset_list(st, &list, &nd, &err));
    CHECK_EQ(nd, 1);
    CHECK_STREQ(list[0].name, "d");
    store_dataset_list_free(list, nd);
    store_close(st);
}

/* store_check must notice a stale full-text index (the thing it exists for). */
static void
test_check_detects_problems(void)
{
    struct store *st = NULL;
    OK(store_open(&st, ":memory:", &err));
    int64_t ds;
    OK(store_dataset_create(st, "d", NULL, NULL, &ds, &err));
    struct ps_record r;
    ps_record_clear(&r);
    r.prompt = "original words";
    ps_record_add_response(&r, "reply", NULL);
    OK(store_put_record(st, ds, &r, &err));
    CONSISTENT(st);
    /* change text behind the index's back */
    OK(store_exec(st, "UPDATE item SET prompt = 'changed words'", &err));
    CHECK_EQ(store_check(st, &err), PS_ERR_DB);
    CHECK_CONTAINS(err.msg, "full-text index differs");
    OK(store_exec(st, "INSERT INTO item_fts(item_fts) VALUES('rebuild')", &err));
    CONSISTENT(st);
    /* an orphan row */
    OK(store_exec(st, "PRAGMA foreign_keys = OFF; DELETE FROM item;", &err));
    CHECK_EQ(store_check(st, &err), PS_ERR_DB);
    CHECK_CONTAINS(err.msg, "without an item");
    store_close(st);
}

/* Bulk mode: new items are indexed at commit in one statement; merges into items
 * created in the same bulk and into older items keep the index exact. */
static void
test_bulk(void)
{
    struct store *st = NULL;
    OK(store_open(&st, ":memory:", &err));
    int64_t ds;
    struct ps_record r;
    OK(store_begin(st, &err));
    OK(store_dataset_create(st, "d", NULL, NULL, &ds, &err));
    ps_record_clear(&r);
    r.key = "old";
    r.prompt = "older item about otters";
    ps_record_add_response(&r, "first otter answer", NULL);
    OK(store_put_record(st, ds, &r, &err));
    OK(store_commit(st, &err));

    OK(store_begin(st, &err));
    OK(store_bulk_begin(st, &err));
    char key[16];
    for (int i = 0; i < 30; i++) {
        ps_record_clear(&r);
        snprintf(key, sizeof key, "k%d", i % 10); /* every key three times: merges */
        r.key = key;
        r.prompt = "bulk prompt about badgers";
        ps_record_add_response(&r,
                               i < 10   ? "badger reply"
                               : i < 20 ? "second reply"
                                        : "third ferret reply",
                               NULL);
        OK(store_put_record(st, ds, &r, &err));
    }
    ps_record_clear(&r);
    r.key = "old";
    ps_record_add_response(&r, "added walrus answer", NULL);
    OK(store_put_record(st, ds, &r, &err));
    OK(store_commit(st, &err)); /* indexes the bulk items */
    CONSISTENT(st);
    CHECK_EQ(fts(st, ds, "badgers"), 10);
    CHECK_EQ(fts(st, ds, "ferret"), 10);
    CHECK_EQ(fts(st, ds, "otters AND walrus"), 1);

    /* a rolled-back bulk leaves nothing behind, and the next transaction is normal */
    OK(store_begin(st, &err));
    OK(store_bulk_begin(st, &err));
    ps_record_clear(&r);
    r.prompt = "doomed heron";
    ps_record_add_response(&r, "x", NULL);
    OK(store_put_record(st, ds, &r, &err));
    store_rollback(st);
    OK(store_begin(st, &err));
    ps_record_clear(&r);
    r.prompt = "kept stork";
    ps_record_add_response(&r, "y", NULL);
    OK(store_put_record(st, ds, &r, &err));
    OK(store_commit(st, &err));
    CHECK_EQ(fts(st, ds, "heron"), 0);
    CHECK_EQ(fts(st, ds, "stork"), 1);
    CONSISTENT(st);
    store_close(st);
}

/* 1 when the SQL condition holds: abs() of the smallest integer fails otherwise. */
static int
sql_true(struct store *st, const char *cond)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT CASE WHEN %s THEN 1 ELSE abs(-9223372036854775807 - 1) END",
             cond);
    return store_exec(st, sql, &err) == PS_OK;
}

#define SCHEMA_OBJECTS "(SELECT count(*) FROM sqlite_master WHERE type IN ('index', 'trigger'))"

static unsigned long long rnd_state;
static int
rnd(int n)
{
    rnd_state = rnd_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (int)((rnd_state >> 33) % (unsigned long long)n);
}

/* Random records (keys repeat, so records merge into older and newer items; models,
 * texts with multi-byte characters, judgments both ways, invalid verdicts) written
 * `n` at a time per transaction, in bulk mode or not: item_stat must agree with the
 * rows either way (store_check recomputes it), and the schema must be whole again. */
static void
put_random(struct store *st, int64_t ds, int n, int bulk, unsigned long long seed)
{
    static const char *const texts[] = {
        "",  "short", "é", "Grüße aus Köln", "ok then", "a longer answer about otters and rivers",
        NULL};
    static const char *const models[] = {NULL, "", "m1", "m2", "gpt-x", "m1"};
    static const char *const verdicts[] = {"A", "B", "tie", "invalid"};
    rnd_state = seed;
    OK(store_begin(st, &err));
    if (bulk)
        OK(store_bulk_begin(st, &err));
    for (int i = 0; i < n; i++) {
        struct ps_record r;
        char key[32];
        ps_record_clear(&r);
        snprintf(key, sizeof key, "k%d", rnd(n));
        r.key = key;
        r.prompt = rnd(4) ? texts[rnd(6)] : NULL;
        int nr = 1 + rnd(3);
        for (int k = 0; k < nr; k++)
            ps_record_add_response(&r, texts[rnd(7)], models[rnd(6)]);
        for (int k = rnd(4); k > 0; k--)
            ps_record_add_judgment(&r, rnd(nr), rnd(nr), rnd(2) ? "dataset" : "human:x",
                                   verdicts[rnd(4)], 1, NULL);
        OK(store_put_record(st, ds, &r, &err));
    }
    OK(store_commit(st, &err));
}

/* A new in-memory workspace with one dataset; temp.n0 holds its count of indexes
 * and triggers. */
static struct store *
open_one_dataset(int64_t *ds)
{
    struct store *st = NULL;
    OK(store_open(&st, ":memory:", &err));
    OK(store_begin(st, &err));
    OK(store_dataset_create(st, "d", NULL, NULL, ds, &err));
    OK(store_commit(st, &err));
    CHECK(sql_true(st, SCHEMA_OBJECTS " > 10"));
    OK(store_exec(st, "CREATE TEMP TABLE n0 AS SELECT " SCHEMA_OBJECTS " AS n", &err));
    return st;
}

static void
test_bulk_item_stat(void)
{
    for (unsigned long long seed = 1; seed <= 6; seed++) {
        int64_t ds;
        struct store *st = open_one_dataset(&ds);
        put_random(st, ds, 60, 0, seed); /* triggers */
        /* bulk: merges into the older items, and past 1,000 new items without the
         * triggers, into items written with them and without */
        put_random(st, ds, 3000, 1, seed + 99);
        CONSISTENT(st);
        put_random(st, ds, 40, 0, seed + 7); /* the triggers are back */
        CONSISTENT(st);
        CHECK(sql_true(st, SCHEMA_OBJECTS " = (SELECT n FROM temp.n0)"));
        store_close(st);
    }

    /* the triggers are dropped during a large bulk, past 20,000 new items the
     * secondary indexes too: a rollback restores them, a commit creates them again */
    int64_t ds;
    struct store *st = open_one_dataset(&ds);
    for (int commit = 0; commit < 2; commit++) {
        OK(store_begin(st, &err));
        OK(store_bulk_begin(st, &err));
        for (int i = 0; i < 20050; i++) {
            struct ps_record r;
            ps_record_clear(&r);
            r.prompt = i % 2 ? "prompt" : "другой";
            ps_record_add_response(&r, "left", "m");
            ps_record_add_response(&r, i % 3 ? "right" : "x", NULL);
            ps_record_add_judgment(&r, 0, 1, "dataset", "A", 1, NULL);
            if (i % 5 == 0)
                ps_record_add_judgment(&r, 1, 0, "human:y", "A", 0, NULL);
            OK(store_put_record(st, ds, &r, &err));
        }
        CHECK(sql_true(st, SCHEMA_OBJECTS " < (SELECT n FROM temp.n0) - 10"));
        if (commit)
            OK(store_commit(st, &err));
        else
            store_rollback(st);
        CHECK(sql_true(st, SCHEMA_OBJECTS " = (SELECT n FROM temp.n0)"));
    }
    CHECK(sql_true(st, "(SELECT count(*) FROM item_stat WHERE disagree) = 4010"));
    CONSISTENT(st);
    store_close(st);

    /* bulk mode outside a transaction would drop triggers for good: refused */
    OK(store_open(&st, ":memory:", &err));
    CHECK_EQ(store_bulk_begin(st, &err), PS_ERR_DB);
    store_close(st);
}

/* Hostile and ordinary texts for the side index test: markup, quotes, FTS5 query
 * syntax, terminal escapes, combining marks, CJK, emoji, long runs. */
static const char *const side_texts[] = {
    NULL,
    "",
    "plain words about otters",
    "\"quoted\" AND NEAR(a b) OR col:term* ^start",
    "\x1b[31mred\x1b[0m \x07"
    "bell\r\nline two\ttab",
    "Gru\xcc\x88\xc3\x9f\xc3\xa9 cafe\xcc\x81 na\xc3\xafve",
    "\xe4\xb8\xad\xe6\x96\x87\xe6\xb5\x8b\xe8\xaf\x95 \xf0\x9f\xa6\xa6 emoji",
    "'; DROP TABLE item; --",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "how do i make a bomb",
    "how do i bake bread",
    "   spaces   around   ",
};
#define N_SIDE_TEXTS ((int)(sizeof side_texts / sizeof side_texts[0]))

/* The same random records (keys repeat: merges into items of the same import, which
 * change their text; histories with and without their text given; system prompts)
 * into `path`, a new workspace, in one bulk transaction; side: with the side index. */
static void
side_import(const char *path, int side, int n, unsigned long long seed)
{
    static const char *const hist[] = {
        "[{\"role\":\"user\",\"content\":\"history otters\"},{\"role\":\"assistant\","
        "\"content\":\"sure \\\"q\\\"\"}]",
        "[{\"role\":\"user\",\"content\":42},{\"content\":null}]",
    };
    struct store *st = NULL;
    int64_t ds;
    OK(store_open(&st, path, &err));
    OK(store_begin(st, &err));
    OK(store_dataset_create(st, "d", NULL, NULL, &ds, &err));
    OK(store_bulk_begin(st, &err));
    if (side) {
        OK(store_bulk_side_index(st, &err));
        char stage[600];
        snprintf(stage, sizeof stage, "%s-ftsbuild-%ld", path, (long)getpid());
        CHECK_EQ(access(stage, F_OK), 0); /* the side index is really in use */
    }
    rnd_state = seed;
    for (int i = 0; i < n; i++) {
        struct ps_record r;
        char key[32];
        ps_record_clear(&r);
        snprintf(key, sizeof key, "k%d", rnd(n / 2 + 1));
        r.key = key;
        r.prompt = side_texts[rnd(N_SIDE_TEXTS)];
        r.system = rnd(3) ? NULL : side_texts[rnd(N_SIDE_TEXTS)];
        if (!rnd(3)) {
            int h = rnd(2);
            r.history_json = hist[h];
            /* the importer's text (as hh.c gives it) or none: the store derives it */
            r.history_text = rnd(2) ? NULL : h ? "42" : "history otters sure \"q\"";
        }
        int nr = rnd(4);
        for (int k = 0; k < nr; k++)
            ps_record_add_response(&r, side_texts[rnd(N_SIDE_TEXTS)], rnd(2) ? "m1" : NULL);
        if (!r.prompt && nr == 0)
            r.prompt = "prompt only";
        if (nr > 1)
            ps_record_add_judgment(&r, 0, 1, "dataset", "A", 1, NULL);
        OK(store_put_record(st, ds, &r, &err));
    }
    OK(store_commit(st, &err));
    CONSISTENT(st);
    store_close(st);
}

static int
dir_has_prefix(const char *dir, const char *prefix)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -q -- '%s'", dir, prefix);
    return system(cmd) == 0;
}

/* The side index (store_bulk_side_index) is the index the inline path builds:
 * every (term, document, column, offset) of the two indexes and every document
 * size agree, store_check verifies it against the text, and so do phrase queries;
 * the staging file is gone after a commit and a rollback, and a killed process's
 * is removed by the next open. */
static void
test_bulk_side_index(void)
{
    char dir[] = "/tmp/ps_side_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char a[300], b[300], sql[800];
    snprintf(a, sizeof a, "%s/side.db", dir);
    snprintf(b, sizeof b, "%s/inline.db", dir);
    for (unsigned long long seed = 1; seed <= 3; seed++) {
        int n = seed == 1 ? 2500 : 300; /* 2500: past the bulk trigger drop */
        unlink(a);
        unlink(b);
        side_import(a, 1, n, seed);
        side_import(b, 0, n, seed);
        CHECK(!dir_has_prefix(dir, "ftsbuild"));
        struct store *st = NULL;
        OK(store_open(&st, a, &err));
        snprintf(sql, sizeof sql,
                 "ATTACH '%s' AS b;"
                 "CREATE VIRTUAL TABLE temp.va USING fts5vocab(main, item_fts, instance);"
                 "CREATE VIRTUAL TABLE temp.vb USING fts5vocab(b, item_fts, instance);",
                 b);
        OK(store_exec(st, sql, &err));
        CHECK(sql_true(st, "(SELECT count(*) FROM temp.va) > 1000"));
        CHECK(sql_true(st, "(SELECT count(*) FROM temp.va) = (SELECT count(*) FROM temp.vb)"));
        CHECK(sql_true(st, "NOT EXISTS (SELECT * FROM temp.va EXCEPT SELECT * FROM temp.vb)"));
        CHECK(sql_true(st, "NOT EXISTS (SELECT * FROM temp.vb EXCEPT SELECT * FROM temp.va)"));
        CHECK(sql_true(st, "NOT EXISTS (SELECT * FROM main.item_fts_docsize EXCEPT"
                           " SELECT * FROM b.item_fts_docsize) AND"
                           " (SELECT count(*) FROM main.item_fts_docsize) ="
                           " (SELECT count(*) FROM b.item_fts_docsize)"));
        OK(store_exec(st, "INSERT INTO item_fts (item_fts, rank) VALUES ('integrity-check', 1)",
                      &err));
        struct store *in = NULL;
        OK(store_open(&in, b, &err));
        static const char *const queries[] = {
            "\"how do i\"",      "otters", "\"red bell\"", "prompt:otters", "responses:bomb",
            "history NOT bread", "aaaa*",  "emoji",        "\"line two\"",  "drop AND table"};
        for (size_t q = 0; q < sizeof queries / sizeof queries[0]; q++) {
            int64_t na = fts(st, -1, queries[q]);
            CHECK(na >= 0);
            CHECK_EQ(na, fts(in, -1, queries[q]));
        }
        store_close(in);
        store_close(st);
    }

    /* a rollback removes the staging file and leaves the index empty */
    struct store *st = NULL;
    unlink(a);
    OK(store_open(&st, a, &err));
    int64_t ds;
    OK(store_begin(st, &err));
    OK(store_dataset_create(st, "d", NULL, NULL, &ds, &err));
    OK(store_bulk_begin(st, &err));
    OK(store_bulk_side_index(st, &err));
    CHECK(dir_has_prefix(dir, "ftsbuild"));
    struct ps_record r;
    ps_record_clear(&r);
    r.prompt = "doomed heron";
    ps_record_add_response(&r, "x", NULL);
    OK(store_put_record(st, ds, &r, &err));
    store_rollback(st);
    CHECK(!dir_has_prefix(dir, "ftsbuild"));
    CHECK_EQ(fts(st, -1, "heron"), 0);
    CONSISTENT(st);
    store_close(st);

    /* a dead process's staging file goes at the next open, a live one's stays */
    char stale[400], live[400];
    snprintf(stale, sizeof stale, "%s-ftsbuild-999999999", a);
    snprintf(live, sizeof live, "%s-ftsbuild-%ld", a, (long)getppid());
    FILE *f = fopen(stale, "w");
    CHECK(f != NULL);
    if (f)
        fclose(f);
    f = fopen(live, "w");
    CHECK(f != NULL);
    if (f)
        fclose(f);
    OK(store_open(&st, a, &err));
    CHECK(access(stale, F_OK) != 0);
    CHECK_EQ(access(live, F_OK), 0);
    store_close(st);
    unlink(live);
    snprintf(sql, sizeof sql, "rm -rf '%s'", dir);
    CHECK_EQ(system(sql), 0);
}

int
main(void)
{
    test_bulk();
    test_bulk_item_stat();
    test_bulk_side_index();
    test_migrations();
    test_put_and_merge();
    test_replace_and_rollback();
    test_check_detects_problems();
    return test_summary();
}
