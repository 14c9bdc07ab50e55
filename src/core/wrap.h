/* Wrapping sanitized text (core/sanitize.h) to a column width.
 *
 * The result is a list of rows, each a byte span of the input, so a view can draw
 * only the rows on screen, and style them by intersecting the spans with diff or
 * placeholder spans of the same text.  Rows break after spaces when possible and
 * before/after wide (CJK) characters; a word longer than the width is broken by
 * display width, never inside a cluster.  The spaces at a soft break are not part
 * of either row.  Tabs advance to the next multiple of `tabsize` columns counted
 * from the start of the row; use text_row_render to get a row with tabs expanded.
 *
 * Costs: O(n) for n bytes (a partial word is re-scanned when it moves to the next
 * row).  Rows are 24 bytes each; wrap once per (text, width) and keep the result,
 * e.g. in a struct text_wrap_cache. */
#ifndef PS_CORE_WRAP_H
#define PS_CORE_WRAP_H

#include <stddef.h>
#include <stdint.h>

#include "core/strbuf.h"

enum {
    /* This row continues the logical line of the previous row (a soft wrap). */
    TEXT_ROW_CONT = 1u << 0,
};

struct text_row {
    size_t off, len; /* bytes of the text drawn on this row (no '\n') */
    int cols;        /* their display width, tabs expanded */
    unsigned flags;  /* TEXT_ROW_* */
};

struct text_rows {
    struct text_row *v;
    size_t n, cap;
};

/* Wrap s[0..n) into `cols` columns (cols < 1 is taken as 1) and append the rows to
 * `out` (caller-owned; reset it first to reuse it).  A final '\n' does not start
 * an extra empty row; empty text gives no rows.  A row is never wider than cols,
 * except a single cluster wider than cols (a wide character when cols == 1). */
void text_wrap(const char *s, size_t n, int cols, int tabsize, struct text_rows *out);

/* Number of rows text_wrap would produce, without storing them. */
size_t text_wrap_count(const char *s, size_t n, int cols, int tabsize);

/* Append row `r` of `s` to `out` with its tabs expanded to spaces. */
void text_row_render(const char *s, const struct text_row *r, int tabsize, struct strbuf *out);

void text_rows_reset(struct text_rows *rows);
void text_rows_free(struct text_rows *rows);

/* A one-entry cache: the rows of the last (key, n, cols, tabsize) wrapped.  The key
 * is the caller's name for the text (e.g. a response id, plus a generation number
 * when the text can change); equal keys must mean equal text. */
struct text_wrap_cache {
    uint64_t key;
    size_t n;
    int cols, tabsize, valid;
    struct text_rows rows;
};

/* Return the rows of s for `cols`, wrapping only when the cache holds another text
 * or width.  The result is borrowed from the cache: valid until the next call or
 * text_wrap_cache_free. */
const struct text_rows *text_wrap_cached(struct text_wrap_cache *c, uint64_t key, const char *s,
                                         size_t n, int cols, int tabsize);
void text_wrap_cache_free(struct text_wrap_cache *c);

#endif
