/* Tests of scaling/probe: a probe of Cora trains its three small models, its corrections make
 * the cost model reproduce the probed epochs, the cache round-trips and is keyed by machine,
 * threads, data and family, and the profile mismatch is said in one sentence. No test times
 * anything: the probe's budget only sets how many epochs it trains. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "scaling/probe.h"
#include "tests/test_files.h"
#include "tests/test_helpers.h"

Suite *gs_probe_suite(void);

/* The probe's budget in the tests: a few tens of Cora epochs per model. */
#define PROBE_BUDGET_S 0.6
#define REL_TOL 1e-9

typedef struct {
  gs_dataset *ds;
  gs_graph *g;
  gs_cost_data data;
  int64_t *prefix;
} loaded;

static void load_cora(loaded *l) {
  gs_error err;
  memset(l, 0, sizeof *l);
  gs_dataset_options o = gs_dataset_options_default();
  GS_ASSERT_OK(gs_dataset_load(&l->ds, gs_test_data("cora"), &o, &err), err);
  GS_ASSERT_OK(gs_graph_new(&l->g, l->ds->num_nodes, l->ds->src, l->ds->dst,
                            l->ds->num_edge_lines, GS_NORM_SYM, &err),
               err);
  GS_ASSERT_OK(gs_cost_data_of(&l->data, &l->prefix, l->ds, l->g, &err), err);
}

static void release(loaded *l) {
  gs_mem_free(l->prefix);
  gs_graph_free(&l->g);
  gs_dataset_free(&l->ds);
}

/* The cost model's epoch of probed model i with `profile`. */
static double epoch_of(const gs_probe *pr, int i, const loaded *l, const gs_probe_options *o,
                       const gs_profile *profile) {
  gs_cost_options copt = gs_cost_options_default();
  copt.model = o->model;
  copt.decay_scope = o->train.decay_scope;
  copt.weight_decay = o->train.weight_decay;
  gs_cost cost;
  gs_error err;
  GS_ASSERT_OK(gs_cost_estimate(&cost, pr->runs[i].depth, pr->runs[i].width, pr->features, &copt,
                                &l->data, profile, &err),
               err);
  return cost.seconds_per_epoch;
}

