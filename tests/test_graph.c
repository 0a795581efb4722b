/* Tests of sparse/graph: normalisation checked entry by entry on a hand-computed graph,
 * statistics against a brute-force count, aggregation (row kernel and GraphBLAS) against the
 * double-accumulating reference, bitwise repeatability, errors, injected allocation failures
 * and the memory accounting of gs_graph_bytes. */
#include <check.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/rng.h"
#include "core/runtime.h"
#include "core/status.h"
#include "core/flops.h"
#include "sparse/graph.h"
#include "tests/test_helpers.h"

Suite *gs_graph_suite(void);

/* Â's entries are computed in double and rounded once to float. */
static const double NORM_TOL = 1e-7;
/* Float row sums against double sums, relative to the largest magnitude of the reference. */
static const double AGG_REL_TOL = 1e-5;

/* ---- a hand-computed graph ------------------------------------------------------------ */

/* A path 0-1-2-3 plus an isolated node 4, given as 6 lines: (1,2) twice (one duplicate
 * line), (2,1) (the reverse of a line: not a duplicate line), and a self loop (3,3).
 * Neighbour counts: 1, 2, 2, 1, 0, so deg+1 = 2, 3, 3, 2, 1. */
#define HAND_N 5
#define HAND_E 6
static const int64_t hand_src[HAND_E] = {0, 1, 2, 1, 2, 3};
static const int64_t hand_dst[HAND_E] = {1, 2, 3, 2, 1, 3};

/* Expected dense Â for each normalisation, worked out by hand (0 = no entry). */
static void hand_expected(gs_norm norm, double e[HAND_N][HAND_N]) {
  memset(e, 0, sizeof(double) * HAND_N * HAND_N);
  const double s6 = 1.0 / sqrt(6.0);
  switch (norm) {
    case GS_NORM_SYM: /* 1 / sqrt((d_i+1)(d_j+1)) */
      e[0][0] = 1.0 / 2; e[0][1] = s6;
      e[1][0] = s6;      e[1][1] = 1.0 / 3; e[1][2] = 1.0 / 3;
      e[2][1] = 1.0 / 3; e[2][2] = 1.0 / 3; e[2][3] = s6;
      e[3][2] = s6;      e[3][3] = 1.0 / 2;
      e[4][4] = 1.0;
      break;
    case GS_NORM_ROW: /* 1 / (d_i+1) along row i */
      e[0][0] = 1.0 / 2; e[0][1] = 1.0 / 2;
      e[1][0] = 1.0 / 3; e[1][1] = 1.0 / 3; e[1][2] = 1.0 / 3;
      e[2][1] = 1.0 / 3; e[2][2] = 1.0 / 3; e[2][3] = 1.0 / 3;
      e[3][2] = 1.0 / 2; e[3][3] = 1.0 / 2;
      e[4][4] = 1.0;
      break;
    case GS_NORM_NONE:
      e[0][0] = e[0][1] = 1;
      e[1][0] = e[1][1] = e[1][2] = 1;
      e[2][1] = e[2][2] = e[2][3] = 1;
      e[3][2] = e[3][3] = 1;
      e[4][4] = 1;
      break;
  }
}

/* Checks that m holds exactly the non-zeros of e (sorted rows), within NORM_TOL. */
static void assert_csr_equals(const gs_csr *m, double e[HAND_N][HAND_N], bool transposed) {
  ck_assert_int_eq(m->nrows, HAND_N);
  ck_assert_int_eq(m->ncols, HAND_N);
  int64_t q = 0;
  for (int i = 0; i < HAND_N; i++) {
    ck_assert_int_eq(m->rowptr[i], q);
    for (int j = 0; j < HAND_N; j++) {
      double want = transposed ? e[j][i] : e[i][j];
      if (want == 0) continue;
      ck_assert_int_lt(q, m->rowptr[i + 1]);
      ck_assert_int_eq(m->col[q], j);
      ck_assert_msg(fabs((double)m->val[q] - want) <= NORM_TOL, "entry (%d,%d): %.9g, expected %.9g",
                    i, j, (double)m->val[q], want);
      q++;
    }
    ck_assert_int_eq(m->rowptr[i + 1], q);
  }
  ck_assert_int_eq(m->nnz, q);
}

