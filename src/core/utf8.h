/* UTF-8 validation and decoding (pure C, no locale dependence). */
#ifndef PS_CORE_UTF8_H
#define PS_CORE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Returns 1 when s[0..n) is well-formed UTF-8 (no overlongs, surrogates or code
 * points above U+10FFFF); otherwise 0 and, if bad_off is non-NULL, the byte offset
 * of the first invalid sequence. */
int utf8_valid(const char *s, size_t n, size_t *bad_off);

/* Decode one code point at s (n bytes available).  Returns the sequence length
 * (>= 1) and stores the code point in *cp; an invalid sequence yields length 1 and
 * *cp = 0xFFFD. */
int utf8_decode(const char *s, size_t n, uint32_t *cp);

/* The number of characters (code points) in s[0..n): the bytes that do not continue
 * a sequence, which is how sqlite's length() counts text.  This is the one length
 * unit users see ("chars": the item list's len columns, the pair view's titles,
 * len>N filters). */
size_t utf8_count(const char *s, size_t n);

/* Encode cp into out (at least 4 bytes); returns the number of bytes written. */
int utf8_encode(uint32_t cp, char *out);

/* Returns 1 for a code point a terminal may act on or that hides or reorders text
 * when printed raw: DEL, the C1 controls U+0080-009F, the bidi controls (U+061C,
 * U+200E, U+200F, U+202A-202E, U+2066-2069), U+2028/2029 and the tag characters
 * U+E0000-E007F.  C0 controls are not included (callers handle them their way). */
int utf8_terminal_active(uint32_t cp);

#endif
