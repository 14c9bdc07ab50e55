/* `prefscope export --format parquet`: TRL's preference layout as Parquet.
 *
 * The rows come from the trl-conversational exporter (so the layout and the choice
 * of verdicts are exactly those of the JSON exports), spooled to a temporary file.
 * When no row has more than the one user message, the file uses the standard
 * layout (prompt, chosen and rejected as strings); otherwise the conversational one
 * (each a list<struct{role, content}>).  Strings are dictionary-encoded per row
 * group (a PLAIN dictionary page and an RLE_DICTIONARY data page V1), every page is
 * SNAPPY-compressed, and the key-value metadata holds a `huggingface` entry with the
 * `datasets` features, as `datasets` writes it. */
#include "formats/parquet_write.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/strbuf.h"
#include "core/xalloc.h"
#include "formats/snappy.h"
#include "formats/thrift_compact.h"

#define PW_GROUP_ROWS 10000
#define PW_GROUP_BYTES ((size_t)64 << 20)

/* One leaf column of the row group being built. */
struct pw_col {
    const char *path[5]; /* path in the schema, NULL-terminated */
    int max_rep, max_def;
    struct strbuf text; /* the values, one after another */
    size_t *off;
    uint32_t *len;
    uint8_t *rep, *def;
    size_t n, nv, cap, capv; /* level entries, values */
};

struct pw {
    FILE *out;
    uint64_t pos; /* bytes written */
    int conv;     /* conversational layout */
    struct pw_col col[6];
    int ncol;
    int64_t rows, group_rows;
    struct strbuf groups; /* RowGroup structs of the footer, written as they close */
    int ngroups;
    struct strbuf page, tmp;
};

static void
put(struct pw *w, const void *p, size_t n)
{
    fwrite(p, 1, n, w->out);
    w->pos += n;
}

static void
le32(struct strbuf *sb, uint32_t v)
{
    char b[4] = {(char)v, (char)(v >> 8), (char)(v >> 16), (char)(v >> 24)};
    sb_append(sb, b, 4);
}

/* values[0..n) of width bw as one bit-packed run of the RLE/bit-packed hybrid */
static void
bitpacked(struct strbuf *sb, const uint32_t *v, size_t n, int bw)
{
    size_t groups = (n + 7) / 8, bytes = groups * (size_t)bw;
    tc_put_varint(sb, (uint64_t)groups << 1 | 1);
    size_t at = sb->len;
    sb_grow(sb, bytes);
    memset(sb->p + at, 0, bytes);
    for (size_t i = 0; i < n; i++)
        for (int b = 0; b < bw; b++)
            if (v[i] >> b & 1) {
                size_t bit = i * (size_t)bw + (size_t)b;
                sb->p[at + bit / 8] |= (char)(1 << (bit % 8));
            }
    sb->len += bytes;
    sb->p[sb->len] = '\0';
}

static void
levels(struct strbuf *sb, const uint8_t *lv, size_t n)
{
    uint32_t *v = xmalloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = lv[i];
    struct strbuf run = STRBUF_INIT;
    bitpacked(&run, v, n, 1);
    le32(sb, (uint32_t)run.len);
    sb_append(sb, run.p, run.len);
    sb_free(&run);
    free(v);
}

/* Compress `body` and write it after its page header. */
static void
write_page(struct pw *w, int type, const struct strbuf *body, size_t nvalues, int dict,
           uint64_t *usize, uint64_t *csize)
{
    size_t cap = snappy_max_compressed(body->len);
    sb_reset(&w->tmp);
    sb_grow(&w->tmp, cap);
    size_t clen =
        snappy_compress((const uint8_t *)(body->p ? body->p : ""), body->len, (uint8_t *)w->tmp.p);
    struct strbuf hdr = STRBUF_INIT;
    struct tcw t;
    tcw_init(&t, &hdr);
    tcw_i32(&t, 1, type);
    tcw_i32(&t, 2, (int32_t)body->len);
    tcw_i32(&t, 3, (int32_t)clen);
    tcw_begin(&t, dict ? 7 : 5);
    tcw_i32(&t, 1, (int32_t)nvalues);
    if (dict) {
        tcw_i32(&t, 2, 0); /* PLAIN */
    } else {
        tcw_i32(&t, 2, 8); /* RLE_DICTIONARY */
        tcw_i32(&t, 3, 3); /* levels: RLE */
        tcw_i32(&t, 4, 3);
    }
    tcw_end(&t);
    tcw_end(&t);
    put(w, hdr.p, hdr.len);
    put(w, w->tmp.p, clen);
    *usize += hdr.len + body->len;
    *csize += hdr.len + clen;
    sb_free(&hdr);
}