START_TEST(test_graph_normalisation_hand_computed) {
  GS_TEST_RUNTIME(2);
  const gs_norm norms[] = {GS_NORM_SYM, GS_NORM_ROW, GS_NORM_NONE};
  for (int t = 0; t < 3; t++) {
    gs_error err;
    gs_graph *g = NULL;
    gs_status st = gs_graph_new(&g, HAND_N, hand_src, hand_dst, HAND_E, norms[t], &err);
    GS_ASSERT_OK(st, err);
    double e[HAND_N][HAND_N];
    hand_expected(norms[t], e);
    ck_assert_int_eq(gs_graph_norm(g), norms[t]);
    ck_assert_int_eq(gs_graph_nodes(g), HAND_N);
    ck_assert_int_eq(gs_graph_nnz(g), 11);
    assert_csr_equals(gs_graph_csr(g), e, false);
    /* Âᵀ: the kept transpose for ROW, Â itself otherwise; checked against e transposed. */
    assert_csr_equals(gs_graph_csr_transpose(g), e, true);
    if (norms[t] != GS_NORM_ROW) ck_assert_ptr_eq(gs_graph_csr_transpose(g), gs_graph_csr(g));

    gs_graph_stats s = gs_graph_stats_of(g);
    ck_assert_int_eq(s.nodes, 5);
    ck_assert_int_eq(s.edge_lines, 6);
    ck_assert_int_eq(s.duplicate_lines, 1);
    ck_assert_int_eq(s.self_loop_lines, 1);
    ck_assert_int_eq(s.symmetric_entries, 6);
    ck_assert_int_eq(s.nnz, 11);
    ck_assert_int_eq(s.isolated_nodes, 1);
    ck_assert_int_eq(s.max_degree, 2);
    ck_assert_double_eq_tol(s.mean_degree, 1.2, 1e-12);
    ck_assert_int_eq(s.median_degree, 1); /* sorted 0 1 1 2 2 */
    gs_graph_free(&g);
    ck_assert_ptr_null(g);
  }
  gs_graph_free(NULL);
}
END_TEST

/* ---- random graphs ---------------------------------------------------------------------- */

/* nedges lines with skewed sources (node ⌊n·u³⌋: low ids are hubs) and uniform targets,
 * including some self loops and repeated lines. Arrays from malloc. */
static void random_edges(int64_t n, int64_t nedges, uint64_t seed, int64_t **src, int64_t **dst) {
  *src = malloc((size_t)nedges * sizeof **src);
  *dst = malloc((size_t)nedges * sizeof **dst);
  ck_assert_ptr_nonnull(*src);
  ck_assert_ptr_nonnull(*dst);
  for (int64_t e = 0; e < nedges; e++) {
    double u = gs_rng_uniform(seed, 1, (uint64_t)e);
    (*src)[e] = (int64_t)(u * u * u * (double)n);
    (*dst)[e] = (int64_t)(gs_rng_at(seed, 2, (uint64_t)e) % (uint64_t)n);
  }
}

static float *random_dense(int64_t count, uint64_t seed) {
  float *x = malloc((size_t)count * sizeof *x);
  ck_assert_ptr_nonnull(x);
  for (int64_t i = 0; i < count; i++) x[i] = 2.0f * gs_rng_uniform(seed, 4, (uint64_t)i) - 1.0f;
  return x;
}

static void assert_close(const float *got, const float *want, int64_t count, const char *what) {
  double scale = 0, worst = 0;
  for (int64_t i = 0; i < count; i++) {
    scale = fmax(scale, fabs((double)want[i]));
    worst = fmax(worst, fabs((double)got[i] - (double)want[i]));
  }
  ck_assert_msg(scale > 0, "%s: reference is all zero", what);
  ck_assert_msg(worst <= AGG_REL_TOL * scale, "%s: max error %g against scale %g", what, worst,
                scale);
}

