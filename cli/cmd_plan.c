/* gnnscale plan: the largest scaled GCN that fits a memory budget (and optionally an epoch-time
 * or FLOP budget) on a dataset, by pricing the rounded model at every φ of a grid with the
 * cost model (DESIGN.md §5). Prints the whole table, φ*, which budget binds, and when nothing
 * fits, which budget fails at φ = 0 and by how much. Where validation accuracies are known
 * (a search, a sweep) it shows them and, with --lambda, ranks the models by the utility
 * U = val_acc − λ·log2(cost / base cost). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "core/mem.h"
#include "core/runtime.h"
#include "scaling/cost.h"
#include "scaling/planner.h"
#include "scaling/profile.h"
#include "scaling/rules.h"
#include "scaling/search.h"

/* Seconds a profile measurement may take when the planner measures the machine itself. */
#define PLAN_MEASURE_SECONDS 1.0
/* --accuracies may be given this many times. */
#define PLAN_MAX_ACCURACY_FILES 16

/* --flops: "5e9", "5G", "1.5T": SI multiples of 1000, positive. */
static bool parse_count(const char *s, void *target, char *why, size_t cap) {
  char *end = NULL;
  double x = strtod(s, &end);
  double mult = 1.0;
  if (end != s && (*end == 'K' || *end == 'k')) mult = 1e3, end++;
  else if (end != s && *end == 'M') mult = 1e6, end++;
  else if (end != s && *end == 'G') mult = 1e9, end++;
  else if (end != s && *end == 'T') mult = 1e12, end++;
  else if (end != s && *end == 'P') mult = 1e15, end++;
  if (end == s || *end != '\0' || !isfinite(x) || x <= 0) {
    snprintf(why, cap, "'%s' is not a positive count (examples: 5e9, 5G)", s);
    return false;
  }
  *(double *)target = x * mult;
  return true;
}

/* --strategy for the planner: every strategy but explicit, which has no phi. */
static bool parse_plan_strategy(const char *s, void *target, char *why, size_t cap) {
  gs_error e;
  gs_scaling_strategy strategy;
  if (gs_scaling_strategy_parse(&strategy, s, &e) != GS_OK) {
    snprintf(why, cap, "'%s' is not dwr, dWr, d, w or r", s);
    return false;
  }
  if (strategy == GS_SCALE_EXPLICIT) {
    snprintf(why, cap, "explicit has no phi to plan over (use `gnnscale train`)");
    return false;
  }
  *(gs_scaling_strategy *)target = strategy;
  return true;
}

/* The --accuracies files, in the order given. */
typedef struct {
  const char *files[PLAN_MAX_ACCURACY_FILES];
  int count;
} accuracy_file_list;

static bool add_accuracy_file(const char *s, void *target, char *why, size_t cap) {
  accuracy_file_list *a = target;
  if (a->count == PLAN_MAX_ACCURACY_FILES) {
    snprintf(why, cap, "at most %d files", PLAN_MAX_ACCURACY_FILES);
    return false;
  }
  a->files[a->count++] = s;
  return true;
}

/* 1.23 G, 456.0 M, 789 */
static const char *format_si(double v, char *buf, size_t size) {
  const char *units[] = {"", " K", " M", " G", " T", " P", " E"};
  int u = 0;
  while (fabs(v) >= 1000.0 && u < 6) {
    v /= 1000.0;
    u++;
  }
  if (u == 0) snprintf(buf, size, "%.0f", v);
  else snprintf(buf, size, "%.2f%s", v, units[u]);
  return buf;
}

static const char *format_seconds(double s, char *buf, size_t size) {
  if (s < 0) snprintf(buf, size, "-");
  else if (s < 1e-3) snprintf(buf, size, "%.1f us", s * 1e6);
  else if (s < 1.0) snprintf(buf, size, "%.2f ms", s * 1e3);
  else snprintf(buf, size, "%.3f s", s);
  return buf;
}

/* A budget's amount in its unit, for messages. */
static const char *format_budget(gs_plan_budget_kind b, double v, char *buf, size_t size) {
  if (b == GS_PLAN_MEMORY) return gs_format_bytes((int64_t)v, buf, size);
  if (b == GS_PLAN_TIME) return format_seconds(v, buf, size);
  char tmp[32];
  snprintf(buf, size, "%s FLOPs", format_si(v, tmp, sizeof tmp));
  return buf;
}

static const char *used_name(gs_plan_budget_kind b, const gs_plan_options *o) {
  if (b == GS_PLAN_TIME)
    return o->time_headroom > 0 ? "predicted epoch time with its headroom" : "predicted epoch time";
  return b == GS_PLAN_MEMORY ? "predicted peak" : "FLOPs per epoch";
}

static void json_number_or_null(FILE *f, const char *key, double v, bool present) {
  if (present) fprintf(f, ",\"%s\":%.17g", key, v);
  else fprintf(f, ",\"%s\":null", key);
}

/* The known accuracies as the output shows them: u NULL when none is known. */
typedef struct {
  const gs_plan_utility *u;
  const gs_plan_known *known; /* the list u indexes */
  bool lambda;                /* --lambda given: show utilities and the utility choice */
} known_view;

/* The model config a row of `depth` layers is priced (and trained) with: the stack decided. */
static gs_model_config stack_at(const gs_plan_options *o, int32_t depth) {
  gs_model_config c = o->cost.model;
  c.depth = depth;
  return gs_model_config_resolve(&c);
}

/* GIN's normalisation every row is priced with (gs_model_gin_norm on the data's shape), and
 * in why the figures of auto's rule. */
static gs_gin_norm gin_norm_of(const gs_plan_options *o, const gs_cost_data *data, char *why,
                               size_t cap) {
  const gs_model_shape s = {.nodes = data->nodes, .adj_nnz = data->adj_nnz};
  gs_gin_norm_explain(s.nodes, s.adj_nnz, why, cap);
  return gs_model_gin_norm(&o->cost.model, &s);
}

/* "memory 12%" or "memory 130% OVER": the binding budget of a model. */
static const char *format_binds(gs_plan_budget_kind binding, const double *ratio, bool fits,
                                char *buf, size_t size) {
  if (binding == GS_PLAN_NONE) snprintf(buf, size, "-");
  else snprintf(buf, size, "%s %.0f%%%s", gs_plan_budget_name(binding), 100.0 * ratio[binding],
                fits ? "" : " OVER");
  return buf;
}

