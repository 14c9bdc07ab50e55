#include "core/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
xalloc_die(size_t n)
{
    fprintf(stderr, "prefscope: out of memory (%zu bytes)\n", n);
    abort();
}

void *
xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        xalloc_die(n);
    return p;
}

void *
xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        xalloc_die(n * size);
    return p;
}

void *
xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        xalloc_die(n);
    return q;
}

char *
xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void *
xgrow(void *p, size_t elem, int n, int *cap, int first)
{
    if (n < *cap)
        return p;
    *cap = *cap ? *cap * 2 : first;
    return xrealloc(p, (size_t)*cap * elem);
}
