/* Drawing cells.  Every piece of dataset text reaches the screen through
 * draw_text (sanitized here) or draw_clean (already sanitized by the caller with
 * core/sanitize.h); widths come from core/width.h, never from the libc, so layout
 * matches the wrapping code exactly. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>

#include "core/sanitize.h"
#include "core/width.h"
#include "core/xalloc.h"
#include "tui/view.h"

void
draw_role(struct tui *tui, enum tui_role role)
{
    attrset(tui->theme.attr[role]);
}

void
draw_sanitize(const char *s, size_t n, struct strbuf *out)
{
    text_sanitize(s, n, out, TEXT_SAN_EXPAND_TABS);
}

int
draw_width(const char *s, size_t n)
{
    return (int)text_width(s, n);
}

void
draw_preview(const char *s, size_t n, size_t max_bytes, struct strbuf *out)
{
    /* Only the head is needed for a one-line preview; cut on a UTF-8 boundary. */
    if (n > max_bytes) {
        n = max_bytes;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    text_sanitize(s, n, out, TEXT_SAN_ONELINE);
}

/* ASCII stand-ins for the non-ASCII glyphs of prefscope's own screens (separators,
 * ellipsis, bars), used when the locale is not UTF-8. */
static const struct {
    uint32_t cp;
    char ascii;
} draw_ascii[] = {
    {0x00B7, '.'}, {0x2026, '~'}, {0x2014, '-'}, {0x2500, '-'}, {0x2502, '|'}, {0x2524, '|'},
    {0x2588, '#'}, {0x2589, '+'}, {0x258A, '+'}, {0x258B, '+'}, {0x258C, '+'}, {0x258D, '+'},
    {0x258E, '+'}, {0x258F, '+'}, {0x27E8, '<'}, {0x27E9, '>'}, {0x21AA, '>'}, {0x2713, '*'},
};

/* A cluster for a terminal whose locale is not UTF-8, where ncursesw cannot
 * draw anything but ASCII (it would leave blanks and stray bytes): ASCII as is
 * (combining marks dropped), our own glyphs as ASCII stand-ins, anything else as
 * one `?` per character in the placeholder role, padded to the character's
 * width so columns stay aligned. */
static void
draw_cluster_ascii(const char *s, size_t n, int w, attr_t attr, attr_t ph)
{
    uint32_t cp;
    text_decode(s, n, &cp);
    char c = cp < 0x80 ? (char)cp : 0;
    for (size_t i = 0; !c && i < sizeof draw_ascii / sizeof draw_ascii[0]; i++)
        if (draw_ascii[i].cp == cp)
            c = draw_ascii[i].ascii;
    attrset(c ? attr : ph);
    addch((chtype)(unsigned char)(c ? c : '?'));
    for (int k = 1; k < w; k++)
        addch(' ');
}

/* Put one cluster (already clean) at the cursor as a single cell. */
static void
draw_cluster(const char *s, size_t n, attr_t attr)
{
    wchar_t wc[CCHARW_MAX + 1];
    int k = 0;
    size_t off = 0;
    while (off < n && k < CCHARW_MAX) {
        uint32_t cp;
        off += text_decode(s + off, n - off, &cp);
        wc[k++] = (wchar_t)cp;
    }
    wc[k] = L'\0';
    cchar_t cc;
    /* The pair must be given to setcchar: a cell with pair 0 would take the
     * window's current colour instead. */
    attrset(attr);
    if (setcchar(&cc, wc, attr & ~A_COLOR, (short)PAIR_NUMBER(attr), NULL) == OK)
        add_wch(&cc);
}

/* Draw clean text with a role, placeholders spans (offsets into s) in the
 * placeholder role.  Returns the columns used. */
