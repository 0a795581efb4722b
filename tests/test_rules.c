/* Tests of scaling/rules and scaling/planner on datasets described by counts (Cora's, with
 * dense or CSR features, and a made-up graph whose storage switches with the resolution):
 * rounding rules, known specs worked out by hand, the elasticity-derived exponents, the
 * planner's choice of φ*, and every rejected input. */
#include <check.h>
#include <math.h>
#include <string.h>

#include "scaling/planner.h"
#include "scaling/profile.h"
#include "scaling/rules.h"
#include "tests/test_counts.h"
#include "tests/test_helpers.h"

Suite *gs_rules_suite(void);

/* Floating comparisons of quantities computed the same way on both sides. */
#define EXACT_TOLERANCE 1e-12
/* DESIGN.md §1 quotes the elasticities of a Cora-sized base to two decimals, from a slightly
 * different element-wise count; ours must agree to this much. */
#define DESIGN_ELASTICITY_TOLERANCE 0.1
/* Width scaling is nearly exact in FLOPs (ε_w ≈ 1 everywhere): realised within 10% of 2^φ. */
#define WIDTH_FACTOR_TOLERANCE 0.10
/* dWr uses elasticities measured at the base; one doubling away the realised factor must
 * still be within half a doubling of 2^φ (rounding of small depths adds the rest). */
#define FAST_LOG2_TOLERANCE 0.5

/* Cora's counts (tests/test_counts.h); sparse_below 0 makes the loader keep the features
 * dense. */
static gs_cost_data cora_counts(bool sparse) {
  gs_cost_data d = gs_test_cora_counts();
  d.sparse_below = sparse ? GS_COST_SPARSE_BELOW : 0.0;
  return d;
}

START_TEST(test_round_width_multiples) {
  ck_assert_int_eq(gs_scaling_round_width(16.0, 8), 16);
  ck_assert_int_eq(gs_scaling_round_width(20.0, 8), 24);  /* halfway rounds up */
  ck_assert_int_eq(gs_scaling_round_width(19.36, 8), 24); /* 16 would be 17% down */
  ck_assert_int_eq(gs_scaling_round_width(99.0, 8), 96);  /* 3% down is allowed */
  ck_assert_int_eq(gs_scaling_round_width(11.9, 8), 16);  /* 8 would be 33% down */
  ck_assert_int_eq(gs_scaling_round_width(3.0, 8), 8);    /* at least one multiple */
  ck_assert_int_eq(gs_scaling_round_width(37.0, 1), 37);  /* multiple 1: exact widths */
  ck_assert_int_eq(gs_scaling_round_width(36.5, 1), 37);
  ck_assert_int_eq(gs_scaling_round_width(0.3, 1), 1);
  ck_assert_int_eq(gs_scaling_round_width(100.0, 32), 96);
}
END_TEST

START_TEST(test_round_depth_and_features) {
  ck_assert_int_eq(gs_scaling_round_depth(2.4), 2);
  ck_assert_int_eq(gs_scaling_round_depth(2.5), 3);
  ck_assert_int_eq(gs_scaling_round_depth(2.4999999999999), 3); /* floating error of 2.5 */
  ck_assert_int_eq(gs_scaling_round_depth(2.88), 3);
  ck_assert_int_eq(gs_scaling_round_depth(0.2), 1);
  ck_assert_int_eq(gs_scaling_features(0.3, 10), 3); /* 0.3·10 = 3.0000000000000004 */
  ck_assert_int_eq(gs_scaling_features(0.5, 1433), 717);
  ck_assert_int_eq(gs_scaling_features(1.0, 1433), 1433);
  ck_assert_int_eq(gs_scaling_features(1e-9, 100), 1);
  ck_assert_int_eq(gs_scaling_features(0.66125, 1433), 948);
}
END_TEST

/* By hand: d = 2·1.2² = 2.88 -> 3; w = 16·1.1² = 19.36 -> 16 is 17% down, so 24;
 * r = 0.5·1.15² = 0.66125 -> f = ceil(947.57) = 948. */
