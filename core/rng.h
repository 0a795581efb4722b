/* Counter-based random numbers: a value is a pure function of (seed, stream, index), so a
 * parallel fill gives the same numbers whatever the schedule or thread count, and a dropout
 * mask can be regenerated in the backward pass instead of being stored. The mixing function
 * is SplitMix64's finaliser applied over the three words (Steele et al., OOPSLA 2014). */
#ifndef GS_RNG_H
#define GS_RNG_H

#include <stdint.h>

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
};

/* Combines a purpose with up to two counters (e.g. epoch, layer) into one stream id. */
static inline uint64_t gs_rng_stream(uint64_t purpose, uint64_t a, uint64_t b) {
  return (purpose << 56) ^ (a << 20) ^ b;
}

#endif