static void json_scored(const gs_plan *plan, const known_view *kv, int32_t item) {
  const gs_plan_scored *s = &kv->u->items[item];
  const gs_plan_known *k = &kv->known[s->known];
  const bool grid = s->row_first >= 0;
  printf("{\"source\":");
  gs_json_string(stdout, k->source);
  printf(",\"depth\":%d,\"width\":%lld,\"features\":%lld,\"val_acc\":%.17g,\"on_grid\":%s",
         (int)k->depth, (long long)k->width, (long long)k->features, k->val_acc,
         grid ? "true" : "false");
  json_number_or_null(stdout, "phi_first", grid ? plan->rows[s->row_first].phi : 0.0, grid);
  json_number_or_null(stdout, "phi_last", grid ? plan->rows[s->row_last].phi : 0.0, grid);
  printf(",\"flops_per_epoch\":%lld,\"cost_ratio\":%.17g,\"peak_bytes\":%lld",
         (long long)s->cost.epoch.total, s->cost_ratio, (long long)s->cost.peak_bytes);
  json_number_or_null(stdout, "epoch_seconds", s->cost.seconds_per_epoch,
                      s->cost.seconds_per_epoch >= 0);
  printf(",\"fits\":%s,\"binding\":\"%s\"", s->fits ? "true" : "false",
         gs_plan_budget_name(s->binding));
  json_number_or_null(stdout, "utility", s->utility, kv->lambda);
  printf("}");
}

static void print_json_known(const gs_plan *plan, const known_view *kv) {
  const gs_plan_utility *u = kv->u;
  json_number_or_null(stdout, "lambda", u->lambda, kv->lambda);
  printf(",\"base_flops_per_epoch\":%lld,\"known_models\":[", (long long)u->base_flops);
  for (int32_t i = 0; i < u->count; i++) {
    if (i) printf(",");
    json_scored(plan, kv, i);
  }
  printf("],\"utility_choice\":");
  if (kv->lambda && u->best_grid >= 0) json_scored(plan, kv, u->best_grid);
  else printf("null");
  printf(",\"utility_best_known\":");
  if (kv->lambda && u->best_any >= 0) json_scored(plan, kv, u->best_any);
  else printf("null");
}

static void print_json(const gs_plan *plan, const gs_plan_options *o, const char *name,
                       const gs_cost_data *data, const gs_cli_prediction *pred,
                       const known_view *kv) {
  const gs_scaling_rule *r = &o->rule;
  printf("{\"command\":\"plan\",\"dataset\":");
  gs_json_string(stdout, name);
  printf(",\"nodes\":%lld,\"adj_nnz\":%lld,\"features\":%lld,\"feature_nnz\":%lld,\"classes\":%lld",
         (long long)data->nodes, (long long)data->adj_nnz, (long long)data->file_features,
         (long long)data->feature_nnz, (long long)data->classes);
  if (o->cost.model.family == GS_MODEL_GIN) {
    char why[128];
    printf(",\"gin_norm\":\"%s\"", gs_gin_norm_name(gin_norm_of(o, data, why, sizeof why)));
  }
  printf(",\"strategy\":\"%s\",\"base\":{\"depth\":%d,\"width\":%lld,\"resolution\":%.17g}",
         gs_scaling_strategy_name(r->strategy), (int)r->base_depth, (long long)r->base_width,
         r->base_resolution);
  printf(",\"alpha\":%.17g,\"beta\":%.17g,\"gamma\":%.17g,\"constants_default\":%s,\"a\":%.17g,"
         "\"width_multiple\":%lld",
         r->alpha, r->beta, r->gamma, r->constants_default ? "true" : "false", r->a,
         (long long)r->width_multiple);
  if (plan->count > 0 && plan->rows[0].status == GS_OK)
    printf(",\"elasticities\":{\"depth\":%.6f,\"width\":%.6f,\"resolution\":%.6f}",
           plan->rows[0].spec.eps_d, plan->rows[0].spec.eps_w, plan->rows[0].spec.eps_r);
  printf(",\"budget\":{\"memory_bytes\":%.0f,\"memory_basis\":\"%s\",\"resident_bytes\":%.0f",
         o->limit[GS_PLAN_MEMORY], o->resident_bytes > 0 ? "rss" : "counted", o->resident_bytes);
  printf(",\"time_headroom\":%.17g", o->time_headroom);
  json_number_or_null(stdout, "epoch_seconds", o->limit[GS_PLAN_TIME], o->limit[GS_PLAN_TIME] > 0);
  json_number_or_null(stdout, "flops", o->limit[GS_PLAN_FLOPS], o->limit[GS_PLAN_FLOPS] > 0);
  printf("},");
  gs_cli_prediction_json(pred, stdout);
  printf(",\"rows\":[");
  for (int32_t i = 0; i < plan->count; i++) {
    const gs_plan_row *row = &plan->rows[i];
    printf("%s{\"phi\":%.17g", i ? "," : "", row->phi);
    if (row->status != GS_OK) {
      printf(",\"error\":");
      gs_json_string(stdout, row->note);
      printf("}");
      continue;
    }
    const gs_scaling_spec *s = &row->spec;
    const gs_cost *c = &row->cost;
    printf(",\"depth\":%d,\"width\":%lld,\"features\":%lld,\"resolution\":%.17g,"
           "\"continuous\":{\"depth\":%.17g,\"width\":%.17g,\"resolution\":%.17g},"
           "\"params\":%lld,\"flops_per_epoch\":%lld,\"activation_bytes\":%lld,"
           "\"workspace_bytes\":%lld,\"model_bytes\":%lld,\"dataset_bytes\":%lld,"
           "\"graph_bytes\":%lld,\"peak_bytes\":%lld,\"peak_phase\":\"%s\",\"sparse_features\":%s,"
           "\"phase_peaks\":{\"load\":%lld,\"graph\":%lld,\"train\":%lld}",
           (int)s->depth, (long long)s->width, (long long)s->features, s->resolution, s->d, s->w,
           s->r, (long long)c->params, (long long)c->epoch.total, (long long)c->activation_bytes,
           (long long)c->workspace_bytes, (long long)c->model_bytes, (long long)c->dataset_bytes,
           (long long)c->graph_bytes, (long long)c->peak_bytes, gs_cost_phase_name(c->peak_phase),
           c->sparse_features ? "true" : "false", (long long)c->phase_peak[GS_COST_PHASE_LOAD],
           (long long)c->phase_peak[GS_COST_PHASE_GRAPH], (long long)c->phase_peak[GS_COST_PHASE_TRAIN]);
    const gs_model_config stack = stack_at(o, s->depth);
    printf(",\"residual\":%s,\"layernorm\":%s", stack.residual && s->depth >= 3 ? "true" : "false",
           stack.norm ? "true" : "false");
    /* Full-batch: one part, one per batch (the fields of plan --batching auto|cluster). */
    printf(",\"batching\":\"full\",\"parts\":1,\"clusters_per_batch\":1");
    printf(",\"memory_bytes\":%.0f", row->used[GS_PLAN_MEMORY]);
    json_number_or_null(stdout, "epoch_seconds", c->seconds_per_epoch, c->seconds_per_epoch >= 0);
    printf(",\"intended_factor\":%.17g,\"realised_factor\":%.17g,\"fits\":%s,\"binding\":\"%s\"",
           s->intended_factor, s->realised_factor, row->fits ? "true" : "false",
           gs_plan_budget_name(row->binding));
    if (kv->u) {
      const int32_t item = kv->u->row_item[i];
      json_number_or_null(stdout, "val_acc", item >= 0 ? kv->u->items[item].val_acc : 0.0,
                          item >= 0);
      if (kv->lambda)
        json_number_or_null(stdout, "utility", item >= 0 ? kv->u->items[item].utility : 0.0,
                            item >= 0);
    }
    printf("}");
  }
  printf("]");
  if (plan->best >= 0) {
    const gs_plan_row *b = &plan->rows[plan->best];
    char stack[512];
    gs_cli_stack_text(stack, sizeof stack, &o->cost.model, b->spec.depth);
    printf(",\"best\":{\"row\":%d,\"phi\":%.17g,\"depth\":%d,\"width\":%lld,\"features\":%lld,"
           "\"batching\":\"full\",\"parts\":1,\"clusters_per_batch\":1,\"stack\":",
           (int)plan->best, b->phi, (int)b->spec.depth, (long long)b->spec.width,
           (long long)b->spec.features);
    gs_json_string(stdout, stack);
    printf("}");
    printf(",\"stops\":\"%s\"", gs_plan_budget_name(plan->stops));
    printf(",\"nothing_fits\":null");
  } else {
    printf(",\"best\":null,\"stops\":null,\"nothing_fits\":{");
    bool first = true;
    for (int b = 0; b < GS_PLAN_BUDGETS; b++)
      if (plan->deficit[b] > 0) {
        printf("%s\"%s_over\":%.17g", first ? "" : ",", gs_plan_budget_name((gs_plan_budget_kind)b),
               plan->deficit[b]);
        first = false;
      }
    printf("}");
  }
  if (kv->u) print_json_known(plan, kv);
  printf("}\n");
}

