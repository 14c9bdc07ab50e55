#include "formats/parquet.h"

#include <brotli/decode.h>
#include <errno.h>
#include <fcntl.h>
#include <lz4.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "core/strbuf.h"
#include "core/utf8.h"
#include "core/xalloc.h"
#include "formats/snappy.h"
#include "formats/thrift_compact.h"

/* Numbers from parquet.thrift. */
enum { PT_BOOLEAN, PT_INT32, PT_INT64, PT_INT96, PT_FLOAT, PT_DOUBLE, PT_BYTE_ARRAY, PT_FLBA };
#define PT_GROUP (-1)
enum { REP_REQUIRED, REP_OPTIONAL, REP_REPEATED };
enum {
    ENC_PLAIN = 0,
    ENC_PLAIN_DICT = 2,
    ENC_RLE = 3,
    ENC_BIT_PACKED = 4,
    ENC_DELTA_BP = 5,
    ENC_DELTA_LBA = 6,
    ENC_DELTA_BA = 7,
    ENC_RLE_DICT = 8,
    ENC_BSS = 9
};
enum {
    CODEC_NONE,
    CODEC_SNAPPY,
    CODEC_GZIP,
    CODEC_LZO,
    CODEC_BROTLI,
    CODEC_LZ4,
    CODEC_ZSTD,
    CODEC_LZ4_RAW
};
enum { PAGE_DATA = 0, PAGE_INDEX = 1, PAGE_DICT = 2, PAGE_DATA_V2 = 3 };
enum {
    CT_UTF8 = 0,
    CT_MAP = 1,
    CT_MAP_KV = 2,
    CT_LIST = 3,
    CT_ENUM = 4,
    CT_DECIMAL = 5,
    CT_DATE = 6,
    CT_TIME_MILLIS = 7,
    CT_TIME_MICROS = 8,
    CT_TS_MILLIS = 9,
    CT_TS_MICROS = 10,
    CT_UINT_8 = 11,
    CT_UINT_64 = 14,
    CT_JSON = 19
};

/* What a column's values mean, from its logical (or legacy converted) type. */
enum pq_kind {
    K_PLAIN,
    K_STRING,
    K_DATE,
    K_TIME,
    K_TIMESTAMP,
    K_DECIMAL,
    K_UNSIGNED,
    K_UUID,
    K_FLOAT16,
    K_NULL,
    K_LIST,
    K_MAP
};

#define PQ_MAX_NESTING 32
#define PQ_MAX_FOOTER ((uint32_t)256 << 20)
#define PQ_MAX_PAGE ((size_t)512 << 20)
/* Memory the pages being decoded (one per column) and the dictionaries of the current
 * row group may take together; beyond it the file is refused rather than letting a
 * hostile header size an allocation. */
#define PQ_MAX_GROUP_BYTES ((uint64_t)1 << 30)

static const char *const codec_names[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO",
                                          "BROTLI",       "LZ4",    "ZSTD", "LZ4_RAW"};

struct pq_node {
    char *name;
    char *path; /* dotted, for messages */
    int type, type_length, repetition;
    enum pq_kind kind;
    int64_t unit; /* time units per second */
    int utc, scale;
    int nchild;
    struct pq_node **child;
    int max_def, max_rep;
    int leaf; /* column index; -1 for groups */
    int first_leaf, n_leaves;
};

struct pq_val {
    union {
        int64_t i;
        double d;
        struct {
            const uint8_t *p;
            uint32_t n;
        } s;
    } u;
};

struct pq_chunk_meta {
    int type, codec;
    int64_t num_values, data_off, dict_off, size;
};

struct pq_rg {
    int64_t num_rows;
    struct pq_chunk_meta *col;
};

/* One column chunk of the current row group, read one page at a time. */
struct pq_col {
    /* the chunk */
    uint64_t pos, end; /* file bytes of its pages still to read */
    int64_t left;      /* level entries in pages not read yet */
    int codec;
    struct pq_val *dict;
    size_t ndict;
    void **dbufs; /* owned buffers the dictionary points into */
    int ndbufs;
    uint64_t dict_bytes;
    /* the current data page, decoded */
    uint16_t *def, *rep; /* NULL when the column has no such levels (all 0) */
    size_t n;            /* level entries */
    struct pq_val *val;
    size_t nv, capv;
    size_t at, atv; /* assembly cursors */
    void **bufs;    /* owned buffers the values point into */
    int nbufs, capbufs;
    uint64_t page_bytes; /* charged for this page */
};

struct pq_kv {
    char *key, *value;
};

struct pq_file {
    const char *name;
    int fd; /* -1 for a file in memory */
    const uint8_t *mem;
    uint64_t size, data_end; /* data_end: where the footer starts */
    int nnodes;
    struct pq_node *nodes; /* nodes[0] is the root */
    struct pq_node **leaves;
    int nleaves;
    int nrg;
    struct pq_rg *rg;
    int64_t num_rows;
    struct pq_kv *kv;
    int nkv;
    /* reading */
    int cur_rg; /* loaded row group, -1 before the first */
    int64_t rg_row, row;
    struct pq_col *cols;
    uint64_t rg_bytes;
    uint32_t *scratch;
    size_t scratch_cap;
    struct strbuf tmp;
    int failed;
};

/* ---- errors ---- */

static int fail(struct pq_file *f, int col, struct ps_err *err, const char *fmt, ...)
    PS_PRINTF(4, 5);

