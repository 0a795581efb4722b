/* FLOP counters: every kernel adds what it computes, by category, so a test can compare a
 * training epoch's counted FLOPs with the cost model's prediction. Counting is always on: it
 * is one addition per kernel call, made outside parallel regions, and costs nothing
 * measurable, so the counted build and the measured build are the same build. */
#ifndef GS_FLOPS_H
#define GS_FLOPS_H

#include <stdint.h>

typedef enum {
  GS_FLOPS_AGGREGATE = 0,   /* sparse adjacency products Â·X, Âᵀ·X */
  GS_FLOPS_DENSE = 1,       /* dense products (sgemm) */
  GS_FLOPS_SPARSE_INPUT = 2, /* sparse feature products X·W, Xᵀ·dT */
  GS_FLOPS_ELEMENTWISE = 3, /* bias, activation, dropout, norm, loss, optimiser */
  GS_FLOPS_CATEGORIES = 4
} gs_flops_category;

/* Counts since the last reset, per category (all zero in a build without counting). */
int64_t gs_flops_get(gs_flops_category category);
void gs_flops_reset(void);
void gs__flops_add(gs_flops_category category, int64_t flops);

#define GS_FLOPS_ADD(category, flops) gs__flops_add((category), (int64_t)(flops))

#endif
