/* Atomic output files (see outfile.h). */
#include "core/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/xalloc.h"

static void
outfile_release(struct outfile *of)
{
    free(of->path);
    free(of->tmp);
    memset(of, 0, sizeof *of);
}

int
outfile_open(struct outfile *of, const char *path, struct ps_err *err)
{
    memset(of, 0, sizeof *of);
    if (strcmp(path, "-") == 0) {
        of->f = stdout;
        of->is_stdout = 1;
        of->path = xstrdup("<stdout>");
        return PS_OK;
    }
    of->path = xstrdup(path);
    struct stat sb;
    int exists = stat(path, &sb) == 0;
    if (exists && !S_ISREG(sb.st_mode)) {
        if (!(of->f = fopen(path, "w"))) {
            int e = errno;
            outfile_release(of);
            return ps_error(err, PS_ERR_IO, "%s: %s", path, strerror(e));
        }
        return PS_OK;
    }
    /* ".NAME.XXXXXX" beside the target, so the rename stays on one file system. */
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    of->tmp = xmalloc(strlen(path) + 16);
    memcpy(of->tmp, path, dirlen);
    sprintf(of->tmp + dirlen, ".%s.XXXXXX", path + dirlen);
    int fd = mkstemp(of->tmp);
    if (fd < 0) {
        int e = errno;
        int rc = ps_error(err, PS_ERR_IO, "%s: %s", path, strerror(e));
        outfile_release(of);
        return rc;
    }
    /* The mode a plain fopen would give (or the previous file's), not mkstemp's 0600. */
    mode_t mode;
    if (exists) {
        mode = sb.st_mode & 07777;
    } else {
        mode_t mask = umask(0);
        umask(mask);
        mode = 0666 & ~mask;
    }
    if (fchmod(fd, mode) != 0 || !(of->f = fdopen(fd, "w"))) {
        int e = errno;
        close(fd);
        unlink(of->tmp);
        int rc = ps_error(err, PS_ERR_IO, "%s: %s", path, strerror(e));
        outfile_release(of);
        return rc;
    }
    return PS_OK;
}

int
outfile_commit(struct outfile *of, struct ps_err *err)
{
    int e = 0;
    if (fflush(of->f) != 0 || ferror(of->f))
        e = errno ? errno : EIO;
    if (of->is_stdout) {
        int rc = e ? ps_error(err, PS_ERR_IO, "%s: %s", of->path, strerror(e)) : PS_OK;
        outfile_release(of);
        return rc;
    }
    if (!e && of->tmp && fsync(fileno(of->f)) != 0)
        e = errno;
    if (fclose(of->f) != 0 && !e)
        e = errno;
    of->f = NULL;
    if (!e && of->tmp && rename(of->tmp, of->path) != 0)
        e = errno;
    if (e && of->tmp)
        unlink(of->tmp);
    int rc = e ? ps_error(err, PS_ERR_IO, "%s: %s", of->path, strerror(e)) : PS_OK;
    outfile_release(of);
    return rc;
}

void
outfile_abort(struct outfile *of)
{
    if (of->f && !of->is_stdout)
        fclose(of->f);
    if (of->tmp)
        unlink(of->tmp);
    outfile_release(of);
}
