/* Display width of UTF-8 text, computed from our own Unicode tables (width_tables.h,
 * Unicode 15.0) so that layout is identical on every machine whatever its libc.
 *
 * The model matches what ncursesw does with wcwidth-like widths: every code point
 * has a width (2 for East Asian Wide/Fullwidth, which includes emoji with emoji
 * presentation; 0 for combining marks, ZWJ, variation selectors and other format
 * characters; 1 otherwise), and a "cluster" is a base code point followed by its
 * zero-width code points, where a ZWJ also glues the next code point (emoji ZWJ
 * sequences) and two regional indicators form one flag.  A cluster's width is the
 * sum of its code points' widths, so a ZWJ family counts 2 per person: wider than
 * some terminals draw it, never narrower, so text never overflows its column.
 * Ambiguous-width characters (East Asian Width A) count 1.
 *
 * These functions expect sanitized text (core/sanitize.h): controls count 0 here. */
#ifndef PS_CORE_WIDTH_H
#define PS_CORE_WIDTH_H

#include <stddef.h>
#include <stdint.h>

/* Width of one code point: 2 (wide), 1, 0 (zero width) or -1 (C0/C1 control,
 * DEL, line/paragraph separator, surrogate or beyond U+10FFFF). */
int text_cp_width(uint32_t cp);

/* 1 when cp is part of a word for tokenizing: ASCII letters, digits and '_', and
 * non-ASCII letters, marks and numbers (general categories L*, M*, N*). */
int text_cp_is_word(uint32_t cp);

/* Decode one code point at s (n > 0 bytes available).  Returns the bytes consumed
 * (>= 1).  Invalid UTF-8 yields *cp = U+FFFD and consumes one maximal ill-formed
 * subpart (so a truncated 3-byte sequence is one U+FFFD, as Unicode recommends). */
size_t text_decode(const char *s, size_t n, uint32_t *cp);

/* Length in bytes of the cluster starting at s (0 when n == 0); its width goes to
 * *width when width is non-NULL.  A cluster whose base has width -1 counts 0. */
size_t text_cluster(const char *s, size_t n, int *width);

/* Display width of s[0..n). */
size_t text_width(const char *s, size_t n);

/* Number of bytes of s[0..n) that fit in `cols` columns without splitting a wide
 * character or a cluster; the columns they take go to *used (may be NULL).  Zero-
 * width clusters right after the cut are included.  Never more than n. */
size_t text_fit(const char *s, size_t n, int cols, int *used);

#endif
