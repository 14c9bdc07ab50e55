/* LD_PRELOAD shim for tests/e2e/crash_icai.sh: every write to a file whose name ends
 * in "-wal" (sqlite's write-ahead log) takes PS_SLOW_WAL_MS milliseconds longer, so a
 * transaction's commit, which writes its pages to the WAL one frame at a time, lasts
 * long enough for a kill -9 to land in the middle of it.  Nothing else changes. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static void
slow_if_wal(int fd)
{
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n < 4)
        return;
    path[n] = '\0';
    if (strcmp(path + n - 4, "-wal") != 0)
        return;
    const char *ms = getenv("PS_SLOW_WAL_MS");
    long v = ms ? atol(ms) : 0;
    struct timespec ts = {v / 1000, (v % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

ssize_t
pwrite64(int fd, const void *buf, size_t n, off_t off)
{
    static ssize_t (*real)(int, const void *, size_t, off_t);
    if (!real)
        real = (ssize_t(*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT, "pwrite64");
    slow_if_wal(fd);
    return real(fd, buf, n, off);
}

ssize_t
pwrite(int fd, const void *buf, size_t n, off_t off)
{
    static ssize_t (*real)(int, const void *, size_t, off_t);
    if (!real)
        real = (ssize_t(*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT, "pwrite");
    slow_if_wal(fd);
    return real(fd, buf, n, off);
}

ssize_t
write(int fd, const void *buf, size_t n)
{
    static ssize_t (*real)(int, const void *, size_t);
    if (!real)
        real = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    slow_if_wal(fd);
    return real(fd, buf, n);
}