/* One line about a scored model: "depth 2, width 32, 1433 features: val acc 0.8060, 1.93x the
 * base FLOPs, U = 0.7965" (and where it sits on the grid). */
static void print_scored_summary(const gs_plan *plan, const known_view *kv, int32_t item) {
  const gs_plan_scored *s = &kv->u->items[item];
  const gs_plan_known *k = &kv->known[s->known];
  char binds[64];
  if (s->row_first >= 0) {
    const double p0 = plan->rows[s->row_first].phi, p1 = plan->rows[s->row_last].phi;
    if (p1 > p0) printf("phi = %.2f-%.2f", p0, p1);
    else printf("phi = %.2f", p0);
  } else {
    printf("off the grid, %s", k->source);
  }
  printf(" (depth %d, width %lld, %lld features): val acc %.4f, %.2fx the base FLOPs, U = %.4f; "
         "%s\n",
         (int)k->depth, (long long)k->width, (long long)k->features, s->val_acc, s->cost_ratio,
         s->utility, format_binds(s->binding, s->ratio, s->fits, binds, sizeof binds));
}

/* The known models off the φ grid, as a table after the plan's. */
static void print_known_table(const known_view *kv) {
  const gs_plan_utility *u = kv->u;
  char b1[48], b2[48], b3[48], binds[64];
  if (u->count > u->on_grid) {
    printf("\nknown accuracies off the phi grid (models this rule does not make; priced by the "
           "same cost model):\n");
    printf("  depth  width  features     params  FLOPs/epoch  x base  peak memory  epoch time  "
           "val acc%s  %-16s  model\n", kv->lambda ? "  utility" : "", "binds");
    for (int32_t i = u->on_grid; i < u->count; i++) {
      const gs_plan_scored *s = &u->items[i];
      const gs_plan_known *k = &kv->known[s->known];
      printf("%c %5d  %5lld  %8lld  %9lld  %11s  %6.2f  %11s  %10s  %7.4f",
             kv->lambda && i == u->best_any ? 'U' : ' ', (int)k->depth, (long long)k->width,
             (long long)k->features, (long long)s->cost.params,
             format_si((double)s->cost.epoch.total, b1, sizeof b1), s->cost_ratio,
             gs_format_bytes((int64_t)s->used[GS_PLAN_MEMORY], b2, sizeof b2),
             format_seconds(s->cost.seconds_per_epoch, b3, sizeof b3), s->val_acc);
      if (kv->lambda) printf("  %7.4f", s->utility);
      printf("  %-16s  %s\n", format_binds(s->binding, s->ratio, s->fits, binds, sizeof binds),
             k->source);
    }
  }
}

/* The lines after φ*: what the accuracies mean and, with --lambda, the utility choice. */
static void print_utility(const gs_plan *plan, const gs_plan_options *o, const known_view *kv) {
  const gs_plan_utility *u = kv->u;
  char b1[48];
  if (!kv->lambda) {
    printf("\nval acc: known validation accuracies (fractions); pass --lambda X to rank them by "
           "utility val_acc - X*log2(cost / base cost)\n");
    return;
  }
  printf("\nutility U = val_acc - %g*log2(FLOPs per epoch / the base's %s), FLOPs per epoch by "
         "the exact cost model\n",
         u->lambda, format_si((double)u->base_flops, b1, sizeof b1));
  if (u->best_grid >= 0) {
    printf("utility choice (marked U): ");
    print_scored_summary(plan, kv, u->best_grid);
  } else if (u->on_grid == 0) {
    printf("utility choice: none on the grid: no grid point's model has a known accuracy (the %d "
           "known %s off the grid)\n", (int)u->count, u->count == 1 ? "model is" : "models are");
  } else {
    printf("utility choice: none on the grid: no grid point with a known accuracy fits the "
           "budgets (known at phi =");
    for (int32_t i = 0; i < u->on_grid; i++)
      printf("%s %.2f", i ? "," : "", plan->rows[u->items[i].row_first].phi);
    printf(")\n");
  }
  if (u->best_any >= 0 && u->best_any != u->best_grid) {
    printf("higher utility off the grid (marked U): ");
    print_scored_summary(plan, kv, u->best_any);
  } else if (u->best_any < 0) {
    printf("no model of known accuracy fits the budgets (memory %s)\n",
           gs_format_bytes((int64_t)o->limit[GS_PLAN_MEMORY], b1, sizeof b1));
  }
}

