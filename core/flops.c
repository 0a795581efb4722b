/* Kernel accounting (see flops.h). Kernels add from outside their parallel regions. */
#include "core/flops.h"

#include "core/runtime.h"

static int64_t counts[GS_FLOPS_CATEGORIES];
static double seconds[GS_FLOPS_CATEGORIES];

int64_t gs_flops_get(gs_flops_category category) {
  return category < GS_FLOPS_CATEGORIES ? counts[category] : 0;
}

double gs_flops_seconds(gs_flops_category category) {
  return category < GS_FLOPS_CATEGORIES ? seconds[category] : 0.0;
}

void gs_flops_reset(void) {
  for (int i = 0; i < GS_FLOPS_CATEGORIES; i++) {
    counts[i] = 0;
    seconds[i] = 0.0;
  }
}

void gs__flops_add(gs_flops_category category, int64_t flops) { counts[category] += flops; }

double gs__kernel_clock(void) { return gs_clock_seconds(); }

void gs__kernel_end(gs_flops_category category, int64_t flops, double started) {
  counts[category] += flops;
  seconds[category] += gs_clock_seconds() - started;
}
