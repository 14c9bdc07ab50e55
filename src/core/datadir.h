/* Where the files shipped with the binary are found: lua-modules (with the prompt
 * templates), themes, and in a portable bundle a small terminfo database.
 *
 * A relocated bundle and an installed copy share one layout, PREFIX/bin/prefscope
 * next to PREFIX/share/prefscope/SUB, so the first place searched is always the one
 * next to the running binary (found through /proc/self/exe).  A normal build then
 * adds the source tree and the configured install prefix; a portable build
 * (PS_PORTABLE) compiles in no path at all. */
#ifndef PS_CORE_DATADIR_H
#define PS_CORE_DATADIR_H

#include <stddef.h>

#define DATADIR_MAX 3
#define DATADIR_PATH 4096

/* Fill `dirs` (caller-owned) with up to DATADIR_MAX existing directories holding the
 * shipped subdirectory `sub` ("lua-modules" or "themes"), in search order, without
 * duplicates.  Returns how many were written (0 when none exists). */
int datadir_list(const char *sub, char dirs[][DATADIR_PATH]);

/* Find the shipped file SUB/REL (e.g. "lua-modules", "prefscope/c3po_cli.lua") in the
 * directories datadir_list gives, in order.  On success write its path to buf
 * (caller-owned, `size` bytes) and return 0; else return -1 with buf empty. */
int datadir_find(const char *sub, const char *rel, char *buf, size_t size);

/* Write to buf (caller-owned, `size` bytes) the path EXEDIR/../REL, where EXEDIR is
 * the running binary's directory, and return buf; NULL when the binary cannot be
 * located, the path does not fit or does not exist.  E.g. "share/terminfo". */
char *datadir_beside_exe(const char *rel, char *buf, size_t size);

#endif