static int
draw_spans(struct tui *tui, int y, int x, int maxw, enum tui_role role, const char *s, size_t n,
           const struct text_spans *marks, const struct text_spans *hl, size_t base, int trunc)
{
    if (maxw <= 0 || y < 0 || y >= tui->rows || x >= tui->cols)
        return 0;
    if (x + maxw > tui->cols)
        maxw = tui->cols - x;
    int limit = maxw;
    int clipped = 0;
    if (trunc && (int)text_width(s, n) > maxw) {
        limit = maxw - 1;
        clipped = 1;
    }
    int col = 0;
    size_t off = 0, mk = 0, hk = 0;
    attr_t battr = tui->theme.attr[role], ph = tui->theme.attr[ROLE_PLACEHOLDER];
    attr_t sattr = tui->theme.attr[ROLE_SEARCH];
    while (off < n) {
        int w;
        size_t len = text_cluster(s + off, n - off, &w);
        if (len == 0)
            break;
        if (col + w > limit)
            break;
        if (w > 0) {
            while (marks && mk < marks->n && marks->v[mk].off + marks->v[mk].len <= base + off)
                mk++;
            int in_mark = marks && mk < marks->n && marks->v[mk].off <= base + off;
            while (hl && hk < hl->n && hl->v[hk].off + hl->v[hk].len <= base + off)
                hk++;
            int in_hl = hl && hk < hl->n && hl->v[hk].off <= base + off;
            move(y, x + col);
            attr_t at = in_mark ? ph : in_hl ? sattr : battr;
            if (tui->utf8 || ((unsigned char)s[off] < 0x80 && len == 1))
                draw_cluster(s + off, len, at);
            else
                draw_cluster_ascii(s + off, len, w, at, ph);
            col += w;
        }
        off += len;
    }
    if (clipped && col < maxw) {
        move(y, x + col);
        attrset(battr);
        if (tui->utf8)
            addstr("…");
        else
            addch('~');
        col++;
    }
    return col;
}

int
draw_clean(struct tui *tui, int y, int x, int maxw, enum tui_role role, const char *s, size_t n)
{
    return draw_spans(tui, y, x, maxw, role, s, n, NULL, NULL, 0, 0);
}

int
draw_clean_marked(struct tui *tui, int y, int x, int maxw, enum tui_role role, const char *s,
                  size_t n, const struct text_spans *marks, const struct text_spans *hl,
                  size_t base)
{
    return draw_spans(tui, y, x, maxw, role, s, n, marks, hl, base, 0);
}

int
draw_text(struct tui *tui, int y, int x, int maxw, enum tui_role role, const char *s, size_t n,
          int trunc)
{
    return draw_text_hl(tui, y, x, maxw, role, s, n, trunc, NULL);
}

