/* The planner (DESIGN.md §5): for a scaling rule and budgets on peak memory, epoch time and
 * FLOPs per epoch, price the rounded model at every φ of a grid and pick φ* = the largest φ
 * whose model fits. Rounding and storage switches make cost non-monotone in φ, so the grid is
 * scanned in full, never bisected; when nothing fits, the plan says which budget fails at
 * φ = 0 and by how much. EfficientNet states the same problem (Tan & Le 2019, eq. 2). */
#ifndef GS_PLANNER_H
#define GS_PLANNER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"
#include "scaling/cost.h"
#include "scaling/profile.h"
#include "scaling/rules.h"

typedef enum {
  GS_PLAN_NONE = -1,
  GS_PLAN_MEMORY = 0, /* predicted peak bytes */
  GS_PLAN_TIME = 1,   /* predicted seconds per epoch */
  GS_PLAN_FLOPS = 2   /* FLOPs per epoch */
} gs_plan_budget_kind;

#define GS_PLAN_BUDGETS 3

/* "memory", "time", "flops" ("none" for GS_PLAN_NONE). */
const char *gs_plan_budget_name(gs_plan_budget_kind kind);

/* The automatic end of a scan without phi_max: after this many consecutive rows that exceed
 * a budget by more than GS_PLAN_AUTO_RATIO (rounding and storage switches move the cost by
 * far less than that), or at GS_PLAN_PHI_LIMIT. No scan has more than GS_PLAN_MAX_ROWS. */
#define GS_PLAN_AUTO_OVER 4
#define GS_PLAN_AUTO_RATIO 2.0
#define GS_PLAN_PHI_LIMIT 64.0
#define GS_PLAN_MAX_ROWS 4096

typedef struct {
  gs_scaling_rule rule;   /* any strategy but GS_SCALE_EXPLICIT */
  gs_cost_options cost;
  double limit[GS_PLAN_BUDGETS]; /* bytes, seconds, FLOPs; <= 0: no such budget (at least one
                                    must be set; a time budget needs a profile) */
  double resident_bytes;  /* bytes resident beyond the counting allocator (code, libraries,
                             runtime), added to each model's counted peak before the memory
                             budget, so that it bounds the process's peak RSS; 0 (default):
                             the budget bounds the counted bytes alone */
  double time_headroom;   /* >= 0: a model uses its predicted epoch time × (1 + this) of the
                             time budget, a margin for the time model's error (about ±20%
                             on the validation grid; default 0) */
  double phi_step;        /* grid step (default 0.25) */
  double phi_max;         /* last φ of the grid; <= 0: stop automatically (default) */
} gs_plan_options;

gs_plan_options gs_plan_options_default(void);

typedef struct {
  double phi;
  gs_status status;       /* GS_OK, or GS_ERR_RANGE when the rule has no model at this φ */
  char note[256];         /* why, when status is not GS_OK */
  gs_scaling_spec spec;
  gs_cost cost;
  double used[GS_PLAN_BUDGETS];  /* bytes, seconds, FLOPs of this model */
  double ratio[GS_PLAN_BUDGETS]; /* used / limit (0 for an unset budget) */
  bool fits;
  gs_plan_budget_kind binding;   /* the budget with the largest ratio */
  bool same_as_previous;  /* the same rounded (depth, width, features) as the row before */
} gs_plan_row;

typedef struct {
  int32_t count;
  gs_plan_row *rows;      /* [count], gs_mem_alloc'd; release with gs_plan_release */
  int32_t best;           /* row of φ*, -1 when nothing fits */
  gs_plan_budget_kind stops; /* the budget the first row beyond φ* fails (NONE: the grid ended) */
  int32_t stop_row;       /* that row, or -1 */
  double deficit[GS_PLAN_BUDGETS]; /* nothing fits: used - limit at φ = 0 for each failing
                                      budget (0 for those that hold) */
  bool auto_stopped;      /* the scan ended by the automatic rule, not at phi_max */
} gs_plan;

/* Scans φ = 0, step, 2·step, ... and prices each rounded model with gs_scaling_apply and
 * gs_cost_estimate. A φ whose model exceeds the model's limits (GS_ERR_RANGE) ends the scan
 * with a row that says so. Nothing fitting is not an error: best is -1 and deficit says by
 * how much φ = 0 misses. Errors: GS_ERR_INVALID (no budget, a time budget without a profile,
 * step <= 0, phi_max < 0, the explicit strategy, or what gs_scaling_apply rejects),
 * GS_ERR_NOMEM, and the errors of the cost model. *out is written only on success. */
gs_status gs_plan_make(gs_plan *out, const gs_plan_options *opts, const gs_cost_data *data,
                       const gs_profile *profile, gs_error *err);

/* Frees the rows and zeroes the plan. NULL-safe. */
void gs_plan_release(gs_plan *plan);

/* ---------------------------------------------------------------------------------------- */
/* Utility of models whose accuracy is known (DESIGN.md §5)                                  */
/* ---------------------------------------------------------------------------------------- */