/* The lines above the table: dataset, rule, elasticities, budgets, profile. */
static void print_preamble(const gs_plan *plan, const gs_plan_options *o, const char *name,
                           const gs_cost_data *data, const char *profile_note) {
  const gs_scaling_rule *r = &o->rule;
  char b1[48];
  printf("dataset %s: %lld nodes, %lld non-zeros in A_hat, %lld features (%lld non-zero), "
         "%lld classes, split %lld/%lld/%lld\n",
         name, (long long)data->nodes, (long long)data->adj_nnz, (long long)data->file_features,
         (long long)data->feature_nnz, (long long)data->classes, (long long)data->num_train,
         (long long)data->num_valid, (long long)data->num_test);
  if (o->cost.model.family == GS_MODEL_GIN) {
    char why[128];
    const gs_gin_norm gn = gin_norm_of(o, data, why, sizeof why);
    printf("gin norm: %s (%s: %s)\n", gs_gin_norm_name(gn),
           o->cost.model.gin_norm == GS_GIN_NORM_AUTO ? "auto" : "--gin-norm", why);
  }
  printf("strategy %s from base depth %d, width %lld, resolution %.3g", gs_scaling_strategy_name(r->strategy),
         (int)r->base_depth, (long long)r->base_width, r->base_resolution);
  if (r->strategy == GS_SCALE_DWR) {
    printf("; alpha %g, beta %g, gamma %g", r->alpha, r->beta, r->gamma);
    if (r->constants_default)
      printf(" (EfficientNet's constants for CNNs, not searched for this graph: pass --alpha "
             "--beta --gamma)");
  } else if (r->strategy == GS_SCALE_FAST) {
    printf("; width emphasis a = %g", r->a);
  }
  printf("; widths in multiples of %lld\n", (long long)r->width_multiple);
  if (plan->count > 0 && plan->rows[0].status == GS_OK) {
    const gs_scaling_spec *s = &plan->rows[0].spec;
    printf("elasticities of FLOPs/epoch at the base: depth %.3f, width %.3f, resolution %.3f; "
           "exponents of 2^phi: depth %.3f, width %.3f, resolution %.3f\n",
           s->eps_d, s->eps_w, s->eps_r, s->e_d, s->e_w, s->e_r);
  }
  printf("budgets: memory %s", gs_format_bytes((int64_t)o->limit[GS_PLAN_MEMORY], b1, sizeof b1));
  if (o->resident_bytes > 0)
    printf(" of peak RSS (the counted peak + %s resident besides, measured now)",
           gs_format_bytes((int64_t)o->resident_bytes, b1, sizeof b1));
  else
    printf(" of counted bytes");
  if (o->limit[GS_PLAN_TIME] > 0) {
    printf(", epoch time %s", format_seconds(o->limit[GS_PLAN_TIME], b1, sizeof b1));
    if (o->time_headroom > 0)
      printf(" (for the predicted epoch + %.0f%% headroom)", 100.0 * o->time_headroom);
  }
  if (o->limit[GS_PLAN_FLOPS] > 0) printf(", %s FLOPs per epoch", format_si(o->limit[GS_PLAN_FLOPS], b1, sizeof b1));
  printf("\nepoch times from %s\n\n", profile_note);
}

/* The table, one line per distinct model (or grid point); returns the first φ whose
 * resolution is clipped at 1, or -1. */
static double print_rows(const gs_plan *plan, const gs_plan_options *o, bool all_rows,
                         const known_view *kv) {
  char b1[48], b2[48], b3[48], b4[48];
  const bool show_acc = kv->u != NULL, show_u = show_acc && kv->lambda;
  printf("%s  phi          depth  width  features     params  FLOPs/epoch  activations  %s  "
         "epoch time  %s%sbinds\n", show_u ? " " : "",
         o->resident_bytes > 0 ? "   peak RSS" : "peak memory", show_acc ? "val acc  " : "",
         show_u ? "utility  " : "");
  double clipped_at = -1.0;
  for (int32_t i = 0; i < plan->count && clipped_at < 0; i++)
    if (plan->rows[i].status == GS_OK && plan->rows[i].spec.r_clipped) clipped_at = plan->rows[i].phi;
  for (int32_t i = 0; i < plan->count; i++) {
    const gs_plan_row *row = &plan->rows[i];
    if (row->status != GS_OK) {
      printf("  %-11.2f  %s\n", row->phi, row->note);
      continue;
    }
    /* Consecutive φ with the same rounded model are one model: one line for the range
     * (--all-rows lists every grid point). */
    int32_t last = i;
    while (!all_rows && last + 1 < plan->count && plan->rows[last + 1].status == GS_OK &&
           plan->rows[last + 1].same_as_previous && last != plan->best)
      last++;
    const int32_t item = show_acc ? kv->u->row_item[last] : -1;
    char phis[32];
    if (last > i) snprintf(phis, sizeof phis, "%.2f-%.2f", row->phi, plan->rows[last].phi);
    else snprintf(phis, sizeof phis, "%.2f", row->phi);
    const bool best = plan->best >= i && plan->best <= last;
    row = &plan->rows[last];
    i = last;
    const gs_scaling_spec *s = &row->spec;
    const gs_cost *c = &row->cost;
    char binds[48] = "";
    if (row->binding != GS_PLAN_NONE)
      snprintf(binds, sizeof binds, "%s %.0f%%%s", gs_plan_budget_name(row->binding),
               100.0 * row->ratio[row->binding], row->fits ? "" : " OVER");
    char acc[32] = "", util[32] = "";
    if (show_acc) {
      if (item >= 0) snprintf(acc, sizeof acc, "%7.4f  ", kv->u->items[item].val_acc);
      else snprintf(acc, sizeof acc, "      -  ");
    }
    if (show_u) {
      if (item >= 0) snprintf(util, sizeof util, "%7.4f  ", kv->u->items[item].utility);
      else snprintf(util, sizeof util, "      -  ");
    }
    char mark[3] = {best ? '*' : ' ', '\0', '\0'};
    if (show_u) mark[1] = item >= 0 && item == kv->u->best_grid ? 'U' : ' ';
    printf("%s %-11s  %5d  %5lld  %8lld  %9lld  %11s  %11s  %11s  %10s  %s%s%s\n", mark, phis,
           (int)s->depth, (long long)s->width, (long long)s->features, (long long)c->params,
           format_si((double)c->epoch.total, b1, sizeof b1),
           gs_format_bytes(c->activation_bytes, b2, sizeof b2),
           gs_format_bytes((int64_t)row->used[GS_PLAN_MEMORY], b3, sizeof b3),
           format_seconds(c->seconds_per_epoch, b4, sizeof b4), acc, util, binds);
  }
  if (show_acc) print_known_table(kv);
  return clipped_at;
}

