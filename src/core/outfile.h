/* Output files that are complete or absent: written to a temporary file in the
 * target's directory and renamed over the target only when everything was written,
 * so an interrupted or failed write (kill -9, a full disk) never leaves a truncated
 * file and never destroys the previous one.  "-" is standard output, and a target that
 * exists but is not a regular file (a FIFO, /dev/stdout, /dev/null, a terminal) is
 * written in place, since it cannot be renamed over.  Every error names the path and
 * errno's text. */
#ifndef PS_CORE_OUTFILE_H
#define PS_CORE_OUTFILE_H

#include <stdio.h>

#include "core/err.h"

struct outfile {
    FILE *f;    /* write here */
    char *path; /* the target as given (owned) */
    char *tmp;  /* the temporary file, or NULL when writing in place (owned) */
    int is_stdout;
};

/* Open `path` for writing.  On error nothing is created and `err` says why. */
int outfile_open(struct outfile *of, const char *path, struct ps_err *err);

/* Flush, sync and close, then rename the temporary file over the target.  On any
 * error the temporary file is removed, the target is untouched and `err` names the
 * path and errno.  Releases `of` either way. */
int outfile_commit(struct outfile *of, struct ps_err *err);

/* Give up: close and remove the temporary file; the target is untouched. */
void outfile_abort(struct outfile *of);

#endif