START_TEST(test_dwr_known_spec) {
  gs_cost_data data = cora_counts(true);
  gs_cost_options opts = gs_cost_options_default();
  gs_scaling_rule rule = gs_scaling_rule_default();
  rule.base_resolution = 0.5;
  gs_scaling_spec s;
  gs_error err;
  gs_status st = gs_scaling_apply(&s, &rule, 2.0, &opts, &data, &err);
  GS_ASSERT_OK(st, err);
  ck_assert_int_eq(s.depth, 3);
  ck_assert_int_eq(s.width, 24);
  ck_assert_int_eq(s.features, 948);
  ck_assert(!s.r_clipped);
  ck_assert_double_eq_tol(s.d, 2.88, EXACT_TOLERANCE);
  ck_assert_double_eq_tol(s.w, 19.36, EXACT_TOLERANCE);
  ck_assert_double_eq_tol(s.r, 0.66125, EXACT_TOLERANCE);
  ck_assert_double_eq_tol(s.resolution, 948.0 / 1433.0, EXACT_TOLERANCE);
  /* intended: the local estimate (α^ε_d β^ε_w γ^ε_r)^φ; realised: the model on 3, 24, 948 */
  double expect = pow(pow(1.2, s.eps_d) * pow(1.1, s.eps_w) * pow(1.15, s.eps_r), 2.0);
  ck_assert_double_eq_tol(s.intended_factor, expect, 1e-9);
  gs_cost base, scaled;
  GS_ASSERT_OK(gs_cost_estimate(&base, 2, 16, 717, &opts, &data, NULL, &err), err);
  GS_ASSERT_OK(gs_cost_estimate(&scaled, 3, 24, 948, &opts, &data, NULL, &err), err);
  ck_assert_double_eq_tol(s.realised_factor, (double)scaled.epoch.total / (double)base.epoch.total,
                          EXACT_TOLERANCE);
}
END_TEST

START_TEST(test_dwr_resolution_clipped) {
  gs_cost_data data = cora_counts(true);
  gs_cost_options opts = gs_cost_options_default();
  gs_scaling_rule rule = gs_scaling_rule_default();
  rule.base_resolution = 0.9;
  gs_scaling_spec s;
  gs_error err;
  GS_ASSERT_OK(gs_scaling_apply(&s, &rule, 2.0, &opts, &data, &err), err);
  ck_assert(s.r_clipped);
  ck_assert_double_eq(s.r, 1.0);
  ck_assert_int_eq(s.features, 1433);
  /* φ = 0 is the base itself */
  GS_ASSERT_OK(gs_scaling_apply(&s, &rule, 0.0, &opts, &data, &err), err);
  ck_assert_int_eq(s.depth, 2);
  ck_assert_int_eq(s.width, 16);
  ck_assert_int_eq(s.features, gs_scaling_features(0.9, 1433));
  ck_assert_double_eq(s.realised_factor, 1.0);
}
END_TEST

/* DESIGN.md §1: ε ≈ (0.06, 1.00, 0.98) dense and (1.39, 0.96, 0.42) sparse at Cora's base. */
START_TEST(test_elasticities_cora) {
  gs_cost_options opts = gs_cost_options_default();
  gs_scaling_rule rule = gs_scaling_rule_default();
  const double want[2][3] = {{0.06, 1.00, 0.98}, {1.39, 0.96, 0.42}};
  for (int sparse = 0; sparse < 2; sparse++) {
    gs_cost_data data = cora_counts(sparse);
    double eps[3];
    gs_error err;
    GS_ASSERT_OK(gs_scaling_elasticities(eps, &rule, &opts, &data, &err), err);
    for (int i = 0; i < 3; i++)
      ck_assert_msg(fabs(eps[i] - want[sparse][i]) < DESIGN_ELASTICITY_TOLERANCE,
                    "%s features: elasticity %d is %.3f, DESIGN.md says %.2f",
                    sparse ? "sparse" : "dense", i, eps[i], want[sparse][i]);
  }
}
END_TEST