static uint64_t
hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

/* Write one column chunk and its ColumnChunk entry of the footer. */
static void
write_chunk(struct pw *w, struct pw_col *c, struct tcw *meta)
{
    /* the dictionary: distinct values in first-seen order */
    size_t cap = 16;
    while (cap < 2 * c->nv + 2)
        cap *= 2;
    uint32_t *slot = xmalloc(cap * sizeof *slot), *idx = xmalloc((c->nv + 1) * sizeof *idx);
    uint32_t *first = xmalloc((c->nv + 1) * sizeof *first), ndict = 0;
    memset(slot, 0xff, cap * sizeof *slot);
    for (size_t i = 0; i < c->nv; i++) {
        const char *s = c->text.p + c->off[i];
        size_t h = (size_t)hash(s, c->len[i]) & (cap - 1);
        for (;; h = (h + 1) & (cap - 1)) {
            if (slot[h] == UINT32_MAX) {
                slot[h] = ndict;
                first[ndict++] = (uint32_t)i;
                break;
            }
            size_t j = first[slot[h]];
            if (c->len[j] == c->len[i] && !memcmp(c->text.p + c->off[j], s, c->len[i]))
                break;
        }
        idx[i] = slot[h];
    }
    uint64_t start = w->pos, usize = 0, csize = 0;
    sb_reset(&w->page);
    for (uint32_t d = 0; d < ndict; d++) {
        le32(&w->page, c->len[first[d]]);
        sb_append(&w->page, c->text.p + c->off[first[d]], c->len[first[d]]);
    }
    write_page(w, 2, &w->page, ndict, 1, &usize, &csize);
    uint64_t data_off = w->pos;
    sb_reset(&w->page);
    if (c->max_rep)
        levels(&w->page, c->rep, c->n);
    if (c->max_def)
        levels(&w->page, c->def, c->n);
    int bw = 1;
    while (bw < 32 && (1u << bw) < ndict)
        bw++;
    sb_putc(&w->page, (char)bw);
    bitpacked(&w->page, idx, c->nv, bw);
    write_page(w, 0, &w->page, c->n, 0, &usize, &csize);
    free(slot);
    free(idx);
    free(first);

    tcw_begin(meta, 0); /* ColumnChunk */
    tcw_i64(meta, 2, (int64_t)start);
    tcw_begin(meta, 3);  /* ColumnMetaData */
    tcw_i32(meta, 1, 6); /* BYTE_ARRAY */
    tcw_list(meta, 2, TC_I32, 3);
    tcw_elem_i32(meta, 0);
    tcw_elem_i32(meta, 3);
    tcw_elem_i32(meta, 8);
    int depth = 0;
    while (c->path[depth])
        depth++;
    tcw_list(meta, 3, TC_BINARY, (uint32_t)depth);
    for (int i = 0; i < depth; i++)
        tcw_elem_str(meta, c->path[i]);
    tcw_i32(meta, 4, 1); /* SNAPPY */
    tcw_i64(meta, 5, (int64_t)c->n);
    tcw_i64(meta, 6, (int64_t)usize);
    tcw_i64(meta, 7, (int64_t)csize);
    tcw_i64(meta, 9, (int64_t)data_off);
    tcw_i64(meta, 11, (int64_t)start);
    tcw_end(meta);
    tcw_end(meta);
}

static void
flush_group(struct pw *w)
{
    if (w->group_rows == 0)
        return;
    struct tcw t;
    tcw_init(&t, &w->groups);
    tcw_begin(&t, 0); /* RowGroup */
    tcw_list(&t, 1, TC_STRUCT, (uint32_t)w->ncol);
    uint64_t start = w->pos;
    for (int i = 0; i < w->ncol; i++) {
        write_chunk(w, &w->col[i], &t);
        w->col[i].n = w->col[i].nv = 0;
        sb_reset(&w->col[i].text);
    }
    tcw_i64(&t, 2, (int64_t)(w->pos - start));
    tcw_i64(&t, 3, w->group_rows);
    tcw_end(&t);
    w->ngroups++;
    w->group_rows = 0;
}