int
draw_text_hl(struct tui *tui, int y, int x, int maxw, enum tui_role role, const char *s, size_t n,
             int trunc, const char *query)
{
    if (!s || maxw <= 0)
        return 0;
    struct strbuf sb = STRBUF_INIT;
    struct text_spans marks = {0};
    /* A line never needs more than a few bytes per column. */
    size_t cap = (size_t)maxw * 16 + 64;
    if (n > cap) {
        n = cap;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    /* Keep runs of spaces (column layout), but never break the line. */
    text_sanitize_marked(s, n, &sb, TEXT_SAN_EXPAND_TABS, &marks);
    for (size_t i = 0; i < sb.len; i++)
        if (sb.p[i] == '\n')
            sb.p[i] = ' ';
    struct text_spans hl = {0};
    if (query && *query)
        draw_search_spans(query, sb_str(&sb), sb.len, &hl);
    int w = draw_spans(tui, y, x, maxw, role, sb_str(&sb), sb.len, &marks,
                       query && *query ? &hl : NULL, 0, trunc);
    text_spans_free(&hl);
    text_spans_free(&marks);
    sb_free(&sb);
    return w;
}

int
draw_printf(struct tui *tui, int y, int x, int maxw, enum tui_role role, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        return 0;
    return draw_text(tui, y, x, maxw, role, buf, strlen(buf), 1);
}

void
draw_fill(struct tui *tui, int y, int x, int w, enum tui_role role)
{
    if (y < 0 || y >= tui->rows || w <= 0)
        return;
    if (x + w > tui->cols)
        w = tui->cols - x;
    attrset(tui->theme.attr[role]);
    mvhline(y, x, ' ', w);
}

void
draw_hline(struct tui *tui, int y, int x, int w, enum tui_role role)
{
    if (y < 0 || y >= tui->rows || w <= 0)
        return;
    if (x + w > tui->cols)
        w = tui->cols - x;
    attrset(tui->theme.attr[role]);
    if (tui->utf8) {
        for (int i = 0; i < w; i++)
            mvaddstr(y, x + i, "─");
    } else {
        mvhline(y, x, '-', w);
    }
}

void
draw_vline(struct tui *tui, int y, int x, int h, enum tui_role role)
{
    attrset(tui->theme.attr[role]);
    for (int i = 0; i < h && y + i < tui->rows; i++)
        mvaddstr(y + i, x, tui->utf8 ? "│" : "|");
}

/* ---- search highlighting ---- */

static void
draw_span_add(struct text_spans *out, size_t off, size_t len)
{
    if (out->n == out->cap) {
        out->cap = out->cap ? out->cap * 2 : 16;
        out->v = xrealloc(out->v, out->cap * sizeof *out->v);
    }
    out->v[out->n++] = (struct text_span){off, len};
}

static int
draw_span_cmp(const void *a, const void *b)
{
    const struct text_span *x = a, *y = b;
    return x->off < y->off ? -1 : x->off > y->off;
}

void
draw_search_spans(const char *q, const char *s, size_t n, struct text_spans *out)
{
    size_t first = out->n;
    const char *p = q;
    while (p && *p) {
        while (*p == ' ')
            p++;
        const char *e = p;
        while (*e && *e != ' ')
            e++;
        const char *w = p;
        size_t wl = (size_t)(e - p);
        p = e;
        if (wl == 0 || *w == '-' || (wl == 2 && strncmp(w, "OR", 2) == 0) ||
            (wl == 3 && (strncmp(w, "AND", 3) == 0 || strncmp(w, "NOT", 3) == 0)))
            continue;
        const char *colon = memchr(w, ':', wl);
        if (colon) {
            wl -= (size_t)(colon + 1 - w);
            w = colon + 1;
        }
        while (wl && (*w == '"' || *w == '('))
            w++, wl--;
        while (wl && (w[wl - 1] == '"' || w[wl - 1] == '*' || w[wl - 1] == ')'))
            wl--;
        if (wl == 0)
            continue;
        for (size_t i = 0; i + wl <= n; i++)
            if (strncasecmp(s + i, w, wl) == 0) {
                draw_span_add(out, i, wl);
                i += wl - 1;
            }
    }
    if (out->n - first > 1)
        qsort(out->v + first, out->n - first, sizeof *out->v, draw_span_cmp);
}

/* ---- list cursor ---- */

int64_t
list_row_at(const struct list_pos *lp, int64_t count, int y, int first_y)
{
    int64_t i = lp->top + (y - first_y);
    return y >= first_y && i < count ? i : -1;
}

void
list_clamp(struct list_pos *lp, int64_t count, int height)
{
    if (height < 1)
        height = 1;
    if (lp->cur >= count)
        lp->cur = count - 1;
    if (lp->cur < 0)
        lp->cur = 0;
    if (lp->top > lp->cur)
        lp->top = lp->cur;
    if (lp->cur >= lp->top + height)
        lp->top = lp->cur - height + 1;
    if (lp->top > count - height)
        lp->top = count - height;
    if (lp->top < 0)
        lp->top = 0;
}

int
list_motion(struct tui *tui, struct list_pos *lp, enum tui_cmd cmd, const char *arg, int64_t count,
            int height)
{
    int64_t rep = tui->rep > 1 ? tui->rep : 1;
    int64_t page = (height > 1 ? height - 1 : 1) * rep;
    int64_t half = (height / 2 > 0 ? height / 2 : 1) * rep;
    switch (cmd) {
    case CMD_MOVE_DOWN: lp->cur += rep; break;
    case CMD_MOVE_UP: lp->cur -= rep; break;
    case CMD_PAGE_DOWN:
        lp->cur += page;
        lp->top += page;
        break;
    case CMD_PAGE_UP:
        lp->cur -= page;
        lp->top -= page;
        break;
    case CMD_HALF_DOWN:
        lp->cur += half;
        lp->top += half;
        break;
    case CMD_HALF_UP:
        lp->cur -= half;
        lp->top -= half;
        break;
    case CMD_FIRST: lp->cur = 0; break;
    case CMD_LAST: lp->cur = count - 1; break;
    case CMD_GOTO: {
        if (!arg)
            return 0;
        long long n = atoll(arg);
        if (n < 1 || n > count) {
            tui_err(tui, "goto: give a number between 1 and %lld", (long long)count);
            return 1;
        }
        lp->cur = n - 1;
        break;
    }
    default: return 0;
    }
    list_clamp(lp, count, height);
    return 1;
}
