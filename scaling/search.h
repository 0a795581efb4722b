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

/* Version of the result file format that gs_search_result_save writes. Version 2 adds the
 * `models` key and one `model = ...` line per trained model; version 1 files still load. */
#define GS_SEARCH_FORMAT_VERSION 2

/* Most models a result holds: the base, the three single-dimension scalings and up to
 * GS_SEARCH_MAX_MODELS - 4 candidates (`gnnscale search` trains no more). A fixed capacity
 * keeps gs_search_result a plain value that needs no release, and keeps it out of the
 * counting allocator whose figures `gnnscale train` compares with the cost model. */
#define GS_SEARCH_MAX_MODELS 256

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

/* Which model of a search a result line describes; its name is the KIND token of the file. */
typedef enum {
  GS_SEARCH_MODEL_BASE = 0,       /* "base": the base model (φ = 0) */
  GS_SEARCH_MODEL_DEPTH_ONLY = 1, /* "depth-only": depth alone scaled to the target cost */
  GS_SEARCH_MODEL_WIDTH_ONLY = 2, /* "width-only" */
  GS_SEARCH_MODEL_RES_ONLY = 3,   /* "res-only": resolution alone */
  GS_SEARCH_MODEL_CANDIDATE = 4   /* "candidate": the rounded dwr model of (α, β, γ) at φ = 1 */
} gs_search_model_kind;

#define GS_SEARCH_MODEL_KINDS 5

/* "base", "depth-only", "width-only", "res-only", "candidate" ("unknown" otherwise). */
const char *gs_search_model_kind_name(gs_search_model_kind kind);

/* One trained model and its accuracy over the search's seeds. */
typedef struct {
  gs_search_model_kind kind;
  int32_t depth;
  int64_t width;
  int64_t features;          /* feature columns kept; 0 (the base only): not recorded, as in a
                                version 1 file: ceil(base_resolution · f0) on the dataset */
  double cost_factor;        /* FLOPs per epoch / the base's, by the exact cost model */
  gs_search_accuracy acc;
  double alpha, beta, gamma; /* a candidate's constants (each >= 1); 0 for the other kinds */
} gs_search_model;

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
  int32_t format_version;         /* the version the file was read from (save ignores it) */
  int32_t model_count;            /* models[0 .. model_count), at most GS_SEARCH_MAX_MODELS */
  gs_search_model models[GS_SEARCH_MAX_MODELS]; /* every model trained, in the file's order:
                                                   the base, the single-dimension scalings,
                                                   then the candidates */
} gs_search_result;

/* Writes r as `key = value` lines to path through a temporary file in the same folder renamed
 * over path. Numbers with %.17g. The layout of version 2 (GS_SEARCH_FORMAT_VERSION):
 *
 *   # comments                      (and blank lines: skipped anywhere)
 *   version = 2                     (the first key)
 *   dataset = cora                  (then every key of version 1, in any order: factor,
 *   ...                              tolerance, ..., base_test_std)
 *   models = N                      (the number of model lines)
 *   model = KIND DEPTH WIDTH FEATURES COST_FACTOR VAL_MEAN VAL_STD TEST_MEAN TEST_STD [A B G]
 *
 * one `model` line per element of r->models, separated by spaces or tabs: KIND one of
 * gs_search_model_kind_name's tokens; accuracies as fractions in [0, 1] (mean and sample
 * standard deviation over the seeds); ALPHA BETA GAMMA follow on candidate lines only. At most
 * one line of each kind but candidate. Version 1 is the same without `models` and model lines.
 * Errors: GS_ERR_INVALID (a non-finite number, constants < 1, a bad base, a bad model or
 * model_count), GS_ERR_IO. */
gs_status gs_search_result_save(const gs_search_result *r, const char *path, gs_error *err);

/* Reads a file written by gs_search_result_save, of version 1 or 2. Blank lines and '#' lines
 * are skipped. A version 1 file records no model lines: its two known models are synthesised
 * from its keys, the base (base_depth, base_width, features 0, cost factor 1, base_*) and the
 * best candidate (alpha, beta, gamma, depth, width, features, realised_factor, best_*), so
 * that readers can treat both versions alike. Errors name the file and line ("s.txt:4: ...";
 * a missing key is reported at the end of the file as "s.txt:N: missing key 'alpha'"):
 * GS_ERR_NOT_FOUND or GS_ERR_IO (cannot open), GS_ERR_PARSE (no '=', unknown or repeated key,
 * not a number, a line too long, a missing key, version not the first key; a model line with
 * the wrong number of fields, an unknown kind or a field that is not a number, a second line
 * of a kind other than candidate, model lines in a version 1 file, a `models` count other
 * than the number of model lines), GS_ERR_MISMATCH (a version other than 1 or 2),
 * GS_ERR_RANGE (constants < 1, a bad base or model; a model line with a depth outside
 * 1..GS_MAX_LAYERS, width or features < 1, a cost factor not finite and > 0, an accuracy
 * outside [0, 1], constants < 1, or more than GS_SEARCH_MAX_MODELS lines). *r is written only
 * on success. */
gs_status gs_search_result_load(gs_search_result *r, const char *path, gs_error *err);

/* The dwr rule a search found: strategy dwr with its constants (constants_default false), its
 * base and its width multiple; the rest of *rule (a, explicit sizes) is left as it is. */
void gs_search_result_rule(const gs_search_result *r, gs_scaling_rule *rule);

#endif