/* Accuracy is not monotone in φ on small graphs, so where validation accuracies are known
 * (from `gnnscale search` or a sweep) the planner also ranks models by the utility
 *   U = val_acc − λ·log2(cost / base cost),
 * cost = FLOPs per epoch by the exact cost model, base = the rule's model at φ = 0. With
 * val_acc a fraction in [0, 1], λ = 0.01 trades one accuracy point per doubling of cost. */

#define GS_PLAN_SOURCE_MAX 256

/* A model whose validation accuracy is known. */
typedef struct {
  int32_t depth;
  int64_t width, features;
  double val_acc;                   /* fraction in [0, 1] */
  char source[GS_PLAN_SOURCE_MAX];  /* where it comes from, for messages ("sweep.txt:4") */
} gs_plan_known;

/* A growing list of known models (items gs_mem_alloc'd). Zero-initialise it. */
typedef struct {
  int32_t count, capacity;
  gs_plan_known *items;
} gs_plan_known_list;

/* Appends a copy of *k. Errors: GS_ERR_INVALID (depth outside 1..GS_MAX_LAYERS, width or
 * features < 1, val_acc outside [0, 1]), GS_ERR_NOMEM. */
gs_status gs_plan_known_add(gs_plan_known_list *list, const gs_plan_known *k, gs_error *err);

/* Appends the models of an accuracies file: plain text, one model per line,
 *   DEPTH WIDTH FEATURES VAL_ACC        e.g. "2 32 1433 0.812"
 * fields separated by spaces or tabs; VAL_ACC the mean validation accuracy as a fraction in
 * [0, 1]; '#' starts a comment (a whole line or the rest of one); blank lines are skipped.
 * Each model (depth, width, features) at most once per file. Each item's source is
 * "path:line". Errors name the file and line: GS_ERR_NOT_FOUND or GS_ERR_IO (cannot open or
 * read), GS_ERR_PARSE (not 4 fields, a field that is not a number, a line too long, a model
 * listed twice, a file without models), GS_ERR_RANGE (depth outside 1..GS_MAX_LAYERS, width
 * outside 1..2^20, features < 1, val_acc outside [0, 1]), GS_ERR_NOMEM. On error the list is
 * as it was. */
gs_status gs_plan_known_read(gs_plan_known_list *list, const char *path, gs_error *err);

/* Frees the items and zeroes the list. NULL-safe. */
void gs_plan_known_release(gs_plan_known_list *list);

/* One distinct known model, priced and scored. */
typedef struct {
  int32_t known;          /* index in the known list of the listing used: when a model is
                             listed more than once, the last listing wins */
  int32_t row_first;      /* the first and last plan rows whose rounded model it is; */
  int32_t row_last;       /* -1: off the φ grid (the rule never makes this model) */
  gs_cost cost;           /* the row's cost on the grid; off it, priced the same way */
  double used[GS_PLAN_BUDGETS];
  double ratio[GS_PLAN_BUDGETS];
  bool fits;              /* every budget holds */
  gs_plan_budget_kind binding;
  double val_acc;
  double cost_ratio;      /* FLOPs per epoch / the base's */
  double utility;         /* val_acc − λ·log2(cost_ratio) */
} gs_plan_scored;

typedef struct {
  double lambda;
  int64_t base_flops;     /* FLOPs per epoch of the base (φ = 0) */
  int32_t count;          /* distinct known models */
  gs_plan_scored *items;  /* [count], gs_mem_alloc'd: those on the grid in φ order, then
                             those off it by cost */
  int32_t on_grid;        /* items[0 .. on_grid) are on the grid */
  int32_t *row_item;      /* [plan rows], gs_mem_alloc'd: the item of each row, -1: unknown */
  int32_t best_grid;      /* the item of highest utility among those on the grid that fit
                             (ties: the cheaper, then the smaller φ); -1: none */
  int32_t best_any;       /* the same over every item, on the grid or off it; -1: none */
} gs_plan_utility;

/* Scores the known models against a plan made by gs_plan_make with the same opts, data and
 * profile: a known model whose (depth, width, features) is a row's rounded model takes that
 * row's cost; any other is priced with gs_cost_estimate and judged against the same budgets.
 * The base cost is row 0's (φ = 0). count may be 0 (no items). Cost: one gs_cost_estimate
 * per off-grid model. Errors: GS_ERR_INVALID (lambda negative or not finite, a plan whose row
 * 0 has no model), GS_ERR_NOMEM, and those of gs_cost_estimate for an off-grid model (such as
 * GS_ERR_INVALID for more features than the dataset has), the message prefixed with the
 * model's source. *out is written only on success. */
gs_status gs_plan_utility_make(gs_plan_utility *out, const gs_plan *plan,
                               const gs_plan_options *opts, const gs_plan_known *known,
                               int32_t count, double lambda, const gs_cost_data *data,
                               const gs_profile *profile, gs_error *err);

/* Frees the items and the row map and zeroes u. NULL-safe. */
void gs_plan_utility_release(gs_plan_utility *u);

#endif
