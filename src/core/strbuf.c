#include "core/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "core/xalloc.h"

void
sb_free(struct strbuf *sb)
{
    free(sb->p);
    sb->p = NULL;
    sb->len = sb->cap = 0;
}

void
sb_reset(struct strbuf *sb)
{
    sb->len = 0;
    if (sb->p)
        sb->p[0] = '\0';
}

void
sb_grow(struct strbuf *sb, size_t extra)
{
    if (sb->len + extra + 1 <= sb->cap)
        return;
    size_t cap = sb->cap ? sb->cap : 64;
    while (cap < sb->len + extra + 1)
        cap *= 2;
    sb->p = xrealloc(sb->p, cap);
    sb->cap = cap;
    sb->p[sb->len] = '\0'; /* a fresh buffer reads as "" even if nothing is appended */
}

void
sb_append(struct strbuf *sb, const char *s, size_t n)
{
    sb_grow(sb, n);
    if (n)
        memcpy(sb->p + sb->len, s, n);
    sb->len += n;
    sb->p[sb->len] = '\0';
}

void
sb_puts(struct strbuf *sb, const char *s)
{
    sb_append(sb, s, strlen(s));
}

void
sb_putc(struct strbuf *sb, char c)
{
    sb_append(sb, &c, 1);
}

void
sb_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n <= 0)
        return;
    sb_grow(sb, (size_t)n);
    vsnprintf(sb->p + sb->len, (size_t)n + 1, fmt, ap);
    sb->len += (size_t)n;
}

void
sb_printf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(sb, fmt, ap);
    va_end(ap);
}

void
sb_json_u(struct strbuf *sb, uint32_t cp)
{
    if (cp >= 0x10000) {
        cp -= 0x10000;
        sb_printf(sb, "\\u%04x\\u%04x", (unsigned)(0xd800 + (cp >> 10)),
                  (unsigned)(0xdc00 + (cp & 0x3ff)));
    } else {
        sb_printf(sb, "\\u%04x", (unsigned)cp);
    }
}

void
sb_json_str(struct strbuf *sb, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    sb_grow(sb, n + 2);
    sb_putc(sb, '"');
    for (size_t i = 0; i < n; i++) {
        /* a run of characters that stand for themselves, copied at once: this is on
         * the import's hot path (the HH splitter writes every history as JSON) */
        size_t run = i;
        while (run < n && (unsigned char)s[run] >= 0x20 && (unsigned char)s[run] < 0x7f &&
               s[run] != '"' && s[run] != '\\')
            run++;
        if (run > i) {
            sb_append(sb, s + i, run - i);
            i = run - 1;
            continue;
        }
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': sb_append(sb, "\\\"", 2); break;
        case '\\': sb_append(sb, "\\\\", 2); break;
        case '\n': sb_append(sb, "\\n", 2); break;
        case '\r': sb_append(sb, "\\r", 2); break;
        case '\t': sb_append(sb, "\\t", 2); break;
        default:
            if (c < 0x20 || c == 0x7f) {
                char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                sb_append(sb, esc, 6);
            } else if (c >= 0x80) {
                /* Characters a terminal acts on (C1, bidi, tags) are written as \u
                 * escapes: the JSON value is the same, the output is safe to print. */
                uint32_t cp;
                int len = utf8_decode(s + i, n - i, &cp);
                if (len > 1 && utf8_terminal_active(cp))
                    sb_json_u(sb, cp);
                else if (len == 1) /* invalid UTF-8 (a file name): JSON text is UTF-8 */
                    sb_json_u(sb, 0xfffd);
                else
                    sb_append(sb, s + i, (size_t)len);
                i += (size_t)len - 1;
            } else {
                sb_putc(sb, (char)c);
            }
        }
    }
    sb_putc(sb, '"');
}

const char *
sb_str(struct strbuf *sb)
{
    return sb->p ? sb->p : "";
}

char *
sb_take(struct strbuf *sb)
{
    char *p = sb->p ? sb->p : xstrdup("");
    sb->p = NULL;
    sb->len = sb->cap = 0;
    return p;
}

char *
sb_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct strbuf sb = STRBUF_INIT;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        sb_append(&sb, buf, n);
    fclose(f);
    sb_putc(&sb, 0); /* an empty file is "" rather than NULL */
    sb.len--;
    return sb_take(&sb);
}
