/* Buffered byte reader over plain or gzip-compressed files (zlib reads both
 * transparently), tracking line numbers for error messages. */
#ifndef PS_FORMATS_READER_H
#define PS_FORMATS_READER_H

#include <stddef.h>

#include "core/err.h"
#include "core/strbuf.h"

struct rd {
    void *gz;         /* gzFile */
    const char *path; /* borrowed */
    unsigned char buf[1 << 16];
    size_t pos, len;
    long line; /* 1-based line of the next byte */
    int eof, failed;
    unsigned long long bytes; /* bytes consumed (uncompressed) */
    char why[160];            /* what went wrong when `failed` ("truncated gzip data ...") */
};

/* Open `path` for reading; the reader borrows `path`.  Close with rd_close. */
int rd_open(struct rd *r, const char *path, struct ps_err *err);
void rd_close(struct rd *r);

/* Report the read failure of `r` (r->failed set) as PS_ERR_IO:
 * "file:line: truncated gzip data (...)".  Returns PS_ERR_IO. */
int rd_error(struct rd *r, struct ps_err *err);

/* Bytes of the file read so far (compressed bytes for gzip input): progress against
 * the file's size. */
long long rd_offset(const struct rd *r);

/* Refill the buffer; 0 at end of input.  Internal to the inline readers. */
int rd_fill(struct rd *r);

/* Next byte, or -1 at end of input (or on a read error: check r->failed). */
static inline int
rd_getc(struct rd *r)
{
    if (r->pos == r->len && !rd_fill(r))
        return -1;
    int c = r->buf[r->pos++];
    r->bytes++;
    if (c == '\n')
        r->line++;
    return c;
}

/* Peek without consuming; -1 at end. */
static inline int
rd_peek(struct rd *r)
{
    if (r->pos == r->len && !rd_fill(r))
        return -1;
    return r->buf[r->pos];
}

/* Read one line (without the trailing \n or \r\n) into `out`, replacing its contents.
 * Returns 1 when a line was read, 0 at end of input, -1 on a read error. */
int rd_line(struct rd *r, struct strbuf *out);

#endif
