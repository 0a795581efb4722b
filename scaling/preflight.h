/* The memory preflight of a training run: before anything large is allocated, the cost
 * model's predicted peak (gs_cost_estimate) is compared with what this process can still have
 * (core/memlimit.h: cgroup limit, ulimit -v, MemAvailable), and a run that cannot fit is
 * refused with both figures and the nearest model that fits. Used by `train`, `search` and
 * any driver of many runs (sweeps), each before its first allocation. */
#ifndef GS_PREFLIGHT_H
#define GS_PREFLIGHT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/memlimit.h"
#include "core/status.h"
#include "scaling/cost.h"
#include "scaling/profile.h"

typedef struct {
  int64_t need_bytes;  /* the predicted peak of the counting allocator for the asked model */
  gs_memlimit limit;   /* the limits read (limit.headroom: the bytes the process can add) */
  bool fits;           /* need_bytes <= limit.headroom */
  /* The nearest model that fits when the asked one does not: the same features, the asked
   * depth or less, the largest width (a multiple of 8 from 8 on) at the largest such depth.
   * fit_depth 0 when none does (even depth 1, width 1). */
  int32_t fit_depth;
  int64_t fit_width;
  int64_t fit_bytes;
} gs_preflight;

/* Prices depth x width on `features` columns (as gs_cost_estimate, whose errors it returns)
 * and compares its peak with the memory limits read now. Returns GS_OK when it fits or when
 * `force` is set (out->fits tells which); else GS_ERR_NOMEM with a message such as
 * "the model (depth 2, width 1048576, 1433 features) needs 21.6 GiB at its peak (train phase);
 * this process can have 18.2 GiB more (MemAvailable of the machine); the nearest model that
 * fits: depth 2, width 880000 (17.9 GiB); --force runs it anyway". out may be NULL. */
gs_status gs_preflight_check(gs_preflight *out, int32_t depth, int64_t width, int64_t features,
                             const gs_cost_options *opts, const gs_cost_data *data,
                             bool force, gs_error *err);

/* As above with the limits given instead of read (for tests and for drivers that read them
 * once for many models). */
gs_status gs_preflight_check_with(gs_preflight *out, const gs_memlimit *limit, int32_t depth,
                                  int64_t width, int64_t features, const gs_cost_options *opts,
                                  const gs_cost_data *data, bool force, gs_error *err);

#endif
