/* Shipped-data lookup (see datadir.h). */
#include "core/datadir.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

char *
datadir_beside_exe(const char *rel, char *buf, size_t size)
{
    char exe[DATADIR_PATH];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    /* PREFIX/bin/prefscope -> PREFIX */
    for (int up = 0; up < 2; up++) {
        char *slash = strrchr(exe, '/');
        if (!slash)
            return NULL;
        *slash = '\0';
    }
    int w = snprintf(buf, size, "%s/%s", exe, rel);
    if (w < 0 || (size_t)w >= size || !is_dir(buf))
        return NULL;
    return buf;
}

/* Append `path` to dirs when it exists and is not already listed (compared after
 * resolving symlinks, so an install run from its prefix is listed once). */
static void
add_dir(char dirs[][DATADIR_PATH], int *n, char seen[][PATH_MAX], const char *path)
{
    if (*n >= DATADIR_MAX || !path || !is_dir(path))
        return;
    char real[PATH_MAX];
    if (!realpath(path, real))
        return;
    for (int i = 0; i < *n; i++)
        if (strcmp(seen[i], real) == 0)
            return;
    snprintf(seen[*n], PATH_MAX, "%s", real);
    snprintf(dirs[*n], DATADIR_PATH, "%s", path);
    (*n)++;
}

int
datadir_list(const char *sub, char dirs[][DATADIR_PATH])
{
    char seen[DATADIR_MAX][PATH_MAX];
    char path[DATADIR_PATH], rel[256];
    int n = 0;
    snprintf(rel, sizeof rel, "share/prefscope/%s", sub);
    add_dir(dirs, &n, seen, datadir_beside_exe(rel, path, sizeof path));
#ifndef PS_PORTABLE
    snprintf(path, sizeof path, "%s/%s", PS_SOURCE_DIR, sub);
    add_dir(dirs, &n, seen, path);
    snprintf(path, sizeof path, "%s/%s", PS_INSTALL_DATA_DIR, sub);
    add_dir(dirs, &n, seen, path);
#endif
    return n;
}

int
datadir_find(const char *sub, const char *rel, char *buf, size_t size)
{
    char dirs[DATADIR_MAX][DATADIR_PATH];
    int n = datadir_list(sub, dirs);
    struct stat sb;
    for (int i = 0; i < n; i++) {
        int w = snprintf(buf, size, "%s/%s", dirs[i], rel);
        if (w > 0 && (size_t)w < size && stat(buf, &sb) == 0)
            return 0;
    }
    if (size)
        buf[0] = '\0';
    return -1;
}