static int
fail(struct pq_file *f, int col, struct ps_err *err, const char *fmt, ...)
{
    char msg[PS_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (f->cur_rg >= 0 && col >= 0)
        ps_error(err, PS_ERR_PARSE, "%s: row group %d of %d, column '%s': %s", f->name,
                 f->cur_rg + 1, f->nrg, f->leaves[col]->path, msg);
    else if (f->cur_rg >= 0)
        ps_error(err, PS_ERR_PARSE, "%s: row group %d of %d: %s", f->name, f->cur_rg + 1, f->nrg,
                 msg);
    else
        ps_error(err, PS_ERR_PARSE, "%s: %s", f->name, msg);
    /* names come from the file: keep the message on one line, free of control bytes */
    for (char *p = err ? err->msg : NULL; p && *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    f->failed = 1;
    return PS_ERR_PARSE;
}

/* ---- input ---- */

static int
read_at(struct pq_file *f, uint64_t off, void *buf, size_t n)
{
    if (off > f->size || n > f->size - off)
        return -1;
    if (f->mem) {
        memcpy(buf, f->mem + off, n);
        return 0;
    }
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(f->fd, (char *)buf + done, n - done, (off_t)(off + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        done += (size_t)r;
    }
    return 0;
}

static uint32_t
le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t
le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* ---- footer ---- */

struct selem {
    int type, type_length, repetition, nchild, converted;
    const uint8_t *name;
    uint32_t name_len;
    int scale;
    int lt; /* LogicalType union member id, -1 none */
    int lt_unit, lt_utc, lt_signed;
};

static int
parse_time_unit(struct tc *t, int *unit)
{
    int16_t last = 0, id;
    int ty, r;
    *unit = 0;
    while ((r = tc_field(t, &last, &ty, &id)) == 1) {
        if (ty == TC_STRUCT && id >= 1 && id <= 3)
            *unit = id;
        if (tc_skip(t, ty))
            return -1;
    }
    return r;
}

static int
parse_logical(struct tc *t, struct selem *e)
{
    int16_t last = 0, id;
    int ty, r;
    while ((r = tc_field(t, &last, &ty, &id)) == 1) {
        if (ty != TC_STRUCT) {
            if (tc_skip(t, ty))
                return -1;
            continue;
        }
        e->lt = id;
        int16_t l2 = 0, id2;
        int ty2, r2;
        while ((r2 = tc_field(t, &l2, &ty2, &id2)) == 1) {
            int32_t v;
            if ((id == 7 || id == 8) && id2 == 1 && (ty2 == TC_TRUE || ty2 == TC_FALSE))
                e->lt_utc = ty2 == TC_TRUE;
            else if ((id == 7 || id == 8) && id2 == 2 && ty2 == TC_STRUCT) {
                if (parse_time_unit(t, &e->lt_unit))
                    return -1;
            } else if (id == 5 && id2 == 1 && ty2 == TC_I32) {
                if (tc_i32(t, &v))
                    return -1;
                e->scale = v;
            } else if (id == 10 && id2 == 2 && (ty2 == TC_TRUE || ty2 == TC_FALSE))
                e->lt_signed = ty2 == TC_TRUE;
            else if (tc_skip(t, ty2))
                return -1;
        }
        if (r2 < 0)
            return -1;
    }
    return r;
}

static int
parse_selem(struct tc *t, struct selem *e)
{
    memset(e, 0, sizeof *e);
    e->type = PT_GROUP;
    e->repetition = -1;
    e->converted = -1;
    e->lt = -1;
    e->lt_signed = 1;
    int16_t last = 0, id;
    int ty, r;
    while ((r = tc_field(t, &last, &ty, &id)) == 1) {
        int32_t v = 0;
        if (ty == TC_I32 && id != 10) {
            if (tc_i32(t, &v))
                return -1;
            switch (id) {
            case 1: e->type = v; break;
            case 2: e->type_length = v; break;
            case 3: e->repetition = v; break;
            case 5: e->nchild = v; break;
            case 6: e->converted = v; break;
            case 7: e->scale = v; break;
            default: break;
            }
        } else if (id == 4 && ty == TC_BINARY) {
            if (tc_binary(t, &e->name, &e->name_len))
                return -1;
        } else if (id == 10 && ty == TC_STRUCT) {
            if (parse_logical(t, e))
                return -1;
        } else if (tc_skip(t, ty)) {
            return -1;
        }
    }
    return r;
}

static enum pq_kind
node_kind(const struct selem *e, struct pq_node *n)
{
    n->unit = 1000;
    n->utc = 1;
    n->scale = e->scale;
    if (e->type == PT_INT96) {
        n->unit = 1000000000;
        n->utc = 0;
        return K_TIMESTAMP;
    }
    if (e->lt >= 0) {
        static const int64_t units[] = {1000, 1000, 1000000, 1000000000};
        n->unit = units[e->lt_unit >= 0 && e->lt_unit <= 3 ? e->lt_unit : 0];
        n->utc = e->lt_utc;
        switch (e->lt) {
        case 1:
        case 4:
        case 12: return K_STRING;
        case 2: return K_MAP;
        case 3: return K_LIST;
        case 5: return K_DECIMAL;
        case 6: return K_DATE;
        case 7: return K_TIME;
        case 8: return K_TIMESTAMP;
        case 10: return e->lt_signed ? K_PLAIN : K_UNSIGNED;
        case 11: return K_NULL;
        case 14: return K_UUID;
        case 15: return K_FLOAT16;
        default: break;
        }
    }
    switch (e->converted) {
    case CT_UTF8:
    case CT_ENUM:
    case CT_JSON: return K_STRING;
    case CT_MAP:
    case CT_MAP_KV: return e->converted == CT_MAP ? K_MAP : K_PLAIN;
    case CT_LIST: return K_LIST;
    case CT_DECIMAL: return K_DECIMAL;
    case CT_DATE: return K_DATE;
    case CT_TIME_MILLIS: return K_TIME;
    case CT_TIME_MICROS: n->unit = 1000000; return K_TIME;
    case CT_TS_MILLIS: return K_TIMESTAMP;
    case CT_TS_MICROS: n->unit = 1000000; return K_TIMESTAMP;
    default:
        if (e->converted >= CT_UINT_8 && e->converted <= CT_UINT_64)
            return K_UNSIGNED;
        return K_PLAIN;
    }
}

/* Build the schema tree from the flattened, depth-first element list. */
static int
build_node(struct pq_file *f, const struct selem *el, int nel, int *next, struct pq_node *parent,
           int depth, struct ps_err *err)
{
    if (*next >= nel)
        return fail(f, -1, err, "footer: schema: a group declares more children than listed");
    if (depth > PQ_MAX_NESTING)
        return fail(f, -1, err, "footer: schema nested deeper than %d levels", PQ_MAX_NESTING);
    int i = (*next)++;
    const struct selem *e = &el[i];
    struct pq_node *n = &f->nodes[i];
    n->name = xstrndup(e->name ? (const char *)e->name : "", e->name_len);
    n->type = e->nchild > 0 ? PT_GROUP : e->type;
    n->type_length = e->type_length;
    n->repetition = parent ? e->repetition : REP_REQUIRED;
    n->leaf = -1;
    n->kind = node_kind(e, n);
    if (parent) {
        if (n->repetition < REP_REQUIRED || n->repetition > REP_REPEATED)
            return fail(f, -1, err, "footer: schema field '%s' has no valid repetition", n->name);
        n->max_def = parent->max_def + (n->repetition != REP_REQUIRED);
        n->max_rep = parent->max_rep + (n->repetition == REP_REPEATED);
        struct strbuf sb = STRBUF_INIT;
        if (parent->path)
            sb_printf(&sb, "%s.", parent->path);
        sb_puts(&sb, n->name);
        n->path = sb_take(&sb);
    }
    if (e->nchild < 0 || e->nchild > nel - *next)
        return fail(f, -1, err, "footer: schema field '%s' declares %d children (%d left)", n->name,
                    e->nchild, nel - *next);
    if (e->nchild == 0 && parent == NULL)
        n->type = PT_GROUP;
    if (n->type == PT_GROUP) {
        n->nchild = e->nchild;
        n->child = xcalloc((size_t)(n->nchild ? n->nchild : 1), sizeof *n->child);
        n->first_leaf = f->nleaves;
        for (int k = 0; k < n->nchild; k++) {
            n->child[k] = &f->nodes[*next];
            if (build_node(f, el, nel, next, n, depth + 1, err) != PS_OK)
                return PS_ERR_PARSE;
        }
        n->n_leaves = f->nleaves - n->first_leaf;
        return PS_OK;
    }
    if (n->type < PT_BOOLEAN || n->type > PT_FLBA)
        return fail(f, -1, err, "footer: column '%s' has unknown physical type %d", n->path,
                    n->type);
    if (n->type == PT_FLBA && (n->type_length <= 0 || n->type_length > (1 << 20)))
        return fail(f, -1, err, "footer: column '%s': fixed length %d out of range", n->path,
                    n->type_length);
    if (n->max_def > 0xffff || n->max_rep > 0xffff)
        return fail(f, -1, err, "footer: column '%s' nested too deep", n->path);
    n->leaf = f->nleaves;
    n->first_leaf = f->nleaves;
    n->n_leaves = 1;
    f->leaves = xrealloc(f->leaves, (size_t)(f->nleaves + 1) * sizeof *f->leaves);
    f->leaves[f->nleaves++] = n;
    return PS_OK;
}

static int
parse_schema(struct pq_file *f, struct tc *t, struct ps_err *err)
{
    int et;
    uint32_t n;
    if (tc_list(t, &et, &n) || et != TC_STRUCT)
        return fail(f, -1, err, "footer: malformed schema list (%s)",
                    t->why ? t->why : "not structs");
    if (n == 0)
        return fail(f, -1, err, "footer: empty schema");
    struct selem *el = xcalloc(n, sizeof *el);
    for (uint32_t i = 0; i < n; i++)
        if (parse_selem(t, &el[i]) < 0) {
            free(el);
            return fail(f, -1, err, "footer: malformed schema element %u (%s)", i,
                        t->why ? t->why : "?");
        }
    f->nnodes = (int)n;
    f->nodes = xcalloc(n, sizeof *f->nodes);
    int next = 0;
    int rc = build_node(f, el, (int)n, &next, NULL, 0, err);
    if (rc == PS_OK && next != (int)n)
        rc = fail(f, -1, err, "footer: schema lists %u elements but the tree holds %d", n, next);
    free(el);
    return rc;
}

static int
parse_colmeta(struct tc *t, struct pq_chunk_meta *m)
{
    int16_t last = 0, id;
    int ty, r;
    while ((r = tc_field(t, &last, &ty, &id)) == 1) {
        int32_t v;
        int64_t w;
        if (ty == TC_I32 && (id == 1 || id == 4)) {
            if (tc_i32(t, &v))
                return -1;
            if (id == 1)
                m->type = v;
            else
                m->codec = v;
        } else if (ty == TC_I64 && (id == 5 || id == 7 || id == 9 || id == 11)) {
            if (tc_i64(t, &w))
                return -1;
            if (id == 5)
                m->num_values = w;
            else if (id == 7)
                m->size = w;
            else if (id == 9)
                m->data_off = w;
            else
                m->dict_off = w;
        } else if (tc_skip(t, ty)) {
            return -1;
        }
    }
    return r;
}

static int
parse_rowgroup(struct pq_file *f, struct tc *t, struct pq_rg *g, int gi, struct ps_err *err)
{
    int16_t last = 0, id;
    int ty, r, have_cols = 0;
    while ((r = tc_field(t, &last, &ty, &id)) == 1) {
        if (id == 1 && ty == TC_LIST) {
            int et;
            uint32_t n;
            if (tc_list(t, &et, &n))
                return -1;
            if (et != TC_STRUCT || n != (uint32_t)f->nleaves)
                return fail(f, -1, err,
                            "footer: row group %d has %u column chunks, the schema %d columns",
                            gi + 1, n, f->nleaves);
            have_cols = 1;
            for (uint32_t c = 0; c < n; c++) {
                struct pq_chunk_meta *m = &g->col[c];
                int16_t l2 = 0, id2;
                int ty2, r2, have_meta = 0;
                while ((r2 = tc_field(t, &l2, &ty2, &id2)) == 1) {
                    if (id2 == 1 && ty2 == TC_BINARY)
                        return fail(f, -1, err,
                                    "footer: column '%s' is stored in another file (not supported)",
                                    f->leaves[c]->path);
                    if (id2 == 3 && ty2 == TC_STRUCT) {
                        if (parse_colmeta(t, m))
                            return -1;
                        have_meta = 1;
                    } else if (tc_skip(t, ty2)) {
                        return -1;
                    }
                }
                if (r2 < 0)
                    return -1;
                if (!have_meta)
                    return fail(f, -1, err, "footer: row group %d, column '%s': no metadata",
                                gi + 1, f->leaves[c]->path);
            }
        } else if (id == 3 && ty == TC_I64) {
            if (tc_i64(t, &g->num_rows))
                return -1;
        } else if (tc_skip(t, ty)) {
            return -1;
        }
    }
    if (r < 0)
        return -1;
    if (!have_cols && f->nleaves > 0)
        return fail(f, -1, err, "footer: row group %d lists no column chunks", gi + 1);
    if (g->num_rows < 0)
        return fail(f, -1, err, "footer: row group %d has %lld rows", gi + 1,
                    (long long)g->num_rows);
    return 0;
}

static int
parse_kv(struct pq_file *f, struct tc *t)
{
    int et;
    uint32_t n;
    if (tc_list(t, &et, &n))
        return -1;
    if (et != TC_STRUCT)
        return -1;
    f->kv = xcalloc(n ? n : 1, sizeof *f->kv);
    f->nkv = (int)n; /* zeroed entries free as NULL if parsing stops midway */
    for (uint32_t i = 0; i < n; i++) {
        int16_t last = 0, id;
        int ty, r;
        const uint8_t *s;
        uint32_t len;
        while ((r = tc_field(t, &last, &ty, &id)) == 1) {
            if ((id == 1 || id == 2) && ty == TC_BINARY) {
                if (tc_binary(t, &s, &len))
                    return -1;
                char **dst = id == 1 ? &f->kv[i].key : &f->kv[i].value;
                free(*dst);
                *dst = xstrndup((const char *)s, len);
            } else if (tc_skip(t, ty)) {
                return -1;
            }
        }
        if (r < 0)
            return -1;
    }
    return 0;
}

static int
parse_footer(struct pq_file *f, const uint8_t *buf, uint32_t n, struct ps_err *err)
{
    struct tc t;
    tc_init(&t, buf, n);
    int16_t last = 0, id;
    int ty, r, have_schema = 0;
    while ((r = tc_field(&t, &last, &ty, &id)) == 1) {
        if (id == 2 && ty == TC_LIST) {
            if (have_schema)
                return fail(f, -1, err, "footer: two schemas");
            if (parse_schema(f, &t, err) != PS_OK)
                return PS_ERR_PARSE;
            have_schema = 1;
        } else if (id == 3 && ty == TC_I64) {
            if (tc_i64(&t, &f->num_rows))
                break;
        } else if (id == 4 && ty == TC_LIST) {
            int et;
            uint32_t ng;
            if (!have_schema)
                return fail(f, -1, err, "footer: row groups listed before the schema");
            if (tc_list(&t, &et, &ng))
                break;
            if (et != TC_STRUCT)
                return fail(f, -1, err, "footer: malformed row group list");
            f->rg = xcalloc(ng ? ng : 1, sizeof *f->rg);
            for (uint32_t g = 0; g < ng; g++) {
                f->rg[g].col = xcalloc((size_t)(f->nleaves ? f->nleaves : 1), sizeof *f->rg[g].col);
                f->nrg = (int)g + 1;
                if (parse_rowgroup(f, &t, &f->rg[g], (int)g, err) != 0) {
                    if (f->failed)
                        return PS_ERR_PARSE;
                    r = -1;
                    break;
                }
            }
            if (r < 0)
                break;
        } else if (id == 5 && ty == TC_LIST && !f->kv) {
            if (parse_kv(f, &t))
                break;
        } else if (tc_skip(&t, ty)) {
            break;
        }
    }
    if (r != 0 || t.why)
        return fail(f, -1, err, "footer: malformed metadata (%s)", t.why ? t.why : "?");
    if (!have_schema)
        return fail(f, -1, err, "footer: no schema");
    for (int g = 0; g < f->nrg; g++) {
        for (int c = 0; c < f->nleaves; c++) {
            struct pq_chunk_meta *m = &f->rg[g].col[c];
            if (m->type != f->leaves[c]->type)
                return fail(f, -1, err,
                            "footer: row group %d, column '%s': chunk type %d, schema type %d",
                            g + 1, f->leaves[c]->path, m->type, f->leaves[c]->type);
            if (m->codec < 0 || m->codec > CODEC_LZ4_RAW || m->codec == CODEC_LZO)
                return fail(f, -1, err,
                            "footer: row group %d, column '%s': unsupported compression codec %d"
                            " (expected UNCOMPRESSED, SNAPPY, GZIP, BROTLI, LZ4, ZSTD or LZ4_RAW)",
                            g + 1, f->leaves[c]->path, m->codec);
        }
    }
    return PS_OK;
}

static int
open_common(struct pq_file *f, struct ps_err *err)
{
    f->cur_rg = -1;
    f->row = -1;
    uint8_t tail[8], head[4];
    if (f->size < 12 || read_at(f, 0, head, 4) || memcmp(head, "PAR1", 4))
        return fail(f, -1, err, "not a Parquet file (expected the magic PAR1 at the start)");
    if (read_at(f, f->size - 8, tail, 8) || memcmp(tail + 4, "PAR1", 4))
        return fail(
            f, -1, err,
            "truncated Parquet file (expected the magic PAR1 at the end, after the footer)");
    uint32_t flen = le32(tail);
    if (flen > f->size - 12)
        return fail(f, -1, err, "footer length %u is past the start of the file (%llu bytes)", flen,
                    (unsigned long long)f->size);
    if (flen > PQ_MAX_FOOTER)
        return fail(f, -1, err, "footer of %u bytes exceeds the %u MiB limit", flen,
                    PQ_MAX_FOOTER >> 20);
    f->data_end = f->size - 8 - flen;
    uint8_t *buf = xmalloc(flen ? flen : 1);
    int rc;
    if (read_at(f, f->data_end, buf, flen))
        rc = fail(f, -1, err, "cannot read the footer: %s", strerror(errno));
    else
        rc = parse_footer(f, buf, flen, err);
    free(buf);
    return rc;
}

int
pq_open(const char *path, struct pq_file **out, struct ps_err *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return ps_error(err, PS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        return ps_error(err, PS_ERR_IO,
                        "%s: Parquet is read from its end, so it needs a regular file"
                        " (not a pipe); save it to a file first",
                        path);
    }
    struct pq_file *f = xcalloc(1, sizeof *f);
    f->name = path;
    f->fd = fd;
    f->size = (uint64_t)st.st_size;
    if (open_common(f, err) != PS_OK) {
        pq_close(f);
        return PS_ERR_PARSE;
    }
    *out = f;
    return PS_OK;
}

int
pq_open_mem(const void *data, size_t n, const char *name, struct pq_file **out, struct ps_err *err)
{
    struct pq_file *f = xcalloc(1, sizeof *f);
    f->name = name;
    f->fd = -1;
    f->mem = data;
    f->size = n;
    *out = NULL;
    if (open_common(f, err) != PS_OK) {
        pq_close(f);
        return PS_ERR_PARSE;
    }
    *out = f;
    return PS_OK;
}

static void
free_cols(struct pq_file *f)
{
    if (!f->cols)
        return;
    for (int c = 0; c < f->nleaves; c++) {
        struct pq_col *col = &f->cols[c];
        free(col->def);
        free(col->rep);
        free(col->val);
        free(col->dict);
        for (int b = 0; b < col->nbufs; b++)
            free(col->bufs[b]);
        free(col->bufs);
        for (int b = 0; b < col->ndbufs; b++)
            free(col->dbufs[b]);
        free(col->dbufs);
    }
    free(f->cols);
    f->cols = NULL;
}

void
pq_close(struct pq_file *f)
{
    if (!f)
        return;
    free_cols(f);
    if (f->fd >= 0 && !f->mem)
        close(f->fd);
    for (int i = 0; i < f->nnodes; i++) {
        free(f->nodes[i].name);
        free(f->nodes[i].path);
        free(f->nodes[i].child);
    }
    free(f->nodes);
    free(f->leaves);
    for (int g = 0; g < f->nrg; g++)
        free(f->rg[g].col);
    free(f->rg);
    for (int i = 0; i < f->nkv; i++) {
        free(f->kv[i].key);
        free(f->kv[i].value);
    }
    free(f->kv);
    free(f->scratch);
    sb_free(&f->tmp);
    free(f);
}

int64_t
pq_num_rows(const struct pq_file *f)
{
    return f->num_rows;
}

int64_t
pq_row_index(const struct pq_file *f)
{
    return f->row;
}

const char *
pq_meta(const struct pq_file *f, const char *key)
{
    for (int i = 0; i < f->nkv; i++)
        if (f->kv[i].key && !strcmp(f->kv[i].key, key))
            return f->kv[i].value;
    return NULL;
}

int
pq_is_parquet(const char *path)
{
    /* a pipe cannot be peeked without losing its bytes: go by the name */
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        size_t n = strlen(path);
        return n >= 8 && !strcmp(path + n - 8, ".parquet");
    }
    FILE *fp = fopen(path, "rb");
    char magic[4] = {0};
    int yes = 0;
    if (fp) {
        yes = fread(magic, 1, 4, fp) == 4 && !memcmp(magic, "PAR1", 4);
        fclose(fp);
    }
    return yes;
}

/* ---- decoding ---- */

static int
charge(struct pq_file *f, int c, uint64_t n, struct ps_err *err)
{
    if (n > PQ_MAX_GROUP_BYTES - f->rg_bytes)
        return fail(f, c, err,
                    "decoding needs more than %llu MiB for one row group (a hostile or"
                    " unusually large file; expected smaller row groups)",
                    (unsigned long long)(PQ_MAX_GROUP_BYTES >> 20));
    f->rg_bytes += n;
    if (c >= 0 && f->cols)
        f->cols[c].page_bytes += n;
    return PS_OK;
}

static void *
keep(struct pq_col *col, void *buf)
{
    col->bufs = xgrow(col->bufs, sizeof *col->bufs, col->nbufs, &col->capbufs, 8);
    col->bufs[col->nbufs++] = buf;
    return buf;
}

static uint32_t *
scratch(struct pq_file *f, size_t n)
{
    if (n > f->scratch_cap) {
        free(f->scratch);
        f->scratch_cap = n;
        f->scratch = xmalloc(n * sizeof *f->scratch);
    }
    return f->scratch;
}

static int
uvarint(const uint8_t *p, size_t n, size_t *pos, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*pos >= n)
            return -1;
        uint8_t b = p[(*pos)++];
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

/* bw bits at bit offset `bit`, least significant bit first (Parquet's bit packing);
 * bytes past nbytes read as 0. */
static uint64_t
bits_at(const uint8_t *p, size_t nbytes, uint64_t bit, int bw)
{
    uint64_t v = 0;
    int got = 0, sh = (int)(bit & 7);
    size_t byte = (size_t)(bit >> 3);
    while (got < bw) {
        uint8_t b = byte < nbytes ? p[byte] : 0;
        v |= (uint64_t)(b >> sh) << got;
        got += 8 - sh;
        sh = 0;
        byte++;
    }
    return bw >= 64 ? v : v & (((uint64_t)1 << bw) - 1);
}

/* The RLE / bit-packed hybrid: `count` values of width bw (0..32) into out. */
static int
hybrid(const uint8_t *p, size_t n, int bw, uint32_t *out, size_t count, const char **why)
{
    size_t pos = 0, o = 0, vb = (size_t)(bw + 7) / 8;
    while (o < count) {
        uint64_t h;
        if (uvarint(p, n, &pos, &h)) {
            *why = "ends before all its values (truncated RLE/bit-packed data)";
            return -1;
        }
        if (h & 1) {
            uint64_t groups = h >> 1;
            if (groups > n) {
                *why = "bit-packed run longer than its data";
                return -1;
            }
            size_t bytes = (size_t)groups * (size_t)bw, avail = n - pos;
            if (bytes > avail)
                bytes = avail; /* some writers cut the last run short */
            uint64_t vals = bw ? (uint64_t)bytes * 8 / (uint64_t)bw : groups * 8;
            for (uint64_t i = 0; i < vals && o < count; i++)
                out[o++] = (uint32_t)bits_at(p + pos, bytes, i * (uint64_t)bw, bw);
            pos += bytes;
        } else {
            uint64_t run = h >> 1;
            if (vb > n - pos) {
                *why = "RLE run past the end of its data";
                return -1;
            }
            uint32_t v = 0;
            for (size_t i = 0; i < vb; i++)
                v |= (uint32_t)p[pos + i] << (8 * i);
            pos += vb;
            if (bw < 32 && (v >> bw)) {
                *why = "RLE value wider than its bit width";
                return -1;
            }
            for (uint64_t i = 0; i < run && o < count; i++)
                out[o++] = v;
        }
    }
    return 0;
}

/* DELTA_BINARY_PACKED: exactly `need` values into out; *used = bytes consumed. */
static int
delta_bp(const uint8_t *p, size_t n, size_t need, int64_t *out, size_t *used, const char **why)
{
    size_t pos = 0;
    uint64_t block, nmini, total, first;
    if (uvarint(p, n, &pos, &block) || uvarint(p, n, &pos, &nmini) || uvarint(p, n, &pos, &total) ||
        uvarint(p, n, &pos, &first)) {
        *why = "truncated DELTA_BINARY_PACKED header";
        return -1;
    }
    if (block == 0 || block % 128 || nmini == 0 || block % nmini || (block / nmini) % 32 ||
        block > (1u << 20)) {
        *why = "DELTA_BINARY_PACKED block sizes out of range";
        return -1;
    }
    if (total != need) {
        *why = "DELTA_BINARY_PACKED value count differs from the page's";
        return -1;
    }
    size_t per = (size_t)(block / nmini), o = 0;
    uint64_t prev = (first >> 1) ^ (0 - (first & 1));
    if (need > 0)
        out[o++] = (int64_t)prev;
    while (o < need) {
        uint64_t zmin;
        if (uvarint(p, n, &pos, &zmin) || nmini > n - pos) {
            *why = "truncated DELTA_BINARY_PACKED block";
            return -1;
        }
        uint64_t min = (zmin >> 1) ^ (0 - (zmin & 1));
        const uint8_t *widths = p + pos;
        pos += (size_t)nmini;
        for (size_t m = 0; m < nmini && o < need; m++) {
            int bw = widths[m];
            if (bw > 64) {
                *why = "DELTA_BINARY_PACKED bit width over 64";
                return -1;
            }
            size_t bytes = per * (size_t)bw / 8;
            if (bytes > n - pos) {
                *why = "truncated DELTA_BINARY_PACKED miniblock";
                return -1;
            }
            for (size_t i = 0; i < per && o < need; i++) {
                prev += min + bits_at(p + pos, bytes, (uint64_t)i * (uint64_t)bw, bw);
                out[o++] = (int64_t)prev;
            }
            pos += bytes;
        }
    }
    *used = pos;
    return 0;
}

static size_t
plain_width(const struct pq_node *leaf)
{
    switch (leaf->type) {
    case PT_INT32:
    case PT_FLOAT: return 4;
    case PT_INT64:
    case PT_DOUBLE: return 8;
    case PT_INT96: return 12;
    case PT_FLBA: return (size_t)leaf->type_length;
    default: return 0;
    }
}

/* PLAIN values: k of them from p[0..n) into out; *used = bytes consumed. */
static int
plain(const struct pq_node *leaf, const uint8_t *p, size_t n, size_t k, struct pq_val *out,
      size_t *used, const char **why)
{
    size_t pos = 0;
    if (leaf->type == PT_BOOLEAN) {
        if ((k + 7) / 8 > n) {
            *why = "PLAIN booleans past the end of the page";
            return -1;
        }
        for (size_t i = 0; i < k; i++)
            out[i].u.i = (p[i >> 3] >> (i & 7)) & 1;
        *used = (k + 7) / 8;
        return 0;
    }
    if (leaf->type == PT_BYTE_ARRAY) {
        for (size_t i = 0; i < k; i++) {
            if (n - pos < 4) {
                *why = "PLAIN byte array length past the end of the page";
                return -1;
            }
            uint32_t len = le32(p + pos);
            pos += 4;
            if (len > n - pos) {
                *why = "PLAIN byte array longer than the rest of the page";
                return -1;
            }
            out[i].u.s.p = p + pos;
            out[i].u.s.n = len;
            pos += len;
        }
        *used = pos;
        return 0;
    }
    size_t w = plain_width(leaf);
    if (k > n / w) {
        *why = "PLAIN values past the end of the page";
        return -1;
    }
    for (size_t i = 0; i < k; i++, pos += w) {
        const uint8_t *q = p + pos;
        switch (leaf->type) {
        case PT_INT32: out[i].u.i = (int32_t)le32(q); break;
        case PT_INT64: out[i].u.i = (int64_t)le64(q); break;
        case PT_FLOAT: {
            uint32_t b = le32(q);
            float v;
            memcpy(&v, &b, 4);
            out[i].u.d = v;
            break;
        }
        case PT_DOUBLE: {
            uint64_t b = le64(q);
            memcpy(&out[i].u.d, &b, 8);
            break;
        }
        default:
            out[i].u.s.p = q;
            out[i].u.s.n = (uint32_t)w;
            break;
        }
    }
    *used = pos;
    return 0;
}

static const char *
enc_name(int enc)
{
    static const char *const names[] = {
        "PLAIN",          "GROUP_VAR_INT",       "PLAIN_DICTIONARY",        "RLE",
        "BIT_PACKED",     "DELTA_BINARY_PACKED", "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY",
        "RLE_DICTIONARY", "BYTE_STREAM_SPLIT"};
    return enc >= 0 && enc <= 9 ? names[enc] : "unknown";
}

/* Decode k non-null values of a data page into col->val[col->nv..]. */
static int
decode_values(struct pq_file *f, int c, int enc, const uint8_t *p, size_t n, size_t k,
              struct ps_err *err)
{
    struct pq_col *col = &f->cols[c];
    const struct pq_node *leaf = f->leaves[c];
    struct pq_val *out = col->val + col->nv;
    const char *why = NULL;
    size_t used = 0;
    if (k > col->capv - col->nv)
        return fail(f, c, err, "page holds more values than the column chunk declares");
    switch (enc) {
    case ENC_PLAIN:
        if (plain(leaf, p, n, k, out, &used, &why))
            return fail(f, c, err, "%s", why);
        break;
    case ENC_PLAIN_DICT:
    case ENC_RLE_DICT: {
        if (!col->dict)
            return fail(f, c, err, "dictionary-encoded page but no dictionary page before it");
        if (k > 0 && (n < 1 || p[0] > 32))
            return fail(f, c, err, "dictionary index bit width missing or over 32");
        uint32_t *idx = scratch(f, k);
        if (k > 0 && hybrid(p + 1, n - 1, p[0], idx, k, &why))
            return fail(f, c, err, "dictionary indices: %s", why);
        for (size_t i = 0; i < k; i++) {
            if (idx[i] >= col->ndict)
                return fail(f, c, err, "dictionary index %u out of range (dictionary of %zu)",
                            idx[i], col->ndict);
            out[i] = col->dict[idx[i]];
        }
        break;
    }
    case ENC_RLE: {
        if (leaf->type != PT_BOOLEAN)
            return fail(f, c, err, "RLE values for a non-boolean column");
        if (n < 4 || le32(p) > n - 4)
            return fail(f, c, err, "RLE boolean values: length prefix past the end");
        uint32_t *v = scratch(f, k);
        if (hybrid(p + 4, le32(p), 1, v, k, &why))
            return fail(f, c, err, "RLE boolean values: %s", why);
        for (size_t i = 0; i < k; i++)
            out[i].u.i = v[i];
        break;
    }
    case ENC_DELTA_BP: {
        if (leaf->type != PT_INT32 && leaf->type != PT_INT64)
            return fail(f, c, err, "DELTA_BINARY_PACKED for a non-integer column");
        int64_t *v = xmalloc((k ? k : 1) * sizeof *v);
        int bad = delta_bp(p, n, k, v, &used, &why);
        for (size_t i = 0; !bad && i < k; i++)
            out[i].u.i = leaf->type == PT_INT32 ? (int32_t)(uint32_t)v[i] : v[i];
        free(v);
        if (bad)
            return fail(f, c, err, "%s", why);
        break;
    }
    case ENC_DELTA_LBA:
    case ENC_DELTA_BA: {
        if (leaf->type != PT_BYTE_ARRAY && !(enc == ENC_DELTA_BA && leaf->type == PT_FLBA))
            return fail(f, c, err, "%s for a column of another type", enc_name(enc));
        int64_t *pre = NULL, *len = xmalloc((k ? k : 1) * sizeof *len);
        size_t u1 = 0, u2 = 0;
        int bad = 0;
        if (enc == ENC_DELTA_BA) {
            pre = xmalloc((k ? k : 1) * sizeof *pre);
            bad = delta_bp(p, n, k, pre, &u1, &why);
        }
        if (!bad)
            bad = delta_bp(p + u1, n - u1, k, len, &u2, &why);
        const uint8_t *data = p + u1 + u2;
        size_t avail = n - u1 - u2, pos = 0;
        uint64_t total = 0;
        for (size_t i = 0; !bad && i < k; i++) {
            uint64_t prev_len = i ? (uint64_t)out[i - 1].u.s.n : 0;
            if (len[i] < 0 || (uint64_t)len[i] > avail - pos || (pre && pre[i] < 0) ||
                (pre && (uint64_t)pre[i] > prev_len)) {
                why = "string lengths or prefixes out of range";
                bad = 1;
                break;
            }
            if (!pre) {
                out[i].u.s.p = data + pos;
                out[i].u.s.n = (uint32_t)len[i];
            } else {
                total += (uint64_t)pre[i] + (uint64_t)len[i];
                if (total > 0xffffffffu) {
                    why = "DELTA_BYTE_ARRAY strings too long";
                    bad = 1;
                    break;
                }
                out[i].u.s.n = (uint32_t)(pre[i] + len[i]);
            }
            pos += (size_t)len[i];
        }
        if (!bad && pre) {
            if (charge(f, c, total, err) != PS_OK) {
                free(pre);
                free(len);
                return PS_ERR_PARSE;
            }
            uint8_t *buf = keep(col, xmalloc(total ? total : 1)), *w = buf;
            pos = 0;
            for (size_t i = 0; i < k; i++) {
                if (pre[i])
                    memcpy(w, out[i - 1].u.s.p, (size_t)pre[i]);
                memcpy(w + pre[i], data + pos, (size_t)len[i]);
                pos += (size_t)len[i];
                out[i].u.s.p = w;
                w += out[i].u.s.n;
            }
            if (leaf->type == PT_FLBA)
                for (size_t i = 0; i < k; i++)
                    if (out[i].u.s.n != (uint32_t)leaf->type_length) {
                        why = "DELTA_BYTE_ARRAY value of the wrong fixed length";
                        bad = 1;
                        break;
                    }
        }
        free(pre);
        free(len);
        if (bad)
            return fail(f, c, err, "%s: %s", enc_name(enc), why);
        break;
    }
    case ENC_BSS: {
        size_t w = plain_width(leaf);
        if (!w || leaf->type == PT_INT96)
            return fail(f, c, err, "BYTE_STREAM_SPLIT for a column of another type");
        if (k > n / w)
            return fail(f, c, err, "BYTE_STREAM_SPLIT values past the end of the page");
        uint8_t *buf = NULL;
        if (leaf->type == PT_FLBA) {
            if (charge(f, c, (uint64_t)k * w, err) != PS_OK)
                return PS_ERR_PARSE;
            buf = keep(col, xmalloc(k * w + 1));
        }
        uint8_t tmp[8];
        for (size_t i = 0; i < k; i++) {
            uint8_t *dst = buf ? buf + i * w : tmp;
            for (size_t b = 0; b < w; b++)
                dst[b] = p[b * k + i];
            size_t u;
            plain(leaf, dst, w, 1, &out[i], &u, &why);
        }
        break;
    }
    default: return fail(f, c, err, "unsupported value encoding %s (%d)", enc_name(enc), enc);
    }
    col->nv += k;
    return PS_OK;
}

/* Decompress a page body into a buffer of exactly `want` bytes (owned by col). */
static int
decompress(struct pq_file *f, int c, int codec, const uint8_t *src, size_t n, size_t want,
           const uint8_t **out, struct ps_err *err)
{
    struct pq_col *col = &f->cols[c];
    if (codec == CODEC_NONE) {
        if (n != want)
            return fail(f, c, err, "uncompressed page of %zu bytes declares %zu", n, want);
        *out = src;
        return PS_OK;
    }
    if (want > PQ_MAX_PAGE)
        return fail(f, c, err, "page of %zu bytes exceeds the %zu MiB limit", want,
                    PQ_MAX_PAGE >> 20);
    if (charge(f, c, want, err) != PS_OK)
        return PS_ERR_PARSE;
    uint8_t *dst = keep(col, xmalloc(want ? want : 1));
    const char *why = NULL;
    size_t got = 0;
    switch (codec) {
    case CODEC_SNAPPY:
        if (snappy_decompress(src, n, dst, want, &got, &why))
            return fail(f, c, err, "SNAPPY page: %s", why);
        break;
    case CODEC_GZIP: {
        z_stream z;
        memset(&z, 0, sizeof z);
        if (inflateInit2(&z, 15 + 32) != Z_OK)
            return fail(f, c, err, "GZIP page: cannot start zlib");
        int zr = Z_OK;
        z.next_out = dst;
        z.avail_out = (uInt)want;
        z.next_in = (Bytef *)(uintptr_t)src;
        z.avail_in = (uInt)n;
        while ((zr = inflate(&z, Z_FINISH)) == Z_STREAM_END && z.avail_in > 0 && z.avail_out > 0)
            inflateReset(&z); /* concatenated gzip members */
        got = want - z.avail_out;
        if (zr == Z_STREAM_END && z.avail_in > 0)
            zr = Z_BUF_ERROR; /* output full, input left: more than the header says */
        inflateEnd(&z);
        if (zr != Z_STREAM_END)
            return fail(f, c, err, "GZIP page: %s",
                        zr == Z_BUF_ERROR && got == want
                            ? "decompresses to more bytes than the page header says"
                            : "corrupt or truncated data");
        break;
    }
    case CODEC_ZSTD: {
        size_t r = ZSTD_decompress(dst, want, src, n);
        if (ZSTD_isError(r))
            return fail(f, c, err, "ZSTD page: %s", ZSTD_getErrorName(r));
        got = r;
        break;
    }
    case CODEC_LZ4_RAW: {
        if (n > INT32_MAX || want > INT32_MAX)
            return fail(f, c, err, "LZ4_RAW page too large");
        int r = LZ4_decompress_safe((const char *)src, (char *)dst, (int)n, (int)want);
        if (r < 0)
            return fail(f, c, err, "LZ4_RAW page: corrupt data or longer than the header says");
        got = (size_t)r;
        break;
    }
    case CODEC_LZ4: {
        /* Hadoop framing: [u32 BE raw size][u32 BE compressed size][block]...; older
         * writers used plain LZ4 blocks, tried when the framing does not fit. */
        size_t pos = 0;
        int ok = 1;
        while (ok && pos < n) {
            if (n - pos < 8) {
                ok = 0;
                break;
            }
            uint32_t raw = (uint32_t)src[pos] << 24 | (uint32_t)src[pos + 1] << 16 |
                           (uint32_t)src[pos + 2] << 8 | src[pos + 3];
            uint32_t cz = (uint32_t)src[pos + 4] << 24 | (uint32_t)src[pos + 5] << 16 |
                          (uint32_t)src[pos + 6] << 8 | src[pos + 7];
            pos += 8;
            if (cz > n - pos || raw > want - got || cz > INT32_MAX) {
                ok = 0;
                break;
            }
            int r =
                LZ4_decompress_safe((const char *)src + pos, (char *)dst + got, (int)cz, (int)raw);
            if (r != (int)raw) {
                ok = 0;
                break;
            }
            got += raw;
            pos += cz;
        }
        if (!ok || got != want) {
            int r = n <= INT32_MAX && want <= INT32_MAX
                        ? LZ4_decompress_safe((const char *)src, (char *)dst, (int)n, (int)want)
                        : -1;
            if (r < 0)
                return fail(f, c, err, "LZ4 page: corrupt data or longer than the header says");
            got = (size_t)r;
        }
        break;
    }
    case CODEC_BROTLI: {
        size_t sz = want;
        if (BrotliDecoderDecompress(n, src, &sz, dst) != BROTLI_DECODER_RESULT_SUCCESS)
            return fail(f, c, err, "BROTLI page: corrupt data or longer than the header says");
        got = sz;
        break;
    }
    default: return fail(f, c, err, "unsupported compression codec %d", codec);
    }
    if (got != want)
        return fail(f, c, err, "%s page decompresses to %zu bytes, its header says %zu",
                    codec_names[codec], got, want);
    *out = dst;
    return PS_OK;
}

/* Levels (max > 0) of a page into arr[col->n..+k]; range-checked. */
static int
levels(struct pq_file *f, int c, const char *what, const uint8_t *p, size_t n, int max,
       uint16_t *arr, size_t k, struct ps_err *err)
{
    int bw = 0;
    while ((1 << bw) <= max)
        bw++;
    uint32_t *v = scratch(f, k);
    const char *why = NULL;
    if (hybrid(p, n, bw, v, k, &why))
        return fail(f, c, err, "%s levels: %s", what, why);
    for (size_t i = 0; i < k; i++) {
        if (v[i] > (uint32_t)max)
            return fail(f, c, err, "%s level %u out of range (at most %d expected)", what, v[i],
                        max);
        arr[i] = (uint16_t)v[i];
    }
    return PS_OK;
}

struct page_hdr {
    int type;
    int32_t usize, csize;
    int32_t num_values, encoding, def_enc, rep_enc; /* V1 and dictionary */
    int32_t num_nulls, num_rows, def_len, rep_len;  /* V2 */
    int compressed;                                 /* V2 */
};

static int
parse_page_hdr(struct tc *t, struct page_hdr *h)
{
    memset(h, 0, sizeof *h);
    h->type = -1;
    h->usize = h->csize = -1;
    h->compressed = 1;
    h->def_enc = h->rep_enc = ENC_RLE;
    int16_t last = 0, id;
    int ty, r;
    while ((r = tc_field(t, &last, &ty, &id)) == 1) {
        int32_t v;
        if (ty == TC_I32 && id <= 3) {
            if (tc_i32(t, &v))
                return -1;
            if (id == 1)
                h->type = v;
            else if (id == 2)
                h->usize = v;
            else
                h->csize = v;
        } else if (ty == TC_STRUCT && (id == 5 || id == 7 || id == 8)) {
            int16_t l2 = 0, id2;
            int ty2, r2;
            while ((r2 = tc_field(t, &l2, &ty2, &id2)) == 1) {
                if (ty2 == TC_I32) {
                    if (tc_i32(t, &v))
                        return -1;
                    if (id2 == 1)
                        h->num_values = v;
                    else if (id == 8) {
                        if (id2 == 2)
                            h->num_nulls = v;
                        else if (id2 == 3)
                            h->num_rows = v;
                        else if (id2 == 4)
                            h->encoding = v;
                        else if (id2 == 5)
                            h->def_len = v;
                        else if (id2 == 6)
                            h->rep_len = v;
                    } else if (id2 == 2)
                        h->encoding = v;
                    else if (id2 == 3)
                        h->def_enc = v;
                    else if (id2 == 4)
                        h->rep_enc = v;
                } else if (id == 8 && id2 == 7 && (ty2 == TC_TRUE || ty2 == TC_FALSE)) {
                    h->compressed = ty2 == TC_TRUE;
                } else if (tc_skip(t, ty2)) {
                    return -1;
                }
            }
            if (r2 < 0)
                return -1;
        } else if (tc_skip(t, ty)) {
            return -1;
        }
    }
    return r;
}

static int
dict_page(struct pq_file *f, int c, const struct page_hdr *h, const uint8_t *p, size_t n,
          struct ps_err *err)
{
    struct pq_col *col = &f->cols[c];
    if (col->dict)
        return fail(f, c, err, "a second dictionary page in one column chunk");
    if (h->encoding != ENC_PLAIN && h->encoding != ENC_PLAIN_DICT)
        return fail(f, c, err, "dictionary page encoded %s (expected PLAIN)",
                    enc_name(h->encoding));
    if (h->num_values < 0)
        return fail(f, c, err, "dictionary page with %d values", h->num_values);
    size_t k = (size_t)h->num_values;
    /* every dictionary entry takes at least one bit of the page */
    if (k / 8 > n + 1)
        return fail(f, c, err, "dictionary page declares %zu values in %zu bytes", k, n);
    if (charge(f, c, (uint64_t)k * sizeof *col->dict, err) != PS_OK)
        return PS_ERR_PARSE;
    col->dict = xmalloc((k ? k : 1) * sizeof *col->dict);
    col->ndict = k;
    const char *why = NULL;
    size_t used;
    if (plain(f->leaves[c], p, n, k, col->dict, &used, &why))
        return fail(f, c, err, "dictionary page: %s", why);
    return PS_OK;
}

static size_t
count_defined(const struct pq_col *col, size_t from, size_t k, int max_def)
{
    if (!col->def)
        return k;
    size_t nn = 0;
    for (size_t i = 0; i < k; i++)
        nn += col->def[from + i] == max_def;
    return nn;
}

static int
data_page(struct pq_file *f, int c, const struct pq_chunk_meta *m, const struct page_hdr *h,
          const uint8_t *raw, size_t rawlen, struct ps_err *err)
{
    struct pq_col *col = &f->cols[c];
    const struct pq_node *leaf = f->leaves[c];
    if (h->num_values < 0 || h->num_values > col->left)
        return fail(f, c, err, "page of %d values overflows the column chunk's %lld left",
                    h->num_values, (long long)col->left);
    size_t k = (size_t)h->num_values;
    col->left -= h->num_values;
    size_t levels_per = (leaf->max_def ? 2 : 0) + (leaf->max_rep ? 2 : 0);
    if (charge(f, c, (uint64_t)k * levels_per, err) != PS_OK)
        return PS_ERR_PARSE;
    if (leaf->max_def)
        col->def = xmalloc((k ? k : 1) * sizeof *col->def);
    if (leaf->max_rep)
        col->rep = xmalloc((k ? k : 1) * sizeof *col->rep);
    const uint8_t *p;
    size_t n, pos = 0;
    if (h->type == PAGE_DATA) {
        if (decompress(f, c, m->codec, raw, rawlen, (size_t)h->usize, &p, err) != PS_OK)
            return PS_ERR_PARSE;
        n = (size_t)h->usize;
        const struct {
            int max, enc;
            uint16_t *arr;
            const char *what;
        } lv[2] = {{leaf->max_rep, h->rep_enc, col->rep, "repetition"},
                   {leaf->max_def, h->def_enc, col->def, "definition"}};
        for (int i = 0; i < 2; i++) {
            if (!lv[i].max)
                continue;
            if (lv[i].enc != ENC_RLE)
                return fail(f, c, err, "%s levels encoded %s (expected RLE)", lv[i].what,
                            enc_name(lv[i].enc));
            if (n - pos < 4 || le32(p + pos) > n - pos - 4)
                return fail(f, c, err, "%s levels: length past the end of the page", lv[i].what);
            uint32_t len = le32(p + pos);
            if (levels(f, c, lv[i].what, p + pos + 4, len, lv[i].max, lv[i].arr, k, err) != PS_OK)
                return PS_ERR_PARSE;
            pos += 4 + (size_t)len;
        }
    } else {
        if (h->rep_len < 0 || h->def_len < 0 || (size_t)h->rep_len > rawlen ||
            (size_t)h->def_len > rawlen - (size_t)h->rep_len || h->usize < h->rep_len + h->def_len)
            return fail(f, c, err, "data page V2: level lengths past the end of the page");
        size_t lvl = (size_t)h->rep_len + (size_t)h->def_len;
        if (leaf->max_rep && levels(f, c, "repetition", raw, (size_t)h->rep_len, leaf->max_rep,
                                    col->rep, k, err) != PS_OK)
            return PS_ERR_PARSE;
        if (leaf->max_def && levels(f, c, "definition", raw + h->rep_len, (size_t)h->def_len,
                                    leaf->max_def, col->def, k, err) != PS_OK)
            return PS_ERR_PARSE;
        if (decompress(f, c, h->compressed ? m->codec : CODEC_NONE, raw + lvl, rawlen - lvl,
                       (size_t)h->usize - lvl, &p, err) != PS_OK)
            return PS_ERR_PARSE;
        n = (size_t)h->usize - lvl;
    }
    size_t nn = count_defined(col, 0, k, leaf->max_def);
    if (charge(f, c, (uint64_t)nn * sizeof *col->val, err) != PS_OK)
        return PS_ERR_PARSE;
    col->val = xmalloc((nn ? nn : 1) * sizeof *col->val);
    col->capv = nn;
    if (decode_values(f, c, h->encoding, p + pos, n - pos, nn, err) != PS_OK)
        return PS_ERR_PARSE;
    col->n = k;
    return PS_OK;
}

/* Free the current page of column c (the dictionary stays). */
static void
drop_page(struct pq_file *f, struct pq_col *col)
{
    free(col->def);
    free(col->rep);
    free(col->val);
    col->def = col->rep = NULL;
    col->val = NULL;
    for (int b = 0; b < col->nbufs; b++)
        free(col->bufs[b]);
    col->nbufs = 0;
    col->n = col->nv = col->capv = col->at = col->atv = 0;
    f->rg_bytes -= col->page_bytes;
    col->page_bytes = 0;
}

static int
chunk_open(struct pq_file *f, int g, int c, struct ps_err *err)
{
    const struct pq_chunk_meta *m = &f->rg[g].col[c];
    struct pq_col *col = &f->cols[c];
    int64_t start = m->data_off;
    if (m->dict_off > 0 && m->dict_off < start)
        start = m->dict_off;
    if (start < 4 || m->size <= 0 || (uint64_t)start > f->data_end ||
        (uint64_t)m->size > f->data_end - (uint64_t)start)
        return fail(f, c, err,
                    "column chunk at bytes %lld..%lld lies outside the data (which ends at %llu)",
                    (long long)start, (long long)start + (long long)m->size,
                    (unsigned long long)f->data_end);
    if (m->num_values < 0)
        return fail(f, c, err, "column chunk declares %lld values", (long long)m->num_values);
    col->pos = (uint64_t)start;
    col->end = (uint64_t)start + (uint64_t)m->size;
    col->left = m->num_values;
    col->codec = m->codec;
    return PS_OK;
}

/* Read the page header at col->pos: a few KiB first, more when it does not fit
 * (statistics can make headers long). */
static int
read_page_header(struct pq_file *f, int c, struct page_hdr *h, size_t *hlen, struct ps_err *err)
{
    struct pq_col *col = &f->cols[c];
    size_t avail = (size_t)(col->end - col->pos), want = avail < 4096 ? avail : 4096;
    for (;;) {
        uint8_t *buf = xmalloc(want ? want : 1);
        struct tc t;
        if (read_at(f, col->pos, buf, want)) {
            free(buf);
            return fail(f, c, err, "cannot read a page header: %s", strerror(errno));
        }
        tc_init(&t, buf, want);
        int r = parse_page_hdr(&t, h);
        *hlen = tc_used(&t, buf);
        free(buf);
        if (r == 0)
            return PS_OK;
        if (want == avail || want >= ((size_t)16 << 20))
            return fail(f, c, err, "malformed page header at byte %llu (%s)",
                        (unsigned long long)col->pos, t.why ? t.why : "?");
        want = avail / 4 < want ? avail : want * 4;
    }
}

/* Make the next data page of column c current.  1 when there is one, 0 when the
 * chunk's values are all read, -1 on an error. */
static int
next_page(struct pq_file *f, int c, struct ps_err *err)
{
    struct pq_col *col = &f->cols[c];
    drop_page(f, col);
    while (col->left > 0) {
        if (col->pos >= col->end)
            return fail(f, c, err, "column chunk ends with %lld of its values missing",
                        (long long)col->left),
                   -1;
        struct page_hdr h;
        size_t hlen = 0;
        if (read_page_header(f, c, &h, &hlen, err) != PS_OK)
            return -1;
        uint64_t body = col->pos + hlen;
        if (h.csize < 0 || h.usize < 0 || (uint64_t)h.csize > col->end - body)
            return fail(f, c, err, "page of %d bytes runs past the column chunk (%llu left)",
                        h.csize, (unsigned long long)(col->end - body)),
                   -1;
        col->pos = body + (uint64_t)h.csize;
        if (h.type != PAGE_DICT && h.type != PAGE_DATA && h.type != PAGE_DATA_V2) {
            if (h.type != PAGE_INDEX)
                return fail(f, c, err, "unknown page type %d", h.type), -1;
            continue;
        }
        if (charge(f, c, (uint64_t)h.csize, err) != PS_OK)
            return -1;
        uint8_t *raw = keep(col, xmalloc(h.csize ? (size_t)h.csize : 1));
        if (read_at(f, body, raw, (size_t)h.csize))
            return fail(f, c, err, "cannot read a page: %s", strerror(errno)), -1;
        if (h.type == PAGE_DICT) {
            const uint8_t *p;
            if (decompress(f, c, col->codec, raw, (size_t)h.csize, (size_t)h.usize, &p, err) !=
                    PS_OK ||
                dict_page(f, c, &h, p, (size_t)h.usize, err) != PS_OK)
                return -1;
            /* the dictionary's buffers live as long as the chunk */
            col->dbufs = xrealloc(col->dbufs, (size_t)(col->ndbufs + col->nbufs) * sizeof(void *));
            for (int b = 0; b < col->nbufs; b++)
                col->dbufs[col->ndbufs++] = col->bufs[b];
            col->nbufs = 0;
            col->dict_bytes += col->page_bytes;
            col->page_bytes = 0;
            continue;
        }
        if (data_page(f, c, &f->rg[f->cur_rg].col[c], &h, raw, (size_t)h.csize, err) != PS_OK)
            return -1;
        if (col->n > 0)
            return 1;
        drop_page(f, col);
    }
    return 0;
}

/* 1 when column c has a level entry at its cursor (reading its next page when the
 * current one is used up), 0 at the end of its chunk, -1 on an error. */
static int
col_ready(struct pq_file *f, int c, struct ps_err *err)
{
    struct pq_col *col = &f->cols[c];
    while (col->at >= col->n) {
        int r = next_page(f, c, err);
        if (r <= 0)
            return r;
    }
    return 1;
}

static int
load_rowgroup(struct pq_file *f, int g, struct ps_err *err)
{
    free_cols(f);
    f->cur_rg = g;
    f->rg_row = 0;
    f->rg_bytes = 0;
    f->cols = xcalloc((size_t)(f->nleaves ? f->nleaves : 1), sizeof *f->cols);
    for (int c = 0; c < f->nleaves; c++)
        if (chunk_open(f, g, c, err) != PS_OK)
            return PS_ERR_PARSE;
    return PS_OK;
}

/* ---- values to JSON ---- */

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int64_t
floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int
frac_digits(int64_t unit)
{
    return unit == 1000 ? 3 : unit == 1000000 ? 6 : 9;
}

enum { T_TIME, T_DATETIME, T_DATE };

/* ISO 8601 text of v units since the epoch (or since midnight for T_TIME). */
static cJSON *
time_json(int64_t v, int64_t unit, int mode, int utc)
{
    char buf[80];
    int64_t secs = floor_div(v, unit), frac = v - secs * unit;
    int64_t days = floor_div(secs, 86400), sod = secs - days * 86400;
    int len = 0;
    if (mode != T_TIME) {
        int64_t y;
        int m, d;
        civil_from_days(days, &y, &m, &d);
        len = snprintf(buf, sizeof buf, "%04lld-%02d-%02d", (long long)y, m, d);
        if (mode == T_DATE)
            return cJSON_CreateString(buf);
        buf[len++] = 'T';
    }
    len += snprintf(buf + len, sizeof buf - (size_t)len, "%02d:%02d:%02d", (int)(sod / 3600),
                    (int)(sod / 60 % 60), (int)(sod % 60));
    if (frac)
        len += snprintf(buf + len, sizeof buf - (size_t)len, ".%0*lld", frac_digits(unit),
                        (long long)frac);
    if (mode == T_DATETIME && utc)
        snprintf(buf + len, sizeof buf - (size_t)len, "Z");
    return cJSON_CreateString(buf);
}

static cJSON *
base64_json(struct pq_file *f, const uint8_t *p, size_t n)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    sb_reset(&f->tmp);
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        char q[4] = {tbl[v >> 18], tbl[(v >> 12) & 63], i + 1 < n ? tbl[(v >> 6) & 63] : '=',
                     i + 2 < n ? tbl[v & 63] : '='};
        sb_append(&f->tmp, q, 4);
    }
    return cJSON_CreateString(sb_str(&f->tmp));
}

