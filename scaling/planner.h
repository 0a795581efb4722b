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

#endif