static gs_graph *make_graph(int64_t n, int64_t nedges, uint64_t seed, gs_norm norm) {
  int64_t *src, *dst;
  gs_error err;
  gs_graph *g = NULL;
  random_edges(n, nedges, seed, &src, &dst);
  gs_status st = gs_graph_new(&g, n, src, dst, nedges, norm, &err);
  GS_ASSERT_OK(st, err);
  free(src);
  free(dst);
  return g;
}

START_TEST(test_graph_stats_match_brute_force) {
  GS_TEST_RUNTIME(2);
  const int64_t n = 150, nedges = 900;
  int64_t *src, *dst;
  random_edges(n, nedges, 21, &src, &dst);
  /* Brute force on dense n x n tables. */
  unsigned char *line = calloc((size_t)(n * n), 1), *adj = calloc((size_t)(n * n), 1);
  ck_assert_ptr_nonnull(line);
  ck_assert_ptr_nonnull(adj);
  int64_t dup = 0, loops = 0;
  for (int64_t e = 0; e < nedges; e++) {
    int64_t s = src[e], d = dst[e];
    if (s == d) {
      loops++;
      continue;
    }
    if (line[s * n + d]) dup++;
    line[s * n + d] = 1;
    adj[s * n + d] = adj[d * n + s] = 1;
  }
  int64_t sym = 0, isolated = 0, maxdeg = 0;
  for (int64_t i = 0; i < n; i++) {
    int64_t d = 0;
    for (int64_t j = 0; j < n; j++) d += adj[i * n + j];
    sym += d;
    isolated += d == 0;
    if (d > maxdeg) maxdeg = d;
  }
  gs_error err;
  gs_graph *g = NULL;
  gs_status st = gs_graph_new(&g, n, src, dst, nedges, GS_NORM_SYM, &err);
  GS_ASSERT_OK(st, err);
  gs_graph_stats s = gs_graph_stats_of(g);
  ck_assert_int_gt(dup, 0);
  ck_assert_int_gt(loops, 0);
  ck_assert_int_eq(s.duplicate_lines, dup);
  ck_assert_int_eq(s.self_loop_lines, loops);
  ck_assert_int_eq(s.symmetric_entries, sym);
  ck_assert_int_eq(s.nnz, sym + n);
  ck_assert_int_eq(s.isolated_nodes, isolated);
  ck_assert_int_eq(s.max_degree, maxdeg);
  /* The pattern is adj + I with sorted rows, and Â is symmetric. */
  const gs_csr *a = gs_graph_csr(g);
  for (int64_t i = 0; i < n; i++) {
    int64_t q = a->rowptr[i];
    for (int64_t j = 0; j < n; j++) {
      if (!adj[i * n + j] && i != j) continue;
      ck_assert_int_eq(a->col[q], j);
      q++;
    }
    ck_assert_int_eq(q, a->rowptr[i + 1]);
  }
  gs_graph_free(&g);
  free(line);
  free(adj);
  free(src);
  free(dst);
}
END_TEST

START_TEST(test_graph_aggregate_matches_reference) {
  GS_TEST_RUNTIME(2);
  gs_error err;
  const gs_norm norms[] = {GS_NORM_SYM, GS_NORM_ROW};
  const int64_t ks[] = {1, 7, 16, 64};
  const gs_agg_kernel kernels[] = {GS_AGG_ROWS, GS_AGG_GRAPHBLAS, GS_AGG_AUTO};
  for (int t = 0; t < 2; t++) {
    gs_graph *g = make_graph(3000, 30000, 7, norms[t]);
    const int64_t n = gs_graph_nodes(g);
    ck_assert_int_gt(gs_graph_stats_of(g).max_degree, 200); /* skewed: hubs exist */
    for (size_t ik = 0; ik < sizeof ks / sizeof ks[0]; ik++) {
      const int64_t k = ks[ik];
      float *X = random_dense(n * k, (uint64_t)k);
      float *Y = malloc((size_t)(n * k) * sizeof *Y);
      float *R = malloc((size_t)(n * k) * sizeof *R);
      ck_assert_ptr_nonnull(Y);
      ck_assert_ptr_nonnull(R);
      for (int transpose = 0; transpose <= (norms[t] == GS_NORM_ROW); transpose++) {
        gs_graph_aggregate_reference(g, R, X, k, transpose);
        for (size_t ir = 0; ir < sizeof kernels / sizeof kernels[0]; ir++) {
          memset(Y, 0xff, (size_t)(n * k) * sizeof *Y);
          gs_status st = gs_graph_aggregate(g, Y, X, k, transpose, kernels[ir], &err);
          GS_ASSERT_OK(st, err);
          assert_close(Y, R, n * k, "aggregate");
        }
      }
      free(X);
      free(Y);
      free(R);
    }
    gs_graph_free(&g);
  }
}
END_TEST

