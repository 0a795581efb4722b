/* Memory preflight: the predicted peak against the process's limits, and a binary search over
 * width (then depth) for the nearest model that fits. */
#include "scaling/preflight.h"

#include <stdio.h>
#include <string.h>

/* The predicted peak of depth x width, or -1 when the cost model rejects the model. */
static int64_t peak_of(int32_t depth, int64_t width, int64_t features,
                       const gs_cost_options *opts, const gs_cost_data *data) {
  gs_cost c;
  if (gs_cost_estimate(&c, depth, width, features, opts, data, NULL, NULL) != GS_OK) return -1;
  return c.peak_bytes;
}

/* The largest width <= max_width (a multiple of 8 when >= 8) whose peak fits in room, or 0. */
static int64_t widest_fitting(int32_t depth, int64_t max_width, int64_t features, int64_t room,
                              const gs_cost_options *opts, const gs_cost_data *data,
                              int64_t *bytes) {
  int64_t lo = 0, hi = max_width; /* invariant: lo fits (0 stands for none), hi + 1 does not */
  while (lo < hi) {
    int64_t mid = lo + (hi - lo + 1) / 2;
    int64_t p = peak_of(depth, mid, features, opts, data);
    if (p >= 0 && p <= room) lo = mid;
    else hi = mid - 1;
  }
  if (lo >= 8) lo -= lo % 8;
  if (lo > 0) *bytes = peak_of(depth, lo, features, opts, data);
  return lo;
}

gs_status gs_preflight_check_with(gs_preflight *out, const gs_memlimit *limit, int32_t depth,
                                  int64_t width, int64_t features, const gs_cost_options *opts,
                                  const gs_cost_data *data, bool force, gs_error *err) {
  gs_cost c;
  gs_status st = gs_cost_estimate(&c, depth, width, features, opts, data, NULL, err);
  if (st != GS_OK) return st;
  gs_preflight p;
  memset(&p, 0, sizeof p);
  p.limit = *limit;
  p.need_bytes = c.peak_bytes;
  p.fits = c.peak_bytes <= limit->headroom;
  if (!p.fits) {
    for (int32_t d = depth; d >= 1 && p.fit_depth == 0; d--) {
      int64_t w = widest_fitting(d, width, features, limit->headroom, opts, data, &p.fit_bytes);
      if (w > 0) {
        p.fit_depth = d;
        p.fit_width = w;
      }
    }
  }
  if (out) *out = p;
  if (p.fits || force) return GS_OK;
  char what[256], nearest[256], room[512], b1[32], b2[32];
  snprintf(what, sizeof what, "the model (depth %d, width %lld, %lld features) at its peak (%s "
           "phase)", (int)depth, (long long)width, (long long)features,
           gs_cost_phase_name(c.peak_phase));
  if (p.fit_depth > 0)
    snprintf(nearest, sizeof nearest, "the nearest model that fits: depth %d, width %lld "
             "(%s)", (int)p.fit_depth, (long long)p.fit_width,
             gs_memlimit_format(p.fit_bytes, b1, sizeof b1));
  else
    snprintf(nearest, sizeof nearest, "no model fits on this data (depth 1, width 1 needs "
             "%.1f MiB): the data alone is too large", 
             (double)peak_of(1, 1, features, opts, data) / 1048576.0);
  gs_memlimit_describe(limit, room, sizeof room);
  return gs_error_set(err, GS_ERR_NOMEM, "out of memory before the start: %s needs %s; %s; %s; "
                      "--force runs it anyway", what,
                      gs_memlimit_format(p.need_bytes, b2, sizeof b2), room, nearest);
}

gs_status gs_preflight_check(gs_preflight *out, int32_t depth, int64_t width, int64_t features,
                             const gs_cost_options *opts, const gs_cost_data *data,
                             bool force, gs_error *err) {
  gs_memlimit limit;
  gs_memlimit_query(&limit);
  return gs_preflight_check_with(out, &limit, depth, width, features, opts, data, force, err);
}
