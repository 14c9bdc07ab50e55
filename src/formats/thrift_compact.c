#include "formats/thrift_compact.h"

#include <string.h>

static int
bad(struct tc *t, const char *why)
{
    if (!t->why)
        t->why = why;
    return -1;
}

void
tc_init(struct tc *t, const void *data, size_t n)
{
    t->p = data;
    t->end = t->p + n;
    t->depth = 0;
    t->why = NULL;
}

size_t
tc_used(const struct tc *t, const void *start)
{
    return (size_t)(t->p - (const uint8_t *)start);
}

static int
varint(struct tc *t, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (t->p >= t->end)
            return bad(t, "truncated varint");
        uint8_t b = *t->p++;
        if (shift == 63 && (b & 0x7e))
            return bad(t, "varint longer than 64 bits");
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return bad(t, "varint longer than 64 bits");
}

static int64_t
unzigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

int
tc_i64(struct tc *t, int64_t *out)
{
    uint64_t v;
    if (varint(t, &v))
        return -1;
    *out = unzigzag(v);
    return 0;
}

int
tc_i32(struct tc *t, int32_t *out)
{
    int64_t v;
    if (tc_i64(t, &v))
        return -1;
    if (v < INT32_MIN || v > INT32_MAX)
        return bad(t, "i32 out of range");
    *out = (int32_t)v;
    return 0;
}

int
tc_field(struct tc *t, int16_t *last, int *type, int16_t *id)
{
    if (t->p >= t->end)
        return bad(t, "truncated struct (no STOP)");
    uint8_t b = *t->p++;
    if (b == 0)
        return 0;
    *type = b & 0x0f;
    int delta = b >> 4;
    if (delta) {
        int v = *last + delta;
        if (v > INT16_MAX)
            return bad(t, "field id out of range");
        *id = (int16_t)v;
    } else {
        int64_t v;
        if (tc_i64(t, &v))
            return -1;
        if (v < INT16_MIN || v > INT16_MAX)
            return bad(t, "field id out of range");
        *id = (int16_t)v;
    }
    if (*type > TC_STRUCT)
        return bad(t, "unknown field type");
    *last = *id;
    return 1;
}

int
tc_binary(struct tc *t, const uint8_t **out, uint32_t *n)
{
    uint64_t len;
    if (varint(t, &len))
        return -1;
    if (len > (uint64_t)(t->end - t->p))
        return bad(t, "string length past the end");
    *out = t->p;
    *n = (uint32_t)len;
    t->p += len;
    return 0;
}

int
tc_list(struct tc *t, int *etype, uint32_t *n)
{
    if (t->p >= t->end)
        return bad(t, "truncated list header");
    uint8_t b = *t->p++;
    uint64_t size = b >> 4;
    *etype = b & 0x0f;
    if (size == 15 && varint(t, &size))
        return -1;
    if (*etype == TC_STOP || *etype > TC_STRUCT)
        return bad(t, "unknown list element type");
    /* every element but an empty struct's takes at least one byte */
    if (size > (uint64_t)(t->end - t->p))
        return bad(t, "list longer than the bytes left");
    *n = (uint32_t)size;
    return 0;
}

int
tc_bool_elem(struct tc *t, int *out)
{
    if (t->p >= t->end)
        return bad(t, "truncated boolean");
    *out = *t->p++ == 1;
    return 0;
}