START_TEST(test_graph_row_transpose_differs_from_forward) {
  /* For ROW normalisation Âᵀ·X must use the transpose: Âᵀ·1 is the column sums of Â, not 1. */
  GS_TEST_RUNTIME(2);
  gs_error err;
  gs_graph *g = NULL;
  gs_status st = gs_graph_new(&g, HAND_N, hand_src, hand_dst, HAND_E, GS_NORM_ROW, &err);
  GS_ASSERT_OK(st, err);
  float ones[HAND_N] = {1, 1, 1, 1, 1}, y[HAND_N];
  const double colsum[HAND_N] = {1.0 / 2 + 1.0 / 3, 1.0 / 2 + 1.0 / 3 + 1.0 / 3,
                                 1.0 / 3 + 1.0 / 3 + 1.0 / 2, 1.0 / 3 + 1.0 / 2, 1.0};
  const gs_agg_kernel kernels[] = {GS_AGG_ROWS, GS_AGG_GRAPHBLAS};
  for (int ir = 0; ir < 2; ir++) {
    st = gs_graph_aggregate(g, y, ones, 1, false, kernels[ir], &err);
    GS_ASSERT_OK(st, err);
    for (int i = 0; i < HAND_N; i++) ck_assert_double_eq_tol(y[i], 1.0, NORM_TOL * 4);
    st = gs_graph_aggregate(g, y, ones, 1, true, kernels[ir], &err);
    GS_ASSERT_OK(st, err);
    for (int i = 0; i < HAND_N; i++) ck_assert_double_eq_tol(y[i], colsum[i], NORM_TOL * 4);
  }
  gs_graph_free(&g);
}
END_TEST

START_TEST(test_graph_rows_bitwise_for_1_and_2_threads) {
  GS_TEST_RUNTIME(2);
  gs_error err;
  gs_graph *g = make_graph(20000, 200000, 3, GS_NORM_SYM);
  const int64_t n = gs_graph_nodes(g);
  const int64_t ks[] = {7, 16, 64};
  for (size_t ik = 0; ik < sizeof ks / sizeof ks[0]; ik++) {
    const int64_t k = ks[ik];
    const size_t bytes = (size_t)(n * k) * sizeof(float);
    float *X = random_dense(n * k, 40 + (uint64_t)k);
    float *Y1 = malloc(bytes), *Y2 = malloc(bytes), *Y2b = malloc(bytes);
    ck_assert(Y1 && Y2 && Y2b);
    gs_status st = gs_runtime_init(1, &err);
    GS_ASSERT_OK(st, err);
    st = gs_graph_aggregate(g, Y1, X, k, false, GS_AGG_ROWS, &err);
    GS_ASSERT_OK(st, err);
    st = gs_runtime_init(2, &err);
    GS_ASSERT_OK(st, err);
    st = gs_graph_aggregate(g, Y2, X, k, false, GS_AGG_ROWS, &err);
    GS_ASSERT_OK(st, err);
    st = gs_graph_aggregate(g, Y2b, X, k, false, GS_AGG_ROWS, &err);
    GS_ASSERT_OK(st, err);
    ck_assert_int_eq(memcmp(Y1, Y2, bytes), 0);
    ck_assert_int_eq(memcmp(Y2, Y2b, bytes), 0);
    free(X);
    free(Y1);
    free(Y2);
    free(Y2b);
  }
  gs_graph_free(&g);
}
END_TEST