static double
pow10i(int e)
{
    double r = 1;
    for (int i = 0; i < e && i < 400; i++)
        r *= 10;
    return r;
}

static cJSON *
leaf_json(struct pq_file *f, int c, const struct pq_val *v, struct ps_err *err)
{
    const struct pq_node *n = f->leaves[c];
    switch (n->type) {
    case PT_BOOLEAN: return cJSON_CreateBool((int)v->u.i);
    case PT_INT32:
    case PT_INT64:
        switch (n->kind) {
        case K_DATE: return time_json(v->u.i * 86400, 1, T_DATE, 0);
        case K_TIME: return time_json(v->u.i, n->type == PT_INT32 ? 1000 : n->unit, T_TIME, 0);
        case K_TIMESTAMP: return time_json(v->u.i, n->unit, T_DATETIME, n->utc);
        case K_DECIMAL: return cJSON_CreateNumber((double)v->u.i / pow10i(n->scale));
        case K_UNSIGNED:
            return cJSON_CreateNumber(n->type == PT_INT32 ? (double)(uint32_t)v->u.i
                                                          : (double)(uint64_t)v->u.i);
        case K_NULL: return cJSON_CreateNull();
        default: return cJSON_CreateNumber((double)v->u.i);
        }
    case PT_INT96: {
        int64_t nanos = (int64_t)le64(v->u.s.p), day = (int32_t)le32(v->u.s.p + 8);
        int64_t secs = (day - 2440588) * 86400;
        if (secs > INT64_MAX / 1000000000 || secs < INT64_MIN / 1000000000)
            return time_json(secs, 1, T_DATETIME, 0);
        return time_json(secs * 1000000000 + nanos, 1000000000, T_DATETIME, 0);
    }
    case PT_FLOAT:
    case PT_DOUBLE: return cJSON_CreateNumber(v->u.d);
    default: break;
    }
    const uint8_t *p = v->u.s.p;
    size_t len = v->u.s.n;
    if (n->kind == K_DECIMAL && len <= 16) {
        /* big-endian two's complement */
        double x = 0;
        for (size_t i = 0; i < len; i++)
            x = x * 256 + p[i];
        if (len && (p[0] & 0x80))
            x -= ldexp(1.0, (int)(8 * len));
        return cJSON_CreateNumber(x / pow10i(n->scale));
    }
    if (n->kind == K_UUID && len == 16) {
        char b[40];
        int o = 0;
        for (size_t i = 0; i < 16; i++)
            o += snprintf(b + o, sizeof b - (size_t)o, "%s%02x",
                          i == 4 || i == 6 || i == 8 || i == 10 ? "-" : "", p[i]);
        return cJSON_CreateString(b);
    }
    if (n->kind == K_FLOAT16 && len == 2) {
        unsigned h = p[0] | (unsigned)p[1] << 8, e = (h >> 10) & 31, m = h & 1023;
        double x = e == 0    ? ldexp(m, -24)
                   : e == 31 ? (m ? NAN : INFINITY)
                             : ldexp(1024 + m, (int)e - 25);
        return cJSON_CreateNumber(h & 0x8000 ? -x : x);
    }
    int text = memchr(p, '\0', len) == NULL && utf8_valid((const char *)p, len, NULL);
    if (n->kind == K_STRING && !text)
        return fail(f, c, err, "row %lld: %s in a string column (expected UTF-8 text)",
                    (long long)f->row + 1, memchr(p, '\0', len) ? "NUL byte" : "invalid UTF-8"),
               NULL;
    if (!text)
        return base64_json(f, p, len);
    sb_reset(&f->tmp);
    sb_append(&f->tmp, (const char *)p, len);
    return cJSON_CreateString(sb_str(&f->tmp));
}