/* The lines below the table: φ* and the budget that stops it, or why nothing fits. */
static void print_outcome(const gs_plan *plan, const gs_plan_options *o,
                          const gs_cost_data *data, double clipped_at) {
  const gs_scaling_rule *r = &o->rule;
  char b1[48], b2[48], b3[48], b4[48], b5[48], b6[48];
  printf("\n");
  if (clipped_at >= 0)
    printf("note: from phi = %.2f the resolution is clipped at 1 (every column)%s\n", clipped_at,
           r->base_resolution >= 1.0 ? "; the base keeps all columns already, so resolution "
                                       "never grows: pass --base D,W,R with R < 1 to scale it"
                                     : "");
  if (plan->best >= 0) {
    const gs_plan_row *b = &plan->rows[plan->best];
    printf("phi* = %.2f: depth %d, width %lld, %lld of %lld features (r = %.3f), %lld parameters; "
           "predicted peak %s of %s (%s phase; %s counted), %s FLOPs per epoch (%.2fx the base, "
           "%.2fx intended), epoch %s\n",
           b->phi, (int)b->spec.depth, (long long)b->spec.width, (long long)b->spec.features,
           (long long)data->file_features, b->spec.resolution, (long long)b->cost.params,
           gs_format_bytes((int64_t)b->used[GS_PLAN_MEMORY], b1, sizeof b1),
           gs_format_bytes((int64_t)o->limit[GS_PLAN_MEMORY], b2, sizeof b2),
           gs_cost_phase_name(b->cost.peak_phase), gs_format_bytes(b->cost.peak_bytes, b6, sizeof b6),
           format_si((double)b->cost.epoch.total, b3, sizeof b3),
           b->spec.realised_factor, b->spec.intended_factor,
           format_seconds(b->cost.seconds_per_epoch, b4, sizeof b4));
    char stack[512];
    gs_cli_stack_text(stack, sizeof stack, &o->cost.model, b->spec.depth);
    printf("stack of phi*: %s\n", stack);
    if (plan->stop_row >= 0) {
      const gs_plan_row *n = &plan->rows[plan->stop_row];
      if (n->status != GS_OK)
        printf("beyond it, at phi = %.2f: %s\n", n->phi, n->note);
      else
        printf("the %s budget binds: at phi = %.2f (depth %d, width %lld, %lld features) the %s "
               "is %s, over the budget of %s\n",
               gs_plan_budget_name(plan->stops), n->phi, (int)n->spec.depth,
               (long long)n->spec.width, (long long)n->spec.features, used_name(plan->stops, o),
               format_budget(plan->stops, n->used[plan->stops], b1, sizeof b1),
               format_budget(plan->stops, o->limit[plan->stops], b5, sizeof b5));
    } else {
      printf("every phi scanned fits: raise --phi-max to look further\n");
    }
  } else if (plan->count > 0 && plan->rows[0].status == GS_OK) {
    const gs_plan_row *z = &plan->rows[0];
    printf("nothing fits: even the base at phi = 0 (depth %d, width %lld, %lld features) is over "
           "budget.\n",
           (int)z->spec.depth, (long long)z->spec.width, (long long)z->spec.features);
    for (int k = 0; k < GS_PLAN_BUDGETS; k++)
      if (plan->deficit[k] > 0)
        printf("  %s: %s is %s, %s over the budget of %s\n", gs_plan_budget_name((gs_plan_budget_kind)k),
               used_name((gs_plan_budget_kind)k, o),
               format_budget((gs_plan_budget_kind)k, z->used[k], b1, sizeof b1),
               format_budget((gs_plan_budget_kind)k, plan->deficit[k], b2, sizeof b2),
               format_budget((gs_plan_budget_kind)k, o->limit[k], b3, sizeof b3));
    if (plan->deficit[GS_PLAN_MEMORY] > 0) {
      const gs_cost *c = &z->cost;
      printf("  the base's memory: dataset %s (features %s), graph %s, model %s",
             gs_format_bytes(c->dataset_bytes, b1, sizeof b1),
             gs_format_bytes(c->feature_bytes, b2, sizeof b2),
             gs_format_bytes(c->graph_bytes, b3, sizeof b3),
             gs_format_bytes(c->model_bytes, b4, sizeof b4));
      printf(" (parameters, gradients and Adam %s, activations %s, workspace %s",
             gs_format_bytes(c->param_bytes + c->grad_bytes + c->optimizer_bytes, b1, sizeof b1),
             gs_format_bytes(c->activation_bytes, b2, sizeof b2),
             gs_format_bytes(c->workspace_bytes, b3, sizeof b3));
      if (c->input_transpose_bytes > 0)
        printf(", transposed features %s", gs_format_bytes(c->input_transpose_bytes, b3, sizeof b3));
      printf("); peaks: load %s, graph %s, train %s\n",
             gs_format_bytes(c->phase_peak[GS_COST_PHASE_LOAD], b1, sizeof b1),
             gs_format_bytes(c->phase_peak[GS_COST_PHASE_GRAPH], b2, sizeof b2),
             gs_format_bytes(c->phase_peak[GS_COST_PHASE_TRAIN], b3, sizeof b3));
    }
    if (z->cost.peak_phase != GS_COST_PHASE_TRAIN && plan->deficit[GS_PLAN_MEMORY] > 0)
      printf("  the peak comes from the %s phase, before any model exists: a smaller model "
             "cannot help; fewer feature columns (--base D,W,R with R < 1) can\n",
             gs_cost_phase_name(z->cost.peak_phase));
  } else if (plan->count > 0) {
    printf("nothing fits: at phi = 0: %s\n", plan->rows[0].note);
  }
}

static void print_table(const gs_plan *plan, const gs_plan_options *o, const char *name,
                        const gs_cost_data *data, const char *profile_note, bool all_rows,
                        const known_view *kv) {
  print_preamble(plan, o, name, data, profile_note);
  const double clipped_at = print_rows(plan, o, all_rows, kv);
  print_outcome(plan, o, data, clipped_at);
  if (kv->u) print_utility(plan, o, kv);
}

/* The known models in the order later listings win: those of the search (a version 1 file's
 * base, whose features it does not record, at the base resolution of this dataset), then
 * those of the accuracies files. A later listing that changes a model's accuracy is noted on
 * stderr. */
