/* Who holds the write lock, and waiting for it (store.h, "the write lock").
 *
 * sqlite says only "database is locked".  A writer that announced itself with
 * store_set_writer leaves "<workspace>-writer" (its pid and what it does) while
 * its transaction is open; a stale file (its process is gone, after kill -9) is
 * ignored, because the pid is checked. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/xalloc.h"
#include "store/internal.h"

static int
lockinfo_path(const struct store *st, char *buf, size_t size)
{
    if (!st->path || strcmp(st->path, ":memory:") == 0 || !st->path[0])
        return 0;
    int n = snprintf(buf, size, "%s-writer", st->path);
    return n > 0 && (size_t)n < size;
}

void
store_set_writer(struct store *st, const char *what, store_wait_fn wait, void *ud)
{
    free(st->writer_what);
    st->writer_what = what ? xstrdup(what) : NULL;
    st->wait = wait;
    st->wait_ud = ud;
}

void
store_busy_timeout(struct store *st, int ms)
{
    sqlite3_busy_timeout(st->db, ms);
}

void
store_lockinfo_write(struct store *st)
{
    char path[4096];
    if (!st->writer_what || st->readonly || !lockinfo_path(st, path, sizeof path))
        return;
    /* written whole then renamed, so a reader never sees half a line */
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return; /* only a courtesy to others: never fail the write for it */
    fprintf(f, "%ld\n%s\n", (long)getpid(), st->writer_what);
    if (fclose(f) == 0 && rename(tmp, path) == 0)
        st->lockinfo_written = 1;
    else
        remove(tmp);
}

void
store_lockinfo_remove(struct store *st)
{
    char path[4096];
    if (!st->lockinfo_written || !lockinfo_path(st, path, sizeof path))
        return;
    st->lockinfo_written = 0;
    remove(path);
}

void
store_lock_holder(struct store *st, char *buf, size_t size)
{
    char path[4096], line[512];
    snprintf(buf, size, "another process");
    if (!lockinfo_path(st, path, sizeof path))
        return;
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    long pid = 0;
    if (fgets(line, sizeof line, f))
        pid = strtol(line, NULL, 10);
    if (pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM) && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        snprintf(buf, size, "%.400s by pid %ld", line, pid);
    }
    fclose(f);
}

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
store_begin_immediate(struct store *st, struct ps_err *err)
{
    if (!st->wait) {
        if (store_exec(st, "BEGIN IMMEDIATE", err) != PS_OK)
            return err->code;
        store_lockinfo_write(st);
        return PS_OK;
    }
    double t0 = now_s();
    sqlite3_busy_timeout(st->db, 250);
    int rc;
    for (;;) {
        rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        int code = sqlite3_errcode(st->db) & 0xff;
        if (rc == SQLITE_OK || (code != SQLITE_BUSY && code != SQLITE_LOCKED))
            break;
        char holder[300];
        store_lock_holder(st, holder, sizeof holder);
        if (st->wait(st->wait_ud, holder, now_s() - t0))
            break;
    }
    sqlite3_busy_timeout(st->db, 5000);
    if (rc != SQLITE_OK)
        return store_dberr(st, err, "begin");
    store_lockinfo_write(st);
    return PS_OK;
}