/* ---- record assembly from repetition and definition levels ---- */

/* Column c must have another level entry: PS_OK, or an error. */
static int
need(struct pq_file *f, int c, struct ps_err *err)
{
    int r = col_ready(f, c, err);
    if (r == 0)
        return fail(f, c, err, "levels end before the row group's %lld rows",
                    (long long)f->rg[f->cur_rg].num_rows);
    return r == 1 ? PS_OK : PS_ERR_PARSE;
}

static int
peek(struct pq_file *f, const struct pq_node *n, int *rep, int *def, struct ps_err *err)
{
    if (need(f, n->first_leaf, err) != PS_OK)
        return PS_ERR_PARSE;
    const struct pq_col *col = &f->cols[n->first_leaf];
    *rep = col->rep ? col->rep[col->at] : 0;
    *def = col->def ? col->def[col->at] : 0;
    return PS_OK;
}

/* Take one level entry (and its value when defined) of every column under n. */
static int
skip_node(struct pq_file *f, const struct pq_node *n, struct ps_err *err)
{
    for (int c = n->first_leaf; c < n->first_leaf + n->n_leaves; c++) {
        struct pq_col *col = &f->cols[c];
        if (need(f, c, err) != PS_OK)
            return PS_ERR_PARSE;
        if ((col->def ? col->def[col->at] : 0) == f->leaves[c]->max_def)
            col->atv++;
        col->at++;
    }
    return PS_OK;
}

