/* Tests of sparse/partition: METIS k-way on cora gives a partition whose edge cut and balance,
 * recomputed from the assignment, agree with METIS's own cut and METIS's balance tolerance and
 * cut far fewer edges than a random assignment; the same seed gives the same parts; isolated
 * nodes are dealt to the smallest parts; and every guard (1 part, parts >= nodes, no edges,
 * more than 2^31 - 1 entries, bad ids) fails with its message before METIS runs. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/rng.h"
#include "core/status.h"
#include "datasets/dataset.h"
#include "datasets/generate.h"
#include "sparse/graph.h"
#include "sparse/partition.h"
#include "tests/test_helpers.h"

Suite *gs_partition_suite(void);

/* METIS's default imbalance tolerance (ufactor 30: 1.03) plus one node of rounding. */
#define BALANCE_LIMIT 1.035

typedef struct {
  int64_t n;
  int64_t *rowptr;
  uint32_t *col;
} adjacency;

/* Cora's symmetrised adjacency without self loops, from Â. */
static adjacency cora_adjacency(void) {
  gs_dataset *ds = NULL;
  gs_graph *g = NULL;
  gs_error err;
  gs_dataset_options o = gs_dataset_options_default();
  o.load_features = false;
  GS_ASSERT_OK(gs_dataset_load(&ds, gs_test_data("cora"), &o, &err), err);
  GS_ASSERT_OK(gs_dataset_graph_new(&g, ds, GS_NORM_NONE, &err), err);
  const gs_csr *a = gs_graph_csr(g);
  adjacency adj = {.n = a->nrows};
  adj.rowptr = malloc((size_t)(a->nrows + 1) * sizeof *adj.rowptr);
  adj.col = malloc((size_t)a->nnz * sizeof *adj.col);
  adj.rowptr[0] = 0;
  for (int64_t i = 0, k = 0; i < a->nrows; i++) {
    for (int64_t q = a->rowptr[i]; q < a->rowptr[i + 1]; q++)
      if (a->col[q] != i) adj.col[k++] = (uint32_t)a->col[q];
    adj.rowptr[i + 1] = k;
  }
  gs_graph_free(&g);
  gs_dataset_free(&ds);
  return adj;
}

START_TEST(test_partition_cora_cut_and_balance) {
  adjacency adj = cora_adjacency();
  int32_t *part = malloc((size_t)adj.n * sizeof *part);
  int32_t *again = malloc((size_t)adj.n * sizeof *again);
  gs_partition_report r, m;
  gs_error err;
  const int64_t before = gs_mem_current();
  GS_ASSERT_OK(gs_partition_kway(part, &r, adj.n, adj.rowptr, adj.col, 8, 7, &err), err);
  ck_assert_int_eq(gs_mem_current(), before);
  /* The invariant: the cut recomputed from the assignment is METIS's objective. */
  ck_assert_int_eq(r.edge_cut, r.metis_edge_cut);
  ck_assert_int_eq(r.edges, 5278);
  ck_assert_int_eq(r.parts, 8);
  ck_assert_msg(r.balance <= BALANCE_LIMIT, "balance %f", r.balance);
  ck_assert_int_gt(r.smallest_part, 0);
  /* A random assignment cuts about 7/8 of the edges; METIS far fewer. */
  ck_assert_msg(r.edge_cut < r.edges / 4, "cut %lld of %lld", (long long)r.edge_cut,
                (long long)r.edges);
  GS_ASSERT_OK(gs_partition_measure(&m, part, adj.n, adj.rowptr, adj.col, 8, &err), err);
  ck_assert_int_eq(m.edge_cut, r.edge_cut);
  ck_assert_int_eq(m.largest_part, r.largest_part);
  /* Deterministic for a seed. */
  GS_ASSERT_OK(gs_partition_kway(again, NULL, adj.n, adj.rowptr, adj.col, 8, 7, &err), err);
  ck_assert_mem_eq(part, again, (size_t)adj.n * sizeof *part);
  free(part);
  free(again);
  free(adj.rowptr);
  free(adj.col);
}
END_TEST

/* A hand partition of a 6-node path 0-1-2-3-4-5 plus isolated node 6: parts {0,1,2}, {3,4,5,6}
 * cut one edge; balance = 4 / (7/2). */
START_TEST(test_partition_measure_hand) {
  int64_t rowptr[8] = {0, 1, 3, 5, 7, 9, 10, 10};
  uint32_t col[10] = {1, 0, 2, 1, 3, 2, 4, 3, 5, 4};
  int32_t part[7] = {0, 0, 0, 1, 1, 1, 1};
  gs_partition_report r;
  gs_error err;
  GS_ASSERT_OK(gs_partition_measure(&r, part, 7, rowptr, col, 2, &err), err);
  ck_assert_int_eq(r.edge_cut, 1);
  ck_assert_int_eq(r.edges, 5);
  ck_assert_int_eq(r.isolated_nodes, 1);
  ck_assert_double_eq_tol(r.balance, 8.0 / 7.0, 1e-12);
  part[2] = 5;
  ck_assert_int_eq(gs_partition_measure(&r, part, 7, rowptr, col, 2, &err), GS_ERR_RANGE);
  ck_assert_msg(strstr(err.msg, "node 2"), "%s", err.msg);
}
END_TEST

/* Isolated nodes go to the smallest parts: 8 disjoint edges and 8 isolated nodes in 4 parts
 * give 6 nodes each. */
