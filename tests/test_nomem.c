/* Brutal allocation test (LAGraph's habit): over load -> graph -> model -> two training epochs
 * -> cost data -> plan on a tiny graph, the k-th allocation of the counting allocator (which
 * GraphBLAS allocates through as well) fails, for every k until the pipeline succeeds. Each
 * failure must end in GS_ERR_NOMEM with a message, and leave nothing allocated. */
#include <check.h>
#include <string.h>

#include "core/mem.h"
#include "datasets/dataset.h"
#include "gnn/model.h"
#include "gnn/train.h"
#include "scaling/cost.h"
#include "scaling/planner.h"
#include "sparse/graph.h"
#include "tests/test_files.h"

/* The pipeline never takes more allocations than this (a bound on the loop, not a figure). */
#define MAX_ALLOCATIONS 20000

/* A 10-node dataset: a ring with chords, 3 features (sparse rows), 3 classes, a split. */
static void write_tiny_dataset(void) {
  gs_test_make_tmp();
  gs_test_mkdir("raw");
  gs_test_mkdir("split");
  gs_test_mkdir("split/s");
  gs_test_write_plain("raw/num-node-list.csv", "10\n");
  gs_test_write_plain("raw/num-edge-list.csv", "13\n");
  gs_test_write_gz("raw/edge.csv.gz", "0,1\n1,2\n2,3\n3,4\n4,5\n5,6\n6,7\n7,8\n8,9\n9,0\n0,5\n"
                                      "2,7\n3,3\n");
  gs_test_write_gz("raw/node-feat.csv.gz", "1,0,0\n0,1,0\n0,0,1\n1,1,0\n0,1,1\n1,0,1\n1,0,0\n"
                                           "0,1,0\n0,0,1\n1,1,1\n");
  gs_test_write_gz("raw/node-label.csv.gz", "0\n1\n2\n0\n1\n2\n0\n1\n2\n0\n");
  gs_test_write_gz("split/s/train.csv.gz", "0\n1\n2\n");
  gs_test_write_gz("split/s/valid.csv.gz", "3\n4\n5\n");
  gs_test_write_gz("split/s/test.csv.gz", "6\n7\n8\n9\n");
}

static gs_status pipeline(gs_error *err) {
  gs_status st = GS_OK;
  gs_dataset *ds = NULL;
  gs_graph *g = NULL;
  gs_model *m = NULL;
  int64_t *prefix = NULL;
  gs_plan plan;
  memset(&plan, 0, sizeof plan);
  GS_TRY(gs_dataset_load(&ds, gs_test_tmp_root, NULL, err));
  GS_TRY(gs_graph_new(&g, ds->num_nodes, ds->src, ds->dst, ds->num_edge_lines, GS_NORM_SYM, err));
  gs_model_config cfg = gs_model_config_default();
  cfg.width = 4;
  GS_TRY(gs_model_new(&m, &cfg, g, &ds->x, ds->num_classes, err));
  gs_train_options topt = gs_train_options_default();
  topt.epochs = 2;
  gs_train_result r;
  GS_TRY(gs_train(&r, m, ds, &topt, err));
  gs_cost_data cd;
  GS_TRY(gs_cost_data_of(&cd, &prefix, ds, g, err));
  gs_plan_options po = gs_plan_options_default();
  po.limit[GS_PLAN_MEMORY] = 1 << 20;
  po.phi_max = 1.0;
  GS_TRY(gs_plan_make(&plan, &po, &cd, NULL, err));
fail:
  gs_plan_release(&plan);
  gs_mem_free(prefix);
  gs_model_free(&m);
  gs_graph_free(&g);
  gs_dataset_free(&ds);
  return st;
}

START_TEST(test_nomem_every_allocation_fails_cleanly) {
  GS_TEST_RUNTIME(1);
  write_tiny_dataset();
  const int64_t base = gs_mem_current();
  int64_t k = 0;
  gs_status st = GS_ERR_NOMEM;
  for (; k < MAX_ALLOCATIONS && st != GS_OK; k++) {
    gs_error err;
    gs_error_clear(&err);
    gs_mem_fail_after(k);
    st = pipeline(&err);
    gs_mem_fail_after(-1);
    if (st == GS_OK) break;
    ck_assert_msg(st == GS_ERR_NOMEM, "allocation %lld failed: status %s (%s)", (long long)k,
                  gs_status_name(st), err.msg);
    ck_assert_msg(err.msg[0] != '\0', "allocation %lld failed without a message", (long long)k);
    ck_assert_msg(gs_mem_current() == base, "allocation %lld failed: %lld bytes leaked",
                  (long long)k, (long long)(gs_mem_current() - base));
  }
  ck_assert_msg(st == GS_OK, "the pipeline never succeeded within %d allocations",
                MAX_ALLOCATIONS);
  /* Every allocation point was visited: the pipeline takes k allocations, and a few dozen at
   * least (a test that failed nothing would prove nothing). */
  ck_assert_int_gt(k, 30);
  ck_assert_int_eq(gs_mem_current(), base);
  printf("nomem: the pipeline makes %lld allocations; each one failed in turn cleanly\n",
         (long long)k);
  gs_test_clean_tmp();
}
END_TEST

Suite *gs_nomem_suite(void);
Suite *gs_nomem_suite(void) {
  Suite *s = suite_create("nomem");
  TCase *tc = tcase_create("nomem");
  tcase_set_timeout(tc, 600);
  tcase_add_test(tc, test_nomem_every_allocation_fails_cleanly);
  suite_add_tcase(s, tc);
  return s;
}
