/* Tests of scaling/search: every candidate of the α/β/γ grid meets the cost constraint by the
 * exact model and lies within the grid bounds; the result file (version 2, with one line per
 * trained model) reads back exactly; version 1 files still load, with their two known models
 * synthesised; malformed files fail with the file and line in the message. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "scaling/cost.h"
#include "scaling/rules.h"
#include "scaling/search.h"
#include "tests/test_counts.h"
#include "tests/test_helpers.h"

Suite *gs_search_suite(void);


/* Relative slack for comparing the realised factor with the tolerance band. */
#define FACTOR_SLACK 1e-12

static void check_candidates(const gs_scaling_rule *base, const gs_search_options *o) {
  gs_cost_data d = gs_test_cora_counts();
  gs_cost_options co = gs_cost_options_default();
  gs_search_candidate *c = NULL;
  int32_t n = -1;
  gs_error err;
  ck_assert_int_eq(gs_search_candidates(&c, &n, base, o, &co, &d, &err), GS_OK);
  ck_assert_int_gt(n, 0);
  const double gmax = o->gamma_max > 0 ? o->gamma_max : fmin(8.0, 1.0 / base->base_resolution);
  for (int32_t i = 0; i < n; i++) {
    ck_assert(c[i].alpha >= 1.0 && c[i].alpha <= o->alpha_max + 1e-9);
    ck_assert(c[i].beta >= 1.0 && c[i].beta <= o->beta_max + 1e-9);
    ck_assert(c[i].gamma >= 1.0 && c[i].gamma <= gmax + 1e-9);
    /* Re-price the rounded model independently with the exact cost model. */
    gs_cost base_cost, cost;
    int64_t f_base = gs_scaling_features(base->base_resolution, d.file_features);
    ck_assert_int_eq(gs_cost_estimate(&base_cost, base->base_depth, base->base_width, f_base, &co,
                                      &d, NULL, &err), GS_OK);
    ck_assert_int_eq(gs_cost_estimate(&cost, c[i].spec.depth, c[i].spec.width, c[i].spec.features,
                                      &co, &d, NULL, &err), GS_OK);
    double factor = (double)cost.epoch.total / (double)base_cost.epoch.total;
    ck_assert(fabs(factor / c[i].spec.realised_factor - 1.0) < 1e-9);
    ck_assert(fabs(factor / o->factor - 1.0) <= o->tolerance + FACTOR_SLACK);
    for (int32_t j = 0; j < i; j++)
      ck_assert(!(c[j].spec.depth == c[i].spec.depth && c[j].spec.width == c[i].spec.width &&
                  c[j].spec.features == c[i].spec.features));
  }
  gs_mem_free(c);
}

START_TEST(test_candidates_within_tolerance) {
  gs_scaling_rule base = gs_scaling_rule_default();
  gs_search_options o = gs_search_options_default();
  check_candidates(&base, &o);
  base.base_resolution = 0.25;
  check_candidates(&base, &o);
  o.factor = 4.0;
  o.tolerance = 0.15;
  check_candidates(&base, &o);
}
END_TEST

START_TEST(test_candidates_gamma_one_at_full_resolution) {
  gs_scaling_rule base = gs_scaling_rule_default();
  gs_search_options o = gs_search_options_default();
  gs_cost_data d = gs_test_cora_counts();
  gs_cost_options co = gs_cost_options_default();
  gs_search_candidate *c = NULL;
  int32_t n = 0;
  gs_error err;
  ck_assert_int_eq(gs_search_candidates(&c, &n, &base, &o, &co, &d, &err), GS_OK);
  for (int32_t i = 0; i < n; i++) {
    ck_assert(c[i].gamma == 1.0);
    ck_assert_int_eq(c[i].spec.features, d.file_features);
  }
  gs_mem_free(c);
}
END_TEST