static gs_status known_models(gs_plan_known_list *out, const gs_search_result *sr,
                              const gs_plan_known_list *files, const gs_cost_data *data,
                              gs_error *err) {
  gs_status st = GS_OK;
  for (int32_t i = 0; sr && i < sr->model_count; i++) {
    const gs_search_model *m = &sr->models[i];
    gs_plan_known k;
    memset(&k, 0, sizeof k);
    k.depth = m->depth;
    k.width = m->width;
    k.features = m->features > 0 ? m->features
                                 : gs_scaling_features(sr->base_resolution, data->file_features);
    k.val_acc = m->acc.val_mean;
    char what[96];
    if (m->kind == GS_SEARCH_MODEL_CANDIDATE)
      snprintf(what, sizeof what, "candidate %g,%g,%g%s", m->alpha, m->beta, m->gamma,
               m->alpha == sr->alpha && m->beta == sr->beta && m->gamma == sr->gamma ? " (best)"
                                                                                     : "");
    else
      snprintf(what, sizeof what, "%s", gs_search_model_kind_name(m->kind));
    /* The search trains a model once under several names (width-only is often a candidate):
     * one entry with every name. */
    int32_t same = -1;
    for (int32_t j = 0; j < out->count; j++)
      if (out->items[j].depth == k.depth && out->items[j].width == k.width &&
          out->items[j].features == k.features && out->items[j].val_acc == k.val_acc)
        same = j;
    if (same >= 0) {
      char *src = out->items[same].source;
      const size_t len = strlen(src);
      snprintf(src + len, sizeof out->items[same].source - len, " = %s", what);
      continue;
    }
    snprintf(k.source, sizeof k.source, "search %s", what);
    GS_TRY(gs_plan_known_add(out, &k, err));
  }
  for (int32_t i = 0; i < files->count; i++) GS_TRY(gs_plan_known_add(out, &files->items[i], err));
  for (int32_t j = 0; j < out->count; j++)
    for (int32_t i = 0; i < j; i++) {
      const gs_plan_known *a = &out->items[i], *b = &out->items[j];
      if (a->depth == b->depth && a->width == b->width && a->features == b->features &&
          a->val_acc != b->val_acc)
        fprintf(stderr, "gnnscale plan: note: %s gives model (%d, %lld, %lld) val_acc %.4f, "
                "replacing %.4f from %s\n", b->source, (int)b->depth, (long long)b->width,
                (long long)b->features, b->val_acc, a->val_acc, a->source);
    }
  return GS_OK;
fail:
  return st;
}

/* What the command line asks for. */
typedef struct {
  const char *data_dir, *split, *profile_path, *from_search;
  gs_plan_options o;
  gs_norm norm;
  int64_t mem, threads;
  bool mem_basis_rss, json, measure, all_rows, have_lambda;
  bool probe; /* correct the epoch times by a probe of this graph */
  bool plain; /* --plain: no deep stack */
  double lambda, sparse_below;
  accuracy_file_list acc;
  gs_search_result searched; /* with from_search */
  int batching;              /* 0 full, 1 cluster, 2 auto (cli/plan_batching.c) */
  int eval_full;             /* --eval full: Cluster-GCN rows priced with whole-graph evaluation */
} plan_request;

/* Parses and checks the command line into *q. Returns GS_CLI_CONTINUE or an exit status. */
static int parse_request(plan_request *q, int argc, char **argv) {
  memset(q, 0, sizeof *q);
  q->o = gs_plan_options_default();
  q->norm = GS_NORM_SYM;
  q->sparse_below = GS_COST_SPARSE_BELOW;
  q->probe = true;
  enum { BASIS_RSS, BASIS_COUNTED } mem_basis = BASIS_RSS;
  static const gs_option_choice basis_choices[] = {
      {"rss", BASIS_RSS}, {"counted", BASIS_COUNTED}, {NULL, 0}};
  static const gs_option_choice batching_choices[] = {
      {"full", 0}, {"cluster", 1}, {"auto", 2}, {NULL, 0}};
  static const gs_option_choice eval_choices[] = {{"batches", 0}, {"full", 1}, {NULL, 0}};
  const gs_option options[] = {
      GS_OPTS_DATA(&q->data_dir, &q->split),
      GS_OPT_ENUM("batching", "full|cluster|auto", batching_choices, &q->batching,
                  "full: full-batch training (default); cluster: Cluster-GCN (P, Q)\n"
                  "for every phi; auto: full-batch where it fits, else Cluster-GCN"),
      GS_OPT_ENUM("eval", "batches|full", eval_choices, &q->eval_full,
                  "Cluster-GCN rows' evaluation, as train's --eval: batches (default)\n"
                  "or the whole graph, priced with two layers of n x width resident\n"
                  "where they fit, else one spilled to disk"),
      GS_OPT_SECTION("budgets"),
      GS_OPT_SIZE("mem", "SIZE", 1, &q->mem, "peak memory budget, e.g. 512MiB, 2GiB (required)"),
      GS_OPT_ENUM("mem-basis", "rss|counted", basis_choices, &mem_basis,
                  "rss: the budget bounds the process's peak RSS, the counted peak\n"
                  "plus what is resident besides (code, libraries, runtime; measured\n"
                  "by this process after loading the data); counted: the counting\n"
                  "allocator's peak alone (default rss)"),
      GS_OPT_SECONDS("epoch-time", "T", &q->o.limit[GS_PLAN_TIME],
                     "epoch-time budget, e.g. 2s, 150ms (measures the machine unless\n"
                     "--profile is given)"),
      GS_OPT_DOUBLE("time-headroom", "X", 0.0, 10.0, &q->o.time_headroom,
                    "count each model's predicted epoch time as (1 + X) times it\n"
                    "against --epoch-time (e.g. 0.2: the time model is within about\n"
                    "20% on the validation grid; default 0)"),
      GS_OPT_CUSTOM("flops", "N", parse_count, &q->o.limit[GS_PLAN_FLOPS],
                    "FLOPs-per-epoch budget, e.g. 5e9 or 5G"),
      GS_OPT_SECTION("scaling"),
      GS_OPT_CUSTOM("strategy", "S", parse_plan_strategy, &q->o.rule.strategy,
                    "dwr: compound d0*alpha^phi, w0*beta^phi, r0*gamma^phi;\n"
                    "d, w, r: one dimension, to 2^phi times the base FLOPs;\n"
                    "dWr: fast compound (Dollar et al.), exponents from the cost\n"
                    "elasticities, width emphasis --a"),
      GS_OPT_CONSTANTS(&q->o.rule),
      GS_OPT_STRING("from-search", "FILE", &q->from_search,
                    "dwr constants, base and width multiple found by `gnnscale search`\n"
                    "(and the validation accuracies of the models it trained)"),
      GS_OPT_BASE(&q->o.rule),
      GS_OPT_FAST_A(&q->o.rule),
      GS_OPT_WIDTH_MULTIPLE(&q->o.rule),
      GS_OPT_DOUBLE("phi-step", "X", 1e-3, 16.0, &q->o.phi_step, "grid step (default 0.25)"),
      GS_OPT_DOUBLE("phi-max", "X", 0.0, GS_PLAN_PHI_LIMIT, &q->o.phi_max,
                    "last phi (default: stop once every further model is far over)"),
      GS_OPT_SECTION("known accuracies"),
      GS_OPT_CUSTOM("accuracies", "FILE", add_accuracy_file, &q->acc,
                    "known validation accuracies, one model a line:\n"
                    "'depth width features val_acc' (val_acc a fraction in [0, 1];\n"
                    "'#' starts a comment); repeatable; a model listed again (here\n"
                    "or after --from-search) takes the later accuracy"),
      GS_OPT_DOUBLE("lambda", "X", 0.0, 1e6, &q->lambda,
                    "rank the models of known accuracy by the utility\n"
                    "U = val_acc - X*log2(cost / base cost), cost = FLOPs per epoch\n"
                    "by the exact cost model: X = 0.01 trades one accuracy point per\n"
                    "doubling of cost (X >= 0; needs --from-search or --accuracies)"),
      GS_OPTS_MODEL(&q->o.cost.model, &q->norm),
      GS_OPT_PLAIN(&q->plain),
      GS_OPT_SGC_INPUT(&q->o.cost.model.sgc_input),
      GS_OPT_SECTION("training (what the run will do)"),
      GS_OPT_EPOCHS(&q->o.cost.epochs),
      GS_OPT_DECAY(&q->o.cost.decay_scope),
      GS_OPT_SECTION("cost model"),
      GS_OPT_PROFILE(&q->profile_path),
      GS_OPT_FLAG("probe", &q->probe,
                  "correct the epoch times by a probe of this graph (3 small models\n"
                  "of the planned family, a few seconds; cached per machine and data)"),
      GS_OPT_FLAG("measure", &q->measure,
                  "measure the machine's rates now (about 2 s) for the epoch times;\n"
                  "without the kernel fit of `gnnscale calibrate`, so rougher"),
      GS_OPT_DOUBLE("sparse-below", "X", 0.0, 1.0, &q->sparse_below,
                    "the loader's CSR threshold on feature density (default 0.25)"),
      GS_OPT_DOUBLE("theta", "X", 0.0, 1.0, &q->o.cost.theta,
                    "SpMM cache-miss fraction in [0, 1] (default: the profile's gather\n"
                    "curve by operand size)"),
      GS_OPT_SECTION("output"),
      GS_OPT_FLAG("all-rows", &q->all_rows,
                  "one line per grid point (default: one per distinct model)"),
      GS_OPT_FLAG("json", &q->json, "print one JSON object (every grid point)"),
      GS_OPT_SECTION("run"),
      GS_OPT_THREADS(&q->threads),
  };
  gs_cli cli;
  int status =
      gs_cli_parse(&cli, "plan", "--data DIR --mem SIZE --strategy dwr|dWr|d|w|r [options]",
                   options, GS_CLI_ROWS(options), argc, argv, 2);
  if (status != GS_CLI_CONTINUE) return status;
  status = gs_cli_family_norm(&cli, q->o.cost.model.family, &q->norm);
  if (status != GS_CLI_CONTINUE) return status;
  /* Every row is a scaled model: the deep stack past the collapse depth unless --plain. */
  status = gs_cli_model_stack(&cli, q->plain, true, &q->o.cost.model);
  if (status != GS_CLI_CONTINUE) return status;
  q->have_lambda = gs_cli_given(&cli, "lambda");
  q->mem_basis_rss = mem_basis == BASIS_RSS;
  if (!q->data_dir)
    return gs_cli_reject(&cli, "--data DIR is required (for example --data datasets/data/cora)");
  if (q->mem <= 0) return gs_cli_reject(&cli, "--mem SIZE is required (for example --mem 512MiB)");
  if (q->eval_full && q->batching == 0)
    return gs_cli_reject(&cli, "--eval prices Cluster-GCN rows: give --batching cluster or auto");
  if (!gs_cli_given(&cli, "strategy") && !q->from_search)
    return gs_cli_reject(&cli, "--strategy dwr|dWr|d|w|r (or --from-search FILE) is required");
  if (q->have_lambda && !q->from_search && q->acc.count == 0)
    return gs_cli_reject(&cli, "--lambda ranks models of known accuracy: give --from-search "
                               "FILE or --accuracies FILE");
  status = gs_cli_scaling_rule(&cli, q->from_search, &q->o.rule, &q->searched);
  if (status != GS_CLI_CONTINUE) return status;
  q->o.limit[GS_PLAN_MEMORY] = (double)q->mem;
  return GS_CLI_CONTINUE;
}

