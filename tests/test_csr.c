/* Tests of sparse/csr: allocation and its accounting, transpose, and the sparse x dense
 * product against its double-accumulating serial twin, including bitwise equality of the
 * product for 1 and 2 threads. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/rng.h"
#include "core/runtime.h"
#include "core/status.h"
#include "sparse/csr.h"
#include "tests/test_helpers.h"

Suite *gs_csr_suite(void);

/* Float sums of up to a few hundred terms against double sums: relative to the largest
 * magnitude of the reference. */
static const double SPMM_REL_TOL = 1e-5;

/* A random nrows x ncols matrix with skewed row lengths (row i has about
 * max_row·u³ entries), distinct sorted columns, values in [-1, 1). */
static void random_csr(gs_csr *m, int64_t nrows, int64_t ncols, int64_t max_row, uint64_t seed) {
  gs_error err;
  int64_t *len = malloc((size_t)nrows * sizeof *len);
  unsigned char *used = calloc((size_t)ncols, 1);
  ck_assert_ptr_nonnull(len);
  ck_assert_ptr_nonnull(used);
  int64_t nnz = 0;
  for (int64_t i = 0; i < nrows; i++) {
    double u = gs_rng_uniform(seed, 1, (uint64_t)i);
    len[i] = (int64_t)(u * u * u * (double)max_row);
    if (len[i] > ncols) len[i] = ncols;
    nnz += len[i];
  }
  gs_status st = gs_csr_alloc(m, nrows, ncols, nnz, "test", &err);
  GS_ASSERT_OK(st, err);
  uint64_t draw = 0;
  for (int64_t i = 0; i < nrows; i++) {
    int64_t placed = 0;
    while (placed < len[i]) {
      int64_t j = (int64_t)(gs_rng_at(seed, 2, draw++) % (uint64_t)ncols);
      if (!used[j]) {
        used[j] = 1;
        placed++;
      }
    }
    int64_t q = m->rowptr[i];
    for (int64_t j = 0; j < ncols; j++)
      if (used[j]) {
        m->col[q] = j;
        m->val[q] = 2.0f * gs_rng_uniform(seed, 3, (uint64_t)q) - 1.0f;
        q++;
        used[j] = 0;
      }
    m->rowptr[i + 1] = q;
  }
  free(len);
  free(used);
}

static float *random_dense(int64_t count, uint64_t seed) {
  float *x = malloc((size_t)count * sizeof *x);
  ck_assert_ptr_nonnull(x);
  for (int64_t i = 0; i < count; i++) x[i] = 2.0f * gs_rng_uniform(seed, 4, (uint64_t)i) - 1.0f;
  return x;
}

static double max_abs(const float *x, int64_t count) {
  double m = 0;
  for (int64_t i = 0; i < count; i++) m = fmax(m, fabs((double)x[i]));
  return m;
}

static void assert_close(const float *got, const float *want, int64_t count, const char *what) {
  double scale = max_abs(want, count), worst = 0;
  for (int64_t i = 0; i < count; i++) worst = fmax(worst, fabs((double)got[i] - (double)want[i]));
  ck_assert_msg(scale > 0, "%s: reference is all zero", what);
  ck_assert_msg(worst <= SPMM_REL_TOL * scale, "%s: max error %g against scale %g", what, worst,
                scale);
}

START_TEST(test_csr_alloc_counts_bytes) {
  gs_error err;
  gs_csr m;
  int64_t base = gs_mem_current();
  gs_status st = gs_csr_alloc(&m, 10, 7, 33, "test", &err);
  GS_ASSERT_OK(st, err);
  ck_assert_int_eq(gs_csr_bytes(10, 33), 8 * 11 + 12 * 33);
  ck_assert_int_eq(gs_mem_current() - base, gs_csr_bytes(10, 33));
  for (int i = 0; i <= 10; i++) ck_assert_int_eq(m.rowptr[i], 0);
  ck_assert_int_eq(m.nrows, 10);
  ck_assert_int_eq(m.ncols, 7);
  ck_assert_int_eq(m.nnz, 33);
  gs_csr_release(&m);
  ck_assert_ptr_null(m.rowptr);
  ck_assert_int_eq(m.nnz, 0);
  ck_assert_int_eq(gs_mem_current(), base);
  gs_csr_release(NULL);
}
END_TEST

START_TEST(test_csr_alloc_nomem_leaks_nothing) {
  gs_error err;
  gs_csr m = {0};
  int64_t base = gs_mem_current();
  for (int64_t k = 0; k < 3; k++) {
    gs_mem_fail_after(k);
    gs_status st = gs_csr_alloc(&m, 100, 100, 1000, "test", &err);
    gs_mem_fail_after(-1);
    ck_assert_int_eq(st, GS_ERR_NOMEM);
    ck_assert_int_eq(gs_mem_current(), base);
    ck_assert_ptr_null(m.rowptr);
  }
  ck_assert_int_eq(gs_csr_alloc(&m, -1, 3, 0, "test", &err), GS_ERR_RANGE);
}
END_TEST

