/* FNV-1a, 64 bits (Fowler, Noll and Vo): the one non-cryptographic hash of the code base, for
 * fingerprints of files and cache keys (a changed input must change the key; nothing here
 * defends against adversarial collisions). */
#ifndef GS_HASH_H
#define GS_HASH_H

#include <stddef.h>
#include <stdint.h>

/* The starting value (FNV offset basis) of a fresh hash. */
#define GS_HASH_FNV_START 14695981039346656037ULL

/* h extended by bytes bytes at data; gs_hash_fnv1a(GS_HASH_FNV_START, "a", 1) is
 * 0xaf63dc4c8601ec8c (the published test vector). */
static inline uint64_t gs_hash_fnv1a(uint64_t h, const void *data, size_t bytes) {
  const unsigned char *p = data;
  for (size_t i = 0; i < bytes; i++) {
    h ^= p[i];
    h *= 1099511628211ULL;
  }
  return h;
}

#endif
