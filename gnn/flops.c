/* FLOP counters (see flops.h). Kernels add from outside their parallel regions. */
#include "gnn/flops.h"

static int64_t counts[GS_FLOPS_CATEGORIES];

int64_t gs_flops_get(gs_flops_category category) {
  return category < GS_FLOPS_CATEGORIES ? counts[category] : 0;
}

void gs_flops_reset(void) {
  for (int i = 0; i < GS_FLOPS_CATEGORIES; i++) counts[i] = 0;
}

void gs__flops_add(gs_flops_category category, int64_t flops) { counts[category] += flops; }