START_TEST(test_candidates_invalid_options) {
  gs_scaling_rule base = gs_scaling_rule_default();
  gs_cost_data d = gs_test_cora_counts();
  gs_cost_options co = gs_cost_options_default();
  gs_search_candidate *c = NULL;
  int32_t n = 0;
  gs_error err;
  gs_search_options o = gs_search_options_default();
  o.factor = 1.0;
  ck_assert_int_eq(gs_search_candidates(&c, &n, &base, &o, &co, &d, &err), GS_ERR_INVALID);
  o = gs_search_options_default();
  o.grid_step = 0;
  ck_assert_int_eq(gs_search_candidates(&c, &n, &base, &o, &co, &d, &err), GS_ERR_INVALID);
  o = gs_search_options_default();
  o.alpha_max = 0.5;
  ck_assert_int_eq(gs_search_candidates(&c, &n, &base, &o, &co, &d, &err), GS_ERR_INVALID);
  o = gs_search_options_default();
  o.grid_step = 1e-4; /* 30001^2 points */
  ck_assert_int_eq(gs_search_candidates(&c, &n, &base, &o, &co, &d, &err), GS_ERR_INVALID);
  ck_assert_ptr_null(c);
}
END_TEST

static gs_search_result sample(void) {
  gs_search_result r;
  memset(&r, 0, sizeof r);
  snprintf(r.dataset, sizeof r.dataset, "cora");
  r.factor = 2;
  r.tolerance = 0.1;
  r.grid_step = 0.05;
  r.base_depth = 2;
  r.base_width = 16;
  r.base_resolution = 1;
  r.width_multiple = 8;
  r.alpha = 1.05;
  r.beta = 1.45;
  r.gamma = 1;
  r.depth = 2;
  r.width = 24;
  r.features = 1433;
  r.realised_factor = 1.4999999999999998;
  r.seeds = 3;
  r.epochs = 200;
  r.candidates = 5;
  r.best = (gs_search_accuracy){0.79, 0.01, 0.815, 0.003};
  r.base = (gs_search_accuracy){0.78, 0.02, 0.81, 0.004};
  r.format_version = GS_SEARCH_FORMAT_VERSION;
  r.model_count = 4;
  r.models[0] = (gs_search_model){GS_SEARCH_MODEL_BASE, 2, 16, 1433, 1.0, r.base, 0, 0, 0};
  r.models[1] = (gs_search_model){GS_SEARCH_MODEL_DEPTH_ONLY, 3, 16, 1433, 1.5,
                                  {0.771, 0.0123, 0.80, 0.01}, 0, 0, 0};
  r.models[2] = (gs_search_model){GS_SEARCH_MODEL_CANDIDATE, 2, 24, 1433, 1.4999999999999998,
                                  r.best, 1.05, 1.45, 1};
  r.models[3] = (gs_search_model){GS_SEARCH_MODEL_CANDIDATE, 3, 16, 1433, 1.5,
                                  {0.771, 0.0123, 0.80, 0.01}, 1.5, 1, 1};
  return r;
}

/* Line of the first model in a saved sample: 2 comment lines, version, 26 keys, models,
 * 2 comment lines. */
#define SAMPLE_FIRST_MODEL_LINE 33

static char tmp_path[256];