START_TEST(test_probe_runs_corrects_and_caches) {
  GS_TEST_RUNTIME(2);
  gs_test_make_tmp();
  loaded l;
  load_cora(&l);
  gs_probe_options o = gs_probe_options_default();
  o.seconds = PROBE_BUDGET_S;
  o.cache_dir = gs_test_tmp_root;
  gs_profile profile = gs_profile_default();
  profile.threads = 2;
  gs_probe pr;
  gs_error err;
  const int64_t before = gs_mem_current();
  GS_ASSERT_OK(gs_probe_get(&pr, l.ds, l.g, &l.data, &o, &profile, &err), err);
  ck_assert_int_eq(gs_mem_current(), before); /* the probe's models are freed */
  ck_assert(!pr.from_cache);
  ck_assert_int_eq(pr.count, GS_PROBE_MODELS);
  ck_assert_int_eq(pr.features, l.ds->x.cols);
  const int32_t depth[GS_PROBE_MODELS] = {2, 2, 3};
  const int64_t width[GS_PROBE_MODELS] = {16, 32, 16};
  for (int i = 0; i < pr.count; i++) {
    const gs_probe_run *r = &pr.runs[i];
    ck_assert_int_eq(r->depth, depth[i]);
    ck_assert_int_eq(r->width, width[i]);
    ck_assert_int_ge(r->epochs, 4);
    ck_assert_int_le(r->epochs, 60);
    ck_assert(r->epoch_seconds > 0.0);
    ck_assert(r->measured[GS_FLOPS_AGGREGATE] > 0.0 && r->measured[GS_FLOPS_DENSE] > 0.0);
    ck_assert(r->measured[GS_FLOPS_SPARSE_INPUT] > 0.0); /* Cora's features are sparse */
    ck_assert(r->flops > 0);
    if (i > 0) ck_assert(r->flops != pr.runs[0].flops);
  }
  for (int c = 0; c < GS_FLOPS_CATEGORIES; c++)
    ck_assert(pr.correction[c] > 0.0 && isfinite(pr.correction[c]));
  ck_assert(pr.epoch_factor > 0.0 && isfinite(pr.epoch_factor));
  /* The corrected profile reproduces the probed epochs in total: per category by the
   * corrections, whole by the epoch factor. */
  gs_profile corrected = gs_probe_apply(&profile, &pr);
  double want = 0.0, got = 0.0;
  for (int i = 0; i < pr.count; i++) {
    want += pr.runs[i].epoch_seconds;
    got += epoch_of(&pr, i, &l, &o, &corrected);
    ck_assert_double_eq_tol(epoch_of(&pr, i, &l, &o, &profile), pr.runs[i].predicted_epoch_seconds,
                            REL_TOL * pr.runs[i].predicted_epoch_seconds);
  }
  ck_assert_double_eq_tol(got, want, 1e-6 * want);
  for (int c = 0; c < GS_FLOPS_CATEGORIES; c++)
    ck_assert_double_eq_tol(corrected.kernel_scale[c],
                            profile.kernel_scale[c] * pr.correction[c] * pr.epoch_factor,
                            REL_TOL * corrected.kernel_scale[c]);
  /* The cache: read back, same measurements and corrections, no training. */
  ck_assert(strstr(pr.path, gs_test_tmp_root) == pr.path);
  ck_assert(access(pr.path, R_OK) == 0);
  gs_probe again;
  GS_ASSERT_OK(gs_probe_get(&again, l.ds, l.g, &l.data, &o, &profile, &err), err);
  ck_assert(again.from_cache);
  ck_assert_double_eq(again.seconds, 0.0);
  ck_assert_str_eq(again.path, pr.path);
  for (int i = 0; i < pr.count; i++) {
    ck_assert_int_eq(again.runs[i].epochs, pr.runs[i].epochs);
    ck_assert(again.runs[i].epoch_seconds == pr.runs[i].epoch_seconds);
    for (int c = 0; c < GS_FLOPS_CATEGORIES; c++)
      ck_assert(again.runs[i].measured[c] == pr.runs[i].measured[c]);
  }
  for (int c = 0; c < GS_FLOPS_CATEGORIES; c++)
    ck_assert_double_eq_tol(again.correction[c], pr.correction[c], REL_TOL * pr.correction[c]);
  /* With another profile the same entry gives other corrections (they are recomputed). */
  gs_profile faster = profile;
  for (int c = 0; c < GS_FLOPS_CATEGORIES; c++) faster.kernel_scale[c] *= 0.5;
  GS_ASSERT_OK(gs_probe_get(&again, l.ds, l.g, &l.data, &o, &faster, &err), err);
  ck_assert(again.from_cache);
  ck_assert_double_gt(again.correction[GS_FLOPS_DENSE], pr.correction[GS_FLOPS_DENSE]);
  /* A damaged entry is measured again and rewritten. */
  FILE *f = fopen(pr.path, "w");
  ck_assert_ptr_nonnull(f);
  fputs("gnnscale_probe 1\nkey something else\n", f);
  fclose(f);
  GS_ASSERT_OK(gs_probe_get(&again, l.ds, l.g, &l.data, &o, &profile, &err), err);
  ck_assert(!again.from_cache);
  GS_ASSERT_OK(gs_probe_get(&again, l.ds, l.g, &l.data, &o, &profile, &err), err);
  ck_assert(again.from_cache);
  /* A bad budget. */
  o.seconds = 0.0;
  ck_assert_int_eq(gs_probe_get(&again, l.ds, l.g, &l.data, &o, &profile, &err), GS_ERR_INVALID);
  ck_assert(strstr(err.msg, "budget") != NULL);
  release(&l);
  gs_test_clean_tmp();
}
END_TEST