/* The machine profile for the epoch times, and a sentence saying where it came from: measured
 * now with --measure, else the file given or saved by `gnnscale calibrate`, else measured now
 * when there is an epoch-time budget, else the rough built-in one. */
static gs_status choose_profile(gs_profile *profile, char *note, size_t cap,
                                const plan_request *q, gs_error *err) {
  char default_profile[4096];
  struct stat sb;
  const bool have_file = q->profile_path ||
                         (gs_cli_default_profile_path(default_profile, sizeof default_profile,
                                                      NULL) == GS_OK &&
                          stat(default_profile, &sb) == 0);
  if (have_file && !q->measure)
    return gs_cli_load_profile(profile, q->profile_path, note, cap, err);
  *profile = gs_profile_default();
  if (q->measure || q->o.limit[GS_PLAN_TIME] > 0) {
    gs_status st = gs_profile_measure(profile, (int)q->threads, PLAN_MEASURE_SECONDS, err);
    if (st != GS_OK) return st;
    snprintf(note, cap,
             "measured now in %.1f s, rates only (%s, %d threads; `gnnscale calibrate` also fits "
             "the kernel times%s)",
             profile->measure_seconds, profile->machine, profile->threads,
             q->measure ? "" : " and saves the profile");
    return GS_OK;
  }
  snprintf(note, cap, "%s: rough; run `gnnscale calibrate`, or pass --profile FILE or --measure",
           profile->machine);
  return GS_OK;
}

/* Notes on a search result that does not quite fit the dataset. */
static void note_search(const plan_request *q, const char *name) {
  if (!q->from_search) return;
  if (strcmp(q->searched.dataset, name) != 0)
    fprintf(stderr, "gnnscale plan: note: %s was searched on %s, not %s\n", q->from_search,
            q->searched.dataset, name);
  if (q->searched.format_version < 2 && (q->have_lambda || !q->json))
    fprintf(stderr, "gnnscale plan: note: %s is a version %d search result: only the base's and "
            "the best candidate's accuracies are known (a new `gnnscale search` records every "
            "model)\n", q->from_search, (int)q->searched.format_version);
}

/* Describes the dataset for the cost model (*prefix owns the column ranking) from its binary
 * store's header and column counts (seconds and megabytes at any scale; built on first use);
 * with the RSS basis, also measures what is resident besides the counted bytes. */