START_TEST(test_partition_isolated_nodes_balanced) {
  enum { N = 24 };
  int64_t rowptr[N + 1];
  uint32_t col[16];
  rowptr[0] = 0;
  for (int64_t i = 0, k = 0; i < N; i++) {
    if (i < 16) col[k++] = (uint32_t)(i ^ 1);
    rowptr[i + 1] = k;
  }
  int32_t part[N];
  gs_partition_report r;
  gs_error err;
  GS_ASSERT_OK(gs_partition_kway(part, &r, N, rowptr, col, 4, 1, &err), err);
  ck_assert_int_eq(r.isolated_nodes, 8);
  ck_assert_int_eq(r.largest_part, 6);
  ck_assert_int_eq(r.smallest_part, 6);
  ck_assert_int_eq(r.edge_cut, r.metis_edge_cut);
}
END_TEST

/* Above the entry budget METIS sees a sample: about the budget's entries, every node kept
 * with some neighbours, the report measured on the whole graph, deterministic, and still a
 * partition that follows the communities (a random 4-way split cuts 75% of the edges). */
START_TEST(test_partition_sampled_large_graph) {
  const int64_t before = gs_mem_current();
  gs_generate_options g = gs_generate_options_default();
  g.nodes = 4000;
  g.edges = 40000;
  g.features = 1;
  g.classes = 4;
  g.p_in = 0.95;
  g.adjacency = true;
  gs_dataset *ds = NULL;
  gs_error err;
  GS_ASSERT_OK(gs_dataset_generate(&ds, &g, &err), err);
  const int64_t n = ds->num_nodes;
  int32_t *a = malloc((size_t)n * sizeof *a), *b = malloc((size_t)n * sizeof *b);
  gs_partition_report r, m;
  double kept = 0.0;
  GS_ASSERT_OK(gs_partition_kway_sampled(a, &r, n, ds->adj_rowptr, ds->adj_col, 4, 7, 20000,
                                         &kept, &err), err);
  ck_assert_msg(kept > 0.2 && kept < 0.6, "kept %f of 80000 entries", kept);
  GS_ASSERT_OK(gs_partition_measure(&m, a, n, ds->adj_rowptr, ds->adj_col, 4, &err), err);
  ck_assert_int_eq(r.edge_cut, m.edge_cut);
  ck_assert_int_eq(r.edges, 40000);
  ck_assert_msg(r.balance < 1.1, "balance %f", r.balance);
  ck_assert_msg(r.edge_cut < 40000 / 2, "cut %lld of 40000", (long long)r.edge_cut);
  GS_ASSERT_OK(gs_partition_kway_sampled(b, NULL, n, ds->adj_rowptr, ds->adj_col, 4, 7, 20000,
                                         NULL, &err), err);
  ck_assert_mem_eq(a, b, (size_t)n * sizeof *a);
  /* Under the budget: METIS on the whole graph, as gs_partition_kway. */
  GS_ASSERT_OK(gs_partition_kway_sampled(a, NULL, n, ds->adj_rowptr, ds->adj_col, 4, 7, 80000,
                                         &kept, &err), err);
  GS_ASSERT_OK(gs_partition_kway(b, NULL, n, ds->adj_rowptr, ds->adj_col, 4, 7, &err), err);
  ck_assert(kept == 1.0);
  ck_assert_mem_eq(a, b, (size_t)n * sizeof *a);
  free(a);
  free(b);
  gs_dataset_free(&ds);
  ck_assert_int_eq(gs_mem_current(), before);
}
END_TEST

START_TEST(test_partition_guards) {
  int64_t rowptr[5] = {0, 1, 2, 3, 4};
  uint32_t col[4] = {1, 0, 3, 2};
  int32_t part[4];
  gs_error err;
  ck_assert_int_eq(gs_partition_kway(part, NULL, 4, rowptr, col, 1, 0, &err), GS_ERR_INVALID);
  ck_assert_msg(strstr(err.msg, "full batching"), "%s", err.msg);
  ck_assert_int_eq(gs_partition_kway(part, NULL, 4, rowptr, col, 4, 0, &err), GS_ERR_INVALID);
  ck_assert_msg(strstr(err.msg, "fewer parts than nodes"), "%s", err.msg);
  int64_t empty[5] = {0, 0, 0, 0, 0};
  ck_assert_int_eq(gs_partition_kway(part, NULL, 4, empty, col, 2, 0, &err), GS_ERR_INVALID);
  ck_assert_msg(strstr(err.msg, "no edges"), "%s", err.msg);
  /* More entries than a 32-bit idx_t holds: refused before anything is read. */
  int64_t huge[5] = {0, 0, 0, 0, (int64_t)INT32_MAX + 1};
  ck_assert_int_eq(gs_partition_kway(part, NULL, 4, huge, NULL, 2, 0, &err), GS_ERR_RANGE);
  ck_assert_msg(strstr(err.msg, "32-bit"), "%s", err.msg);
  /* Only two nodes with neighbours for three parts. */
  int64_t pair[5] = {0, 1, 2, 2, 2};
  ck_assert_int_eq(gs_partition_kway(part, NULL, 4, pair, col, 3, 0, &err), GS_ERR_INVALID);
  ck_assert_msg(strstr(err.msg, "isolated"), "%s", err.msg);
}
END_TEST

Suite *gs_partition_suite(void) {
  Suite *s = suite_create("partition");
  TCase *t = tcase_create("partition");
  tcase_set_timeout(t, 60);
  tcase_add_test(t, test_partition_cora_cut_and_balance);
  tcase_add_test(t, test_partition_measure_hand);
  tcase_add_test(t, test_partition_isolated_nodes_balanced);
  tcase_add_test(t, test_partition_sampled_large_graph);
  tcase_add_test(t, test_partition_guards);
  suite_add_tcase(s, t);
  return s;
}
