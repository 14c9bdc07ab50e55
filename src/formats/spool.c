/* One-pass copies of pipes and standard input (see spool.h). */
#include "formats/spool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/xalloc.h"

static const char *const known_ext[] = {".csv.gz",    ".tsv.gz", ".jsonl.gz", ".json.gz",
                                        ".ndjson.gz", ".csv",    ".tsv",      ".jsonl",
                                        ".json",      ".ndjson", ".gz"};

static const char *
name_ext(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof known_ext / sizeof known_ext[0]; i++) {
        size_t m = strlen(known_ext[i]);
        if (n > m && strcmp(name + n - m, known_ext[i]) == 0)
            return known_ext[i];
    }
    return NULL;
}

/* The extension for content starting with buf[0..n): gzip, JSON, else CSV. */
static const char *
sniff_ext(const unsigned char *buf, size_t n)
{
    if (n >= 2 && buf[0] == 0x1f && buf[1] == 0x8b)
        return ".jsonl.gz";
    size_t i = (n >= 3 && buf[0] == 0xef && buf[1] == 0xbb && buf[2] == 0xbf) ? 3 : 0;
    while (i < n && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
        i++;
    return i < n && buf[i] != '{' && buf[i] != '[' ? ".csv" : ".jsonl";
}

static int
write_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int
spool_prepare(struct spool *sp, const char *arg, struct ps_err *err)
{
    sp->path = NULL;
    int is_stdin = strcmp(arg, "-") == 0;
    sp->name = is_stdin ? "<stdin>" : arg;
    struct stat sb;
    if (!is_stdin && (stat(arg, &sb) != 0 || S_ISREG(sb.st_mode)))
        return PS_OK; /* a regular file, or an error the reader reports */
    int in = is_stdin ? STDIN_FILENO : open(arg, O_RDONLY);
    if (in < 0)
        return ps_error(err, PS_ERR_IO, "%s: cannot open: %s", sp->name, strerror(errno));
    size_t bufsize = 1 << 16;
    unsigned char *buf = xmalloc(bufsize);
    ssize_t got;
    do
        got = read(in, buf, bufsize);
    while (got < 0 && errno == EINTR);
    int rc = PS_OK;
    if (got < 0) {
        rc = ps_error(err, PS_ERR_IO, "%s: read error: %s", sp->name, strerror(errno));
        goto out;
    }
    const char *ext = is_stdin ? NULL : name_ext(arg);
    if (!ext)
        ext = sniff_ext(buf, (size_t)got);
    const char *tmpdir = getenv("TMPDIR");
    size_t cap = strlen(tmpdir && *tmpdir ? tmpdir : "/tmp") + 64;
    sp->path = xmalloc(cap);
    snprintf(sp->path, cap, "%s/prefscope-input-XXXXXX%s", tmpdir && *tmpdir ? tmpdir : "/tmp",
             ext);
    int fd = mkstemps(sp->path, (int)strlen(ext));
    if (fd < 0) {
        rc = ps_error(err, PS_ERR_IO, "%s: cannot make a temporary copy in %s: %s", sp->name,
                      tmpdir && *tmpdir ? tmpdir : "/tmp", strerror(errno));
        free(sp->path);
        sp->path = NULL;
        goto out;
    }
    while (got > 0) {
        if (write_all(fd, buf, (size_t)got) != 0) {
            rc = ps_error(err, PS_ERR_IO, "%s: cannot write its temporary copy %s: %s", sp->name,
                          sp->path, strerror(errno));
            break;
        }
        do
            got = read(in, buf, bufsize);
        while (got < 0 && errno == EINTR);
        if (got < 0)
            rc = ps_error(err, PS_ERR_IO, "%s: read error: %s", sp->name, strerror(errno));
    }
    if (close(fd) != 0 && rc == PS_OK)
        rc = ps_error(err, PS_ERR_IO, "%s: cannot write its temporary copy %s: %s", sp->name,
                      sp->path, strerror(errno));
    if (rc != PS_OK)
        spool_done(sp);
out:
    free(buf);
    if (!is_stdin)
        close(in);
    return rc;
}

const char *
spool_open_path(const struct spool *sp)
{
    return sp->path ? sp->path : sp->name;
}

void
spool_done(struct spool *sp)
{
    if (sp->path) {
        unlink(sp->path);
        free(sp->path);
        sp->path = NULL;
    }
}

void
spool_fix_message(const struct spool *sp, struct ps_err *err)
{
    if (!sp->path)
        return;
    char out[PS_ERR_MSG_MAX];
    size_t used = 0, plen = strlen(sp->path), nlen = strlen(sp->name);
    for (const char *p = err->msg; *p && used + 1 < sizeof out;) {
        if (strncmp(p, sp->path, plen) == 0 && used + nlen + 1 < sizeof out) {
            memcpy(out + used, sp->name, nlen);
            used += nlen;
            p += plen;
        } else {
            out[used++] = *p++;
        }
    }
    out[used] = '\0';
    memcpy(err->msg, out, used + 1);
}
