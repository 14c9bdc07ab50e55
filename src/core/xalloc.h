/* Allocation wrappers that abort with a message on exhaustion.  Used by the app,
 * formats and TUI layers, where running out of memory is not recoverable; code that
 * must survive injected allocation failures (Lua bindings) uses its own allocator. */
#ifndef PS_CORE_XALLOC_H
#define PS_CORE_XALLOC_H

#include <stddef.h>

/* Each returns memory owned by the caller (free with free()); never NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Make room in a growable array before writing element `n`: when n == *cap the
 * capacity doubles (starting at `first`) and the array is reallocated.  Returns the
 * array, possibly moved; ownership stays with the caller.  Use as
 *     v = xgrow(v, sizeof *v, n, &cap, 8);  v[n++] = x;  */
void *xgrow(void *p, size_t elem, int n, int *cap, int first);

#endif
