/* The planner (see planner.h): a full scan of a φ grid, each rounded model priced by the cost
 * model, and φ* the largest φ that fits every budget. */
#include "scaling/planner.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "core/mem.h"
#include "core/runtime.h"

/* A grid point within this of phi_max still belongs to the grid (k·step is inexact). */
#define PHI_SLACK 1e-9
/* Widest model an accuracies file may name (the scaling rules' limit). */
#define PLAN_MAX_WIDTH ((int64_t)1 << 20)
#define PLAN_LINE_MAX 1024

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

/* What a model of cost c uses of each budget of o (used, ratio = used / limit, 0 for an
 * unset budget; memory is the counted peak plus o's resident bytes, time the predicted epoch
 * with o's headroom), the budget with the
 * largest ratio (binding), and whether all hold. */
static bool judge(double used[GS_PLAN_BUDGETS], double ratio[GS_PLAN_BUDGETS],
                  gs_plan_budget_kind *binding, const gs_cost *c, const gs_plan_options *o) {
  used[GS_PLAN_MEMORY] = (double)c->peak_bytes + o->resident_bytes;
  used[GS_PLAN_TIME] = c->seconds_per_epoch * (1.0 + o->time_headroom);
  used[GS_PLAN_FLOPS] = (double)c->epoch.total;
  bool fits = true;
  double worst = -1.0;
  *binding = GS_PLAN_NONE;
  for (int b = 0; b < GS_PLAN_BUDGETS; b++) {
    ratio[b] = 0.0;
    if (o->limit[b] <= 0.0) continue;
    ratio[b] = used[b] / o->limit[b];
    if (used[b] > o->limit[b]) fits = false;
    if (ratio[b] > worst) {
      worst = ratio[b];
      *binding = (gs_plan_budget_kind)b;
    }
  }
  return fits;
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
  row->fits = judge(row->used, row->ratio, &row->binding, &row->cost, o);
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
  if (!(opts->time_headroom >= 0.0) || isinf(opts->time_headroom))
    return gs_error_set(err, GS_ERR_INVALID, "time headroom %g must be finite and >= 0",
                        opts->time_headroom);
  if (!(opts->resident_bytes >= 0.0) || isinf(opts->resident_bytes))
    return gs_error_set(err, GS_ERR_INVALID, "resident bytes %g must be finite and >= 0",
                        opts->resident_bytes);
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

/* ---------------------------------------------------------------------------------------- */
/* Known accuracies and utility                                                              */
/* ---------------------------------------------------------------------------------------- */

static bool known_same_model(const gs_plan_known *k, int32_t depth, int64_t width,
                             int64_t features) {
  return k->depth == depth && k->width == width && k->features == features;
}

gs_status gs_plan_known_add(gs_plan_known_list *list, const gs_plan_known *k, gs_error *err) {
  if (k->depth < 1 || k->depth > GS_MAX_LAYERS || k->width < 1 || k->features < 1)
    return gs_error_set(err, GS_ERR_INVALID, "%s: depth %d (1..%d), width %lld, features %lld "
                        "(>= 1)", k->source, (int)k->depth, GS_MAX_LAYERS, (long long)k->width,
                        (long long)k->features);
  if (!(k->val_acc >= 0.0 && k->val_acc <= 1.0))
    return gs_error_set(err, GS_ERR_INVALID, "%s: val_acc %g is not a fraction in [0, 1]",
                        k->source, k->val_acc);
  if (list->count == list->capacity) {
    const int32_t next = list->capacity ? 2 * list->capacity : 16;
    gs_plan_known *grown = gs_mem_realloc(list->items, (size_t)next * sizeof *grown, "plan");
    if (!grown) return gs_error_set(err, GS_ERR_NOMEM, "out of memory for %d known models", next);
    list->items = grown;
    list->capacity = next;
  }
  list->items[list->count++] = *k;
  return GS_OK;
}

void gs_plan_known_release(gs_plan_known_list *list) {
  if (!list) return;
  gs_mem_free(list->items);
  memset(list, 0, sizeof *list);
}

/* Parses an integer field of an accuracies line within [lo, hi]. */
static gs_status known_int(int64_t *out, const char *tok, const char *name, int64_t lo,
                           int64_t hi, const char *path, long lineno, gs_error *err) {
  char *end = NULL;
  errno = 0;
  long long v = strtoll(tok, &end, 10);
  if (end == tok || *end || errno == ERANGE)
    return gs_error_set(err, GS_ERR_PARSE, "%s:%ld: %s '%s' is not an integer", path, lineno,
                        name, tok);
  if (v < lo || v > hi) {
    if (hi == INT64_MAX)
      return gs_error_set(err, GS_ERR_RANGE, "%s:%ld: %s %lld must be >= %lld", path, lineno,
                          name, v, (long long)lo);
    return gs_error_set(err, GS_ERR_RANGE, "%s:%ld: %s %lld is outside %lld..%lld", path, lineno,
                        name, v, (long long)lo, (long long)hi);
  }
  *out = (int64_t)v;
  return GS_OK;
}

gs_status gs_plan_known_read(gs_plan_known_list *list, const char *path, gs_error *err) {
  char buf[PLAN_LINE_MAX];
  gs_line_reader in;
  gs_status st = gs_line_open(&in, path, buf, sizeof buf, err);
  if (st != GS_OK) return st;
  const int32_t start = list->count;
  for (;;) {
    char *line = NULL;
    GS_TRY(gs_line_next(&in, &line, err));
    if (!line) break;
    char *hash = strchr(line, '#');
    if (hash) *hash = '\0';
    char *tok[5];
    int n = 0;
    for (char *p = line; *p;) {
      while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
      if (!*p) break;
      if (n < 5) tok[n] = p;
      n++;
      while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') p++;
      if (*p) *p++ = '\0';
    }
    if (n == 0) continue;
    if (n != 4) {
      st = gs_error_set(err, GS_ERR_PARSE, "%s:%ld: expected 4 fields 'depth width features "
                        "val_acc', got %d", path, in.line, n);
      goto fail;
    }
    gs_plan_known k;
    memset(&k, 0, sizeof k);
    int64_t depth = 0;
    GS_TRY(known_int(&depth, tok[0], "depth", 1, GS_MAX_LAYERS, path, in.line, err));
    GS_TRY(known_int(&k.width, tok[1], "width", 1, PLAN_MAX_WIDTH, path, in.line, err));
    GS_TRY(known_int(&k.features, tok[2], "features", 1, INT64_MAX, path, in.line, err));
    k.depth = (int32_t)depth;
    char *end = NULL;
    errno = 0;
    k.val_acc = strtod(tok[3], &end);
    if (end == tok[3] || *end || errno == ERANGE) {
      st = gs_error_set(err, GS_ERR_PARSE, "%s:%ld: val_acc '%s' is not a number", path, in.line,
                        tok[3]);
      goto fail;
    }
    if (!(k.val_acc >= 0.0 && k.val_acc <= 1.0)) {
      st = gs_error_set(err, GS_ERR_RANGE, "%s:%ld: val_acc %s is not a fraction in [0, 1]%s",
                        path, in.line, tok[3],
                        k.val_acc > 1.0 && k.val_acc <= 100.0 ? " (write percentages / 100)" : "");
      goto fail;
    }
    for (int32_t i = start; i < list->count; i++)
      if (known_same_model(&list->items[i], k.depth, k.width, k.features)) {
        st = gs_error_set(err, GS_ERR_PARSE, "%s:%ld: model (depth %d, width %lld, features "
                          "%lld) is already listed at %s: give one line per model (the mean over "
                          "seeds)", path, in.line, (int)k.depth, (long long)k.width,
                          (long long)k.features, list->items[i].source);
        goto fail;
      }
    snprintf(k.source, sizeof k.source, "%s:%ld", path, in.line);
    GS_TRY(gs_plan_known_add(list, &k, err));
  }
  if (list->count == start) {
    st = gs_error_set(err, GS_ERR_PARSE, "%s:%ld: no models (lines 'depth width features "
                      "val_acc')", path, in.line);
    goto fail;
  }
  gs_line_close(&in);
  return GS_OK;
fail:
  list->count = start;
  gs_line_close(&in);
  return st;
}

void gs_plan_utility_release(gs_plan_utility *u) {
  if (!u) return;
  gs_mem_free(u->items);
  gs_mem_free(u->row_item);
  memset(u, 0, sizeof *u);
  u->best_grid = -1;
  u->best_any = -1;
}

/* Orders off-grid items by FLOPs per epoch, then by their listing. */
static int compare_scored(const void *pa, const void *pb) {
  const gs_plan_scored *a = pa, *b = pb;
  if (a->cost.epoch.total != b->cost.epoch.total)
    return a->cost.epoch.total < b->cost.epoch.total ? -1 : 1;
  return (a->known > b->known) - (a->known < b->known);
}

/* Whether item a should replace b as the best: higher utility, then cheaper. Equal items keep
 * the earlier one (the smaller φ on the grid). */
static bool better_utility(const gs_plan_scored *a, const gs_plan_scored *b) {
  if (a->utility != b->utility) return a->utility > b->utility;
  return a->cost.epoch.total < b->cost.epoch.total;
}

gs_status gs_plan_utility_make(gs_plan_utility *out, const gs_plan *plan,
                               const gs_plan_options *opts, const gs_plan_known *known,
                               int32_t count, double lambda, const gs_cost_data *data,
                               const gs_profile *profile, gs_error *err) {
  gs_status st = GS_OK;
  gs_plan_utility u;
  memset(&u, 0, sizeof u);
  u.best_grid = -1;
  u.best_any = -1;
  if (!(lambda >= 0.0) || isinf(lambda))
    return gs_error_set(err, GS_ERR_INVALID, "lambda %g must be finite and >= 0", lambda);
  if (count < 0 || (count > 0 && !known))
    return gs_error_set(err, GS_ERR_INVALID, "bad list of %d known models", (int)count);
  if (plan->count < 1 || plan->rows[0].status != GS_OK || plan->rows[0].cost.epoch.total <= 0)
    return gs_error_set(err, GS_ERR_INVALID,
                        "the plan has no base model at phi = 0 to measure costs against");
  u.lambda = lambda;
  u.base_flops = plan->rows[0].cost.epoch.total;
  u.row_item = gs_mem_alloc((size_t)plan->count * sizeof *u.row_item, "plan");
  u.items = gs_mem_alloc((size_t)(count > 0 ? count : 1) * sizeof *u.items, "plan");
  if (!u.row_item || !u.items) {
    st = gs_error_set(err, GS_ERR_NOMEM, "out of memory for %d known models", (int)count);
    goto fail;
  }
  /* On the grid: each row takes the last listing of its model. */
  for (int32_t r = 0; r < plan->count; r++) {
    const gs_plan_row *row = &plan->rows[r];
    u.row_item[r] = -1;
    if (row->status != GS_OK) continue;
    int32_t k = -1;
    for (int32_t i = 0; i < count; i++)
      if (known_same_model(&known[i], row->spec.depth, row->spec.width, row->spec.features)) k = i;
    if (k < 0) continue;
    int32_t item = -1;
    for (int32_t j = 0; j < u.count; j++)
      if (u.items[j].known == k) item = j;
    if (item < 0) {
      item = u.count++;
      gs_plan_scored *s = &u.items[item];
      memset(s, 0, sizeof *s);
      s->known = k;
      s->row_first = r;
      s->cost = row->cost;
      memcpy(s->used, row->used, sizeof s->used);
      memcpy(s->ratio, row->ratio, sizeof s->ratio);
      s->fits = row->fits;
      s->binding = row->binding;
    }
    u.items[item].row_last = r;
    u.row_item[r] = item;
  }
  u.on_grid = u.count;
  /* Off the grid: the last listing of every other model, priced the same way. */
  for (int32_t i = 0; i < count; i++) {
    const gs_plan_known *k = &known[i];
    bool later = false, listed = false;
    for (int32_t j = i + 1; j < count && !later; j++)
      later = known_same_model(&known[j], k->depth, k->width, k->features);
    for (int32_t j = 0; j < u.on_grid && !listed; j++)
      listed = known_same_model(&known[u.items[j].known], k->depth, k->width, k->features);
    if (later || listed) continue;
    gs_plan_scored *s = &u.items[u.count];
    memset(s, 0, sizeof *s);
    s->known = i;
    s->row_first = s->row_last = -1;
    gs_error local;
    gs_error_clear(&local);
    st = gs_cost_estimate(&s->cost, k->depth, k->width, k->features, &opts->cost, data, profile,
                          &local);
    if (st != GS_OK) {
      if (err) {
        *err = local;
        gs_error_prefix(err, "%s: ", k->source);
      }
      goto fail;
    }
    s->fits = judge(s->used, s->ratio, &s->binding, &s->cost, opts);
    u.count++;
  }
  if (u.count - u.on_grid > 1)
    qsort(u.items + u.on_grid, (size_t)(u.count - u.on_grid), sizeof *u.items, compare_scored);
  for (int32_t i = 0; i < u.count; i++) {
    gs_plan_scored *s = &u.items[i];
    s->val_acc = known[s->known].val_acc;
    s->cost_ratio = (double)s->cost.epoch.total / (double)u.base_flops;
    s->utility = s->val_acc - lambda * log2(s->cost_ratio);
    if (!s->fits) continue;
    if (i < u.on_grid && (u.best_grid < 0 || better_utility(s, &u.items[u.best_grid])))
      u.best_grid = i;
    if (u.best_any < 0 || better_utility(s, &u.items[u.best_any])) u.best_any = i;
  }
  *out = u;
  return GS_OK;
fail:
  gs_mem_free(u.items);
  gs_mem_free(u.row_item);
  return st;
}