START_TEST(test_csr_transpose_twice_is_original) {
  gs_error err;
  gs_csr a, t, tt;
  const int64_t rows = 61, cols = 37;
  random_csr(&a, rows, cols, 30, 11);
  gs_status st = gs_csr_transpose(&t, &a, "test", &err);
  GS_ASSERT_OK(st, err);
  ck_assert_int_eq(t.nrows, cols);
  ck_assert_int_eq(t.ncols, rows);
  ck_assert_int_eq(t.nnz, a.nnz);
  /* Every entry of a appears at the mirrored place in t, and t's rows are sorted. */
  for (int64_t i = 0; i < rows; i++)
    for (int64_t p = a.rowptr[i]; p < a.rowptr[i + 1]; p++) {
      int64_t j = a.col[p], q = t.rowptr[j];
      while (q < t.rowptr[j + 1] && t.col[q] != i) q++;
      ck_assert_int_lt(q, t.rowptr[j + 1]);
      ck_assert(t.val[q] == a.val[p]);
    }
  for (int64_t j = 0; j < cols; j++)
    for (int64_t q = t.rowptr[j] + 1; q < t.rowptr[j + 1]; q++) ck_assert_int_lt(t.col[q - 1], t.col[q]);
  st = gs_csr_transpose(&tt, &t, "test", &err);
  GS_ASSERT_OK(st, err);
  ck_assert_int_eq(tt.nrows, rows);
  ck_assert_int_eq(tt.ncols, cols);
  ck_assert_int_eq(memcmp(tt.rowptr, a.rowptr, (size_t)(rows + 1) * sizeof *a.rowptr), 0);
  ck_assert_int_eq(memcmp(tt.col, a.col, (size_t)a.nnz * sizeof *a.col), 0);
  ck_assert_int_eq(memcmp(tt.val, a.val, (size_t)a.nnz * sizeof *a.val), 0);
  gs_csr_release(&a);
  gs_csr_release(&t);
  gs_csr_release(&tt);
}
END_TEST

START_TEST(test_csr_spmm_matches_reference) {
  GS_TEST_RUNTIME(2);
  gs_csr a;
  random_csr(&a, 3000, 2500, 400, 5);
  const int64_t ks[] = {1, 7, 16, 45, 64};
  for (size_t t = 0; t < sizeof ks / sizeof ks[0]; t++) {
    const int64_t k = ks[t];
    float *B = random_dense(a.ncols * k, 100 + (uint64_t)k);
    float *C = malloc((size_t)(a.nrows * k) * sizeof *C);
    float *R = malloc((size_t)(a.nrows * k) * sizeof *R);
    ck_assert_ptr_nonnull(C);
    ck_assert_ptr_nonnull(R);
    memset(C, 0xff, (size_t)(a.nrows * k) * sizeof *C); /* NaN garbage must be overwritten */
    gs_csr_spmm(&a, B, k, C, false);
    gs_csr_spmm_reference(&a, B, k, R);
    assert_close(C, R, a.nrows * k, "spmm");
    /* Accumulate: C0 + A·B. */
    float *C0 = random_dense(a.nrows * k, 200 + (uint64_t)k);
    memcpy(C, C0, (size_t)(a.nrows * k) * sizeof *C);
    gs_csr_spmm(&a, B, k, C, true);
    for (int64_t i = 0; i < a.nrows * k; i++) R[i] += C0[i];
    assert_close(C, R, a.nrows * k, "spmm accumulate");
    free(B);
    free(C);
    free(R);
    free(C0);
  }
  gs_csr_release(&a);
}
END_TEST

START_TEST(test_csr_spmm_bitwise_for_1_and_2_threads) {
  gs_error err;
  GS_TEST_RUNTIME(2);
  gs_csr a;
  random_csr(&a, 4000, 4000, 600, 9);
  const int64_t ks[] = {5, 64};
  for (size_t t = 0; t < sizeof ks / sizeof ks[0]; t++) {
    const int64_t k = ks[t];
    float *B = random_dense(a.ncols * k, 300);
    float *C1 = malloc((size_t)(a.nrows * k) * sizeof *C1);
    float *C2 = malloc((size_t)(a.nrows * k) * sizeof *C2);
    ck_assert_ptr_nonnull(C1);
    ck_assert_ptr_nonnull(C2);
    gs_status st = gs_runtime_init(1, &err);
    GS_ASSERT_OK(st, err);
    gs_csr_spmm(&a, B, k, C1, false);
    st = gs_runtime_init(2, &err);
    GS_ASSERT_OK(st, err);
    gs_csr_spmm(&a, B, k, C2, false);
    ck_assert_int_eq(memcmp(C1, C2, (size_t)(a.nrows * k) * sizeof *C1), 0);
    free(B);
    free(C1);
    free(C2);
  }
  gs_csr_release(&a);
}
END_TEST

Suite *gs_csr_suite(void) {
  Suite *s = suite_create("csr");
  TCase *tc = tcase_create("csr");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_csr_alloc_counts_bytes);
  tcase_add_test(tc, test_csr_alloc_nomem_leaks_nothing);
  tcase_add_test(tc, test_csr_transpose_twice_is_original);
  tcase_add_test(tc, test_csr_spmm_matches_reference);
  tcase_add_test(tc, test_csr_spmm_bitwise_for_1_and_2_threads);
  suite_add_tcase(s, tc);
  return s;
}
