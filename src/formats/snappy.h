/* The Snappy block format (Parquet's SNAPPY codec), written here from its public
 * format description rather than linked from the C++ library (docs/decisions.md). */
#ifndef PS_FORMATS_SNAPPY_H
#define PS_FORMATS_SNAPPY_H

#include <stddef.h>
#include <stdint.h>

/* The uncompressed length stored in a block's preamble; -1 when malformed. */
int snappy_length(const uint8_t *src, size_t n, size_t *len);

/* Decompress src[0..n) into dst[0..cap).  Returns 0 when the block decodes to
 * exactly its preamble length and that length is <= cap; -1 with a static reason in
 * *why otherwise (truncated, bad offset, longer than cap).  Reads and writes only
 * inside the given ranges. */
int snappy_decompress(const uint8_t *src, size_t n, uint8_t *dst, size_t cap, size_t *out_len,
                      const char **why);

/* Worst-case compressed size of n bytes. */
size_t snappy_max_compressed(size_t n);
/* Compress src[0..n) into dst (snappy_max_compressed(n) bytes); returns the
 * compressed length. */
size_t snappy_compress(const uint8_t *src, size_t n, uint8_t *dst);

#endif
