/* A growable, NUL-terminated, binary-safe byte buffer. */
#ifndef PS_CORE_STRBUF_H
#define PS_CORE_STRBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct strbuf {
    char *p; /* always NUL-terminated once anything was appended; may be NULL before */
    size_t len;
    size_t cap;
};

#define STRBUF_INIT \
    { \
        NULL, 0, 0 \
    }

/* The buffer owns p; sb_free releases it and resets the struct. */
void sb_free(struct strbuf *sb);
void sb_reset(struct strbuf *sb); /* len = 0, keeps capacity */
void sb_grow(struct strbuf *sb, size_t extra);
void sb_append(struct strbuf *sb, const char *s, size_t n);
void sb_puts(struct strbuf *sb, const char *s);
void sb_putc(struct strbuf *sb, char c);
void sb_printf(struct strbuf *sb, const char *fmt, ...) PS_PRINTF(2, 3);
void sb_vprintf(struct strbuf *sb, const char *fmt, va_list ap);
/* Append `s` as a JSON string literal (with quotes).  Control characters and the
 * characters a terminal acts on (utf8_terminal_active: C1, bidi, tags) are written
 * as \u escapes, so the literal is safe to print and decodes to the same value. */
void sb_json_str(struct strbuf *sb, const char *s, size_t n);
/* Append code point cp as a JSON \u escape (a surrogate pair above U+FFFF). */
void sb_json_u(struct strbuf *sb, uint32_t cp);
/* Returns the contents (never NULL; "" when empty).  Borrowed: valid until the next mutation. */
const char *sb_str(struct strbuf *sb);
/* Hands the buffer to the caller (free with free()) and resets sb. Never NULL. */
char *sb_take(struct strbuf *sb);

/* Read a whole file into a new NUL-terminated string (the caller frees); NULL when it
 * cannot be opened. */
char *sb_read_file(const char *path);

#endif