static void write_file(const char *text) {
  snprintf(tmp_path, sizeof tmp_path, "/tmp/gs_test_search_%d.txt", (int)getpid());
  FILE *f = fopen(tmp_path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
}

START_TEST(test_result_round_trip) {
  gs_search_result r = sample(), back;
  gs_error err;
  snprintf(tmp_path, sizeof tmp_path, "/tmp/gs_test_search_%d.txt", (int)getpid());
  ck_assert_int_eq(gs_search_result_save(&r, tmp_path, &err), GS_OK);
  ck_assert_int_eq(gs_search_result_load(&back, tmp_path, &err), GS_OK);
  ck_assert_mem_eq(&r, &back, sizeof r);
  ck_assert_int_eq(back.format_version, 2);
  ck_assert_int_eq(back.model_count, 4);
  ck_assert_int_eq(back.models[1].kind, GS_SEARCH_MODEL_DEPTH_ONLY);
  ck_assert_int_eq(back.models[1].depth, 3);
  ck_assert(back.models[1].acc.val_mean == 0.771 && back.models[1].cost_factor == 1.5);
  ck_assert(back.models[3].alpha == 1.5 && back.models[3].beta == 1 && back.models[3].gamma == 1);
  /* The model lines as written: kind and integers first, constants last on candidates. */
  FILE *f = fopen(tmp_path, "r");
  char text[8192];
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = '\0';
  ck_assert_ptr_nonnull(strstr(text, "\nversion = 2\n"));
  ck_assert_ptr_nonnull(strstr(text, "\nmodels = 4\n"));
  ck_assert_ptr_nonnull(strstr(text, "\nmodel = depth-only 3 16 1433 1.5 0.77100000000000002 "));
  ck_assert_ptr_nonnull(strstr(text, "\nmodel = candidate 3 16 1433 1.5 0.77100000000000002 "
                                     "0.0123 0.80000000000000004 0.01 1.5 1 1\n"));
  unlink(tmp_path);
}
END_TEST

/* Saves the sample, then edits one line with a substitution, and loads. */
static gs_status load_edited(const char *from, const char *to, gs_error *err) {
  gs_search_result r = sample(), back;
  snprintf(tmp_path, sizeof tmp_path, "/tmp/gs_test_search_%d.txt", (int)getpid());
  ck_assert_int_eq(gs_search_result_save(&r, tmp_path, err), GS_OK);
  FILE *f = fopen(tmp_path, "r");
  char text[8192];
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = '\0';
  char edited[8192];
  char *at = strstr(text, from);
  ck_assert_ptr_nonnull(at);
  snprintf(edited, sizeof edited, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
  write_file(edited);
  gs_status st = gs_search_result_load(&back, tmp_path, err);
  unlink(tmp_path);
  return st;
}

START_TEST(test_result_missing_key) {
  gs_error err;
  ck_assert_int_eq(load_edited("beta = 1.45\n", "", &err), GS_ERR_PARSE);
  ck_assert_ptr_nonnull(strstr(err.msg, "missing key 'beta'"));
  ck_assert_ptr_nonnull(strstr(err.msg, ".txt:"));
}
END_TEST

START_TEST(test_result_bad_number) {
  gs_error err;
  ck_assert_int_eq(load_edited("alpha = 1.05", "alpha = 1.0x5", &err), GS_ERR_PARSE);
  /* comment lines 1-2, version 3, then dataset..grid_step 4-7, base 8-11, alpha on line 12 */
  ck_assert_ptr_nonnull(strstr(err.msg, ".txt:12: alpha = '1.0x5' is not a number"));
  ck_assert_int_eq(load_edited("\ndepth = 2\n", "\ndepth = two\n", &err), GS_ERR_PARSE);
  ck_assert_ptr_nonnull(strstr(err.msg, ".txt:15: depth"));
}
END_TEST

START_TEST(test_result_wrong_version) {
  gs_error err;
  ck_assert_int_eq(load_edited("version = 2", "version = 3", &err), GS_ERR_MISMATCH);
  ck_assert_ptr_nonnull(strstr(err.msg, ".txt:3: format version 3, this gnnscale reads versions 1 to 2"));
  ck_assert_int_eq(load_edited("version = 2", "version = 0", &err), GS_ERR_MISMATCH);
  write_file("alpha = 1.2\n");
  gs_search_result r;
  ck_assert_int_eq(gs_search_result_load(&r, tmp_path, &err), GS_ERR_PARSE);
  ck_assert_ptr_nonnull(strstr(err.msg, ".txt:1: expected 'version = 2' first"));
  unlink(tmp_path);
}
END_TEST

START_TEST(test_result_other_errors) {
  gs_error err;
  gs_search_result r;
  ck_assert_int_eq(load_edited("gamma = 1\n", "gamma = 1\ngamma = 1\n", &err), GS_ERR_PARSE);
  ck_assert_ptr_nonnull(strstr(err.msg, "repeated"));
  ck_assert_int_eq(load_edited("gamma = 1\n", "gamma = 0.5\n", &err), GS_ERR_RANGE);
  ck_assert_int_eq(load_edited("gamma = 1\n", "gamma 1\n", &err), GS_ERR_PARSE);
  ck_assert_ptr_nonnull(strstr(err.msg, ":14: expected \"key = value\""));
  ck_assert_int_eq(load_edited("gamma = 1\n", "colour = 1\n", &err), GS_ERR_PARSE);
  ck_assert_ptr_nonnull(strstr(err.msg, "unknown key 'colour'"));
  ck_assert_int_eq(gs_search_result_load(&r, "/nonexistent/gs_search.txt", &err), GS_ERR_NOT_FOUND);
  gs_search_result bad = sample();
  bad.alpha = 0.9;
  ck_assert_int_eq(gs_search_result_save(&bad, "/tmp/never_written.txt", &err), GS_ERR_INVALID);
}
END_TEST

/* A version 1 file as `gnnscale search` wrote it before model lines (bench/out/cora.search.txt). */
static const char v1_file[] =
    "# gnnscale search result: compound-scaling constants found by training\n"
    "version = 1\n"
    "dataset = cora\nfactor = 2\ntolerance = 0.1\ngrid_step = 0.05\nbase_depth = 2\n"
    "base_width = 16\nbase_resolution = 1\nwidth_multiple = 8\nalpha = 1\nbeta = 2\n"
    "gamma = 1\ndepth = 2\nwidth = 32\nfeatures = 1433\nrealised_factor = 1.93428\n"
    "seeds = 3\nepochs = 200\ncandidates = 1\nbest_val_mean = 0.806\nbest_val_std = 0.004\n"
    "best_test_mean = 0.8193\nbest_test_std = 0.0095\nbase_val_mean = 0.8\n"
    "base_val_std = 0.0104\nbase_test_mean = 0.8183\nbase_test_std = 0.0085\n";

START_TEST(test_result_version_1_loads) {
  gs_error err;
  gs_search_result r;
  write_file(v1_file);
  GS_ASSERT_OK(gs_search_result_load(&r, tmp_path, &err), err);
  ck_assert_int_eq(r.format_version, 1);
  ck_assert(r.alpha == 1 && r.beta == 2 && r.gamma == 1);
  ck_assert_int_eq(r.model_count, 2);
  const gs_search_model *b = &r.models[0], *c = &r.models[1];
  ck_assert_int_eq(b->kind, GS_SEARCH_MODEL_BASE);
  ck_assert_int_eq(b->depth, 2);
  ck_assert_int_eq(b->width, 16);
  ck_assert_int_eq(b->features, 0); /* not recorded in version 1 */
  ck_assert(b->cost_factor == 1.0);
  ck_assert(b->acc.val_mean == 0.8 && b->acc.test_std == 0.0085);
  ck_assert_int_eq(c->kind, GS_SEARCH_MODEL_CANDIDATE);
  ck_assert_int_eq(c->depth, 2);
  ck_assert_int_eq(c->width, 32);
  ck_assert_int_eq(c->features, 1433);
  ck_assert(c->cost_factor == 1.93428);
  ck_assert(c->acc.val_mean == 0.806 && c->acc.val_std == 0.004);
  ck_assert(c->alpha == 1 && c->beta == 2 && c->gamma == 1);
  /* Every result file the benchmarks ship loads, whichever version it is, base first. */
  const char *shipped[] = {"cora", "cora-r05", "coauthor-cs"};
  for (int i = 0; i < 3; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/bench/out/%s.search.txt", GS_SOURCE_DIR, shipped[i]);
    GS_ASSERT_OK(gs_search_result_load(&r, path, &err), err);
    ck_assert_int_ge(r.model_count, 2);
    ck_assert_int_eq(r.models[0].kind, GS_SEARCH_MODEL_BASE);
  }
  /* Version 1 has no model lines. */
  char text[4096];
  snprintf(text, sizeof text, "%smodel = base 2 16 1433 1 0.8 0 0.8 0\n", v1_file);
  write_file(text);
  ck_assert_int_eq(gs_search_result_load(&r, tmp_path, &err), GS_ERR_PARSE);
  ck_assert_ptr_nonnull(strstr(err.msg, ".txt:29: model lines need format version 2"));
  unlink(tmp_path);
}
END_TEST

START_TEST(test_result_bad_model_line) {
  gs_error err;
  const char *first = "model = base 2 16 1433 1 0.78000000000000003 0.02 0.81000000000000005 "
                      "0.0040000000000000001\n";
  /* a field missing */
  ck_assert_int_eq(load_edited(first, "model = base 2 16 1433 1 0.78 0.02 0.81\n", &err),
                   GS_ERR_PARSE);
  ck_assert_ptr_nonnull(strstr(err.msg, ".txt:33: a base model line has 9 fields"));
  ck_assert_ptr_nonnull(strstr(err.msg, "got 8"));
  /* a candidate without its constants */
  ck_assert_int_eq(load_edited(first, "model = candidate 2 16 1433 1 0.78 0.02 0.81 0.004\n",
                               &err), GS_ERR_PARSE);
  ck_assert_ptr_nonnull(strstr(err.msg, ".txt:33: a candidate model line has 12 fields"));
  ck_assert_int_eq(load_edited(first, "model = huge 2 16 1433 1 0.78 0.02 0.81 0.004\n", &err),
                   GS_ERR_PARSE);
  ck_assert_ptr_nonnull(strstr(err.msg, ".txt:33: unknown model kind 'huge'"));
  ck_assert_int_eq(load_edited(first, "model = base 2 1x6 1433 1 0.78 0.02 0.81 0.004\n", &err),
                   GS_ERR_PARSE);
  ck_assert_ptr_nonnull(strstr(err.msg, ".txt:33: model width '1x6' is not an integer"));
  ck_assert_int_eq(load_edited(first, "model = base 2 16 1433 1 0.78 0.02 abc 0.004\n", &err),
                   GS_ERR_PARSE);
  ck_assert_ptr_nonnull(strstr(err.msg, ".txt:33: model test mean 'abc' is not a number"));
  /* out of range: an accuracy in percent, depth 0, a constant below 1 */
  ck_assert_int_eq(load_edited(first, "model = base 2 16 1433 1 78 0.02 0.81 0.004\n", &err),
                   GS_ERR_RANGE);
  ck_assert_ptr_nonnull(strstr(err.msg, ".txt:33: base model: accuracy 78 is not a fraction"));
  ck_assert_int_eq(load_edited(first, "model = base 0 16 1433 1 0.78 0.02 0.81 0.004\n", &err),
                   GS_ERR_RANGE);
  ck_assert_ptr_nonnull(strstr(err.msg, ".txt:33: base model: depth 0"));
  ck_assert_int_eq(load_edited("1.5 0.77100000000000002 0.0123 0.80000000000000004 0.01 1.5 1 1",
                               "1.5 0.771 0.0123 0.8 0.01 0.5 1 1", &err), GS_ERR_RANGE);
  ck_assert_ptr_nonnull(strstr(err.msg, ".txt:36: candidate model: alpha, beta and gamma"));
  /* a second base; a count that disagrees with the lines */
  ck_assert_int_eq(load_edited("model = depth-only", "model = base", &err), GS_ERR_PARSE);
  ck_assert_ptr_nonnull(strstr(err.msg, ".txt:34: a second base model (the first is on line 33)"));
  ck_assert_int_eq(load_edited("models = 4\n", "models = 5\n", &err), GS_ERR_PARSE);
  ck_assert_ptr_nonnull(strstr(err.msg, "models = 5, but the file has 4 model lines"));
  ck_assert_int_eq(load_edited("models = 4\n", "", &err), GS_ERR_PARSE);
  ck_assert_ptr_nonnull(strstr(err.msg, "missing key 'models'"));
  ck_assert_int_eq(load_edited("models = 4\n", "models = 300\n", &err), GS_ERR_RANGE);
  ck_assert_ptr_nonnull(strstr(err.msg, ".txt:30: models = 300, more than 256"));
}
END_TEST

START_TEST(test_result_save_rejects_bad_models) {
  gs_error err;
  gs_search_result r = sample();
  r.models[1].acc.val_mean = 1.5;
  ck_assert_int_eq(gs_search_result_save(&r, "/tmp/never_written.txt", &err), GS_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(err.msg, "depth-only model: accuracy 1.5"));
  r = sample();
  r.models[2] = r.models[0]; /* two bases */
  ck_assert_int_eq(gs_search_result_save(&r, "/tmp/never_written.txt", &err), GS_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(err.msg, "more than one base model"));
  r = sample();
  r.model_count = GS_SEARCH_MAX_MODELS + 1;
  ck_assert_int_eq(gs_search_result_save(&r, "/tmp/never_written.txt", &err), GS_ERR_INVALID);
  ck_assert_int_eq(access("/tmp/never_written.txt", F_OK), -1);
}
END_TEST

Suite *gs_search_suite(void) {
  Suite *s = suite_create("search");
  TCase *tc = tcase_create("search");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_candidates_within_tolerance);
  tcase_add_test(tc, test_candidates_gamma_one_at_full_resolution);
  tcase_add_test(tc, test_candidates_invalid_options);
  tcase_add_test(tc, test_result_round_trip);
  tcase_add_test(tc, test_result_version_1_loads);
  tcase_add_test(tc, test_result_bad_model_line);
  tcase_add_test(tc, test_result_save_rejects_bad_models);
  tcase_add_test(tc, test_result_missing_key);
  tcase_add_test(tc, test_result_bad_number);
  tcase_add_test(tc, test_result_wrong_version);
  tcase_add_test(tc, test_result_other_errors);
  suite_add_tcase(s, tc);
  return s;
}
