/* Occurrence keys, hashed keys and judgment joins (see join.h). */
#include "formats/join.h"

#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/xalloc.h"
#include "store/join.h"
#include "store/store.h"

/* Open-addressing set of 64-bit key hashes with their occurrence counts. */
struct key_counts {
    uint64_t *h;
    int *count;
    size_t cap, n;
};

static void
key_counts_free(void *p)
{
    struct key_counts *k = p;
    if (!k)
        return;
    free(k->h);
    free(k->count);
    free(k);
}

static int *
key_counts_slot(struct key_counts *k, uint64_t h)
{
    if (h == 0)
        h = 1; /* 0 marks an empty slot */
    if ((k->n + 1) * 2 > k->cap) {
        size_t ncap = k->cap ? k->cap * 2 : 1024;
        uint64_t *nh = xcalloc(ncap, sizeof *nh);
        int *nc = xcalloc(ncap, sizeof *nc);
        for (size_t i = 0; i < k->cap; i++) {
            if (!k->h[i])
                continue;
            size_t j = k->h[i] & (ncap - 1);
            while (nh[j])
                j = (j + 1) & (ncap - 1);
            nh[j] = k->h[i];
            nc[j] = k->count[i];
        }
        free(k->h);
        free(k->count);
        k->h = nh;
        k->count = nc;
        k->cap = ncap;
    }
    size_t j = h & (k->cap - 1);
    while (k->h[j] && k->h[j] != h)
        j = (j + 1) & (k->cap - 1);
    if (!k->h[j]) {
        k->h[j] = h;
        k->n++;
    }
    return &k->count[j];
}

const char *
fmt_occurrence_key(struct fmt_job *job, const char *key)
{
    if (!job->state) {
        job->state = xcalloc(1, sizeof(struct key_counts));
        job->state_free = key_counts_free;
    }
    int *c = key_counts_slot(job->state, hash_fnv64(key, strlen(key), HASH_FNV_SEED));
    ++*c;
    return *c == 1 ? key : fmt_tmp_printf(job, "%s#%d", key, *c);
}

const char *
fmt_hash_key(struct fmt_job *job, const char *prefix, const char *const *parts, int n)
{
    uint64_t h = HASH_FNV_SEED;
    for (int i = 0; i < n; i++) {
        const char *p = parts[i] ? parts[i] : "";
        h = hash_fnv64(p, strlen(p) + 1, h); /* the NUL separates the parts */
    }
    char hex[17];
    hash_hex64(h, hex);
    return fmt_tmp_printf(job, "%s:%s", prefix, hex);
}

int
fmt_item_exists(struct fmt_job *job, const char *key, int *exists, struct ps_err *err)
{
    *exists = 0;
    if (job->sink->dry_run)
        return PS_OK;
    int64_t id;
    int rc = store_item_find_key(job->sink->st, job->sink->dataset_id, key, &id, err);
    if (rc == PS_OK)
        *exists = 1;
    else if (rc != PS_ERR_NOTFOUND)
        return rc;
    return PS_OK;
}

int
fmt_emit_join(struct fmt_job *job, const char *key, const char *what,
              const struct ps_rec_judgment *j, int n, struct ps_err *err)
{
    struct import_sink *sink = job->sink;
    if (sink->dry_run) {
        /* print the judgments in the native layout, borrowing the record printer */
        struct ps_record rec;
        ps_record_clear(&rec);
        rec.key = key;
        for (int i = 0; i < n && i < PS_REC_MAX_JUDG; i++)
            rec.judg[rec.n_judg++] = j[i];
        struct strbuf sb = STRBUF_INIT;
        fmt_record_to_json(&rec, &sb);
        cJSON *v = cJSON_Parse(sb_str(&sb));
        cJSON *judg = cJSON_DetachItemFromObjectCaseSensitive(v, "judgments");
        char *txt = judg ? cJSON_Print(judg) : NULL;
        fprintf(sink->out,
                "first record (%s) adds these judgments to the item with key \"%s\""
                " (responses by position: 0 = the first response):\n%s\n",
                fmt_where(job), key, txt ? txt : "[]");
        cJSON_free(txt);
        cJSON_Delete(judg);
        cJSON_Delete(v);
        sb_free(&sb);
        sink->n_records++;
        job->stop = 1;
        return PS_OK;
    }
    if (sink->skip > 0) {
        sink->skip--;
        sink->n_records++;
        return PS_OK;
    }
    int64_t item;
    int rc = store_item_find_key(sink->st, sink->dataset_id, key, &item, err);
    if (rc == PS_ERR_NOTFOUND)
        return fmt_fail(job, err,
                        "%s: no item with key \"%s\" in this dataset (import the file with the"
                        " pairs first: in the same command, or earlier and then --append)",
                        what, key);
    if (rc != PS_OK)
        return ps_error_prefix(err, "%s: ", fmt_where(job));
    for (int i = 0; i < n; i++)
        if (store_add_judgment(sink->st, item, &j[i], err) != PS_OK)
            return ps_error_prefix(err, "%s: %s: ", fmt_where(job), what);
    sink->n_records++;
    return sink->chunk ? sink->chunk(sink, err) : PS_OK;
}
