/* SHA-256 (FIPS 180-4), used for content-addressed cache keys of LLM calls. */
#ifndef PS_CORE_SHA256_H
#define PS_CORE_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
    uint32_t h[8];
    uint64_t len; /* bytes hashed so far */
    unsigned char buf[64];
    size_t nbuf;
    int hw; /* the x86 SHA extensions compress the blocks */
};

/* Uses the CPU's SHA instructions where there are some (x86-64 SHA-NI: a block in
 * about a tenth of the time of the portable C, which the cache key of every LLM call
 * pays); the digest is the same either way. */
void sha256_init(struct sha256 *s);
/* The portable C compression only (tests compare the two). */
void sha256_init_portable(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t n);
/* Writes the 32-byte digest; `s` must be re-initialised before reuse. */
void sha256_final(struct sha256 *s, unsigned char out[32]);
/* Lowercase hex of a finished digest: out[65] including the NUL. */
void sha256_hex(const unsigned char digest[32], char out[65]);

#endif
