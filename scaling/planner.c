/* The planner (see planner.h): a full scan of a φ grid, each rounded model priced by the cost
 * model, and φ* the largest φ that fits every budget. */
#include "scaling/planner.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "core/runtime.h"

/* A grid point within this of phi_max still belongs to the grid (k·step is inexact). */
#define PHI_SLACK 1e-9

const char *gs_plan_budget_name(gs_plan_budget_kind kind) {
  switch (kind) {
    case GS_PLAN_MEMORY: return "memory";
    case GS_PLAN_TIME: return "time";
    case GS_PLAN_FLOPS: return "flops";
    case GS_PLAN_NONE: break;
  }
  return "none";
}

gs_plan_options gs_plan_options_default(void) {
  gs_plan_options o;
  memset(&o, 0, sizeof o);
  o.rule = gs_scaling_rule_default();
  o.cost = gs_cost_options_default();
  o.phi_step = 0.25;
  o.phi_max = 0.0;
  return o;
}

void gs_plan_release(gs_plan *plan) {
  if (!plan) return;
  gs_mem_free(plan->rows);
  memset(plan, 0, sizeof *plan);
  plan->best = -1;
  plan->stop_row = -1;
  plan->stops = GS_PLAN_NONE;
}

/* Prices the model of one φ into row; a rule without a model there (GS_ERR_RANGE) gives a
 * row with that status, anything else is an error of the whole plan. */
static gs_status plan_row(gs_plan_row *row, double phi, const gs_plan_options *o,
                          const gs_cost_data *data, const gs_profile *profile, gs_error *err) {
  memset(row, 0, sizeof *row);
  row->phi = phi;
  row->binding = GS_PLAN_NONE;
  gs_error local;
  gs_error_clear(&local);
  gs_status st = gs_scaling_apply(&row->spec, &o->rule, phi, &o->cost, data, &local);
  if (st == GS_OK)
    st = gs_cost_estimate(&row->cost, row->spec.depth, row->spec.width, row->spec.features,
                          &o->cost, data, profile, &local);
  if (st == GS_ERR_RANGE) {
    row->status = st;
    size_t len = strlen(local.msg);
    if (len >= sizeof row->note) len = sizeof row->note - 1; /* keep the start: it says why */
    memcpy(row->note, local.msg, len);
    row->note[len] = '\0';
    return GS_OK;
  }
  if (st != GS_OK) {
    if (err) *err = local;
    return st;
  }
  row->used[GS_PLAN_MEMORY] = (double)row->cost.peak_bytes;
  row->used[GS_PLAN_TIME] = row->cost.seconds_per_epoch;
  row->used[GS_PLAN_FLOPS] = (double)row->cost.epoch.total;
  row->fits = true;
  double worst = -1.0;
  for (int b = 0; b < GS_PLAN_BUDGETS; b++) {
    if (o->limit[b] <= 0.0) continue;
    row->ratio[b] = row->used[b] / o->limit[b];
    if (row->used[b] > o->limit[b]) row->fits = false;
    if (row->ratio[b] > worst) {
      worst = row->ratio[b];
      row->binding = (gs_plan_budget_kind)b;
    }
  }
  return GS_OK;
}

static double worst_ratio(const gs_plan_row *row) {
  double w = 0.0;
  for (int b = 0; b < GS_PLAN_BUDGETS; b++)
    if (row->ratio[b] > w) w = row->ratio[b];
  return w;
}