static void
add_level(struct pw_col *c, int rep, int def)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 1024;
        c->rep = xrealloc(c->rep, c->cap);
        c->def = xrealloc(c->def, c->cap);
    }
    c->rep[c->n] = (uint8_t)rep;
    c->def[c->n++] = (uint8_t)def;
}

static void
add_value(struct pw_col *c, int rep, int def, const char *s)
{
    add_level(c, rep, def);
    if (c->nv == c->capv) {
        c->capv = c->capv ? 2 * c->capv : 1024;
        c->off = xrealloc(c->off, c->capv * sizeof *c->off);
        c->len = xrealloc(c->len, c->capv * sizeof *c->len);
    }
    c->off[c->nv] = c->text.len;
    c->len[c->nv++] = (uint32_t)strlen(s);
    sb_puts(&c->text, s);
}

static const char *
str_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static void
add_row(struct pw *w, const cJSON *row)
{
    static const char *const cols[3] = {"prompt", "chosen", "rejected"};
    for (int k = 0; k < 3; k++) {
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(row, cols[k]);
        if (!w->conv) {
            add_value(&w->col[k], 0, 0, str_of(cJSON_GetArrayItem(list, 0), "content"));
            continue;
        }
        int i = 0;
        const cJSON *m;
        cJSON_ArrayForEach(m, list)
        {
            add_value(&w->col[2 * k], i > 0, 1, str_of(m, "role"));
            add_value(&w->col[2 * k + 1], i > 0, 1, str_of(m, "content"));
            i++;
        }
        if (i == 0) { /* an empty list */
            add_level(&w->col[2 * k], 0, 0);
            add_level(&w->col[2 * k + 1], 0, 0);
        }
    }
    w->rows++;
    size_t bytes = 0;
    for (int i = 0; i < w->ncol; i++)
        bytes += w->col[i].text.len;
    if (++w->group_rows >= PW_GROUP_ROWS || bytes >= PW_GROUP_BYTES)
        flush_group(w);
}

static void
schema_string(struct tcw *t, const char *name, int repetition)
{
    tcw_begin(t, 0);
    tcw_i32(t, 1, 6); /* BYTE_ARRAY */
    tcw_i32(t, 3, repetition);
    tcw_str(t, 4, name);
    tcw_i32(t, 6, 0); /* UTF8 */
    tcw_begin(t, 10); /* LogicalType: STRING */
    tcw_begin(t, 1);
    tcw_end(t);
    tcw_end(t);
    tcw_end(t);
}

