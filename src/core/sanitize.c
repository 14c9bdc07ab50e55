#include "core/sanitize.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "core/width.h"
#include "core/xalloc.h"

/* Longest summary shown after "␛" before it is cut with "…". */
#define SAN_SUMMARY_MAX 24

static void
spans_add(struct text_spans *sp, size_t off, size_t len)
{
    if (!sp)
        return;
    if (sp->n == sp->cap) {
        sp->cap = sp->cap ? sp->cap * 2 : 16;
        sp->v = xrealloc(sp->v, sp->cap * sizeof *sp->v);
    }
    sp->v[sp->n].off = off;
    sp->v[sp->n].len = len;
    sp->n++;
}

void
text_spans_free(struct text_spans *sp)
{
    free(sp->v);
    sp->v = NULL;
    sp->n = sp->cap = 0;
}

static void
put_cp(struct strbuf *out, uint32_t cp)
{
    char b[4];
    sb_append(out, b, (size_t)utf8_encode(cp, b));
}

struct san {
    struct strbuf *out;
    struct text_spans *marks;
    unsigned flags;
    size_t col;         /* columns since the last newline, for tab expansion */
    int pending_space;  /* ONELINE: whitespace seen since the last visible char */
    int any;            /* ONELINE: something visible was written */
    int zw_run;         /* zero-width code points attached to the last character */
    uint32_t last_base; /* the last character of width > 0 written, 0 after a break */
    int flag_tags;      /* inside an emoji tag sequence (🏴 + tags: subdivision flags) */
};

/* More zero-width code points than this on one character (e.g. "Zalgo" text) are
 * folded into one "⟨+N⟩": terminals stack them unpredictably and ncurses keeps only
 * a few per cell. */
#define SAN_MAX_ZERO_WIDTH 8

/* Something other than a character with marks was written. */
static void
san_break(struct san *z)
{
    z->zw_run = 0;
    z->last_base = 0;
    z->flag_tags = 0;
}

/* Before visible output: flush a collapsed space in one-line mode. */
static void
san_visible(struct san *z)
{
    if ((z->flags & TEXT_SAN_ONELINE) && z->pending_space && z->any) {
        sb_putc(z->out, ' ');
        z->col++;
    }
    z->pending_space = 0;
    z->any = 1;
}

static void
san_space(struct san *z, int newline)
{
    san_break(z);
    if (z->flags & TEXT_SAN_ONELINE) {
        z->pending_space = 1;
        return;
    }
    if (newline) {
        sb_putc(z->out, '\n');
        z->col = 0;
    } else {
        sb_putc(z->out, ' ');
        z->col++;
    }
}

static void
san_tab(struct san *z)
{
    san_break(z);
    if (z->flags & TEXT_SAN_ONELINE) {
        z->pending_space = 1;
        return;
    }
    if (!(z->flags & TEXT_SAN_EXPAND_TABS)) {
        sb_putc(z->out, '\t');
        z->col += 8 - z->col % 8;
        return;
    }
    do {
        sb_putc(z->out, ' ');
        z->col++;
    } while (z->col % 8);
}

/* Start a placeholder; returns its start offset in out. */
static size_t
mark_begin(struct san *z)
{
    san_visible(z);
    san_break(z);
    return z->out->len;
}

static void
mark_end(struct san *z, size_t start)
{
    spans_add(z->marks, start, z->out->len - start);
    z->col += text_width(z->out->p + start, z->out->len - start);
}

static void
placeholder_cp(struct san *z, uint32_t cp)
{
    size_t m = mark_begin(z);
    put_cp(z->out, cp);
    mark_end(z, m);
}

/* Append one summary byte: printable ASCII as is, a space as "␣" (so that one-line
 * previews, which collapse spaces, stay stable), anything else as '.'. */
static void
summary_byte(struct strbuf *out, unsigned char c)
{
    if (c == ' ')
        sb_puts(out, "\xE2\x90\xA3");
    else
        sb_putc(out, (c > 0x20 && c < 0x7F) ? (char)c : '.');
}

/* Kinds of escape sequences by their introducer (the byte after ESC, or the C1
 * code point minus 0x40). */
static int
is_string_introducer(unsigned char c)
{
    return c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_';
}

/* Is there a C1 control (encoded in UTF-8 as C2 80..C2 9F) at s? Returns its 7-bit
 * equivalent byte (0x40..0x5F) or 0. */
static unsigned char
c1_at(const unsigned char *s, size_t n)
{
    if (n >= 2 && s[0] == 0xC2 && s[1] >= 0x80 && s[1] <= 0x9F)
        return (unsigned char)(s[1] - 0x40);
    return 0;
}

/* Is there a string terminator at s (ESC \, BEL, or C1 ST)? Returns its length. */
static size_t
st_at(const unsigned char *s, size_t n)
{
    if (n >= 1 && s[0] == 0x07)
        return 1;
    if (n >= 2 && s[0] == 0x1B && s[1] == '\\')
        return 2;
    if (c1_at(s, n) == '\\')
        return 2;
    return 0;
}

