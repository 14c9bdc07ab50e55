#include "formats/reader.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

int
rd_open(struct rd *r, const char *path, struct ps_err *err)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    r->line = 1;
    gzFile gz = gzopen(path, "rb");
    if (!gz)
        return ps_error(err, PS_ERR_IO, "%s: cannot open: %s", path,
                        errno ? strerror(errno) : "out of memory");
    gzbuffer(gz, 1 << 17);
    r->gz = gz;
    return PS_OK;
}

void
rd_close(struct rd *r)
{
    if (r->gz)
        gzclose((gzFile)r->gz);
    r->gz = NULL;
}

/* Remember why reading stopped; zlib reports a stream cut short as Z_BUF_ERROR
 * and damaged data as Z_DATA_ERROR. */
static void
rd_fail(struct rd *r)
{
    int zerr = Z_OK;
    const char *msg = gzerror((gzFile)r->gz, &zerr);
    r->failed = 1;
    if (zerr == Z_BUF_ERROR)
        snprintf(r->why, sizeof r->why, "truncated gzip data (the compressed stream ends early)");
    else if (zerr == Z_DATA_ERROR)
        snprintf(r->why, sizeof r->why, "corrupt gzip data (%s)", msg && *msg ? msg : "bad stream");
    else if (zerr == Z_ERRNO)
        snprintf(r->why, sizeof r->why, "read error: %s", strerror(errno));
    else
        snprintf(r->why, sizeof r->why, "read error (%s)", msg && *msg ? msg : "unknown");
}

int
rd_error(struct rd *r, struct ps_err *err)
{
    return ps_error(err, PS_ERR_IO, "%s:%ld: %s", r->path, r->line,
                    r->why[0] ? r->why : "read error");
}

int
rd_fill(struct rd *r)
{
    if (r->eof || !r->gz)
        return 0;
    errno = 0;
    int n = gzread((gzFile)r->gz, r->buf, sizeof r->buf);
    if (n <= 0) {
        int zerr = Z_OK;
        gzerror((gzFile)r->gz, &zerr);
        if (n < 0 || zerr != Z_OK)
            rd_fail(r);
        r->eof = 1;
        r->pos = r->len = 0;
        return 0;
    }
    r->pos = 0;
    r->len = (size_t)n;
    return 1;
}

int
rd_line(struct rd *r, struct strbuf *out)
{
    sb_reset(out);
    int c, any = 0;
    for (;;) {
        if (r->pos == r->len && !rd_fill(r))
            break;
        /* Copy runs up to the next newline at once. */
        unsigned char *start = r->buf + r->pos;
        unsigned char *nl = memchr(start, '\n', r->len - r->pos);
        size_t n = nl ? (size_t)(nl - start) : r->len - r->pos;
        sb_append(out, (const char *)start, n);
        r->pos += n;
        r->bytes += n;
        any = 1;
        if (nl) {
            c = rd_getc(r); /* consume '\n' */
            (void)c;
            break;
        }
    }
    if (r->failed)
        return -1;
    if (!any)
        return 0;
    if (out->len && out->p[out->len - 1] == '\r')
        out->p[--out->len] = '\0';
    if (!out->p)
        sb_append(out, "", 0);
    return 1;
}