static cJSON *read_field(struct pq_file *f, const struct pq_node *n, struct ps_err *err);
static cJSON *read_instance(struct pq_file *f, const struct pq_node *n, struct ps_err *err);

/* The elements of repeated node r: each is `elem` read as a field, or (elem NULL)
 * an instance of r itself. */
static cJSON *
read_list(struct pq_file *f, const struct pq_node *r, const struct pq_node *elem,
          struct ps_err *err)
{
    int rep, def;
    if (peek(f, r, &rep, &def, err) != PS_OK)
        return NULL;
    if (def < r->max_def)
        return skip_node(f, r, err) == PS_OK ? cJSON_CreateArray() : NULL;
    cJSON *arr = cJSON_CreateArray();
    for (;;) {
        cJSON *item = elem ? read_field(f, elem, err) : read_instance(f, r, err);
        if (!item) {
            cJSON_Delete(arr);
            return NULL;
        }
        cJSON_AddItemToArray(arr, item);
        const struct pq_col *col = &f->cols[r->first_leaf];
        int more = col_ready(f, r->first_leaf, err);
        if (more < 0) {
            cJSON_Delete(arr);
            return NULL;
        }
        if (more == 0)
            break;
        rep = col->rep ? col->rep[col->at] : 0;
        if (rep < r->max_rep)
            break;
        if (rep > r->max_rep) {
            fail(f, r->first_leaf, err, "repetition level %d where at most %d was expected", rep,
                 r->max_rep);
            cJSON_Delete(arr);
            return NULL;
        }
    }
    return arr;
}