/* Consume the body of an escape sequence whose introducer `intro` (e.g. '[')
 * has just been read; s[0..n) is what follows it.  Writes the summary (after
 * "␛" + intro) and returns the number of body bytes consumed. */
static size_t
escape_body(struct strbuf *out, unsigned char intro, const unsigned char *s, size_t n)
{
    size_t i = 0, shown = 0;
    if (intro == '[') {
        /* CSI: parameter bytes 0x30-0x3F, intermediates 0x20-0x2F, one final
         * 0x40-0x7E.  Anything else ends a malformed sequence (not consumed). */
        while (i < n && s[i] >= 0x20 && s[i] <= 0x3F) {
            if (shown < SAN_SUMMARY_MAX)
                summary_byte(out, s[i]);
            else if (shown == SAN_SUMMARY_MAX)
                sb_puts(out, "\xE2\x80\xA6"); /* … */
            shown++;
            i++;
        }
        if (i < n && s[i] >= 0x40 && s[i] <= 0x7E)
            summary_byte(out, s[i++]);
        return i;
    }
    if (is_string_introducer(intro)) {
        /* OSC, DCS, SOS, PM, APC: a string up to ST or BEL.  A control byte ends an
         * unterminated string so that the rest of the text stays visible. */
        while (i < n) {
            size_t t = st_at(s + i, n - i);
            if (t)
                return i + t;
            if (s[i] < 0x20 || s[i] == 0x7F || c1_at(s + i, n - i))
                return i;
            if (shown < SAN_SUMMARY_MAX)
                summary_byte(out, s[i]);
            else if (shown == SAN_SUMMARY_MAX)
                sb_puts(out, "\xE2\x80\xA6");
            shown++;
            i++;
        }
        return i;
    }
    /* nF sequences (ESC ( B): the introducer was the first intermediate byte;
     * more intermediates 0x20-0x2F may follow, then one final 0x30-0x7E. */
    while (i < n && s[i] >= 0x20 && s[i] <= 0x2F && i < SAN_SUMMARY_MAX)
        summary_byte(out, s[i++]);
    if (i < n && s[i] >= 0x30 && s[i] <= 0x7E)
        summary_byte(out, s[i++]);
    return i;
}

static const char *
bidi_name(uint32_t cp)
{
    switch (cp) {
    case 0x202A: return "LRE";
    case 0x202B: return "RLE";
    case 0x202C: return "PDF";
    case 0x202D: return "LRO";
    case 0x202E: return "RLO";
    case 0x2066: return "LRI";
    case 0x2067: return "RLI";
    case 0x2068: return "FSI";
    case 0x2069: return "PDI";
    case 0x200E: return "LRM";
    case 0x200F: return "RLM";
    case 0x061C: return "ALM";
    default: return NULL;
    }
}

