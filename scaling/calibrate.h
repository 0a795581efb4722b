/* The kernel fit of a machine profile: the roofline of scaling/cost.c, built from STREAM and
 * sgemm figures, misses what the trainer's kernels really do on this machine (OpenMP wake-ups
 * between kernels, the row kernel's gather rate from a shared cache, the dropout hash, the
 * first layer's scattered rows). So `gnnscale calibrate` also trains small GCNs on generated
 * graphs, reads the trainer's kernel clocks (core/flops.h) per category, and fits, per
 * category, the time the cost model charges:
 *
 *     seconds = kernel_scale · roofline seconds + kernel_call_s · calls
 *
 * by least squares on the relative error over the cases. The cases are generated graphs (no
 * bundled dataset), so the model is then validated out of sample on the real ones
 * (bench/validate_cost.py). */
#ifndef GS_CALIBRATE_H
#define GS_CALIBRATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/status.h"
#include "scaling/profile.h"

/* One calibration case: a generated graph and the GCN trained on it. */
typedef struct {
  int64_t nodes;
  int64_t edges;          /* undirected edges of the generated graph */
  int64_t features;
  int64_t feature_nnz_per_row; /* > 0: sparse binary features, this many per row; 0: dense */
  int32_t depth;
  int64_t width;
  bool residual_norm;     /* residual connections and LayerNorm */
} gs_calibration_case;

/* The measurement of one case: per category, the trainer's mean kernel seconds per epoch
 * and the cost model's roofline seconds and calls for the same epoch. */
typedef struct {
  gs_calibration_case what;
  double measured[GS_FLOPS_CATEGORIES];
  double roofline[GS_FLOPS_CATEGORIES];
  int64_t calls[GS_FLOPS_CATEGORIES];
} gs_calibration_point;

#define GS_CALIBRATION_CASES 6

/* The built-in cases: a Cora-sized sparse graph at widths 16 and 128, a Coauthor-sized one
 * at 64 and 256, a dense, denser graph at 64 and with residual + LayerNorm at depth 4. */
extern const gs_calibration_case gs_calibration_cases[GS_CALIBRATION_CASES];

/* Fits (scale, call) of one category to `count` observations y ≈ scale·a + call·k, minimising
 * the squared relative error; call >= 0, scale > 0 (observations with y <= 0 are skipped).
 * Leaves the outputs untouched when fewer than one usable observation exists. Returns the
 * mean absolute relative error of the fit (0 when nothing was fitted). */
double gs_calibration_fit(double *scale, double *call, const double *y, const double *a,
                          const int64_t *k, int count);

/* Measures every built-in case on this machine with p's thread count (`epochs` epochs each,
 * the first excluded as warm-up) and fits p->kernel_scale and p->kernel_call_s; the points
 * go to `points` (GS_CALIBRATION_CASES entries) when not NULL, and the mean absolute relative
 * error of each category's fit to `fit_error` when not NULL. p's other figures must already
 * be measured (gs_profile_measure). `progress` (may be NULL) gets one line per case.
 * Errors: GS_ERR_INVALID (epochs < 2), those of generating, building and training. */
gs_status gs_calibrate_kernels(gs_profile *p, int32_t epochs, gs_calibration_point *points,
                               double *fit_error, FILE *progress, gs_error *err);

#endif