START_TEST(test_graph_graphblas_repeatable_across_calls_and_threads) {
  GS_TEST_RUNTIME(2);
  gs_error err;
  gs_graph *g = make_graph(20000, 200000, 3, GS_NORM_SYM);
  const int64_t n = gs_graph_nodes(g);
  const int64_t ks[] = {7, 64};
  for (size_t ik = 0; ik < sizeof ks / sizeof ks[0]; ik++) {
    const int64_t k = ks[ik];
    const size_t bytes = (size_t)(n * k) * sizeof(float);
    float *X = random_dense(n * k, 50 + (uint64_t)k);
    float *Y0 = malloc(bytes), *Y = malloc(bytes);
    ck_assert(Y0 && Y);
    gs_status st = gs_graph_aggregate(g, Y0, X, k, false, GS_AGG_GRAPHBLAS, &err);
    GS_ASSERT_OK(st, err);
    for (int rep = 0; rep < 5; rep++) {
      st = gs_graph_aggregate(g, Y, X, k, false, GS_AGG_GRAPHBLAS, &err);
      GS_ASSERT_OK(st, err);
      ck_assert_msg(memcmp(Y0, Y, bytes) == 0, "k = %lld: call %d differs", (long long)k, rep + 1);
    }
    /* Observed with GraphBLAS 7.4 (saxpy "dot F = F*S"): 1 thread gives the same bytes too. */
    st = gs_runtime_init(1, &err);
    GS_ASSERT_OK(st, err);
    st = gs_graph_aggregate(g, Y, X, k, false, GS_AGG_GRAPHBLAS, &err);
    GS_ASSERT_OK(st, err);
    ck_assert_msg(memcmp(Y0, Y, bytes) == 0, "k = %lld: 1 thread differs from 2", (long long)k);
    st = gs_runtime_init(2, &err);
    GS_ASSERT_OK(st, err);
    free(X);
    free(Y0);
    free(Y);
  }
  gs_graph_free(&g);
}
END_TEST

START_TEST(test_graph_graphblas_gives_arrays_back) {
  /* The GraphBLAS path borrows Â's arrays: afterwards the graph holds the same pointers and
   * no memory is left behind (X is the caller's, the product buffer is freed). */
  GS_TEST_RUNTIME(2);
  gs_error err;
  gs_graph *g = make_graph(2000, 10000, 8, GS_NORM_ROW);
  const gs_csr *a = gs_graph_csr(g), *at = gs_graph_csr_transpose(g);
  const void *ptrs[6] = {a->rowptr, a->col, a->val, at->rowptr, at->col, at->val};
  const int64_t n = gs_graph_nodes(g), k = 16;
  float *X = random_dense(n * k, 1), *Y = malloc((size_t)(n * k) * sizeof *Y);
  ck_assert_ptr_nonnull(Y);
  int64_t before = gs_mem_current();
  for (int transpose = 0; transpose <= 1; transpose++) {
    gs_status st = gs_graph_aggregate(g, Y, X, k, transpose, GS_AGG_GRAPHBLAS, &err);
    GS_ASSERT_OK(st, err);
  }
  ck_assert_int_eq(gs_mem_current(), before);
  const void *after[6] = {a->rowptr, a->col, a->val, at->rowptr, at->col, at->val};
  for (int i = 0; i < 6; i++) ck_assert_ptr_eq(after[i], ptrs[i]);
  ck_assert_int_eq(gs_graph_bytes(g), 2 * (8 * (n + 1) + 12 * gs_graph_nnz(g)));
  free(X);
  free(Y);
  gs_graph_free(&g);
}
END_TEST

/* ---- errors and memory -------------------------------------------------------------- */