START_TEST(test_fast_exponents_from_elasticities) {
  gs_cost_options opts = gs_cost_options_default();
  gs_scaling_rule rule = gs_scaling_rule_default();
  rule.strategy = GS_SCALE_FAST;
  rule.base_resolution = 0.5;
  for (int sparse = 0; sparse < 2; sparse++) {
    gs_cost_data data = cora_counts(sparse);
    gs_scaling_spec s;
    gs_error err;
    GS_ASSERT_OK(gs_scaling_apply(&s, &rule, 1.0, &opts, &data, &err), err);
    /* Dollár's family generalised: each share over its elasticity, shares summing to 1. */
    ck_assert_double_eq_tol(s.e_w, rule.a / s.eps_w, EXACT_TOLERANCE);
    ck_assert_double_eq_tol(s.e_d, (1.0 - rule.a) / (2.0 * s.eps_d), EXACT_TOLERANCE);
    ck_assert_double_eq_tol(s.e_r, (1.0 - rule.a) / (2.0 * s.eps_r), EXACT_TOLERANCE);
    ck_assert_double_eq_tol(s.eps_d * s.e_d + s.eps_w * s.e_w + s.eps_r * s.e_r, 1.0,
                            EXACT_TOLERANCE);
    ck_assert_double_eq_tol(s.intended_factor, 2.0, 1e-9);
    ck_assert_msg(fabs(log2(s.realised_factor) - 1.0) < FAST_LOG2_TOLERANCE,
                  "%s: dWr at phi 1 realises %.3f", sparse ? "sparse" : "dense",
                  s.realised_factor);
    /* a = 1 is width alone, with Dollár's exponent at ε_w = 2 giving 1/2 */
    gs_scaling_rule wide = rule;
    wide.a = 1.0;
    GS_ASSERT_OK(gs_scaling_apply(&s, &wide, 1.0, &opts, &data, &err), err);
    ck_assert_double_eq(s.e_d, 0.0);
    ck_assert_double_eq(s.e_r, 0.0);
    ck_assert_int_eq(s.depth, 2);
  }
}
END_TEST

START_TEST(test_width_alone_doubles_cost) {
  gs_cost_options opts = gs_cost_options_default();
  gs_scaling_rule rule = gs_scaling_rule_default();
  rule.strategy = GS_SCALE_WIDTH;
  for (int sparse = 0; sparse < 2; sparse++) {
    gs_cost_data data = cora_counts(sparse);
    for (int phi = 1; phi <= 3; phi++) {
      gs_scaling_spec s;
      gs_error err;
      GS_ASSERT_OK(gs_scaling_apply(&s, &rule, phi, &opts, &data, &err), err);
      ck_assert_int_eq(s.depth, 2);
      ck_assert_int_eq(s.features, 1433);
      ck_assert_int_eq(s.width % 8, 0);
      ck_assert_msg(fabs(s.realised_factor / exp2(phi) - 1.0) < WIDTH_FACTOR_TOLERANCE,
                    "width alone at phi %d realises %.3f", phi, s.realised_factor);
    }
  }
}
END_TEST

START_TEST(test_explicit_spec) {
  gs_cost_data data = cora_counts(true);
  gs_cost_options opts = gs_cost_options_default();
  gs_scaling_rule rule = gs_scaling_rule_default();
  rule.strategy = GS_SCALE_EXPLICIT;
  rule.depth = 3;
  rule.width = 20; /* kept as given: explicit widths are not rounded */
  rule.resolution = 0.25;
  gs_scaling_spec s;
  gs_error err;
  GS_ASSERT_OK(gs_scaling_apply(&s, &rule, 0.0, &opts, &data, &err), err);
  ck_assert_int_eq(s.depth, 3);
  ck_assert_int_eq(s.width, 20);
  ck_assert_int_eq(s.features, 359); /* ceil(358.25) */
  ck_assert_double_eq_tol(s.phi, log2(s.realised_factor), EXACT_TOLERANCE);
  ck_assert(s.realised_factor > 1.0);
}
END_TEST

