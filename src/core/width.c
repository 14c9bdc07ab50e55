#include "core/width.h"

struct text_range {
    uint32_t lo, hi;
};

#include "core/width_tables.h"

static int
in_ranges(uint32_t cp, const struct text_range *r, size_t n)
{
    size_t lo = 0, hi = n;
    if (n == 0 || cp < r[0].lo || cp > r[n - 1].hi)
        return 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp > r[mid].hi)
            lo = mid + 1;
        else if (cp < r[mid].lo)
            hi = mid;
        else
            return 1;
    }
    return 0;
}

#define N_RANGES(a) (sizeof(a) / sizeof((a)[0]))

int
text_cp_width(uint32_t cp)
{
    if (cp < 0x20 || cp == 0x7F)
        return -1;
    if (cp < 0x7F)
        return 1;
    if (cp < 0xA0 || cp == 0x2028 || cp == 0x2029 || (cp >= 0xD800 && cp <= 0xDFFF) ||
        cp > 0x10FFFF)
        return -1;
    /* CJK Unified Ideographs, most of a Chinese or Japanese text: all wide, none zero
     * width (width_tables.h), so without the two searches */
    if (cp >= 0x4E00 && cp <= 0x9FFF)
        return 2;
    if (in_ranges(cp, text_zero_ranges, N_RANGES(text_zero_ranges)))
        return 0;
    if (in_ranges(cp, text_wide_ranges, N_RANGES(text_wide_ranges)))
        return 2;
    return 1;
}

int
text_cp_is_word(uint32_t cp)
{
    if (cp < 0x80)
        return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
               cp == '_';
    return in_ranges(cp, text_word_ranges, N_RANGES(text_word_ranges));
}

size_t
text_decode(const char *str, size_t n, uint32_t *cp)
{
    const unsigned char *s = (const unsigned char *)str;
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    uint32_t v;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        v = c & 0x0F;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        v = c & 0x07;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        *cp = 0xFFFD;
        return 1;
    }
    for (size_t i = 1; i < len; i++) {
        if (i >= n || s[i] < lo || s[i] > hi) {
            *cp = 0xFFFD;
            return i;
        }
        v = (v << 6) | (s[i] & 0x3F);
        lo = 0x80;
        hi = 0xBF;
    }
    *cp = v;
    return len;
}

static int
is_regional(uint32_t cp)
{
    return cp >= 0x1F1E6 && cp <= 0x1F1FF;
}

size_t
text_cluster(const char *s, size_t n, int *width)
{
    if (n == 0) {
        if (width)
            *width = 0;
        return 0;
    }
    uint32_t cp;
    size_t i = text_decode(s, n, &cp);
    int w = text_cp_width(cp), total = w < 0 ? 0 : w;
    int joined = 0, regional = is_regional(cp);
    /* A control is a cluster of its own: nothing may attach to it. */
    while (w >= 0 && i < n) {
        uint32_t next;
        size_t k = text_decode(s + i, n - i, &next);
        int nw = text_cp_width(next);
        if (nw < 0)
            break;
        if (nw == 0) {
            joined = next == 0x200D;
        } else if (joined) {
            joined = 0;
        } else if (regional && is_regional(next)) {
            regional = 0;
        } else {
            break;
        }
        total += nw;
        i += k;
    }
    if (width)
        *width = total;
    return i;
}

size_t
text_width(const char *s, size_t n)
{
    size_t i = 0, total = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        /* ASCII fast path: a printable ASCII byte followed by ASCII is a cluster. */
        if (c >= 0x20 && c < 0x7F && (i + 1 == n || (unsigned char)s[i + 1] < 0x80)) {
            total++;
            i++;
            continue;
        }
        int w;
        i += text_cluster(s + i, n - i, &w);
        total += (size_t)w;
    }
    return total;
}

size_t
text_fit(const char *s, size_t n, int cols, int *used)
{
    size_t i = 0;
    int total = 0;
    while (i < n) {
        int w;
        size_t k = text_cluster(s + i, n - i, &w);
        if (total + w > cols)
            break;
        total += w;
        i += k;
    }
    if (used)
        *used = total;
    return i;
}
