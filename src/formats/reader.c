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

long long
rd_offset(const struct rd *r)
{
    return r->gz ? (long long)gzoffset((gzFile)r->gz) : 0;
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

/* zlib's gzread stops quietly at data after the last gzip member that is not another
 * member, so a file with garbage appended reads as if whole.  Inflate the raw file
 * once more, member by member, to find where the gzip data really ends; returns that
 * offset when bytes follow it, else -1 (also when the file cannot be re-read: the
 * first pass already reported real read errors). */
static long long
gz_trailing_offset(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
        fclose(f);
        return -1;
    }
    unsigned char in[1 << 15], out[1 << 15];
    long long consumed = 0, trailing = -1;
    int zrc = Z_OK, ended = 0;
    for (;;) {
        if (zs.avail_in == 0) {
            size_t got = fread(in, 1, sizeof in, f);
            if (got == 0)
                break;
            zs.next_in = in;
            zs.avail_in = (uInt)got;
        }
        if (ended) {
            /* Another member starts with the gzip magic; anything else is trailing. */
            if (zs.avail_in < 2 && !feof(f)) {
                memmove(in, zs.next_in, zs.avail_in);
                size_t got = fread(in + zs.avail_in, 1, sizeof in - zs.avail_in, f);
                zs.next_in = in;
                zs.avail_in += (uInt)got;
            }
            if (zs.avail_in < 2 || zs.next_in[0] != 0x1f || zs.next_in[1] != 0x8b) {
                trailing = consumed;
                break;
            }
            inflateReset(&zs);
            ended = 0;
        }
        uInt before = zs.avail_in;
        zs.next_out = out;
        zs.avail_out = sizeof out;
        zrc = inflate(&zs, Z_NO_FLUSH);
        consumed += before - zs.avail_in;
        if (zrc == Z_STREAM_END)
            ended = 1;
        else if (zrc != Z_OK && zrc != Z_BUF_ERROR)
            break;
    }
    inflateEnd(&zs);
    fclose(f);
    return trailing;
}

/* The first bytes of a file in UTF-16 or UTF-32: say so instead of "NUL byte". */
static void
rd_check_encoding(struct rd *r)
{
    const unsigned char *b = r->buf;
    size_t n = r->len;
    const char *enc = NULL;
    if (n >= 4 && !memcmp(b, "\xff\xfe\0\0", 4))
        enc = "UTF-32 (little-endian, byte-order mark FF FE 00 00)";
    else if (n >= 4 && !memcmp(b, "\0\0\xfe\xff", 4))
        enc = "UTF-32 (big-endian, byte-order mark 00 00 FE FF)";
    else if (n >= 2 && b[0] == 0xff && b[1] == 0xfe)
        enc = "UTF-16 (little-endian, byte-order mark FF FE)";
    else if (n >= 2 && b[0] == 0xfe && b[1] == 0xff)
        enc = "UTF-16 (big-endian, byte-order mark FE FF)";
    else if (n >= 4 && b[0] && !b[1] && b[2] && !b[3])
        enc = "UTF-16 (little-endian, no byte-order mark)";
    else if (n >= 4 && !b[0] && b[1] && !b[2] && b[3])
        enc = "UTF-16 (big-endian, no byte-order mark)";
    if (!enc)
        return;
    r->failed = 1;
    snprintf(r->why, sizeof r->why,
             "the file is %s; prefscope reads UTF-8 (convert it: iconv -f %s -t UTF-8)", enc,
             enc[4] == '3' ? "UTF-32" : "UTF-16");
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
        if (n < 0 || zerr != Z_OK) {
            rd_fail(r);
        } else if (!gzdirect((gzFile)r->gz)) {
            long long at = gz_trailing_offset(r->path);
            if (at >= 0) {
                r->failed = 1;
                snprintf(r->why, sizeof r->why,
                         "unexpected data after the end of the gzip stream (at byte %lld of "
                         "the compressed file; a damaged or concatenated download?)",
                         at);
            }
        }
        r->eof = 1;
        r->pos = r->len = 0;
        return 0;
    }
    r->pos = 0;
    r->len = (size_t)n;
    if (r->bytes == 0) {
        rd_check_encoding(r);
        if (r->failed) {
            r->eof = 1;
            r->pos = r->len = 0;
            return 0;
        }
    }
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
