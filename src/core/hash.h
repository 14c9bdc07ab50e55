/* Non-cryptographic hashing for keys (item merge keys, dedup). */
#ifndef PS_CORE_HASH_H
#define PS_CORE_HASH_H

#include <stddef.h>
#include <stdint.h>

/* 64-bit FNV-1a; chain by passing the previous result as `seed` (start with
 * HASH_FNV_SEED). */
#define HASH_FNV_SEED 0xcbf29ce484222325ULL
uint64_t hash_fnv64(const void *data, size_t n, uint64_t seed);

/* Writes the 16 lowercase hex digits of h and a NUL into out[17]. */
void hash_hex64(uint64_t h, char out[17]);

#endif