START_TEST(test_graph_graphblas_survives_every_allocation_failure) {
  /* GraphBLAS allocates through gs_mem: make each of its allocations fail in turn. The call
   * reports GS_ERR_NOMEM, the graph keeps its arrays, nothing leaks, and the caller's X is
   * untouched; once allocation succeeds the product is right. */
  GS_TEST_RUNTIME(2);
  gs_error err;
  gs_graph *g = make_graph(500, 3000, 14, GS_NORM_SYM);
  const gs_csr *a = gs_graph_csr(g);
  const void *ptrs[3] = {a->rowptr, a->col, a->val};
  const int64_t n = gs_graph_nodes(g), k = 8;
  float *X = random_dense(n * k, 2), *Y = malloc((size_t)(n * k) * sizeof *Y);
  float *R = malloc((size_t)(n * k) * sizeof *R);
  ck_assert(Y && R);
  gs_graph_aggregate_reference(g, R, X, k, false);
  const int64_t base = gs_mem_current();
  int64_t failures = 0;
  for (int64_t f = 0;; f++) {
    gs_mem_fail_after(f);
    gs_status st = gs_graph_aggregate(g, Y, X, k, false, GS_AGG_GRAPHBLAS, &err);
    gs_mem_fail_after(-1);
    ck_assert_int_eq(gs_mem_current(), base);
    ck_assert_ptr_eq(a->rowptr, ptrs[0]);
    ck_assert_ptr_eq(a->col, ptrs[1]);
    ck_assert_ptr_eq(a->val, ptrs[2]);
    if (st == GS_OK) break;
    ck_assert_msg(st == GS_ERR_NOMEM, "allocation %lld: %s: %s", (long long)f, gs_status_name(st),
                  err.msg);
    failures++;
    ck_assert_int_lt(f, 1000);
  }
  ck_assert_int_gt(failures, 0);
  assert_close(Y, R, n * k, "after failures");
  free(X);
  free(Y);
  free(R);
  gs_graph_free(&g);
}
END_TEST

START_TEST(test_graph_graphblas_refused_inside_openmp_region) {
  GS_TEST_RUNTIME(2);
  gs_error err;
  gs_graph *g = NULL;
  gs_status st = gs_graph_new(&g, HAND_N, hand_src, hand_dst, HAND_E, GS_NORM_SYM, &err);
  GS_ASSERT_OK(st, err);
  float x[HAND_N] = {1, 2, 3, 4, 5}, y[2][HAND_N];
  int refused = 0, team = 0;
#pragma omp parallel num_threads(2) reduction(+ : refused, team)
  {
    gs_error e;
    int t = omp_get_thread_num();
    team++;
    refused += gs_graph_aggregate(g, y[t], x, 1, false, GS_AGG_GRAPHBLAS, &e) == GS_ERR_INVALID;
  }
  ck_assert_int_eq(team, 2);
  ck_assert_int_eq(refused, 2);
  gs_graph_free(&g);
}
END_TEST

START_TEST(test_graph_new_rejects_id_out_of_range) {
  GS_TEST_RUNTIME(2);
  gs_error err;
  gs_graph *g = NULL;
  const int64_t src[] = {0, 1, 2, 3}, dst[] = {1, 2, 4711, 0};
  gs_status st = gs_graph_new(&g, 4, src, dst, 4, GS_NORM_SYM, &err);
  ck_assert_int_eq(st, GS_ERR_RANGE);
  ck_assert_ptr_null(g);
  ck_assert_msg(strstr(err.msg, "4711") != NULL, "message: %s", err.msg);
  ck_assert_msg(strstr(err.msg, "edge 2") != NULL, "message: %s", err.msg);
  const int64_t neg[] = {0, -5};
  st = gs_graph_new(&g, 4, neg, src, 2, GS_NORM_SYM, &err);
  ck_assert_int_eq(st, GS_ERR_RANGE);
  ck_assert_msg(strstr(err.msg, "-5") != NULL, "message: %s", err.msg);
  ck_assert_msg(strstr(err.msg, "edge 1") != NULL, "message: %s", err.msg);
}
END_TEST

