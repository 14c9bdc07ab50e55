/* Adding judgments to items that already exist, found by their merge key.
 *
 * Some sources keep the pairs and the verdicts about them in different files
 * (PandaLM's test set and its judge files, joined by idx).  The importer of the
 * verdict file finds the item by key and attaches judgments that refer to the
 * item's responses by their position (response.idx). */
#ifndef PS_STORE_JOIN_H
#define PS_STORE_JOIN_H

#include <stdint.h>

#include "core/err.h"
#include "core/record.h"

struct store;

/* Find the item of `dataset_id` whose merge key is `key`.  PS_OK with *item_id set,
 * PS_ERR_NOTFOUND (err not touched when err is NULL) or a database error. */
int store_item_find_key(struct store *st, int64_t dataset_id, const char *key, int64_t *item_id,
                        struct ps_err *err);

/* Insert judgment `j` on item `item_id`; j->a and j->b are positions (idx) of the
 * item's responses.  PS_ERR_NOTFOUND with a message when a position does not exist.
 * The judgment's strings are only borrowed. */
int store_add_judgment(struct store *st, int64_t item_id, const struct ps_rec_judgment *j,
                       struct ps_err *err);

#endif