static cJSON *
read_map(struct pq_file *f, const struct pq_node *kv, struct ps_err *err)
{
    cJSON *arr = read_list(f, kv, NULL, err);
    if (!arr)
        return NULL;
    cJSON *obj = cJSON_CreateObject(), *e;
    while ((e = arr->child)) {
        cJSON_DetachItemViaPointer(arr, e);
        cJSON *k = e->child, *v = k ? k->next : NULL;
        char num[64];
        const char *key = cJSON_IsString(k) ? k->valuestring : NULL;
        if (!key) {
            char *printed = k ? cJSON_PrintUnformatted(k) : NULL;
            snprintf(num, sizeof num, "%s", printed ? printed : "null");
            free(printed);
            key = num;
        }
        cJSON_AddItemToObject(obj, key, v ? cJSON_DetachItemViaPointer(e, v) : cJSON_CreateNull());
        cJSON_Delete(e);
    }
    cJSON_Delete(arr);
    return obj;
}

static cJSON *
read_instance(struct pq_file *f, const struct pq_node *n, struct ps_err *err)
{
    if (n->leaf >= 0) {
        struct pq_col *col = &f->cols[n->leaf];
        if (need(f, n->leaf, err) != PS_OK)
            return NULL;
        int def = col->def ? col->def[col->at] : 0;
        col->at++;
        if (def < n->max_def)
            return cJSON_CreateNull();
        if (col->atv >= col->nv)
            return fail(f, n->leaf, err, "fewer values than defined levels"), NULL;
        return leaf_json(f, n->leaf, &col->val[col->atv++], err);
    }
    if (n->kind == K_LIST && n->nchild == 1 && n->child[0]->repetition == REP_REPEATED &&
        n->child[0]->n_leaves > 0) {
        const struct pq_node *r = n->child[0], *elem = NULL;
        size_t nl = strlen(n->name);
        int tuple = !strncmp(r->name, n->name, nl) && !strcmp(r->name + nl, "_tuple");
        if (r->leaf < 0 && r->nchild == 1 && strcmp(r->name, "array") && !tuple)
            elem = r->child[0];
        return read_list(f, r, elem, err);
    }
    if (n->kind == K_MAP && n->nchild == 1 && n->child[0]->repetition == REP_REPEATED &&
        n->child[0]->nchild == 2 && n->child[0]->n_leaves > 0)
        return read_map(f, n->child[0], err);
    cJSON *obj = cJSON_CreateObject();
    for (int i = 0; i < n->nchild; i++) {
        cJSON *v = read_field(f, n->child[i], err);
        if (!v) {
            cJSON_Delete(obj);
            return NULL;
        }
        cJSON_AddItemToObject(obj, n->child[i]->name, v);
    }
    return obj;
}