void
text_sanitize_marked(const char *str, size_t n, struct strbuf *out, unsigned flags,
                     struct text_spans *marks)
{
    const unsigned char *s = (const unsigned char *)str;
    struct san z = {out, marks, flags, 0, 0, 0, 0, 0, 0};
    size_t i = 0;
    sb_grow(out, n);
    while (i < n) {
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x7F) {
            if (c == ' ') {
                san_space(&z, 0);
            } else {
                san_visible(&z);
                sb_putc(out, (char)c);
                z.col++;
                san_break(&z);
                z.last_base = c;
            }
            i++;
            continue;
        }
        if (c == '\n') {
            san_space(&z, 1);
            i++;
            continue;
        }
        if (c == '\t') {
            san_tab(&z);
            i++;
            continue;
        }
        if (c == '\r') {
            if (i + 1 < n && s[i + 1] == '\n') {
                i++; /* CRLF: the LF is handled next */
                continue;
            }
            placeholder_cp(&z, 0x240D);
            i++;
            continue;
        }
        unsigned char intro = 0;
        size_t skip = 0;
        if (c == 0x1B && i + 1 < n && s[i + 1] >= 0x20 && s[i + 1] < 0x7F) {
            intro = s[i + 1];
            skip = 2;
        } else if (c1_at(s + i, n - i)) {
            intro = c1_at(s + i, n - i);
            skip = 2;
        }
        if (intro) {
            size_t m = mark_begin(&z);
            put_cp(out, 0x241B);
            summary_byte(out, intro);
            i += skip;
            if (intro == '[' || is_string_introducer(intro) || (intro >= 0x20 && intro <= 0x2F))
                i += escape_body(out, intro, s + i, n - i);
            mark_end(&z, m);
            continue;
        }
        if (c < 0x20 || c == 0x7F) {
            placeholder_cp(&z, c == 0x7F ? 0x2421 : 0x2400u + c);
            i++;
            continue;
        }
        uint32_t cp;
        size_t k = text_decode(str + i, n - i, &cp);
        const char *bidi;
        if (cp == 0xFFFD && !(k == 3 && s[i] == 0xEF)) {
            placeholder_cp(&z, 0xFFFD);
        } else if (cp == 0x2028 || cp == 0x2029) {
            san_space(&z, 1);
        } else if ((bidi = bidi_name(cp)) != NULL) {
            size_t m = mark_begin(&z);
            sb_puts(out, "\xE2\x9F\xA8"); /* ⟨ */
            sb_puts(out, bidi);
            sb_puts(out, "\xE2\x9F\xA9"); /* ⟩ */
            mark_end(&z, m);
        } else if (cp == 0x00A0 || cp == 0x3000 || (cp >= 0x2000 && cp <= 0x200A)) {
            /* Unicode spaces draw as themselves; one-line previews collapse them. */
            san_break(&z);
            if (flags & TEXT_SAN_ONELINE) {
                z.pending_space = 1;
            } else {
                san_visible(&z);
                sb_append(out, str + i, k);
                z.col += (size_t)text_cp_width(cp);
            }
        } else if (cp >= 0xE0000 && cp <= 0xE007F && !z.flag_tags && z.last_base != 0x1F3F4) {
            /* Tag characters outside an emoji flag are invisible text ("ASCII
             * smuggling"): show what they spell. */
            size_t m = mark_begin(&z);
            sb_puts(out, "\xE2\x9F\xA8TAG:"); /* ⟨TAG: */
            while (i < n) {
                uint32_t t;
                size_t tk = text_decode(str + i, n - i, &t);
                if (t < 0xE0000 || t > 0xE007F)
                    break;
                if (t >= 0xE0020 && t < 0xE007F)
                    summary_byte(out, (unsigned char)(t - 0xE0000));
                i += tk;
            }
            sb_puts(out, "\xE2\x9F\xA9"); /* ⟩ */
            mark_end(&z, m);
            continue;
        } else {
            int w = text_cp_width(cp);
            if (w == 0 && z.zw_run >= SAN_MAX_ZERO_WIDTH && !(cp >= 0xE0000 && cp <= 0xE007F)) {
                size_t extra = 0;
                while (i < n) {
                    uint32_t t;
                    size_t tk = text_decode(str + i, n - i, &t);
                    if (text_cp_width(t) != 0 || (t >= 0xE0000 && t <= 0xE007F))
                        break;
                    extra++;
                    i += tk;
                }
                size_t m = mark_begin(&z);
                sb_printf(out, "\xE2\x9F\xA8+%zu\xE2\x9F\xA9", extra); /* ⟨+N⟩ */
                mark_end(&z, m);
                continue;
            }
            san_visible(&z);
            sb_append(out, str + i, k);
            if (w > 0) {
                z.col += (size_t)w;
                z.zw_run = 0;
                z.last_base = cp;
                z.flag_tags = 0;
            } else {
                z.zw_run++;
                if (cp >= 0xE0000 && cp <= 0xE007F)
                    z.flag_tags = cp != 0xE007F; /* CANCEL TAG ends the flag */
            }
        }
        i += k;
    }
    if (!out->p)
        sb_append(out, "", 0);
}

void
text_sanitize(const char *s, size_t n, struct strbuf *out, unsigned flags)
{
    text_sanitize_marked(s, n, out, flags, NULL);
}

void
text_escape_visual(const char *str, size_t n, struct strbuf *out)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    sb_grow(out, n);
    while (i < n) {
        unsigned char c = s[i];
        if (c == '\\') {
            sb_puts(out, "\\\\");
            i++;
            continue;
        }
        if ((c >= 0x20 && c < 0x7F) || c == '\n') {
            sb_putc(out, (char)c);
            i++;
            continue;
        }
        if (c < 0x20 || c == 0x7F) {
            switch (c) {
            case 0x1B: sb_puts(out, "\\e"); break;
            case '\r': sb_puts(out, "\\r"); break;
            case '\t': sb_puts(out, "\\t"); break;
            case 0x07: sb_puts(out, "\\a"); break;
            case 0x08: sb_puts(out, "\\b"); break;
            case 0x0C: sb_puts(out, "\\f"); break;
            case 0x0B: sb_puts(out, "\\v"); break;
            case 0x00: sb_puts(out, "\\0"); break;
            default: sb_printf(out, "\\x%02x", c); break;
            }
            i++;
            continue;
        }
        uint32_t cp;
        size_t k = text_decode(str + i, n - i, &cp);
        if (cp == 0xFFFD && !(k == 3 && s[i] == 0xEF)) {
            for (size_t j = 0; j < k; j++)
                sb_printf(out, "\\x%02x", s[i + j]);
        } else if (text_cp_width(cp) < 0 || bidi_name(cp) || cp == 0xFEFF ||
                   (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x2060 && cp <= 0x2064)) {
            sb_printf(out, "\\u%04x", (unsigned)cp);
        } else if (cp >= 0xE0000 && cp <= 0xE007F) {
            sb_printf(out, "\\U%08x", (unsigned)cp);
        } else {
            sb_append(out, str + i, k);
        }
        i += k;
    }
    if (!out->p)
        sb_append(out, "", 0);
}

const char *
text_clean(struct strbuf *tmp, const char *s)
{
    sb_reset(tmp);
    if (s)
        text_sanitize(s, strlen(s), tmp, TEXT_SAN_ONELINE);
    return sb_str(tmp);
}
