#include "formats/snappy.h"

#include <string.h>

static int
read_varint32(const uint8_t *src, size_t n, size_t *pos, uint32_t *out)
{
    uint32_t v = 0;
    for (int shift = 0; shift <= 28; shift += 7) {
        if (*pos >= n)
            return -1;
        uint8_t b = src[(*pos)++];
        if (shift == 28 && b > 0x0f)
            return -1;
        v |= (uint32_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

int
snappy_length(const uint8_t *src, size_t n, size_t *len)
{
    size_t pos = 0;
    uint32_t v;
    if (read_varint32(src, n, &pos, &v))
        return -1;
    *len = v;
    return 0;
}

int
snappy_decompress(const uint8_t *src, size_t n, uint8_t *dst, size_t cap, size_t *out_len,
                  const char **why)
{
    size_t pos = 0, o = 0;
    uint32_t want;
    if (read_varint32(src, n, &pos, &want)) {
        *why = "bad snappy length preamble";
        return -1;
    }
    if (want > cap) {
        *why = "snappy block longer than the page says";
        return -1;
    }
    while (pos < n) {
        uint8_t tag = src[pos++];
        size_t len, off = 0;
        if ((tag & 3) == 0) {
            len = tag >> 2;
            if (len >= 60) {
                size_t k = len - 59;
                if (n - pos < k) {
                    *why = "truncated snappy literal";
                    return -1;
                }
                len = 0;
                for (size_t i = 0; i < k; i++)
                    len |= (size_t)src[pos + i] << (8 * i);
                pos += k;
            }
            len += 1;
            if (n - pos < len || want - o < len) {
                *why = n - pos < len ? "truncated snappy literal"
                                     : "snappy data longer than its preamble";
                return -1;
            }
            memcpy(dst + o, src + pos, len);
            pos += len;
            o += len;
            continue;
        }
        if ((tag & 3) == 1) {
            if (pos >= n) {
                *why = "truncated snappy copy";
                return -1;
            }
            len = 4 + ((tag >> 2) & 7);
            off = ((size_t)(tag >> 5) << 8) | src[pos++];
        } else {
            size_t k = (tag & 3) == 2 ? 2 : 4;
            if (n - pos < k) {
                *why = "truncated snappy copy";
                return -1;
            }
            len = 1 + (tag >> 2);
            for (size_t i = 0; i < k; i++)
                off |= (size_t)src[pos + i] << (8 * i);
            pos += k;
        }
        if (off == 0 || off > o) {
            *why = "snappy copy offset out of range";
            return -1;
        }
        if (want - o < len) {
            *why = "snappy data longer than its preamble";
            return -1;
        }
        for (size_t i = 0; i < len; i++, o++)
            dst[o] = dst[o - off];
    }
    if (o != want) {
        *why = "snappy data shorter than its preamble";
        return -1;
    }
    *out_len = o;
    return 0;
}

size_t
snappy_max_compressed(size_t n)
{
    return 32 + n + n / 6;
}

static size_t
put_literal(uint8_t *dst, const uint8_t *s, size_t len)
{
    size_t o = 0, l = len - 1;
    if (l < 60) {
        dst[o++] = (uint8_t)(l << 2);
    } else {
        int k = l < 0x100 ? 1 : l < 0x10000 ? 2 : l < 0x1000000 ? 3 : 4;
        dst[o++] = (uint8_t)((59 + k) << 2);
        for (int i = 0; i < k; i++)
            dst[o++] = (uint8_t)(l >> (8 * i));
    }
    memcpy(dst + o, s, len);
    return o + len;
}

static size_t
put_copy(uint8_t *dst, size_t off, size_t len)
{
    size_t o = 0;
    while (len > 0) {
        /* keep at least 4 bytes for the last piece (copies are 1..64 long) */
        size_t l = len > 64 ? (len - 64 < 4 ? len - 4 : 64) : len;
        dst[o++] = (uint8_t)(((l - 1) << 2) | 2);
        dst[o++] = (uint8_t)off;
        dst[o++] = (uint8_t)(off >> 8);
        len -= l;
    }
    return o;
}

static uint32_t
load32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

size_t
snappy_compress(const uint8_t *src, size_t n, uint8_t *dst)
{
    size_t o = 0;
    uint32_t len = (uint32_t)n;
    do {
        uint8_t b = len & 0x7f;
        len >>= 7;
        dst[o++] = len ? (uint8_t)(b | 0x80) : b;
    } while (len);
    enum { HBITS = 14 };
    uint32_t table[1 << HBITS];
    memset(table, 0xff, sizeof table);
    size_t lit = 0, i = 0;
    while (i + 4 <= n) {
        uint32_t h = (load32(src + i) * 0x1e35a7bdu) >> (32 - HBITS);
        uint32_t cand = table[h];
        table[h] = (uint32_t)i;
        if (cand != 0xffffffffu && i - cand < 65536 && load32(src + cand) == load32(src + i)) {
            size_t m = 4;
            while (i + m < n && src[cand + m] == src[i + m])
                m++;
            if (i > lit)
                o += put_literal(dst + o, src + lit, i - lit);
            o += put_copy(dst + o, i - cand, m);
            i += m;
            lit = i;
        } else {
            i++;
        }
    }
    if (n > lit)
        o += put_literal(dst + o, src + lit, n - lit);
    return o;
}
