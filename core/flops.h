/* Kernel accounting: every kernel adds the FLOPs it computes and the seconds it took, by
 * category, so a test can compare a training epoch's counted FLOPs with the cost model's
 * prediction and `gnnscale train` can set the measured seconds of each category beside the
 * predicted ones. Accounting is always on: two clock reads and two additions per kernel call,
 * made outside parallel regions (about 50 ns against kernels of microseconds), so the counted
 * build and the measured build are the same build. */
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

/* Counts since the last reset, per category. */
int64_t gs_flops_get(gs_flops_category category);
/* Seconds spent in the kernels of a category since the last reset (wall clock, the kernel's
 * own parallel region included). */
double gs_flops_seconds(gs_flops_category category);
/* Resets counts and seconds. */
void gs_flops_reset(void);

void gs__flops_add(gs_flops_category category, int64_t flops);
double gs__kernel_clock(void);
void gs__kernel_end(gs_flops_category category, int64_t flops, double started);

/* Counts FLOPs without timing (for a kernel timed by its caller or too small to time). */
#define GS_FLOPS_ADD(category, flops) gs__flops_add((category), (int64_t)(flops))

/* Brackets a kernel: GS_KERNEL_BEGIN() at its start, GS_KERNEL_END(category, flops) before its
 * return; the two must be in one block scope. */
#define GS_KERNEL_BEGIN() const double gs__kernel_started = gs__kernel_clock()
#define GS_KERNEL_END(category, flops) \
  gs__kernel_end((category), (int64_t)(flops), gs__kernel_started)

#endif
