/* `prefscope FILE`: the file streams into the workspace while the TUI shows it.
 *
 * The import runs on a thread with its own connection and commits in chunks (the
 * first small, so the first screen comes at once; import_opts.chunk), the dataset
 * marked "importing" until the last chunk (store_dataset_set_import).  The UI polls
 * the thread on a timer: new rows appear, a progress bar shows on the status line.
 * Labels made meanwhile wait in the TUI's pending queue when a chunk holds the write
 * lock; the thread pauses between chunks while any is pending, so they are saved
 * within a chunk's time.  Ctrl-C or quitting asks whether to keep what arrived: kept,
 * the dataset is marked "incomplete" and `prefscope FILE` resumes it later; not kept,
 * it is deleted in one transaction.  A kill -9 leaves the committed chunks, marked
 * "importing" by a process that is gone ("interrupted"), which is resumed the same
 * way. */
#ifndef PS_APP_STREAM_H
#define PS_APP_STREAM_H

#include "core/err.h"

struct store;
struct stream;
struct tui;

struct stream_opts {
    struct store *st; /* the UI's connection, borrowed: the thread opens its own on the
                         same file; marks and deletes go through this one */
    const char *file; /* the data file */
    const char *name; /* the dataset */
    long skip;        /* resume: records already in the dataset (appended after) */
    int replace;      /* start over: replace the dataset of that name */
};

/* Start the import and wait until its first chunk is committed (or the import
 * ended: a small file, or an error before any commit, which is returned here with
 * nothing written).  The strings are copied.  On success *out is the caller's:
 * stream_stop it, then stream_free. */
int stream_start(struct stream **out, const struct stream_opts *o, struct ps_err *err);

/* The TUI's hooks (tui_opts): attach on start (a timer polls the import), cancel on
 * Ctrl-C (returns 1 when it asked the keep/discard question, 0 when no import runs),
 * quit (1: stay, a question is asked).  `tui` is borrowed. */
void stream_attach(struct stream *sm, struct tui *tui);
int stream_cancel(struct stream *sm, struct tui *tui);
int stream_quit(struct stream *sm, struct tui *tui);

/* Stop a running import (keeping what arrived, marked incomplete) and wait for the
 * thread; a no-op once it ended.  Afterwards *summary (owned by `sm`, may be "") says
 * what happened, for stderr once the screen is restored. */
void stream_stop(struct stream *sm, const char **summary);
void stream_free(struct stream *sm);

#endif