START_TEST(test_rules_reject_bad_input) {
  gs_cost_data data = cora_counts(true);
  gs_cost_options opts = gs_cost_options_default();
  gs_scaling_rule rule = gs_scaling_rule_default();
  gs_scaling_spec s;
  gs_error err;
  ck_assert_int_eq(gs_scaling_apply(&s, &rule, -0.5, &opts, &data, &err), GS_ERR_INVALID);
  ck_assert_int_eq(gs_scaling_apply(&s, &rule, INFINITY, &opts, &data, &err), GS_ERR_INVALID);
  ck_assert_int_eq(gs_scaling_apply(&s, &rule, NAN, &opts, &data, &err), GS_ERR_INVALID);
  gs_scaling_rule bad = rule;
  bad.alpha = 0.9;
  ck_assert_int_eq(gs_scaling_apply(&s, &bad, 1.0, &opts, &data, &err), GS_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(err.msg, "alpha"));
  bad = rule;
  bad.gamma = 0.5;
  ck_assert_int_eq(gs_scaling_apply(&s, &bad, 1.0, &opts, &data, &err), GS_ERR_INVALID);
  bad = rule;
  bad.strategy = (gs_scaling_strategy)42;
  ck_assert_int_eq(gs_scaling_apply(&s, &bad, 1.0, &opts, &data, &err), GS_ERR_INVALID);
  bad = rule;
  bad.strategy = GS_SCALE_FAST;
  bad.a = 1.5;
  ck_assert_int_eq(gs_scaling_apply(&s, &bad, 1.0, &opts, &data, &err), GS_ERR_INVALID);
  bad = rule;
  bad.width_multiple = 0;
  ck_assert_int_eq(gs_scaling_apply(&s, &bad, 1.0, &opts, &data, &err), GS_ERR_INVALID);
  bad = rule;
  bad.base_resolution = 0.0;
  ck_assert_int_eq(gs_scaling_apply(&s, &bad, 1.0, &opts, &data, &err), GS_ERR_INVALID);
  bad = rule;
  bad.base_depth = 0;
  ck_assert_int_eq(gs_scaling_apply(&s, &bad, 1.0, &opts, &data, &err), GS_ERR_INVALID);
  bad = rule;
  bad.strategy = GS_SCALE_EXPLICIT;
  bad.width = 0;
  ck_assert_int_eq(gs_scaling_apply(&s, &bad, 0.0, &opts, &data, &err), GS_ERR_INVALID);

  gs_scaling_strategy strategy;
  ck_assert_int_eq(gs_scaling_strategy_parse(&strategy, "dWr", &err), GS_OK);
  ck_assert_int_eq(strategy, GS_SCALE_FAST);
  ck_assert_int_eq(gs_scaling_strategy_parse(&strategy, "dwr", &err), GS_OK);
  ck_assert_int_eq(strategy, GS_SCALE_DWR);
  ck_assert_int_eq(gs_scaling_strategy_parse(&strategy, "width", &err), GS_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(err.msg, "width"));
  ck_assert_ptr_null(gs_scaling_strategy_name((gs_scaling_strategy)-1));

  /* Depth barely moves dense-feature FLOPs (ε_d ≈ 0.05): depth alone to double the cost
   * would need over a thousand layers. */
  gs_cost_data dense = cora_counts(false);
  bad = rule;
  bad.strategy = GS_SCALE_DEPTH;
  ck_assert_int_eq(gs_scaling_apply(&s, &bad, 1.0, &opts, &dense, &err), GS_ERR_RANGE);
  ck_assert_ptr_nonnull(strstr(err.msg, "depth"));
  /* A single column: resolution cannot change anything. */
  gs_cost_data one = cora_counts(true);
  one.file_features = 1;
  one.feature_nnz = 2708;
  bad = rule;
  bad.strategy = GS_SCALE_RESOLUTION;
  ck_assert_int_eq(gs_scaling_apply(&s, &bad, 1.0, &opts, &one, &err), GS_ERR_RANGE);
  ck_assert_int_eq(gs_scaling_apply(&s, &bad, 0.0, &opts, &one, &err), GS_OK);
}
END_TEST

/* ------------------------------------------------------------------ planner */