static gs_status describe_data(gs_cost_data *data, int64_t **prefix, char *name, size_t cap,
                               plan_request *q, gs_error *err) {
  gs_status st = gs_cli_cost_data(data, prefix, name, cap, q->data_dir, q->split, q->norm, err);
  if (st != GS_OK) return st;
  note_search(q, name);
  if (q->mem_basis_rss) {
    /* Resident bytes besides the counted ones (runtime, libraries, stdio), as in a training
     * run's pricing pass. */
    int64_t rss = gs_mem_current_rss();
    if (rss < 0)
      return gs_error_set(err, GS_ERR_IO,
                          "cannot read this process's resident size (/proc/self/statm): use "
                          "--mem-basis counted");
    int64_t resident = rss - gs_mem_current();
    q->o.resident_bytes = resident > 0 ? (double)resident : 0.0;
  }
  data->sparse_below = q->sparse_below;
  return GS_OK;
}

/* Graphs up to this many nodes are loaded for a probe; larger ones are planned from the
 * profile alone (the plan itself reads only the binary store's counts). */
#define PROBE_NODES_MAX 2000000

/* The probe of this graph on the base's family: loads the data and its graph, probes (or
 * reads the cached probe) and frees them. A probe that cannot run leaves the profile, with a
 * note. */
static void probe_graph(gs_cli_prediction *pred, const gs_cost_data *data, const plan_request *q) {
  gs_error err;
  gs_error_clear(&err);
  if (data->nodes > PROBE_NODES_MAX) {
    if (!q->json)
      fprintf(stderr, "gnnscale plan: note: no probe: %lld nodes is more than the %d a probe "
              "loads; epoch times from the profile alone\n", (long long)data->nodes,
              PROBE_NODES_MAX);
    return;
  }
  gs_dataset *ds = NULL;
  gs_graph *g = NULL;
  gs_train_options topt = gs_train_options_default();
  topt.decay_scope = q->o.cost.decay_scope;
  topt.weight_decay = q->o.cost.weight_decay;
  gs_status st = gs_cli_load_columns(&ds, &g, q->data_dir, q->split, data->file_features,
                                     data->file_features, GS_FEATPREP_AUTO, q->norm, &err);
  if (st == GS_OK)
    st = gs_cli_prediction_probe(pred, ds, g, data, &q->o.cost.model, &topt, q->norm, &err);
  if (st != GS_OK && !q->json) fprintf(stderr, "gnnscale plan: note: no probe: %s\n", err.msg);
  gs_graph_free(&g);
  gs_dataset_free(&ds);
}

int gs_cmd_plan(int argc, char **argv) {
  plan_request q;
  int status = parse_request(&q, argc, argv);
  if (status != GS_CLI_CONTINUE) return status;
  gs_error err;
  gs_error_clear(&err);
  gs_status st = GS_OK;
  char name[256];
  int64_t *prefix = NULL;
  gs_plan plan;
  memset(&plan, 0, sizeof plan);
  gs_plan_known_list from_files, known;
  memset(&from_files, 0, sizeof from_files);
  memset(&known, 0, sizeof known);
  gs_plan_utility util;
  memset(&util, 0, sizeof util);
  known_view kv = {NULL, NULL, q.have_lambda};
  gs_profile profile;
  char profile_note[4096 + GS_PROFILE_MACHINE_MAX + 128];
  gs_cli_prediction pred;
  gs_cost_data data;
  gs_dataset *sgc_ds = NULL;
  gs_graph *sgc_g = NULL;
  gs_sgc_counter sgc;
  memset(&sgc, 0, sizeof sgc);
  GS_TRY(gs_runtime_init((int)q.threads, &err));
  /* Read before the dataset: a bad line fails at once. */
  for (int i = 0; i < q.acc.count; i++)
    GS_TRY(gs_plan_known_read(&from_files, q.acc.files[i], &err));
  GS_TRY(choose_profile(&profile, profile_note, sizeof profile_note, &q, &err));
  gs_cli_prediction_init(&pred, &profile, profile_note);
  if (!q.json) gs_cli_prediction_warn(&pred, "plan");
  GS_TRY(describe_data(&data, &prefix, name, sizeof name, &q, &err));
  if (q.o.cost.model.family == GS_MODEL_SGC && q.o.cost.model.sgc_input != GS_SGC_INPUT_DENSE) {
    /* SGC's storage depends on Â^K X's non-zeros: count them on the data (after the resident
     * bytes were measured), as train does. */
    GS_TRY(gs_cli_load_columns(&sgc_ds, &sgc_g, q.data_dir, q.split, data.file_features,
                               data.file_features, GS_FEATPREP_AUTO, q.norm, &err));
    GS_TRY(gs_cli_sgc_count_attach(&sgc, &data, &q.o.cost.model, sgc_g, &sgc_ds->x, &err));
  }
  if (q.probe) probe_graph(&pred, &data, &q);
  profile = pred.profile;
  if (q.batching != 0) {
    /* The grid without the memory budget, which the batching plan applies per model. */
    char store[4352];
    gs_store_info info;
    gs_plan_options unbounded = q.o;
    unbounded.limit[GS_PLAN_MEMORY] = 1e18;
    if (unbounded.phi_max <= 0.0) unbounded.phi_max = 4.0;
    GS_TRY(gs_store_path(store, sizeof store, q.data_dir, &err));
    GS_TRY(gs_store_read_info(&info, store, &err));
    GS_TRY(gs_plan_make(&plan, &unbounded, &data, &profile, &err));
    st = gs_cli_plan_batching(&plan, &q.o, &info, &profile, name, q.norm, q.batching == 2,
                              q.eval_full == 1, q.json,
                              &err);
    goto fail;
  }
  GS_TRY(gs_plan_make(&plan, &q.o, &data, &profile, &err));
  if (q.from_search || q.acc.count > 0) {
    GS_TRY(known_models(&known, q.from_search ? &q.searched : NULL, &from_files, &data, &err));
    if (plan.count > 0 && plan.rows[0].status == GS_OK) {
      GS_TRY(gs_plan_utility_make(&util, &plan, &q.o, known.items, known.count, q.lambda, &data,
                                  &profile, &err));
      kv.u = &util;
      kv.known = known.items;
    }
  }
  if (!q.json) gs_cli_sgc_count_note(&sgc, "plan");
  if (q.json) {
    print_json(&plan, &q.o, name, &data, &pred, &kv);
  } else {
    char source[8192];
    gs_cli_prediction_describe(&pred, source, sizeof source);
    print_table(&plan, &q.o, name, &data, source, q.all_rows, &kv);
  }
  if (plan.best < 0) st = gs_error_set(&err, GS_ERR_BUDGET, "nothing fits the budget (see above)");
fail:
  gs_sgc_counter_release(&sgc);
  gs_graph_free(&sgc_g);
  gs_dataset_free(&sgc_ds);
  gs_plan_utility_release(&util);
  gs_plan_known_release(&known);
  gs_plan_known_release(&from_files);
  gs_plan_release(&plan);
  gs_mem_free(prefix);
  return st == GS_OK ? 0 : gs_cli_fail("plan", &err);
}