int
tc_skip(struct tc *t, int type)
{
    int64_t i;
    const uint8_t *s;
    uint32_t n;
    switch (type) {
    case TC_TRUE:
    case TC_FALSE: return 0;
    case TC_BYTE:
        if (t->p >= t->end)
            return bad(t, "truncated byte");
        t->p++;
        return 0;
    case TC_I16:
    case TC_I32:
    case TC_I64: return tc_i64(t, &i);
    case TC_DOUBLE:
        if (t->end - t->p < 8)
            return bad(t, "truncated double");
        t->p += 8;
        return 0;
    case TC_BINARY: return tc_binary(t, &s, &n);
    case TC_LIST:
    case TC_SET: {
        int et;
        if (tc_list(t, &et, &n))
            return -1;
        if (++t->depth > TC_MAX_DEPTH)
            return bad(t, "nesting too deep");
        for (uint32_t k = 0; k < n; k++)
            if (et == TC_TRUE || et == TC_FALSE ? tc_skip(t, TC_BYTE) : tc_skip(t, et))
                return -1;
        t->depth--;
        return 0;
    }
    case TC_MAP: {
        uint64_t size;
        if (varint(t, &size))
            return -1;
        if (size == 0)
            return 0;
        if (t->p >= t->end)
            return bad(t, "truncated map header");
        uint8_t kv = *t->p++;
        if (size > (uint64_t)(t->end - t->p))
            return bad(t, "map longer than the bytes left");
        if (++t->depth > TC_MAX_DEPTH)
            return bad(t, "nesting too deep");
        int kt = kv >> 4, vt = kv & 0x0f;
        if (kt == TC_TRUE || kt == TC_FALSE)
            kt = TC_BYTE;
        if (vt == TC_TRUE || vt == TC_FALSE)
            vt = TC_BYTE;
        for (uint64_t k = 0; k < size; k++)
            if (tc_skip(t, kt) || tc_skip(t, vt))
                return -1;
        t->depth--;
        return 0;
    }
    case TC_STRUCT: {
        if (++t->depth > TC_MAX_DEPTH)
            return bad(t, "nesting too deep");
        int16_t last = 0, id;
        int ft, r;
        while ((r = tc_field(t, &last, &ft, &id)) == 1)
            if (tc_skip(t, ft))
                return -1;
        if (r < 0)
            return -1;
        t->depth--;
        return 0;
    }
    default: return bad(t, "unknown type");
    }
}

/* ---- writing ---- */

void
tc_put_varint(struct strbuf *o, uint64_t v)
{
    while (v >= 0x80) {
        sb_putc(o, (char)(v | 0x80));
        v >>= 7;
    }
    sb_putc(o, (char)v);
}

static uint64_t
zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

void
tcw_init(struct tcw *w, struct strbuf *out)
{
    w->out = out;
    w->depth = 0;
    w->last[0] = 0;
}

static void
field(struct tcw *w, int id, int type)
{
    int d = id - w->last[w->depth];
    if (d > 0 && d <= 15) {
        sb_putc(w->out, (char)(d << 4 | type));
    } else {
        sb_putc(w->out, (char)type);
        tc_put_varint(w->out, zigzag(id));
    }
    w->last[w->depth] = (int16_t)id;
}

void
tcw_i32(struct tcw *w, int id, int32_t v)
{
    field(w, id, TC_I32);
    tc_put_varint(w->out, zigzag(v));
}

void
tcw_i64(struct tcw *w, int id, int64_t v)
{
    field(w, id, TC_I64);
    tc_put_varint(w->out, zigzag(v));
}

void
tcw_binary(struct tcw *w, int id, const char *s, size_t n)
{
    field(w, id, TC_BINARY);
    tc_put_varint(w->out, n);
    sb_append(w->out, s, n);
}

void
tcw_str(struct tcw *w, int id, const char *s)
{
    tcw_binary(w, id, s, strlen(s));
}

void
tcw_begin(struct tcw *w, int id)
{
    if (id)
        field(w, id, TC_STRUCT);
    if (w->depth + 1 < TC_MAX_DEPTH)
        w->last[++w->depth] = 0;
}

void
tcw_end(struct tcw *w)
{
    sb_putc(w->out, 0);
    if (w->depth > 0)
        w->depth--;
}

void
tcw_list(struct tcw *w, int id, int etype, uint32_t n)
{
    field(w, id, TC_LIST);
    if (n < 15) {
        sb_putc(w->out, (char)(n << 4 | (uint32_t)etype));
    } else {
        sb_putc(w->out, (char)(0xf0 | etype));
        tc_put_varint(w->out, n);
    }
}

void
tcw_elem_str(struct tcw *w, const char *s)
{
    tc_put_varint(w->out, strlen(s));
    sb_puts(w->out, s);
}

void
tcw_elem_i32(struct tcw *w, int32_t v)
{
    tc_put_varint(w->out, zigzag(v));
}