START_TEST(test_graph_new_rejects_no_nodes) {
  gs_error err;
  gs_graph *g = NULL;
  const int64_t src[] = {0}, dst[] = {0};
  ck_assert_int_eq(gs_graph_new(&g, 0, src, dst, 1, GS_NORM_SYM, &err), GS_ERR_INVALID);
  ck_assert(strstr(err.msg, "at least 1 node") != NULL);
  ck_assert_int_eq(gs_graph_new(&g, -3, src, dst, 1, GS_NORM_SYM, &err), GS_ERR_INVALID);
  ck_assert_int_eq(gs_graph_new(&g, 2, src, dst, -1, GS_NORM_SYM, &err), GS_ERR_INVALID);
  ck_assert_int_eq(gs_graph_new(&g, 2, src, dst, 1, (gs_norm)9, &err), GS_ERR_INVALID);
  ck_assert_ptr_null(g);
}
END_TEST

START_TEST(test_graph_new_rejects_absurd_size) {
  gs_error err;
  gs_graph *g = NULL;
  const int64_t src[] = {0}, dst[] = {0};
  int64_t base = gs_mem_current();
  ck_assert_int_eq(gs_graph_new(&g, INT64_MAX / 2, src, dst, 1, GS_NORM_SYM, &err), GS_ERR_RANGE);
  ck_assert_int_eq(gs_graph_new(&g, 10, src, dst, INT64_MAX / 3, GS_NORM_SYM, &err), GS_ERR_RANGE);
  ck_assert(strstr(err.msg, "overflow") != NULL);
  ck_assert_ptr_null(g);
  ck_assert_int_eq(gs_mem_current(), base);
}
END_TEST

START_TEST(test_graph_new_survives_every_allocation_failure) {
  GS_TEST_RUNTIME(2);
  const gs_norm norms[] = {GS_NORM_SYM, GS_NORM_ROW, GS_NORM_NONE};
  int64_t *src, *dst;
  random_edges(500, 3000, 12, &src, &dst);
  for (int t = 0; t < 3; t++) {
    int64_t base = gs_mem_current();
    int64_t failures = 0;
    for (int64_t k = 0;; k++) {
      gs_error err;
      gs_graph *g = NULL;
      gs_mem_fail_after(k);
      gs_status st = gs_graph_new(&g, 500, src, dst, 3000, norms[t], &err);
      gs_mem_fail_after(-1);
      if (st == GS_OK) {
        ck_assert_int_eq(gs_mem_current() - base, gs_graph_bytes(g));
        gs_graph_free(&g);
        break;
      }
      ck_assert_int_eq(st, GS_ERR_NOMEM);
      ck_assert_ptr_null(g);
      ck_assert_int_eq(gs_mem_current(), base);
      failures++;
      ck_assert_int_lt(k, 100);
    }
    ck_assert_int_ge(failures, norms[t] == GS_NORM_ROW ? 10 : 7); /* every allocation hit */
    ck_assert_int_eq(gs_mem_current(), base);
  }
  free(src);
  free(dst);
}
END_TEST

START_TEST(test_graph_bytes_match_counted_memory) {
  GS_TEST_RUNTIME(2);
  const gs_norm norms[] = {GS_NORM_SYM, GS_NORM_ROW, GS_NORM_NONE};
  int64_t *src, *dst;
  const int64_t n = 5000, nedges = 40000;
  random_edges(n, nedges, 13, &src, &dst);
  for (int t = 0; t < 3; t++) {
    gs_error err;
    gs_graph *g = NULL;
    int64_t base = gs_mem_current();
    gs_mem_reset_peak();
    gs_status st = gs_graph_new(&g, n, src, dst, nedges, norms[t], &err);
    GS_ASSERT_OK(st, err);
    const int64_t nnz = gs_graph_nnz(g);
    const int64_t one = 8 * (n + 1) + 12 * nnz;
    ck_assert_int_eq(gs_graph_bytes(g), norms[t] == GS_NORM_ROW ? 2 * one : one);
    ck_assert_int_eq(gs_mem_current() - base, gs_graph_bytes(g));
    ck_assert_int_eq(gs_mem_current_tag("graph-build"), 0);
    /* The transient sort buffers stay within the documented 16·(2·nedges) on top of Â. */
    ck_assert_int_le(gs_mem_peak() - base, gs_graph_bytes(g) + 16 * 2 * nedges + 16 * (n + 1));
    gs_graph_free(&g);
    ck_assert_int_eq(gs_mem_current(), base);
  }
  free(src);
  free(dst);
}
END_TEST

