/* SplitMix64 finaliser over (seed, stream, index). */
#include "core/rng.h"

uint64_t gs_rng_at(uint64_t seed, uint64_t stream, uint64_t index) {
  return gs_rng_at_key(gs_rng_key(seed, stream), index);
}
