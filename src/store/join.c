/* Judgments joined onto existing items (see join.h). */
#include "store/join.h"

#include "store/internal.h"

int
store_item_find_key(struct store *st, int64_t dataset_id, const char *key, int64_t *item_id,
                    struct ps_err *err)
{
    sqlite3_stmt *s = store_stmt(st, STMT_ITEM_FIND_KEY, err);
    if (!s)
        return err ? err->code : PS_ERR_DB;
    sqlite3_bind_int64(s, 1, dataset_id);
    store_bind_text(s, 2, key);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *item_id = sqlite3_column_int64(s, 0);
        sqlite3_reset(s);
        return PS_OK;
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
        return store_dberr(st, err, "find item");
    return PS_ERR_NOTFOUND;
}

/* Response ids of positions a and b of an item (0 when absent). */
static int
response_ids(struct store *st, int64_t item_id, int a, int b, int64_t *ia, int64_t *ib,
             struct ps_err *err)
{
    sqlite3_stmt *s = store_stmt(st, STMT_RESP_LIST, err);
    if (!s)
        return err->code;
    sqlite3_bind_int64(s, 1, item_id);
    *ia = *ib = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int idx = sqlite3_column_int(s, 1);
        if (idx == a)
            *ia = sqlite3_column_int64(s, 0);
        if (idx == b)
            *ib = sqlite3_column_int64(s, 0);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
        return store_dberr(st, err, "read responses");
    return PS_OK;
}

int
store_add_judgment(struct store *st, int64_t item_id, const struct ps_rec_judgment *j,
                   struct ps_err *err)
{
    int64_t ra = 0, rb = 0;
    if (response_ids(st, item_id, j->a, j->b, &ra, &rb, err) != PS_OK)
        return err->code;
    if (!ra || !rb)
        return ps_error(err, PS_ERR_NOTFOUND, "the item has no response %d", ra ? j->b : j->a);
    return store_judgment_insert(st, item_id, ra, rb, j, err);
}
