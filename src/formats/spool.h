/* Inputs that can be read only once (stdin as "-", pipes, FIFOs, /dev/stdin, <(cmd))
 * are copied in one pass into a temporary file, so that format detection and the
 * import can both read them, as they do a regular file. */
#ifndef PS_FORMATS_SPOOL_H
#define PS_FORMATS_SPOOL_H

#include <stddef.h>

#include "core/err.h"

struct spool {
    const char *name; /* the input as the user named it ("-" shows as "<stdin>"); borrowed */
    char *path;       /* what to open: a temporary copy, or NULL to open `name` itself */
};

/* Prepare input `arg`: "-" is standard input; a path that is not a regular file
 * (FIFO, character device, pipe) is copied into a temporary file named so that its
 * extension (".csv", ".jsonl", ".gz"...) is the original's, or, without one, what the
 * first bytes look like ("{" or "[": JSON, else CSV).  Regular files are left alone.
 * On error `err` names the input and errno.  Release with spool_done. */
int spool_prepare(struct spool *sp, const char *arg, struct ps_err *err);

/* The path to open. */
const char *spool_open_path(const struct spool *sp);

/* Remove the temporary copy, if any. */
void spool_done(struct spool *sp);

/* Rewrite `err`'s message so a temporary copy's path reads as the input's name. */
void spool_fix_message(const struct spool *sp, struct ps_err *err);

#endif
