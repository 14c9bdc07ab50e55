/* Streaming RFC 4180 CSV reader: quoted fields with embedded newlines and doubled
 * quotes, CRLF or LF line ends, a UTF-8 BOM. */
#ifndef PS_FORMATS_CSV_H
#define PS_FORMATS_CSV_H

#include "formats/reader.h"

struct csv_row {
    char **field; /* NUL-terminated fields, owned by the row */
    size_t *len;
    int n, cap;
    long line; /* line where the row starts */
    struct strbuf store;
};

struct csv_reader {
    struct rd rd;
    char sep;
};

/* Open a CSV file (sep ',' or '\t').  Borrows path. */
int csv_open(struct csv_reader *c, const char *path, char sep, struct ps_err *err);
void csv_close(struct csv_reader *c);
/* Read the next row into `row` (reused between calls).  Returns 1, 0 at end, or -1
 * with err naming file:line (e.g. an unterminated quoted field). */
int csv_next(struct csv_reader *c, struct csv_row *row, struct ps_err *err);
void csv_row_free(struct csv_row *row);
/* Index of the column named `name` in a header row, or -1. */
int csv_col(const struct csv_row *header, const char *name);

#endif