START_TEST(test_graph_aggregate_rejects_bad_arguments) {
  GS_TEST_RUNTIME(2);
  gs_error err;
  gs_graph *g = NULL;
  gs_status st = gs_graph_new(&g, HAND_N, hand_src, hand_dst, HAND_E, GS_NORM_SYM, &err);
  GS_ASSERT_OK(st, err);
  float x[HAND_N] = {0}, y[HAND_N];
  ck_assert_int_eq(gs_graph_aggregate(g, y, NULL, 1, false, GS_AGG_ROWS, &err), GS_ERR_INVALID);
  ck_assert_int_eq(gs_graph_aggregate(g, y, x, -1, false, GS_AGG_ROWS, &err), GS_ERR_INVALID);
  ck_assert_int_eq(gs_graph_aggregate(g, y, x, 1, false, (gs_agg_kernel)7, &err), GS_ERR_INVALID);
  ck_assert_int_eq(gs_graph_aggregate(g, x, x, 1, false, GS_AGG_ROWS, &err), GS_ERR_INVALID);
  ck_assert(strstr(err.msg, "overlap") != NULL);
  ck_assert_int_eq(gs_graph_aggregate(g, y, x, 0, false, GS_AGG_GRAPHBLAS, &err), GS_OK);
  gs_graph_free(&g);
}
END_TEST

START_TEST(test_graph_aggregate_counts_flops) {
  GS_TEST_RUNTIME(2);
  gs_error err;
  gs_graph *g = NULL;
  gs_status st = gs_graph_new(&g, HAND_N, hand_src, hand_dst, HAND_E, GS_NORM_ROW, &err);
  GS_ASSERT_OK(st, err);
  float x[3 * HAND_N] = {0}, y[3 * HAND_N];
  gs_flops_reset();
  st = gs_graph_aggregate(g, y, x, 3, false, GS_AGG_ROWS, &err);
  GS_ASSERT_OK(st, err);
  st = gs_graph_aggregate(g, y, x, 3, true, GS_AGG_GRAPHBLAS, &err);
  GS_ASSERT_OK(st, err);
  ck_assert_int_eq(gs_flops_get(GS_FLOPS_AGGREGATE), 2 * (2 * 11 * 3)); /* 2·nnz·k per call */
  gs_graph_aggregate_reference(g, y, x, 3, false); /* the test twin does not count */
  ck_assert_int_eq(gs_flops_get(GS_FLOPS_AGGREGATE), 2 * (2 * 11 * 3));
  gs_flops_reset();
  gs_graph_free(&g);
}
END_TEST

Suite *gs_graph_suite(void) {
  Suite *s = suite_create("graph");
  TCase *tc = tcase_create("graph");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_graph_normalisation_hand_computed);
  tcase_add_test(tc, test_graph_stats_match_brute_force);
  tcase_add_test(tc, test_graph_aggregate_matches_reference);
  tcase_add_test(tc, test_graph_row_transpose_differs_from_forward);
  tcase_add_test(tc, test_graph_rows_bitwise_for_1_and_2_threads);
  tcase_add_test(tc, test_graph_graphblas_repeatable_across_calls_and_threads);
  tcase_add_test(tc, test_graph_graphblas_gives_arrays_back);
  tcase_add_test(tc, test_graph_graphblas_survives_every_allocation_failure);
  tcase_add_test(tc, test_graph_graphblas_refused_inside_openmp_region);
  tcase_add_test(tc, test_graph_new_rejects_id_out_of_range);
  tcase_add_test(tc, test_graph_new_rejects_no_nodes);
  tcase_add_test(tc, test_graph_new_rejects_absurd_size);
  tcase_add_test(tc, test_graph_new_survives_every_allocation_failure);
  tcase_add_test(tc, test_graph_bytes_match_counted_memory);
  tcase_add_test(tc, test_graph_aggregate_rejects_bad_arguments);
  tcase_add_test(tc, test_graph_aggregate_counts_flops);
  suite_add_tcase(s, tc);
  return s;
}