START_TEST(test_plan_picks_largest_fitting_phi) {
  gs_cost_data data = cora_counts(true);
  gs_plan_options o = gs_plan_options_default();
  o.rule.base_resolution = 0.5;
  o.phi_max = 6.0;
  /* First the unconstrained costs, then a budget between two rows. */
  o.limit[GS_PLAN_FLOPS] = 1e30;
  gs_plan all;
  gs_error err;
  GS_ASSERT_OK(gs_plan_make(&all, &o, &data, NULL, &err), err);
  ck_assert_int_eq(all.count, 25);
  ck_assert_int_eq(all.best, 24);
  const int pick = 13;
  int64_t limit = all.rows[pick].cost.peak_bytes;
  for (int i = pick + 1; i < all.count; i++)
    if (all.rows[i].cost.peak_bytes <= limit) limit = all.rows[i].cost.peak_bytes - 1;
  int want = -1;
  for (int i = 0; i < all.count; i++)
    if (all.rows[i].cost.peak_bytes <= limit) want = i;
  gs_plan_release(&all);

  o.limit[GS_PLAN_FLOPS] = 0.0;
  o.limit[GS_PLAN_MEMORY] = (double)limit;
  gs_plan p;
  GS_ASSERT_OK(gs_plan_make(&p, &o, &data, NULL, &err), err);
  ck_assert_int_ge(want, 0);
  ck_assert_int_eq(p.best, want);
  ck_assert(p.rows[p.best].fits);
  ck_assert_int_le(p.rows[p.best].cost.peak_bytes, limit);
  for (int i = p.best + 1; i < p.count; i++) ck_assert(!p.rows[i].fits);
  ck_assert_int_eq(p.stops, GS_PLAN_MEMORY);
  ck_assert_int_eq(p.rows[p.best].binding, GS_PLAN_MEMORY);
  ck_assert_double_eq_tol(p.rows[p.best].phi, 0.25 * p.best, EXACT_TOLERANCE);
  gs_plan_release(&p);
  ck_assert_ptr_null(p.rows);

  /* The same budget with resident bytes besides the counted ones (an RSS budget): every
   * model uses its counted peak + those bytes, so the pick moves down to the largest φ whose
   * peak fits in the budget less the resident bytes, and a negative amount is refused. */
  const double resident = 3.0 * 1048576.0;
  o.resident_bytes = resident;
  GS_ASSERT_OK(gs_plan_make(&p, &o, &data, NULL, &err), err);
  int want_rss = -1;
  for (int i = 0; i < p.count; i++) {
    ck_assert_double_eq(p.rows[i].used[GS_PLAN_MEMORY],
                        (double)p.rows[i].cost.peak_bytes + resident);
    if ((double)p.rows[i].cost.peak_bytes + resident <= (double)limit) want_rss = i;
  }
  ck_assert_int_eq(p.best, want_rss);
  ck_assert_int_lt(p.best, want);
  gs_plan_release(&p);
  o.resident_bytes = -1.0;
  ck_assert_int_eq(gs_plan_make(&p, &o, &data, NULL, &err), GS_ERR_INVALID);
}
END_TEST

START_TEST(test_plan_nothing_fits_reports_deficit) {
  gs_cost_data data = cora_counts(true);
  gs_plan_options o = gs_plan_options_default();
  o.limit[GS_PLAN_MEMORY] = 1 << 20;
  o.limit[GS_PLAN_FLOPS] = 1e12; /* holds */
  gs_plan p;
  gs_error err;
  GS_ASSERT_OK(gs_plan_make(&p, &o, &data, NULL, &err), err);
  ck_assert_int_eq(p.best, -1);
  ck_assert_int_ge(p.count, 1);
  ck_assert(p.auto_stopped);
  ck_assert_double_eq(p.deficit[GS_PLAN_MEMORY], (double)p.rows[0].cost.peak_bytes - (1 << 20));
  ck_assert(p.deficit[GS_PLAN_MEMORY] > 0.0);
  ck_assert_double_eq(p.deficit[GS_PLAN_FLOPS], 0.0);
  ck_assert_int_eq(p.rows[0].binding, GS_PLAN_MEMORY);
  gs_plan_release(&p);
}
END_TEST

/* The top-ranked columns are dense (900 of 1000 rows each), the rest sparse (10 rows): as r
 * grows the kept columns turn from dense to CSR storage and the FLOPs fall, so a budget can
 * fail at one φ and hold again at a larger one. A bisection would stop at the failure. */