/* The key names the CPU and threads and changes with the data and the family. */
START_TEST(test_probe_key_separates_machines_data_and_families) {
  GS_TEST_RUNTIME(2);
  loaded l;
  load_cora(&l);
  gs_probe_options o = gs_probe_options_default();
  char k1[GS_PROBE_KEY_MAX], k2[GS_PROBE_KEY_MAX], machine[GS_PROFILE_MACHINE_MAX];
  gs_profile_machine(machine, sizeof machine);
  gs_probe_key(k1, sizeof k1, l.ds, &o, 2);
  ck_assert(strstr(k1, machine) != NULL);
  ck_assert(strstr(k1, "threads=2;") != NULL);
  ck_assert(strstr(k1, "cora") != NULL);
  gs_probe_key(k2, sizeof k2, l.ds, &o, 2);
  ck_assert_str_eq(k1, k2); /* deterministic */
  gs_probe_key(k2, sizeof k2, l.ds, &o, 1);
  ck_assert_str_ne(k1, k2);
  o.model.dropout = 0.2f;
  gs_probe_key(k2, sizeof k2, l.ds, &o, 2);
  ck_assert_str_ne(k1, k2);
  o = gs_probe_options_default();
  o.model.residual = true;
  gs_probe_key(k2, sizeof k2, l.ds, &o, 2);
  ck_assert_str_ne(k1, k2);
  o = gs_probe_options_default();
  o.model.family = GS_MODEL_SAGE; /* another layer family: another probe */
  gs_probe_key(k2, sizeof k2, l.ds, &o, 2);
  ck_assert_str_ne(k1, k2);
  ck_assert(strstr(k1, "family=gcn,") != NULL);
  ck_assert(strstr(k2, "family=sage,") != NULL);
  o = gs_probe_options_default();
  const int64_t keep = l.ds->dst[5];
  l.ds->dst[5] = l.ds->dst[6]; /* one edge moved: other data */
  gs_probe_key(k2, sizeof k2, l.ds, &o, 2);
  ck_assert_str_ne(k1, k2);
  l.ds->dst[5] = keep;
  gs_probe_key(k2, sizeof k2, l.ds, &o, 2);
  ck_assert_str_eq(k1, k2);
  release(&l);
}
END_TEST

/* The one sentence on a profile from elsewhere: nothing for the default profile or this
 * machine with these threads; the threads or the CPU named otherwise. */
START_TEST(test_profile_mismatch_sentence) {
  char out[512];
  gs_profile p = gs_profile_default();
  gs_profile_mismatch(out, sizeof out, &p, 2);
  ck_assert_str_eq(out, "");
  gs_profile_machine(p.machine, sizeof p.machine);
  p.threads = 2;
  gs_profile_mismatch(out, sizeof out, &p, 2);
  ck_assert_str_eq(out, "");
  p.threads = 1;
  gs_profile_mismatch(out, sizeof out, &p, 2);
  ck_assert(strstr(out, "with 1 thread;") != NULL);
  ck_assert(strstr(out, "2 threads on the same machine") != NULL);
  snprintf(p.machine, sizeof p.machine, "%s", "Intel Xeon VM, 2 cores online");
  p.threads = 2;
  gs_profile_mismatch(out, sizeof out, &p, 2);
  ck_assert(strstr(out, "measured on Intel Xeon VM, 2 cores online") != NULL);
  char here[GS_PROFILE_MACHINE_MAX];
  gs_profile_machine(here, sizeof here);
  ck_assert(strstr(out, here) != NULL);
  ck_assert_str_eq(gs_prediction_source_name(GS_PREDICTION_PROBE), "probe");
  ck_assert_str_eq(gs_prediction_source_name(GS_PREDICTION_PROFILE), "profile");
  ck_assert_str_eq(gs_prediction_source_name(GS_PREDICTION_DEFAULT), "default");
}
END_TEST

Suite *gs_probe_suite(void) {
  Suite *s = suite_create("probe");
  TCase *t = tcase_create("probe");
  tcase_set_timeout(t, 300); /* catches a hang only: nothing here is timed */
  tcase_add_test(t, test_probe_runs_corrects_and_caches);
  tcase_add_test(t, test_probe_key_separates_machines_data_and_families);
  tcase_add_test(t, test_profile_mismatch_sentence);
  suite_add_tcase(s, t);
  return s;
}
