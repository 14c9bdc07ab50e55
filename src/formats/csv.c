#include "formats/csv.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "formats/jsonstream.h"

int
csv_open(struct csv_reader *c, const char *path, char sep, struct ps_err *err)
{
    memset(c, 0, sizeof *c);
    c->sep = sep;
    if (rd_open(&c->rd, path, err) != PS_OK)
        return err->code;
    if (rd_peek(&c->rd) == 0xEF) {
        rd_getc(&c->rd);
        if (rd_getc(&c->rd) != 0xBB || rd_getc(&c->rd) != 0xBF) {
            csv_close(c);
            return ps_error(err, PS_ERR_PARSE, "%s:1: invalid UTF-8 at the start of the file",
                            path);
        }
    }
    return PS_OK;
}

void
csv_close(struct csv_reader *c)
{
    rd_close(&c->rd);
}

void
csv_row_free(struct csv_row *row)
{
    free(row->field);
    free(row->len);
    sb_free(&row->store);
    memset(row, 0, sizeof *row);
}

static void
end_field(struct csv_row *row, size_t start)
{
    if (row->n == row->cap) {
        row->cap = row->cap ? row->cap * 2 : 16;
        row->field = xrealloc(row->field, (size_t)row->cap * sizeof *row->field);
        row->len = xrealloc(row->len, (size_t)row->cap * sizeof *row->len);
    }
    /* store offsets now; converted to pointers when the row is complete */
    row->field[row->n] = (char *)(uintptr_t)start;
    row->len[row->n] = row->store.len - start;
    row->n++;
    sb_putc(&row->store, '\0');
}

int
csv_next(struct csv_reader *c, struct csv_row *row, struct ps_err *err)
{
    struct rd *r = &c->rd;
    row->n = 0;
    sb_reset(&row->store);
    int ch = rd_peek(r);
    /* skip blank lines between records */
    while (ch == '\n' || ch == '\r') {
        rd_getc(r);
        ch = rd_peek(r);
    }
    if (ch == -1)
        return r->failed ? (rd_error(r, err), -1) : 0;
    row->line = r->line;
    size_t start = row->store.len;
    int quoted = 0, after_quote = 0;
    long quote_line = 0;
    int quote_col = 0;
    for (;;) {
        ch = rd_getc(r);
        if (ch == -1 && r->failed)
            return rd_error(r, err), -1;
        if (quoted) {
            if (ch == -1)
                return ps_error(err, PS_ERR_PARSE,
                                "%s:%ld: column %d: unterminated quoted field: the quote opened"
                                " on this line is never closed (expected a closing '\"' before"
                                " the end of the file at line %ld)",
                                r->path, quote_line, quote_col, r->line),
                       -1;
            if (ch == '"') {
                if (rd_peek(r) == '"') {
                    rd_getc(r);
                    sb_putc(&row->store, '"');
                } else {
                    quoted = 0;
                    after_quote = 1;
                }
            } else {
                sb_putc(&row->store, (char)ch);
            }
            continue;
        }
        if (ch == -1 || ch == '\n' || (ch == '\r' && (rd_peek(r) == '\n' || rd_peek(r) == -1))) {
            if (ch == '\r')
                rd_getc(r);
            end_field(row, start);
            break;
        }
        if (ch == c->sep) {
            end_field(row, start);
            start = row->store.len;
            after_quote = 0;
            continue;
        }
        if (ch == '"' && row->store.len == start && !after_quote) {
            quoted = 1;
            quote_line = r->line;
            quote_col = row->n + 1;
            continue;
        }
        if (after_quote)
            return ps_error(err, PS_ERR_PARSE,
                            "%s:%ld: unexpected character after a closing quote in column %d"
                            " (expected '%c' or end of line)",
                            r->path, r->line, row->n + 1, c->sep),
                   -1;
        sb_putc(&row->store, (char)ch);
    }
    for (int i = 0; i < row->n; i++) {
        size_t off = (size_t)(uintptr_t)row->field[i];
        row->field[i] = row->store.p + off;
        if (js_check_text(r->path, row->line, row->field[i], row->len[i], err) != PS_OK)
            return -1;
    }
    return 1;
}

int
csv_col(const struct csv_row *header, const char *name)
{
    for (int i = 0; i < header->n; i++)
        if (strcmp(header->field[i], name) == 0)
            return i;
    return -1;
}