START_TEST(test_plan_scans_non_monotone_cost) {
  enum { F0 = 100, HOT = 10 };
  int64_t prefix[F0 + 1];
  prefix[0] = 0;
  for (int j = 0; j < F0; j++) prefix[j + 1] = prefix[j] + (j < HOT ? 900 : 10);
  gs_cost_data data = gs_cost_data_default();
  data.nodes = 1000;
  data.edge_lines = 5000;
  data.symmetric_entries = 10000;
  data.adj_nnz = 11000;
  data.max_degree = 40;
  data.file_features = F0;
  data.feature_nnz = prefix[F0];
  data.column_nnz_prefix = prefix;
  data.classes = 4;
  data.num_train = 100;
  data.num_valid = 100;
  data.num_test = 800;
  gs_plan_options o = gs_plan_options_default();
  o.rule.strategy = GS_SCALE_RESOLUTION;
  o.rule.base_resolution = 0.05;
  o.phi_max = 8.0;
  o.limit[GS_PLAN_FLOPS] = 1e30;
  gs_plan all;
  gs_error err;
  GS_ASSERT_OK(gs_plan_make(&all, &o, &data, NULL, &err), err);
  /* find a row more expensive than a later one that stores its features sparse */
  int fail_row = -1, later = -1;
  for (int i = 0; i < all.count && later < 0; i++)
    for (int j = i + 1; j < all.count; j++)
      if (!all.rows[i].cost.sparse_features && all.rows[j].cost.sparse_features &&
          all.rows[j].cost.epoch.total < all.rows[i].cost.epoch.total) {
        fail_row = i;
        later = j;
        break;
      }
  ck_assert_msg(later > 0, "no storage switch in the scan");
  double limit = (double)all.rows[fail_row].cost.epoch.total - 1.0;
  int want = -1;
  for (int i = 0; i < all.count; i++)
    if ((double)all.rows[i].cost.epoch.total <= limit) want = i;
  gs_plan_release(&all);
  ck_assert_int_ge(want, later);

  o.limit[GS_PLAN_FLOPS] = limit;
  gs_plan p;
  GS_ASSERT_OK(gs_plan_make(&p, &o, &data, NULL, &err), err);
  ck_assert(!p.rows[fail_row].fits);
  ck_assert_int_eq(p.best, want);
  ck_assert(p.rows[p.best].cost.sparse_features);
  gs_plan_release(&p);
}
END_TEST

START_TEST(test_plan_time_budget_with_profile) {
  gs_cost_data data = cora_counts(true);
  gs_profile prof = gs_profile_default();
  gs_plan_options o = gs_plan_options_default();
  o.rule.base_resolution = 0.5;
  o.phi_max = 4.0;
  gs_cost base;
  gs_error err;
  GS_ASSERT_OK(gs_cost_estimate(&base, 2, 16, 717, &o.cost, &data, &prof, &err), err);
  ck_assert(base.seconds_per_epoch > 0.0);
  o.limit[GS_PLAN_TIME] = 4.0 * base.seconds_per_epoch;
  gs_plan p;
  GS_ASSERT_OK(gs_plan_make(&p, &o, &data, &prof, &err), err);
  ck_assert_int_ge(p.best, 0);
  ck_assert(p.rows[p.best].cost.seconds_per_epoch <= o.limit[GS_PLAN_TIME]);
  for (int i = p.best + 1; i < p.count; i++) ck_assert(!p.rows[i].fits);
  const int32_t best_plain = p.best;
  gs_plan_release(&p);
  /* With 50% headroom a model uses 1.5 x its predicted time: φ* is the largest row whose
   * 1.5 x prediction fits, below the plain pick; negative headroom is refused. */
  o.time_headroom = 0.5;
  GS_ASSERT_OK(gs_plan_make(&p, &o, &data, &prof, &err), err);
  int want = -1;
  for (int i = 0; i < p.count; i++) {
    ck_assert_double_eq_tol(p.rows[i].used[GS_PLAN_TIME], 1.5 * p.rows[i].cost.seconds_per_epoch,
                            1e-15);
    if (1.5 * p.rows[i].cost.seconds_per_epoch <= o.limit[GS_PLAN_TIME]) want = i;
  }
  ck_assert_int_eq(p.best, want);
  ck_assert_int_lt(p.best, best_plain);
  gs_plan_release(&p);
  o.time_headroom = -0.1;
  ck_assert_int_eq(gs_plan_make(&p, &o, &data, &prof, &err), GS_ERR_INVALID);
}
END_TEST

