/* A Parquet reader written from the format's public specification: the footer
 * (Thrift compact protocol), row groups, column chunks, data pages V1 and V2 and
 * dictionary pages; PLAIN, RLE/bit-packed, dictionary and the three DELTA
 * encodings; UNCOMPRESSED, SNAPPY, GZIP, ZSTD, LZ4_RAW (and Hadoop LZ4) and BROTLI.
 * Each row comes out as a cJSON object, the record a JSON line with the same
 * content would be: lists as arrays, structs as objects, maps as objects, nulls as
 * null, timestamps and dates as ISO 8601 text.
 *
 * Streaming: each column is read one page at a time (pages are ~1 MB), so memory is
 * bounded by one page per column plus the current row group's dictionaries, not by
 * the file or the row group (and capped: needing more is an error).  Every
 * error names the file, the row group, the column and what was expected; malformed
 * or hostile input is an error, never a crash. */
#ifndef PS_FORMATS_PARQUET_H
#define PS_FORMATS_PARQUET_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/err.h"

struct pq_file;

/* Open `path` (borrowed; it must outlive the reader) and read its footer. */
int pq_open(const char *path, struct pq_file **out, struct ps_err *err);
/* Read a file held in memory: data[0..n) is borrowed; `name` is used in messages. */
int pq_open_mem(const void *data, size_t n, const char *name, struct pq_file **out,
                struct ps_err *err);
void pq_close(struct pq_file *f);

/* Next row: 1 with *row owned by the caller (cJSON_Delete), 0 after the last row,
 * -1 with `err` naming file, row group and column. */
int pq_next(struct pq_file *f, cJSON **row, struct ps_err *err);

/* Rows the footer declares, and the 0-based index of the row last returned. */
int64_t pq_num_rows(const struct pq_file *f);
int64_t pq_row_index(const struct pq_file *f);
/* The value of key `key` in the file's key-value metadata (borrowed, NUL-terminated,
 * valid until pq_close), or NULL. */
const char *pq_meta(const struct pq_file *f, const char *key);

/* Non-zero when the file starts with Parquet's magic "PAR1" (for a pipe, which
 * cannot be peeked: when its name ends in .parquet). */
int pq_is_parquet(const char *path);

#endif
