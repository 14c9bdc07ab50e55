/* A bounds-checked reader for the Thrift compact protocol, the encoding of Parquet's
 * footer and page headers.  It reads from a borrowed byte range and never reads past
 * its end: every function returns 0 on success and -1 on malformed or truncated
 * input, with a short reason in `why` (the caller adds the context). */
#ifndef PS_FORMATS_THRIFT_COMPACT_H
#define PS_FORMATS_THRIFT_COMPACT_H

#include <stddef.h>
#include <stdint.h>

#include "core/strbuf.h"

/* Compact protocol type codes (field headers and list element types). */
enum tc_type {
    TC_STOP = 0,
    TC_TRUE = 1,
    TC_FALSE = 2,
    TC_BYTE = 3,
    TC_I16 = 4,
    TC_I32 = 5,
    TC_I64 = 6,
    TC_DOUBLE = 7,
    TC_BINARY = 8,
    TC_LIST = 9,
    TC_SET = 10,
    TC_MAP = 11,
    TC_STRUCT = 12
};

/* Nesting deeper than this is refused (hostile input would otherwise recurse). */
#define TC_MAX_DEPTH 64

struct tc {
    const uint8_t *p, *end; /* borrowed: the bytes still to read */
    int depth;              /* struct nesting of tc_skip */
    const char *why;        /* static reason of the first failure */
};

void tc_init(struct tc *t, const void *data, size_t n);
/* Bytes consumed since `start` (the pointer given to tc_init). */
size_t tc_used(const struct tc *t, const void *start);

/* Next field of the current struct.  *last is the previous field id of this struct
 * (start at 0; each nested struct keeps its own).  Returns 1 with *type and *id,
 * 0 at the struct's STOP, -1 on error.  For boolean fields the value is the type:
 * TC_TRUE or TC_FALSE. */
int tc_field(struct tc *t, int16_t *last, int *type, int16_t *id);
int tc_i32(struct tc *t, int32_t *out);
int tc_i64(struct tc *t, int64_t *out);
/* A binary/string: *out points into the input (not NUL-terminated). */
int tc_binary(struct tc *t, const uint8_t **out, uint32_t *n);
/* A list or set header: element type and count.  The count is checked against the
 * bytes left (every element takes at least one byte, except booleans in structs). */
int tc_list(struct tc *t, int *etype, uint32_t *n);
/* Read a boolean list element (one byte). */
int tc_bool_elem(struct tc *t, int *out);
/* Skip one value of `type` (for fields this reader does not use). */
int tc_skip(struct tc *t, int type);

/* ---- writing (for the Parquet writer) ----
 * Fields are written in increasing id order within each struct; `last` tracks the
 * previous id per nesting level (up to TC_MAX_DEPTH). */
struct tcw {
    struct strbuf *out; /* borrowed */
    int16_t last[TC_MAX_DEPTH];
    int depth;
};

void tcw_init(struct tcw *w, struct strbuf *out);
/* An unsigned LEB128 varint (also the length prefix Parquet's RLE runs use). */
void tc_put_varint(struct strbuf *o, uint64_t v);
void tcw_i32(struct tcw *w, int id, int32_t v);
void tcw_i64(struct tcw *w, int id, int64_t v);
void tcw_binary(struct tcw *w, int id, const char *s, size_t n);
void tcw_str(struct tcw *w, int id, const char *s);
/* Open a struct field (id > 0) or a struct list element (id == 0); close with tcw_end. */
void tcw_begin(struct tcw *w, int id);
void tcw_end(struct tcw *w);
/* A list field header of n elements of etype; the elements follow (structs with
 * tcw_begin(w, 0), strings with tcw_elem_str, i32 with tcw_elem_i32). */
void tcw_list(struct tcw *w, int id, int etype, uint32_t n);
void tcw_elem_str(struct tcw *w, const char *s);
void tcw_elem_i32(struct tcw *w, int32_t v);

#endif