START_TEST(test_plan_range_row_ends_scan) {
  gs_cost_data data = cora_counts(false);
  gs_plan_options o = gs_plan_options_default();
  o.rule.strategy = GS_SCALE_DEPTH; /* dense features: depth is nearly free, so it explodes */
  o.limit[GS_PLAN_MEMORY] = 1e12;
  gs_plan p;
  gs_error err;
  GS_ASSERT_OK(gs_plan_make(&p, &o, &data, NULL, &err), err);
  ck_assert_int_ge(p.count, 2);
  ck_assert_int_eq(p.rows[p.count - 1].status, GS_ERR_RANGE);
  ck_assert_ptr_nonnull(strstr(p.rows[p.count - 1].note, "depth"));
  ck_assert_int_eq(p.best, p.count - 2);
  ck_assert_int_eq(p.stop_row, p.count - 1);
  ck_assert_int_eq(p.stops, GS_PLAN_NONE);
  gs_plan_release(&p);
}
END_TEST

START_TEST(test_plan_rejects_bad_input) {
  gs_cost_data data = cora_counts(true);
  gs_plan_options o = gs_plan_options_default();
  gs_plan p;
  gs_error err;
  ck_assert_int_eq(gs_plan_make(&p, &o, &data, NULL, &err), GS_ERR_INVALID); /* no budget */
  ck_assert_ptr_nonnull(strstr(err.msg, "budget"));
  o.limit[GS_PLAN_TIME] = 2.0;
  ck_assert_int_eq(gs_plan_make(&p, &o, &data, NULL, &err), GS_ERR_INVALID); /* no profile */
  ck_assert_ptr_nonnull(strstr(err.msg, "profile"));
  o.limit[GS_PLAN_TIME] = 0.0;
  o.limit[GS_PLAN_MEMORY] = 1e9;
  o.phi_step = 0.0;
  ck_assert_int_eq(gs_plan_make(&p, &o, &data, NULL, &err), GS_ERR_INVALID);
  o.phi_step = 0.25;
  o.phi_max = -1.0;
  ck_assert_int_eq(gs_plan_make(&p, &o, &data, NULL, &err), GS_ERR_INVALID);
  o.phi_max = 0.0;
  o.rule.strategy = GS_SCALE_EXPLICIT;
  ck_assert_int_eq(gs_plan_make(&p, &o, &data, NULL, &err), GS_ERR_INVALID);
  o.rule.strategy = GS_SCALE_DWR;
  o.rule.beta = 0.5;
  ck_assert_int_eq(gs_plan_make(&p, &o, &data, NULL, &err), GS_ERR_INVALID);
  o.rule.beta = 1.1;
  o.limit[GS_PLAN_MEMORY] = NAN;
  ck_assert_int_eq(gs_plan_make(&p, &o, &data, NULL, &err), GS_ERR_INVALID);
  gs_plan_release(NULL);
}
END_TEST

Suite *gs_rules_suite(void) {
  Suite *s = suite_create("rules");
  TCase *rules = tcase_create("rules");
  tcase_add_test(rules, test_round_width_multiples);
  tcase_add_test(rules, test_round_depth_and_features);
  tcase_add_test(rules, test_dwr_known_spec);
  tcase_add_test(rules, test_dwr_resolution_clipped);
  tcase_add_test(rules, test_elasticities_cora);
  tcase_add_test(rules, test_fast_exponents_from_elasticities);
  tcase_add_test(rules, test_width_alone_doubles_cost);
  tcase_add_test(rules, test_explicit_spec);
  tcase_add_test(rules, test_rules_reject_bad_input);
  suite_add_tcase(s, rules);
  TCase *plan = tcase_create("planner");
  tcase_set_timeout(plan, 60);
  tcase_add_test(plan, test_plan_picks_largest_fitting_phi);
  tcase_add_test(plan, test_plan_nothing_fits_reports_deficit);
  tcase_add_test(plan, test_plan_scans_non_monotone_cost);
  tcase_add_test(plan, test_plan_time_budget_with_profile);
  tcase_add_test(plan, test_plan_range_row_ends_scan);
  tcase_add_test(plan, test_plan_rejects_bad_input);
  suite_add_tcase(s, plan);
  return s;
}
