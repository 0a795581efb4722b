/* SplitMix64 finaliser over (seed, stream, index). */
#include "core/rng.h"

static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t gs_rng_at(uint64_t seed, uint64_t stream, uint64_t index) {
  const uint64_t golden = 0x9e3779b97f4a7c15ULL;
  uint64_t h = mix64(seed + golden);
  h = mix64(h ^ (stream + 2 * golden));
  return mix64(h ^ (index + 3 * golden));
}
