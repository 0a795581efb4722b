/* The kernel fit of a machine profile: the roofline of scaling/cost.c, built from STREAM and
 * sgemm figures, misses what the trainer's kernels really do on this machine (OpenMP wake-ups
 * between kernels, the row kernel's gather rate from a shared cache, the dropout hash, the
 * first layer's scattered rows). So `gnnscale calibrate` also trains small GCNs on generated
 * graphs, reads the trainer's kernel clocks (core/flops.h) per category, and fits, per
 * category, the time the cost model charges:
 *
 *     seconds = kernel_scale · roofline seconds + kernel_call_s · calls
 *               + kernel_entry_s · entries
 *
 * (entries: the sparse non-zeros a sparse kernel walks, each with its index loads, loop step
 * and, in the first layer, a dropout hash, whatever the width) by least squares on the
 * relative error over the cases, with every coefficient non-negative. The cases are generated graphs (no
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

/* The measurement of one case: per category, the trainer's median kernel seconds per epoch
 * and the cost model's roofline seconds and calls for the same epoch. */
typedef struct {
  gs_calibration_case what;
  int32_t epochs;         /* epochs trained (the first excluded from the medians) */
  double measured[GS_FLOPS_CATEGORIES];
  double roofline[GS_FLOPS_CATEGORIES];
  int64_t calls[GS_FLOPS_CATEGORIES];
  double entries[GS_FLOPS_CATEGORIES];
} gs_calibration_point;

/* The terms of the fit: roofline seconds, calls, entries. */
#define GS_CALIBRATION_TERMS 3

#define GS_CALIBRATION_CASES 8

/* The built-in cases: Cora-sized sparse graphs at widths 16 and 128, a CiteSeer-sized one at
 * 64, Coauthor-sized ones at 16, 64 (depth 3) and 256, a denser graph with dense features at
 * 64 and with residual + LayerNorm at depth 4. */
extern const gs_calibration_case gs_calibration_cases[GS_CALIBRATION_CASES];

/* Fits coef (roofline scale, seconds per call, seconds per entry) of one category to `count`
 * observations y[i] ≈ Σ_j coef[j] · basis[j][i], minimising the squared relative error with
 * coef[0] > 0 and the others >= 0 (observations with y <= 0 are skipped; a term whose basis is
 * all zero gets 0). Leaves coef untouched when nothing can be fitted. Returns the mean
 * absolute relative error of the fit (0 when nothing was fitted). */
double gs_calibration_fit(double coef[GS_CALIBRATION_TERMS], const double *y,
                          const double *const basis[GS_CALIBRATION_TERMS], int count);

/* How the kernel fit is run. */
typedef struct {
  int32_t min_epochs;     /* epochs of every run at least (>= 2; the first is a warm-up) */
  double seconds;         /* the budget of the whole fit, generation included (> 0) */
  gs_profile_clock clock; /* NULL: gs_clock_seconds (tests pass a fake one) */
  void *clock_ctx;
} gs_calibrate_options;

/* 3 epochs at least, 15 s, the real clock. */
gs_calibrate_options gs_calibrate_options_default(void);

/* What the fit did. */
typedef struct {
  int rounds;                            /* rounds over all cases (1 to 3) */
  int32_t epochs[GS_CALIBRATION_CASES];  /* epochs of each case's runs (the last round's) */
  double prepare_seconds;                /* generating the graphs and pricing the cases */
  double planned_seconds;                /* the sum of each run's planned seconds */
  double floor_seconds;                  /* what o->min_epochs of every run would plan */
  double seconds;                        /* the whole fit, by the options' clock */
} gs_calibrate_report;

/* Measures every built-in case on this machine with p's thread count and fits
 * p->kernel_scale, kernel_call_s and kernel_entry_s, within about o->seconds: the graphs are
 * generated once, then up to three rounds run over the cases (each case's times are the
 * median over the rounds; a round starts only when the time left covers the last one). Each
 * run trains as many epochs as its share of the time left affords at the epoch time the
 * unfitted profile predicts, corrected by how far the runs so far took longer, between
 * o->min_epochs and 400 (about 0.4 s a run when the budget is ample). The first epoch of a
 * run is excluded as warm-up. The points go to `points` (GS_CALIBRATION_CASES entries) and
 * the mean absolute relative error of each category's fit to `fit_error` when not NULL; what
 * was done to `report` when not NULL. p's other figures must already be measured
 * (gs_profile_measure). `progress` (may be NULL) gets one line per run. Errors:
 * GS_ERR_INVALID (min_epochs < 2, a budget not positive and finite), those of generating,
 * building and training. */
gs_status gs_calibrate_kernels(gs_profile *p, const gs_calibrate_options *o,
                               gs_calibration_point *points, double *fit_error,
                               gs_calibrate_report *report, FILE *progress, gs_error *err);

#endif