gs_status gs_plan_make(gs_plan *out, const gs_plan_options *opts, const gs_cost_data *data,
                       const gs_profile *profile, gs_error *err) {
  gs_status st = GS_OK;
  gs_plan plan;
  memset(&plan, 0, sizeof plan);
  plan.best = -1;
  plan.stop_row = -1;
  plan.stops = GS_PLAN_NONE;
  int64_t capacity = 0;

  bool any = false;
  for (int b = 0; b < GS_PLAN_BUDGETS; b++) {
    if (isnan(opts->limit[b]) || isinf(opts->limit[b]))
      return gs_error_set(err, GS_ERR_INVALID, "the %s budget must be a finite number",
                          gs_plan_budget_name((gs_plan_budget_kind)b));
    if (opts->limit[b] > 0.0) any = true;
  }
  if (!any)
    return gs_error_set(err, GS_ERR_INVALID,
                        "the planner needs a budget: memory, epoch time or FLOPs per epoch");
  if (opts->limit[GS_PLAN_TIME] > 0.0 && !profile)
    return gs_error_set(err, GS_ERR_INVALID,
                        "an epoch-time budget needs a machine profile to predict seconds");
  if (!(opts->phi_step > 0.0) || isinf(opts->phi_step))
    return gs_error_set(err, GS_ERR_INVALID, "the phi step %g must be positive", opts->phi_step);
  if (!(opts->phi_max >= 0.0) || isinf(opts->phi_max))
    return gs_error_set(err, GS_ERR_INVALID, "phi max %g must be finite and >= 0", opts->phi_max);
  if (opts->phi_max > 0.0 && opts->phi_max / opts->phi_step >= GS_PLAN_MAX_ROWS)
    return gs_error_set(err, GS_ERR_INVALID, "phi max %g with step %g makes more than %d rows",
                        opts->phi_max, opts->phi_step, GS_PLAN_MAX_ROWS);
  if (opts->rule.strategy == GS_SCALE_EXPLICIT)
    return gs_error_set(err, GS_ERR_INVALID,
                        "the planner scans phi: give a scaling strategy, not an explicit model");

  const bool automatic = opts->phi_max <= 0.0;
  const double last = automatic ? GS_PLAN_PHI_LIMIT : opts->phi_max;
  int32_t over = 0;
  for (int32_t k = 0; k < GS_PLAN_MAX_ROWS; k++) {
    const double phi = (double)k * opts->phi_step;
    if (phi > last + PHI_SLACK) break;
    if (plan.count >= capacity) {
      int64_t next = capacity ? 2 * capacity : 32;
      gs_plan_row *grown = gs_mem_realloc(plan.rows, (size_t)next * sizeof *grown, "plan");
      if (!grown) {
        st = gs_error_set(err, GS_ERR_NOMEM, "out of memory for %lld plan rows", (long long)next);
        goto fail;
      }
      plan.rows = grown;
      capacity = next;
    }
    gs_plan_row *row = &plan.rows[plan.count];
    GS_TRY(plan_row(row, phi, opts, data, profile, err));
    plan.count++;
    /* Every dimension only grows with φ: past a model the rule cannot make, none exists. */
    if (row->status != GS_OK) break;
    if (plan.count >= 2) {
      const gs_plan_row *prev = &plan.rows[plan.count - 2];
      row->same_as_previous = prev->status == GS_OK && prev->spec.depth == row->spec.depth &&
                              prev->spec.width == row->spec.width &&
                              prev->spec.features == row->spec.features;
    }
    if (automatic) {
      over = worst_ratio(row) > GS_PLAN_AUTO_RATIO ? over + 1 : 0;
      if (over >= GS_PLAN_AUTO_OVER) {
        plan.auto_stopped = true;
        break;
      }
    }
  }

  for (int32_t i = 0; i < plan.count; i++)
    if (plan.rows[i].status == GS_OK && plan.rows[i].fits) plan.best = i;
  if (plan.best >= 0) {
    for (int32_t i = plan.best + 1; i < plan.count; i++) {
      const gs_plan_row *row = &plan.rows[i];
      if (row->status != GS_OK || !row->fits) {
        plan.stop_row = i;
        plan.stops = row->status == GS_OK ? row->binding : GS_PLAN_NONE;
        break;
      }
    }
  } else if (plan.count > 0 && plan.rows[0].status == GS_OK) {
    const gs_plan_row *row = &plan.rows[0];
    for (int b = 0; b < GS_PLAN_BUDGETS; b++)
      if (opts->limit[b] > 0.0 && row->used[b] > opts->limit[b])
        plan.deficit[b] = row->used[b] - opts->limit[b];
  }
  *out = plan;
  return GS_OK;
fail:
  gs_mem_free(plan.rows);
  return st;
}
