/* Tests of the planner's known accuracies and utility (scaling/planner.h): the accuracies file
 * reader and its file:line errors, the utility U = val_acc − λ·log2(cost / base cost) against
 * FLOPs priced independently, the utility choice under a memory budget, and models off the φ
 * grid. The scan itself (φ*) is tested in test_rules.c. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "scaling/planner.h"
#include "tests/test_counts.h"
#include "tests/test_helpers.h"

Suite *gs_planner_suite(void);

/* Utilities computed the same way on both sides, up to the order of operations. */
#define UTILITY_TOLERANCE 1e-12


static char tmp_path[256];

static const char *write_file(const char *text) {
  snprintf(tmp_path, sizeof tmp_path, "/tmp/gs_test_planner_%d.txt", (int)getpid());
  FILE *f = fopen(tmp_path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
  return tmp_path;
}

static gs_plan_known known(int32_t depth, int64_t width, int64_t features, double acc,
                           const char *source) {
  gs_plan_known k;
  memset(&k, 0, sizeof k);
  k.depth = depth;
  k.width = width;
  k.features = features;
  k.val_acc = acc;
  snprintf(k.source, sizeof k.source, "%s", source);
  return k;
}

/* Width alone from (2, 16, 1433), φ = 0, 1, 2: widths 16, 32 and about 16·4^(1/ε_w) rounded
 * (72 at ε_w = 0.95; test_rules.c checks the rounding), budgets as given. */
static gs_plan_options width_plan_options(double memory) {
  gs_plan_options o = gs_plan_options_default();
  o.rule.strategy = GS_SCALE_WIDTH;
  o.phi_step = 1.0;
  o.phi_max = 2.0;
  o.limit[GS_PLAN_MEMORY] = memory;
  return o;
}

static int64_t flops_of(int32_t depth, int64_t width, int64_t features, const gs_cost_data *d) {
  gs_cost c;
  gs_error err;
  gs_cost_options co = gs_cost_options_default();
  GS_ASSERT_OK(gs_cost_estimate(&c, depth, width, features, &co, d, NULL, &err), err);
  return c.epoch.total;
}

START_TEST(test_known_read_file) {
  gs_plan_known_list list;
  memset(&list, 0, sizeof list);
  gs_error err;
  const char *path = write_file("# depth width features val_acc\n"
                                "2 16 1433 0.812\n"
                                "\n"
                                "  3\t32  717   0.79   # a trailing comment\n"
                                "2 64 1433 1\n");
  GS_ASSERT_OK(gs_plan_known_read(&list, path, &err), err);
  ck_assert_int_eq(list.count, 3);
  ck_assert_int_eq(list.items[0].depth, 2);
  ck_assert_int_eq(list.items[0].width, 16);
  ck_assert_int_eq(list.items[0].features, 1433);
  ck_assert(list.items[0].val_acc == 0.812);
  ck_assert_int_eq(list.items[1].depth, 3);
  ck_assert_int_eq(list.items[1].width, 32);
  ck_assert_int_eq(list.items[1].features, 717);
  ck_assert(list.items[1].val_acc == 0.79);
  ck_assert(list.items[2].val_acc == 1.0);
  char want[300];
  snprintf(want, sizeof want, "%s:4", path);
  ck_assert_str_eq(list.items[1].source, want);
  /* A second file appends; the same model in another file is allowed (the later wins). */
  path = write_file("2 16 1433 0.8\n");
  GS_ASSERT_OK(gs_plan_known_read(&list, path, &err), err);
  ck_assert_int_eq(list.count, 4);
  ck_assert(list.items[3].val_acc == 0.8);
  gs_plan_known_release(&list);
  ck_assert_ptr_null(list.items);
  ck_assert_int_eq(list.count, 0);
  unlink(tmp_path);
}
END_TEST

/* Reads text into a list holding one model already; the list must be unchanged on error. */
static gs_status read_bad(const char *text, gs_error *err) {
  gs_plan_known_list list;
  memset(&list, 0, sizeof list);
  gs_plan_known k = known(2, 16, 1433, 0.8, "earlier");
  gs_error e2;
  GS_ASSERT_OK(gs_plan_known_add(&list, &k, &e2), e2);
  gs_status st = gs_plan_known_read(&list, write_file(text), err);
  ck_assert_int_eq(list.count, 1);
  ck_assert_str_eq(list.items[0].source, "earlier");
  gs_plan_known_release(&list);
  unlink(tmp_path);
  return st;
}

START_TEST(test_known_read_errors) {
  gs_error err;
  ck_assert_int_eq(read_bad("2 16 1433 0.8\n2 16 1433\n", &err), GS_ERR_PARSE);
  ck_assert_ptr_nonnull(strstr(err.msg, ".txt:2: expected 4 fields 'depth width features "
                                        "val_acc', got 3"));
  ck_assert_int_eq(read_bad("# sweep\n2 16 1433 0.8 0.01\n", &err), GS_ERR_PARSE);
  ck_assert_ptr_nonnull(strstr(err.msg, ".txt:2: expected 4 fields"));
  ck_assert_int_eq(read_bad("2 16 1433 0.8\n\n2 1x 1433 0.8\n", &err), GS_ERR_PARSE);
  ck_assert_ptr_nonnull(strstr(err.msg, ".txt:3: width '1x' is not an integer"));
  ck_assert_int_eq(read_bad("2 16 1433 high\n", &err), GS_ERR_PARSE);
  ck_assert_ptr_nonnull(strstr(err.msg, ".txt:1: val_acc 'high' is not a number"));
  ck_assert_int_eq(read_bad("2 16 1433 81.2\n", &err), GS_ERR_RANGE);
  ck_assert_ptr_nonnull(strstr(err.msg, ".txt:1: val_acc 81.2 is not a fraction in [0, 1]"));
  ck_assert_int_eq(read_bad("0 16 1433 0.8\n", &err), GS_ERR_RANGE);
  ck_assert_ptr_nonnull(strstr(err.msg, ".txt:1: depth 0 is outside 1..128"));
  ck_assert_int_eq(read_bad("2 16 0 0.8\n", &err), GS_ERR_RANGE);
  ck_assert_ptr_nonnull(strstr(err.msg, ".txt:1: features 0 must be >= 1"));
  ck_assert_int_eq(read_bad("2 16 1433 0.8\n3 16 1433 0.7\n2 16 1433 0.81\n", &err), GS_ERR_PARSE);
  ck_assert_ptr_nonnull(strstr(err.msg, ".txt:3: model (depth 2, width 16, features 1433) is "
                                        "already listed at "));
  ck_assert_int_eq(read_bad("# only comments\n\n", &err), GS_ERR_PARSE);
  ck_assert_ptr_nonnull(strstr(err.msg, "no models"));
  gs_plan_known_list list;
  memset(&list, 0, sizeof list);
  ck_assert_int_eq(gs_plan_known_read(&list, "/nonexistent/acc.txt", &err), GS_ERR_NOT_FOUND);
  ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/acc.txt: cannot open"));
  gs_plan_known bad = known(2, 16, 1433, 1.2, "mine");
  ck_assert_int_eq(gs_plan_known_add(&list, &bad, &err), GS_ERR_INVALID);
  ck_assert_int_eq(list.count, 0);
}
END_TEST

START_TEST(test_utility_value) {
  const int64_t mem_before = gs_mem_current();
  gs_cost_data data = gs_test_cora_counts();
  gs_plan_options o = width_plan_options(1e12);
  gs_plan plan;
  gs_error err;
  GS_ASSERT_OK(gs_plan_make(&plan, &o, &data, NULL, &err), err);
  ck_assert_int_eq(plan.count, 3);
  ck_assert_int_eq(plan.rows[1].spec.width, 32);
  ck_assert_int_gt(plan.rows[2].spec.width, 32);
  const gs_plan_known list[3] = {
      known(2, 16, 1433, 0.80, "base"),
      known(2, 32, 1433, 0.82, "wider"),
      known(3, 16, 1433, 0.81, "deeper"), /* not a model of width scaling: off the grid */
  };
  gs_plan_utility u;
  GS_ASSERT_OK(gs_plan_utility_make(&u, &plan, &o, list, 3, 0.01, &data, NULL, &err), err);
  ck_assert_int_eq(u.count, 3);
  ck_assert_int_eq(u.on_grid, 2);
  ck_assert_int_eq(u.row_item[0], 0);
  ck_assert_int_eq(u.row_item[1], 1);
  ck_assert_int_eq(u.row_item[2], -1);
  ck_assert_int_eq(u.items[2].row_first, -1);
  ck_assert_int_eq(u.items[2].known, 2);
  /* FLOPs priced independently of the plan. */
  const double f0 = (double)flops_of(2, 16, 1433, &data);
  const double f1 = (double)flops_of(2, 32, 1433, &data);
  const double f2 = (double)flops_of(3, 16, 1433, &data);
  ck_assert(u.base_flops == (int64_t)f0);
  /* The base: log2(1) = 0, so U is its accuracy exactly. */
  ck_assert(u.items[0].utility == 0.80);
  ck_assert(u.items[0].cost_ratio == 1.0);
  /* U = 0.82 − 0.01·log2(F1 / F0); width doubling about doubles FLOPs (ε_w ≈ 1). */
  ck_assert_double_eq_tol(u.items[1].cost_ratio, f1 / f0, UTILITY_TOLERANCE);
  ck_assert_double_eq_tol(u.items[1].cost_ratio, plan.rows[1].spec.realised_factor,
                          UTILITY_TOLERANCE);
  ck_assert_double_eq_tol(u.items[1].utility, 0.82 - 0.01 * log2(f1 / f0), UTILITY_TOLERANCE);
  ck_assert(u.items[1].cost_ratio > 1.8 && u.items[1].cost_ratio < 2.1);
  ck_assert(u.items[1].utility > 0.8095 && u.items[1].utility < 0.8115);
  ck_assert_double_eq_tol(u.items[2].utility, 0.81 - 0.01 * log2(f2 / f0), UTILITY_TOLERANCE);
  ck_assert(u.items[2].fits);
  /* λ = 0.01: the wider model's extra accuracy (2 points) pays for its doubling (1 point). */
  ck_assert_int_eq(u.best_grid, 1);
  ck_assert_int_eq(u.best_any, 1);
  gs_plan_utility_release(&u);
  ck_assert_ptr_null(u.items);
  /* λ = 0.05: a doubling costs 5 points, more than it gains: the base wins. */
  GS_ASSERT_OK(gs_plan_utility_make(&u, &plan, &o, list, 3, 0.05, &data, NULL, &err), err);
  ck_assert_double_eq_tol(u.items[1].utility, 0.82 - 0.05 * log2(f1 / f0), UTILITY_TOLERANCE);
  ck_assert(u.items[1].utility < 0.80);
  ck_assert_int_eq(u.best_grid, 0);
  ck_assert_int_eq(u.best_any, 0);
  gs_plan_utility_release(&u);
  /* λ = 0: the most accurate model that fits. */
  GS_ASSERT_OK(gs_plan_utility_make(&u, &plan, &o, list, 3, 0.0, &data, NULL, &err), err);
  ck_assert(u.items[2].utility == 0.81);
  ck_assert_int_eq(u.best_grid, 1);
  gs_plan_utility_release(&u);
  gs_plan_release(&plan);
  ck_assert_int_eq(gs_mem_current(), mem_before);
}
END_TEST

START_TEST(test_utility_respects_memory_budget) {
  gs_cost_data data = gs_test_cora_counts();
  gs_plan_options o = width_plan_options(1e12);
  gs_plan plan;
  gs_error err;
  GS_ASSERT_OK(gs_plan_make(&plan, &o, &data, NULL, &err), err);
  const int64_t peak1 = plan.rows[1].cost.peak_bytes, peak2 = plan.rows[2].cost.peak_bytes;
  ck_assert_int_lt(peak1, peak2);
  gs_plan_release(&plan);
  /* A budget that holds φ = 1 (width 32) but not φ = 2. */
  o = width_plan_options((double)peak1);
  GS_ASSERT_OK(gs_plan_make(&plan, &o, &data, NULL, &err), err);
  ck_assert_int_eq(plan.best, 1);
  ck_assert_int_eq(plan.rows[1].spec.width, 32);
  gs_plan_known list[5] = {
      known(2, 16, 1433, 0.70, "base"),
      known(2, 32, 1433, 0.75, "w32"),
      known(2, plan.rows[2].spec.width, 1433, 0.95, "phi 2: best utility, over the budget"),
      known(4, 256, 1433, 0.99, "big: off the grid, over the budget"),
      known(3, 16, 1433, 0.72, "deeper: off the grid, fits"),
  };
  gs_plan_utility u;
  GS_ASSERT_OK(gs_plan_utility_make(&u, &plan, &o, list, 5, 0.01, &data, NULL, &err), err);
  ck_assert_int_eq(u.on_grid, 3);
  ck_assert_int_eq(u.count, 5);
  ck_assert(!u.items[2].fits);
  ck_assert(u.items[2].utility > u.items[1].utility);
  ck_assert_int_eq(u.items[2].binding, GS_PLAN_MEMORY);
  ck_assert_double_eq_tol(u.items[2].ratio[GS_PLAN_MEMORY], (double)peak2 / (double)peak1,
                          UTILITY_TOLERANCE);
  /* Off the grid, cheapest first: deeper (3 x 16) before big (4 x 256). */
  ck_assert_str_eq(list[u.items[3].known].source, "deeper: off the grid, fits");
  ck_assert(u.items[3].fits);
  ck_assert(!u.items[4].fits);
  ck_assert_int_eq(u.items[4].binding, GS_PLAN_MEMORY);
  ck_assert_int_eq(u.best_grid, 1);
  ck_assert_int_eq(u.best_any, 1);
  gs_plan_utility_release(&u);
  /* An off-grid model that fits and beats the grid: best_any, not best_grid. */
  list[4].val_acc = 0.9;
  GS_ASSERT_OK(gs_plan_utility_make(&u, &plan, &o, list, 5, 0.01, &data, NULL, &err), err);
  ck_assert_int_eq(u.best_grid, 1);
  ck_assert_int_eq(u.best_any, 3);
  gs_plan_utility_release(&u);
  /* Known only where nothing fits: no utility choice on the grid. */
  GS_ASSERT_OK(gs_plan_utility_make(&u, &plan, &o, list + 2, 2, 0.01, &data, NULL, &err), err);
  ck_assert_int_eq(u.on_grid, 1);
  ck_assert_int_eq(u.best_grid, -1);
  ck_assert_int_eq(u.best_any, -1);
  gs_plan_utility_release(&u);
  /* Nothing known on the grid at all. */
  GS_ASSERT_OK(gs_plan_utility_make(&u, &plan, &o, list + 4, 1, 0.01, &data, NULL, &err), err);
  ck_assert_int_eq(u.on_grid, 0);
  ck_assert_int_eq(u.best_grid, -1);
  ck_assert_int_eq(u.best_any, 0);
  for (int32_t r = 0; r < plan.count; r++) ck_assert_int_eq(u.row_item[r], -1);
  gs_plan_utility_release(&u);
  gs_plan_release(&plan);
}
END_TEST

START_TEST(test_utility_listings_and_errors) {
  gs_cost_data data = gs_test_cora_counts();
  gs_plan_options o = width_plan_options(1e12);
  gs_plan plan;
  gs_error err;
  GS_ASSERT_OK(gs_plan_make(&plan, &o, &data, NULL, &err), err);
  /* The same model twice, on the grid and off it: the later listing wins, once each. */
  const gs_plan_known list[4] = {
      known(2, 32, 1433, 0.70, "search"), known(3, 16, 1433, 0.60, "search"),
      known(2, 32, 1433, 0.90, "sweep:1"), known(3, 16, 1433, 0.65, "sweep:2")};
  gs_plan_utility u;
  GS_ASSERT_OK(gs_plan_utility_make(&u, &plan, &o, list, 4, 0.01, &data, NULL, &err), err);
  ck_assert_int_eq(u.count, 2);
  ck_assert_int_eq(u.on_grid, 1);
  ck_assert_int_eq(u.items[0].known, 2);
  ck_assert(u.items[0].val_acc == 0.90);
  ck_assert_int_eq(u.items[1].known, 3);
  ck_assert(u.items[1].val_acc == 0.65);
  gs_plan_utility_release(&u);
  ck_assert_int_eq(gs_plan_utility_make(&u, &plan, &o, list, 4, -0.5, &data, NULL, &err),
                   GS_ERR_INVALID);
  ck_assert_int_eq(gs_plan_utility_make(&u, &plan, &o, list, 4, INFINITY, &data, NULL, &err),
                   GS_ERR_INVALID);
  /* An off-grid model the cost model rejects: the message names its source. */
  const gs_plan_known wide = known(2, 16, 5000, 0.9, "acc.txt:7");
  ck_assert_int_eq(gs_plan_utility_make(&u, &plan, &o, &wide, 1, 0.01, &data, NULL, &err),
                   GS_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(err.msg, "acc.txt:7: "));
  ck_assert_ptr_nonnull(strstr(err.msg, "5000 features"));
  /* No known models: nothing to score, not an error. */
  GS_ASSERT_OK(gs_plan_utility_make(&u, &plan, &o, NULL, 0, 0.01, &data, NULL, &err), err);
  ck_assert_int_eq(u.count, 0);
  ck_assert_int_eq(u.best_grid, -1);
  gs_plan_utility_release(&u);
  gs_plan_release(&plan);
}
END_TEST

Suite *gs_planner_suite(void) {
  Suite *s = suite_create("planner");
  TCase *tc = tcase_create("utility");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_known_read_file);
  tcase_add_test(tc, test_known_read_errors);
  tcase_add_test(tc, test_utility_value);
  tcase_add_test(tc, test_utility_respects_memory_budget);
  tcase_add_test(tc, test_utility_listings_and_errors);
  suite_add_tcase(s, tc);
  return s;
}
