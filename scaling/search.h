/* The α/β/γ search (EfficientNet's step 1, Tan & Le 2019, for a GNN; DESIGN.md §1): the
 * candidates (α, β, γ) on a grid whose rounded model at φ = 1 costs `factor` × the base by the
 * exact FLOP model, and the result file `gnnscale search` writes and `plan --from-search`
 * reads. Training the candidates is the command's job (cli/cmd_search.c). */
#ifndef GS_SEARCH_H
#define GS_SEARCH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"
#include "scaling/cost.h"
#include "scaling/rules.h"

/* Version of the result file format. */
#define GS_SEARCH_FORMAT_VERSION 1

typedef struct {
  double factor;     /* target cost factor at φ = 1 (default 2) */
  double tolerance;  /* accept |realised / factor − 1| <= tolerance (default 0.1) */
  double grid_step;  /* step of α, β, γ from 1 (default 0.05) */
  double alpha_max;  /* grid bounds (defaults 4, 4, 1 / r0 capped at 8): beyond them a */
  double beta_max;   /* model's depth or width is already 4x the base */
  double gamma_max;  /* <= 0: 1 / r0 (γ = 1 only when r0 = 1, since r is capped at 1) */
} gs_search_options;

gs_search_options gs_search_options_default(void);

typedef struct {
  double alpha, beta, gamma;
  gs_scaling_spec spec; /* the rounded model at φ = 1 */
} gs_search_candidate;

/* Every (α, β, γ) = 1 + step·(i, j, k) within the bounds whose rounded dwr model at φ = 1 has
 * a realised FLOP factor within tolerance of the target, one per distinct rounded (depth,
 * width, features): of those rounding alike the one whose continuous model at φ = 1 is
 * nearest (in log space) the rounded one, then the smallest α + β + γ. Sorted by depth, width, features. base gives the base model, the
 * width multiple and the cost options; its strategy and constants are ignored. *out is
 * gs_mem_alloc'd (release with gs_mem_free), *count may be 0 (no candidate: not an error).
 * Errors: GS_ERR_INVALID (factor <= 1, tolerance outside (0, 1), step <= 0, bounds < 1, a
 * grid of more than 10^6 points, a bad base), GS_ERR_NOMEM, those of gs_scaling_apply. */
gs_status gs_search_candidates(gs_search_candidate **out, int32_t *count,
                               const gs_scaling_rule *base, const gs_search_options *opts,
                               const gs_cost_options *cost, const gs_cost_data *data,
                               gs_error *err);

/* Accuracy of a model over seeds: mean and sample standard deviation. */
typedef struct {
  double val_mean, val_std, test_mean, test_std;
} gs_search_accuracy;

/* What the result file holds: the searched constants, how they were found, and the
 * accuracies that justify them. */
typedef struct {
  char dataset[256];
  double factor, tolerance, grid_step;
  int32_t base_depth;
  int64_t base_width;
  double base_resolution;
  int64_t width_multiple;
  double alpha, beta, gamma;      /* the best candidate by validation accuracy */
  int32_t depth;                  /* its rounded model at φ = 1 */
  int64_t width, features;
  double realised_factor;
  int32_t seeds, epochs, candidates;
  gs_search_accuracy best;        /* of the best candidate */
  gs_search_accuracy base;        /* of the base model (φ = 0) */
} gs_search_result;

/* Writes r as `key = value` lines (a comment header, then "version = 1" first) to path
 * through a temporary file in the same folder renamed over path. Numbers with %.17g.
 * Errors: GS_ERR_INVALID (a non-finite number, constants < 1, a bad base), GS_ERR_IO. */
gs_status gs_search_result_save(const gs_search_result *r, const char *path, gs_error *err);

/* Reads a file written by gs_search_result_save. Blank lines and '#' lines are skipped.
 * Errors name the file and line ("s.txt:4: ..."; line 0 for a missing key, reported at the
 * end of the file as "s.txt:N: missing key 'alpha'"): GS_ERR_NOT_FOUND or GS_ERR_IO (cannot
 * open), GS_ERR_PARSE (no '=', unknown or repeated key, not a number, a line too long, a
 * missing key, version not the first key), GS_ERR_MISMATCH (a version other than
 * GS_SEARCH_FORMAT_VERSION), GS_ERR_RANGE (constants < 1, a bad base or model). *r is written
 * only on success. */
gs_status gs_search_result_load(gs_search_result *r, const char *path, gs_error *err);

#endif
