/* Counter-based random numbers: a value is a pure function of (seed, stream, index), so a
 * parallel fill gives the same numbers whatever the schedule or thread count, and a dropout
 * mask can be regenerated in the backward pass instead of being stored. The mixing function
 * is SplitMix64's finaliser applied over the three words (Steele et al., OOPSLA 2014). */
#ifndef GS_RNG_H
#define GS_RNG_H

#include <stdint.h>

#define GS_RNG_GOLDEN 0x9e3779b97f4a7c15ULL

static inline uint64_t gs__rng_mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* The key of (seed, stream): hoisted out of loops, so that a value costs one mixing round. */
static inline uint64_t gs_rng_key(uint64_t seed, uint64_t stream) {
  uint64_t h = gs__rng_mix64(seed + GS_RNG_GOLDEN);
  return gs__rng_mix64(h ^ (stream + 2 * GS_RNG_GOLDEN));
}

/* 64 well-mixed random bits for index under a key from gs_rng_key. */
static inline uint64_t gs_rng_at_key(uint64_t key, uint64_t index) {
  return gs__rng_mix64(key ^ (index + 3 * GS_RNG_GOLDEN));
}

/* 64 well-mixed random bits for (seed, stream, index). */
uint64_t gs_rng_at(uint64_t seed, uint64_t stream, uint64_t index);

/* A float uniform on [0, 1) with 24 random bits. */
static inline float gs_rng_uniform(uint64_t seed, uint64_t stream, uint64_t index) {
  return (float)(gs_rng_at(seed, stream, index) >> 40) * (1.0f / 16777216.0f);
}

/* Streams used by the library, so that no two purposes share numbers. A stream is further
 * mixed with an epoch and a layer by gs_rng_stream. */
enum {
  GS_RNG_STREAM_INIT = 1,     /* weight initialisation */
  GS_RNG_STREAM_DROPOUT = 2,  /* dropout masks */
  GS_RNG_STREAM_GENERATE = 3, /* synthetic graphs */
  GS_RNG_STREAM_SHUFFLE = 4,  /* mini-batch order */
  GS_RNG_STREAM_SAMPLE = 5,   /* edges kept for METIS on a large graph */
};

/* Combines a purpose with up to two counters (e.g. epoch, layer) into one stream id. */
static inline uint64_t gs_rng_stream(uint64_t purpose, uint64_t a, uint64_t b) {
  return (purpose << 56) ^ (a << 20) ^ b;
}

#endif