static cJSON *
read_field(struct pq_file *f, const struct pq_node *n, struct ps_err *err)
{
    if (n->n_leaves == 0)
        return n->repetition == REP_REPEATED ? cJSON_CreateArray() : cJSON_CreateObject();
    if (n->repetition == REP_REPEATED)
        return read_list(f, n, NULL, err);
    if (n->repetition == REP_OPTIONAL) {
        int rep, def;
        if (peek(f, n, &rep, &def, err) != PS_OK)
            return NULL;
        if (def < n->max_def)
            return skip_node(f, n, err) == PS_OK ? cJSON_CreateNull() : NULL;
    }
    return read_instance(f, n, err);
}

int
pq_next(struct pq_file *f, cJSON **row, struct ps_err *err)
{
    *row = NULL;
    if (f->failed)
        return fail(f, -1, err, "reading stopped at an earlier error"), -1;
    while (f->cur_rg < 0 || f->rg_row >= f->rg[f->cur_rg].num_rows) {
        if (f->cur_rg >= 0 && f->cols) {
            for (int c = 0; c < f->nleaves; c++) {
                int more = col_ready(f, c, err);
                if (more < 0)
                    return -1;
                if (more > 0)
                    return fail(f, c, err, "levels left over after the row group's %lld rows",
                                (long long)f->rg[f->cur_rg].num_rows),
                           -1;
            }
        }
        if (f->cur_rg + 1 >= f->nrg) {
            free_cols(f);
            return 0;
        }
        if (load_rowgroup(f, f->cur_rg + 1, err) != PS_OK)
            return -1;
    }
    f->row++;
    for (int c = 0; c < f->nleaves; c++) {
        const struct pq_col *col = &f->cols[c];
        if (need(f, c, err) != PS_OK)
            return -1;
        if (col->rep && col->rep[col->at] != 0)
            return fail(f, c, err,
                        "row %lld does not start at repetition level 0 (levels out of step"
                        " with the other columns)",
                        (long long)f->row + 1),
                   -1;
    }
    cJSON *obj = read_instance(f, &f->nodes[0], err);
    if (!obj)
        return -1;
    f->rg_row++;
    *row = obj;
    return 1;
}