static void
write_footer(struct pw *w)
{
    static const char *const cols[3] = {"prompt", "chosen", "rejected"};
    struct strbuf f = STRBUF_INIT, feat = STRBUF_INIT;
    struct tcw t;
    tcw_init(&t, &f);
    tcw_i32(&t, 1, 1);
    tcw_list(&t, 2, TC_STRUCT, w->conv ? 1 + 3 * 5 : 4);
    tcw_begin(&t, 0);
    tcw_str(&t, 4, "schema");
    tcw_i32(&t, 5, 3);
    tcw_end(&t);
    static const char value[] = "{\"dtype\": \"string\", \"_type\": \"Value\"}";
    sb_puts(&feat, "{\"info\": {\"features\": {");
    for (int k = 0; k < 3; k++) {
        sb_printf(&feat, "%s\"%s\": ", k ? ", " : "", cols[k]);
        if (!w->conv) {
            schema_string(&t, cols[k], 0);
            sb_puts(&feat, value);
            continue;
        }
        /* required group NAME (LIST) { repeated group list { required group element
         * { required binary role (STRING); required binary content (STRING) } } } */
        tcw_begin(&t, 0);
        tcw_i32(&t, 3, 0);
        tcw_str(&t, 4, cols[k]);
        tcw_i32(&t, 5, 1);
        tcw_i32(&t, 6, 3); /* LIST */
        tcw_begin(&t, 10);
        tcw_begin(&t, 3);
        tcw_end(&t);
        tcw_end(&t);
        tcw_end(&t);
        tcw_begin(&t, 0);
        tcw_i32(&t, 3, 2);
        tcw_str(&t, 4, "list");
        tcw_i32(&t, 5, 1);
        tcw_end(&t);
        tcw_begin(&t, 0);
        tcw_i32(&t, 3, 0);
        tcw_str(&t, 4, "element");
        tcw_i32(&t, 5, 2);
        tcw_end(&t);
        schema_string(&t, "role", 0);
        schema_string(&t, "content", 0);
        sb_printf(&feat, "[{\"role\": %s, \"content\": %s}]", value, value);
    }
    sb_puts(&feat, "}}}");
    tcw_i64(&t, 3, w->rows);
    tcw_list(&t, 4, TC_STRUCT, (uint32_t)w->ngroups);
    sb_append(&f, w->groups.p ? w->groups.p : "", w->groups.len);
    tcw_list(&t, 5, TC_STRUCT, 1);
    tcw_begin(&t, 0);
    tcw_str(&t, 1, "huggingface");
    tcw_binary(&t, 2, feat.p, feat.len);
    tcw_end(&t);
    tcw_str(&t, 6, "prefscope version " PS_VERSION);
    tcw_end(&t);
    put(w, f.p, f.len);
    struct strbuf tail = STRBUF_INIT;
    le32(&tail, (uint32_t)f.len);
    sb_append(&tail, "PAR1", 4);
    put(w, tail.p, tail.len);
    sb_free(&tail);
    sb_free(&f);
    sb_free(&feat);
}

/* A row is conversational when its prompt is more than one user message. */
static int
needs_conversation(const cJSON *row)
{
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(row, "prompt");
    return cJSON_GetArraySize(p) != 1 || strcmp(str_of(p->child, "role"), "user") != 0;
}

int
parquet_export(struct store *st, int64_t dataset_id, const struct export_opts *opts, FILE *out,
               struct export_result *res, struct ps_err *err)
{
    FILE *spool = tmpfile();
    if (!spool)
        return ps_error(err, PS_ERR_IO, "export: cannot create a temporary file");
    struct export_opts o = *opts;
    o.format = "trl-conversational";
    int rc = export_dataset(st, dataset_id, &o, spool, res, err);
    struct pw w;
    memset(&w, 0, sizeof w);
    w.out = out;
    char *line = NULL;
    size_t cap = 0;
    for (int pass = 0; rc == PS_OK && pass < 2; pass++) {
        rewind(spool);
        if (pass == 1) {
            static const char *const names[3] = {"prompt", "chosen", "rejected"};
            w.ncol = w.conv ? 6 : 3;
            for (int i = 0; i < w.ncol; i++) {
                struct pw_col *c = &w.col[i];
                c->path[0] = names[w.conv ? i / 2 : i];
                if (w.conv) {
                    c->path[1] = "list";
                    c->path[2] = "element";
                    c->path[3] = i % 2 ? "content" : "role";
                    c->max_rep = c->max_def = 1;
                }
            }
            put(&w, "PAR1", 4);
        }
        while (getline(&line, &cap, spool) > 0) {
            cJSON *row = cJSON_Parse(line);
            if (!row) {
                rc = ps_error(err, PS_ERR_IO, "export: cannot read back the spooled rows");
                break;
            }
            if (pass == 0)
                w.conv |= needs_conversation(row);
            else
                add_row(&w, row);
            cJSON_Delete(row);
        }
    }
    if (rc == PS_OK) {
        flush_group(&w);
        write_footer(&w);
        if (ferror(out))
            rc = ps_error(err, PS_ERR_IO, "export: write error");
    }
    free(line);
    fclose(spool);
    for (int i = 0; i < 6; i++) {
        struct pw_col *c = &w.col[i];
        sb_free(&c->text);
        free(c->off);
        free(c->len);
        free(c->rep);
        free(c->def);
    }
    sb_free(&w.groups);
    sb_free(&w.page);
    sb_free(&w.tmp);
    return rc;
}
