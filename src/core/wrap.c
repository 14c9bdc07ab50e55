#include "core/wrap.h"

#include <stdlib.h>
#include <string.h>

#include "core/width.h"
#include "core/xalloc.h"

static void
rows_add(struct text_rows *out, size_t *count, size_t off, size_t len, int cols, unsigned flags)
{
    (*count)++;
    if (!out)
        return;
    if (out->n == out->cap) {
        out->cap = out->cap ? out->cap * 2 : 32;
        out->v = xrealloc(out->v, out->cap * sizeof *out->v);
    }
    struct text_row *r = &out->v[out->n++];
    r->off = off;
    r->len = len;
    r->cols = cols;
    r->flags = flags;
}

/* The wrapping state machine shared by text_wrap and text_wrap_count. */
static size_t
wrap_impl(const char *s, size_t n, int cols, int tabsize, struct text_rows *out)
{
    size_t count = 0;
    size_t start = 0; /* first byte of the current row */
    int col = 0;      /* its width so far */
    unsigned flags = 0;
    /* The last break opportunity in this row: the row may end at brk_end (width
     * brk_col), and the next one then starts at brk_next. */
    size_t brk_end = 0, brk_next = 0;
    int brk_col = 0, have_brk = 0;
    size_t i = 0;

    if (cols < 1)
        cols = 1;
    if (tabsize < 1)
        tabsize = 8;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') {
            rows_add(out, &count, start, i - start, col, flags);
            i++;
            start = i;
            col = 0;
            flags = 0;
            have_brk = 0;
            continue;
        }
        if (c == ' ' || c == '\t') {
            int w = c == ' ' ? 1 : tabsize - col % tabsize;
            if (!have_brk || brk_next != i) {
                brk_end = i;
                brk_col = col;
            }
            have_brk = 1;
            if (col + w > cols) {
                /* The space does not fit: end the row here and swallow the run. */
                size_t j = i;
                while (j < n && (s[j] == ' ' || s[j] == '\t'))
                    j++;
                if (brk_end > start)
                    rows_add(out, &count, start, brk_end - start, brk_col, flags);
                else /* indentation wider than the row: keep what fits */
                    rows_add(out, &count, start, i - start, col, flags);
                flags = TEXT_ROW_CONT;
                if (j < n && s[j] == '\n') {
                    j++; /* the spaces ended the line: no empty row for them */
                    flags = 0;
                }
                start = i = j;
                col = 0;
                have_brk = 0;
                continue;
            }
            col += w;
            i++;
            brk_next = i;
            continue;
        }
        int w;
        size_t k;
        if (c >= 0x20 && c < 0x7F && (i + 1 == n || (unsigned char)s[i + 1] < 0x80)) {
            w = 1;
            k = 1;
        } else {
            k = text_cluster(s + i, n - i, &w);
        }
        if (w == 2 && i > start) {
            /* A wide character may start a new row. */
            brk_end = brk_next = i;
            brk_col = col;
            have_brk = 1;
        }
        if (col + w > cols && i > start) {
            if (have_brk && brk_next > start) {
                rows_add(out, &count, start, brk_end - start, brk_col, flags);
                start = i = brk_next;
            } else {
                rows_add(out, &count, start, i - start, col, flags);
                start = i;
            }
            col = 0;
            flags = TEXT_ROW_CONT;
            have_brk = 0;
            continue;
        }
        col += w;
        i += k;
        if (w == 2) {
            brk_end = brk_next = i;
            brk_col = col;
            have_brk = 1;
        }
    }
    if (start < n)
        rows_add(out, &count, start, n - start, col, flags);
    return count;
}

void
text_wrap(const char *s, size_t n, int cols, int tabsize, struct text_rows *out)
{
    wrap_impl(s, n, cols, tabsize, out);
}

size_t
text_wrap_count(const char *s, size_t n, int cols, int tabsize)
{
    return wrap_impl(s, n, cols, tabsize, NULL);
}

void
text_row_render(const char *s, const struct text_row *r, int tabsize, struct strbuf *out)
{
    int col = 0;
    size_t i = r->off, end = r->off + r->len;
    if (tabsize < 1)
        tabsize = 8;
    while (i < end) {
        if (s[i] == '\t') {
            do {
                sb_putc(out, ' ');
                col++;
            } while (col % tabsize);
            i++;
            continue;
        }
        int w;
        size_t k = text_cluster(s + i, end - i, &w);
        sb_append(out, s + i, k);
        col += w;
        i += k;
    }
    if (!out->p)
        sb_append(out, "", 0);
}

void
text_rows_reset(struct text_rows *rows)
{
    rows->n = 0;
}

void
text_rows_free(struct text_rows *rows)
{
    free(rows->v);
    memset(rows, 0, sizeof *rows);
}

const struct text_rows *
text_wrap_cached(struct text_wrap_cache *c, uint64_t key, const char *s, size_t n, int cols,
                 int tabsize)
{
    if (!c->valid || c->key != key || c->n != n || c->cols != cols || c->tabsize != tabsize) {
        text_rows_reset(&c->rows);
        text_wrap(s, n, cols, tabsize, &c->rows);
        c->key = key;
        c->n = n;
        c->cols = cols;
        c->tabsize = tabsize;
        c->valid = 1;
    }
    return &c->rows;
}

void
text_wrap_cache_free(struct text_wrap_cache *c)
{
    text_rows_free(&c->rows);
    c->valid = 0;
}
